import Hummingbird

/// Who made a request, as the auth middleware decided it. The roles and scoped tokens of a later issue
/// fill in more; today it is the one shared token, or a local caller on loopback without one.
public struct Principal: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A caller that presented one of the configured bearer tokens.
        case token
        /// A caller on loopback, where the server runs without tokens.
        case local
    }
    public var kind: Kind
    /// How events and logs name the caller (`by`).
    public var name: String
}

/// The request context of every route: Hummingbird's core storage plus the principal.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AuthMiddleware` for `/api/` requests; nil for the console's static files.
    public var principal: Principal?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
