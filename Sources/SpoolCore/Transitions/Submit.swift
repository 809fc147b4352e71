#if canImport(Glibc)
import Glibc
#endif

extension Spooler {
    /// Queues a job that the caller has already validated, under a run id assigned now, so the caller
    /// can print the id and follow the run at once.
    ///
    /// 1. append `queued` to `new/RUN.events.jsonl` (a file no worker mistakes for a job).
    /// 2. write `tmp/RUN.yaml`, `fsync` it.
    /// 3. `rename(tmp/RUN.yaml, new/RUN.yaml)` — the job appears in the queue whole, never half-written.
    /// 4. `fsync(new/)` (`durability: fsync`).
    /// A crash before step 3 leaves an events file with no job (ignored) and perhaps a file in `tmp/`.
    public func submit(_ bytes: [UInt8], name: [UInt8], previous: RunID? = nil) throws(SpoolError) -> RunID {
        let run = RunID.make(now: clock.now(), host: actor.host)
        do throws(SysError) {
            let log = try EventLog(path: spool.eventsFile(run, in: .queued), run: run, clock: clock, faults: faults)
            var fields = JSON.nameFields("name", name) + [("by", .string(actor.id))]
            if let previous { fields.append(("previous", .string(previous.rawValue))) }
            try log.append(.queued, fields)
            try syncIfDurable(log)
            let staged = spool.tmp.appending("\(run).yaml")
            try writeStaged(bytes, at: staged)
            try Sys.rename(staged, spool.jobFile(run, in: .queued))
        } catch {
            unlinkIfPresent(spool.eventsFile(run, in: .queued))
            throw .io(error, hint: "check that the spool is writable and has free space")
        }
        // A submit that reported a run id must not be undone by a power cut. The job is queued already, so
        // a failure here keeps its files and says so (submitting again would queue it twice).
        do throws(SysError) { try syncFolderIfDurable(.queued) } catch {
            throw .io(error, hint: "the job is queued as \(run), but new/ could not be synced to disk: check the spool's disk before relying on it")
        }
        return run
    }

    /// A new file in `tmp/` (`O_EXCL`) with `bytes`, `fsync`ed (`durability: fsync`), ready to be renamed or
    /// linked into place; nothing is left behind when a step fails.
    func writeStaged(_ bytes: [UInt8], at staged: FilePath) throws(SysError) {
        let fd = try Sys.open(staged, O_WRONLY | O_CREAT | O_EXCL)
        do throws(SysError) {
            try Sys.write(fd, bytes, path: staged)
            if durability == .fsync { try Sys.fsync(fd, path: staged) }
            Sys.close(fd)
        } catch {
            Sys.close(fd)
            unlinkIfPresent(staged)
            throw error
        }
    }

    /// Sends a finished run back to the queue as a new run whose `queued` event links to it
    /// (`previous`), and appends a `retried` event to the old run that names the new one.
    public func retry(_ run: RunID) throws(SpoolError) -> RunID {
        let job = spool.jobFile(run, in: .done)
        let bytes: [UInt8]
        do throws(SysError) { bytes = try Sys.readFile(job, limit: 1 << 21) } catch {
            throw .io(error, hint: "only finished runs (in done/) can be retried")
        }
        let history = RunHistory.read(spool.eventsFile(run, in: .done))
        let name = history.queued?.name.map { Array($0.utf8) } ?? Array("\(run).yaml".utf8)
        let next = try submit(bytes, name: name, previous: run)
        if let log = try? EventLog(path: spool.eventsFile(run, in: .done), run: run, clock: clock, faults: faults) {
            _ = try? log.append(.retried, [("next", .string(next.rawValue)), ("by", .string(actor.id))])
        }
        return next
    }

    /// Writes (`O_CREAT`) or removes a control file; the run's worker polls `control/` and acts.
    public func setControl(_ kind: ControlKind, _ run: RunID, on: Bool) throws(SpoolError) {
        let path = spool.controlFile(run, kind)
        do throws(SysError) {
            if on {
                let body = JSON.object([("by", .string(actor.id)), ("at", .string(Timestamp.rfc3339(clock.now())))]).encoded() + [0x0A]
                try Sys.writeFile(path, body)
            } else {
                do throws(SysError) { try Sys.unlink(path) } catch where error.errno == ENOENT {}
            }
        } catch {
            throw .io(error, hint: "the spool's control/ folder must be writable")
        }
    }

    /// Which control files exist for a run: two `stat` calls, cheap enough to poll.
    public func controls(_ run: RunID) -> (pause: Bool, stop: Bool) {
        ((try? Sys.lstat(spool.controlFile(run, .pause))) != nil, (try? Sys.lstat(spool.controlFile(run, .stop))) != nil)
    }
}
