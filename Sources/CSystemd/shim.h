#ifndef TIENDO_CSYSTEMD_SHIM_H
#define TIENDO_CSYSTEMD_SHIM_H
/* The parts of libsystemd (sd-daemon, sd-journal) the daemon uses, linked with -lsystemd.
 *
 * These are libsystemd's own prototypes, spelled with plain C types instead of including <systemd/sd-daemon.h>
 * and <systemd/sd-journal.h>: those pull in <sys/socket.h> and <sys/uio.h>, and on Linux Swift's Glibc module
 * includes the same headers textually, so their types (SOCK_STREAM, iovec, …) would be defined twice and become
 * invisible to every file of the module that does not import this one. `unsigned long` is uint64_t on the LP64
 * Linux targets; `tests/systemd/shim-check.c` compiles this file against the real headers to keep them in step.
 *
 * Swift cannot call variadic functions (sd_notifyf, sd_journal_send): the Swift side formats strings itself and
 * uses sd_notify and sd_journal_sendv. */

#define TIENDO_SD_LISTEN_FDS_START 3

int sd_notify(int unset_environment, const char *state);
int sd_notify_barrier(int unset_environment, unsigned long timeout);
int sd_watchdog_enabled(int unset_environment, unsigned long *usec);
int sd_listen_fds_with_names(int unset_environment, char ***names);
int sd_is_socket(int fd, int family, int type, int listening);
struct iovec; /* <sys/uio.h>; n entries of "FIELD=value" */
int sd_journal_sendv(const struct iovec *iov, int n);

#endif
