import JobSpec
import LLM
import Testing
import TestSupport
import Agent

/// `ProviderFactory`: what a job's `agent:` section, the spool's config and the environment resolve to.
@Suite(.ownThread) struct ProviderFactoryTests {
    func configurationError(_ spec: AgentSpec, environment: [String: String] = [:]) -> LLMError? {
        do {
            _ = try ProviderFactory.make(spec, config: SpoolConfig(), environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func aMissingKeyForTheVendorsOwnHostIsAConfigurationError() throws {
        #expect(throws: LLMError.self) {
            _ = try ProviderFactory.make(AgentSpec(provider: "anthropic", prompt: "x"), config: SpoolConfig(), environment: [:])
        }
    }

    @Test(arguments: ["anthropic", "openai", "gemini"])
    func theErrorNamesTheVariableToSet(name: String) throws {
        let keyEnv = try #require(ProviderCatalog.info(name)?.keyEnv)
        guard case .configuration(let provider, let message)? = configurationError(AgentSpec(provider: name, prompt: "x")) else {
            Issue.record("expected a configuration error for \(name)")
            return
        }
        #expect(provider == name)
        #expect(message.contains(keyEnv))
    }

    @Test func noProviderAnywhereIsAConfigurationError() {
        guard case .configuration(_, let message)? = configurationError(AgentSpec(prompt: "x")) else {
            Issue.record("a step without a provider must not resolve")
            return
        }
        #expect(message.contains("provider"))
    }

    @Test func anUnknownProviderIsAConfigurationError() {
        guard case .configuration(let provider, _)? = configurationError(AgentSpec(provider: "no-such-vendor", prompt: "x")) else {
            Issue.record("an unknown provider must not resolve")
            return
        }
        #expect(provider == "no-such-vendor")
    }

    @Test func theKeyIsASecretAndTheStepsModelWins() throws {
        let key = "sk-factory-test-\(Int.random(in: 1000...9999))"
        let r = try ProviderFactory.make(AgentSpec(provider: "openai", model: "my-model", prompt: "x"), config: SpoolConfig(),
                                         environment: ["OPENAI_API_KEY": key])
        #expect(r.secrets == [key])
        #expect(r.model == "my-model")
        let byDefault = try ProviderFactory.make(AgentSpec(provider: "openai", prompt: "x"), config: SpoolConfig(),
                                                 environment: ["OPENAI_API_KEY": key])
        #expect(byDefault.model == ProviderCatalog.info("openai")?.defaultModel)
    }

    @Test func theScriptedProviderNeedsNoKey() throws {
        let r = try ProviderFactory.make(AgentSpec(provider: "scripted", prompt: "x"), config: SpoolConfig(), environment: [:])
        #expect(r.secrets.isEmpty)
        #expect(r.mode == .native)
    }
}
