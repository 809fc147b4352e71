import Logging
import SpoolCore

extension Worker {
    /// Whether the spool folder this worker started on is still at its path (three `stat` calls, once a
    /// tick and before each rescan). Logs when it goes away and when it returns; on return it adds the
    /// inotify watch on `new/` again, which then triggers a rescan. Runs keep going meanwhile: their leases
    /// are renewed through their fds and no other worker can have taken them.
    func spoolIsHere(_ loop: inout LoopState, watcher: QueueWatcher) -> Bool {
        guard let home = spooler.home else { return true }
        let presence = spooler.spool.presence(of: home)
        guard presence != loop.spoolPresence else { return presence == .present }
        loop.spoolPresence = presence
        let root = spooler.spool.root.display
        switch presence {
        case .gone:
            logger.error("the spool folder \(root) went away (moved or unmounted); not claiming until it returns")
        case .replaced:
            logger.error("the spool folder \(root) is now a different folder (deleted and re-created, or another mount); not claiming: restart the worker to use it")
        case .present:
            logger.notice("the spool folder \(root) is back; watching new/ again")
            watcher.rewatch()
        }
        return presence == .present
    }
}
