import FileConfinement
import Foundation
import JSONCore

/// read_file, write_file, edit_file. Each opens its file once through `WorkspaceJail.open` and does all its
/// I/O on that descriptor, so what is read or written is what the confined walk reached.
enum FileTools {
    static func read(_ args: JSON, _ ctx: ToolContext) throws -> ToolOutput {
        let (file, rel) = try openFile(try args.string("path"), .read, ctx)
        guard let text = String(validating: try contents(file, rel), as: UTF8.self) else {
            return .error("\(rel) is not UTF-8 text (\(file.size) bytes)")
        }
        let start = try args.optionalInt("start_line"), end = try args.optionalInt("end_line")
        var body = text
        if start != nil || end != nil {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            let from = max(1, start ?? 1), to = min(lines.count, end ?? lines.count)
            guard from <= to else { return .error("\(rel) has \(lines.count) lines; the range \(from)-\(to) is empty") }
            body = lines[(from - 1)..<to].joined(separator: "\n")
        }
        let (shown, cut) = capped(body, ctx.outputCap)
        return ToolOutput(content: shown, full: cut ? body : nil)
    }

    /// Missing parent folders are made one `mkdirat` at a time, each opened with O_NOFOLLOW before the next.
    static func write(_ args: JSON, _ ctx: ToolContext) throws -> ToolOutput {
        let path = try args.string("path")
        let content = try args.string("content")
        let (file, rel) = try openFile(path, .write(), ctx)
        try io(rel) { () throws(ConfinementError) in try file.write(Array(content.utf8)) }
        return ToolOutput(content: "wrote \(content.utf8.count) bytes to \(rel)")
    }

    /// Reads and rewrites one descriptor opened O_RDWR: the file edited is the file read.
    static func edit(_ args: JSON, _ ctx: ToolContext) throws -> ToolOutput {
        let path = try args.string("path")
        let old = try args.string("old_string"), new = try args.string("new_string")
        let (file, rel) = try openFile(path, .readWrite, ctx)
        guard !old.isEmpty else { return .error("old_string is empty; use write_file to create a file") }
        guard let text = String(validating: try contents(file, rel), as: UTF8.self) else { return .error("\(rel) is not UTF-8 text") }
        let count = text.components(separatedBy: old).count - 1
        if count == 0 { return .error("old_string was not found in \(rel); read the file and copy the text exactly") }
        if count > 1 { return .error("old_string occurs \(count) times in \(rel); include more context so it matches once") }
        let updated = text.replacingOccurrences(of: old, with: new)
        try io(rel) { () throws(ConfinementError) in try file.replaceContents(Array(updated.utf8)) }
        return ToolOutput(content: "replaced 1 occurrence in \(rel)")
    }

    /// A regular file at `path`, opened for `intent`, and its physical workspace-relative path.
    static func openFile(_ path: String, _ intent: ConfinedDirectory.Intent, _ ctx: ToolContext) throws -> (OpenFile, String) {
        let target = try ctx.jail.open(path, intent)
        guard case .file(let file) = target.opened else { throw FileProblem(message: "\(target.path) is a folder; use list_files") }
        return (file, target.path)
    }

    static func contents(_ file: OpenFile, _ rel: String) throws(FileProblem) -> [UInt8] {
        try io(rel) { () throws(ConfinementError) in try file.readAll() ?? [] }
    }

    /// Runs descriptor I/O, turning its error into a message that names the file.
    static func io<T>(_ rel: String, _ body: () throws(ConfinementError) -> T) throws(FileProblem) -> T {
        do { return try body() } catch { throw FileProblem(message: "\(rel) cannot be read or written: \(error.description)") }
    }
}

/// list_files, grep.
enum SearchTools {
    static let maxEntries = 2000
    /// Folders nested deeper are not entered (each level holds a descriptor while the walk is below it).
    static let maxDepth = 64

