/// Which names in `new/` are jobs. Anything that can write a file may drop one, so the rule must
/// skip every temporary name that editors, rsync and sed use while they write.
public enum JobName {
    /// A job is `*.yaml` or `*.yml` that is not a dotfile (vim `.x.swp`, emacs `.#x`, rsync `.x.XXXXXX`),
    /// not an emacs autosave (`#x#`), and not a backup (`x~`). Names without the suffix (vim's `4913`,
    /// `sedAbC123`) never match. Type checks (symlink, FIFO, directory) happen when the file is opened.
    public static func isJob(_ name: [UInt8]) -> Bool {
        guard let first = name.first, let last = name.last else { return false }
        if first == UInt8(ascii: ".") || first == UInt8(ascii: "#") { return false }
        if last == UInt8(ascii: "~") || last == UInt8(ascii: "#") { return false }
        guard hasSuffix(name, ".yaml") || hasSuffix(name, ".yml") else { return false }
        return !name.contains(0x2F) && !name.contains(0)
    }

    /// The run id when the name is `<run-id>.yaml`: a run that already has an id and history
    /// (submitted by the CLI, requeued, or retried).
    public static func runID(_ name: [UInt8]) -> RunID? {
        guard hasSuffix(name, ".yaml") else { return nil }
        return RunID(bytes: Array(name.dropLast(5)))
    }

    /// Byte-wise, without allocating: the worker calls this for every name on every rescan.
    static func hasSuffix(_ name: [UInt8], _ suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount
        guard name.count > n else { return false }
        return suffix.withUTF8Buffer { s in
            name.withUnsafeBufferPointer { b in
                let offset = b.count - n
                for i in 0..<n where b[offset + i] != s[i] { return false }
                return true
            }
        }
    }
}
