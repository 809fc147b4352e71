#if canImport(Glibc)
import Glibc
#endif

/// Owns a `posix_spawn_file_actions_t` and a `posix_spawnattr_t` for one spawn, and frees them.
final class SpawnAttributes {
    var actions = posix_spawn_file_actions_t()
    var attributes = posix_spawnattr_t()

    init() {
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
    }

    deinit {
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attributes)
    }

    /// A new process group led by the child, default dispositions for every signal, nothing blocked:
    /// the worker may block or ignore signals, its steps must not inherit that.
    func configureProcessGroup() {
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    }
}

/// A NUL-terminated `char *[]` built from Swift strings, freed on deinit.
final class CStringArray {
    private(set) var pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    deinit { for p in pointers { free(p) } }
}
