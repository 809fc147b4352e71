import AgentTools
import Foundation
import JSONCore
import Synchronization
import Testing
import TestSupport

/// A symlink swapped in between a check and a use must not lead a file tool out of the workspace.
@Suite(.ownThread) struct SymlinkRace {
    /// renameat2(2) with RENAME_EXCHANGE, which Swift's Glibc module does not import (it needs _GNU_SOURCE).
    typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
    static let renameExchange: UInt32 = 1 << 1

    /// Stops the swapping thread and counts its swaps; an atomic is what makes sharing it with the thread safe.
    final class Swapper: Sendable {
        let stop = Atomic<Bool>(false)
        let swaps = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
    }

    @Test func aSwappedSymlinkNeverLetsReadOrWriteOut() async throws {
        let base = NSTemporaryDirectory() + "race-\(UUID().uuidString)"
        let root = base + "/ws", outside = base + "/outside"
        defer { try? FileManager.default.removeItem(atPath: base) }
        for d in [root + "/d", outside] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try "inside\n".write(toFile: root + "/d/f.txt", atomically: true, encoding: .utf8)
        try "SECRET\n".write(toFile: outside + "/f.txt", atomically: true, encoding: .utf8)
        // `d` and `d.link` trade places over and over: `d` is a real folder one moment and a link out the next.
        try FileManager.default.createSymbolicLink(atPath: root + "/d.link", withDestinationPath: outside)
        let ctx = ToolContext(workspace: root, artifacts: base + "/artifacts", environment: [:])

        let handle = try #require(dlopen(nil, RTLD_NOW))
        let renameat2 = unsafeBitCast(try #require(dlsym(handle, "renameat2")), to: RenameAt2.self)
        let swapper = Swapper()
        let a = root + "/d", b = root + "/d.link"
        let thread = Thread {
            while !swapper.stop.load(ordering: .relaxed) {
                if renameat2(AT_FDCWD, a, AT_FDCWD, b, Self.renameExchange) == 0 {
                    swapper.swaps.add(1, ordering: .relaxed)
                } else {
                    swapper.failures.add(1, ordering: .relaxed)
                }
            }
        }
        thread.start()

        var leaks = 0, reads = 0, writes = 0
        let deadline = ContinuousClock.now + .seconds(5)
        for i in 0..<2000 where ContinuousClock.now < deadline {
            let read = await Toolbox.call("read_file", arguments: .object([("path", .string("d/f.txt"))]), allowed: Toolbox.names,
                                          context: ctx, callID: "r")
            if read.content.contains("SECRET") { leaks += 1 }
            if !read.isError { reads += 1 }
            let write = await Toolbox.call("write_file", arguments: .object([("path", .string("d/w\(i).txt")), ("content", .string("w"))]),
                                           allowed: Toolbox.names, context: ctx, callID: "w")
            if !write.isError { writes += 1 }
        }
        swapper.stop.store(true, ordering: .relaxed)
        while !thread.isFinished { try await Task.sleep(for: .milliseconds(1)) }

        let landedOutside = try FileManager.default.contentsOfDirectory(atPath: outside).filter { $0 != "f.txt" }
        #expect(swapper.failures.load(ordering: .relaxed) == 0, "renameat2(RENAME_EXCHANGE) failed")
        #expect(swapper.swaps.load(ordering: .relaxed) > 100, "the swap must actually race the tools")
        #expect(reads > 0 && writes > 0, "some calls must land while `d` is the real folder")
        #expect(leaks == 0, "read_file returned the outside secret \(leaks) times")
        #expect(landedOutside.isEmpty, "write_file wrote \(landedOutside.count) files outside the workspace")
        #expect(try String(contentsOfFile: outside + "/f.txt", encoding: .utf8) == "SECRET\n")
    }
}
