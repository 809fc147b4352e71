import JobSpec
import Testing
import TestSupport

/// A form shows a validation error at its field: the error's line and column lead back to the key path.
@Suite("Error key paths", .ownThread)
struct ErrorKeyPathTests {
    func path(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        do {
            _ = try JobLoader.load(bytes, file: "t.yaml")
            return "no error"
        } catch {
            return error.keyPath(in: bytes)
        }
    }

    @Test func pointsAtTheField() {
        #expect(path("title: x\nagent:\n  provider: nope\n  prompt: hi\n") == "agent.provider")
        #expect(path("title: x\nagent:\n  provider: anthropic\n  promt: hi\n") == "agent.promt")
        #expect(path("steps:\n  - run: echo\n  - run: [1]\n") == "steps[1].run")
        #expect(path("title: [1]\nsteps:\n  - run: echo\n") == "title")
        #expect(path(#"{"steps": [{"run": "x", "timeout": "soon"}]}"# + "\n") == "steps[0].timeout")
        #expect(path("workspace: \"\"\nsteps:\n  - run: echo\n") == "workspace")
    }

    @Test func missingKeysPointAtTheirMapping() {
        #expect(path("title: x\nagent:\n  provider: anthropic\n") == "agent")
    }

    @Test func noPathWithoutAPosition() {
        #expect(path("title: \"open\nsteps: [\n") == nil)  // syntax
        #expect(path("title: x\n") == nil)  // the document as a whole lacks steps
    }
}
