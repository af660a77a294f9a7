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
}

int tiendod_signals_blocked_at_load(void) { return blocked; }
