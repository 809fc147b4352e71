import Foundation
import Testing
import TestSupport

extension Integration {
    /// The ways files really arrive in `new/`: editors, rsync, sed -i, slow and killed writers.
    @Suite struct Writers {
        static let job = "title: written\nsteps:\n  - run: echo ok\n"

        func sh(_ script: String) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", script]
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }

        func queuedNames(_ s: TestSpool) throws -> [String] {
            try s.runIDs(in: s.done).compactMap { run in
                try s.events(run, in: s.done).first { $0["type"] as? String == "queued" }?["name"] as? String
            }.sorted()
        }

        /// Leftovers of vim, emacs, backup files, sed and rsync hold valid YAML but are never jobs;
        /// symlinks, FIFOs and folders named like jobs are never opened as jobs.
        @Test func editorAndToolLeftoversAreIgnored() throws {
            let s = try TestSpool()
            let w = try s.startWorker()
            for leftover in [".job.yaml.swp", "4913", "job.yaml~", "#job.yaml#", "sedAb12Cd", ".job.yaml.Xy12Ab",
                             ".hidden.yaml", "notes.txt"] {
                try Writers.job.write(toFile: "\(s.new)/\(leftover)", atomically: false, encoding: .utf8)
            }
            #expect(symlink("\(s.root)/../elsewhere.yaml", "\(s.new)/.#job.yaml") == 0)  // emacs lock: a dangling symlink
            try Writers.job.write(toFile: "\(s.root)/../target.yaml", atomically: false, encoding: .utf8)
            #expect(symlink("\(s.root)/../target.yaml", "\(s.new)/link.yaml") == 0)
            #expect(mkfifo("\(s.new)/fifo.yaml", 0o644) == 0)
            #expect(mkdir("\(s.new)/folder.yaml", 0o755) == 0)
            // vim's own sequence for a new file: swap file, 4913 probe, write in place, remove swap.
            #expect(try sh("cd \(s.new) && : > .real.yaml.swp && : > 4913 && rm 4913 && printf '\(Writers.job.replacingOccurrences(of: "\n", with: "\\n"))' > real.yaml && rm .real.yaml.swp") == 0)
            #expect(s.wait(timeout: 10) { s.runIDs(in: s.done).count == 1 })
            Thread.sleep(forTimeInterval: 1)  // several poll intervals: nothing else may be claimed
            w.kill(SIGTERM)
            #expect(w.waitForExit(timeout: 20))
            #expect(try queuedNames(s) == ["real.yaml"])
            for kept in ["job.yaml~", "#job.yaml#", "sedAb12Cd", ".job.yaml.Xy12Ab", "link.yaml", "fifo.yaml", "folder.yaml"] {
                #expect(s.names(s.new).contains(kept), "\(kept) stays untouched in new/")
            }
        }

        @Test func sedInPlaceEditBeforeAWorkerStarts() throws {
            let s = try TestSpool()
            try "title: before\nsteps:\n  - run: echo PLACEHOLDER\n".write(toFile: "\(s.new)/edited.yaml", atomically: false, encoding: .utf8)
            #expect(try sh("sed -i 's/PLACEHOLDER/edited-by-sed/' \(s.new)/edited.yaml") == 0)
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            #expect(ev.contains { $0["type"] as? String == "step.output" && $0["text"] as? String == "edited-by-sed\n" })
            #expect(s.runIDs(in: s.done).count == 1)
        }

        @Test func rsyncIntoTheSpoolWhileAWorkerWatches() throws {
            let s = try TestSpool()
            let src = s.root + "/../outbox"
            try FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
            for i in 0..<20 { try Writers.job.write(toFile: "\(src)/r\(i).yaml", atomically: false, encoding: .utf8) }
            let w = try s.startWorker()
            // rsync writes each file as .NAME.XXXXXX and renames it into place.
            #expect(try sh("rsync -a \(src)/ \(s.new)/") == 0)
            #expect(s.wait(timeout: 30) { s.runIDs(in: s.done).count == 20 })
            Thread.sleep(forTimeInterval: 0.5)
            w.kill(SIGTERM)
            #expect(w.waitForExit(timeout: 20))
            #expect(try queuedNames(s) == (0..<20).map { "r\($0).yaml" }.sorted())
        }

