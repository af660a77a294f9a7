// Linked into tiendod only: a test process or tiendoctl must keep the default signal handling.
#include <signal.h>
#include "tiendod_start.h"

static int blocked = 0;

__attribute__((constructor(101))) static void tiendod_block_signals_at_load(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    blocked = pthread_sigmask(SIG_BLOCK, &set, 0) == 0;
    signal(SIGPIPE, SIG_IGN);
    // A write past the process's file size limit (`ulimit -f`, systemd's LimitFSIZE=) kills the process with
    // SIGXFSZ by default, with no word in the log; ignored, the write fails with EFBIG, which SQLite reports as an
    // I/O error: the daemon says so, keeps its data and retries, as for a full disk.
    signal(SIGXFSZ, SIG_IGN);
}

int tiendod_signals_blocked_at_load(void) { return blocked; }
