import Foundation
import Testing
import TestSupport
import JobSpec

/// docs/job.schema.json and the loader must describe the same schema.
@Suite(.ownThread) struct SchemaDocumentTests {
    static let schemaURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/job.schema.json")

    func schema() throws -> [String: Any] {
        let data = try Data(contentsOf: Self.schemaURL)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func properties(_ object: [String: Any]) throws -> [String: [String: Any]] {
        try #require(object["properties"] as? [String: [String: Any]])
    }

    func stepSchema(_ root: [String: Any]) throws -> [String: Any] {
        let defs = try #require(root["$defs"] as? [String: Any])
        return try #require(defs["step"] as? [String: Any])
    }

    /// JSON is YAML: an example value can be written straight into a job file.
    func yaml(_ value: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    @Test func topLevelKeysMatch() throws {
        let root = try schema()
        #expect(Set(try properties(root).keys) == Set(JobSchema.jobKeys))
        #expect(root["additionalProperties"] as? Bool == false)
        // steps, agent or prompt: exactly one of them.
        let anyOf = try #require(root["anyOf"] as? [[String: Any]])
        #expect(Set(anyOf.compactMap { ($0["required"] as? [String])?.first }) == ["steps", "agent", "prompt"])
        #expect(root["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        #expect(root["$id"] is String)
    }

    @Test func stepKeysMatch() throws {
        let step = try stepSchema(try schema())
        #expect(Set(try properties(step).keys) == Set(JobSchema.stepKeys))
        #expect(step["additionalProperties"] as? Bool == false)
        let oneOf = try #require(step["oneOf"] as? [[String: Any]])
        #expect(Set(oneOf.compactMap { ($0["required"] as? [String])?.first }) == ["run", "agent", "wait"])
    }

    @Test func reservedKeysAreNotInTheSchema() throws {
        let root = try schema()
        #expect(Set(try properties(root).keys).isDisjoint(with: JobSchema.reservedJobKeys))
        #expect(Set(try properties(try stepSchema(root)).keys).isDisjoint(with: JobSchema.reservedStepKeys))
    }

    @Test func everyTopLevelExampleLoads() throws {
        for (key, property) in try properties(try schema()) {
            let examples = try #require(property["examples"] as? [Any], "\(key) has no examples")
            for example in examples {
                var text = "\(key): \(try yaml(example))\n"
                if !["steps", "agent", "prompt"].contains(key) { text += "steps: []\n" }
                #expect(jobError(text) == nil, "\(key): \(text)")
            }
        }
    }

    @Test func everyStepExampleLoads() throws {
        for (key, property) in try properties(try stepSchema(try schema())) {
            let examples = try #require(property["examples"] as? [Any], "step \(key) has no examples")
            for example in examples {
                var step: [String: Any] = ["agent", "wait"].contains(key) ? [:] : ["run": "true"]
                step[key] = example
                let text = "steps:\n  - \(try yaml(step))\n"
                #expect(jobError(text) == nil, "step \(key): \(text)")
            }
        }
    }

    @Test func durationPatternMatchesTheParser() throws {
        let defs = try #require(try schema()["$defs"] as? [String: Any])
        let duration = try #require(defs["duration"] as? [String: Any])
        let variants = try #require(duration["oneOf"] as? [[String: Any]])
        let patterns = variants.compactMap { $0["pattern"] as? String }
        #expect(patterns == [DurationParser.pattern])
        let regex = try Regex(DurationParser.pattern)
        for text in ["500ms", "30s", "5m", "1h30m", "2h", "1.5h", "1m30s"] {
            #expect(text.wholeMatch(of: regex) != nil, "\(text)")
            #expect(DurationParser.seconds(text) != nil, "\(text)")
        }
        for text in ["", "5", "30sec", "1m1h", "5 m", ".5s"] {
            #expect(text.wholeMatch(of: regex) == nil, "\(text)")
            #expect(DurationParser.seconds(text) == nil, "\(text)")
        }
    }

    @Test func rangesMatch() throws {
        let props = try properties(try schema())
        #expect(props["priority"]?["minimum"] as? Int == JobSchema.priorityRange.lowerBound)
        #expect(props["priority"]?["maximum"] as? Int == JobSchema.priorityRange.upperBound)
        #expect(props["max_attempts"]?["minimum"] as? Int == JobSchema.maxAttemptsRange.lowerBound)
        #expect(props["max_attempts"]?["maximum"] as? Int == JobSchema.maxAttemptsRange.upperBound)
    }

    /// The loader accepts absolute workspaces, so the schema must not refuse them (editors would flag valid jobs).
    @Test func schemaAcceptsWhatTheLoaderAcceptsForWorkspace() throws {
        let workspace = try #require(try properties(try schema())["workspace"])
        #expect(workspace["not"] == nil && workspace["pattern"] == nil)
        let examples = try #require(workspace["examples"] as? [String])
        #expect(examples.contains { $0.hasPrefix("/") } && examples.contains { !$0.hasPrefix("/") })
    }
}
