import Foundation
@testable import ProcessRunner
import Testing
import TestSupport

/// The `agent-runner` binary built next to the test bundle: it has the `supervise-step` command.
let supervisorBinary: String = {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("agent-runner").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return ProcessInfo.processInfo.environment["AGENT_RUNNER_BIN"] ?? "agent-runner"
}()

func supervised(_ command: String, in dir: String, timeout: Double? = nil, killGrace: Double = 0.5) throws -> RunningProcess {
    var spec = ProcessSpec(command: command, workingDirectory: dir, environment: ["PATH": "/usr/bin:/bin"],
                           stdoutPath: dir + "/out", stderrPath: dir + "/err", timeout: timeout, killGrace: killGrace)
    spec.supervisor = supervisorBinary
    return try RunningProcess.spawn(spec)
}

func waitFor(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

func fileSize(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }

@Suite(.ownThread) struct Supervised {
    @Test func theResultIsTheShellsAsWithoutASupervisor() async throws {
        let dir = try scratch()
        let p = try supervised("echo out; echo err >&2; exit 3", in: dir)
        #expect(p.supervisor != nil && p.supervisor != p.pid)
        let r = await p.wait()
        #expect(r.exitCode == 3 && r.signal == nil && r.summary == "exit 3")
        #expect(text(dir + "/out") == "out\n" && text(dir + "/err") == "err\n")
        let killed = await (try supervised("kill -KILL $$", in: dir)).wait()
        #expect(killed.signal == SIGKILL && killed.exitCode == nil)
        let stubborn = await (try supervised("trap '' TERM; sleep 120", in: dir, timeout: 0.5, killGrace: 0.5)).wait()
        #expect(stubborn.timedOut && stubborn.signal == SIGKILL, "\(stubborn)")
    }

    @Test func aSetsidGrandchildDiesWhenTheShellExits() async throws {
        let dir = try scratch()
        let r = await (try supervised("setsid sh -c 'echo $$ > pid; exec sleep 300' & while [ ! -s pid ]; do sleep 0.05; done", in: dir)).wait()
        #expect(r.succeeded)
        let pid = try #require(Int32(text(dir + "/pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        #expect(waitFor(10) { !alive(pid) }, "setsid grandchild \(pid) outlived the step")
    }

    @Test func terminateEndsASetsidGrandchildAndRemovesTheCgroup() async throws {
        let dir = try scratch()
        let p = try supervised("setsid sh -c 'echo $$ > pid; trap \"\" TERM; while :; do sleep 0.1; done' & sleep 300", in: dir, killGrace: 0.3)
        #expect(waitFor(20) { !text(dir + "/pid").isEmpty })
        let pid = try #require(Int32(text(dir + "/pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        defer { kill(pid, SIGKILL) }
        let cgroup = p.cgroupPath
        p.terminate()
        let r = await p.wait()
        #expect(r.terminated)
        #expect(!alive(pid), "a grandchild ignoring SIGTERM is killed before the result is delivered")
        if let cgroup { #expect(!FileManager.default.fileExists(atPath: cgroup), "\(cgroup) is removed") }
    }

    @Test(.enabled(if: CgroupHierarchy.detected != nil, "no cgroup can be made here"))
    func pauseFreezesASetsidGrandchild() async throws {
        let dir = try scratch()
        let p = try supervised("setsid sh -c 'while :; do echo x >> ticks; sleep 0.1; done' & sleep 300", in: dir)
        #expect(p.cgroupPath != nil)
        #expect(waitFor(20) { fileSize(dir + "/ticks") > 0 })
        p.pause()
        #expect(waitFor(10) { text(p.cgroupPath! + "/cgroup.events").contains("frozen 1") || text(p.cgroupPath! + "/freezer.state").hasPrefix("FROZEN") })
        let frozen = fileSize(dir + "/ticks")
        #expect(!waitFor(1) { fileSize(dir + "/ticks") > frozen }, "a frozen grandchild writes nothing")
        p.resume()
        #expect(waitFor(10) { fileSize(dir + "/ticks") > frozen })
        p.terminate()
        #expect(await p.wait().terminated)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/sys/fs/cgroup/freezer/cgroup.procs"), "no v1 freezer"))
    func aV1FreezerCgroupFreezesKillsAndIsRemoved() throws {
        let base = "/sys/fs/cgroup/freezer/agent-runner"
        mkdir(base, 0o755)
        let cgroup = try #require(StepCgroup.create(label: "v1-test", in: CgroupHierarchy(version: .v1, base: base)))
        let dir = try scratch()
        let p = try run("echo 0 > \(cgroup.path)/cgroup.procs; exec sleep 300", in: dir)
        #expect(waitFor(10) { cgroup.members == [p.pid] })
        cgroup.freeze()
        #expect(waitFor(10) { text(cgroup.path + "/freezer.state").hasPrefix("FROZEN") })
        #expect(cgroup.remove())
        #expect(!FileManager.default.fileExists(atPath: cgroup.path))
        #expect(waitFor(10) { !alive(p.pid) })
    }

    @Test func staleCgroupsOfDeadWorkersAreSwept() throws {
        let hierarchy = try #require(CgroupHierarchy.detected)
        let dead = "\(hierarchy.base)/stale-test.999999999-1.1"  // no process has that pid
        #expect(mkdir(dead, 0o755) == 0)
        let mine = try #require(StepCgroup.create(label: "live-test", in: hierarchy))
        StepCgroup.sweepStale(in: hierarchy)
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: mine.path), "a live worker's cgroup stays")
        #expect(mine.remove())
    }
}
