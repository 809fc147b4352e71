// The per-step supervisor: `agent-runner supervise-step` runs this between the worker and the step's shell.
//
// Protocol with the worker (fd `report_fd`, a pipe the worker reads):
//   1. after fork: the shell's pid (int32), or -errno when fork failed;
//   2. after the shell and every descendant are gone: the shell's wait status (int32).
// EOF without message 2 means the supervisor itself died, and the worker cleans up instead.
//
// Signals from the worker: SIGTERM = end the step (TERM, grace, KILL). The same SIGTERM arrives as the
// parent-death signal when the worker dies; getppid() then differs from `parent` and the tree gets SIGKILL
// at once, because the worker's successor may already be running the step again.
//
// As a child subreaper, the supervisor inherits every orphaned descendant (a `setsid` double fork included),
// so "waitpid(-1) reports ECHILD" means the whole tree is gone.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cprocess.h"

extern char **environ;

static int wake_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_term = 0;

static void on_signal(int sig) {
    int saved = errno;
    if (sig == SIGTERM) got_term = 1;
    char byte = (char)sig;
    (void)!write(wake_pipe[1], &byte, 1);
    errno = saved;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_file(const char *dir, const char *name, const char *text) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) return;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return;
    (void)!write(fd, text, strlen(text));
    close(fd);
}

static void report(int fd, int32_t value) {
    if (fd < 0) return;
    ssize_t n;
    do { n = write(fd, &value, sizeof value); } while (n < 0 && errno == EINTR);
}

/// Sends `sig` to every pid listed in the cgroup's cgroup.procs.
static void signal_cgroup_members(const char *cgroup, int sig) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/cgroup.procs", cgroup) >= (int)sizeof path) return;
    FILE *f = fopen(path, "re");
    if (!f) return;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1) {
        if (pid > 1 && pid != getpid()) kill((pid_t)pid, sig);
    }
    fclose(f);
}

/// Sends `sig` to every direct child of this process, found in /proc (orphans reparented to us included).
static void signal_children(int sig) {
    DIR *d = opendir("/proc");
    if (!d) return;
    pid_t self = getpid();
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 1) continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0) continue;
        buf[n] = 0;
        // "pid (comm) S ppid …": comm may hold anything, so parse after the last ')'.
        char *close_paren = strrchr(buf, ')');
        char state;
        long ppid;
        if (!close_paren || sscanf(close_paren + 1, " %c %ld", &state, &ppid) != 2) continue;
        if (ppid == self && state != 'Z') kill((pid_t)pid, sig);
    }
    closedir(d);
}

static void thaw(const struct ar_supervisor_options *o) {
    if (!o->cgroup) return;
    if (o->cgroup_v2) write_file(o->cgroup, "cgroup.freeze", "0");
    else write_file(o->cgroup, "freezer.state", "THAWED");
}

/// One round of `sig` to the whole tree: the cgroup, the shell's process group, our children.
static void signal_tree(const struct ar_supervisor_options *o, pid_t shell_group, int sig) {
    if (o->cgroup) {
        if (sig == SIGKILL && o->cgroup_v2) write_file(o->cgroup, "cgroup.kill", "1");
        signal_cgroup_members(o->cgroup, sig);
    }
    if (shell_group > 1) kill(-shell_group, sig);
    signal_children(sig);
    if (sig == SIGKILL || sig == SIGCONT) thaw(o);  // v1 frozen tasks die only once thawed
}

/// Reaps every child that has exited; returns 1 when none is left (ECHILD).
static int reap(pid_t shell, int *shell_status, int *shell_done) {
    for (;;) {
        int status;
        pid_t p = waitpid(-1, &status, WNOHANG);
        if (p > 0) {
            if (p == shell) { *shell_status = status; *shell_done = 1; }
            continue;
        }
        if (p < 0 && errno == EINTR) continue;
        return p < 0 && errno == ECHILD;
    }
}

static void drain_wake_pipe(void) {
    char buf[64];
    while (read(wake_pipe[0], buf, sizeof buf) > 0) {}
}

static pid_t spawn_shell(const struct ar_supervisor_options *o) {
    char procs[4096] = {0};
    if (o->cgroup) snprintf(procs, sizeof procs, "%s/cgroup.procs", o->cgroup);
    pid_t pid = fork();
    if (pid != 0) return pid;
    // The child: only async-signal-safe calls from here to execve.
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGCHLD, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_PDEATHSIG, 0);
    setpgid(0, 0);
    if (procs[0]) {
        int fd = open(procs, O_WRONLY | O_CLOEXEC);
        if (fd >= 0) { (void)!write(fd, "0", 1); close(fd); }
    }
    execve(o->argv[0], o->argv, environ);
    _exit(127);
}

int ar_supervise(const struct ar_supervisor_options *o) {
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return 125;
    if (o->report_fd >= 0) fcntl(o->report_fd, F_SETFD, FD_CLOEXEC);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigfillset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    // Installed after the handler, then checked: a worker that died before the prctl sent nothing.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != o->parent) return 125;

    pid_t shell = spawn_shell(o);
    if (shell < 0) {
        report(o->report_fd, -errno);
        return 125;
    }
    setpgid(shell, shell);  // also from this side, so the group exists before the worker signals it
    report(o->report_fd, shell);

    int shell_status = 0, shell_done = 0;
    int ending = 0;          // 1: TERM sent, waiting out the grace; 2: KILL until the tree is gone
    double kill_at = 0;
    for (;;) {
        int empty = reap(shell, &shell_status, &shell_done);
        if (shell_done && empty) break;
        if (got_term && getppid() != o->parent) ending = 2;  // the worker died: no grace
        if (ending == 0 && (got_term || shell_done)) {
            signal_tree(o, shell, SIGTERM);
            signal_tree(o, shell, SIGCONT);
            kill_at = now_seconds() + o->grace;
            ending = 1;
        }
        if (ending == 1 && now_seconds() >= kill_at) ending = 2;
        if (ending == 2) signal_tree(o, shell, SIGKILL);
        int timeout = ending == 0 ? -1 : 10;
        struct pollfd p = {.fd = wake_pipe[0], .events = POLLIN};
        poll(&p, 1, timeout);
        drain_wake_pipe();
    }
    if (o->cgroup) rmdir(o->cgroup);
    report(o->report_fd, shell_status);
    return 0;
}
