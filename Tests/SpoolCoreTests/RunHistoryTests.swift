import Foundation
@testable import SpoolCore
import Testing
import TestSupport

/// The one fold over a run's events: what summaries, the catalog, recovery and the reaper read.
@Suite(.ownThread) struct RunHistories {
    static let run = "20261125T021530Z-h-0001"

    /// One event line as a worker writes it (seconds past a fixed minute for `ts`).
    static func event(_ seq: Int, _ type: EventType, _ fields: String = "", at second: Int? = nil) -> String {
        let ts = String(format: "2026-11-25T02:15:%02d.000Z", second ?? seq)
        return #"{"ts":"\#(ts)","seq":\#(seq),"run":"\#(run)","type":"\#(type.rawValue)""# + (fields.isEmpty ? "" : "," + fields) + "}\n"
    }

    static func fold(_ lines: [String]) -> RunHistory {
        let events = EventReader.parse(Array(lines.joined().utf8))
        #expect(events.count == lines.count, "every test line is one JSON event")
        return RunHistory(events)
    }

    @Test func aFreshRunHasOneClaimAndItsSteps() {
        let h = Self.fold([
            Self.event(1, .queued, #""name":"build.yaml","by":"cli@h""#),
            Self.event(2, .claimed, #""attempt":1,"worker":"w1@h","host":"h","pid":7"#),
            Self.event(3, .started, #""title":"Build","attempt":1,"steps":2,"priority":0,"labels":["ci"]"#),
            Self.event(4, .stepStarted, #""step":1,"name":"make","command":"make""#),
            Self.event(5, .stepOutput, #""step":1,"stream":"stdout","text":"ok\n""#),
            Self.event(6, .stepFinished, #""step":1,"name":"make","ok":true,"outcome":"exit 0""#),
        ])
        #expect(h.name == "build.yaml" && h.queuedAt == "2026-11-25T02:15:01.000Z")
        #expect(h.claims == 1 && h.attempt == 1 && h.worker == "w1@h")
        #expect(h.claim == EventType.Claimed(json: .object([("attempt", .int(1)), ("worker", .string("w1@h")),
                                                           ("host", .string("h")), ("pid", .int(7))])))
        #expect(h.title == "Build" && h.labels == ["ci"] && h.startedAt == "2026-11-25T02:15:03.000Z")
        #expect(h.steps.map(\.name) == ["make"] && h.steps.first?.ok == true && h.steps.first?.kind == "run")
        #expect(h.status == nil && h.lastSeq == 6 && h.count == 6 && h.lastClaimIndex == 1)
        #expect(!h.currentAttemptHas(.finished) && h.currentAttemptHas(.stepOutput))
    }

    @Test func aRequeuedRunCountsBothAttemptsAndKeepsOnlyTheCurrentSteps() {
        let lines = [
            Self.event(1, .queued, #""name":"x.yaml""#),
            Self.event(2, .claimed, #""attempt":1,"worker":"w1""#, at: 2),
            Self.event(3, .stepStarted, #""step":1,"name":"a","command":"true""#),
            Self.event(4, .requeued, #""reason":"lease-expired","next_attempt":2,"by":"w2""#),
            Self.event(5, .claimed, #""attempt":2,"worker":"w2""#, at: 10),
            Self.event(6, .stepStarted, #""step":1,"name":"a","command":"true""#),
        ]
        let h = Self.fold(lines)
        #expect(h.claims == 2 && h.attempt == 2 && h.worker == "w2")
        #expect(h.lastClaimIndex == 4 && h.steps.count == 1)
        #expect(!h.currentAttemptHas(.requeued), "the requeue belongs to the first attempt")
        #expect(h.firstClaimTime == Timestamp.parse("2026-11-25T02:15:02.000Z"))
        #expect(h.claimTime == Timestamp.parse("2026-11-25T02:15:10.000Z"))
        let events = EventReader.parse(Array(lines.joined().utf8))
        #expect(h.currentAttempt(of: events).map(\.seq) == [6])

        // Between the requeue and the next claim nobody holds the run.
        let waiting = Self.fold(Array(lines.prefix(4)))
        #expect(waiting.worker == nil && waiting.claims == 1 && waiting.currentAttemptHas(.requeued))
    }

    @Test func foldingInPiecesEqualsFoldingAtOnce() {
        let lines = [
            Self.event(1, .queued, #""name":"x.yaml""#),
            Self.event(2, .claimed, #""attempt":1,"worker":"w1""#),
            Self.event(3, .llmResponse, #""step":1,"turn":1,"usage":{"input":10,"output":2}"#),
            Self.event(4, .gitCommit, #""sha":"abc","branch":"agent/x","files":[]"#),
            Self.event(5, .finished, #""status":"succeeded","duration":1.5,"head":"abc""#),
        ]
        var pieces = RunHistory()
        for line in lines { pieces.apply(EventReader.parse(Array(line.utf8))) }
        #expect(pieces == Self.fold(lines))
        #expect(pieces.tokensInput == 10 && pieces.tokensOutput == 2 && pieces.head == "abc" && pieces.commits.count == 1)
    }

    @Test func retriedRunsLinkBothWays() {
        let old = Self.fold([
            Self.event(1, .queued, #""name":"x.yaml""#),
            Self.event(2, .claimed, #""attempt":1"#),
            Self.event(3, .finished, #""status":"failed","duration":2,"reason":"exit 1""#),
            Self.event(4, .retried, #""next":"20261125T021600Z-h-0002","by":"cli""#),
        ])
        #expect(old.next == "20261125T021600Z-h-0002" && old.status == .failed)
        let new = Self.fold([Self.event(1, .queued, #""name":"x.yaml","previous":"\#(Self.run)""#)])
        #expect(new.previous == Self.run && new.queued?.previous == Self.run && new.claims == 0)
    }

    @Test func finishedStatusesAndReasons() {
        for status in RunStatus.allCases {
            let h = Self.fold([
                Self.event(1, .claimed, #""attempt":1"#),
                Self.event(2, .paused, #""step":1"#),
                Self.event(3, .finished, #""status":"\#(status.rawValue)","duration":0.25,"reason":"why""#),
            ])
            #expect(h.status == status && h.duration == 0.25 && h.reason == "why" && !h.paused)
            #expect(h.finishedAt == "2026-11-25T02:15:03.000Z" && h.currentAttemptHas(.finished))
        }
        let rejected = Self.fold([
            Self.event(1, .claimed, #""attempt":1"#),
            Self.event(2, .rejected, #""file":"x.yaml","reason":"syntax","message":"line 3: expected a mapping""#),
            Self.event(3, .finished, #""status":"rejected","duration":0"#),
        ])
        #expect(rejected.status == .rejected && rejected.reason == "line 3: expected a mapping")
        // A new claim clears the last attempt's end.
        let again = Self.fold([Self.event(1, .finished, #""status":"failed""#), Self.event(2, .claimed, "")])
        #expect(again.status == nil && again.finishedAt == nil && again.attempt == 1)
    }

    @Test func unknownTypesAreSkippedButCounted() {
        let h = Self.fold([#"{"ts":"2026-11-25T02:15:01.000Z","seq":1,"run":"r","type":"subjob.spawned"}"# + "\n",
                           Self.event(2, .claimed, #""attempt":1"#)])
        #expect(h.lastSeq == 2)
        #expect(h.count == 2)
        #expect(h.lastClaimIndex == 1)
        #expect(h.claims == 1)
    }

    @Test func summaryIsAViewOfTheHistory() {
        let h = Self.fold([
            Self.event(1, .queued, #""name":"build.yaml""#),
            Self.event(2, .claimed, #""attempt":1,"worker":"w1""#),
            Self.event(3, .started, #""title":"Build""#),
        ])
        let s = RunSummary(id: Self.run, name: "\(Self.run).yaml", state: .running, history: h)
        #expect(s.name == "build.yaml" && s.title == "Build" && s.attempt == 1 && s.worker == "w1" && s.lastSeq == 3)
        #expect(s.labels == [] && s.status == nil)
    }
}
