import APIServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The routes' answers to bad requests and to runs in the wrong state, in-process.
extension RouteTests {
    func expect(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, body: String? = nil,
                type: String = "application/yaml", headers: HTTPFields = [:], status: HTTPResponse.Status, contains: String? = nil,
                sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var h = headers
        if body != nil { h[.contentType] = type }
        try await client.execute(uri: uri, method: method, headers: h, body: body.map { ByteBuffer(string: $0) }) { response in
            #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))", sourceLocation: sourceLocation)
            if let contains {
                #expect(String(buffer: response.body).contains(contains), "\(String(buffer: response.body))", sourceLocation: sourceLocation)
            }
        }
    }

    func submit(_ client: some TestClientProtocol, _ yaml: String) async throws -> String {
        var headers: HTTPFields = [:]
        headers[.contentType] = "application/yaml"
        return try await client.execute(uri: "/api/v1/runs", method: .post, headers: headers, body: ByteBuffer(string: yaml)) { response in
            let text = String(buffer: response.body)
            guard let id = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["id"] as? String else {
                throw TestFailure("no id in \(text)")
            }
            return id
        }
    }

    @Test func badListQueriesAreRefusedSayingWhatIsAllowed() async throws {
        try await app().test(.router) { client in
            try await expect(client, .get, "/api/v1/runs?state=sleeping", status: .badRequest, contains: "queued, running, waiting or done")
            try await expect(client, .get, "/api/v1/runs?status=great", status: .badRequest, contains: "succeeded")
            try await expect(client, .get, "/api/v1/runs?limit=0", status: .badRequest, contains: "limit")
            try await expect(client, .get, "/api/v1/runs?offset=-1", status: .badRequest, contains: "offset")
            try await expect(client, .get, "/api/v1/runs?state=queued,done&status=failed&label=x&q=y&limit=5", status: .ok)
            try await expect(client, .get, "/api/v1/runs/not-a-run", status: .notFound, contains: "not a run id")
        }
    }

    @Test func badCreateRequestsAreRefused() async throws {
        try await app().test(.router) { client in
            try await expect(client, .post, "/api/v1/runs?name=.hidden", body: "steps: []\n", status: .badRequest, contains: "name=")
            try await expect(client, .post, "/api/v1/runs", body: "{not json", type: "application/json",
                             status: .unprocessableContent, contains: "not valid JSON")
            try await expect(client, .post, "/api/v1/runs", body: "{\"steps\": [{\"run\": \"true\"}]}", type: "application/json",
                             status: .created)
            try await expect(client, .post, "/api/v1/runs", body: "steps: []", status: .created)  // no final newline: one is added
        }
    }

    @Test func eventsArtifactsAndControlsOfAQueuedRun() async throws {
        try await app().test(.router) { client in
            let id = try await submit(client, "title: queued\nsteps:\n  - run: \"true\"\n")
            try await expect(client, .get, "/api/v1/runs/\(id)/events?after=0", headers: [.accept: "application/json"],
                             status: .ok, contains: "\"queued\"")
            try await expect(client, .get, "/api/v1/runs/\(id)/events?after=x", headers: [.accept: "application/json"], status: .badRequest)
            try await expect(client, .get, "/api/v1/runs/\(id)/artifacts", status: .ok)
            try await expect(client, .get, "/api/v1/runs/\(id)/artifacts/nothing.txt", status: .notFound)
            try await expect(client, .post, "/api/v1/runs/\(id)/pause", status: .conflict, contains: "only running runs")
            try await expect(client, .post, "/api/v1/runs/\(id)/retry", status: .conflict)
            try await expect(client, .post, "/api/v1/runs/\(id)/stop", status: .ok, contains: "stopped")
            try await expect(client, .post, "/api/v1/runs/\(id)/stop", status: .conflict, contains: "already finished")
            try await expect(client, .post, "/api/v1/runs/\(id)/retry", status: .created, contains: "\"id\"")
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
