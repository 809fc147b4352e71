import FileConfinement
import Foundation
import Testing
import TestSupport

/// The confined walk: links inside are followed, links out and forbidden names are refused, `..` never climbs
/// above the root, and writes make their folders without following anything.
@Suite(.ownThread) struct ConfinedDirectoryWalk {
    let base: String
    let root: String
    let outside: String

    init() throws {
        base = NSTemporaryDirectory() + "confined-\(UUID().uuidString)"
        root = base + "/root"
        outside = base + "/outside"
        let fm = FileManager.default
        for d in [root + "/src/deep", root + "/.git", outside] { try fm.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try "a\n".write(toFile: root + "/src/a.txt", atomically: true, encoding: .utf8)
        try "secret\n".write(toFile: outside + "/s.txt", atomically: true, encoding: .utf8)
        try "[core]\n".write(toFile: root + "/.git/config", atomically: true, encoding: .utf8)
        for (name, target) in [("in", "src"), ("abs", root + "/src"), ("back", "src/deep/../.."), ("out", outside),
                               ("up", ".."), ("sneaky", "src/../../outside"), ("g", ".git"), ("gabs", root + "/.git/config"),
                               ("loop1", "loop2"), ("loop2", "loop1"), ("src/deep/rel", "../a.txt"), ("dangling", "src/new.txt")] {
            try fm.createSymbolicLink(atPath: root + "/" + name, withDestinationPath: target)
        }
    }

    func dir(_ links: ConfinedDirectory.Links = .followInside) throws -> ConfinedDirectory {
        try ConfinedDirectory(path: root, links: links, forbidden: [".git"])
    }

    func text(_ opened: ConfinedDirectory.Opened) throws -> String? {
        guard case .file(let f) = opened else { return nil }
        return String(decoding: try f.readAll() ?? [], as: UTF8.self)
    }

    @Test func linksThatStayInsideAreFollowedToTheirPhysicalPath() throws {
        let d = try dir()
        for path in ["in/a.txt", "abs/a.txt", "back/src/a.txt", "src/deep/rel", "src/deep/../a.txt", "in/deep/rel"] {
            let (opened, physical) = try d.open(path.split(separator: "/").map(String.init), .read)
            #expect(try text(opened) == "a\n", "\(path)")
            #expect(physical == "src/a.txt", "\(path)")
        }
        guard case .directory = try d.open(["in"], .directory).opened else { Issue.record("in is a folder"); return }
    }

    @Test func linksOutLoopsAndForbiddenNamesAreRefused() throws {
        let d = try dir()
        let cases: [(String, ConfinementError)] = [
            ("out/s.txt", .symlinkLeadsOutside(path: "out")), ("up/outside/s.txt", .symlinkLeadsOutside(path: "up")),
            ("sneaky/s.txt", .symlinkLeadsOutside(path: "sneaky")), ("g/config", .forbiddenName(path: ".git", name: ".git")),
            ("gabs", .forbiddenName(path: ".git", name: ".git")), ("loop1", .tooManySymlinks(path: "")),
            ("../outside/s.txt", .leavesThroughDotDot(path: "")), ("src/a.txt/x", .notADirectory(path: "src/a.txt")),
            ("src/none.txt", .notFound(path: "src/none.txt")), ("src", .isADirectory(path: "src")),
        ]
        for (path, expected) in cases {
            #expect(throws: expected, "\(path)") { try d.open(path.split(separator: "/").map(String.init), .read) }
        }
    }

    @Test func theRefusePolicyOpensNoLinkAtAll() throws {
        let d = try dir(.refuse)
        #expect(throws: ConfinementError.symlinkRefused(path: "in")) { try d.open(["in", "a.txt"], .read) }
        #expect(throws: ConfinementError.symlinkRefused(path: "src/deep/rel")) { try d.open(["src", "deep", "rel"], .read) }
        #expect(try text(d.open(["src", "a.txt"], .read).opened) == "a\n")
    }

    @Test func writesMakeMissingFoldersAndFollowOnlyLinksInside() throws {
        let d = try dir()
        guard case .file(let f) = try d.open(["made", "deeper", "n.txt"], .write()).opened else { Issue.record("a file"); return }
        try f.write(Array("new".utf8))
        #expect(try String(contentsOfFile: root + "/made/deeper/n.txt", encoding: .utf8) == "new")
        guard case .file(let g) = try d.open(["dangling"], .write()).opened else { Issue.record("a file"); return }
        try g.write(Array("via link".utf8))
        #expect(try String(contentsOfFile: root + "/src/new.txt", encoding: .utf8) == "via link")
        #expect(throws: ConfinementError.symlinkLeadsOutside(path: "out")) { try d.open(["out", "new", "x.txt"], .write()) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside) == ["s.txt"])
    }

    @Test func editingRewritesTheSameFileInPlace() throws {
        let d = try dir()
        guard case .file(let f) = try d.open(["in", "a.txt"], .readWrite).opened else { Issue.record("a file"); return }
        #expect(try f.readAll() == Array("a\n".utf8))
        try f.replaceContents(Array("b".utf8))
        #expect(try String(contentsOfFile: root + "/src/a.txt", encoding: .utf8) == "b")
    }

    @Test func entriesAreSeenWithoutFollowingThem() throws {
        let d = try dir()
        let kinds = Dictionary(uniqueKeysWithValues: try d.handle.entries().map { ($0.name, $0.kind) })
        #expect(kinds["src"] == .directory && kinds["out"] == .symlink && kinds["dangling"] == .symlink)
        #expect(throws: ConfinementError.symlinkRefused(path: "in")) { try d.handle.subdirectory("in") }
        #expect(throws: ConfinementError.symlinkRefused(path: "out")) { try d.handle.file("out") }
    }
}
