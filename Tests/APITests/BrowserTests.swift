import Foundation
import Testing
import TestSupport

/// The web console in a real headless Chromium, driven by selenium through chromium-driver
/// (Tests/Browser/console_test.py starts the real `serve`, with a token, and a real worker on a temporary
/// spool; no stand-in for the API). Screenshots of each stage are kept in test-artifacts/browser/ at the
/// top of the checkout.
@Suite("Web console in Chromium", .ownThread)
struct BrowserTests {
    /// The checkout: this file is Tests/APITests/BrowserTests.swift.
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func consoleDrivesRunsEndToEnd() throws {
        let script = Self.repo.appendingPathComponent("Tests/Browser/console_test.py").path
        let shots = Self.repo.appendingPathComponent("test-artifacts/browser").path
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing: run scripts/deps.sh --test (it installs chromium, chromium-driver and selenium)")
            return
        }
        let log = NSTemporaryDirectory() + "console-test-\(UUID().uuidString.prefix(8)).log"
        let p = try WorkerProcess(args: [], env: [:], log: log, executable: "/usr/bin/env",
                                  arguments: ["python3", script, "--binary", Binary.path, "--screenshots", shots])
        let finished = p.waitForExit(timeout: 240)
        if !finished { p.kill(SIGKILL) }
        let output = p.logText
        #expect(finished, "the browser test did not finish in 240 s:\n\(output)")
        #expect(p.exitStatus == 0, "console_test.py failed:\n\(output)")
        for name in ["token.png", "dashboard.png", "modal.png", "run-live.png", "run-done.png", "run-retried.png", "run-diff.png", "phone.png"] {
            #expect(FileManager.default.fileExists(atPath: shots + "/" + name), "no screenshot \(name)")
        }
        try? FileManager.default.removeItem(atPath: log)
    }
}
