#define _GNU_SOURCE
#include "clinux.h"
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#ifndef TFD_TIMER_CANCEL_ON_SET
#define TFD_TIMER_CANCEL_ON_SET (1 << 1)
#endif

int tiendo_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int tiendo_timerfd(int clock) { return timerfd_create(clock, TFD_CLOEXEC | TFD_NONBLOCK); }

static void handled_set(sigset_t *set) {
    sigemptyset(set);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
}

void tiendo_block_signals(void) {
    sigset_t set;
    handled_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, 0);
    signal(SIGPIPE, SIG_IGN);
}

void tiendo_unblock_signals(void) {
    sigset_t set;
    handled_set(&set);
    pthread_sigmask(SIG_UNBLOCK, &set, 0);
}

int tiendo_signalfd_hup_term_int(void) {
    sigset_t set;
    handled_set(&set);
    pthread_sigmask(SIG_BLOCK, &set, 0);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int tiendo_timer_arm(int fd, long sec, long nsec, int absolute_cancel_on_set) {
    struct itimerspec spec = {0};
    spec.it_value.tv_sec = sec;
    spec.it_value.tv_nsec = nsec;
    int flags = absolute_cancel_on_set ? (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) : 0;
    return timerfd_settime(fd, flags, &spec, 0);
}

int tiendo_timer_read(int fd) {
    uint64_t v;
    ssize_t n = read(fd, &v, sizeof v);
    if (n == (ssize_t)sizeof v) return 1;
    if (n < 0 && errno == ECANCELED) return -2;
    if (n < 0 && errno == EAGAIN) return 0;
    return -1;
}

int tiendo_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    return n == (ssize_t)sizeof info ? (int)info.ssi_signo : -1;
}

int tiendo_peercred(int fd, int *pid, unsigned *uid, unsigned *gid) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int tiendo_accept(int fd) { return accept4(fd, 0, 0, SOCK_CLOEXEC | SOCK_NONBLOCK); }

int tiendo_stdout_flush_status(void) {
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) return errno ? errno : EIO;
    return 0;
}

int tiendo_give_back_memory(void) { return malloc_trim(0); }
