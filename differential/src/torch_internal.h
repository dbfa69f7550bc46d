/* Private to the live torch oracle (torch_oracle.c, torch_proc.c): the worker
 * process and its line protocol. Not installed, not part of libftdiff's API. */
#ifndef FTDIFF_TORCH_INTERNAL_H
#define FTDIFF_TORCH_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

/* One running worker: its pid and our ends of the two pipes. */
typedef struct fttp_proc {
    pid_t pid;   /* 0: not running */
    int to_fd;   /* its stdin (ours: write end, non-blocking) */
    int from_fd; /* its stdout (ours: read end, non-blocking) */
    char *buf;   /* bytes read past the last complete line */
    size_t len, cap;
} fttp_proc_t;

#define FTTP_WHY 192 /* size of the `why` buffers below */

/* Starts `python -I script` with its stdin/stdout on pipes (stderr to /dev/null
 * unless FTD_TORCH_STDERR=inherit) and reads its first line (the hello) within
 * timeout_ms. 0 with *hello (malloc'd, no newline) set; -1 with `why` filled and
 * nothing left running or open. */
int fttp_start(fttp_proc_t *p, const char *python, const char *script, int timeout_ms, char **hello, char *why);

/* Writes one request line (`line` has no newline; one is added) and reads one
 * answer line within timeout_ms. 0 with *reply (malloc'd, NUL-terminated, no
 * newline); -1 when the worker is gone or stuck (EOF, write error, timeout,
 * a line over the size limit): `why` says which, and the caller must stop it.
 * SIGPIPE from a dead reader is caught in the calling thread, never delivered. */
int fttp_exchange(fttp_proc_t *p, const char *line, size_t len, int timeout_ms, char **reply, char *why);

/* Closes its stdin (the worker exits on EOF), waits up to grace_ms, then kills
 * it; always reaps. Safe on a stopped proc. */
void fttp_stop(fttp_proc_t *p, int grace_ms);

#endif
