// glibc's GNU extensions for posix_spawn, which Swift's Glibc module does not import without _GNU_SOURCE.
#ifndef AGENT_RUNNER_CPROCESS_H
#define AGENT_RUNNER_CPROCESS_H
#include <spawn.h>

/// posix_spawn_file_actions_addchdir_np (glibc 2.29+).
int ar_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
/// posix_spawn_file_actions_addclosefrom_np (glibc 2.34+); returns ENOSYS where missing.
int ar_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int from);
#endif
