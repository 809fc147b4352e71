import JobSpec
import JSONCore
import Testing
import TestSupport

@Suite(.ownThread) struct AgentSteps {
    @Test func theIssuesExampleLoads() throws {
        let job = try JobLoader.load(Array("""
        title: Add a CONTRIBUTING file
        workspace: ../workspaces/demo
        agent:
          provider: anthropic
          model: claude-sonnet-4-5
          system: You are a careful engineer.
          prompt: |
            Write CONTRIBUTING.md that explains how to run the tests.
          tools: [read_file, write_file, edit_file, list_files, grep, shell, fetch_url]
          max_steps: 30
          max_tokens: 200000
        git:
          branch: agent/{run}
          commit: step

        """.utf8), file: "job.yaml")
        #expect(job.workspace == "../workspaces/demo")
        #expect(job.steps.count == 1)
        let a = try #require(job.steps.first?.agent)
        #expect(a.provider == "anthropic")
        #expect(a.tools?.count == 7)
        #expect(a.maxTokens == 200000)
        #expect(job.git == GitSettings(branch: "agent/{run}", commit: .step))
    }

    @Test func promptShorthandAndMixedSteps() throws {
        let short = try JobLoader.load(Array("prompt: Fix the build\n".utf8), file: "j.yaml")
        #expect(short.steps.first?.agent == AgentSpec(prompt: "Fix the build"))
        let mixed = try JobLoader.load(Array("steps:\n  - run: make\n  - agent:\n      prompt: fix it\n".utf8), file: "j.yaml")
        #expect(mixed.steps.map { $0.run != nil } == [true, false])
        #expect(mixed.hasAgentSteps)
    }

    @Test func scriptTurnsKeepTheirArguments() throws {
        let job = try JobLoader.load(Array("""
        agent:
          provider: scripted
          prompt: x
          script:
            - say: writing
              tool: write_file
              args: {path: a.txt, content: "hi", mode: 420, deep: [1, true, null]}
            - say: done

        """.utf8), file: "j.yaml")
        let turns = try #require(job.steps.first?.agent?.script)
        #expect(turns.count == 2)
        #expect(turns[0].tool == "write_file")
        #expect(turns[0].args == .object([("path", .string("a.txt")), ("content", .string("hi")), ("mode", .int(420)),
                                          ("deep", .array([.int(1), .bool(true), .null]))]))
        #expect(turns[0].line == 5)
    }

    @Test func mistakesPointAtTheirLine() {
        let both = jobError("steps: []\nprompt: x\n")
        #expect(both?.line == 1)
        #expect(both?.message.contains("cannot be combined") == true)
        let runAndAgent = jobError("steps:\n  - run: x\n    agent: {prompt: y}\n")
        #expect(runAndAgent?.message.contains("both") == true)
        let provider = jobError("agent:\n  provider: antropic\n  prompt: x\n")
        #expect(provider?.line == 2)
        #expect(provider?.column == 13)
        #expect(provider?.message.contains("did you mean \"anthropic\"") == true)
        let tool = jobError("agent:\n  prompt: x\n  tools: [read_file, rm_rf]\n")
        #expect(tool?.line == 3)
        #expect(tool?.column == 22)
        let noScript = jobError("agent:\n  provider: scripted\n  prompt: x\n")
        #expect(noScript?.reason == .missingKey)
        let disallowed = jobError("agent:\n  provider: scripted\n  prompt: x\n  tools: [read_file]\n  script:\n    - tool: shell\n")
        #expect(disallowed?.line == 6)
        #expect(disallowed?.message.contains("may not use") == true)
        let noPrompt = jobError("agent:\n  provider: openai\n")
        #expect(noPrompt?.reason == .missingKey)
        let branch = jobError("prompt: x\ngit:\n  branch: bad..name\n")
        #expect(branch?.line == 3)
        let commit = jobError("prompt: x\ngit:\n  commit: always\n")
        #expect(commit?.reason == .invalidValue)
    }
}
