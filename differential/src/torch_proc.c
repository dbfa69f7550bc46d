/* The worker process of the live torch oracle (torch_internal.h): spawning,
 * one line out and one line back with deadlines, and a stop that always reaps.
 *
 * Everything here must survive a worker that crashes, hangs or talks nonsense:
 * every wait is a poll() with a deadline, both pipe ends are non-blocking, a
 * write to a dead reader gets EPIPE instead of killing the campaign (SIGPIPE is
 * blocked in this thread for the write and a pending one consumed), and every
 * child is waited for. The pipe fds are close-on-exec, so a worker started by
 * another campaign thread never inherits them (its EOF would never come). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "torch_internal.h"

extern char **environ;

#define LINE_MAX_BYTES (64u << 20) /* an answer is a few KiB; anything near this is garbage */

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void
say(char *why, const char *fmt, ...) {
    if (!why)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, FTTP_WHY, fmt, ap);
    va_end(ap);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A pipe whose fds are close-on-exec and never 0..2 (dup2 onto the same fd would
 * keep close-on-exec, and the child would start without stdin or stdout). */
static int safe_pipe(int fds[2]) {
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (fds[i] > 2)
            continue;
        const int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        if (moved < 0) {
            close(fds[0]);
            close(fds[1]);
            return -1;
        }
        close(fds[i]);
        fds[i] = moved;
    }
    return 0;
}

static void close_fd(int *fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void reap(fttp_proc_t *p, int grace_ms) {
    if (p->pid <= 0)
        return;
    const int64_t deadline = now_ms() + grace_ms;
    for (;;) {
        const pid_t r = waitpid(p->pid, NULL, WNOHANG);
        if (r == p->pid || (r < 0 && errno != EINTR))
            break;
        if (r == 0 && now_ms() >= deadline) {
            kill(p->pid, SIGKILL);
            while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {
            }
            break;
        }
        if (r == 0) {
            const struct timespec nap = {0, 5 * 1000000};
            nanosleep(&nap, NULL);
        }
    }
    p->pid = 0;
}

void fttp_stop(fttp_proc_t *p, int grace_ms) {
    close_fd(&p->to_fd); /* EOF on its stdin: the worker's loop ends */
    reap(p, grace_ms);
    close_fd(&p->from_fd);
    free(p->buf);
    p->buf = NULL;
    p->len = p->cap = 0;
}

/* Reads until a whole line is buffered or the deadline passes. 0 with the line
 * (NUL-terminated in place of its newline) moved out into *line. */
static int read_line(fttp_proc_t *p, int64_t deadline, char **line, char *why) {
    for (;;) {
        char *nl = p->len ? memchr(p->buf, '\n', p->len) : NULL;
        if (nl) {
            const size_t n = (size_t)(nl - p->buf);
            char *out = malloc(n + 1);
            if (!out) {
                say(why, "out of memory reading the worker's answer");
                return -1;
            }
            memcpy(out, p->buf, n);
            out[n] = '\0';
            p->len -= n + 1;
            memmove(p->buf, nl + 1, p->len);
            *line = out;
            return 0;
        }
        if (p->len >= LINE_MAX_BYTES) {
            say(why, "worker line longer than the limit");
            return -1;
        }
        const int64_t left = deadline - now_ms();
        if (left <= 0) {
            say(why, "worker did not answer in time");
            return -1;
        }
        struct pollfd pf = {p->from_fd, POLLIN, 0};
        const int r = poll(&pf, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno != EINTR) {
            say(why, "poll: %s", strerror(errno));
            return -1;
        }
        if (r <= 0)
            continue;
        if (p->cap - p->len < 65536) {
            const size_t cap = p->cap ? p->cap * 2 : 131072;
            char *nb = realloc(p->buf, cap);
            if (!nb) {
                say(why, "out of memory reading the worker's answer");
                return -1;
            }
            p->buf = nb;
            p->cap = cap;
        }
        const ssize_t got = read(p->from_fd, p->buf + p->len, p->cap - p->len);
        if (got == 0) {
            say(why, "worker exited (end of its output)");
            return -1;
        }
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            say(why, "reading from the worker: %s", strerror(errno));
            return -1;
        }
        p->len += (size_t)got;
    }
}

/* write() with SIGPIPE held off in this thread: a dead reader gives EPIPE. A
 * SIGPIPE this write raised is consumed; one that was already pending is left. */
static ssize_t write_nosigpipe(int fd, const char *s, size_t n) {
    sigset_t pipe_set, old, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    sigpending(&pending);
    const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    const ssize_t w = write(fd, s, n);
    const int saved = errno;
    if (w < 0 && saved == EPIPE && !was_pending) {
        const struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return w;
}

static int write_all(fttp_proc_t *p, const char *s, size_t n, int64_t deadline, char *why) {
    while (n) {
        const ssize_t w = write_nosigpipe(p->to_fd, s, n);
        if (w > 0) {
            s += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno != EAGAIN) {
            say(why, "writing to the worker: %s", strerror(errno));
            return -1;
        }
        const int64_t left = deadline - now_ms();
        if (left <= 0) {
            say(why, "worker does not read its input");
            return -1;
        }
        struct pollfd pf = {p->to_fd, POLLOUT, 0};
        if (poll(&pf, 1, left > 60000 ? 60000 : (int)left) < 0 && errno != EINTR) {
            say(why, "poll: %s", strerror(errno));
            return -1;
        }
    }
    return 0;
}

int fttp_exchange(fttp_proc_t *p, const char *line, size_t len, int timeout_ms, char **reply, char *why) {
    *reply = NULL;
    if (p->pid <= 0) {
        say(why, "worker not running");
        return -1;
    }
    const int64_t deadline = now_ms() + timeout_ms;
    if (write_all(p, line, len, deadline, why) != 0 || write_all(p, "\n", 1, deadline, why) != 0)
        return -1;
    return read_line(p, deadline, reply, why);
}

int fttp_start(fttp_proc_t *p, const char *python, const char *script, int timeout_ms, char **hello, char *why) {
    memset(p, 0, sizeof *p);
    p->to_fd = p->from_fd = -1;
    *hello = NULL;
    if (access(script, R_OK) != 0) {
        say(why, "cannot read the worker script %s", script);
        return -1;
    }
    int in[2], out[2];
    if (safe_pipe(in) != 0) {
        say(why, "pipe: %s", strerror(errno));
        return -1;
    }
    if (safe_pipe(out) != 0) {
        say(why, "pipe: %s", strerror(errno));
        close(in[0]);
        close(in[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    const char *err = getenv("FTD_TORCH_STDERR");
    if (!err || strcmp(err, "inherit") != 0)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    /* the child starts with no blocked signals and SIGPIPE at its default,
       whatever this thread has */
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *const argv[] = {(char *)python, (char *)"-I", (char *)script, NULL};
    pid_t pid;
    const int rc = posix_spawn(&pid, python, &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    if (rc != 0) {
        say(why, "cannot start the worker: %s", strerror(rc));
        close(in[1]);
        close(out[0]);
        return -1;
    }
    p->pid = pid;
    p->to_fd = in[1];
    p->from_fd = out[0];
    fcntl(p->to_fd, F_SETFL, fcntl(p->to_fd, F_GETFL) | O_NONBLOCK);
    fcntl(p->from_fd, F_SETFL, fcntl(p->from_fd, F_GETFL) | O_NONBLOCK);
    if (read_line(p, now_ms() + timeout_ms, hello, why) != 0) {
        fttp_stop(p, 0);
        return -1;
    }
    return 0;
}
