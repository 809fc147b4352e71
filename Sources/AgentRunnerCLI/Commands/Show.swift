import ArgumentParser
import Foundation
import SpoolCore

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one run: its summary, job file, artifacts and where its files are.")

    @OptionGroup var spool: SpoolOption
    @Argument(help: "A run id (or a unique prefix), or the file name of a queued job.")
    var target: String
    @Flag(help: "Print JSON.")
    var json = false

    struct Details: Encodable {
        var summary: RunSummary
        var job: String?
        var files: [String: String]
        var artifacts: [String]
    }

    func run() throws {
        let s = try spool.open()
        let index = RunIndex(spool: s)
        switch try index.resolve(target) {
        case .queuedFile(let name):
            let path = s.new.appending(bytes: name)
            let job = (try? Sys.readFile(path, limit: 1 << 20)).map { String(decoding: $0, as: UTF8.self) }
            let d = Details(summary: RunSummary(id: nil, name: path.lastComponent.isEmpty ? target : FilePath(bytes: name).display, state: .queued),
                            job: job, files: ["job": path.display], artifacts: [])
            try output(d)
        case .run(let id, let state):
            let summary = index.summary(id, state: state)
            let jobPath = s.jobFile(id, in: state)
            let job = (try? Sys.readFile(jobPath, limit: 1 << 20)).map { String(decoding: $0, as: UTF8.self) }
            var files = ["job": jobPath.display]
            if let e = index.eventsPath(id) { files["events"] = e.display }
            var artifacts: [String] = []
            for st in RunState.allCases {
                let dir = s.artifactsDir(id, in: st)
                guard (try? Sys.stat(dir))?.isDirectory == true else { continue }
                if let list = FileManager.default.enumerator(atPath: dir.display) {
                    files["artifacts"] = dir.display
                    while let item = list.nextObject() as? String {
                        var isDir: ObjCBool = false
                        if FileManager.default.fileExists(atPath: dir.display + "/" + item, isDirectory: &isDir), !isDir.boolValue {
                            artifacts.append(item)
                        }
                    }
                }
            }
            try output(Details(summary: summary, job: job, files: files, artifacts: artifacts.sorted()))
        }
    }

    func output(_ d: Details) throws {
        if json { try printJSON(d); return }
        let r = d.summary
        print("run:       \(r.id ?? "(not claimed yet)")")
        print("name:      \(r.name)")
        if let t = r.title { print("title:     \(t)") }
        print("state:     \(r.state.rawValue)\(r.paused ? " (paused)" : "")")
        if let st = r.status { print("status:    \(st.rawValue)") }
        if r.attempt > 0 { print("attempt:   \(r.attempt)") }
        if let w = r.worker { print("worker:    \(w)") }
        if let q = r.queuedAt { print("queued:    \(q)") }
        if let st = r.startedAt { print("started:   \(st)") }
        if let f = r.finishedAt { print("finished:  \(f)") }
        if let du = r.duration { print("duration:  \(formatDuration(du))") }
        if let why = r.reason { print("reason:    \(why)") }
        if let p = r.previous { print("previous:  \(p)") }
        if let n = r.next { print("retried as: \(n)") }
        if !r.labels.isEmpty { print("labels:    \(r.labels.joined(separator: ", "))") }
        for (k, v) in d.files.sorted(by: { $0.key < $1.key }) { print("\(k):".padding(toLength: 11, withPad: " ", startingAt: 0) + v) }
        if !d.artifacts.isEmpty { print("artifacts: \(d.artifacts.joined(separator: "\n           "))") }
        if let job = d.job { print("--- job"); print(job, terminator: job.hasSuffix("\n") ? "" : "\n") }
    }
}
