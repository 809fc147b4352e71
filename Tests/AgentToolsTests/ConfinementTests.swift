import AgentTools
import Foundation
import JSONCore
import Testing
import TestSupport

/// Every file tool refuses paths that leave the workspace or touch .git, with an error the model can read.
@Suite(.ownThread) struct Confinement {
    let root: String
    let outside: String
    let ctx: ToolContext

    init() throws {
        let base = NSTemporaryDirectory() + "tools-\(UUID().uuidString)"
        root = base + "/ws"
        outside = base + "/outside"
        for d in [root + "/.git", root + "/src", outside] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try "secret\n".write(toFile: outside + "/secret.txt", atomically: true, encoding: .utf8)
        try "[core]\n".write(toFile: root + "/.git/config", atomically: true, encoding: .utf8)
        try "hello\nworld\n".write(toFile: root + "/src/a.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: root + "/leak.txt", withDestinationPath: outside + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: outside + "/new.txt")
        try FileManager.default.createSymbolicLink(atPath: root + "/inside", withDestinationPath: "src")
        ctx = ToolContext(workspace: root, artifacts: base + "/artifacts", environment: ["PATH": "/usr/bin:/bin"])
    }

    static let tools = all
    static let all: [(String, [(String, JSON)])] = [
        ("read_file", []), ("write_file", [("content", .string("x"))]),
        ("edit_file", [("old_string", .string("secret")), ("new_string", .string("owned"))]),
        ("list_files", []), ("grep", [("pattern", .string("secret"))]),
    ]
    static let escapes = ["../outside/secret.txt", "src/../../outside/secret.txt", "/etc/passwd", "out/secret.txt",
                          "leak.txt", "dangling", ".git/config", "src/../.git/config", "./.git"]

    func call(_ tool: String, _ path: String, _ extra: [(String, JSON)]) async -> ToolOutput {
        await Toolbox.call(tool, arguments: .object([("path", .string(path))] + extra), allowed: Toolbox.names, context: ctx, callID: "t")
    }

    @Test(arguments: escapes)
    func everyFileToolRefusesEscapes(path: String) async throws {
        for (tool, extra) in Self.all {
            let out = await call(tool, path, extra)
            #expect(out.isError, "\(tool) \(path) → \(out.content)")
            #expect(out.content.hasPrefix("refused"), "\(tool) \(path) → \(out.content)")
            #expect(!out.content.contains("secret\n"))
        }
        #expect(try String(contentsOfFile: outside + "/secret.txt", encoding: .utf8) == "secret\n")
        #expect(!FileManager.default.fileExists(atPath: outside + "/new.txt"))
        #expect(try String(contentsOfFile: root + "/.git/config", encoding: .utf8) == "[core]\n")
    }

    @Test func pathsInsideWorkWhateverTheirForm() async throws {
        #expect(await call("read_file", "src/a.txt", []).content == "hello\nworld\n")
        #expect(await call("read_file", root + "/src/a.txt", []).content == "hello\nworld\n")
        #expect(await call("read_file", "inside/a.txt", []).content == "hello\nworld\n", "a link that stays inside is fine")
        #expect(await call("read_file", "src/a.txt", [("start_line", .int(2)), ("end_line", .int(2))]).content == "world")
        let w = await call("write_file", "new/deep/b.txt", [("content", .string("made"))])
        #expect(!w.isError, "\(w.content)")
        #expect(try String(contentsOfFile: root + "/new/deep/b.txt", encoding: .utf8) == "made")
    }

    @Test func listAndGrepSkipGitAndLinksOut() async throws {
        let list = await Toolbox.call("list_files", arguments: .object([]), allowed: Toolbox.names, context: ctx, callID: "l")
        #expect(list.content.contains("src/a.txt"))
        #expect(!list.content.contains(".git"))
        #expect(!list.content.contains("leak.txt"))
        let grep = await Toolbox.call("grep", arguments: .object([("pattern", .string("secret|core|world"))]), allowed: Toolbox.names,
                                      context: ctx, callID: "g")
        #expect(grep.content == "src/a.txt:2: world", "\(grep.content)")
    }

    @Test func editNeedsExactlyOneMatch() async throws {
        try "a a b\n".write(toFile: root + "/e.txt", atomically: true, encoding: .utf8)
        #expect(await call("edit_file", "e.txt", [("old_string", .string("zzz")), ("new_string", .string("q"))]).isError)
        let twice = await call("edit_file", "e.txt", [("old_string", .string("a")), ("new_string", .string("q"))])
        #expect(twice.isError && twice.content.contains("2 times"))
        #expect(!(await call("edit_file", "e.txt", [("old_string", .string("b")), ("new_string", .string("c"))]).isError))
        #expect(try String(contentsOfFile: root + "/e.txt", encoding: .utf8) == "a a c\n")
    }

    @Test func shellRunsInTheWorkspaceWithItsEnvironment() async throws {
        let out = await Toolbox.call("shell", arguments: .object([("command", .string("pwd; echo ${OPENAI_API_KEY:-none}; exit 3"))]),
                                     allowed: Toolbox.names, context: ctx, callID: "s")
        #expect(out.isError)
        #expect(out.content.contains("exit 3"))
        #expect(out.content.contains("none"))
        #expect(out.content.contains("/ws"))
    }

    @Test func repeatedCallIDsNeverOverwriteEarlierShellOutput() async throws {
        for word in ["first", "second"] {
            _ = await Toolbox.call("shell", arguments: .object([("command", .string("echo \(word)"))]), allowed: Toolbox.names,
                                   context: ctx, callID: "script_1")
        }
        let outputs = try FileManager.default.contentsOfDirectory(atPath: ctx.artifacts).sorted()
        #expect(outputs == ["tool-script_1-2.out", "tool-script_1.out"])
        #expect(try String(contentsOfFile: ctx.artifacts + "/tool-script_1.out", encoding: .utf8) == "first\n")
    }

    @Test func unknownAndDisallowedToolsAreErrors() async throws {
        let out = await Toolbox.call("shell", arguments: .object([("command", .string("true"))]), allowed: ["read_file"], context: ctx, callID: "x")
        #expect(out.isError && out.content.contains("unknown tool"))
    }

    @Test func htmlBecomesReadableText() {
        let html = "<html><head><title>T</title><style>p{}</style><script>var x=1</script></head><body><h1>Head</h1><p>One &amp; two</p><ul><li>a</li><li>b</li></ul></body></html>"
        let text = HTMLText.readable(html)
        #expect(text.split(separator: "\n") == ["T", "Head", "One & two", "- a", "- b"], "\(text)")
    }
}
