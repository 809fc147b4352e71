import Foundation
import JobSpec
import JSONCore
import Testing
@testable import AgentTools

/// The tool box implements exactly what the catalog names: a name without an implementation would be
/// accepted by the schema and fail in every run.
@Test(.ownThread) func everyCatalogToolIsImplemented() async throws {
    let dir = NSTemporaryDirectory() + "ar-registry-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let context = ToolContext(workspace: dir, artifacts: dir, environment: [:])
    for name in ToolCatalog.names {
        let out = await Toolbox.call(name, arguments: .object([]), allowed: ToolCatalog.names, context: context, callID: "t")
        #expect(!out.content.contains("not implemented"), "\(name): \(out.content)")
    }
    #expect(Toolbox.names == ToolCatalog.names)
}
