import HTTPTypes
import Hummingbird
import JobSpec
import JSONCore
import RunCatalog
import SpoolCore

/// `/api/v1/runs…`: list, detail, create, events, artifacts and controls. Every answer comes from the spool
/// (through the catalog, which only caches it); every change is a file written the way the CLI writes it.
struct RunsRoutes: Sendable {
    let spooler: Spooler
    let catalog: RunCatalog
    /// config.yaml's `workspace_roots:`, applied to submitted jobs.
    var workspaceRoots: WorkspaceRoots? = nil
    var spool: Spool { spooler.spool }
    var artifacts: ArtifactStore { ArtifactStore(spool: spool) }

    func register<Context: RequestContext>(_ router: Router<Context>) {
        let api = router.group("api/v1")
        api.get("runs") { request, _ in try list(request) }
        api.post("runs") { request, _ in try await create(request) }
        api.get("runs/:id") { _, context in try detail(try runID(context)) }
        api.get("runs/:id/children") { _, context in try children(try runID(context)) }
        api.get("runs/:id/events") { request, context in try events(request, try runID(context)) }
        api.get("runs/:id/artifacts") { _, context in try artifactList(try runID(context)) }
        api.get("runs/:id/artifacts/**") { request, context in try artifact(request, try runID(context)) }
        for action in ControlAction.allCases {
            api.post("runs/:id/\(action.rawValue)") { _, context in try control(action, try runID(context)) }
        }
    }

    func runID<Context: RequestContext>(_ context: Context) throws(APIError) -> RunID {
        let text = context.parameters.get("id") ?? ""
        guard let run = RunID(text) else {
            throw .notFound("\(text) is not a run id (they look like 20261125T021530123Z-3fa94c01de-host); list runs with GET /api/v1/runs")
        }
        return run
    }

    // MARK: list and detail

    static let maxLimit = 500

    func list(_ request: Request) throws(APIError) -> Response {
        let params = request.uri.queryParameters
        var q = RunCatalog.Query()
        func values(_ key: String) -> [String] {
            params.getAll(key).flatMap { $0.split(separator: ",").map { String($0) } }.filter { !$0.isEmpty }
        }
        for s in values("state") {
            guard let st = RunState(rawValue: s) else { throw .badRequest("state=\(s) is not a state; use queued, running, waiting or done") }
            q.states.append(st)
        }
        for s in values("status") {
            guard let st = RunStatus(rawValue: s) else {
                throw .badRequest("status=\(s) is not a status; use succeeded, failed, stopped or rejected")
            }
            q.statuses.append(st)
        }
        q.labels = values("label")
        q.text = params.get("q")
        q.limit = try intParam(params.get("limit"), name: "limit", default: 50, range: 1...Self.maxLimit)
        q.offset = try intParam(params.get("offset"), name: "offset", default: 0, range: 0...Int.max)
        let page = catalog.list(q)
        return Reply.json(.object([
            ("runs", .array(page.runs.map(\.json))), ("total", .int(page.total)),
            ("counts", .object(page.counts.map { ($0.0, .int($0.1)) })),
            ("limit", .int(q.limit)), ("offset", .int(q.offset)),
        ]))
    }

