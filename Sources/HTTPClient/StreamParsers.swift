/// One server-sent event.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field; nil when absent or empty (the WHATWG default type "message").
    public var event: String?
    /// The `data:` lines joined with "\n".
    public var data: String
    /// The last event ID seen on the stream so far (it persists across events); nil if none.
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// Incremental `text/event-stream` parser following the WHATWG HTML "event stream
/// interpretation" rules, so that byte chunks can be fed exactly as the network delivers them.
///
/// - Lines end in "\n", "\r\n" or "\r"; a "\r" at the end of one chunk may pair with a "\n"
///   starting the next, which then does not count as an extra (blank) line.
/// - Lines are decoded as UTF-8 only once complete, so a chunk boundary inside a multi-byte
///   sequence is harmless. A leading byte-order mark is skipped.
/// - Lines starting with ":" are comments (keep-alives) and are ignored.
/// - "field:value" drops one space after the colon; a line without a colon is a field with an
///   empty value. Known fields: `event`, `data` (repeats join with "\n"), `id` (ignored if it
///   contains NUL); `retry` and unknown fields are ignored.
/// - A blank line dispatches the event, unless no `data` field was seen (then it is dropped).
/// - One deliberate difference at end of stream: see `finish()`.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var afterCR = false
    private var atStart = true
    private var data = ""
    private var sawData = false
    private var eventType = ""
    private var lastEventID = ""

    public init() {}

    /// Parses the next chunk and returns the events it completed, in order.
    public mutating func feed(_ bytes: [UInt8]) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if afterCR {
                afterCR = false
                if bytes[i] == 0x0A { i += 1; continue }
            }
            guard let end = bytes[i...].firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) else {
                line += bytes[i...]
                break
            }
            line += bytes[i..<end]
            afterCR = bytes[end] == 0x0D
            endLine(into: &events)
            i = end + 1
        }
        return events
    }

    /// Ends the stream: an unterminated last line is processed, then a pending event with data is
    /// dispatched as if a blank line had followed. (WHATWG would discard it; we don't, because a
    /// connection cut mid-stream already surfaces as an `HTTPClientError`, and recorded streams such as
    /// the Anthropic SDK fixtures end without the final blank line.) The parser is then reset.
    public mutating func finish() -> [SSEEvent] {
        var events: [SSEEvent] = []
        if !line.isEmpty { endLine(into: &events) }
        dispatch(into: &events)
        self = SSEParser()
        return events
    }

    /// True when the stream so far ends inside an event: an unterminated line, or fields not yet
    /// dispatched by a blank line. For detecting a connection cut mid-event.
    public var hasPendingEvent: Bool {
        (!line.isEmpty && line.first != UInt8(ascii: ":")) || sawData || !eventType.isEmpty
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        var bytes = line[...]
        line.removeAll(keepingCapacity: true)
        if atStart {
            atStart = false
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        if bytes.isEmpty { return dispatch(into: &events) }
        if bytes.first == UInt8(ascii: ":") { return }
        let name: ArraySlice<UInt8>
        var value: ArraySlice<UInt8>
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            name = bytes[..<colon]
            value = bytes[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            name = bytes
            value = []
        }
        switch String(decoding: name, as: UTF8.self) {
        case "event":
            eventType = String(decoding: value, as: UTF8.self)
        case "data":
            if sawData { data += "\n" }
            data += String(decoding: value, as: UTF8.self)
            sawData = true
        case "id":
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        default:
            break  // "retry" and unknown fields
        }
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        defer { data = ""; sawData = false; eventType = "" }
        guard sawData else { return }
        events.append(SSEEvent(event: eventType.isEmpty ? nil : eventType, data: data,
                               id: lastEventID.isEmpty ? nil : lastEventID))
    }
}

/// Splits newline-delimited records (NDJSON, as Ollama streams) from arbitrary byte chunks.
/// Lines end in "\n"; a trailing "\r" is stripped; empty lines are skipped.
public struct LineSplitter: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Returns the lines completed by this chunk, without their terminators.
    public mutating func feed(_ bytes: [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: 0x0A) {
            pending += bytes[start..<newline]
            start = newline + 1
            if let line = takePending() { lines.append(line) }
        }
        pending += bytes[start...]
        return lines
    }

    /// Returns the final line if the stream did not end with "\n", and resets the splitter.
    public mutating func finish() -> [[UInt8]] {
        defer { pending = [] }
        return takePending().map { [$0] } ?? []
    }

    private mutating func takePending() -> [UInt8]? {
        var line = pending
        pending.removeAll(keepingCapacity: true)
        if line.last == 0x0D { line.removeLast() }
        return line.isEmpty ? nil : line
    }
}
