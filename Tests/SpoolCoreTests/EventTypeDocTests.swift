import Foundation
@testable import SpoolCore
import Testing
import TestSupport

/// docs/events.md is the reference for event types: its tables and `EventType` must list the same types.
@Suite(.ownThread) struct EventTypeDoc {
    static let doc = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/events.md")

    /// The first cell of every table row that names a type: `| \`type\` | …`.
    static func documentedTypes() throws -> Set<String> {
        let text = try String(contentsOf: doc, encoding: .utf8)
        var types: Set<String> = []
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cell = line.dropFirst(3).prefix { $0 != "`" }
            types.insert(String(cell))
        }
        return types
    }

    @Test func everyDocumentedTypeIsInTheEnum() throws {
        let documented = try Self.documentedTypes()
        // The common-fields table uses the same form for fields; they are not types.
        let types = documented.subtracting(["ts", "seq", "run", "type"])
        let known = Set(EventType.allCases.map(\.rawValue))
        #expect(types.subtracting(known).isEmpty, "documented but not in EventType: \(types.subtracting(known).sorted())")
    }

    @Test func everyEnumCaseIsDocumented() throws {
        let documented = try Self.documentedTypes()
        let missing = EventType.allCases.map(\.rawValue).filter { !documented.contains($0) }
        #expect(missing.isEmpty, "in EventType but not in docs/events.md: \(missing)")
    }

    /// The console names the types it reads once, in js/events.js: each as `caseName: 'type'`, the same
    /// pairs as `EventType`.
    @Test func theConsoleNamesTheSameTypes() throws {
        let file = Self.doc.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/APIServer/Console/js/events.js")
        let text = try String(contentsOf: file, encoding: .utf8)
        var pairs: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[1].hasPrefix(" '"), parts[1].hasSuffix("',") else { continue }
            pairs[String(parts[0])] = String(parts[1].dropFirst(2).dropLast(2))
        }
        let expected = Dictionary(uniqueKeysWithValues: EventType.allCases.map { ("\($0)", $0.rawValue) })
        #expect(pairs == expected)
    }

    struct PinnedClock: WallClock { func now() -> Double { 1_800_000_000 } }

    /// The line on disk is exactly what the string form wrote before `EventType`: the raw value is the type.
    @Test func typedAppendWritesTheTypeStringOnDisk() throws {
        let spool = try makeSpool()
        let run = RunID.make(now: 1_800_000_000, host: "h")
        let path = spool.tmp.appending("a.jsonl")
        let log = try EventLog(path: path, run: run, clock: PinnedClock(), faults: Faults())
        try log.append(.stepStarted, [("step", .int(1))])
        let expected = #"{"ts":"2027-01-15T08:00:00.000Z","seq":1,"run":""# + run.rawValue
            + #"","type":"step.started","step":1}"# + "\n"
        #expect(try Sys.readFile(path) == Array(expected.utf8))
        #expect(try EventReader.read(path).first?.eventType == .stepStarted)
    }

    /// A type this binary does not know (a newer writer's) reads as an event without an `EventType`.
    @Test func anUnknownTypeReadsAsNoEventType() {
        let line = #"{"ts":"2027-01-15T08:00:00.000Z","seq":1,"run":"r","type":"some.future","x":1}"# + "\n"
        let events = EventReader.parse(Array(line.utf8))
        #expect(events.count == 1)
        #expect(events.first?.type == "some.future")
        #expect(events.first?.eventType == nil)
        #expect(events.first?.payload(EventType.StepStarted.self) == nil)
    }
}
