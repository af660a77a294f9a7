// zlib (Debian's zlib1g-dev): inflating the parts of an uploaded Excel workbook.
#include <zlib.h>
