import ArgumentParser
import Foundation
import SpoolCore

extension RunState: ExpressibleByArgument {}
extension RunStatus: ExpressibleByArgument {}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List runs, newest first.")

    @OptionGroup var spool: SpoolOption
    @Option(help: "Only runs in this state: queued, running, waiting or done (repeatable).")
    var state: [RunState] = []
    @Option(help: "Only finished runs with this status: succeeded, failed, stopped or rejected.")
    var status: RunStatus?
    @Option(help: "Only runs with this label.")
    var label: String?
    @Option(help: "Only runs whose job file was dropped under this name (for example hello.yaml).")
    var name: String?
    @Option(help: ArgumentHelp("Only the children this run spawned (a run id or a unique prefix).", valueName: "run"))
    var parent: String?
    @Option(help: "At most this many runs.")
    var limit: Int?
    @Flag(help: "Print JSON (an array of run summaries).")
    var json = false
    @Flag(name: [.short, .customLong("quiet")], help: "Print only run ids, one per line (queued files without an id print their name).")
    var quiet = false

    func run() throws {
        let s = try spool.open()
        var runs = RunIndex(spool: s).list(states: state.isEmpty ? RunState.allCases : state)
        if let status { runs = runs.filter { $0.status == status } }
        if let label { runs = runs.filter { $0.labels.contains(label) } }
        if let name { runs = runs.filter { $0.name == name } }
        if let parent {
            guard case .run(let id, _) = try RunIndex(spool: s).resolve(parent) else { throw CLIError("\(parent) is a queued file: it has no children yet") }
            runs = runs.filter { $0.parent == id.rawValue }
        }
        if let limit { runs = Array(runs.prefix(limit)) }
        if json { try printJSON(runs); return }
        if quiet { runs.forEach { print($0.id ?? $0.name) }; return }
        let rows = runs.map { r -> [String] in
            [r.id ?? "-", r.state == .running && r.paused ? "paused" : r.state.rawValue, r.status?.rawValue ?? "",
             r.attempt > 1 ? "\(r.attempt)" : "", r.duration.map { formatDuration($0) } ?? "", r.title ?? r.name]
        }
        printTable(["RUN", "STATE", "STATUS", "TRY", "TIME", "TITLE"], rows)
    }
}

func printTable(_ header: [String], _ rows: [[String]]) {
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    for row in [header] + rows {
        let line = row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
        print(line)
    }
}

func formatDuration(_ s: Double) -> String {
    if s < 1 { return "\(Int((s * 1000).rounded()))ms" }
    if s < 60 { return String(format: "%.1fs", s) }
    if s < 3600 { return "\(Int(s) / 60)m\(Int(s) % 60)s" }
    return "\(Int(s) / 3600)h\((Int(s) % 3600) / 60)m"
}
