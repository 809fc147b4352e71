import Synchronization
import Testing
import TestSupport
@testable import Worker

/// `RunControl` alone, with the control files replaced by a flag pair the test sets.
@Suite(.ownThread) struct RunControlSignals {
    final class Files: Sendable {
        let value = Mutex((pause: false, stop: false))
        func set(pause: Bool = false, stop: Bool = false) { value.withLock { $0 = (pause, stop) } }
    }

    func make() -> (RunControl, Files) {
        let files = Files()
        return (RunControl(pollInterval: .milliseconds(10)) { files.value.withLock { $0 } }, files)
    }

    func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func theStrongestReasonNamesTheState() {
        let (control, files) = make()
        files.set(pause: true)
        #expect(control.refresh().state == .paused)
        files.set(pause: true, stop: true)
        #expect(control.refresh().state == .stopping(.requested))
        control.requestShutdown()
        #expect(control.state == .stopping(.shutdown))
        control.markLogFailed()
        #expect(control.state == .stopping(.logFailed))
        control.markLost()
        #expect(control.state == .stopping(.lost))
    }

    @Test func aPausedWaitLogsThePauseAndTheResumeOnce() async {
        let (control, files) = make()
        files.set(pause: true)
        let log = Mutex<[String]>([])
        let watcher = Task { await control.watch() }
        defer { watcher.cancel() }
        let gate = Task {
            await control.waitWhilePaused(onPause: { log.withLock { $0.append("paused") }; return true },
                                          onResume: { log.withLock { $0.append("resumed") }; return true })
        }
        #expect(await eventually { log.withLock { $0 } == ["paused"] })
        try? await Task.sleep(for: .milliseconds(50))
        files.set()
        #expect(await gate.value == .proceed)
        #expect(log.withLock { $0 } == ["paused", "resumed"])
        #expect(await eventually { control.waiters == 0 }, "a finished wait leaves no waiter behind")
    }

    @Test func aLostLeaseEndsAPausedWaitWithoutAPoll() async {
        let (control, files) = make()
        files.set(pause: true)
        let gate = Task { await control.waitWhilePaused(onPause: { true }, onResume: { true }) }
        #expect(await eventually { control.waiters == 1 })
        control.markLost()
        #expect(await gate.value == .stop(.lost))
    }

    @Test func aFailedPauseEventEndsTheWaitWithItsReason() async {
        let (control, files) = make()
        files.set(pause: true)
        let gate = await control.waitWhilePaused(onPause: { control.markLogFailed(); return false }, onResume: { true })
        #expect(gate == .stop(.logFailed))
    }

    @Test func changesDeliverTheNewestStateInOrder() async {
        let (control, files) = make()
        var changes = control.changes().makeAsyncIterator()
        #expect(await changes.next() == .running)
        files.set(pause: true)
        control.refresh()
        #expect(await changes.next() == .paused)
        files.set(stop: true)
        control.refresh()
        control.requestShutdown()
        #expect(await changes.next() == .stopping(.shutdown))
    }

    @Test func firstGivesUpAfterItsTime() async {
        let (control, files) = make()
        let watcher = Task { await control.watch() }
        defer { watcher.cancel() }
        #expect(await control.first(within: 0.05) { $0 != .running } == nil)
        #expect(await eventually { control.waiters == 0 }, "a wait that gave up leaves no waiter behind")
        // The stop file appears only once the wait is in place, so the answer cannot depend on how fast a
        // loaded machine runs the waiting task; the wait's own limit is far beyond the watcher's 10 ms polls.
        let waiting = Task { await control.first(within: 60) { $0 != .running } }
        #expect(await eventually { control.waiters == 1 })
        files.set(stop: true)
        #expect(await waiting.value == .stopping(.requested))
        #expect(await eventually { control.waiters == 0 })
    }
}
