import Foundation
@testable import SpoolCore
import Testing

/// docs/events.md is the reference for event types: its tables and `EventType` must list the same types.
@Suite struct EventTypeDoc {
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

    struct PinnedClock: WallClock { func now() -> Double { 1_800_000_000 } }

    @Test func typedAppendWritesTheSameLineAsTheString() throws {
        let spool = try makeSpool()
        let run = RunID.make(now: 1_800_000_000, host: "h")
        let a = try EventLog(path: spool.tmp.appending("a.jsonl"), run: run, clock: PinnedClock(), faults: Faults())
        let b = try EventLog(path: spool.tmp.appending("b.jsonl"), run: run, clock: PinnedClock(), faults: Faults())
        try a.append(.stepStarted, [("step", .int(1))])
        try b.append("step.started", [("step", .int(1))])
        #expect(try Sys.readFile(spool.tmp.appending("a.jsonl")) == Sys.readFile(spool.tmp.appending("b.jsonl")))
        #expect(try EventReader.read(spool.tmp.appending("a.jsonl")).first?.eventType == .stepStarted)
    }
}