    /// Visits every regular file below `dir` by its workspace-relative path, in name order per folder, with a way
    /// to open it. Folders are entered with openat(O_NOFOLLOW) and `.git` never; a symlink is resolved by the
    /// confined walk from the workspace root and visited only when it leads to a regular file inside (links to
    /// folders are not entered, so the walk is finite). Returns false once `visit` asks to stop.
    static func walk(_ dir: DirectoryHandle, _ prefix: String, depth: Int, in workspace: ConfinedDirectory,
                     _ visit: (String, () -> OpenFile?) -> Bool) -> Bool {
        guard let entries = try? dir.entries() else { return true }
        for entry in entries.sorted(by: { $0.name < $1.name }) where entry.name != ".git" {
            let rel = prefix.isEmpty ? entry.name : prefix + "/" + entry.name
            switch entry.kind {
            case .file:
                if !visit(rel, { try? dir.file(entry.name) }) { return false }
            case .directory where depth < maxDepth:
                guard let sub = try? dir.subdirectory(entry.name) else { continue }
                if !walk(sub, rel, depth: depth + 1, in: workspace, visit) { return false }
            case .symlink:
                let components = rel.split(separator: "/").map(String.init)
                guard case .file(let file)? = try? workspace.open(components, .read).opened else { continue }
                if !visit(rel, { file }) { return false }
            default: continue
            }
        }
        return true
    }

    static func list(_ args: JSON, _ ctx: ToolContext) throws -> ToolOutput {
        let given = args["path"]?.stringValue ?? "."
        let target = try ctx.jail.open(given, .directory, allowRoot: true)
        guard case .directory(let dir) = target.opened else { return .error("\(given) is not a folder in the workspace") }
        var out: [String] = []
        var more = false
        _ = walk(dir, target.path == "." ? "" : target.path, depth: 0, in: target.workspace) { rel, _ in
            if out.count >= maxEntries { more = true; return false }
            out.append(rel)
            return true
        }
        out.sort()
        if out.isEmpty { return ToolOutput(content: "(no files)") }
        let text = out.joined(separator: "\n") + (more ? "\n… (more than \(maxEntries) files; list a subfolder)" : "")
        let (shown, cut) = capped(text, ctx.outputCap)
        return ToolOutput(content: shown, full: cut ? text : nil)
    }

    static func grep(_ args: JSON, _ ctx: ToolContext) throws -> ToolOutput {
        let pattern = try args.string("pattern")
        let regex: NSRegularExpression
        do { regex = try NSRegularExpression(pattern: pattern) } catch {
            return .error("\"\(pattern)\" is not a valid regular expression")
        }
        let target = try ctx.jail.open(args["path"]?.stringValue ?? ".", .fileOrDirectory, allowRoot: true)
        var lines: [String] = []
        switch target.opened {
        case .file(let file):
            lines = match(file, target.path, regex)
        case .directory(let dir):
            _ = walk(dir, target.path == "." ? "" : target.path, depth: 0, in: target.workspace) { rel, open in
                if let file = open() { lines += match(file, rel, regex) }
                return lines.count < maxEntries
            }
        }
        if lines.isEmpty { return ToolOutput(content: "(no matches)") }
        let text = lines.prefix(maxEntries).joined(separator: "\n")
        let (shown, cut) = capped(text, ctx.outputCap)
        return ToolOutput(content: shown, full: cut ? text : nil)
    }

    /// Matching lines of a text file of up to 4 MiB; binary files (a NUL in the first 8,000 bytes) are skipped.
    static func match(_ file: OpenFile, _ rel: String, _ regex: NSRegularExpression) -> [String] {
        guard file.size <= 4 << 20, let bytes = try? file.readAll(limit: 4 << 20), !bytes.prefix(8000).contains(0),
              let text = String(validating: bytes, as: UTF8.self) else { return [] }
        var out: [String] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let s = String(line)
            if regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil {
                out.append("\(rel):\(i + 1): \(s.prefix(500))")
            }
        }
        return out
    }
}
