import Foundation
import JSONCore
@testable import RunCatalog
import SpoolCore
import Testing
import TestSupport

/// The index the API lists from: built from the folders, then kept current from what changed.
@Suite("RunCatalog", .ownThread)
struct RunCatalogTests {
    final class Dir {
        let root: String
        let spool: Spool
        init() throws {
            root = NSTemporaryDirectory() + "ar-catalog-\(UUID().uuidString)"
            spool = Spool(root: root)
            try spool.create()
        }
        deinit { try? FileManager.default.removeItem(atPath: root) }

        func write(_ rel: String, _ text: String) throws {
            try text.write(toFile: root + "/" + rel, atomically: false, encoding: .utf8)
        }
        func append(_ rel: String, _ text: String) throws {
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/" + rel))
            try h.seekToEnd()
            try h.write(contentsOf: Data(text.utf8))
            try h.close()
        }
        func move(_ from: String, _ to: String) throws {
            try FileManager.default.moveItem(atPath: root + "/" + from, toPath: root + "/" + to)
        }
    }

    static let run = "20261125T091052535Z-48d7322361-host"

    static func event(_ seq: Int, _ type: String, _ extra: String = "") -> String {
        #"{"ts":"2026-11-25T09:10:5\#(seq % 10).000Z","seq":\#(seq),"run":"\#(run)","type":"\#(type)"\#(extra.isEmpty ? "" : "," + extra)}"# + "\n"
    }

