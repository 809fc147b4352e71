#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include "cprocess.h"

int ar_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

int ar_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
#else
    (void)actions; (void)from;
    return ENOSYS;
#endif
}

#include <fcntl.h>
#include <unistd.h>

int ar_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

#include <stdio.h>
#include <linux/fs.h>
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif

int ar_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

#include <stdio.h>
#include <string.h>
#include <pthread.h>

static long long boot_offset_ticks;
static pthread_once_t boot_offset_once = PTHREAD_ONCE_INIT;

static void read_boot_offset(void) {
    FILE *f = fopen("/proc/self/timens_offsets", "re");
    if (!f) return;
    char name[32];
    long long secs, nanos;
    while (fscanf(f, "%31s %lld %lld", name, &secs, &nanos) == 3) {
        if (strcmp(name, "boottime") == 0) {
            long long hz = sysconf(_SC_CLK_TCK);
            boot_offset_ticks = secs * hz + nanos * hz / 1000000000LL;
            break;
        }
    }
    fclose(f);
}

long long ar_boot_offset_ticks(void) {
    pthread_once(&boot_offset_once, read_boot_offset);
    return boot_offset_ticks;
}
