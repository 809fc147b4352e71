import YAMLCore

/// Reads a job file. Checks, in order: size, empty, UTF-8, final newline, YAML syntax,
/// top-level mapping, then schema v1 (see `JobDecoder` and docs/job-format.md).
public enum JobLoader {
    public static let maxFileSize = 1 << 20

    /// `workspaceRoots`: config.yaml's `workspace_roots:` (see `Spool.workspaceRoots`); nil checks no roots.
    public static func load(_ bytes: [UInt8], file: String, workspaceRoots: WorkspaceRoots? = nil) throws(JobError) -> Job {
        try TextChecks.checkSize(bytes, file: file, what: "the job file")
        if TextChecks.isBlank(bytes) {
            throw JobError(reason: .empty, file: file, message: "the job file is empty",
                           expected: "a YAML mapping with at least `steps:`", mayBeIncomplete: true)
        }
        try TextChecks.checkUTF8(bytes, file: file)
        guard bytes.last == 0x0A else {
            let end = Mark.end(of: bytes)
            throw JobError(reason: .truncated, file: file, line: end.line, column: end.column,
                           message: "the job file does not end with a newline; it was probably cut short by an interrupted write "
                               + "(or an `rsync --partial` copy); a job file must end with a newline",
                           expected: "a final newline", mayBeIncomplete: true)
        }
        guard let root = try parseYAML(bytes, file: file) else {
            throw JobError(reason: .empty, file: file, line: 1, column: 1, message: "the job file holds only comments",
                           expected: "a YAML mapping with at least `steps:`")
        }
        return try JobDecoder(file: file, workspaceRoots: workspaceRoots).job(root)
    }

    /// The document root, or nil for a stream without documents; YAML errors become `.syntax`.
    static func parseYAML(_ bytes: [UInt8], file: String) throws(JobError) -> YAMLNode? {
        do {
            return try YAMLParser.parse(bytes)
        } catch {
            throw JobError(reason: .syntax, file: file, line: error.line, column: error.column, message: error.message,
                           mayBeIncomplete: error.atEndOfInput)
        }
    }
}
