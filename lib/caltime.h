/* caltime.h - UTC calendar conversions without libc's time zone code. */
#ifndef TINYQGA_CALTIME_H
#define TINYQGA_CALTIME_H

#include <stdint.h>
#include <time.h>

/* Seconds since the epoch to a broken-down UTC time (proleptic Gregorian);
 * sets the date and time fields only, not tm_wday or tm_yday. */
void caltime_from_secs(int64_t secs, struct tm *tm);
/* The reverse: tm_year, tm_mon, tm_mday, tm_hour, tm_min, tm_sec only. */
int64_t caltime_to_secs(const struct tm *tm);

#endif
