import Foundation
@testable import SpoolCore
import Testing
import TestSupport

@Suite(.ownThread) struct Transitions {
    @Test func claimMovesTheJobAndOnlyOneClaimWins() throws {
        let spool = try makeSpool()
        try drop(spool, "job.yaml")
        let a = spooler(spool, host: "a"), b = spooler(spool, host: "b")
        let run = try #require(try a.claim(name: Array("job.yaml".utf8)))
        #expect(try b.claim(name: Array("job.yaml".utf8)) == nil)
        #expect(files(spool.new).isEmpty)
        #expect(files(spool.cur) == ["\(run.id).events.jsonl", "\(run.id).lease", "\(run.id).yaml"])
        #expect(run.displayName == "job.yaml")
        let types = try EventReader.read(spool.eventsFile(run.id, in: .running)).map(\.type)
        #expect(types == ["queued", "claimed"])
        #expect(a.owns(run))
        #expect(try a.finish(run, status: .succeeded))
        #expect(files(spool.cur).isEmpty)
        #expect(files(spool.done) == ["\(run.id).events.jsonl", "\(run.id).yaml"])
    }

    @Test func lostReplyOnClaimStillWins() throws {
        let spool = try makeSpool()
        try drop(spool, "job.yaml")
        let s = spooler(spool, faults: Faults(spec: "lost-reply@claim"))
        let run = try #require(try s.claim(name: Array("job.yaml".utf8)), "ENOENT with our target present means we won")
        #expect(s.owns(run))
        #expect(files(spool.new).isEmpty)
    }

    @Test func symlinksFIFOsAndFoldersAreNeverClaimed() throws {
        let spool = try makeSpool()
        let target = spool.root.appending("real.yaml").display
        try "steps: []\n".write(toFile: target, atomically: true, encoding: .utf8)
        #expect(symlink(target, spool.new.appending("link.yaml").display) == 0)
        #expect(mkfifo(spool.new.appending("fifo.yaml").display, 0o644) == 0)
        #expect(mkdir(spool.new.appending("dir.yaml").display, 0o755) == 0)
        let s = spooler(spool)
        for name in ["link.yaml", "fifo.yaml", "dir.yaml"] { #expect(try s.claim(name: Array(name.utf8)) == nil) }
        #expect(files(spool.cur).isEmpty)
    }

    @Test func aStaleLeaseIsReapedAndTheOwnerCannotFinish() throws {
        let spool = try makeSpool()
        try drop(spool, "job.yaml")
        let clock = ManualFSClock()
        let owner = spooler(spool, clock: clock, lease: 5, host: "owner")
        let run = try #require(try owner.claim(name: Array("job.yaml".utf8)))
        let reaper = spooler(spool, clock: clock, lease: 5, host: "reaper")
        #expect(reaper.recover().requeued.isEmpty, "a fresh lease is left alone")
        clock.advance(10)
        let report = reaper.recover()
        #expect(report.requeued == [run.id])
        #expect(files(spool.new).contains("\(run.id).yaml"))
        #expect(!owner.owns(run))
        #expect(!owner.heartbeat(run))
        #expect(try owner.finish(run, status: .succeeded) == false, "an orphan cannot mark the run done")
        #expect(files(spool.done).isEmpty)
        // The requeued run keeps its id and counts the attempt.
        let again = try #require(try reaper.claim(name: Array("\(run.id).yaml".utf8)))
        #expect(again.id == run.id && again.attempt == 2)
        #expect(again.displayName == "job.yaml")
        let types = try EventReader.read(spool.eventsFile(run.id, in: .running)).map(\.type)
        #expect(types == ["queued", "claimed", "requeued", "claimed"])
    }

    @Test func crashedFinishIsRolledForwardWithTheRecordedStatus() throws {
        let spool = try makeSpool()
        try drop(spool, "job.yaml")
        let clock = ManualFSClock()
        let owner = spooler(spool, clock: clock, lease: 5, host: "owner")
        let run = try #require(try owner.claim(name: Array("job.yaml".utf8)))
        // What finish leaves after its steps 0 and 1, when the process dies there.
        owner.recordIntent(run, status: .stopped, fields: [("reason", .string("stopped during step 1"))])
        let token = spool.token(.finishing, run.id, actor: owner.actor)
        try Sys.rename(spool.leaseFile(run.id), token)
        let rescuer = spooler(spool, clock: clock, lease: 5, host: "rescuer")
        #expect(rescuer.recover().rolledForward.isEmpty, "a fresh token is left alone")
        clock.advance(10)
        #expect(rescuer.recover().rolledForward == [run.id])
        #expect(files(spool.cur).isEmpty)
        let last = try #require(try EventReader.read(spool.eventsFile(run.id, in: .done)).last)
        #expect(last.type == "finished")
        #expect(last["status"]?.stringValue == "stopped")
        #expect(last["reason"]?.stringValue == "stopped during step 1")
    }

    @Test func submitStagesThroughTmpAndRetryLinksRuns() throws {
        let spool = try makeSpool()
        let s = spooler(spool)
        let run = try s.submit(Array("steps: []\n".utf8), name: Array("mine.yaml".utf8))
        #expect(files(spool.tmp).isEmpty)
        #expect(files(spool.new) == ["\(run).events.jsonl", "\(run).yaml"])
        let owned = try #require(try s.claim(name: Array("\(run).yaml".utf8)))
        #expect(owned.displayName == "mine.yaml")
        #expect(try s.finish(owned, status: .failed))
        let next = try s.retry(run)
        #expect(next != run)
        #expect(try EventReader.read(spool.eventsFile(next, in: .queued)).first?["previous"]?.stringValue == run.rawValue)
        #expect(try EventReader.read(spool.eventsFile(run, in: .done)).last?["next"]?.stringValue == next.rawValue)
    }
}
