import Foundation
import Testing
import TestSupport

/// A power cut cannot be injected here, so these check the order of the system calls that make each
/// transition durable, as `strace` sees a real worker make them: a rename is only on disk once its folder
/// has been fsynced, and nothing may depend on it before that.
extension Integration {
    @Suite struct Durability {
        /// One traced system call: its name and the paths it named, or the folder its fd was opened on.
        struct Call {
            var name: String
            var paths: [String]
        }

        /// Runs `args` under `strace -f` and returns the calls of interest in order, with each fsync's fd
        /// resolved to the path that fd was last opened on.
        static func trace(_ args: [String]) throws -> [Call] {
            let log = NSTemporaryDirectory() + "strace-\(UUID().uuidString.prefix(8)).log"
            defer { try? FileManager.default.removeItem(atPath: log) }
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
            p.arguments = ["-f", "-qq", "-o", log, "-e", "trace=openat,fsync,rename,renameat,renameat2,link,linkat,unlink,unlinkat,execve"] + args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(args)")
            var fds: [String: String] = [:]
            var calls: [Call] = []
            for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
                // "PID name(args) = result"
                guard let space = line.firstIndex(of: " "), let paren = line.firstIndex(of: "(") else { continue }
                let name = line[line.index(after: space)..<paren].trimmingCharacters(in: .whitespaces)
                let quoted = line.split(separator: "\"", omittingEmptySubsequences: false).enumerated()
                    .filter { $0.offset % 2 == 1 }.map { String($0.element) }
                let result = line.range(of: " = ").map { String(line[$0.upperBound...]) } ?? ""
                if result.hasPrefix("-1") { continue }
                switch name {
                case "openat":
                    if let path = quoted.first { fds[result.split(separator: " ").first.map(String.init) ?? ""] = path }
                case "fsync":
                    let fd = String(line[line.index(after: paren)...].prefix { $0.isNumber })
                    calls.append(Call(name: "fsync", paths: [fds[fd] ?? "?"]))
                default:
                    calls.append(Call(name: name, paths: quoted))
                }
            }
            return calls
        }

        static func index(_ calls: [Call], after start: Int = 0, _ match: (Call) -> Bool) -> Int? {
            calls[start...].firstIndex(where: match)
        }

        @Test(arguments: ["fsync", "none"])
        func claimAndFinishAreOnDiskBeforeTheRunMovesOn(durability: String) throws {
            let s = try TestSpool(config: "settle: 0s\ndurability: \(durability)\n")
            try s.drop("a.yaml", "steps:\n  - run: \"true\"\n")
            let calls = try Self.trace([Binary.path, "worker", "--spool", s.root, "--drain"])
            let run = try #require(s.runIDs(in: s.done).first)
            let cur = s.root + "/cur", done = s.root + "/done"

            let claim = try #require(Self.index(calls) { $0.name.hasPrefix("rename") && $0.paths.last == "\(cur)/\(run).yaml" })
            let step = try #require(Self.index(calls, after: claim) { $0.name == "execve" && $0.paths.first == "/bin/sh" })
            let claimSync = Self.index(calls, after: claim) { $0.name == "fsync" && $0.paths == [cur] }
            let moved = try #require(Self.index(calls, after: step) { $0.paths.last == "\(done)/\(run).yaml" })
            let token = try #require(Self.index(calls, after: moved) { $0.name.hasPrefix("unlink") && $0.paths.last?.contains("\(run).finishing.") == true })
            let finishSync = Self.index(calls, after: moved) { $0.name == "fsync" && $0.paths == [done] }
            if durability == "fsync" {
                #expect(claimSync.map { $0 < step } == true, "cur/ is fsynced after the claim and before the step runs")
                #expect(finishSync.map { $0 < token } == true, "done/ is fsynced after the job moves and before its token goes")
            } else {
                #expect(claimSync == nil && finishSync == nil, "durability: none syncs no folder")
            }
        }

        @Test func submitIsOnDiskBeforeItReportsTheRun() throws {
            let s = try TestSpool(config: "settle: 0s\n")
            let job = s.root + "/../job.yaml"
            try "steps:\n  - run: \"true\"\n".write(toFile: job, atomically: true, encoding: .utf8)
            let calls = try Self.trace([Binary.path, "submit", job, "--spool", s.root])
            let queued = try #require(Self.index(calls) { $0.name.hasPrefix("rename") && $0.paths.last?.hasPrefix(s.root + "/new/") == true })
            #expect(Self.index(calls, after: queued) { $0.name == "fsync" && $0.paths == [s.root + "/new"] } != nil)
        }
    }
}
