import Foundation
import Testing
import TestSupport

extension Integration {
    /// Hostile step processes: they fork, ignore SIGTERM, flood output, read stdin.
    @Suite struct Steps {
        func only(_ s: TestSpool) throws -> (String, [[String: Any]]) {
            let run = try #require(s.runIDs(in: s.done).first)
            return (run, try s.events(run, in: s.done))
        }

        func stepFinished(_ ev: [[String: Any]], _ step: Int = 1) -> [String: Any] {
            ev.first { $0["type"] as? String == "step.finished" && $0["step"] as? Int == step } ?? [:]
        }

        func alive(_ pid: Int32) -> Bool {
            guard kill(pid, 0) == 0 else { return false }
            // A zombie waiting for its reaper is dead too.
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
        }

        @Test func grandchildrenAreKilledWhenTheStepEnds() throws {
            let s = try TestSpool()
            let pidfile = s.root + "/../grandchild.pid"
            try s.drop("fork.yaml", "steps:\n  - run: sleep 300 & echo $! > \(pidfile); echo parent done\n")
            #expect(try s.drain() == 0)
            let (run, ev) = try only(s)
            try s.checkFinished(run, status: "succeeded")
            #expect(stepFinished(ev)["exit_code"] as? Int == 0)
            let pid = try #require(Int32(try String(contentsOfFile: pidfile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(s.wait(timeout: 10) { !alive(pid) }, "grandchild \(pid) outlived its step")
        }

        /// A grandchild that left the step's session and process group with `setsid` ends with the step too.
        @Test func aSetsidGrandchildIsKilledWhenItsStepEnds() throws {
            let s = try TestSpool()
            let (pidfile, ticks) = (s.root + "/../escapee.pid", s.root + "/../ticks")
            try s.drop("escape.yaml", """
                steps:
                  - run: setsid sh -c 'echo $$ > \(pidfile); while :; do echo x >> \(ticks); sleep 0.1; done' & while [ ! -s \(pidfile) ]; do sleep 0.05; done

                """)
            #expect(try s.drain() == 0)
            let (run, _) = try only(s)
            try s.checkFinished(run, status: "succeeded")
            let pid = try #require(Int32(StepProcesses.lines(pidfile).first ?? ""))
            defer { kill(pid, SIGKILL) }
            #expect(s.wait(timeout: 10) { !alive(pid) }, "setsid grandchild \(pid) outlived its step")
        }

        /// Pausing a run freezes a `setsid` grandchild as well (it stops writing), resume thaws it, stop kills it.
        @Test func aSetsidGrandchildIsFrozenWhileTheRunIsPaused() throws {
            let s = try TestSpool()
            let (pidfile, ticks) = (s.root + "/../escapee.pid", s.root + "/../ticks")
            let r = try s.run(["submit", "-"], stdin: """
                steps:
                  - run: setsid sh -c 'echo $$ > \(pidfile); while :; do echo x >> \(ticks); sleep 0.1; done' & sleep 60

                """)
            #expect(r.status == 0, "\(r.stderr)")
            let run = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let w = try s.startWorker(["--drain"])
            #expect(s.wait(timeout: 20) { StepProcesses.size(ticks) > 0 })
            let pid = try #require(Int32(StepProcesses.lines(pidfile).first ?? ""))
            defer { kill(pid, SIGKILL) }
            #expect(try s.run(["pause", run]).status == 0)
            #expect(s.wait(timeout: 10) { StepProcesses.isStoppedOrFrozen(pid) }, "paused grandchild is \(StepProcesses.state(pid))")
            // Frozen means no more writes: the file must not grow over a full second (it grows every 0.1 s otherwise).
            let frozenSize = StepProcesses.size(ticks)
            #expect(!s.wait(timeout: 1) { StepProcesses.size(ticks) > frozenSize }, "the paused grandchild kept writing")
            #expect(try s.run(["resume", run]).status == 0)
            #expect(s.wait(timeout: 10) { StepProcesses.size(ticks) > frozenSize }, "the resumed grandchild writes again")
            #expect(try s.run(["stop", run]).status == 0)
            #expect(w.waitForExit(timeout: 30))
            try s.checkFinished(run, status: "stopped")
            #expect(s.wait(timeout: 5) { !alive(pid) }, "the stopped run's grandchild \(pid) is still alive")
        }

        @Test func aStepIgnoringSIGTERMIsKilledAfterItsTimeout() throws {
            let s = try TestSpool()
            try s.drop("stubborn.yaml", """
                steps:
                  - run: trap '' TERM; echo started; sleep 60; echo never
                    timeout: 1s

                """)
            let started = Date()
            #expect(try s.drain() == 0)
            #expect(Date().timeIntervalSince(started) < 30)
            let (run, ev) = try only(s)
            let last = try s.checkFinished(run, status: "failed").last ?? [:]
            #expect((last["reason"] as? String ?? "").contains("timed out"), "\(last)")
            let f = stepFinished(ev)
            #expect(f["timed_out"] as? Bool == true)
            #expect(f["signal"] as? Int == Int(SIGKILL), "\(f)")
            let stdout = try String(contentsOfFile: "\(s.done)/\(run).artifacts/step-01.stdout", encoding: .utf8)
            #expect(stdout == "started\n")
        }

