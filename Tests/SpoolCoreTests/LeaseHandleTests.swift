import Foundation
@testable import SpoolCore
import Testing
import TestSupport

/// The lease's fd has one owner (`LeaseHandle`): it closes with the run, and on every way out of a claim.
@Suite(.ownThread) struct LeaseHandleTests {
    /// How many of this process's fds are open on the file with `inode` (read through /proc, so the fds other
    /// tests open at the same time are not counted).
    func openFDs(on inode: UInt64) -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { fd in
            var st = stat()
            return stat("/proc/self/fd/\(fd)", &st) == 0 && UInt64(st.st_ino) == inode
        }.count
    }

    @Test func aRunsLeaseFDClosesWhenTheLastReferenceToTheRunGoes() throws {
        let spool = try makeSpool()
        try drop(spool, "job.yaml")
        let s = spooler(spool)
        var run: OwnedRun? = try #require(try s.claim(name: Array("job.yaml".utf8)))
        let inode = try #require(run?.leaseInode)
        #expect(openFDs(on: inode) == 1)
        #expect(s.heartbeat(run!))
        run = nil
        #expect(openFDs(on: inode) == 0)
    }

    @Test func aClaimThatCannotWriteItsEventsClosesTheLeaseFDAndKeepsTheLeaseFile() throws {
        let spool = try makeSpool()
        try drop(spool, "job.yaml")
        let s = spooler(spool)
        let first = try #require(try s.claim(name: Array("job.yaml".utf8)))
        let id = first.id
        #expect(try s.requeue(first, reason: .leaseExpired))
        // A folder where the events file should be: the companion moves to cur/, then the log cannot open.
        let events = spool.eventsFile(id, in: .queued).display
        try FileManager.default.removeItem(atPath: events)
        try FileManager.default.createDirectory(atPath: events, withIntermediateDirectories: false)
        #expect(throws: SpoolError.self) { try s.claim(name: Array("\(id).yaml".utf8)) }
        let lease = try #require(try? Sys.lstat(spool.leaseFile(id)), "the lease stays, so the run is requeued once stale")
        #expect(openFDs(on: lease.inode) == 0)
    }
}
