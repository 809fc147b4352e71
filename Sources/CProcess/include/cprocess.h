// glibc's GNU extensions for posix_spawn, which Swift's Glibc module does not import without _GNU_SOURCE,
// and the per-step supervisor (supervisor.c).
#ifndef AGENT_RUNNER_CPROCESS_H
#define AGENT_RUNNER_CPROCESS_H
#include <spawn.h>
#include <sys/types.h>

/// posix_spawn_file_actions_addchdir_np (glibc 2.29+).
int ar_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34+); returns ENOSYS where missing.
int ar_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
/// pipe2(fds, O_CLOEXEC): both ends close on exec, atomically (no other thread's spawn inherits them).
int ar_pipe_cloexec(int fds[2]);

/// renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE): a rename that fails with EEXIST instead of
/// replacing. -1 with errno EINVAL (or ENOSYS) where the file system (FUSE, some NFS) does not support it.
int ar_rename_noreplace(const char *from, const char *to);

/// What `agent-runner supervise-step` was asked to do.
struct ar_supervisor_options {
    /// The worker's pid: the parent-death check compares getppid() with it.
    pid_t parent;
    /// Seconds between SIGTERM and SIGKILL for what the shell leaves behind or when asked to stop.
    double grace;
    /// The step's cgroup directory, which the shell joins before exec; NULL for none.
    const char *cgroup;
    /// 1 for cgroup v2 (cgroup.freeze, cgroup.kill), 0 for a v1 freezer cgroup.
    int cgroup_v2;
    /// The shell's argv (argv[0] is a path), NULL-terminated.
    char *const *argv;
    /// Where the shell's pid and then its wait status are written (-1 for nowhere).
    int report_fd;
};

/// Runs the shell as a new process group under a child subreaper, ends every descendant when the shell
/// exits, on SIGTERM, or (at once, with SIGKILL) when the parent dies. Returns the supervisor's exit code.
int ar_supervise(const struct ar_supervisor_options *options);
/// This process's time namespace boottime offset in clock ticks, from /proc/self/timens_offsets (0 outside
/// a time namespace or where the file is missing), read once. The kernel shifts every process's start time
/// in /proc/PID/stat by the *reader's* offset; subtracting it gives the start time as the host's boot sees it.
long long ar_boot_offset_ticks(void);
#endif
