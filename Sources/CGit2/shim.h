#include <git2.h>

/* git_libgit2_opts is variadic, which Swift cannot call: one non-variadic wrapper per option used. */

/* Whether creating a tree or commit first checks that every object it names exists (a header read of
   each blob: 10,000 file reads for a 10,000-file tree). */
static inline int ar_git_set_strict_object_creation(int enabled) {
    return git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, enabled);
}
