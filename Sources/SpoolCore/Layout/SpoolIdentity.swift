#if canImport(Glibc)
import Glibc
#endif

/// The folder a spool path named when an actor opened it: its root's device and inode. A worker keeps
/// it to tell "my lease was taken" from "the whole spool folder is gone" (moved away, unmounted, replaced).
public struct SpoolIdentity: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
}

/// Whether the spool path still leads to the folder an actor started on.
public enum SpoolPresence: Sendable, Equatable {
    /// The root, `new/` and `cur/` resolve, and the root is the same inode (a remount may change the device).
    case present
    /// The root, `new/` or `cur/` does not resolve: the folder was moved away, deleted or unmounted.
    case gone
    /// A different folder now sits at the path (deleted and re-created, or another file system mounted there).
    case replaced
}

extension Spool {
    /// The corresponding C function is `stat` on the root.
    public func identity() throws(SysError) -> SpoolIdentity {
        let st = try Sys.stat(root)
        return SpoolIdentity(device: st.device, inode: st.inode)
    }

    /// Three `stat` calls. The inode alone decides "same folder": a remounted NFS export or FUSE file
    /// system comes back under a new device number but with the same inode for the same directory.
    public func presence(of home: SpoolIdentity) -> SpoolPresence {
        guard let st = try? Sys.stat(root), st.isDirectory,
              (try? Sys.stat(new))?.isDirectory == true, (try? Sys.stat(cur))?.isDirectory == true else { return .gone }
        return st.inode == home.inode ? .present : .replaced
    }
}
