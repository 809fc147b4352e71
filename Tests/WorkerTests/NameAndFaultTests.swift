import Foundation
import Testing
import TestSupport

extension Integration {
    @Suite struct HostileNames {
        /// Names a shell script might produce by accident or on purpose. Each must run once, keep its exact
        /// bytes as the run's name, and appear escaped (never raw) on a single JSON line.
        @Test func hostileNamesAreEscapedInJSONLines() throws {
            let s = try TestSpool()
            let long = String(repeating: "x", count: 250) + ".yaml"  // 255 bytes, the NAME_MAX limit
            let names: [[UInt8]] = [
                Array("line\nbreak.yaml".utf8),
                Array("-rf --help.yaml".utf8),
                Array(long.utf8),
                [0x62, 0x61, 0x64, 0xFF, 0xFE, 0x2E, 0x79, 0x61, 0x6D, 0x6C],  // "bad\xFF\xFE.yaml"
                Array("quote\"back\\slash\ttab\u{2028}.yaml".utf8),
            ]
            #expect(names[2].count == 255)
            for n in names { try s.drop(n, Array("steps:\n  - run: echo ok\n".utf8)) }
            #expect(try s.drain() == 0)
            let runs = s.runIDs(in: s.done)
            #expect(runs.count == names.count)
            var seen: Set<[UInt8]> = []
            for run in runs {
                let raw = try Data(contentsOf: URL(fileURLWithPath: "\(s.done)/\(run).events.jsonl"))
                #expect(String(data: raw, encoding: .utf8) != nil, "events are valid UTF-8")
                let ev = try s.checkFinished(run, status: "succeeded")
                let queued = try #require(ev.first { $0["type"] as? String == "queued" })
                if let b64 = queued["name_b64"] as? String {
                    seen.insert(Array(try #require(Data(base64Encoded: b64))))
                    #expect((queued["name"] as? String)?.contains("\u{FFFD}") == true)
                } else {
                    seen.insert(Array((queued["name"] as? String ?? "").utf8))
                }
            }
            #expect(seen == Set(names))
            let ls = try s.run(["ls", "--json"])
            #expect(ls.status == 0)
            let listed = try JSONSerialization.jsonObject(with: Data(ls.stdout.utf8)) as? [[String: Any]]
            #expect(listed?.count == names.count)
        }
    }

    @Suite struct EventWriteFaults {
        /// Disk full (or EIO) on an event write: the run is not marked done, the worker reports it, and the
        /// run is requeued by a healthy worker once its lease goes stale.
        @Test(arguments: ["ENOSPC", "EIO"])
        func failedEventWritesNeverMarkARunDone(errno name: String) throws {
            let s = try TestSpool(config: "lease: 1s\npoll_interval: 200ms\nsettle: 0s\ngrace: 200ms\n")
            try s.drop("job.yaml", "steps:\n  - run: echo one\n  - run: echo two\n")
            // Writes 1 and 2 (queued, claimed) succeed, the third fails.
            let sick = try s.startWorker([], env: ["AGENT_RUNNER_FAULTS": "events.write=\(name)@2"])
            #expect(s.wait(timeout: 20) { sick.logText.contains("(\(name))") },
                    "the worker reports the error; log:\n\(sick.logText)")
            Thread.sleep(forTimeInterval: 0.5)
            #expect(s.runIDs(in: s.done).isEmpty, "nothing may reach done/ while events cannot be written")
            #expect(s.runIDs(in: s.cur).count == 1)
            sick.kill(SIGTERM)
            #expect(sick.waitForExit(timeout: 20))
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            #expect(ev.contains { $0["type"] as? String == "requeued" && $0["reason"] as? String == "lease-expired" })
        }
    }
}
