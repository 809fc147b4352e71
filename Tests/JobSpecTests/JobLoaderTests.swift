import Foundation
@testable import JobSpec
import Testing
import YAMLCore

func load(_ text: String) throws(JobError) -> Job { try JobLoader.load(Array(text.utf8), file: "job.yaml") }

func failure(_ text: String) -> JobError? {
    do { _ = try load(text); return nil } catch { return error }
}

@Suite struct ValidJobs {
    @Test func aFullJob() throws {
        let job = try load("""
            # a comment
            version: 1
            title: "Nightly: report"
            workspace: workspaces/report
            env:
              REGION: eu
              RETRIES: 3
              DEBUG: true
            timeout: 1h30m
            labels: [nightly, report]
            priority: -5
            max_attempts: 2
            steps:
              - name: collect
                run: |
                  echo one
                  echo two
                timeout: 500ms
              - run: exit 1
                continue_on_error: true

            """)
        #expect(job.title == "Nightly: report")
        #expect(job.workspace == "workspaces/report")
        #expect(job.env == ["REGION": "eu", "RETRIES": "3", "DEBUG": "true"])
        #expect(job.timeout == 5400)
        #expect(job.labels == ["nightly", "report"])
        #expect(job.priority == -5)
        #expect(job.maxAttempts == 2)
        #expect(job.steps == [Step(name: "collect", run: "echo one\necho two\n", timeout: 0.5, line: 14),
                              Step(run: "exit 1", continueOnError: true, line: 19)])
    }

    @Test func noOpAndShorthands() throws {
        #expect(try load("steps: []\n").steps.isEmpty)
        #expect(try load("labels: solo\nsteps: []\n").labels == ["solo"])
        let anchored = try load("x-common: &c\n  run: echo hi\nsteps: []\n".replacingOccurrences(of: "x-common: &c\n  run: echo hi\n", with: "")
                                + "")
        #expect(anchored.steps.isEmpty)
        let aliased = try load("steps:\n  - &s\n    run: echo same\n  - *s\n")
        #expect(aliased.steps.map(\.run) == ["echo same", "echo same"])
    }

    @Test(arguments: [("500ms", 0.5), ("30s", 30), ("5m", 300), ("1h30m", 5400), ("2h", 7200), ("1.5", 1.5), ("90", 90), ("1d", 86400)])
    func durations(_ text: String, _ seconds: Double) {
        #expect(Durations.parse(text) == seconds)
    }

    @Test(arguments: ["", "5 m", "m", "5x", "1h30", "-"])
    func notDurations(_ text: String) {
        #expect(Durations.parse(text) == nil)
    }
}

@Suite struct RejectedJobs {
    func expectError(_ text: String, _ reason: JobError.Reason, line: Int?, column: Int?, contains: String = "",
                     incomplete: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = failure(text) else {
            Issue.record("accepted:\n\(text)", sourceLocation: sourceLocation)
            return
        }
        #expect(e.reason == reason, "\(e)", sourceLocation: sourceLocation)
        #expect(e.line == line, "\(e)", sourceLocation: sourceLocation)
        #expect(e.column == column, "\(e)", sourceLocation: sourceLocation)
        #expect(e.file == "job.yaml", sourceLocation: sourceLocation)
        #expect(contains.isEmpty || e.description.contains(contains), "\(e)", sourceLocation: sourceLocation)
        #expect(e.mayBeIncomplete == incomplete, "\(e)", sourceLocation: sourceLocation)
    }

    @Test func fileLevelProblems() {
        expectError("", .empty, line: 1, column: 1, contains: "empty", incomplete: true)
        expectError("  \n\n", .empty, line: 1, column: 1, incomplete: true)
        expectError("# only a comment\n", .empty, line: 1, column: 1, contains: "no job")
        expectError("title: x\nsteps:\n  - run: echo hal", .truncated, line: 3, column: 18, contains: "newline", incomplete: true)
        let e = failure(String(repeating: "#", count: JobLoader.maxFileSize) + "\n")
        #expect(e?.reason == .tooLarge)
    }

