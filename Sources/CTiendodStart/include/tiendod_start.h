#ifndef TIENDOD_START_H
#define TIENDOD_START_H
/// 1 when SIGHUP, SIGTERM and SIGINT were blocked by the constructor that runs before main (before any thread
/// exists, so every thread the runtime or a library starts inherits the mask and a signal sent while tiendod is
/// starting stays pending for the loop's signalfd instead of killing the process).
int tiendod_signals_blocked_at_load(void);
#endif
