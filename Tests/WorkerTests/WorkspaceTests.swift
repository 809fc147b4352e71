import Foundation
import Testing
import TestSupport

extension Integration {
    /// Absolute `workspace:` paths, and config.yaml's `workspace_roots:` as submit, validate and the worker apply it.
    @Suite struct Workspaces {
        static let config = TestSpool.config()

        func hostName() -> String {
            var buf = [UInt8](repeating: 0, count: 256)
            gethostname(&buf, 255)
            return String(decoding: buf.prefix { $0 != 0 }, as: UTF8.self)
        }

        @Test func anAbsoluteWorkspaceMissingOnThisHostFailsTheRunNamingHostAndPath() throws {
            let s = try TestSpool()
            let missing = URL(fileURLWithPath: s.root).deletingLastPathComponent().standardizedFileURL.path + "/no-such-checkout/app"
            try s.drop("abs.yaml", "workspace: \(missing)\nsteps:\n  - run: echo never\n")
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "failed")
            let reason = ev.last?["reason"] as? String ?? ""
            #expect(reason.contains(missing) && reason.contains("host \(hostName())"), "\(reason)")
            #expect(!ev.contains { $0["type"] as? String == "step.started" })
            #expect(!FileManager.default.fileExists(atPath: missing), "an absolute workspace is never created")
        }

        @Test func anAbsoluteWorkspaceThatExistsIsWhereStepsRun() throws {
            let s = try TestSpool()
            let checkout = URL(fileURLWithPath: s.root).deletingLastPathComponent().standardizedFileURL.path + "/checkout"
            try FileManager.default.createDirectory(atPath: checkout, withIntermediateDirectories: false)
            try s.drop("abs.yaml", "workspace: \(checkout)\nsteps:\n  - run: pwd > here\n")
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            try s.checkFinished(run, status: "succeeded")
            let here = try String(contentsOfFile: checkout + "/here", encoding: .utf8)
            #expect(here.trimmingCharacters(in: .whitespacesAndNewlines) == checkout)
        }

        @Test func aWorkspaceOutsideTheRootsIsRefusedBySubmitValidateAndTheWorker() throws {
            let s = try TestSpool(config: Self.config + "workspace_roots: [/srv/repos]\n")
            let job = s.root + "/../outside.yaml"
            try "title: x\nworkspace: /srv/repos2/app\nsteps: []\n".write(toFile: job, atomically: false, encoding: .utf8)

            let submitted = try s.run(["submit", job])
            #expect(submitted.status != 0)
            #expect(submitted.stderr.contains("outside.yaml:2:12"), "\(submitted.stderr)")
            #expect(submitted.stderr.contains("workspace_roots"), "\(submitted.stderr)")
            #expect(s.jobFiles(s.new).isEmpty)

            let validated = try TestSpool.cli(["validate", "--json", "--spool", s.root, job])
            #expect(validated.status != 0)
            let report = try JSONSerialization.jsonObject(with: Data(validated.stdout.utf8)) as? [[String: Any]]
            #expect(report?.first?["line"] as? Int == 2 && report?.first?["column"] as? Int == 12, "\(validated.stdout)")
            // Without a spool there are no roots to check.
            #expect(try TestSpool.cli(["validate", job], env: ["AGENT_RUNNER_SPOOL": "/nonexistent"]).status == 0)

            // Jobs that reached new/ another way are rejected by the worker, at the `workspace:` value; a relative
            // workspace climbing out of the spool is outside too, one inside the spool is not.
            try s.drop("outside.yaml", "title: x\nworkspace: /srv/repos2/app\nsteps: []\n")
            try s.drop("climbs.yaml", "title: x\nworkspace: ../elsewhere\nsteps: []\n")
            try s.drop("inside.yaml", "title: x\nworkspace: builds/x\nsteps: []\n")
            #expect(try s.drain() == 0)
            let ends = try s.runIDs(in: s.done).map { try s.events($0, in: s.done) }
            #expect(ends.map { $0.last?["status"] as? String ?? "?" }.sorted() == ["rejected", "rejected", "succeeded"])
            let rejections = ends.flatMap { $0.filter { $0["type"] as? String == "rejected" } }
            #expect(rejections.count == 2 && rejections.allSatisfy { $0["line"] as? Int == 2 && $0["column"] as? Int == 12 },
                    "\(rejections)")
        }
    }
}
