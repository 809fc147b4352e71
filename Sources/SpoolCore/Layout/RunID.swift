#if canImport(Glibc)
import Glibc
#endif

/// A run's identity: `20261125T021530123Z-3f9a1c07be-host`. The time prefix sorts runs by claim time,
/// the 40 random bits and the host make it unique across workers and machines, so a claim's target
/// name is never taken and a `rename` can never overwrite another run.
public struct RunID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ text: String) {
        guard RunID.isValid(Array(text.utf8)) else { return nil }
        rawValue = text
    }

    public init?(bytes: [UInt8]) {
        guard RunID.isValid(bytes) else { return nil }
        rawValue = String(decoding: bytes, as: UTF8.self)
    }

    /// A fresh id for a run claimed now on this host.
    public static func make(now: Double, host: String, random: UInt64 = UInt64.random(in: 0...UInt64.max)) -> RunID {
        let ts = Timestamp.rfc3339(now)  // 2026-11-25T02:15:30.123Z
        let compact = ts.filter { $0 != "-" && $0 != ":" && $0 != "." }  // 20261125T021530123Z
        var hex = String(random & 0xFF_FFFF_FFFF, radix: 16)
        hex = String(repeating: "0", count: 10 - hex.count) + hex
        return RunID(unchecked: "\(compact)-\(hex)-\(sanitizedHost(host))")
    }

    private init(unchecked: String) { rawValue = unchecked }

    /// The id of the child that `parent` spawns from step `step` under `key`: the same three always give the
    /// same id, so a parent that runs its step again (after a crash, a takeover or a replay) names the same
    /// child and the spawn ledger sees it was spawned already. The parent's time and host keep the child next
    /// to its parent in listings; 40 bits of SHA-256 over parent, step and key tell its children apart.
    public static func child(of parent: RunID, step: Int, key: String) -> RunID {
        let digest = SHA256.digest(Array("\(parent.rawValue)\u{0}\(step)\u{0}\(key)".utf8))
        let hex = digest.prefix(5).map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
        let b = Array(parent.rawValue.utf8)
        let time = String(decoding: b[0..<19], as: UTF8.self), host = String(decoding: b[31...], as: UTF8.self)
        return RunID(unchecked: "\(time)-\(hex)-\(host)")
    }

    public var description: String { rawValue }
    public static func < (a: RunID, b: RunID) -> Bool { a.rawValue < b.rawValue }

    /// The claim time encoded in the id.
    public var timestamp: Double? {
        let b = Array(rawValue.utf8)
        let s = String(decoding: b[0..<4], as: UTF8.self) + "-" + String(decoding: b[4..<6], as: UTF8.self) + "-"
            + String(decoding: b[6..<8], as: UTF8.self) + "T" + String(decoding: b[9..<11], as: UTF8.self) + ":"
            + String(decoding: b[11..<13], as: UTF8.self) + ":" + String(decoding: b[13..<15], as: UTF8.self) + "."
            + String(decoding: b[15..<18], as: UTF8.self) + "Z"
        return Timestamp.parse(s)
    }

    /// Host names become `[a-z0-9-]`, at most 40 characters, so ids stay safe in file names and URLs.
    public static func sanitizedHost(_ host: String) -> String {
        var out = ""
        for c in host.lowercased().unicodeScalars {
            if out.count >= 40 { break }
            if (c >= "a" && c <= "z") || (c >= "0" && c <= "9") { out.unicodeScalars.append(c) }
            else if !out.isEmpty && out.last != "-" { out.append("-") }
        }
        while out.last == "-" { out.removeLast() }
        return out.isEmpty ? "host" : out
    }

    /// `DDDDDDDDTDDDDDDDDDZ-xxxxxxxxxx-host`.
    static func isValid(_ b: [UInt8]) -> Bool {
        guard b.count >= 32, b.count <= 72 else { return false }
        func digit(_ i: Int) -> Bool { b[i] >= 48 && b[i] <= 57 }
        for i in 0..<8 where !digit(i) { return false }
        guard b[8] == UInt8(ascii: "T") else { return false }
        for i in 9..<18 where !digit(i) { return false }
        guard b[18] == UInt8(ascii: "Z"), b[19] == UInt8(ascii: "-") else { return false }
        for i in 20..<30 {
            let c = b[i]
            if !((c >= 48 && c <= 57) || (c >= 97 && c <= 102)) { return false }
        }
        guard b[30] == UInt8(ascii: "-") else { return false }
        for c in b[31...] where !((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == UInt8(ascii: "-")) { return false }
        return true
    }
}

/// Who acts on the spool: one worker process (or one CLI invocation). The id goes into lease and
/// token file names, so every actor's rename target is unique to it.
public struct Actor: Sendable, Hashable {
    public let host: String
    public let pid: Int32
    public let id: String

    public init(host: String, pid: Int32, random: UInt32 = UInt32.random(in: 0...UInt32.max)) {
        self.host = host
        self.pid = pid
        self.id = "\(RunID.sanitizedHost(host))-\(pid)-\(String(random, radix: 16))"
    }

    /// This process.
    public static func current() -> Actor {
        var buf = [UInt8](repeating: 0, count: 256)
        gethostname(&buf, 255)
        let host = String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
        return Actor(host: host.isEmpty ? "localhost" : host, pid: getpid())
    }
}
