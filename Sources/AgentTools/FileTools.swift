import Foundation
import JSONCore

/// read_file, write_file, edit_file.
enum FileTools {
    static func read(_ args: JSON, _ ctx: ToolContext) throws -> ToolOutput {
        let path = try ctx.jail.resolve(try args.string("path"))
        let rel = ctx.jail.relative(path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return .error("\(rel) does not exist") }
        if isDir.boolValue { return .error("\(rel) is a folder; use list_files") }
        guard let data = FileManager.default.contents(atPath: path) else { return .error("\(rel) cannot be read") }
        guard let text = String(data: data, encoding: .utf8) else { return .error("\(rel) is not UTF-8 text (\(data.count) bytes)") }
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

    static func write(_ args: JSON, _ ctx: ToolContext) throws -> ToolOutput {
        let path = try ctx.jail.resolve(try args.string("path"))
        let content = try args.string("content")
        let rel = ctx.jail.relative(path)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return .error("\(rel) is a folder") }
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        _ = try ctx.jail.resolve(rel)  // the folders just made cannot have been links, but re-check the final path
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        return ToolOutput(content: "wrote \(content.utf8.count) bytes to \(rel)")
    }

    static func edit(_ args: JSON, _ ctx: ToolContext) throws -> ToolOutput {
        let path = try ctx.jail.resolve(try args.string("path"))
        let old = try args.string("old_string"), new = try args.string("new_string")
        let rel = ctx.jail.relative(path)
        guard !old.isEmpty else { return .error("old_string is empty; use write_file to create a file") }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            return .error("\(rel) does not exist or is not UTF-8 text")
        }
        let count = text.components(separatedBy: old).count - 1
        if count == 0 { return .error("old_string was not found in \(rel); read the file and copy the text exactly") }
        if count > 1 { return .error("old_string occurs \(count) times in \(rel); include more context so it matches once") }
        let updated = text.replacingOccurrences(of: old, with: new)
        try Data(updated.utf8).write(to: URL(fileURLWithPath: path))
        return ToolOutput(content: "replaced 1 occurrence in \(rel)")
    }
}

/// list_files, grep.
enum SearchTools {
    static let maxEntries = 2000

    static func walk(_ root: String, _ ctx: ToolContext, _ visit: (String) -> Bool) {
        guard let e = FileManager.default.enumerator(atPath: root) else { return }
        while let rel = e.nextObject() as? String {
            let name = (rel as NSString).lastPathComponent
            if name == ".git" { e.skipDescendants(); continue }
            let abs = root + "/" + rel
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: abs, isDirectory: &isDir), !isDir.boolValue else { continue }
            // A symlink that leads out of the workspace is skipped, never read.
            guard (try? ctx.jail.resolve(ctx.jail.relative(abs))) != nil else { continue }
            if !visit(abs) { return }
        }
    }

    static func list(_ args: JSON, _ ctx: ToolContext) throws -> ToolOutput {
        let given = args["path"]?.stringValue ?? "."
        let root = try ctx.jail.resolve(given, allowRoot: true)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            return .error("\(given) is not a folder in the workspace")
        }
        var out: [String] = []
        var more = false
        walk(root, ctx) { abs in
            if out.count >= maxEntries { more = true; return false }
            out.append(ctx.jail.relative(abs))
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
        let root = try ctx.jail.resolve(args["path"]?.stringValue ?? ".", allowRoot: true)
        var lines: [String] = []
        var searchRoots = [root]
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: root, isDirectory: &isDir), !isDir.boolValue { searchRoots = [] ; lines += match(root, regex, ctx) }
        for r in searchRoots {
            walk(r, ctx) { abs in
                lines += match(abs, regex, ctx)
                return lines.count < maxEntries
            }
        }
        if lines.isEmpty { return ToolOutput(content: "(no matches)") }
        let text = lines.prefix(maxEntries).joined(separator: "\n")
        let (shown, cut) = capped(text, ctx.outputCap)
        return ToolOutput(content: shown, full: cut ? text : nil)
    }

    static func match(_ path: String, _ regex: NSRegularExpression, _ ctx: ToolContext) -> [String] {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 4 << 20,
              !data.prefix(8000).contains(0), let text = String(data: data, encoding: .utf8) else { return [] }
        var out: [String] = []
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let s = String(line)
            if regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil {
                out.append("\(ctx.jail.relative(path)):\(i + 1): \(s.prefix(500))")
            }
        }
        return out
    }
}