        /// An interrupted `rsync --partial` renames a truncated file into place: rejected, never run, never lost.
        @Test func truncatedFileFromAnInterruptedTransferIsRejected() throws {
            let s = try TestSpool()
            var text = "title: big\nsteps:\n"
            while text.utf8.count < 600_000 { text += "  - run: echo padding padding padding padding padding\n" }
            let src = s.root + "/../big.yaml"
            try text.write(toFile: src, atomically: false, encoding: .utf8)
            // Cut mid-line, as an interrupted transfer leaves it.
            let cut = Array(text.utf8.prefix(300_007))
            try s.drop(Array("big.yaml".utf8), cut)
            #expect(try s.drain() == 0)
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "rejected")
            let rejected = try #require(ev.first { $0["type"] as? String == "rejected" })
            #expect(rejected["reason"] as? String == "truncated")
            #expect(rejected["file"] as? String == "big.yaml")
            #expect(rejected["line"] as? Int != nil && rejected["column"] as? Int != nil, "\(rejected)")
            #expect(!ev.contains { $0["type"] as? String == "step.started" })
            #expect(try Data(contentsOf: URL(fileURLWithPath: "\(s.done)/\(run).yaml")) == Data(cut), "the file is kept as it arrived")
        }

        /// A writer that opens the final name and writes slowly: polling sees a changing file and waits for
        /// it to settle; the close (IN_CLOSE_WRITE) claims it. The run sees the whole file.
        @Test func slowInPlaceWriterIsClaimedWhole() throws {
            let s = try TestSpool(config: "poll_interval: 200ms\nsettle: 1s\ngrace: 1s\n")
            let w = try s.startWorker()
            var lines = ["title: slow\n", "steps:\n"] + (1...8).map { "  - run: echo part-\($0)\n" }
            lines[lines.count - 1] = "  - run: echo last\n"
            // open(2) + write(2), no close until the end: only the final close emits IN_CLOSE_WRITE.
            let fd = open("\(s.new)/slow.yaml", O_WRONLY | O_CREAT | O_EXCL, 0o644)
            #expect(fd >= 0)
            for line in lines {
                _ = line.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
                Thread.sleep(forTimeInterval: 0.3)
            }
            close(fd)
            #expect(s.wait(timeout: 20) { s.runIDs(in: s.done).count == 1 })
            w.kill(SIGTERM)
            #expect(w.waitForExit(timeout: 20))
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "succeeded")
            #expect(ev.filter { $0["type"] as? String == "step.started" }.count == 8)
        }

        /// A writer killed mid-write leaves a truncated file: after the grace period it is rejected.
        @Test func writerKilledMidWriteIsRejectedNotLost() throws {
            let s = try TestSpool(config: "poll_interval: 200ms\nsettle: 300ms\ngrace: 500ms\n")
            let w = try s.startWorker()
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: "/bin/sh")
            writer.arguments = ["-c", "exec 3> \(s.new)/killed.yaml; printf 'title: killed\\nsteps:\\n  - run: echo hal' >&3; exec sleep 60"]
            try writer.run()
            Thread.sleep(forTimeInterval: 0.5)
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
            #expect(s.wait(timeout: 20) { s.runIDs(in: s.done).count == 1 })
            w.kill(SIGTERM)
            #expect(w.waitForExit(timeout: 20))
            let run = try #require(s.runIDs(in: s.done).first)
            let ev = try s.checkFinished(run, status: "rejected")
            let rejected = try #require(ev.first { $0["type"] as? String == "rejected" })
            #expect(rejected["reason"] as? String == "truncated")
            #expect(rejected["line"] as? Int == 3, "\(rejected)")
        }
    }
}
