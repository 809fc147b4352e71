import Foundation
import HTTPClient
import JSONCore
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Auth, browser-attack defences, artifact path escapes, and what status reports.
@Suite("HTTP API security and status", .serialized, .ownThread)
struct APISecurityTests {
    static let token = "test-token-0123456789abcdef"

    @Test func tokensGuardEveryCall() async throws {
        let s = try TestSpool(config: "poll_interval: 200ms\napi:\n  tokens: [\(Self.token)]\n")
        let server = try ServeProcess(s)
        let none = try await server.get("/api/v1/runs")
        #expect(none.status == 401 && none.errorCode == "unauthorized")
        #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        let wrong = try await server.get("/api/v1/runs", headers: ["Authorization": "Bearer \(Self.token)x"])
        #expect(wrong.status == 401)
        #expect(try await server.get("/api/v1/status", headers: ["Authorization": Self.token]).status == 401)
        #expect(try await server.get("/api/v1/status", headers: ["Authorization": "bearer \(Self.token)"]).status == 200)
        let ok = try await server.get("/api/v1/status", headers: ["Authorization": "Bearer \(Self.token)"])
        #expect(ok.status == 200 && ok.json["auth_required"]?.boolValue == true)

        // State-changing calls without the token change nothing.
        let post = try await server.post("/api/v1/runs", "steps:\n  - run: echo\n")
        #expect(post.status == 401)
        #expect(s.jobFiles(s.new).isEmpty)
        let stop = try await server.post("/api/v1/runs/20261125T091052535Z-48d7322361-x/stop")
        #expect(stop.status == 401)
        // The router skips empty segments, so these reach the API too: the check must see them as API calls.
        for path in ["//api/v1/runs", "/api//v1/runs", "///api/v1/status"] {
            #expect(try server.raw("GET", path).status == 401, "\(path)")
        }
        #expect(try server.raw("POST", "//api/v1/runs", headers: ["Content-Type": "application/yaml"], body: "steps:\n  - run: echo\n").status == 401)
        #expect(s.jobFiles(s.new).isEmpty)
        let created = try await server.post("/api/v1/runs", "steps:\n  - run: echo\n", headers: ["Authorization": "Bearer \(Self.token)"])
        #expect(created.status == 201)
        // The console's static files carry no data and load without a token, so it can ask for one.
        #expect(try await server.get("/").status == 200)
    }