        @Test func floodedOutputIsCappedInEventsAndKeptInArtifacts() throws {
            let s = try TestSpool(config: "settle: 0s\noutput_event_cap: 100000\n")
            try s.drop("flood.yaml", "steps:\n  - run: yes 0123456789 | head -c 20000000\n")
            #expect(try s.drain(timeout: 120) == 0)
            let (run, ev) = try only(s)
            try s.checkFinished(run, status: "succeeded")
            let size = try FileManager.default.attributesOfItem(atPath: "\(s.done)/\(run).artifacts/step-01.stdout")[.size] as? Int
            #expect(size == 20_000_000)
            let inEvents = ev.filter { $0["type"] as? String == "step.output" }.map { ($0["text"] as? String ?? "").utf8.count }.reduce(0, +)
            #expect(inEvents <= 100_000 && inEvents > 0, "output in events: \(inEvents)")
            let f = stepFinished(ev)
            #expect(f["stdout_bytes"] as? Int == 20_000_000)
            #expect(f["stdout_truncated"] as? Bool == true)
            let lines = try String(contentsOfFile: "\(s.done)/\(run).events.jsonl", encoding: .utf8).split(separator: "\n")
            #expect(lines.allSatisfy { $0.utf8.count < 20_000 }, "events stay line-sized")
        }

        @Test func aStepReadingStdinGetsEndOfFile() throws {
            let s = try TestSpool()
            try s.drop("stdin.yaml", "steps:\n  - run: cat; read line || echo eof\n    timeout: 20s\n")
            #expect(try s.drain() == 0)
            let (run, _) = try only(s)
            try s.checkFinished(run, status: "succeeded")
            #expect(try String(contentsOfFile: "\(s.done)/\(run).artifacts/step-01.stdout", encoding: .utf8) == "eof\n")
        }

        @Test func failingStepsStopTheRunUnlessContinueOnError() throws {
            let s = try TestSpool()
            try s.drop("fail.yaml", """
                title: fails
                env:
                  GREETING: hello
                steps:
                  - name: tolerated
                    run: exit 3
                    continue_on_error: true
                  - name: greet
                    run: echo "$GREETING from $AGENT_RUNNER_RUN_ID"
                  - name: fatal
                    run: exit 4
                  - name: never
                    run: echo never

                """)
            #expect(try s.drain() == 0)
            let (run, ev) = try only(s)
            let last = try s.checkFinished(run, status: "failed").last ?? [:]
            #expect((last["reason"] as? String ?? "").contains("exit 4"))
            #expect(stepFinished(ev, 1)["exit_code"] as? Int == 3)
            #expect(ev.filter { $0["type"] as? String == "step.started" }.count == 3)
            let out = ev.first { $0["type"] as? String == "step.output" && $0["step"] as? Int == 2 }?["text"] as? String
            #expect(out == "hello from \(run)\n")
        }

        /// Pause stops the step's process group (state T), resume continues it, stop ends the run as stopped.
        @Test func pauseResumeAndStopDriveTheProcessGroup() throws {
            let s = try TestSpool()
            let pidfile = s.root + "/../step.pid"
            let r = try s.run(["submit", "-"], stdin: "steps:\n  - run: echo $$ > \(pidfile); exec sleep 60\n")
            #expect(r.status == 0, "\(r.stderr)")
            let run = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let w = try s.startWorker(["--drain"])
            func written() -> Int32? { Int32(((try? String(contentsOfFile: pidfile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) }
            #expect(s.wait(timeout: 20) { written() != nil })
            // `exec` so that the pid read back is the sleeping process (see the ProcessRunner pause test).
            let pid = try #require(written())
            func state() -> String {
                let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
                return String(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).prefix(1) ?? "?")
            }
            #expect(try s.run(["pause", run]).status == 0)
            #expect(s.wait(timeout: 5) { state() == "T" }, "paused step should be stopped, is \(state())")
            #expect(try s.run(["resume", run]).status == 0)
            #expect(s.wait(timeout: 5) { state() == "S" || state() == "R" }, "resumed step should run, is \(state())")
            #expect(try s.run(["stop", run]).status == 0)
            #expect(w.waitForExit(timeout: 30))
            let ev = try s.checkFinished(run, status: "stopped")
            let types = ev.map { $0["type"] as? String ?? "" }
            for t in ["paused", "resumed", "stop.requested"] { #expect(types.contains(t), "\(types)") }
            #expect(s.wait(timeout: 5) { !alive(pid) })
            #expect(s.names(s.root + "/control").isEmpty, "control files are cleaned up")
        }
    }
}
