import Foundation
import Testing

/// Runs each test case on a thread of its own instead of Swift concurrency's shared pool.
///
/// The pool has one thread per CPU (two on the CI machines), and Swift Testing runs every test on it,
/// synchronous ones included. A test that blocks — waiting for a worker process, polling the spool,
/// reading a child's pipe — holds one of those threads until it is done, and two such tests starve every
/// other test: an async test then sees its continuation resume many seconds late, and one that checks
/// that something happens promptly fails although the code under test was prompt. Every suite takes this
/// trait (a new one should too); everything its tests start with `Task {}` inherits the thread.
public struct OwnThread: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> OwnThread? {
        testCase == nil ? nil : self
    }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        let executor = ThreadExecutor(name: test.name)
        defer { executor.finish() }
        try await withTaskExecutorPreference(executor) { try await function() }
    }
}

extension Trait where Self == OwnThread {
    /// Runs each test case on a thread of its own (see `OwnThread`).
    public static var ownThread: OwnThread { OwnThread() }
}

/// A task executor backed by one thread. After `finish()`, jobs still arriving (a task the test started
/// and did not await) run on a new thread that ends once the queue is empty again, so none is dropped.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let name: String
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var finished = false
    private var threadActive = false

    init(name: String) {
        self.name = name
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        let start = !threadActive
        threadActive = true
        condition.signal()
        condition.unlock()
        if start { startThread() }
    }

    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    private func startThread() {
        let thread = Thread { [self] in
            while let job = next() { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
        thread.name = "test: \(name)"
        thread.start()
    }

    /// The next job, or nil (and the thread ends) once finished and idle.
    private func next() -> UnownedJob? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty {
            if finished {
                threadActive = false
                return nil
            }
            condition.wait()
        }
        return jobs.removeFirst()
    }
}
