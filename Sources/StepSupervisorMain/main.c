// agent-runner-step: the per-step supervisor as a small C program. The worker starts one per step, so it
// must cost about what an exec of /bin/true costs; the same loop is also reachable as the hidden
// `agent-runner supervise-step` command, which is the fallback when this program is not installed.
//
//   agent-runner-step [supervise-step] --parent PID --grace SECONDS [--cgroup DIR] [--cgroup-version 1|2] -- PROGRAM ARGS...
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cprocess.h"

static int usage(const char *why) {
    fprintf(stderr, "agent-runner-step: %s\n"
                    "usage: agent-runner-step --parent PID --grace SECONDS [--cgroup DIR] [--cgroup-version 1|2] -- PROGRAM ARGS...\n"
                    "(started by `agent-runner worker` for each step; not meant to be run by hand)\n", why);
    return 125;
}

int main(int argc, char **argv) {
    struct ar_supervisor_options o = {.parent = 0, .grace = 0, .cgroup = NULL, .cgroup_v2 = 1, .argv = NULL, .report_fd = 3};
    int i = 1;
    if (i < argc && strcmp(argv[i], "supervise-step") == 0) i++;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (i + 1 >= argc) return usage("an option is missing its value");
        const char *v = argv[++i];
        char *end = NULL;
        if (strcmp(a, "--parent") == 0) {
            long pid = strtol(v, &end, 10);
            if (*v == '\0' || *end != '\0' || pid <= 1) return usage("--parent needs a pid");
            o.parent = (pid_t)pid;
        } else if (strcmp(a, "--grace") == 0) {
            double g = strtod(v, &end);
            if (*v == '\0' || *end != '\0' || g < 0) return usage("--grace needs a number of seconds");
            o.grace = g;
        } else if (strcmp(a, "--cgroup") == 0) {
            o.cgroup = v;
        } else if (strcmp(a, "--cgroup-version") == 0) {
            if (strcmp(v, "1") != 0 && strcmp(v, "2") != 0) return usage("--cgroup-version is 1 or 2");
            o.cgroup_v2 = strcmp(v, "2") == 0;
        } else {
            return usage("unknown option");
        }
    }
    if (o.parent == 0) return usage("--parent is required");
    if (i >= argc) return usage("no program to run after --");
    o.argv = argv + i;
    return ar_supervise(&o);
}
