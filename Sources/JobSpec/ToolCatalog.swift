import JSONCore

/// One tool an agent step may use: what the model is told about it and whether jobs get it by default.
public struct ToolInfo: Sendable {
    public let name: String
    public let description: String
    /// The JSON Schema of its arguments, as sent to the model.
    public let parameters: JSON
    /// Given to agent steps that list no `tools:`. Network access (`fetch_url`) is opt-in.
    public let isDefault: Bool
    /// Reaches beyond the workspace over the network.
    public let usesNetwork: Bool
}

/// Every built-in tool, named in this one place: the job schema, the tool box (which implements each
/// name), `agent-runner tool-schema` and the API's capabilities read it.
public enum ToolCatalog {
    public static let all: [ToolInfo] = [
        ToolInfo(name: "read_file", description: "Read a text file in the workspace. Optional 1-based start_line and end_line select a range.",
                 parameters: schema(["path": "string", "start_line": "integer", "end_line": "integer"], required: ["path"]),
                 isDefault: true, usesNetwork: false),
        ToolInfo(name: "write_file", description: "Create or overwrite a file in the workspace with the given content. Parent folders are created.",
                 parameters: schema(["path": "string", "content": "string"], required: ["path", "content"]),
                 isDefault: true, usesNetwork: false),
        ToolInfo(name: "edit_file", description: "Replace the exact text old_string with new_string in a file. Fails unless old_string occurs exactly once.",
                 parameters: schema(["path": "string", "old_string": "string", "new_string": "string"], required: ["path", "old_string", "new_string"]),
                 isDefault: true, usesNetwork: false),
        ToolInfo(name: "list_files", description: "List files under a folder of the workspace (default: the whole workspace), recursively.",
                 parameters: schema(["path": "string"], required: []), isDefault: true, usesNetwork: false),
        ToolInfo(name: "grep", description: "Search files for a regular expression; prints path:line: text for each match.",
                 parameters: schema(["pattern": "string", "path": "string"], required: ["pattern"]), isDefault: true, usesNetwork: false),
        ToolInfo(name: "shell", description: "Run a shell command (sh -c) in the workspace and return its exit status and output.",
                 parameters: schema(["command": "string", "timeout_seconds": "integer"], required: ["command"]),
                 isDefault: true, usesNetwork: false),
        ToolInfo(name: "fetch_url", description: "Fetch a web page over HTTP(S) and return its readable text.",
                 parameters: schema(["url": "string"], required: ["url"]), isDefault: false, usesNetwork: true),
    ]

    public static let names: [String] = all.map(\.name)
    public static let defaultNames: [String] = all.filter(\.isDefault).map(\.name)

    public static func info(_ name: String) -> ToolInfo? { all.first { $0.name == name } }

    static func schema(_ props: KeyValuePairs<String, String>, required: [String]) -> JSON {
        .object([("type", .string("object")),
                 ("properties", .object(props.map { ($0.key, .object([("type", .string($0.value))])) })),
                 ("required", .array(required.map { .string($0) }))])
    }
}
