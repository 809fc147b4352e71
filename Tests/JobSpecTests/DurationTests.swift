import Testing
import TestSupport
import JobSpec

@Suite(.ownThread) struct DurationTests {
    @Test(arguments: [
        ("500ms", 0.5), ("30s", 30.0), ("5m", 300.0), ("1h30m", 5400.0), ("2h", 7200.0),
        ("1.5h", 5400.0), ("1m30s", 90.0), ("1h2m3s4ms", 3723.004), ("0.25s", 0.25),
    ])
    func parses(text: String, seconds: Double) {
        #expect(DurationParser.seconds(text) == seconds)
    }

    @Test(arguments: ["", "5", "30sec", "1m1h", "5 m", "1h1h", ".5s", "-5s", "5.s", "1e3s", "ms", "5d"])
    func rejects(text: String) {
        #expect(DurationParser.seconds(text) == nil)
    }

    @Test func numbersAreSeconds() throws {
        #expect(try loadJob("timeout: 90\nsteps: []\n").timeout == 90)
        #expect(try loadJob("timeout: 0.5\nsteps: []\n").timeout == 0.5)
        #expect(try loadJob("timeout: \"2m\"\nsteps: []\n").timeout == 120)
    }

    @Test func format() {
        #expect(DurationParser.format(90) == "1m30s")
        #expect(DurationParser.format(0.5) == "500ms")
        #expect(DurationParser.format(5400) == "1h30m")
    }
}
