import JobSpec
#if canImport(Glibc)
import Glibc
#endif

/// A spool directory and the names of everything in it. Run state is the folder that holds the
/// run's job file: `new/` queued, `cur/` claimed or running, `wait/` parked until its children finish,
/// `done/` finished.
public struct Spool: Sendable {
    public let root: FilePath
    public let tmp: FilePath
    public let new: FilePath
    public let cur: FilePath
    public let done: FilePath
    /// Runs parked by a `wait:` step, each with its condition (`RUN.wait`); no worker holds them.
    public let wait: FilePath
    public let control: FilePath
    public let workers: FilePath
    public let clockDir: FilePath
    /// One ledger folder per parent run: `children/PARENT/CHILD.yaml`, a hard link to each child's job file
    /// (see `Spooler.spawn`).
    public let children: FilePath

    public init(root: String) {
        self.root = FilePath(root)
        tmp = self.root.appending("tmp")
        new = self.root.appending("new")
        cur = self.root.appending("cur")
        done = self.root.appending("done")
        wait = self.root.appending("wait")
        control = self.root.appending("control")
        workers = self.root.appending("workers")
        clockDir = self.root.appending(".clock")
        children = self.root.appending("children")
    }

    public var configFile: FilePath { root.appending("config.yaml") }

    /// Creates the folders (and nothing else); running it on an existing spool is harmless.
    public func create() throws(SpoolError) {
        do {
            try Sys.mkdirs(root)
            for dir in [tmp, new, cur, done, wait, control, workers, clockDir, children] { try Sys.mkdir(dir) }
        } catch { throw .io(error, hint: "check that the spool's parent folder exists and is writable") }
    }

    /// Fails with a helpful message when `root` is not an initialised spool.
    public func check() throws(SpoolError) {
        for dir in [new, cur, done, tmp] {
            guard let st = try? Sys.stat(dir), st.isDirectory else {
                throw .notASpool(root.display)
            }
        }
        // control/, workers/, .clock/, children/ and wait/ arrived later than the four maildir folders: add them quietly.
        for dir in [control, workers, clockDir, children, wait] { try? Sys.mkdir(dir) }
    }

    /// Reads `config.yaml`; a missing file means defaults.
    public func loadConfig() throws(SpoolError) -> SpoolConfig {
        let bytes: [UInt8]
        do throws(SysError) { bytes = try Sys.readFile(configFile, limit: JobLoader.maxFileSize + 1) } catch {
            if error.errno == ENOENT { return SpoolConfig() }
            throw .io(error, hint: "make config.yaml readable or remove it")
        }
        do throws(JobError) { return try SpoolConfig.load(bytes, file: configFile.display) } catch { throw .invalidConfig(error) }
    }

    /// config.yaml's `workspace_roots:` for checking job files against this spool, or nil when the key is not set.
    /// A relative spool root is made absolute against the current folder, as the worker resolves workspaces.
    public func workspaceRoots(_ config: SpoolConfig) -> WorkspaceRoots? {
        guard let roots = config.workspaceRoots else { return nil }
        var absolute = root.display
        if !absolute.hasPrefix("/"), let cwd = getcwd(nil, 0) {
            defer { free(cwd) }
            absolute = String(cString: cwd) + "/" + absolute
        }
        return WorkspaceRoots(roots: roots, spoolRoot: absolute)
    }

    public func folder(_ state: RunState) -> FilePath {
        switch state {
        case .queued: new
        case .running: cur
        case .waiting: wait
        case .done: done
        }
    }

    // MARK: a run's files

    public func jobFile(_ run: RunID, in state: RunState) -> FilePath { folder(state).appending("\(run).yaml") }
    public func eventsFile(_ run: RunID, in state: RunState) -> FilePath { folder(state).appending("\(run).events.jsonl") }
    public func artifactsDir(_ run: RunID, in state: RunState) -> FilePath { folder(state).appending("\(run).artifacts") }
    public func leaseFile(_ run: RunID) -> FilePath { cur.appending("\(run).lease") }
    /// A parked run's condition; renamed to `wait/RUN.releasing.ACTOR` by the one actor that releases it.
    public func waitCondition(_ run: RunID) -> FilePath { wait.appending("\(run).wait") }
    public func releaseToken(_ run: RunID, actor: Actor) -> FilePath { wait.appending("\(run).releasing.\(actor.id)") }
    public func token(_ kind: TokenKind, _ run: RunID, actor: Actor) -> FilePath { cur.appending("\(run).\(kind.rawValue).\(actor.id)") }
    public func controlFile(_ run: RunID, _ kind: ControlKind) -> FilePath { control.appending("\(run).\(kind.rawValue)") }
    public func probeFile(_ actor: Actor) -> FilePath { clockDir.appending(actor.id) }
    public func workerFile(_ actor: Actor) -> FilePath { workers.appending("\(actor.id).json") }
    /// The spawn ledger of a parent run: one hard link per child it ever spawned.
    public func ledgerDir(_ parent: RunID) -> FilePath { children.appending(parent.rawValue) }
    public func ledgerEntry(_ parent: RunID, _ child: RunID) -> FilePath { ledgerDir(parent).appending("\(child).yaml") }
    /// Where a spawn stages its child's job file; the one rename out of here delivers the child.
    public func spawnStage(_ child: RunID) -> FilePath { tmp.appending("\(child).yaml") }
}

public enum RunState: String, Sendable, CaseIterable, Codable {
    case queued, running, waiting, done
}

/// A lease renamed to a token marks a run that one actor is moving out of `cur/`.
public enum TokenKind: String, Sendable, CaseIterable {
    case finishing, requeueing, parking
}

extension Spool {
    /// `RUN.lease`, `RUN.finishing.ACTOR` or `RUN.requeueing.ACTOR`: a claim or move in progress (or
    /// interrupted, until recovery finds it stale).
    public static func isTransitionLeftover(_ name: [UInt8]) -> Bool {
        RunFileName(name)?.isTransitionLeftover ?? false
    }
}

/// Control files in `control/`, written by the CLI (and later the HTTP API), read by the run's worker.
public enum ControlKind: String, Sendable, CaseIterable {
    case pause, stop
}
