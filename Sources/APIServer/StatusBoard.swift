import Foundation
import HTTPClient
import JobSpec
import JSONCore
import RunCatalog
import Synchronization
import SpoolCore

/// Service status: the workers' heartbeats (read from `workers/` on each call: a handful of small files)
/// and whether each configured LLM provider, Forgejo and Taiga answers (checked every
/// `api.status_interval` in the background, never per page view). Each check result is also written to
/// `status.json` in the spool, so scripts, monitoring and other servers can read it without a request.
final class StatusBoard: Sendable {
    struct Check: Sendable {
        var name: String
        var kind: String
        var url: String
        var reachable: Bool?
        var httpStatus: Int?
        var latencyMS: Int?
        var error: String?
        var checkedAt: Double?
    }

    let spooler: Spooler
    let config: SpoolConfig
    let authRequired: Bool
    /// Run counts for the status file, from the server's index.
    let counts: @Sendable () -> [(String, Int)]
    private let checks: Mutex<[Check]>

    init(spooler: Spooler, config: SpoolConfig, environment: [String: String], authRequired: Bool,
         counts: @escaping @Sendable () -> [(String, Int)]) {
        self.counts = counts
        self.spooler = spooler
        self.config = config
        self.authRequired = authRequired
        var list = ProviderCatalog.configured(config, environment: environment).map {
            Check(name: $0.name, kind: "llm", url: $0.url)
        }
        if let f = config.forgejo { list.append(Check(name: "forgejo", kind: "forgejo", url: f.url)) }
        if let t = config.taiga { list.append(Check(name: "taiga", kind: "taiga", url: t.url)) }
        checks = Mutex(list)
    }

    /// Checks every service once, all at the same time, then writes `status.json`.
    func probeAll() async {
        let current = checks.withLock { $0 }
        let results = await withTaskGroup(of: (Int, Check).self) { group in
            for (i, c) in current.enumerated() { group.addTask { (i, await Self.probe(c)) } }
            var out = current
            for await (i, c) in group { out[i] = c }
            return out
        }
        checks.withLock { $0 = results }
        writeFile()
    }

    /// Any HTTP answer, even 401 or 404, means the server is up and reachable; only a failed connection,
    /// TLS error or timeout counts as unreachable. No key is sent.
    static func probe(_ c: Check) async -> Check {
        var c = c
        var request = HTTPClientRequest(method: "GET", url: c.url)
        request.connectTimeout = 3
        request.timeout = 5
        request.maxBodyBytes = 64 * 1024
        request.followRedirects = false
        let start = monotonicNow()
        do {
            let response = try await HTTP.send(request)
            c.reachable = true
            c.httpStatus = response.status
            c.error = nil
        } catch {
            // A body past the cap still means the server answered.
            if case .tooLarge = error {
                c.reachable = true
                c.error = nil
                c.latencyMS = Int(((monotonicNow() - start) * 1000).rounded())
                c.checkedAt = Date().timeIntervalSince1970
                return c
            }
            c.reachable = false
            c.httpStatus = nil
            c.error = "\(error)"
        }
        c.latencyMS = Int(((monotonicNow() - start) * 1000).rounded())
        c.checkedAt = Date().timeIntervalSince1970
        return c
    }

    /// The whole status document.
    func snapshot(counts: [(String, Int)]) -> JSON {
        let services = checks.withLock { $0 }.map { c -> JSON in
            .object([("name", .string(c.name)), ("kind", .string(c.kind)), ("url", .string(c.url)),
                     ("reachable", c.reachable.map(JSON.bool) ?? .null), ("http_status", c.httpStatus.map(JSON.int) ?? .null),
                     ("latency_ms", c.latencyMS.map(JSON.int) ?? .null), ("error", c.error.map(JSON.string) ?? .null),
                     ("checked_at", c.checkedAt.map { .string(Timestamp.rfc3339($0)) } ?? .null)])
        }
        return .object([
            ("generated_at", .string(Timestamp.rfc3339(Date().timeIntervalSince1970))),
            ("auth_required", .bool(authRequired)),
            ("workers", .array(workers())),
            ("services", .array(services)),
            ("counts", .object(counts.map { ($0.0, .int($0.1)) })),
        ])
    }

    /// Seconds without a status write after which a worker counts as gone: five missed writes (a busy
    /// machine may miss a few), and never less than 5 s. Workers say how often they write (`status_interval`).
    static func workerTimeout(interval: Double?) -> Double { max(5, 5 * (interval ?? 1)) }

    /// Seconds after which a silent worker is no longer listed.
    static let forgetAfter: Double = 3600

    /// `workers/ACTOR.json`, each with `alive` judged against the file system's clock (the file's mtime
    /// is the file server's time, so a worker on another host with a skewed clock is judged fairly).
    func workers() -> [JSON] {
        let dir = spooler.spool.workers
        let now = (try? spooler.fsClock.now()) ?? Date().timeIntervalSince1970
        var out: [JSON] = []
        for entry in (try? Sys.listDirectory(dir)) ?? [] {
            let name = String(decoding: entry.name, as: UTF8.self)
            guard name.hasSuffix(".json"), !name.hasPrefix(".") else { continue }
            let path = dir.appending(bytes: entry.name)
            guard let st = try? Sys.lstat(path), let bytes = try? Sys.readFile(path, limit: 1 << 16),
                  case .object(var fields)? = JSON.parse(bytes) else { continue }
            let age = now - st.mtime
            // A worker that died without removing its file (SIGKILL, a lost host) is shown as not alive
            // for an hour, then left out; the file itself is not the server's to delete.
            if age > Self.forgetAfter { continue }
            fields.removeAll { $0.0 == "alive" || $0.0 == "age" }
            fields.append(("alive", .bool(age < Self.workerTimeout(interval: fields.first { $0.0 == "status_interval" }?.1.doubleValue))))
            fields.append(("age", .double((max(0, age) * 10).rounded() / 10)))
            out.append(.object(fields))
        }
        return out.sorted { ($0["worker"]?.stringValue ?? "") < ($1["worker"]?.stringValue ?? "") }
    }

    /// `status.json`, replaced atomically (several servers may share a spool; the last check wins).
    func writeFile() {
        let body = snapshot(counts: counts()).encoded() + [0x0A]
        let tmp = spooler.spool.root.appending(".status.\(spooler.actor.id).tmp")
        do {
            try Sys.writeFile(tmp, body)
            try Sys.rename(tmp, spooler.spool.root.appending("status.json"))
        } catch {
            try? Sys.unlink(tmp)
        }
    }
}
