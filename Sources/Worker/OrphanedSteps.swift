import SpoolCore
#if canImport(Glibc)
import Glibc
#endif

/// The worker's part of taking over a stale run: the dead owner's step (its process group, recorded in the
/// lease) must not run on beside the next attempt. With the step supervisor the tree normally died with its
/// worker already; this is the fallback for a supervisor that was killed too.
public enum OrphanedSteps {
    /// A takeover hook for `Spooler.onTakeover` that SIGKILLs the recorded group when it ran on `host` and
    /// its leader is still that very process (same pid, same start time). A reaper on another host cannot
    /// reach the process.
    public static func killer(host: String) -> @Sendable (RunID, StepProcessRecord?) -> Void {
        { _, record in
            guard let record, record.host == host, ProcessStart.of(pid: record.pgid) == record.start else { return }
            _ = kill(-record.pgid, SIGKILL)
        }
    }
}
