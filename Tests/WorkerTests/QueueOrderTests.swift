import Foundation
import Testing
import TestSupport

extension Integration {
    /// What a worker does with a queue that was filled before it started: the start-up scan's order and
    /// what the scan must leave untouched.
    @Suite struct QueueOrder {
        /// Jobs waiting in `new/` are claimed highest `priority` first; equal priorities in arrival (mtime)
        /// order. Concurrency 1, so the order of the steps' appends is the order of the claims.
        @Test func waitingJobsAreClaimedByPriorityThenArrival() throws {
            let s = try TestSpool(config: "concurrency: 1\nlease: 2s\npoll_interval: 200ms\nsettle: 0s\ngrace: 300ms\n")
            let ledger = URL(fileURLWithPath: s.root).deletingLastPathComponent().path + "/order.txt"
            let jobs: [(name: String, priority: String?, age: Int)] = [
                ("plain-old", nil, 300), ("plain-new", nil, 100), ("low", "-5", 400), ("high", "10  # urgent", 50),
                ("mid-old", "3", 200), ("mid-new", "3", 20),
            ]
            let now = Date().timeIntervalSince1970
            for job in jobs {
                let header = job.priority.map { "priority: \($0)\n" } ?? ""
                try s.drop("\(job.name).yaml", "title: \(job.name)\n\(header)steps:\n  - run: echo \(job.name) >> '\(ledger)'\n")
                // Arrival order comes from mtime: backdate each file by its age (whole seconds apart).
                var times = [timespec(tv_sec: Int(now) - job.age, tv_nsec: 0), timespec(tv_sec: Int(now) - job.age, tv_nsec: 0)]
                #expect(utimensat(AT_FDCWD, "\(s.new)/\(job.name).yaml", &times, 0) == 0)
            }
            #expect(try s.drain() == 0)
            let order = try String(contentsOfFile: ledger, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(order == ["high", "mid-old", "mid-new", "plain-old", "plain-new", "low"])
        }

        /// Reading a job (the priority peek, then the parse after the claim) leaves its access time alone:
        /// `O_NOATIME`, so a scan of a long queue does not dirty every inode in it.
        @Test func readingAJobDoesNotTouchItsAccessTime() throws {
            let s = try TestSpool(config: "concurrency: 1\nlease: 2s\npoll_interval: 200ms\nsettle: 0s\ngrace: 300ms\n")
            for name in ["a", "b"] {
                try s.drop("\(name).yaml", "priority: 1\nsteps: []\n")
                // An access time older than the mtime: with relatime, any plain read would update it.
                var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 0, tv_nsec: (1 << 30) - 2)]  // UTIME_OMIT
                #expect(utimensat(AT_FDCWD, "\(s.new)/\(name).yaml", &times, 0) == 0)
            }
            #expect(try s.drain() == 0)
            let runs = s.runIDs(in: s.done)
            #expect(runs.count == 2)
            for run in runs {
                var st = stat()
                #expect(lstat("\(s.done)/\(run).yaml", &st) == 0)
                #expect(st.st_atim.tv_sec == 1_000_000_000, "the job file's atime changed")
            }
        }
    }
}