    func intParam(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw .badRequest("\(name)=\(text) must be a whole number from \(range.lowerBound)\(range.upperBound == Int.max ? " up" : " to \(range.upperBound)")")
        }
        return n
    }

    func detail(_ run: RunID) throws(APIError) -> Response {
        guard let record = catalog.record(run), let folder = catalog.location(run) else { throw .notFound("no run \(run) in this spool") }
        guard case .object(var fields) = record.detailJSON else { return Reply.json(record.detailJSON) }
        let bytes = (try? Sys.readFile(spool.jobFile(run, in: folder), limit: JobLoader.maxFileSize + 1)) ?? []
        fields.append(("job", .string(String(decoding: bytes, as: UTF8.self))))
        return Reply.json(.object(fields))
    }

    /// The children the run spawned, from its ledger (`children/RUN/`), each as its list row. A child whose
    /// spawn was cut before its job reached `new/` (recovery delivers it) is listed by id with `state: null`.
    func children(_ run: RunID) throws(APIError) -> Response {
        guard catalog.record(run) != nil else { throw .notFound("no run \(run) in this spool") }
        let rows: [JSON] = spooler.children(of: run).map { child in
            catalog.record(child)?.json ?? .object([("id", .string(child.rawValue)), ("state", .null), ("parent", .string(run.rawValue))])
        }
        return Reply.json(.object([("children", .array(rows))]))
    }

    // MARK: create

    func create(_ request: Request) async throws(APIError) -> Response {
        var bytes = try await Self.collect(request.body, limit: JobLoader.maxFileSize)
        let params = request.uri.queryParameters
        var name = params.get("name") ?? "api.yaml"
        if !name.hasSuffix(".yaml") && !name.hasSuffix(".yml") { name += ".yaml" }
        guard JobName.isJob(Array(name.utf8)), !name.contains("/") else {
            throw .badRequest("name=\(name) cannot be a job file name: it may not contain / or NUL, start with . or #, or end with ~ or #")
        }
        let type = (request.headers[.contentType] ?? "").lowercased()
        let isJSON = type.hasPrefix("application/json")
        // The body arrived whole (its length is known), so a missing final newline is not a cut-off write.
        if bytes.last != 0x0A && !bytes.isEmpty {
            if bytes.count >= JobLoader.maxFileSize { throw Self.tooLarge }
            bytes.append(0x0A)
        }
        if isJSON, let problem = Self.jsonProblem(bytes) { throw problem }
        do {
            // JSON is YAML (flow style), so one loader checks both and reports lines and columns in the text sent.
            _ = try JobLoader.load(bytes, file: name, workspaceRoots: workspaceRoots)
        } catch {
            var fields: [(String, JSON)] = [("file", .string(name)), ("reason", .string(error.reason.rawValue))]
            if let l = error.line { fields.append(("line", .int(l))) }
            if let c = error.column { fields.append(("column", .int(c))) }
            if let e = error.expected { fields.append(("expected", .string(e))) }
            if let p = error.keyPath(in: bytes) { fields.append(("path", .string(p))) }
            let status: HTTPResponse.Status = error.reason == .tooLarge ? .contentTooLarge : .unprocessableContent
            if status == .contentTooLarge { throw Self.tooLarge }
            // `message` is the bare reason; where it is comes in `line`, `column` and `path`, the fix in `expected`.
            throw APIError(status, "invalid_job", error.message, fields: fields)
        }
        let run: RunID
        do { run = try spooler.submit(bytes, name: Array(name.utf8)) } catch {
            throw APIError(.internalServerError, "spool_error", "the job is valid but could not be queued: \(error)")
        }
        catalog.catchUp()
        var r = Reply.json(.object([("id", .string(run.rawValue)), ("name", .string(name)), ("state", .string("queued"))]), status: .created)
        r.headers[.location] = "/api/v1/runs/\(run)"
        return r
    }

    /// libyaml accepts some text that is not JSON; a client that says JSON gets JSON's rules.
    static func jsonProblem(_ bytes: [UInt8]) -> APIError? {
        if JSON.parse(bytes) != nil { return nil }
        return APIError(.unprocessableContent, "invalid_job", "the body is not valid JSON (Content-Type says application/json)",
                        fields: [("reason", .string("syntax"))])
    }

    static let tooLarge = APIError(.contentTooLarge, "too_large", "the job is larger than 1 MiB (1,048,576 bytes), the limit for job files")

    static func collect(_ body: RequestBody, limit: Int) async throws(APIError) -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await var buffer in body {
                if bytes.count + buffer.readableBytes > limit { throw tooLarge }
                bytes += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        } catch let e as APIError {
            throw e
        } catch {
            throw .badRequest("the request body could not be read: \(error)")
        }
        return bytes
    }

    // MARK: events

    func events(_ request: Request, _ run: RunID) throws(APIError) -> Response {
        guard catalog.record(run) != nil else { throw .notFound("no run \(run) in this spool") }
        let after = try resumePoint(request)
        let accept = request.headers[.accept] ?? ""
        if accept.contains("text/event-stream") {
            return EventStream(spool: spool, run: run, after: after, changes: catalog.changes).response()
        }
        let path = RunIndex(spool: spool).eventsPath(run)
        let all = path.flatMap { try? EventReader.read($0) } ?? []
        // Each event as its line in the file: the fields keep the order the worker wrote them in.
        var body: [UInt8] = [0x5B]
        for e in all where e.seq > after {
            if body.count > 1 { body.append(0x2C) }
            body += e.raw ?? e.json.encoded()
        }
        body += [0x5D, 0x0A]
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// `Last-Event-ID` (what a reconnecting SSE client sends), else `?after=`, else 0.
    func resumePoint(_ request: Request) throws(APIError) -> Int {
        let header = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { $0.isEmpty ? nil : $0 }
        guard let text = header ?? request.uri.queryParameters.get("after"), !text.isEmpty else { return 0 }
        guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 0 else {
            throw .badRequest("Last-Event-ID or after=\(text) must be an event seq (a whole number)")
        }
        return n
    }

    // MARK: artifacts

    func artifactList(_ run: RunID) throws(APIError) -> Response {
        guard catalog.record(run) != nil, let folder = catalog.location(run) else { throw .notFound("no run \(run) in this spool") }
        let items: [ArtifactStore.Item]
        do { items = try artifacts.list(run, in: folder) } catch { throw APIError(.internalServerError, "io", error.description) }
        return Reply.json(.object([("artifacts", .array(items.map { i in
            .object([("path", .string(i.path)), ("size", .int(i.size)), ("mtime", .string(Timestamp.rfc3339(i.mtime)))])
        }))]))
    }

    func artifact(_ request: Request, _ run: RunID) throws(APIError) -> Response {
        let raw = request.uri.path
        let marker = "/artifacts/"
        guard let range = raw.range(of: marker) else { throw .badRequest("no artifact path given") }
        let components: [String]
        do { components = try ArtifactStore.components(rawPath: raw[range.upperBound...]) } catch {
            throw .badRequest(error.description)
        }
        guard catalog.record(run) != nil else { throw .notFound("no run \(run) in this spool") }
        // The run may move to done/ between the lookup and the open: try where it is, then where it goes.
        var lastError = ArtifactError.io("")
        for folder in [catalog.location(run) ?? .running, .done, .running, .queued] {
            do {
                let file = try artifacts.open(run, in: folder, components: components)
                var r = Response(status: .ok, headers: [.contentType: Self.mediaType(components.last ?? ""),
                                                        .cacheControl: "no-store",
                                                        .contentDisposition: "inline"],
                                 body: ResponseBody(contentLength: file.size) { writer in
                                     var left = file.size
                                     while left > 0 {
                                         let chunk = try file.read(max: min(left, 64 * 1024))
                                         // Cut while being sent (a step truncating its log): fewer bytes than the
                                         // Content-Length promised. Failing closes the connection, so no client
                                         // waits for the rest or reads the next answer as body.
                                         if chunk.isEmpty { throw ArtifactError.io("\(file.path) shrank while it was being sent") }
                                         left -= chunk.count
                                         try await writer.write(ByteBuffer(bytes: chunk))
                                     }
                                     try await writer.finish(nil)
                                 })
                r.headers[.xContentTypeOptions] = "nosniff"
                return r
            } catch {
                if case .notFound = error {
                    if case .notFound = lastError { continue }  // keep the first, most precise message
                }
                lastError = error
                if case .notFound = error { continue }
                break
            }
        }
        switch lastError {
        case .invalidPath(let m): throw .badRequest(m)
        case .refused(let m): throw APIError(.forbidden, "refused", m)
        case .notFound(let m): throw .notFound(m)
        case .io(let m): throw APIError(.internalServerError, "io", m)
        }
    }

    /// Artifacts are served as text or as bytes, never as HTML: a step's output must not run as a page here.
    static func mediaType(_ name: String) -> String {
        if name.hasSuffix(".diff") || name.hasSuffix(".patch") { return "text/x-diff; charset=utf-8" }
        if name.hasSuffix(".json") || name.hasSuffix(".jsonl") { return "application/json; charset=utf-8" }
        let text = [".txt", ".log", ".stdout", ".stderr", ".md", ".yaml", ".yml", ".out", ".err"]
        if text.contains(where: name.hasSuffix) { return "text/plain; charset=utf-8" }
        return "application/octet-stream"
    }

    // MARK: control

    func control(_ action: ControlAction, _ run: RunID) throws(APIError) -> Response {
        guard let state = RunIndex(spool: spool).state(of: run) else { throw .notFound("no run \(run) in this spool") }
        let outcome: ControlOutcome
        do { outcome = try spooler.control(action, .run(run, state)) } catch {
            if case .wrongState = error { throw APIError(.conflict, "wrong_state", error.description) }
            throw APIError(.internalServerError, "spool_error", error.description)
        }
        catalog.catchUp()
        switch outcome {
        case .requested(let id):
            return Reply.json(.object([("id", .string(id.rawValue)), ("action", .string(action.rawValue))]), status: .accepted)
        case .stoppedQueued(let id):
            return Reply.json(.object([("id", .string(id.rawValue)), ("action", .string("stop")), ("status", .string("stopped"))]))
        case .retried(let next):
            var r = Reply.json(.object([("id", .string(next.rawValue)), ("previous", .string(run.rawValue))]), status: .created)
            r.headers[.location] = "/api/v1/runs/\(next)"
            return r
        }
    }
}
