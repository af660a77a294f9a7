/* Compiles Sources/CSystemd/shim.h against libsystemd's real headers: a prototype that drifted from
 * libsystemd's is a "conflicting types" error here. Run by tests/systemd/run.sh (gcc -fsyntax-only). */
#define SD_JOURNAL_SUPPRESS_LOCATION 1 /* else sd_journal_sendv is a macro adding CODE_* */
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include "../../Sources/CSystemd/shim.h"

_Static_assert(TIENDO_SD_LISTEN_FDS_START == SD_LISTEN_FDS_START, "SD_LISTEN_FDS_START");
_Static_assert(sizeof(unsigned long) == sizeof(uint64_t), "unsigned long is uint64_t");
