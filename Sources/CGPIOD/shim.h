#include <gpiod.h>

/* The request flag as a plain int (a C enum bit Swift imports awkwardly). */
static inline int cgpiod_flag_active_low(void) { return GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW; }
