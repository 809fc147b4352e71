import Testing
import TestSupport
import JobSpec

@Suite(.ownThread) struct JobLoaderTests {
    @Test func loadsAFullJob() throws {
        let job = try loadJob("""
            version: 1
            title: Nightly build
            workspace: builds/nightly
            env:
              CC: clang
              JOBS: 4
              DEBUG: true
              RATIO: 1.10
            timeout: 1h30m
            labels: [ci, nightly]
            priority: 10
            max_attempts: 2
            steps:
              - name: build
                run: make -j4
                timeout: 10m
              - run: make test
                continue_on_error: true

            """)
        #expect(job.version == 1)
        #expect(job.title == "Nightly build")
        #expect(job.workspace == "builds/nightly")
        #expect(job.env == ["CC": "clang", "JOBS": "4", "DEBUG": "true", "RATIO": "1.10"])
        #expect(job.timeout == 5400)
        #expect(job.labels == ["ci", "nightly"])
        #expect(job.priority == 10)
        #expect(job.maxAttempts == 2)
        #expect(job.steps == [
            Step(name: "build", run: "make -j4", timeout: 600, continueOnError: false, line: 14),
            Step(name: nil, run: "make test", timeout: nil, continueOnError: true, line: 17),
        ])
    }

    @Test func defaults() throws {
        let job = try loadJob("steps:\n  - run: echo hi\n")
        #expect(job == Job(steps: [Step(run: "echo hi", line: 2)]))
        #expect(job.maxAttempts == nil)
        #expect(job.priority == 0)
    }

    @Test func emptyStepListIsANoOpJob() throws {
        #expect(try loadJob("title: nothing\nsteps: []\n").steps.isEmpty)
    }

    @Test func singleLabelString() throws {
        #expect(try loadJob("labels: urgent\nsteps: []\n").labels == ["urgent"])
    }

    @Test func multilineRunKeepsText() throws {
        let job = try loadJob("steps:\n  - run: |\n      echo a\n      echo b\n")
        #expect(job.steps.first?.run == "echo a\necho b\n")
        #expect(job.steps.first?.line == 2)
    }

    @Test func aliasesWorkInJobs() throws {
        let job = try loadJob("env: &e {A: one}\nsteps:\n  - run: echo\n    timeout: &t 30s\n  - run: echo\n    timeout: *t\n")
        #expect(job.env == ["A": "one"])
        #expect(job.steps.map(\.timeout) == [30, 30])
    }

    // MARK: - pre-YAML checks

    @Test func tooLarge() {
        let e = jobError(bytes: [UInt8](repeating: 0x20, count: JobLoader.maxFileSize + 1))
        #expect(e?.reason == .tooLarge)
    }

    @Test func emptyFiles() {
        for text in ["", "  \n\n", "\t\r\n"] {
            let e = jobError(text)
            #expect(e?.reason == .empty)
            #expect(e?.mayBeIncomplete == true)
        }
    }

    @Test func onlyComments() {
        let e = jobError("# nothing yet\n")
        #expect(e?.reason == .empty)
        #expect(e?.mayBeIncomplete == false)
    }

    @Test func notUTF8ReportsFirstBadByte() {
        var bytes = Array("steps: []\ntitle: é".utf8)
        bytes += [0xFF]
        bytes += Array("x\n".utf8)
        let e = jobError(bytes: bytes)
        #expect(e?.reason == .notUTF8)
        #expect(e?.line == 2)
        #expect(e?.column == 9)
    }

    @Test func overlongAndSurrogateAreNotUTF8() {
        #expect(jobError(bytes: Array("a: ".utf8) + [0xC0, 0xAF] + [0x0A])?.column == 4)
        #expect(jobError(bytes: Array("a: ".utf8) + [0xED, 0xA0, 0x80] + [0x0A])?.reason == .notUTF8)
        #expect(jobError(bytes: Array("a: ".utf8) + [0xE2, 0x82] )?.reason == .notUTF8)
    }

    @Test func missingFinalNewlineIsTruncated() {
        let e = jobError("title: x\nsteps: []")
        #expect(e?.reason == .truncated)
        #expect(e?.line == 2)
        #expect(e?.column == 10)
        #expect(e?.mayBeIncomplete == true)
        #expect(e?.message.contains("rsync --partial") == true)
    }

    // MARK: - YAML

    @Test func syntaxErrorAtEndMayBeIncomplete() {
        let e = jobError("steps:\n  - run: \"unterminated\n")
        #expect(e?.reason == .syntax)
        #expect(e?.line == 3)
        #expect(e?.column == 1)
        #expect(e?.mayBeIncomplete == true)
    }

    @Test func syntaxErrorInTheMiddle() {
        let e = jobError("title: a: b\nsteps: []\n")
        #expect(e?.reason == .syntax)
        #expect(e?.line == 1)
        #expect(e?.column == 9)
        #expect(e?.mayBeIncomplete == false)
    }

    @Test func unknownAlias() {
        let e = jobError("title: *t\nsteps: []\n")
        #expect(e?.reason == .syntax)
        #expect(e?.line == 1)
        #expect(e?.column == 8)
        #expect(e?.message.contains("*t") == true)
    }

    @Test func duplicateKey() {
        let e = jobError("title: a\nsteps: []\ntitle: b\n")
        #expect(e?.reason == .syntax)
        #expect(e?.line == 3)
        #expect(e?.column == 1)
    }

    @Test func multipleDocuments() {
        let e = jobError("steps: []\n---\nsteps: []\n")
        #expect(e?.reason == .syntax)
        #expect(e?.line == 2)
        #expect(e?.column == 1)
    }

    @Test func deepNesting() {
        let e = jobError("env: " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + "\nsteps: []\n")
        #expect(e?.reason == .syntax)
        #expect(e?.line == 1)
        #expect(e?.column == 69)  // "env: " is 5 columns, the root mapping is level 1
    }

    @Test func billionLaughs() {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
            previous = name
        }
        text += "steps: []\n"
        let e = jobError(text)
        #expect(e?.reason == .syntax)
        #expect(e?.line == 4)
    }

    // MARK: - schema

    @Test func topLevelMustBeAMapping() {
        let e = jobError("- run: x\n")
        #expect(e?.reason == .wrongType)
        #expect(e?.line == 1)
        #expect(e?.column == 1)
    }

    @Test func unknownKeyWithSuggestion() {
        let e = jobError("steps: []\ntitel: x\n")
        #expect(e?.reason == .unknownKey)
        #expect(e?.line == 2)
        #expect(e?.column == 1)
        #expect(e?.message == "unknown key \"titel\" in the job; did you mean \"title\"?")
        #expect(e?.expected == "one of: " + JobSchema.jobKeys.joined(separator: ", "))
    }

    @Test func unknownStepKeySuggestsByFolding() {
        let e = jobError("steps:\n  - run: x\n    continueOnError: true\n")
        #expect(e?.reason == .unknownKey)
        #expect(e?.line == 3)
        #expect(e?.column == 5)
        #expect(e?.message.hasSuffix("did you mean \"continue_on_error\"?") == true)
    }

    @Test func unknownKeyWithoutSuggestion() {
        let e = jobError("steps: []\nbanana: 1\n")
        #expect(e?.reason == .unknownKey)
        #expect(e?.message == "unknown key \"banana\" in the job")
    }

    @Test func wrongTypes() {
        let title = jobError("title: [a]\nsteps: []\n")
        #expect(title?.reason == .wrongType)
        #expect(title?.line == 1)
        #expect(title?.column == 8)
        #expect(title?.expected == "a string")
        #expect(title?.message == "title must be a string, but it is a list")

        let steps = jobError("steps: run\n")
        #expect(steps?.reason == .wrongType)
        #expect(steps?.column == 8)
        #expect(steps?.expected == "a list of steps")

        let nullSteps = jobError("steps:\n")
        #expect(nullSteps?.reason == .wrongType)
        #expect(nullSteps?.message.contains("null") == true)

        let flag = jobError("steps:\n  - run: x\n    continue_on_error: yes\n")
        #expect(flag?.reason == .wrongType)
        #expect(flag?.line == 3)
        #expect(flag?.column == 24)
        #expect(flag?.expected == "true or false")

        let label = jobError("labels: [ok, 3]\nsteps: []\n")
        #expect(label?.reason == .wrongType)
        #expect(label?.column == 14)

        let step = jobError("steps:\n  - echo hi\n")
        #expect(step?.reason == .wrongType)
        #expect(step?.line == 2)
        #expect(step?.column == 5)
    }

    @Test func missingKeys() {
        let steps = jobError("title: x\n")
        #expect(steps?.reason == .missingKey)
        #expect(steps?.line == 1)
        #expect(steps?.column == 1)

        let run = jobError("steps:\n  - run: a\n  - name: b\n")
        #expect(run?.reason == .missingKey)
        #expect(run?.line == 3)
        #expect(run?.column == 5)
        #expect(run?.message == "step 2 has no \"run\" command, no \"agent\" and no \"wait\"")
    }

    @Test func waitSteps() throws {
        let job = try JobLoader.load(Array("steps:\n  - wait: all\n  - wait: any\n    timeout: 5m\n  - wait: 2\n".utf8), file: "w.yaml")
        #expect(job.steps.map(\.wait) == [.all, .any, .atLeast(2)])
        #expect(job.steps[1].timeout == 300)
        #expect(Step.WaitMode.atLeast(5).needed(of: 3) == 3 && Step.WaitMode.any.needed(of: 0) == 0 && Step.WaitMode.all.needed(of: 4) == 4)

        let zero = jobError("steps:\n  - wait: 0\n")
        #expect(zero?.reason == .invalidValue && zero?.line == 2 && zero?.column == 11, "\(String(describing: zero))")
        #expect(zero?.message == "step 1 wait must be all, any or a number of children, not \"0\"")
        let list = jobError("steps:\n  - wait: [all]\n")
        #expect(list?.reason == .wrongType && list?.line == 2)
        let both = jobError("steps:\n  - run: make\n    wait: all\n")
        #expect(both?.reason == .invalidValue && both?.line == 2 && both?.column == 5)
        #expect(both?.message == "step 1 has both \"run\" and \"wait\"")
    }

    @Test func invalidValues() {
        let priority = jobError("priority: 5000\nsteps: []\n")
        #expect(priority?.reason == .invalidValue)
        #expect(priority?.line == 1)
        #expect(priority?.column == 11)
        #expect(priority?.expected == "an integer from -1000 to 1000")

        let attempts = jobError("max_attempts: 0\nsteps: []\n")
        #expect(attempts?.reason == .invalidValue)
        #expect(attempts?.column == 15)

        let timeout = jobError("steps:\n  - run: x\n    timeout: 5 minutes\n")
        #expect(timeout?.reason == .invalidValue)
        #expect(timeout?.line == 3)
        #expect(timeout?.column == 14)

        let zero = jobError("timeout: 0\nsteps: []\n")
        #expect(zero?.reason == .invalidValue)
        #expect(zero?.column == 10)

        let emptyRun = jobError("steps:\n  - run: \"  \"\n")
        #expect(emptyRun?.reason == .invalidValue)
        #expect(emptyRun?.line == 2)
        #expect(emptyRun?.column == 10)

        let envName = jobError("env:\n  1BAD: x\nsteps: []\n")
        #expect(envName?.reason == .invalidValue)
        #expect(envName?.line == 2)
        #expect(envName?.column == 3)

        // `..` may lead out of the spool (an agent's repository usually lives elsewhere), and absolute paths are
        // accepted; without `workspace_roots:` nothing confines either (see WorkspaceRootsTests).
        #expect(jobError("workspace: a/../../x\nsteps: []\n") == nil)
    }

    @Test func envValuesMustBeScalars() {
        let e = jobError("env:\n  A: [1]\nsteps: []\n")
        #expect(e?.reason == .wrongType)
        #expect(e?.line == 2)
        #expect(e?.column == 6)
        let null = jobError("env:\n  A:\nsteps: []\n")
        #expect(null?.reason == .wrongType)
    }

    @Test func reservedKeysAreUnsupported() {
        let e = jobError("steps: []\nafter: x\n")
        #expect(e?.reason == .unsupported)
        #expect(e?.line == 2)
        #expect(e?.column == 1)
        #expect(e?.message.contains("\"after\"") == true)
        #expect(e?.message.contains("not supported in schema v1 yet") == true)
    }

    @Test func otherVersionsAreUnsupported() {
        let e = jobError("steps: []\nversion: 2\n")
        #expect(e?.reason == .unsupported)
        #expect(e?.line == 2)
        #expect(e?.column == 10)
        #expect(jobError("version: one\nsteps: []\n")?.reason == .wrongType)
    }

    @Test func errorsCarryTheFileName() {
        #expect(jobError("steps: 1\n")?.file == "job.yaml")
    }
}

@Suite(.ownThread) struct JobLoaderEdgeTests {
    @Test func controlCharacterIsASyntaxErrorWithPosition() {
        let e = jobError("steps: []\ntitle: a\u{01}b\n")
        #expect(e?.reason == .syntax)
        #expect(e?.line == 2)
        #expect(e?.column == 9)
        #expect(e?.mayBeIncomplete == false)
    }

    @Test func byteOrderMarkIsAccepted() throws {
        #expect(try loadJob("\u{FEFF}title: x\nsteps: []\n").title == "x")
    }

    @Test func crlfLineEndings() throws {
        let job = try loadJob("title: x\r\nsteps:\r\n  - run: echo\r\n")
        #expect(job.steps.first?.line == 3)
    }
}
