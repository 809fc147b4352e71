import Foundation
import HTTPTypes
import Hummingbird

/// The web console: static files shipped inside the binary's resource bundle (Sources/APIServer/Console).
/// `/` is index.html; `/console/NAME` serves one file by its exact name, never a path.
struct ConsoleRoutes: Sendable {
    let files: [String: (type: String, bytes: [UInt8])]

    init(directory: URL? = Bundle.module.url(forResource: "Console", withExtension: nil)) {
        var files: [String: (String, [UInt8])] = [:]
        if let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) {
            for name in names where !name.hasPrefix(".") {
                guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else { continue }
                files[name] = (Self.mediaType(name), [UInt8](data))
            }
        }
        self.files = files
    }

    static func mediaType(_ name: String) -> String {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        default: "application/octet-stream"
        }
    }

    func register<Context: RequestContext>(_ router: Router<Context>) {
        router.get("/") { _, _ in try serve("index.html") }
        router.get("console/:name") { _, context in try serve(context.parameters.get("name") ?? "") }
    }

    func serve(_ name: String) throws(APIError) -> Response {
        guard let file = files[name] else {
            if files.isEmpty { throw APIError(.notFound, "not_found", "this binary was built without the console's files") }
            throw .notFound("no console file \(name)")
        }
        return Response(status: .ok, headers: [
            .contentType: file.type, .cacheControl: "no-cache",
            .contentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
            .xContentTypeOptions: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
