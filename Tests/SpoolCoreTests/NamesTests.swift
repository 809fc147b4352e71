import Foundation
@testable import SpoolCore
import Testing
import TestSupport

@Suite(.ownThread) struct Names {
    @Test(arguments: ["job.yaml", "job.yml", "a b.yaml", "-rf.yaml", "20261125T021530123Z-0123456789-host.yaml"])
    func jobs(_ name: String) { #expect(JobName.isJob(Array(name.utf8))) }

    @Test(arguments: [".job.yaml.swp", "4913", "job.yaml~", "#job.yaml#", ".#job.yaml", "sedAb12Cd", ".job.yaml.Xy12Ab",
                      ".yaml", "job.yaml.tmp", "job.json", "yaml", ""])
    func notJobs(_ name: String) { #expect(!JobName.isJob(Array(name.utf8))) }

    @Test func runIDsSortByTimeAndKeepTheirHost() throws {
        let a = RunID.make(now: 1_800_000_000.123, host: "Build Host.example.com")
        let b = RunID.make(now: 1_800_000_000.124, host: "build")
        #expect(a < b)
        #expect(a.rawValue.hasPrefix("20270115T080000123Z-"))
        #expect(a.rawValue.hasSuffix("-build-host-example-com"))
        #expect(RunID(a.rawValue) == a)
        #expect(abs((a.timestamp ?? 0) - 1_800_000_000.123) < 0.001)
        #expect(RunID("not-a-run") == nil)
        #expect(RunID("../../etc/passwd") == nil)
        let many = Set((0..<10_000).map { _ in RunID.make(now: 1_800_000_000, host: "h") })
        #expect(many.count == 10_000)
    }

    @Test func jsonEscapesEverythingThatCouldBreakALine() {
        let nasty = "a\"b\\c\nd\re\tf\u{0}g\u{1F}h\u{7F}i\u{2028}j\u{2029}k"
        let line = String(decoding: JSON.object([("s", .string(nasty))]).encoded(), as: UTF8.self)
        #expect(line == #"{"s":"a\"b\\c\nd\re\tf\u0000g\u001fh\u007fi\u2028j\u2029k"}"#)
        #expect(!line.contains("\n"))
        #expect(JSON.parse(Array(line.utf8))?["s"]?.stringValue == nasty)
    }

    @Test func invalidUTF8NamesCarryTheirBytes() throws {
        let bytes: [UInt8] = [0x62, 0xFF, 0x2E, 0x79, 0x61, 0x6D, 0x6C]
        let fields = JSON.nameFields("name", bytes)
        #expect(fields.count == 2)
        #expect(fields[1].0 == "name_b64")
        #expect(Data(base64Encoded: fields[1].1.stringValue ?? "").map(Array.init) == bytes)
        #expect(JSON.nameFields("name", Array("ok.yaml".utf8)).count == 1)
    }

    @Test func timestampsAreRFC3339WithMilliseconds() {
        #expect(Timestamp.rfc3339(0.5) == "1970-01-01T00:00:00.500Z")
        #expect(Timestamp.parse("1970-01-01T00:00:00.500Z") == 0.5)
    }
}
