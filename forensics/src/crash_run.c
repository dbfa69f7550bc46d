/* Running a fuzz target on one input and capturing what it says
 * (ftf/crash_report.h): shared by `ft-forensics ingest` and ft-replay. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ftf/crash_report.h"
#include "ftf/event.h"

/* Runs argv[0] (an absolute path) with `env`, stdin and stdout on /dev/null,
 * stderr captured into `err` (its first max_stderr bytes; the rest is
 * read and dropped), killed with its process group after `timeout_ms`. 0 and
 * *ex filled, or -1 (errno) when it could not be started. */
int ftf_crash_run(char *const argv[], char *const env[], int64_t timeout_ms, size_t max_stderr, ftf_buf_t *err,
                  ftf_crash_exit_t *ex) {
    memset(ex, 0, sizeof *ex);
    int pfd[2];
    if (pipe(pfd) != 0)
        return -1;
    fflush(NULL);
    const pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]), close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0);
        const int dn = open("/dev/null", O_RDWR);
        if (dn >= 0) {
            dup2(dn, 0);
            dup2(dn, 1);
        }
        dup2(pfd[1], 2);
        close(pfd[0]);
        if (pfd[1] != 2)
            close(pfd[1]);
        if (dn > 2)
            close(dn);
        execve(argv[0], argv, env);
        static const char msg[] = FTF_CRASH_EXEC_FAILED "\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(127);
    }
    setpgid(pid, pid); /* also here: no race with the kill below */
    close(pfd[1]);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char chunk[65536];
    bool killed = false;
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        const int64_t elapsed = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        int wait_ms = -1;
        if (!killed) {
            if (elapsed >= timeout_ms) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                killed = true;
                ex->timed_out = true;
            } else {
                wait_ms = (int)(timeout_ms - elapsed);
            }
        }
        if (killed)
            wait_ms = 2000; /* what is left in the pipe; a grandchild in another group may hold it */
        struct pollfd pf = {pfd[0], POLLIN, 0};
        const int k = poll(&pf, 1, wait_ms);
        if (k < 0 && errno == EINTR)
            continue;
        if (k == 0) {
            if (killed)
                break;
            continue;
        }
        if (k < 0)
            break;
        const ssize_t r = read(pfd[0], chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (err->len < max_stderr) {
            const size_t room = max_stderr - err->len;
            ftf_buf_append(err, chunk, (size_t)r < room ? (size_t)r : room);
        }
    }
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status))
        ex->term_signal = WTERMSIG(status);
    else if (WIFEXITED(status))
        ex->exit_code = WEXITSTATUS(status);
    return 0;
}
