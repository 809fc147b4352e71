import Foundation
import ProcessRunner
import Testing
import TestSupport

func scratch() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("proc-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func run(_ command: String, in dir: String, env: [String: String] = ["PATH": "/usr/bin:/bin"], timeout: Double? = nil,
         killGrace: Double = 0.5) throws -> RunningProcess {
    try RunningProcess.spawn(ProcessSpec(command: command, workingDirectory: dir, environment: env,
                                         stdoutPath: dir + "/out", stderrPath: dir + "/err", timeout: timeout, killGrace: killGrace))
}

func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

func alive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    let stat = text("/proc/\(pid)/stat")
    return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? true)
}

func procState(_ pid: Int32) -> String {
    String(text("/proc/\(pid)/stat").split(separator: ")").last?.trimmingCharacters(in: .whitespaces).prefix(1) ?? "?")
}

@Suite(.ownThread) struct Processes {
    @Test func exitCodesEnvironmentAndWorkingDirectory() async throws {
        let dir = try scratch()
        let p = try run("echo \"$GREETING\" from \"$(pwd)\"; echo oops >&2; exit 3", in: dir, env: ["GREETING": "hi", "PATH": "/bin"])
        let r = await p.wait()
        #expect(r.exitCode == 3)
        #expect(r.signal == nil)
        #expect(!r.succeeded)
        #expect(r.summary == "exit 3")
        #expect(text(dir + "/out") == "hi from \(dir)\n")
        #expect(text(dir + "/err") == "oops\n")
        #expect(await p.wait() == r, "wait can be called again")
    }

    @Test func outputAppendsAndTheEnvironmentIsExactlyWhatWasGiven() async throws {
        let dir = try scratch()
        try "earlier\n".write(toFile: dir + "/out", atomically: false, encoding: .utf8)
        let r = await (try run("env | sort", in: dir, env: ["ONLY": "this"])).wait()
        #expect(r.succeeded)
        let lines = text(dir + "/out").split(separator: "\n")
        #expect(lines.first == "earlier")
        #expect(lines.contains("ONLY=this"))
        #expect(!lines.contains { $0.hasPrefix("HOME=") })
    }

    @Test func stdinIsDevNull() async throws {
        let dir = try scratch()
        let started = Date()
        let r = await (try run("cat; read x || echo eof", in: dir, timeout: 60)).wait()
        #expect(r.succeeded)
        #expect(text(dir + "/out") == "eof\n")
        // A stdin left open would block `cat` until the 60 s timeout; the bound is loose for loaded machines.
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func onlyStandardDescriptorsAreInherited() async throws {
        let dir = try scratch()
        let leaked = open(dir + "/leak", O_WRONLY | O_CREAT, 0o644)  // deliberately without O_CLOEXEC
        defer { close(leaked) }
        let r = await (try run("ls /proc/self/fd | sort -n | tr '\\n' ' '", in: dir)).wait()
        #expect(r.succeeded)
        // 0, 1, 2, and the fd `ls` itself opens to read the directory.
        #expect(text(dir + "/out").split(separator: " ").count <= 4, "\(text(dir + "/out"))")
    }

    @Test func timeoutKillsAGroupThatIgnoresSIGTERM() async throws {
        let dir = try scratch()
        let started = Date()
        let p = try run("trap '' TERM; echo started; sleep 120", in: dir, timeout: 0.5, killGrace: 0.5)
        let r = await p.wait()
        #expect(r.timedOut)
        #expect(r.signal == SIGKILL)
        #expect(r.summary.hasPrefix("timed out after 500ms"), "\(r.summary)")
        #expect(Date().timeIntervalSince(started) < 60)  // the group would otherwise sleep 120 s
        #expect(text(dir + "/out") == "started\n")
    }

    @Test func terminateEndsTheWholeGroup() async throws {
        let dir = try scratch()
        let p = try run("sleep 60 & echo $! > child; wait", in: dir)
        try await waitFor { FileManager.default.fileExists(atPath: dir + "/child") && !text(dir + "/child").isEmpty }
        let child = try #require(Int32(text(dir + "/child").trimmingCharacters(in: .whitespacesAndNewlines)))
        p.terminate()
        let r = await p.wait()
        #expect(r.terminated && !r.succeeded)
        #expect(r.summary.hasPrefix("terminated"))
        try await waitFor { !alive(child) }
    }

    @Test func grandchildrenDoNotOutliveTheLeader() async throws {
        let dir = try scratch()
        let r = await (try run("sleep 300 & echo $! > child; exit 0", in: dir)).wait()
        #expect(r.succeeded)
        let child = try #require(Int32(text(dir + "/child").trimmingCharacters(in: .whitespacesAndNewlines)))
        try await waitFor { !alive(child) }
    }

    @Test func pauseStopsTheGroupAndResumeContinuesIt() async throws {
        let dir = try scratch()
        // `exec`: dash runs a simple command by vfork, and a SIGSTOP that lands between vfork and exec leaves
        // the leader in D (waiting for its stopped child) rather than T. The group is paused either way, but
        // this test reads the leader's state, so the leader must be the sleeping process itself.
        let p = try run("echo $$ > pid; exec sleep 30", in: dir)
        try await waitFor { !text(dir + "/pid").isEmpty }
        p.pause()
        try await waitFor { procState(p.pid) == "T" }
        p.resume()
        try await waitFor { procState(p.pid) == "S" || procState(p.pid) == "R" }
        p.terminate()
        #expect(await p.wait().terminated)
    }

    @Test func aFloodDoesNotBlock() async throws {
        let dir = try scratch()
        let r = await (try run("yes 0123456789 | head -c 50000000", in: dir, timeout: 60)).wait()
        #expect(r.succeeded)
        let size = try FileManager.default.attributesOfItem(atPath: dir + "/out")[.size] as? Int
        #expect(size == 50_000_000)
    }

    @Test func aMissingWorkingDirectoryIsAClearError() throws {
        let dir = try scratch()
        #expect {
            _ = try RunningProcess.spawn(ProcessSpec(command: "true", workingDirectory: dir + "/missing", environment: [:],
                                                     stdoutPath: dir + "/out", stderrPath: dir + "/err", timeout: nil, killGrace: 1))
        } throws: { error in
            let e = error as? ProcessError
            return e?.stage == .workingDirectory && e?.errno == ENOENT && "\(error)".contains("/missing")
        }
    }
}

