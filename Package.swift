// swift-tools-version:6.2
// Agent Runner: a file-system job queue that runs shell and LLM agent jobs.
// Dependencies point one way: CLI → Worker → SpoolCore / JobSpec / ProcessRunner → C wrappers.
import PackageDescription

let package = Package(
    name: "agent-runner",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "agent-runner", targets: ["AgentRunnerCLI"]),
        // The per-step supervisor, in C so that starting one per step costs about an exec of /bin/true.
        .executable(name: "agent-runner-step", targets: ["StepSupervisorMain"]),
        .library(name: "AgentRunnerCore", targets: ["SpoolCore", "JobSpec", "ProcessRunner", "Worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // HTTP serving for `agent-runner serve`. Its default traits pull in swift-configuration, which nothing here uses.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // Already a dependency of Hummingbird: `serve`'s services and its graceful shutdown.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C libraries, found through pkg-config. Only the wrapper module above each one imports it.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Wrappers.
        .target(name: "YAMLCore", dependencies: ["CYAML"]),
        .target(name: "GitKit", dependencies: ["CGit2"]),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),

        // An order-keeping JSON value: event lines, provider wire formats and tool arguments.
        .target(name: "JSONCore"),
        // The run event types and their payloads, shared by the emitters and readers of RUN.events.jsonl.
        .target(name: "RunEvents", dependencies: ["JSONCore"]),

        // Paths opened below a folder and never outside it: openat(O_NOFOLLOW) one component at a time from the
        // folder's descriptor. The agent's file tools and the API's artifacts both open files through it.
        .target(name: "FileConfinement"),

        // Spool file formats: job schema v1 and the spool's config.yaml.
        .target(name: "JobSpec", dependencies: ["YAMLCore", "JSONCore"]),
        // Process groups with timeouts, signals and output to files; CProcess exposes glibc's spawn extensions.
        .target(name: "CProcess"),
        .target(name: "ProcessRunner", dependencies: ["CProcess"]),
        .executableTarget(name: "StepSupervisorMain", dependencies: ["CProcess"]),
        // The queue on disk: claim, events, leases, finish, requeue, recovery, watching.
        .target(name: "SpoolCore", dependencies: ["JobSpec", "JSONCore", "RunEvents", "CProcess"]),
        // LLM providers: the four wire formats and the scripted one, streaming through HTTPClient.
        .target(name: "LLM", dependencies: ["JSONCore", "HTTPClient"]),
        // The agent's tools, confined to the workspace.
        .target(name: "AgentTools", dependencies: ["JSONCore", "JobSpec", "ProcessRunner", "HTTPClient", "FileConfinement"]),
        // One agent step: the tool loop, its events, and resuming it from them.
        .target(name: "Agent", dependencies: ["LLM", "AgentTools", "JobSpec", "JSONCore", "RunEvents", "ProcessRunner"]),
        // The run loop that claims jobs and executes them.
        .target(name: "Worker", dependencies: [
            "SpoolCore", "JobSpec", "ProcessRunner", "Agent", "LLM", "AgentTools", "GitKit",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // What the HTTP API and console read: run summaries folded from events, kept fresh by watching the spool,
        // and artifacts opened without leaving their folder.
        .target(name: "RunCatalog", dependencies: ["SpoolCore", "JobSpec", "JSONCore", "FileConfinement"]),
        // `agent-runner serve`: the REST API, Server-Sent Events and the web console (static files, no build step).
        .target(name: "APIServer", dependencies: [
            "RunCatalog", "SpoolCore", "JobSpec", "JSONCore", "HTTPClient",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [.copy("Console")]),
        .executableTarget(name: "AgentRunnerCLI", dependencies: [
            "Worker", "APIServer", "SpoolCore", "JobSpec", "GitKit", "HTTPClient", "YAMLCore", "LLM", "AgentTools", "ProcessRunner",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Unit tests, one target per module.
        .testTarget(name: "YAMLCoreTests", dependencies: ["YAMLCore", "TestSupport"]),
        .testTarget(name: "JSONCoreTests", dependencies: ["JSONCore", "TestSupport"]),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit", "TestSupport"]),
        .testTarget(name: "JobSpecTests", dependencies: ["JobSpec", "YAMLCore", "TestSupport"]),
        .testTarget(name: "ProcessRunnerTests", dependencies: ["ProcessRunner", "TestSupport"]),
        // Test helpers: the stub servers (a stand-in for the four LLM APIs replaying the vendors' recorded shapes,
        // and the HTTP client's edge cases), third-party servers on loopback, the trait that keeps blocking tests
        // off the shared pool, and the integration harness (temporary spools, worker processes, the `Integration`
        // suite that runs every worker-process test of every target one at a time).
        .target(name: "TestSupport", dependencies: ["SpoolCore"], path: "Tests/TestSupport", exclude: ["Fixtures"]),
        .testTarget(name: "LLMTests", dependencies: ["LLM", "Agent", "JobSpec", "JSONCore", "TestSupport"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "LLM", "JobSpec", "JSONCore", "TestSupport"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "TestSupport"]),
        .testTarget(name: "FileConfinementTests", dependencies: ["FileConfinement", "TestSupport"]),
        .testTarget(name: "AgentToolsTests", dependencies: ["AgentTools", "JobSpec", "JSONCore", "TestSupport"]),
        .testTarget(name: "RunCatalogTests", dependencies: ["RunCatalog", "SpoolCore", "JSONCore", "TestSupport"]),
        // The API's routes in-process, through HummingbirdTesting.
        .testTarget(name: "APIServerTests", dependencies: [
            "APIServer", "SpoolCore", "JobSpec", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        .testTarget(name: "SpoolCoreTests", dependencies: ["SpoolCore", "JobSpec", "TestSupport"]),
        // Integration tests: start real `agent-runner` processes on temporary spools (AgentRunnerCLI builds the binary).
        // The spool and worker: claims, leases, crashes, writers, watching, steps, clocks, the CLI.
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "SpoolCore", "AgentRunnerCLI", "TestSupport"]),
        // Agent runs: scripted, against the LLM stub, fakellm and llm-katan, and a local model.
        .testTarget(name: "AgentRunTests", dependencies: ["AgentRunnerCLI", "TestSupport"]),
        // `serve` over real HTTP with real workers, and the web console in Chromium (Tests/Browser).
        .testTarget(name: "APITests", dependencies: ["AgentRunnerCLI", "APIServer", "SpoolCore", "HTTPClient", "JSONCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
