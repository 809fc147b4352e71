import ArgumentParser
import SpoolCore

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a spool folder (tmp/, new/, cur/, done/, control/, workers/).")

    @Argument(help: "The folder to create or complete.")
    var dir: String

    func run() throws {
        let spool = Spool(root: dir)
        try spool.create()
        print(spool.root.display)
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version and the linked C libraries.")
    func run() {
        print("agent-runner \(AgentRunner.configuration.version)")
        print(linkedLibraries())
    }
}

import GitKit
import HTTPClient
import YAMLCore

func linkedLibraries() -> String {
    "libgit2 \(GitLibrary.shared.version), libcurl \(CurlLibrary.shared.version), libyaml \(YAMLLibrary.version)"
}
