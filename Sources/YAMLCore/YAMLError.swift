/// A YAML problem: a libyaml reader/scanner/parser error, or one of the checks this layer adds
/// (unknown alias, duplicate key, second document, nesting and alias-expansion limits).
public struct YAMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// libyaml rejected the input (reader, scanner or parser error).
        case syntax
        /// `*name` without an earlier `&name`.
        case unknownAlias
        /// The same key twice in one mapping; the mark is the second key's.
        case duplicateKey
        /// A second `---` document.
        case multipleDocuments
        /// Collections nested deeper than `YAMLLimits.maxDepth`.
        case tooDeep
        /// Aliases expand to more nodes than `YAMLLimits.maxAliasedNodes` ("billion laughs").
        case tooManyAliases
        /// libyaml could not allocate or initialize its parser.
        case internalError
    }

    public var kind: Kind
    public var message: String
    /// Where the problem is, 1-based.
    public var mark: Mark
    /// The problem is at the end of the input: the text may simply be incomplete (still being written).
    public var atEndOfInput: Bool

    public init(kind: Kind, message: String, mark: Mark, atEndOfInput: Bool = false) {
        self.kind = kind
        self.message = message
        self.mark = mark
        self.atEndOfInput = atEndOfInput
    }

    public var line: Int { mark.line }
    public var column: Int { mark.column }

    public var description: String { "\(mark.line):\(mark.column): \(message)" }
}
