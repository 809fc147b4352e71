import YAMLCore

extension JobError {
    /// The key path of the node this error points at, such as `agent.provider` or `steps[0].run`, found by
    /// matching the error's line and column against the parsed document. Nil for syntax errors, errors
    /// without a position, and errors about the document as a whole. A form can show the error at its field.
    public func keyPath(in bytes: [UInt8]) -> String? {
        guard reason != .syntax, let line, let column,
              let root = try? YAMLParser.parse(bytes) else { return nil }
        let target = Mark(line: line, column: column)
        var matches: [String] = []
        Self.collect(root, path: "", target: target, into: &matches)
        // A missing key is reported at its mapping, whose position is also its first key's: the shorter path is
        // meant, and a key missing from the document itself belongs to no field.
        if reason == .missingKey { return matches.min { $0.count < $1.count }.flatMap { $0.isEmpty ? nil : $0 } }
        return matches.filter { !$0.isEmpty }.max { $0.count < $1.count }
    }

    private static func collect(_ node: YAMLNode, path: String, target: Mark, into matches: inout [String]) {
        if node.mark == target { matches.append(path) }
        switch node.kind {
        case .mapping(let pairs):
            for pair in pairs {
                let key = pair.key.scalarText ?? "?"
                let p = path.isEmpty ? key : path + "." + key
                if pair.key.mark == target { matches.append(p) }
                collect(pair.value, path: p, target: target, into: &matches)
            }
        case .sequence(let items):
            for (i, item) in items.enumerated() { collect(item, path: "\(path)[\(i)]", target: target, into: &matches) }
        case .scalar: break
        }
    }
}
