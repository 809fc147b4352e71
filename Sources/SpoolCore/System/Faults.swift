import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Fault injection for crash and I/O-error tests, read once from `AGENT_RUNNER_FAULTS`.
///
/// The value is a comma-separated list:
/// - `crash@POINT` — the process sends itself SIGKILL at that crash point (see `CrashPoint`), exactly like `kill -9`.
/// - `lost-reply@claim` — the claim's rename succeeds, then reports ENOENT, as NFS does when the reply is lost.
/// - `events.write=ENOSPC` or `events.write=EIO`, optionally `…@N` — event writes fail after N successful ones.
/// With the variable unset every check is a dictionary miss; production behaviour is unchanged.
public struct Faults: Sendable {
    public var crashPoints: Set<String> = []
    public var lostReply: Set<String> = []
    public var eventWriteErrno: Int32?
    public var eventWritesBeforeFailure = 0

    public init() {}

    public init(spec: String) {
        for item in spec.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            if item.hasPrefix("crash@") {
                crashPoints.insert(String(item.dropFirst(6)))
            } else if item.hasPrefix("lost-reply@") {
                lostReply.insert(String(item.dropFirst(11)))
            } else if item.hasPrefix("events.write=") {
                let rest = item.dropFirst(13).split(separator: "@")
                eventWriteErrno = rest.first == "EIO" ? EIO : ENOSPC
                if rest.count > 1 { eventWritesBeforeFailure = Int(rest[1]) ?? 0 }
            }
        }
    }

    public static let process: Faults = {
        guard let raw = getenv("AGENT_RUNNER_FAULTS") else { return Faults() }
        return Faults(spec: String(cString: raw))
    }()

    /// Dies by SIGKILL if the test asked for a crash here.
    @inline(__always)
    public func crash(at point: CrashPoint) {
        if !crashPoints.isEmpty && crashPoints.contains(point.rawValue) {
            kill(getpid(), SIGKILL)
            pause()
        }
    }
}

/// Every point between two file-system steps of a state transition. `docs/spool-format.md` lists
/// what a crash at each one leaves behind; the crash tests kill a worker at every one of them.
public enum CrashPoint: String, Sendable, CaseIterable {
    case claimLeaseCreated = "claim.lease-created"
    case claimRenamed = "claim.renamed"
    case claimCompanionsMoved = "claim.companions-moved"
    case claimEventWritten = "claim.event-written"
    case finishTokenTaken = "finish.token-taken"
    case finishEventWritten = "finish.event-written"
    case finishArtifactsMoved = "finish.artifacts-moved"
    case finishEventsMoved = "finish.events-moved"
    case finishJobMoved = "finish.job-moved"
    case requeueTokenTaken = "requeue.token-taken"
    case requeueEventWritten = "requeue.event-written"
    case requeueCompanionsMoved = "requeue.companions-moved"
    case requeueJobMoved = "requeue.job-moved"
    case stepStarted = "run.step-started"
    case spawnEventWritten = "spawn.event-written"
    case spawnStaged = "spawn.staged"
    case spawnLinked = "spawn.linked"
    case spawnDelivered = "spawn.delivered"
    case parkConditionWritten = "park.condition-written"
    case parkTokenTaken = "park.token-taken"
    case parkEventWritten = "park.event-written"
    case parkCompanionsMoved = "park.companions-moved"
    case parkJobMoved = "park.job-moved"
    case releaseTokenTaken = "release.token-taken"
    case releaseEventWritten = "release.event-written"
    case releaseCompanionsMoved = "release.companions-moved"
    case releaseJobMoved = "release.job-moved"
}
