import JSONCore

/// The fields of one event type, read from the event's JSON. Every field is optional or defaulted, as
/// the reader of an older or partly written log needs; the JSON on disk stays exactly what the writer
/// wrote (these types only read it).
///
/// A payload lists its fields once, as JSON keys and the properties they fill (`fields`); `init(json:)`
/// reads them all the same way: a field that is absent, or of another JSON kind, keeps its default.
public protocol EventPayload: Sendable {
    static var type: EventType { get }
    /// Where each property is read from.
    static var fields: [PayloadField<Self>] { get }
    /// Every field at its default (absent).
    init()
}

extension EventPayload {
    /// The payload of an event's JSON: each listed field read, the rest left at its default.
    public init(json: JSON) {
        self.init()
        for field in Self.fields { field.read(json, &self) }
    }
}

/// A value a payload field can hold, taken from the field's JSON; nil when the JSON is of another kind.
public protocol PayloadValue: Sendable {
    init?(payload json: JSON)
}

extension String: PayloadValue {
    public init?(payload json: JSON) { guard let v = json.stringValue else { return nil }; self = v }
}

extension Int: PayloadValue {
    public init?(payload json: JSON) { guard let v = json.intValue else { return nil }; self = v }
}

extension Double: PayloadValue {
    public init?(payload json: JSON) { guard let v = json.doubleValue else { return nil }; self = v }
}

extension Bool: PayloadValue {
    public init?(payload json: JSON) { guard let v = json.boolValue else { return nil }; self = v }
}

/// Any JSON, as written.
extension JSON: PayloadValue {
    public init?(payload json: JSON) { self = json }
}

/// An array's elements of the wanted kind; the others are dropped.
extension Array: PayloadValue where Element: PayloadValue {
    public init?(payload json: JSON) {
        guard let items = json.arrayValue else { return nil }
        self = items.compactMap(Element.init(payload:))
    }
}

/// One field of a payload: the JSON keys it is read from (a nested object's key after its parent's) and
/// the property it fills.
public struct PayloadField<Payload>: Sendable {
    /// The key, then the keys inside it: `["usage", "input"]`.
    public let keys: [String]
    let read: @Sendable (JSON, inout Payload) -> Void

    /// An optional property: nil when the field is absent or of another kind.
    public static func field<V: PayloadValue>(_ keys: String..., to property: WritableKeyPath<Payload, V?> & Sendable) -> Self {
        Self(keys: keys) { json, payload in payload[keyPath: property] = Self.value(at: keys, in: json) }
    }

    /// A property with a default: the default when the field is absent or of another kind.
    public static func field<V: PayloadValue>(_ keys: String..., to property: WritableKeyPath<Payload, V> & Sendable,
                                              default value: V) -> Self {
        Self(keys: keys) { json, payload in payload[keyPath: property] = Self.value(at: keys, in: json) ?? value }
    }

    static func value<V: PayloadValue>(at keys: [String], in json: JSON) -> V? {
        var node: JSON? = json
        for key in keys { node = node?[key] }
        return node.flatMap(V.init(payload:))
    }
}