    @Test func tailReadsOnlyCompleteLinesAndFollowsAMove() throws {
        let d = try Dir()
        try d.write("cur/x.events.jsonl", Self.event(1, "queued") + #"{"seq":2,"ty"#)
        var tail = EventTail()
        guard case .replaced(let first) = tail.read(d.spool.cur.appending("x.events.jsonl")) else { Issue.record("first read"); return }
        #expect(first.map(\.seq) == [1])
        try d.append("cur/x.events.jsonl", #"pe":"claimed"}"# + "\n")
        guard case .appended(let second) = tail.read(d.spool.cur.appending("x.events.jsonl")) else { Issue.record("second read"); return }
        #expect(second.map(\.type) == ["claimed"])
        // link + unlink (how the finish moves it) keeps the inode: reading goes on from the offset.
        try FileManager.default.linkItem(atPath: d.root + "/cur/x.events.jsonl", toPath: d.root + "/done/x.events.jsonl")
        try FileManager.default.removeItem(atPath: d.root + "/cur/x.events.jsonl")
        try d.append("done/x.events.jsonl", Self.event(3, "finished"))
        guard case .appended(let third) = tail.read(d.spool.done.appending("x.events.jsonl")) else { Issue.record("third read"); return }
        #expect(third.map(\.seq) == [3])
        // A different file under the same name is read again from the start.
        try d.write("done/x.events.jsonl", Self.event(1, "queued"))
        guard case .replaced(let again) = tail.read(d.spool.done.appending("x.events.jsonl")) else { Issue.record("replaced"); return }
        #expect(again.map(\.seq) == [1])
        #expect({ if case .missing = tail.read(d.spool.new.appending("none")) { true } else { false } }())
    }

    @Test func foldsAgentGitAndTokenEvents() throws {
        var r = RunRecord(summary: RunSummary(id: Self.run, name: "x.yaml", state: .running))
        let lines = [
            Self.event(1, "claimed", #""attempt":1,"worker":"w""#),
            Self.event(2, "step.started", #""step":1,"name":"write""#),
            Self.event(3, "agent.started", #""step":1,"provider":"anthropic","model":"claude""#),
            Self.event(4, "llm.response", #""step":1,"usage":{"input":100,"output":20}"#),
            Self.event(5, "llm.response", #""step":1,"usage":{"input":150,"output":30}"#),
            Self.event(6, "git.commit", #""sha":"abc","branch":"agent/x","step":1,"turn":1,"files":[{"path":"a","change":"added"}]"#),
            Self.event(7, "step.finished", #""step":1,"ok":true,"outcome":"done""#),
            Self.event(8, "finished", #""status":"succeeded","branch":"agent/x","head":"def""#),
        ]
        r.apply(EventReader.parse(Array(lines.joined().utf8)))
        #expect(r.provider == "anthropic" && r.model == "claude")
        #expect(r.tokens == 300 && r.tokensInput == 250)
        #expect(r.commits.map(\.sha) == ["abc"] && r.head == "def" && r.branch == "agent/x")
        #expect(r.steps.first?.kind == "agent" && r.steps.first?.ok == true)
        #expect(r.summary.status == .succeeded)
        #expect(r.json["tokens"]?.intValue == 300 && r.json["commits"]?.intValue == 1)
        #expect(r.detailJSON["commits"]?.arrayValue?.first?["files"]?.arrayValue?.count == 1)
    }

    @Test func followsRunsThroughTheFolders() throws {
        let d = try Dir()
        let id = Self.run
        try d.write("new/\(id).yaml", "title: hello\nlabels: [a]\nsteps:\n  - run: echo\n")
        try d.write("new/\(id).events.jsonl", Self.event(1, "queued", #""name":"hello.yaml""#))
        try d.write("new/dropped.yaml", "title: dropped\nsteps:\n  - run: echo\n")
        try d.write("new/.dropped.yaml.swp", "x")
        let catalog = RunCatalog(spool: d.spool)
        var all = catalog.list(RunCatalog.Query())
        #expect(all.total == 2)
        // A dropped file has no id until a worker claims it; it sorts on top.
        #expect(all.runs.first?.id == nil && all.runs.first?.summary.title == "dropped")
        let queued = try #require(catalog.record(RunID(id)!))
        #expect(queued.summary.title == "hello" && queued.summary.labels == ["a"] && queued.summary.name == "hello.yaml")

        // Claimed: events first, then the job (as the worker does); inotify tells the catalog.
        try d.move("new/\(id).events.jsonl", "cur/\(id).events.jsonl")
        try d.move("new/\(id).yaml", "cur/\(id).yaml")
        try d.append("cur/\(id).events.jsonl", Self.event(2, "claimed", #""attempt":1"#) + Self.event(3, "started", #""title":"hello""#))
        var q = RunCatalog.Query()
        q.states = [.running]
        all = catalog.list(q)
        #expect(all.runs.map(\.id) == [id])
        #expect(all.runs.first?.summary.lastSeq == 3)
        try d.write("control/\(id).pause", "")
        #expect(catalog.record(RunID(id)!)?.summary.paused == true)

        try d.append("cur/\(id).events.jsonl", Self.event(4, "finished", #""status":"failed","reason":"exit 1""#))
        try d.move("cur/\(id).events.jsonl", "done/\(id).events.jsonl")
        try d.move("cur/\(id).yaml", "done/\(id).yaml")
        try FileManager.default.removeItem(atPath: d.root + "/control/\(id).pause")
        q.states = [.done]
        q.statuses = [.failed]
        all = catalog.list(q)
        #expect(all.runs.first?.summary.reason == "exit 1")
        #expect(all.runs.first?.summary.paused == false)
        #expect(all.counts.first { $0.0 == "failed" }?.1 == 1)
        // The same events were not folded twice along the way.
        #expect(all.runs.first?.summary.attempt == 1)

        // Removed behind the catalog's back (and not seen by inotify): a rescan drops it.
        let noWatch = RunCatalog(spool: d.spool, watch: false)
        try FileManager.default.removeItem(atPath: d.root + "/new/dropped.yaml")
        #expect(noWatch.list(RunCatalog.Query()).total == 2)
        noWatch.rescan()
        #expect(noWatch.list(RunCatalog.Query()).total == 1)

        // A partial rescan (new/ and cur/ only) does not lose a run that moved to a folder it did not list.
        let other = "20261125T091053000Z-48d7322362-host"
        try d.write("cur/\(other).yaml", "steps:\n  - run: echo\n")
        noWatch.rescan([.queued, .running])
        #expect(noWatch.location(RunID(other)!) == .running)
        try d.move("cur/\(other).yaml", "done/\(other).yaml")
        noWatch.rescan([.queued, .running])
        #expect(noWatch.location(RunID(other)!) == .done)
        #expect(noWatch.list(RunCatalog.Query()).total == 2)
    }

    @Test func filtersAndPages() throws {
        let d = try Dir()
        for i in 0..<30 {
            let id = String(format: "20261125T0910%02d000Z-00000000%02d-host", i, i)
            try d.write("done/\(id).yaml", "steps:\n  - run: echo\n")
            let status = i % 3 == 0 ? "failed" : "succeeded"
            try d.write("done/\(id).events.jsonl", Self.event(1, "started", #""title":"job \#(i)","labels":["l\#(i % 2)"]"#)
                            + Self.event(2, "finished", #""status":"\#(status)""#))
        }
        let catalog = RunCatalog(spool: d.spool, watch: false)
        var q = RunCatalog.Query()
        q.limit = 10
        q.offset = 25
        let page = catalog.list(q)
        #expect(page.total == 30 && page.runs.count == 5)
        #expect(page.runs.last?.summary.title == "job 0")  // newest first: the oldest is last
        q = RunCatalog.Query()
        q.statuses = [.failed]
        q.labels = ["l1"]
        #expect(catalog.list(q).total == 5)  // i = 3, 9, 15, 21, 27
        q = RunCatalog.Query()
        q.text = "JOB 1"
        #expect(catalog.list(q).total == 11)  // 1, 10…19
    }

    @Test func changeSignalWakesWaitersAndNeverMissesAnEarlierSignal() async throws {
        let signal = ChangeSignal()
        let seen = signal.generation("a")
        // Signalled after the reader looked but before it waits: the wait returns at once.
        signal.signal(["a"])
        let start = ContinuousClock.now
        await signal.wait(for: "a", seen: seen, timeout: 30)
        #expect(ContinuousClock.now - start < .seconds(10))
        // A wait for a key that is not signalled ends at its timeout; one that is, when signalled.
        let gen = signal.generation("a")
        let waiter = Task { await signal.wait(for: "a", seen: gen, timeout: 30) }
        try await Task.sleep(for: .milliseconds(50))
        signal.signal(["b"])
        signal.signal(["a"])
        let woke = ContinuousClock.now
        await waiter.value
        #expect(ContinuousClock.now - woke < .seconds(10))
        let timed = ContinuousClock.now
        await signal.wait(for: "c", seen: signal.generation("c"), timeout: 0.2)
        #expect(ContinuousClock.now - timed >= .milliseconds(150))
    }

    @Test func artifactPathComponents() throws {
        #expect(try ArtifactStore.components(rawPath: "a/b%20c.txt") == ["a", "b c.txt"])
        for bad in ["", "../x", "a/../b", "a//b", "a/", ".", "%2e%2E", "a%2Fb", "a%5Cb", "a%00", "%zz", "%e2%28"] {
            #expect(throws: ArtifactError.self, "\(bad)") { try ArtifactStore.components(rawPath: Substring(bad)) }
        }
    }
}
