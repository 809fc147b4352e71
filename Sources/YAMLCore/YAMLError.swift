/// A YAML document that libyaml (or this layer) refused.
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var mark: Mark?
    /// The problem is at the very end of the input: the file may still be arriving.
    public var atEnd: Bool

    public init(message: String, mark: Mark?, atEnd: Bool = false) {
        self.message = message
        self.mark = mark
        self.atEnd = atEnd
    }

    public var description: String { mark.map { "\($0): \(message)" } ?? message }
}
