import ArgumentParser

@main
struct AgentRunner: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent-runner",
        abstract: "Run AI agent and shell jobs from a file-system queue (a spool).",
        discussion: """
            A spool is a folder with tmp/, new/, cur/ and done/. Drop a YAML job into new/ (or use `submit`),
            run a worker on the spool, and follow each run's events as JSON Lines.
            Every command that takes --spool also reads AGENT_RUNNER_SPOOL.
            """,
        version: "0.1.0",
        subcommands: [
            Init.self, Submit.self, Spawn.self, WorkerCommand.self, List.self, Show.self, Tree.self, Tail.self,
            Pause.self, Resume.self, Stop.self, Retry.self, Serve.self, Validate.self, Recover.self, Version.self, GitCommit.self,
            ToolSchema.self, SuperviseStep.self,
        ]
    )
}
