import Testing
import TestSupport
import JobSpec

@Suite(.ownThread) struct JobErrorTests {
    @Test func descriptionFormat() {
        let full = JobError(reason: .wrongType, file: "a.yaml", line: 3, column: 7, message: "title must be a string", expected: "a string")
        #expect(full.description == "a.yaml:3:7: title must be a string (expected: a string)")
        let noPosition = JobError(reason: .tooLarge, file: "a.yaml", message: "too big")
        #expect(noPosition.description == "a.yaml: too big")
        let noFile = JobError(reason: .syntax, file: "", line: 2, column: 1, message: "bad")
        #expect(noFile.description == "2:1: bad")
        let nothing = JobError(reason: .empty, file: "", message: "empty")
        #expect(nothing.description == "empty")
    }

    @Test func loaderErrorDescription() {
        let e = jobError("steps: []\ntitel: x\n")
        #expect(e?.description.hasPrefix("job.yaml:2:1: unknown key \"titel\"") == true)
        #expect(e?.description.hasSuffix("(expected: one of: version, title, workspace, env, timeout, labels, priority, max_attempts, steps, agent, prompt, git)") == true)
    }
}
