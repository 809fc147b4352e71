import Hummingbird
import RunCatalog

/// `GET /api/v1/status`: workers, services and run counts.
struct StatusRoutes: Sendable {
    let board: StatusBoard
    let catalog: RunCatalog

    func register<Context: RequestContext>(_ router: Router<Context>) {
        router.get("api/v1/status") { _, _ in Reply.json(board.snapshot(counts: catalog.counts)) }
    }
}
