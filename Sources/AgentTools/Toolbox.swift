import Foundation
import JobSpec
import JSONCore

/// What a tool call produced. `content` is what the model sees (capped); `full` is the whole output when it was
/// cut, for the run's artifacts.
public struct ToolOutput: Sendable {
    public var content: String
    public var isError: Bool
    public var full: String?

    public init(content: String, isError: Bool = false, full: String? = nil) {
        self.content = content
        self.isError = isError
        self.full = full
    }

    static func error(_ message: String) -> ToolOutput { ToolOutput(content: message, isError: true) }
}

/// Where and how tools run for one agent step.
public struct ToolContext: Sendable {
    public var jail: WorkspaceJail
    /// Folder for shell outputs (the run's artifacts).
    public var artifacts: String
    /// Environment for `shell`, already without API keys.
    public var environment: [String: String]
    public var outputCap: Int
    public var shellTimeout: Double
    public var killGrace: Double

    public init(workspace: String, artifacts: String, environment: [String: String], outputCap: Int = 32768,
                shellTimeout: Double = 300, killGrace: Double = 5) {
        self.jail = WorkspaceJail(root: workspace)
        self.artifacts = artifacts
        self.environment = environment
        self.outputCap = outputCap
        self.shellTimeout = shellTimeout
        self.killGrace = killGrace
    }
}

/// The tool set: definitions for the model, and dispatch of its calls.
public enum Toolbox {
    /// A tool-call id made safe for an artifact file name (provider ids may hold any character).
    public static func fileNamePart(_ id: String) -> String {
        String(id.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
    }

    /// Every tool's name.
    public static var names: [String] { catalog.map(\.name) }

    public static func definitions(_ names: [String]) -> [(name: String, description: String, parameters: JSON)] {
        names.compactMap { n in catalog.first { $0.name == n } }
    }

    /// Runs one call. Unknown tools, bad arguments and refusals come back as error outputs the model can read.
    public static func call(_ name: String, arguments: JSON, allowed: [String], context: ToolContext,
                            callID: String) async -> ToolOutput {
        guard allowed.contains(name) else {
            return .error("unknown tool \"\(name)\"; available: \(allowed.joined(separator: ", "))")
        }
        guard case .object = arguments else { return .error("the arguments must be a JSON object") }
        do {
            switch name {
            case "read_file": return try FileTools.read(arguments, context)
            case "write_file": return try FileTools.write(arguments, context)
            case "edit_file": return try FileTools.edit(arguments, context)
            case "list_files": return try SearchTools.list(arguments, context)
            case "grep": return try SearchTools.grep(arguments, context)
            case "shell": return try await ShellTool.run(arguments, context, callID: callID)
            case "fetch_url": return try await FetchTool.fetch(arguments, context)
            default: return .error("tool \"\(name)\" is not implemented")
            }
        } catch let r as WorkspaceJail.Refusal {
            return .error(r.description)
        } catch let p as FileProblem {
            return .error(p.message)
        } catch let e as ArgumentError {
            return .error(e.message)
        } catch {
            return .error("\(name) failed: \(error)")
        }
    }

    /// The tool box implements exactly the tools `ToolCatalog` names (a test holds the two together).
    static var catalog: [(name: String, description: String, parameters: JSON)] {
        ToolCatalog.all.map { ($0.name, $0.description, $0.parameters) }
    }
}

struct ArgumentError: Error {
    let message: String
}

extension JSON {
    func string(_ key: String) throws(ArgumentError) -> String {
        guard let v = self[key] else { throw ArgumentError(message: "missing argument \"\(key)\"") }
        guard let s = v.stringValue else { throw ArgumentError(message: "argument \"\(key)\" must be a string") }
        return s
    }

    func optionalInt(_ key: String) throws(ArgumentError) -> Int? {
        guard let v = self[key], v != .null else { return nil }
        if let i = v.intValue { return i }
        if let s = v.stringValue, let i = Int(s) { return i }
        throw ArgumentError(message: "argument \"\(key)\" must be an integer")
    }
}

/// Cuts text to `cap` bytes at a character boundary, saying how much was left out.
func capped(_ text: String, _ cap: Int) -> (String, Bool) {
    let bytes = Array(text.utf8)
    guard bytes.count > cap else { return (text, false) }
    var end = cap
    while end > 0 && (bytes[end] & 0xC0) == 0x80 { end -= 1 }  // back to the start of a UTF-8 sequence
    let head = String(decoding: bytes[..<end], as: UTF8.self)
    return (head + "\n… [\(bytes.count - end) more bytes cut; the whole output is in the run's artifacts]", true)
}
