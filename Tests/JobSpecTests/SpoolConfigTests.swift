import Testing
import TestSupport
import JobSpec

@Suite(.ownThread) struct SpoolConfigTests {
    func load(_ text: String) throws(JobError) -> SpoolConfig {
        try SpoolConfig.load(Array(text.utf8), file: "config.yaml")
    }

    @Test func emptyMeansDefaults() throws {
        #expect(try load("") == SpoolConfig())
        #expect(try load("\n  \n") == SpoolConfig())
        #expect(try load("# settings go here\n# concurrency: 4\n") == SpoolConfig())
        #expect(try load("---\n") == SpoolConfig())
    }

    @Test func loadsEveryKey() throws {
        let c = try load("""
            concurrency: 8
            lease: 1m
            poll_interval: 500ms
            max_attempts: 5
            grace: 0
            settle: 2s
            shutdown_grace: 1m
            kill_grace: 3
            output_event_cap: 4096
            durability: none
            """)
        #expect(c.concurrency == 8)
        #expect(c.lease == 60)
        #expect(c.pollInterval == 0.5)
        #expect(c.maxAttempts == 5)
        #expect(c.grace == 0)
        #expect(c.settle == 2)
        #expect(c.shutdownGrace == 60)
        #expect(c.killGrace == 3)
        #expect(c.outputEventCap == 4096)
        #expect(c.durability == .none)
    }

    @Test func unknownKeySuggests() {
        let e = configError("concurency: 4\n")
        #expect(e?.reason == .unknownKey)
        #expect(e?.file == "config.yaml")
        #expect(e?.line == 1)
        #expect(e?.column == 1)
        #expect(e?.message.contains("did you mean \"concurrency\"?") == true)
    }

    @Test func rangesAreChecked() {
        let lease = configError("concurrency: 2\nlease: 500ms\n")
        #expect(lease?.reason == .invalidValue)
        #expect(lease?.line == 2)
        #expect(lease?.column == 8)
        #expect(configError("concurrency: 0\n")?.reason == .invalidValue)
        #expect(configError("concurrency: 257\n")?.reason == .invalidValue)
        #expect(configError("poll_interval: 0\n")?.reason == .invalidValue)
        #expect(configError("settle: 0\n") == nil)
        #expect(configError("durability: sometimes\n")?.column == 13)
        #expect(configError("durability: sometimes\n")?.reason == .invalidValue)
        #expect(configError("concurrency: many\n")?.reason == .wrongType)
    }

    @Test func syntaxAndShape() {
        #expect(configError("concurrency: [\n")?.reason == .syntax)
        #expect(configError("- 1\n")?.reason == .wrongType)
        #expect(configError("provider: {}\n")?.reason == .unknownKey)
    }

    @Test func agentProvidersAndGit() throws {
        let c = try SpoolConfig.load(Array("""
        agent:
          provider: openai
          max_steps: 12
        providers:
          openai:
            base_url: http://127.0.0.1:8080/v1
            api_key_env: LOCAL_KEY
            tool_mode: json
            timeout: 2m
        git:
          author_name: Bot
          author_email: bot@example.com

        """.utf8), file: "config.yaml")
        #expect(c.agent.provider == "openai")
        #expect(c.agent.maxSteps == 12)
        #expect(c.providers["openai"]?.baseURL == "http://127.0.0.1:8080/v1")
        #expect(c.providers["openai"]?.apiKeyEnv == "LOCAL_KEY")
        #expect(c.providers["openai"]?.toolMode == .json)
        #expect(c.providers["openai"]?.timeout == 120)
        #expect(c.git.authorName == "Bot")
        let key = configError("providers:\n  openai:\n    api_key_env: sk-live-123\n")
        #expect(key?.reason == .invalidValue)
        #expect(key?.message.contains("name an environment variable") == true)
        #expect(configError("providers:\n  claude: {}\n")?.reason == .unknownKey)
        #expect(configError("agent:\n  provider: gpt\n")?.reason == .invalidValue)
    }
}
