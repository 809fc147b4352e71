import HTTPTypes
import Hummingbird
import JSONCore
import RunCatalog
import ServiceLifecycle
import SpoolCore

/// A run's events as Server-Sent Events, following the file as it grows and as it moves from `new/` to
/// `cur/` to `done/`. Each event's SSE `id` is its `seq`, so a client that reconnects with
/// `Last-Event-ID: N` gets exactly the events after N: none lost, none repeated. The stream ends with an
/// `end` event once the run's job file is in `done/` (its events are complete by then: the finish moves
/// them before the job file).
struct EventStream: Sendable {
    let spool: Spool
    let run: RunID
    let after: Int
    /// Wakes the stream when inotify sees the run's files change (within a millisecond or so).
    let changes: ChangeSignal
    /// The longest wait between looks at the file without a signal: another NFS client's writes raise none.
    var interval: Double = 1
    /// The pause after a wake-up, before reading: at most this much added delay, in exchange for batching.
    var coalesce: Duration = .milliseconds(20)
    var keepalive: Double = 15

    func response() -> Response {
        let stream = self
        return Response(status: .ok,
                        headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
                                  HTTPField.Name("X-Accel-Buffering")!: "no"],
                        body: ResponseBody { writer in
                            try await stream.pump(&writer)
                            try await writer.finish(nil)
                        })
    }

    private func pump(_ writer: inout any ResponseBodyWriter) async throws {
        var tail = EventTail()
        var last = after
        var highest = 0
        // The tail reads the whole file from its start (sending only what is past `after`), so the
        // `finished` event's status is known here without reading the file again for the `end` event.
        var status: String?
        var quietSince = ContinuousClock.now
        var missing = 0
        let index = RunIndex(spool: spool)
        // A comment first: proxies and clients see the stream open at once.
        try await writer.write(ByteBuffer(string: ": \(run)\n\n"))
        while true {
            let seen = changes.generation(run.rawValue)
            // Where the job is now decides the file to read and whether this read is the last.
            let state = index.state(of: run)
            // Looking in three folders one after another can miss a job that moves in between: ask again before giving up.
            if state == nil && missing < 3 {
                missing += 1
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            missing = 0
            var out: [UInt8] = []
            let path = state.map { spool.eventsFile(run, in: $0) } ?? index.eventsPath(run)
            if let path {
                switch tail.read(path) {
                case .appended(let events), .replaced(let events):
                    highest = max(highest, events.last?.seq ?? 0)
                    for e in events { if let f = e.payload(EventType.Finished.self) { status = f.status } }
                    for e in events where e.seq > last {
                        Self.frame(e, into: &out)
                        last = e.seq
                    }
                case .missing: break
                }
            }
            if state == .done || state == nil {
                var end: [(String, JSON)] = [("state", .string(state?.rawValue ?? "gone")), ("last_seq", .int(highest))]
                if state == .done, let status { end.append(("status", .string(status))) }
                out += Array("event: end\ndata: ".utf8) + JSON.object(end).encoded() + Array("\n\n".utf8)
                try await writer.write(ByteBuffer(bytes: out))
                return
            }
            if !out.isEmpty {
                try await writer.write(ByteBuffer(bytes: out))
                quietSince = .now
            } else if ContinuousClock.now - quietSince > .seconds(keepalive) {
                try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                quietSince = .now
            }
            // A server shutting down ends its streams (without `end`: the run goes on); clients reconnect
            // with Last-Event-ID, to this server once it is back or to another one.
            if Task.isShuttingDownGracefully { return }
            await changes.wait(for: run.rawValue, seen: seen, timeout: interval)
            // Let a burst of writes land before reading: one read and one send for many events, so 100
            // clients of a chatty run cost a few thousand wake-ups a second, not one per event each.
            try await Task.sleep(for: coalesce)
        }
    }

    static func frame(_ e: Event, into out: inout [UInt8]) {
        out += Array("id: \(e.seq)\nevent: ".utf8)
        // An event type is a plain word, but a hand-written line must not be able to inject SSE fields.
        // (By bytes: Swift counts "\r\n" as one Character, which a Character filter would let through.)
        out += Array(e.type.utf8).filter { $0 != 0x0A && $0 != 0x0D }
        out += Array("\ndata: ".utf8)
        // One line: the file's own line (it has no newline inside: JSON escapes them), else the re-encoded event.
        if let raw = e.raw, !raw.contains(0x0A), !raw.contains(0x0D) { out += raw } else { e.json.encode(into: &out) }
        out += Array("\n\n".utf8)
    }
}