    @Test func notUTF8PointsAtTheByte() throws {
        var bytes = Array("title: ok\nsteps:\n  - run: echo ".utf8)
        bytes += [0xC3, 0x28]  // a lead byte followed by a non-continuation byte
        bytes += Array("\n".utf8)
        do {
            _ = try JobLoader.load(bytes, file: "job.yaml")
            Issue.record("accepted invalid UTF-8")
        } catch {
            #expect(error.reason == .notUTF8)
            #expect(error.line == 3 && error.column == 15, "\(error)")
        }
        #expect(FileChecks.firstInvalidUTF8(Array("héllo ✓ 🎉".utf8)) == nil)
        #expect(FileChecks.firstInvalidUTF8([0xED, 0xA0, 0x80]) == 0, "surrogates are not UTF-8")
        #expect(FileChecks.firstInvalidUTF8([0xC0, 0xAF]) == 0, "overlong encodings are not UTF-8")
    }

    @Test func yamlSyntax() {
        expectError("title: [unclosed\nsteps: []\n", .syntax, line: 2, column: 6, contains: "flow sequence (started at line 1, column 8)")
        expectError("steps: [a, b\n", .syntax, line: 2, column: 1, contains: "flow sequence", incomplete: true)
        expectError("title: x\n  bad indent: y\nsteps: []\n", .syntax, line: 2, column: 13)
        expectError("title: \"open\nsteps: []\n", .syntax, line: 3, column: 1, incomplete: true)
    }

    @Test func unknownAliasDuplicateKeyAndSecondDocument() {
        expectError("title: *nowhere\nsteps: []\n", .syntax, line: 1, column: 8, contains: "alias *nowhere")
        expectError("title: a\nsteps: []\ntitle: b\n", .syntax, line: 3, column: 1, contains: "duplicate key \"title\" (first at line 1)")
        expectError("steps: []\n---\nsteps: []\n", .syntax, line: 2, column: 1, contains: "second YAML document")
    }

    @Test func depthAndAliasBombsAreCapped() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"
        expectError("steps: \(deep)", .syntax, line: 1, column: 71, contains: "nesting deeper than 64")
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (prev, name) in zip("abcdefg", "bcdefgh") {
            bomb += "\(name): &\(name) [*\(prev), *\(prev), *\(prev), *\(prev), *\(prev), *\(prev), *\(prev), *\(prev), *\(prev), *\(prev)]\n"
        }
        let e = failure(bomb + "steps: []\n")
        #expect(e?.reason == .syntax)
        #expect(e?.message.contains("more than 100000 nodes") == true, "\(String(describing: e))")
    }

    @Test func schemaProblems() {
        expectError("title: x\nstesp: []\n", .unknownKey, line: 2, column: 1, contains: "did you mean `steps`?")
        expectError("title: x\n", .missingKey, line: 1, column: 1, contains: "steps: []")
        expectError("- run: x\n", .wrongType, line: 1, column: 1, contains: "the job must be a mapping")
        expectError("title: [a]\nsteps: []\n", .wrongType, line: 1, column: 8, contains: "title must be a string, not a list")
        expectError("title: 42\nsteps: []\n", .wrongType, line: 1, column: 8, contains: "(quote it)")
        expectError("steps: run echo\n", .wrongType, line: 1, column: 8, contains: "steps must be a list")
        expectError("steps:\n  - echo hi\n", .wrongType, line: 2, column: 5, contains: "`- run: make test`")
        expectError("steps:\n  - name: x\n", .missingKey, line: 2, column: 5, contains: "no `run:`")
        expectError("steps:\n  - run: \"  \"\n", .invalidValue, line: 2, column: 10, contains: "must not be empty")
        expectError("priority: 5000\nsteps: []\n", .invalidValue, line: 1, column: 11, contains: "outside -1000…1000")
        expectError("timeout: soon\nsteps: []\n", .invalidValue, line: 1, column: 10, contains: "not a duration")
        expectError("timeout: 0\nsteps: []\n", .invalidValue, line: 1, column: 10)
        expectError("steps:\n  - run: x\n    continue_on_error: yes\n", .wrongType, line: 3, column: 24, contains: "true or false")
        expectError("env:\n  1BAD: x\nsteps: []\n", .invalidValue, line: 2, column: 3, contains: "environment variable name")
        expectError("env:\n  OK: [1]\nsteps: []\n", .wrongType, line: 2, column: 7)
        expectError("version: 2\nsteps: []\n", .unsupported, line: 1, column: 10)
    }

    @Test(arguments: ["agent", "prompt", "after", "git"])
    func reservedKeysAreRefusedNotIgnored(_ key: String) {
        expectError("\(key): x\nsteps: []\n", .unsupported, line: 1, column: 1, contains: "not supported in job schema v1 yet")
    }

    @Test func reservedStepKey() {
        expectError("steps:\n  - agent: {}\n", .unsupported, line: 2, column: 5)
    }

    @Test func descriptionReadsLikeACompilerError() {
        let e = JobError(reason: .unknownKey, file: "a.yaml", line: 3, column: 5, message: "unknown key", expected: "one of: x")
        #expect(e.description == "a.yaml:3:5: unknown key (expected: one of: x)")
        #expect(JobError(reason: .tooLarge, file: "a.yaml", message: "big").description == "a.yaml: big")
    }
}

