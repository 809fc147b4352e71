import ArgumentParser
import Foundation
import SpoolCore

/// `agent-runner tree RUN`: a run and the children it spawned, and theirs, from the spawn ledgers.
struct Tree: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a run and the children it spawned (and theirs), with their states and statuses.",
        discussion: "With -f the tree is printed again whenever it changes, until every run in it has finished.")

    @OptionGroup var spool: SpoolOption
    @Argument(help: "A run id (or a unique prefix).")
    var target: String
    @Flag(help: "Print JSON: the run's summary with `children`, each a node of the same shape.")
    var json = false
    @Flag(name: [.short, .customLong("follow")], help: "Print it again whenever it changes, until every run in it has finished.")
    var follow = false

    /// One run and its subtree. A ledger entry whose spawn has not been delivered yet has no summary.
    struct Node: Encodable, Equatable {
        var id: String
        var summary: RunSummary?
        var children: [Node]
        var finished: Bool { summary?.state == .done && children.allSatisfy(\.finished) }
    }

    func run() throws {
        let s = try spool.open()
        let index = RunIndex(spool: s)
        guard case .run(let root, _) = try index.resolve(target) else { throw CLIError("\(target) is a queued file: it has no children yet") }
        let spooler = Spooler(spool: s)
        var shown: Node?
        while true {
            let tree = node(root, index: index, spooler: spooler, depth: 0)
            if tree != shown {
                if json { try printJSON(tree) } else { print(render(tree), terminator: follow ? "\n" : "") }
                shown = tree
            }
            if !follow || tree.finished { return }
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    func node(_ run: RunID, index: RunIndex, spooler: Spooler, depth: Int) -> Node {
        let summary = index.state(of: run).map { index.summary(run, state: $0) }
        // The ledger is the record of children; the depth guard keeps a hand-made loop of ledgers finite.
        let children = depth < 16 ? spooler.children(of: run).map { node($0, index: index, spooler: spooler, depth: depth + 1) } : []
        return Node(id: run.rawValue, summary: summary, children: children)
    }

    func render(_ root: Node) -> String {
        var lines: [String] = []
        func line(_ n: Node, prefix: String, connector: String, childPrefix: String) {
            let s = n.summary
            let state = s.map { $0.state == .running && $0.paused ? "paused" : $0.state.rawValue } ?? "spawning"
            let status = s?.status.map { " \($0.rawValue)" } ?? ""
            let title = s.map { $0.title ?? $0.name } ?? ""
            lines.append("\(prefix)\(connector)\(n.id)  \(state)\(status)  \(title)")
            for (i, c) in n.children.enumerated() {
                let last = i == n.children.count - 1
                line(c, prefix: childPrefix, connector: last ? "└─ " : "├─ ", childPrefix: childPrefix + (last ? "   " : "│  "))
            }
        }
        line(root, prefix: "", connector: "", childPrefix: "")
        return lines.joined(separator: "\n") + "\n"
    }
}
