import APIServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobSpec
import SpoolCore
import Testing
import TestSupport

/// The routes in-process (HummingbirdTesting's router mode: no socket, no services), on a real spool in a
/// temporary folder. The real-process tests in APITests cover the same server over real HTTP.
@Suite(.ownThread) struct RouteTests {
    let root: String
    let spool: Spool

    init() throws {
        root = NSTemporaryDirectory() + "ar-routes-" + UUID().uuidString + "/spool"
        spool = Spool(root: root)
        try spool.create()
    }

    func app(token: String? = nil) throws -> some ApplicationProtocol {
        var options = APIServer.Options(spool: spool)
        options.environment = token.map { ["AGENT_RUNNER_API_TOKEN": $0] } ?? [:]
        return try APIServer(options).application()
    }

    /// Router mode sends every request with `localhost` as its authority.
    static let local: HTTPFields = [:]

    @Test func statusAnswersWithCountsAndWorkers() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/v1/status", method: .get, headers: Self.local) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains("\"counts\""), "\(body)")
            }
        }
    }

    @Test func aValidJobIsQueuedAndABadOneIsRefusedWithItsPosition() async throws {
        try await app().test(.router) { client in
            var headers = Self.local
            headers[.contentType] = "application/yaml"
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: headers,
                                     body: ByteBuffer(string: "steps:\n  - run: echo hi\n")) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains("\"id\""))
            }
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: headers,
                                     body: ByteBuffer(string: "steps:\n  - run: echo hi\n    bogus: 1\n")) { response in
                #expect(response.status == .unprocessableContent)
                let body = String(buffer: response.body)
                #expect(body.contains("\"line\":3"), "\(body)")
            }
        }
        let queued = try FileManager.default.contentsOfDirectory(atPath: root + "/new").filter { $0.hasSuffix(".yaml") }
        #expect(queued.count == 1)
    }

    /// A running parent's children, from its ledger: delivered ones as rows that name their parent, one whose
    /// spawn was cut before delivery by id with `state: null`; a spawn repeated with the same key adds nothing.
    @Test func childrenComeFromTheLedger() async throws {
        let spooler = Spooler(spool: spool)
        try Sys.writeFile(spool.new.appending("parent.yaml"), Array("steps:\n  - run: 'true'\n".utf8))
        let parent = try #require(try spooler.claim(name: Array("parent.yaml".utf8)))
        let job = Array("steps:\n  - run: echo child\n".utf8)
        let a = try spooler.spawn(job, parent: parent.id, step: 1, key: "a", name: Array("a.yaml".utf8))
        let again = try spooler.spawn(job, parent: parent.id, step: 1, key: "a", name: Array("a.yaml".utf8))
        #expect(!a.alreadySpawned && again.alreadySpawned && again.child == a.child)
        let cut = RunID.child(of: parent.id, step: 1, key: "cut")
        try Sys.writeFile(spool.spawnStage(cut), job)
        try Sys.link(spool.spawnStage(cut), spool.ledgerEntry(parent.id, cut))
        #expect(spooler.children(of: parent.id) == [a.child, cut].sorted())
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/v1/runs/\(parent.id)/children", method: .get, headers: Self.local) { response in
                #expect(response.status == .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let rows = try #require(body?["children"] as? [[String: Any]])
                #expect(rows.count == 2)
                let delivered = rows.first { $0["id"] as? String == a.child.rawValue }
                #expect(delivered?["parent"] as? String == parent.id.rawValue && delivered?["state"] as? String == "queued")
                let pending = rows.first { $0["id"] as? String == cut.rawValue }
                #expect(pending?["state"] is NSNull && pending?["parent"] as? String == parent.id.rawValue)
            }
            try await client.execute(uri: "/api/v1/runs/20260101T000000000Z-0000000000-nohost/children", method: .get, headers: Self.local) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func anUnknownRunIsNotFound() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/v1/runs/20260101T000000000Z-0000000000-nohost", method: .get, headers: Self.local) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func withATokenEveryAPICallNeedsIt() async throws {
        let token = "0123456789abcdef0123456789abcdef"
        try await app(token: token).test(.router) { client in
            try await client.execute(uri: "/api/v1/status", method: .get, headers: Self.local) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            var headers = Self.local
            headers[.authorization] = "Bearer \(token)"
            try await client.execute(uri: "/api/v1/status", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func withoutATokenOtherSitesCannotPost() async throws {
        try await app().test(.router) { client in
            var headers = Self.local
            headers[.origin] = "http://evil.example"
            try await client.execute(uri: "/api/v1/runs", method: .post, headers: headers, body: ByteBuffer(string: "steps: []\n")) { response in
                #expect(response.status == .forbidden)
            }
        }
    }

    @Test func theConsoleIsServedWithItsPolicy() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/", method: .get, headers: Self.local) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src") == true)
            }
        }
    }
}

extension RouteTests {
    /// The console builds its provider list and tool checkboxes from this, so it names what the schema accepts.
    @Test func capabilitiesListTheRegistries() async throws {
        try await app().test(.router) { client in
            try await client.execute(uri: "/api/v1/capabilities", method: .get) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                for name in ProviderCatalog.names + ToolCatalog.names { #expect(body.contains("\"\(name)\""), "\(name) in \(body)") }
                #expect(body.contains("\"builtin\""))
            }
        }
    }
}