@Suite(.ownThread) struct Following {
    @Test func linesAreCutAtNewlinesAndTheCapIsKept() throws {
        let dir = try scratch()
        let path = dir + "/out"
        let f = OutputFollower(path: path, cap: 20)
        #expect(f.poll(maxChunk: 8) == nil, "the file does not exist yet")
        let fh = try #require({ () -> FileHandle? in
            _ = FileManager.default.createFile(atPath: path, contents: nil)
            return FileHandle(forWritingAtPath: path)
        }())
        fh.write(Data("one\ntw".utf8))
        #expect(f.poll(maxChunk: 8).map { String(decoding: $0, as: UTF8.self) } == "one\n")
        #expect(f.poll(maxChunk: 8) == nil, "an unfinished line waits")
        fh.write(Data("o\nabcdefghijkl\n".utf8))
        #expect(f.poll(maxChunk: 8).map { String(decoding: $0, as: UTF8.self) } == "two\n")
        #expect(f.poll(maxChunk: 8).map { String(decoding: $0, as: UTF8.self) } == "abcdefgh", "a long line is cut at maxChunk")
        #expect(f.poll(maxChunk: 8).map { String(decoding: $0, as: UTF8.self) } == "ijkl", "capped at 20 bytes in total")
        fh.write(Data("more output\nand a tail".utf8))
        #expect(f.poll(maxChunk: 8) == nil)
        #expect(f.flush() == nil)
        #expect(f.returnedBytes == 20)
        #expect(f.truncatedBytes == 1 + 22)
        try fh.close()
    }

    @Test func flushReturnsAFinalPartialLine() throws {
        let dir = try scratch()
        try "a\nb".write(toFile: dir + "/out", atomically: false, encoding: .utf8)
        let f = OutputFollower(path: dir + "/out", cap: 100)
        #expect(f.poll(maxChunk: 100).map { String(decoding: $0, as: UTF8.self) } == "a\n")
        #expect(f.flush().map { String(decoding: $0, as: UTF8.self) } == "b")
        #expect(f.returnedBytes == 3 && f.truncatedBytes == 0)
    }

    @Test func multibyteCharactersAreNotSplit() throws {
        let dir = try scratch()
        try "ééééé\n".write(toFile: dir + "/out", atomically: false, encoding: .utf8)  // 2 bytes each
        let f = OutputFollower(path: dir + "/out", cap: 100)
        let first = try #require(f.poll(maxChunk: 5))
        #expect(first.count == 4)
        #expect(String(validating: first, as: UTF8.self) == "éé")
    }
}

func waitFor(timeout: Double = 10, _ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    #expect(condition(), "condition not met within \(timeout)s", sourceLocation: sourceLocation)
}