@Suite struct Config {
    @Test func defaultsAndOverrides() throws {
        #expect(try SpoolConfig.load([], file: "config.yaml") == SpoolConfig())
        #expect(try SpoolConfig.load(Array("# nothing\n".utf8), file: "config.yaml") == SpoolConfig())
        let c = try SpoolConfig.load(Array("""
            concurrency: 8
            lease: 1m
            poll_interval: 500ms
            max_attempts: 5
            grace: 0
            settle: 0s
            shutdown_grace: 3s
            kill_grace: 1
            output_event_cap: 1000
            durability: none
            """.utf8), file: "config.yaml")
        #expect(c.concurrency == 8 && c.lease == 60 && c.pollInterval == 0.5 && c.maxAttempts == 5)
        #expect(c.grace == 0 && c.settle == 0 && c.shutdownGrace == 3 && c.killGrace == 1)
        #expect(c.outputEventCap == 1000 && c.durability == SpoolConfig.Durability.none)
    }

    @Test func badConfigNamesTheLine() {
        do {
            _ = try SpoolConfig.load(Array("lease: 30s\nconcurency: 4\n".utf8), file: "spool/config.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("spool/config.yaml:2:1: unknown key `concurency`"))
            #expect(error.description.contains("did you mean `concurrency`?"))
        }
    }
}

@Suite struct YAMLLayer {
    @Test func marksAreOneBased() throws {
        let root = try #require(try YAMLParser().parse(Array("a: 1\nb:\n  - x\n".utf8)))
        guard case .mapping(let pairs) = root.kind else { Issue.record("not a mapping"); return }
        #expect(pairs[0].key.mark == Mark(line: 1, column: 1))
        #expect(pairs[0].value.mark == Mark(line: 1, column: 4))
        guard case .sequence(let items) = pairs[1].value.kind else { Issue.record("not a list"); return }
        #expect(items[0].mark == Mark(line: 3, column: 5))
    }

    @Test func coreSchemaResolution() throws {
        let root = try #require(try YAMLParser().parse(Array("[~, null, true, False, yes, 12, -3, 0x1f, 1.5, '12', \"true\", !!str 7, .inf]\n".utf8)))
        guard case .sequence(let items) = root.kind else { Issue.record("not a list"); return }
        #expect(items.map(\.resolved) == [.null, .null, .bool(true), .bool(false), .string("yes"), .int(12), .int(-3), .int(31),
                                          .float(1.5), .string("12"), .string("true"), .string("7"), .float(.infinity)])
    }
}