    @Test func envTokenAndExposedListening() async throws {
        let s = try TestSpool()
        // Beyond loopback without a token: refused at start, with what to do.
        let refused = try s.run(["serve", "--listen", "0.0.0.0:0"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("AGENT_RUNNER_API_TOKEN"))
        let weak = try s.run(["serve", "--listen", "127.0.0.1:0"], env: ["AGENT_RUNNER_API_TOKEN": "\(Self.token),short"])
        #expect(weak.status != 0 && weak.stderr.contains("16 characters"))
        let server = try ServeProcess(s, env: ["AGENT_RUNNER_API_TOKEN": Self.token], listen: "0.0.0.0:0")
        #expect(try await server.get("/api/v1/runs").status == 401)
        #expect(try await server.get("/api/v1/runs", headers: ["Authorization": "Bearer \(Self.token)"]).status == 200)
    }

    @Test func loopbackRefusesOtherSitesAndRebinding() async throws {
        let s = try TestSpool()
        let server = try ServeProcess(s)
        let job = "steps:\n  - run: echo pwned\n"
        let cross = try await server.post("/api/v1/runs", job, headers: ["Origin": "http://evil.example"])
        #expect(cross.status == 403 && cross.errorCode == "cross_origin")
        let rebound = try await server.post("/api/v1/runs", job, headers: ["Host": "evil.example:\(server.port)"])
        #expect(rebound.status == 403 && rebound.errorCode == "forbidden_host")
        // A name that merely starts like a loopback address is still a name an attacker controls.
        for host in ["127.attacker.example", "127.0.0.1.attacker.example", "localhost.attacker.example", "127.0.0.1:80@evil"] {
            let r = try await server.post("/api/v1/runs", job, headers: ["Host": host, "Origin": "http://\(host)"])
            #expect(r.status == 403, "\(host) → \(r.status)")
        }
        let doubled = try server.raw("POST", "//api/v1/runs", headers: ["Origin": "http://evil.example", "Content-Type": "text/plain"], body: job)
        #expect(doubled.status == 403, "a doubled slash must not skip the origin check")
        #expect(s.jobFiles(s.new).isEmpty)
        // The console itself (same origin) may.
        let same = try await server.post("/api/v1/runs", job, headers: ["Origin": "http://127.0.0.1:\(server.port)"])
        #expect(same.status == 201)
        #expect(try await server.get("/api/v1/runs", headers: ["Host": "localhost:\(server.port)"]).status == 200)
    }

    @Test func artifactsNeverLeaveTheRunFolder() async throws {
        let s = try TestSpool()
        let worker = try s.startWorker()
        defer { worker.kill(SIGTERM); _ = worker.waitForExit(timeout: 10) }
        let server = try ServeProcess(s)
        let id = try await server.submit("steps:\n  - run: echo out\n")
        _ = try await server.waitForDone(id)
        let dir = s.done + "/\(id).artifacts"
        try "secret: yes\n".write(toFile: s.root + "/secret.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/nested", withIntermediateDirectories: true)
        try "deep\n".write(toFile: dir + "/nested/deep.log", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link.txt", withDestinationPath: s.root + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: dir + "/linkdir", withDestinationPath: s.root)
        try FileManager.default.createSymbolicLink(atPath: dir + "/nested/up.txt", withDestinationPath: "../../../secret.txt")
        let base = "/api/v1/runs/\(id)/artifacts/"

        #expect(try await server.get(base + "nested/deep.log").text == "deep\n")
        #expect(try await server.get(base + "nested%2Fdeep.log").status == 400)  // an encoded slash is not a separator
        for path in ["../../secret.txt", "..%2F..%2Fsecret.txt", "%2e%2e/%2e%2e/secret.txt", "nested/../../../secret.txt",
                     "./step-01.stdout", "nested//deep.log", "%2E%2E%2F%2E%2E%2Fsecret.txt", "step-01.stdout%00", "%zz"] {
            let r = try server.rawGet(base + path)
            #expect(r.status == 400, "\(path) → \(r.status) \(r.body)")
            #expect(!r.body.contains("secret: yes"), "\(path) leaked the file")
        }
        for path in ["link.txt", "linkdir/secret.txt", "linkdir/config.yaml", "nested/up.txt"] {
            let r = try await server.get(base + path)
            #expect(r.status == 403, "\(path) → \(r.status) \(r.text)")
            #expect(!r.text.contains("secret: yes"))
        }
        #expect(try await server.get(base + "nested").status == 403)  // a folder is not a file
        #expect(try await server.get(base + "nothing.txt").status == 404)
        let listed = try await server.get("/api/v1/runs/\(id)/artifacts").json["artifacts"]?.arrayValue?.compactMap { $0["path"]?.stringValue } ?? []
        #expect(listed.contains("nested/deep.log"))
        #expect(!listed.contains { $0.contains("link") || $0.contains("up.txt") })
    }

    @Test func statusShowsWorkersAndServices() async throws {
        let stub = try StubServer()
        let s = try TestSpool(config: """
            poll_interval: 200ms
            providers:
              openai:
                base_url: http://127.0.0.1:\(stub.port)
            forgejo:
              url: http://127.0.0.1:1
            api:
              status_interval: 1s

            """)
        let worker = try s.startWorker(["--concurrency", "3"])
        let server = try ServeProcess(s)
        var status = JSON.null
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            status = try await server.get("/api/v1/status").json
            let checked = status["services"]?.arrayValue?.allSatisfy { $0["reachable"] != nil && $0["reachable"] != .null } ?? false
            if checked && status["workers"]?.arrayValue?.count == 1 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let services = status["services"]?.arrayValue ?? []
        let openai = try #require(services.first { $0["name"]?.stringValue == "openai" })
        #expect(openai["reachable"]?.boolValue == true && openai["kind"]?.stringValue == "llm")
        let forgejo = try #require(services.first { $0["name"]?.stringValue == "forgejo" })
        #expect(forgejo["reachable"]?.boolValue == false && forgejo["error"]?.stringValue != nil)
        let w = try #require(status["workers"]?.arrayValue?.first)
        #expect(w["alive"]?.boolValue == true && w["concurrency"]?.intValue == 3 && w["pid"]?.intValue == Int(worker.pid))
        // The same checks, on disk for anything that reads the spool.
        let file = try #require(JSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: s.root + "/status.json")))))
        #expect(file["services"]?.arrayValue?.count == 2)

        // A worker killed outright leaves its file behind; it shows as not alive once it stops beating.
        worker.kill(SIGKILL)
        _ = worker.waitForExit(timeout: 5)
        let end = Date().addingTimeInterval(15)
        var alive: Bool? = true
        while Date() < end && alive == true {
            alive = try await server.get("/api/v1/status").json["workers"]?.arrayValue?.first?["alive"]?.boolValue
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(alive == false)
    }

    @Test func consoleFilesAreServedWithAPolicy() async throws {
        let s = try TestSpool()
        let server = try ServeProcess(s)
        let index = try await server.get("/")
        #expect(index.status == 200 && index.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(index.headers["content-security-policy"]?.contains("default-src 'self'") == true)
        #expect(index.text.contains("/console/"))
        // The console's ES modules: JavaScript, under the same policy (module scripts from this origin only).
        let module = try await server.get("/console/js/main.js")
        #expect(module.status == 200 && module.headers["content-type"]?.hasPrefix("text/javascript") == true)
        #expect(module.headers["content-security-policy"]?.contains("script-src 'self'") == true)
        for path in ["/console/..%2F..%2FPackage.swift", "/console/../Package.swift", "/console/../../Package.swift", "/console/nothing.js",
                     "/console/js/../../Package.swift", "/console/js/..%2F..%2FPackage.swift", "/console/js/%2E%2E/index.html",
                     "/console/js/nothing.js", "/console/js", "/console/js%2Fmain.js"] {
            let r = try server.rawGet(path)
            #expect(r.status == 404, "\(path) → \(r.status)")
            #expect(!r.body.contains("PackageDescription"))
        }
    }
}
