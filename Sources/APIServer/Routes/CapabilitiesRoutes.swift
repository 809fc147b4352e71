import Hummingbird
import JobSpec
import JSONCore

/// `GET /api/v1/capabilities`: the providers, tools and engines this server's jobs may name, read from the
/// registries the job schema uses, so the console lists what the server accepts instead of a copy of it.
struct CapabilitiesRoutes: Sendable {
    func register<Context: RequestContext>(_ router: Router<Context>) {
        let body = Self.document
        router.get("api/v1/capabilities") { _, _ in Reply.json(body) }
    }

    static let document: JSON = .object([
        ("providers", .array(ProviderCatalog.all.map { p in
            .object([("name", .string(p.name)), ("default_model", .string(p.defaultModel)),
                     ("key_env", p.keyEnv.map(JSON.string) ?? .null)])
        })),
        ("tools", .array(ToolCatalog.all.map { t in
            .object([("name", .string(t.name)), ("description", .string(t.description)),
                     ("default", .bool(t.isDefault)), ("network", .bool(t.usesNetwork))])
        })),
        ("engines", .array([.object([("name", .string("builtin")), ("default", .bool(true))])])),
    ])
}
