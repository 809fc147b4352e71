import Foundation
import JobSpec
@testable import SpoolCore
import Synchronization

/// A file-system clock the test moves by hand, to make leases stale without waiting.
final class ManualFSClock: FileSystemClock, Sendable {
    let offset = Mutex<Double>(0)
    func advance(_ seconds: Double) { offset.withLock { $0 += seconds } }
    func now() throws(SysError) -> Double {
        Date().timeIntervalSince1970 + offset.withLock { $0 }
    }
}

func makeSpool() throws -> Spool {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spoolcore-\(UUID().uuidString)").path
    let spool = Spool(root: dir)
    try spool.create()
    return spool
}

func spooler(_ spool: Spool, clock: ManualFSClock = ManualFSClock(), faults: Faults = Faults(), lease: Double = 30,
             host: String = "test") -> Spooler {
    var config = SpoolConfig()
    config.lease = lease
    config.durability = .none
    return Spooler(spool: spool, actor: Actor(host: host, pid: getpid()), config: config, fsClock: clock, faults: faults)
}

func drop(_ spool: Spool, _ name: String, _ text: String = "steps: []\n") throws {
    try text.write(toFile: spool.new.appending(name).display, atomically: true, encoding: .utf8)
}

func files(_ dir: FilePath) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir.display)) ?? []).sorted()
}
