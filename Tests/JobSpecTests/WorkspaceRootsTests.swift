import Testing
import TestSupport
import JobSpec

/// Absolute workspaces, and config.yaml's `workspace_roots:` confining where a workspace may be.
@Suite(.ownThread) struct WorkspaceRootsTests {
    let roots = WorkspaceRoots(roots: ["/srv/repos", "/home/ci/work/"], spoolRoot: "/srv/spool")

    func error(_ workspace: String, roots: WorkspaceRoots?) -> JobError? {
        do {
            _ = try JobLoader.load(Array("title: t\nworkspace: \(workspace)\nsteps: []\n".utf8), file: "jobs/app.yaml",
                                   workspaceRoots: roots)
            return nil
        } catch {
            return error
        }
    }

    @Test func absoluteWorkspaceIsAccepted() throws {
        let job = try loadJob("workspace: /srv/repos/app\nsteps: []\n")
        #expect(job.workspace == "/srv/repos/app")
    }

    @Test func withoutRootsAnyAbsoluteWorkspaceLoads() {
        #expect(error("/etc", roots: nil) == nil)
    }

    @Test func workspaceInsideARootLoads() {
        #expect(error("/srv/repos/app", roots: roots) == nil)
        #expect(error("/srv/repos", roots: roots) == nil)
        #expect(error("/home/ci/work/x/y", roots: roots) == nil)
        #expect(error("/srv/other/../repos/app", roots: roots) == nil)
        #expect(error("//srv/./repos//app/", roots: roots) == nil)
    }

    @Test func workspaceOutsideEveryRootIsRefusedWithFileLineAndColumn() throws {
        let e = try #require(error("/srv/repos2/app", roots: roots))
        #expect(e.reason == .invalidValue)
        #expect(e.file == "jobs/app.yaml")
        #expect(e.line == 2)
        #expect(e.column == 12)
        #expect(e.description.hasPrefix("jobs/app.yaml:2:12: workspace \"/srv/repos2/app\" is outside every folder in config.yaml's workspace_roots"))
        #expect(e.expected?.contains("/srv/repos, /home/ci/work, /srv/spool") == true)
    }

    @Test func stringPrefixOfARootIsNotInsideIt() {
        #expect(error("/srv/repos2", roots: roots) != nil)
        #expect(error("/srv/repo", roots: roots) != nil)
        #expect(error("/srv", roots: roots) != nil)
    }

    @Test func dotDotLeavingARootIsRefused() {
        #expect(error("/srv/repos/../etc", roots: roots) != nil)
        #expect(error("/srv/repos/app/../../repos2", roots: roots) != nil)
        #expect(error("/../../srv/repos/app", roots: roots) == nil)  // `..` above / stays at /
    }

    @Test func relativeWorkspaceIsResolvedAgainstTheSpoolRoot() throws {
        #expect(error("../repos/app", roots: roots) == nil)
        #expect(error("builds/nightly", roots: roots) == nil)  // inside the spool, which always counts
        let out = try #require(error("../../etc", roots: roots))
        #expect(out.description.contains("\"../../etc\" (/etc) is outside"))
        #expect(error("../spool2/x", roots: roots) != nil)
    }

    @Test func normaliseResolvesDotsAndSlashes() {
        #expect(WorkspaceRoots.normalize("/a/./b//c/../d/") == "/a/b/d")
        #expect(WorkspaceRoots.normalize("/..") == "/")
        #expect(WorkspaceRoots.normalize("a/../../b") == "../b")
        #expect(WorkspaceRoots(roots: [], spoolRoot: "/s/p/../q").resolve("x/../y") == "/s/q/y")
    }

    @Test func configReadsWorkspaceRoots() throws {
        let config = try SpoolConfig.load(Array("workspace_roots:\n  - /srv/repos\n  - /home/ci\n".utf8), file: "config.yaml")
        #expect(config.workspaceRoots == ["/srv/repos", "/home/ci"])
        #expect(try SpoolConfig.load(Array("concurrency: 1\n".utf8), file: "config.yaml").workspaceRoots == nil)
    }

    @Test func configRefusesARelativeRootWithItsPosition() throws {
        let e = try #require(configError("workspace_roots:\n  - /srv/repos\n  - repos\n"))
        #expect(e.reason == .invalidValue)
        #expect(e.line == 3)
        #expect(e.column == 5)
        #expect(e.message.contains("\"repos\" is not an absolute path"))
        let notAList = try #require(configError("workspace_roots: /srv/repos\n"))
        #expect(notAList.reason == .wrongType)
    }
}
