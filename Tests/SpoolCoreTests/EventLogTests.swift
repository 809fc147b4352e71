import Foundation
@testable import SpoolCore
import Testing
import TestSupport

@Suite(.ownThread) struct EventLogs {
    @Test func seqContinuesAcrossWritersAndSurvivesATornLine() throws {
        let spool = try makeSpool()
        let run = RunID.make(now: 1_800_000_000, host: "h")
        let path = spool.eventsFile(run, in: .running)
        let first = try EventLog(path: path, run: run, faults: Faults())
        #expect(try first.append(.queued) == 1)
        #expect(try first.append(.claimed, [("attempt", .int(1))]) == 2)
        // A torn write: half a line, no newline.
        let fd = try Sys.open(path, O_WRONLY | O_APPEND)
        try Sys.write(fd, Array(#"{"ts":"2026-"#.utf8), path: path)
        Sys.close(fd)
        let second = try EventLog(path: path, run: run, faults: Faults())
        #expect(second.lastSeq == 2)
        #expect(try second.append(.requeued) == 3)
        let events = try EventReader.read(path)
        #expect(events.map(\.seq) == [1, 2, 3])
        #expect(events.map(\.type) == ["queued", "claimed", "requeued"])
        let text = try String(contentsOfFile: path.display, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        #expect(text.split(separator: "\n").count == 4)
    }

    @Test func injectedDiskFullFailsAfterNWrites() throws {
        let spool = try makeSpool()
        let run = RunID.make(now: 1_800_000_000, host: "h")
        let log = try EventLog(path: spool.eventsFile(run, in: .running), run: run, faults: Faults(spec: "events.write=ENOSPC@1"))
        #expect(try log.append(.queued) == 1)
        #expect(throws: SysError.self) { try log.append(.claimed) }
        do { try log.append(.claimed) } catch { #expect(error.errno == ENOSPC) }
        #expect(log.lastSeq == 1)
    }

    @Test func faultSpecParses() {
        let f = Faults(spec: "crash@claim.renamed, lost-reply@claim,events.write=EIO@3")
        #expect(f.crashPoints == ["claim.renamed"])
        #expect(f.lostReply == ["claim"])
        #expect(f.eventWriteErrno == EIO)
        #expect(f.eventWritesBeforeFailure == 3)
    }
}
