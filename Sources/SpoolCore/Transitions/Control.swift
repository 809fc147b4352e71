/// What the CLI and the HTTP API can ask of a run. Both go through here, so they write the same control
/// files and refuse the same things.
public enum ControlAction: String, Sendable, CaseIterable {
    case pause, resume, stop, retry
}

public enum ControlOutcome: Sendable, Equatable {
    /// A control file was written (or removed); the run's worker acts within a fraction of a second.
    case requested(RunID)
    /// A queued run was claimed here and finished as stopped without running.
    case stoppedQueued(RunID)
    /// A finished run was queued again as this new run.
    case retried(RunID)
}

extension Spooler {
    /// Carries out `action` on a run named as the CLI or API named it.
    public func control(_ action: ControlAction, _ ref: RunIndex.Reference) throws(SpoolError) -> ControlOutcome {
        switch (action, ref) {
        case (.pause, .run(let id, .running)), (.resume, .run(let id, .running)):
            try setControl(.pause, id, on: action == .pause)
            return .requested(id)
        case (.pause, .run(let id, let state)), (.resume, .run(let id, let state)):
            throw .wrongState(run: id.rawValue, state: state, wanted: "only running runs can be \(action == .pause ? "paused" : "resumed")")
        case (.pause, .queuedFile(let name)), (.resume, .queuedFile(let name)):
            throw .wrongState(run: FilePath(bytes: name).display, state: .queued,
                              wanted: "only running runs can be \(action == .pause ? "paused" : "resumed")")

        case (.stop, .run(let id, .running)):
            try setControl(.stop, id, on: true)
            stopChildren(of: id)
            return .requested(id)
        case (.stop, .run(let id, .waiting)):
            // Marked, then released at once: the worker that claims it sees the mark and finishes it as stopped.
            try setControl(.stop, id, on: true)
            stopChildren(of: id)
            return .requested(id)
        case (.stop, .run(let id, .done)):
            throw .wrongState(run: id.rawValue, state: .done, wanted: "it has already finished")
        case (.stop, .run(let id, .queued)):
            return try stopQueued(Array("\(id).yaml".utf8))
        case (.stop, .queuedFile(let name)):
            return try stopQueued(name)

        case (.retry, .run(let id, .done)):
            return .retried(try retry(id))
        case (.retry, .run(let id, let state)):
            throw .wrongState(run: id.rawValue, state: state, wanted: "only finished runs can be retried")
        case (.retry, .queuedFile(let name)):
            throw .wrongState(run: FilePath(bytes: name).display, state: .queued, wanted: "it has not run yet, so there is nothing to retry")
        }
    }

    /// Stopping a parent stops the children it spawned that have not finished, and theirs: running ones
    /// get their stop file, queued ones are finished as stopped here, parked ones are marked and released.
    /// Best effort per child (one that finishes meanwhile is left as it ended); the ledger says who they are.
    func stopChildren(of parent: RunID, depth: Int = 0) {
        guard depth < 16 else { return }
        // Queued ones first: once a running child stops, its worker's free slot would claim the next one.
        let kids = children(of: parent).map { ($0, spool.state(of: $0)) }
        for (child, state) in kids.filter({ $0.1 == .queued }) + kids.filter({ $0.1 != .queued }) {
            switch state {
            case .running?, .waiting?: try? setControl(.stop, child, on: true)
            case .queued?:
                // A worker that claims it first sees the mark instead.
                if (try? stopQueued(Array("\(child).yaml".utf8))) == nil { try? setControl(.stop, child, on: true) }
            // Committed but not delivered yet: the mark is there when recovery delivers it and a worker claims it.
            case nil: try? setControl(.stop, child, on: true)
            // Finished itself, but its own children may still run.
            case .done?: break
            }
            stopChildren(of: child, depth: depth + 1)
        }
        if depth == 0 { releaseReady() }
    }

    /// Claims the queued job like a worker would, so no worker can start it meanwhile, and finishes it as stopped.
    func stopQueued(_ name: [UInt8]) throws(SpoolError) -> ControlOutcome {
        guard let owned = try claim(name: name) else {
            throw .wrongState(run: FilePath(bytes: name).display, state: .running,
                              wanted: "a worker claimed it just now; stop it again by its run id")
        }
        _ = try finish(owned, status: .stopped, fields: [("reason", .string("stopped while queued"))])
        return .stoppedQueued(owned.id)
    }
}
