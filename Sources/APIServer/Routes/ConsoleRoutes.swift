import Foundation
import HTTPTypes
import Hummingbird

/// The web console: static files shipped inside the binary's resource bundle (Sources/APIServer/Console).
/// `/` is index.html; `/console/NAME` and `/console/FOLDER/NAME` (the ES modules in js/) serve one file read
/// at start-up, looked up by its exact relative path: a request never reaches the file system, so `..` or an
/// encoded `/` can only miss (404).
struct ConsoleRoutes: Sendable {
    let files: [String: (type: String, bytes: [UInt8])]

    init(directory: URL? = Bundle.module.url(forResource: "Console", withExtension: nil)) {
        var files: [String: (String, [UInt8])] = [:]
        if let directory {
            Self.load(directory, prefix: "", depth: 1, into: &files)
        }
        self.files = files
    }

    /// Reads every visible file of `directory` into `files` under `prefix + name`, and the folders below it
    /// down to `depth` more levels (the routes match one folder level).
    static func load(_ directory: URL, prefix: String, depth: Int, into files: inout [String: (String, [UInt8])]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { continue }
            if isFolder.boolValue {
                if depth > 0 { load(url, prefix: prefix + name + "/", depth: depth - 1, into: &files) }
            } else if let data = FileManager.default.contents(atPath: url.path) {
                files[prefix + name] = (mediaType(name), [UInt8](data))
            }
        }
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
        // The router wants one parameter name per level: here `name` is the folder.
        router.get("console/:name/:file") { _, context in
            try serve((context.parameters.get("name") ?? "") + "/" + (context.parameters.get("file") ?? ""))
        }
    }

    func serve(_ name: String) throws(APIError) -> Response {
        guard let file = files[name] else {
            if files.isEmpty { throw APIError(.notFound, "not_found", "this binary was built without the console's files") }
            throw .notFound("no console file \(name)")
        }
        return Response(status: .ok, headers: [
            .contentType: file.type, .cacheControl: "no-cache",
            .contentSecurityPolicy: "default-src 'self'; script-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
            .xContentTypeOptions: "nosniff", HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
