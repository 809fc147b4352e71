import YAMLCore

/// `api:` in config.yaml: what `agent-runner serve` needs.
public struct APISettings: Sendable, Equatable {
    /// Bearer tokens the API accepts. Any token makes auth required, also on loopback.
    public var tokens: [String] = []
    /// Seconds between checks of the configured services (providers, Forgejo, Taiga).
    public var statusInterval: Double = 30
    public init() {}
    static let keys = ["tokens", "status_interval"]
}

/// `forgejo:` or `taiga:` in config.yaml. Only the URL for now: the status page checks that it answers.
public struct ServiceSettings: Sendable, Equatable {
    public var url: String
    public init(url: String) { self.url = url }
}

extension SpoolConfig {
    static func apiSettings(_ node: YAMLNode, _ d: SchemaDecoder) throws(JobError) -> APISettings {
        var a = APISettings()
        for (key, pair) in try d.mapping(node, field: "api", expected: "a mapping with `tokens` and `status_interval`", allowed: APISettings.keys) {
            let v = pair.value
            switch key {
            case "tokens":
                guard let items = v.sequence else { throw d.wrongType(v, field: "api tokens", expected: "a list of strings") }
                for item in items {
                    let t = try d.string(item, field: "each api token", nonEmpty: true)
                    guard t.count >= 16, t.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
                        throw d.error(.invalidValue, at: item.mark, "an api token must be at least 16 printable ASCII characters without spaces",
                                      expected: "a long random string, e.g. from `openssl rand -hex 24`")
                    }
                    a.tokens.append(t)
                }
            case "status_interval": a.statusInterval = try d.duration(v, field: "api status_interval", minimum: 1, positive: false)
            default: break
            }
        }
        return a
    }

    static func serviceSettings(_ node: YAMLNode, _ d: SchemaDecoder, name: String) throws(JobError) -> ServiceSettings {
        var url: String?
        for (_, pair) in try d.mapping(node, field: name, expected: "a mapping with `url`", allowed: ["url"]) {
            let s = try d.string(pair.value, field: "\(name) url", nonEmpty: true)
            guard s.hasPrefix("http://") || s.hasPrefix("https://") else {
                throw d.error(.invalidValue, at: pair.value.mark, "\(name) url must start with http:// or https://", expected: "a URL such as https://\(name).example.com")
            }
            url = s
        }
        guard let url else { throw d.error(.missingKey, at: node.mark, "\(name) needs `url`", expected: "url: https://…") }
        return ServiceSettings(url: url)
    }
}
