import Foundation
import HTTPClient
import JSONCore
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `agent-runner serve` over real spools, with real workers, over real HTTP on 127.0.0.1.
@Suite("HTTP API", .serialized, .ownThread)
struct HTTPAPITests {
    static let ticks = """
        title: ticking
        labels: [tick]
        steps:
          - run: for i in $(seq 1 12); do echo tick $i; sleep 0.15; done

        """

    @Test func createListDetailAndEvents() async throws {
        let s = try TestSpool()
        let server = try ServeProcess(s)
        let worker = try s.startWorker(["--concurrency", "2"])
        defer { worker.kill(SIGTERM); _ = worker.waitForExit(timeout: 10) }

        let yamlJob = "title: from yaml\nlabels: [alpha]\nsteps:\n  - run: echo hello from yaml\n"
        let a = try await server.submit(yamlJob)
        let json = #"{"title": "from json", "steps": [{"run": "echo hello from json; exit 3"}]}"#
        let created = try await server.post("/api/v1/runs?name=from-json", json, type: "application/json")
        #expect(created.status == 201)
        #expect(created.headers["location"] == "/api/v1/runs/\(created.json["id"]?.stringValue ?? "")")
        #expect(created.json["name"]?.stringValue == "from-json.yaml")
        let b = try #require(created.json["id"]?.stringValue)

        let da = try await server.waitForDone(a)
        let db = try await server.waitForDone(b)
        #expect(da["status"]?.stringValue == "succeeded")
        #expect(db["status"]?.stringValue == "failed")
        #expect(da["title"]?.stringValue == "from yaml")
        #expect(da["job"]?.stringValue == yamlJob)
        #expect(da["steps"]?.arrayValue?.first?["ok"]?.boolValue == true)
        #expect(da["attempt"]?.intValue == 1)
        #expect(db["name"]?.stringValue == "from-json.yaml")

        let all = try await server.get("/api/v1/runs")
        #expect(all.status == 200)
        #expect(all.json["total"]?.intValue == 2)
        #expect(all.json["counts"]?["done"]?.intValue == 2)
        #expect(all.json["counts"]?["failed"]?.intValue == 1)
        // Newest first: b was created after a.
        #expect(all.json["runs"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == [b, a])

        #expect(try await server.get("/api/v1/runs?state=running").json["total"]?.intValue == 0)
        #expect(try await server.get("/api/v1/runs?status=failed").json["runs"]?.arrayValue?.first?["id"]?.stringValue == b)
        #expect(try await server.get("/api/v1/runs?status=failed,succeeded").json["total"]?.intValue == 2)
        #expect(try await server.get("/api/v1/runs?label=alpha").json["runs"]?.arrayValue?.first?["id"]?.stringValue == a)
        #expect(try await server.get("/api/v1/runs?q=FROM%20JSON").json["total"]?.intValue == 1)
        let page = try await server.get("/api/v1/runs?limit=1&offset=1")
        #expect(page.json["runs"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == [a])
        #expect(page.json["total"]?.intValue == 2)

        // Events as JSON: every seq once, in order; `after` skips.
        let events = try await server.get("/api/v1/runs/\(a)/events")
        let seqs = events.json.arrayValue?.compactMap { $0["seq"]?.intValue } ?? []
        #expect(seqs == Array(1...seqs.count) && seqs.count >= 6)
        #expect(events.json.arrayValue?.last?["type"]?.stringValue == "finished")
        let later = try await server.get("/api/v1/runs/\(a)/events?after=3")
        #expect(later.json.arrayValue?.first?["seq"]?.intValue == 4)
        #expect(try await server.get("/api/v1/runs/\(a)/events?after=3", headers: ["Last-Event-ID": ""]).json.arrayValue?.count == seqs.count - 3)
        // Each event is its line from the file, fields in the order the worker wrote them.
        #expect(events.text.hasPrefix(#"[{"ts":"#) && events.text.contains(#","seq":1,"run":""#))

        // Artifacts: the step's full output.
        let list = try await server.get("/api/v1/runs/\(a)/artifacts")
        let paths = list.json["artifacts"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
        #expect(paths.contains("step-01.stdout"))
        let out = try await server.get("/api/v1/runs/\(a)/artifacts/step-01.stdout")
        #expect(out.text == "hello from yaml\n")
        #expect(out.headers["content-type"]?.hasPrefix("text/plain") == true)
    }

    @Test func unknownRunsAndBadQueries() async throws {
        let s = try TestSpool()
        let server = try ServeProcess(s)
        let missing = try await server.get("/api/v1/runs/20261125T091052535Z-48d7322361-nohost")
        #expect(missing.status == 404 && missing.errorCode == "not_found")
        #expect(try await server.get("/api/v1/runs/not-an-id").status == 404)
        #expect(try await server.get("/api/v1/runs/not-an-id/events").status == 404)
        let bad = try await server.get("/api/v1/runs?state=sleeping")
        #expect(bad.status == 400 && bad.text.contains("queued, running, waiting or done"))
        #expect(try await server.get("/api/v1/runs?limit=0").status == 400)
        #expect(try await server.get("/api/v1/runs?limit=abc").status == 400)
        let route = try await server.get("/api/v2/nothing")
        #expect(route.status == 404 && route.json["error"]?["message"]?.stringValue?.contains("/api/v1") == true)
        #expect(try await server.request("DELETE", "/api/v1/runs").status >= 400)
    }

    @Test func badJobsAreRefusedWithLineColumnAndField() async throws {
        let s = try TestSpool()
        let server = try ServeProcess(s)

        let unknown = try await server.post("/api/v1/runs", "title: x\nagent:\n  provider: anthropic\n  promt: hi\n")
        #expect(unknown.status == 422)
        let e = try #require(unknown.json["error"])
        #expect(e["code"]?.stringValue == "invalid_job")
        #expect(e["reason"]?.stringValue == "unknownKey")
        #expect(e["line"]?.intValue == 4 && e["column"]?.intValue == 3)
        #expect(e["path"]?.stringValue == "agent.promt")
        #expect(e["message"]?.stringValue?.contains("prompt") == true)  // the suggestion

        let wrongType = try await server.post("/api/v1/runs", "title: [1, 2]\nsteps:\n  - run: echo\n")
        #expect(wrongType.json["error"]?["path"]?.stringValue == "title")
        #expect(wrongType.json["error"]?["reason"]?.stringValue == "wrongType")

        let syntax = try await server.post("/api/v1/runs", "title: \"open\nsteps: [\n")
        #expect(syntax.status == 422 && syntax.json["error"]?["reason"]?.stringValue == "syntax")
        #expect(syntax.json["error"]?["line"]?.intValue != nil)

        let badJSON = try await server.post("/api/v1/runs", #"{"title": "x", "steps": [}"#, type: "application/json")
        #expect(badJSON.status == 422 && badJSON.json["error"]?["reason"]?.stringValue == "syntax")
        let jsonField = try await server.post("/api/v1/runs", #"{"steps": [{"run": "echo", "timeout": "soon"}]}"#, type: "application/json")
        #expect(jsonField.status == 422)
        #expect(jsonField.json["error"]?["path"]?.stringValue == "steps[0].timeout")
        #expect(jsonField.json["error"]?["line"]?.intValue == 1)

        #expect(try await server.post("/api/v1/runs", "").json["error"]?["reason"]?.stringValue == "empty")
        let big = "title: big\nsteps:\n  - run: echo\n# " + String(repeating: "x", count: 1 << 20) + "\n"
        let tooLarge = try await server.post("/api/v1/runs", big)
        #expect(tooLarge.status == 413 && tooLarge.errorCode == "too_large")
        let exact = "steps:\n  - run: echo\n#" + String(repeating: "x", count: (1 << 20) - 22)
        #expect(exact.utf8.count == 1 << 20)
        let edge = try await server.post("/api/v1/runs", exact)  // no final newline, and no room to add one
        #expect(edge.status == 413 && edge.errorCode == "too_large")
        let name = try await server.post("/api/v1/runs?name=../evil", "steps:\n  - run: echo\n")
        #expect(name.status == 400)
        // Nothing reached the queue.
        #expect(s.jobFiles(s.new).isEmpty && s.names(s.tmp).isEmpty)
    }

    @Test func liveEventsResumeWithoutLossOrRepeat() async throws {
        let s = try TestSpool()
        let server = try ServeProcess(s)
        let worker = try s.startWorker()
        defer { worker.kill(SIGTERM); _ = worker.waitForExit(timeout: 10) }
        let id = try await server.submit(Self.ticks)

        // First connection: leave after a few step.output events, mid-run.
        let first = try await server.events(id) { got in got.filter { $0.event == "step.output" }.count >= 3 }
        let lastSeen = try #require(first.compactMap { $0.id.flatMap(Int.init) }.last)
        #expect(first.allSatisfy { $0.event != "end" })
        // Reconnect the way EventSource does, with the last id seen; read to the end of the run.
        let second = try await server.events(id, lastEventID: lastSeen)
        #expect(second.last?.event == "end")
        let end = try #require(second.last.flatMap { JSON.parse(Array($0.data.utf8)) })
        #expect(end["status"]?.stringValue == "succeeded")

        // (The `end` event has no id of its own; an SSE parser carries the last id over to it.)
        let ids = (first + second).filter { $0.event != "end" }.compactMap { $0.id.flatMap(Int.init) }
        let all = try await server.get("/api/v1/runs/\(id)/events").json.arrayValue?.compactMap { $0["seq"]?.intValue } ?? []
        #expect(ids == all, "every event exactly once, in order, across the reconnect")
        #expect(second.first?.id == String(lastSeen + 1))
        // Each data line is the event itself.
        let ev = try #require(second.first { $0.event == "finished" })
        #expect(JSON.parse(Array(ev.data.utf8))?["type"]?.stringValue == "finished")

        // A finished run's stream replays and ends at once; after the last seq it is just the end.
        let replay = try await server.events(id)
        #expect(replay.filter { $0.event != "end" }.compactMap { $0.id.flatMap(Int.init) } == all)
        let tailOnly = try await server.events(id, lastEventID: all.last ?? 0)
        #expect(tailOnly.map(\.event) == ["end"])
    }

    @Test func controlsPauseResumeStopAndRetry() async throws {
        let s = try TestSpool()
        let server = try ServeProcess(s)
        let worker = try s.startWorker()
        defer { worker.kill(SIGTERM); _ = worker.waitForExit(timeout: 10) }
        let id = try await server.submit("title: long\nsteps:\n  - run: for i in $(seq 1 100); do echo $i; sleep 0.1; done\n")
        _ = try await server.waitFor(id) { $0["state"]?.stringValue == "running" && ($0["last_seq"]?.intValue ?? 0) >= 5 }

        let pause = try await server.post("/api/v1/runs/\(id)/pause")
        #expect(pause.status == 202 && pause.json["action"]?.stringValue == "pause")
        _ = try await server.waitFor(id) { $0["paused"]?.boolValue == true }
        let types = { (server: ServeProcess) async throws -> [String] in
            try await server.get("/api/v1/runs/\(id)/events").json.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []
        }
        let deadline = Date().addingTimeInterval(10)
        while try await !types(server).contains("paused") && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await types(server).contains("paused"))
        #expect(try await server.get("/api/v1/runs?state=running").json["counts"]?["paused"]?.intValue == 1)

        #expect(try await server.post("/api/v1/runs/\(id)/resume").status == 202)
        _ = try await server.waitFor(id) { $0["paused"]?.boolValue == false }
        #expect(try await server.post("/api/v1/runs/\(id)/stop").status == 202)
        let stopped = try await server.waitForDone(id)
        #expect(stopped["status"]?.stringValue == "stopped")
        #expect(try await types(server).contains("resumed"))

        // Wrong states are 409 and change nothing.
        let again = try await server.post("/api/v1/runs/\(id)/pause")
        #expect(again.status == 409 && again.errorCode == "wrong_state")
        #expect(try await server.post("/api/v1/runs/\(id)/stop").status == 409)

        let retry = try await server.post("/api/v1/runs/\(id)/retry")
        #expect(retry.status == 201 && retry.json["previous"]?.stringValue == id)
        let next = try #require(retry.json["id"]?.stringValue)
        #expect(try await server.post("/api/v1/runs/\(next)/retry").status == 409)
        #expect(try await server.post("/api/v1/runs/\(next)/stop").status < 300)
        let nextDone = try await server.waitForDone(next)
        #expect(nextDone["status"]?.stringValue == "stopped")
        #expect(nextDone["previous"]?.stringValue == id)
        #expect(try await server.run(id)["next"]?.stringValue == next)
    }

    @Test func queuedRunsCanBeStoppedWithoutAWorker() async throws {
        let s = try TestSpool()
        let server = try ServeProcess(s)
        let id = try await server.submit("title: waits\nsteps:\n  - run: echo never\n")
        let queued = try await server.run(id)
        #expect(queued["state"]?.stringValue == "queued" && queued["title"]?.stringValue == "waits")
        #expect(try await server.post("/api/v1/runs/\(id)/pause").status == 409)
        let stop = try await server.post("/api/v1/runs/\(id)/stop")
        #expect(stop.status == 200 && stop.json["status"]?.stringValue == "stopped")
        let done = try await server.run(id)
        #expect(done["state"]?.stringValue == "done" && done["status"]?.stringValue == "stopped")
        #expect(try s.types(id, in: s.done).contains("finished"))
    }
}
