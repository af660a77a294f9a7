#ifndef TIENDO_CLINUX_H
#define TIENDO_CLINUX_H
// Linux interfaces the Glibc Swift module does not export: eventfd, timerfd, signalfd, SO_PEERCRED, malloc_trim.
// Declarations only, with plain C types, so this module never redefines system types other modules export.

int tiendo_eventfd(void);
int tiendo_timerfd(int clock);
/// A signalfd for SIGHUP, SIGTERM and SIGINT, which it also blocks in the calling thread.
int tiendo_signalfd_hup_term_int(void);
/// Arms a timer: absolute, cancelled when the clock is set (CLOCK_REALTIME), or relative. 0 and 0 disarm.
int tiendo_timer_arm(int fd, long sec, long nsec, int absolute_cancel_on_set);
/// Reads a timerfd: 1 when it expired, 0 when nothing, -2 when the clock was set (ECANCELED), -1 on error.
int tiendo_timer_read(int fd);
/// The signal number of the next pending signal on a signalfd, or -1.
int tiendo_signalfd_read(int fd);
/// Blocks SIGHUP, SIGTERM and SIGINT in the calling thread (call before starting threads); ignores SIGPIPE.
void tiendo_block_signals(void);
/// Lets SIGHUP, SIGTERM and SIGINT through again in the calling thread (their default actions then apply).
void tiendo_unblock_signals(void);
/// Peer credentials of a Unix socket (SO_PEERCRED): returns 0 on success.
int tiendo_peercred(int fd, int *pid, unsigned *uid, unsigned *gid);
/// accept4 with SOCK_CLOEXEC | SOCK_NONBLOCK.
int tiendo_accept(int fd);
/// Flushes standard output: 0 when everything printed reached it, else the errno of the failure (EIO when none
/// was kept). Swift 6 cannot name C's `stdout` (a global variable) from checked code.
int tiendo_stdout_flush_status(void);
/// Hands the heap's free pages back to the kernel (glibc's malloc_trim, which the Glibc module does not export):
/// returns 1 when some memory was released.
int tiendo_give_back_memory(void);
#endif
