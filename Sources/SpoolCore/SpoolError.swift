import JobSpec
#if canImport(Glibc)
import Glibc
#endif

/// Everything that can go wrong in the spool, each with what to do about it.
public enum SpoolError: Error, Sendable, CustomStringConvertible {
    case io(SysError, hint: String)
    case notASpool(String)
    case invalidConfig(JobError)
    case runNotFound(String)
    case wrongState(run: String, state: RunState, wanted: String)
    case ambiguous(String, [String])
    case eventLog(SysError, run: RunID)
    /// A spawn would go over one of the runner's limits (`max_depth`, `max_children`).
    case spawnLimit(parent: RunID, limit: String, value: Int, detail: String)

    public var description: String {
        switch self {
        case .io(let e, let hint): return "\(e); \(hint)"
        case .notASpool(let p): return "\(p) is not a spool (it needs tmp/, new/, cur/ and done/); create one with `agent-runner init \(p)`"
        case .invalidConfig(let e): return "invalid spool config: \(e)"
        case .runNotFound(let r): return "no run or queued job named \(r); list runs with `agent-runner ls`"
        case .wrongState(let r, let s, let wanted): return "run \(r) is \(s.rawValue); \(wanted)"
        case .ambiguous(let r, let c): return "\(r) matches several runs (\(c.prefix(5).joined(separator: ", "))); give more of the id"
        case .spawnLimit(let p, let limit, let value, let detail):
            return "run \(p) cannot spawn another child: \(limit) is \(value) and \(detail); spawn fewer or flatter children"
        case .eventLog(let e, let r): return "cannot write events for run \(r): \(e). The run is left in cur/ and will be requeued when its lease expires; free disk space or fix the file system"
        }
    }
}

extension SpoolError {
    /// The error a transition reports for whatever its steps threw: spool errors as they are, system
    /// call errors with the hint of what to do next.
    static func from(_ error: any Error, call: String, path: String, hint: String) -> SpoolError {
        switch error {
        case let e as SpoolError: return e
        case let e as SysError: return .io(e, hint: hint)
        default: return .io(SysError(errno: EIO, call: call, path: path), hint: "\(error)")
        }
    }
}
