import AgentTools
import ArgumentParser
import JobSpec
import JSONCore
import LLM

/// Prints the JSON schema that `tool_mode: json` constrains a model's answers to. Servers whose API route takes
/// no per-request schema (llama.cpp's Anthropic-style `/v1/messages`) can be started with it as their default
/// grammar instead; `scripts/local-llm.sh` does that.
struct ToolSchema: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tool-schema",
        abstract: "Print the JSON schema of JSON tool mode's answers for a set of tools.",
        discussion: """
            Default tools: \(AgentSchema.defaultTools.joined(separator: ", ")). Known: \(Toolbox.names.joined(separator: ", ")).
            A server with a fixed grammar for every request cannot lift it once the task is done, so `--no-finish`
            leaves out the `finish` answer only where that is wanted: the run then ends at max_steps.
            """)

    @Argument(help: "The tools the job allows.")
    var tools: [String] = []

    @Flag(help: "Leave out the {\"name\": \"finish\"} answer.")
    var noFinish = false

    func validate() throws {
        let unknown = tools.filter { !Toolbox.names.contains($0) }
        guard unknown.isEmpty else {
            throw ValidationError("unknown tool \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); known: \(Toolbox.names.joined(separator: ", "))")
        }
    }

    func run() {
        let names = tools.isEmpty ? AgentSchema.defaultTools : tools
        let definitions = Toolbox.definitions(names).map { ToolDefinition(name: $0.name, description: $0.description, parameters: $0.parameters) }
        print(String(decoding: JSONToolMode.schema(definitions, allowFinish: !noFinish).encoded(), as: UTF8.self))
    }
}
