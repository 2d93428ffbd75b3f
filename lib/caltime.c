/* caltime.c - UTC calendar arithmetic.
 *
 * musl's gmtime_r and timegm drag in its whole time zone reader (about
 * 6 KB static) for the name "UTC"; the RTC only needs plain day counting.
 * Days are counted in 400-year eras starting on 1 March, so leap days fall
 * at the end of each era-year. */
#include "caltime.h"

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

void caltime_from_secs(int64_t secs, struct tm *tm)
{
	int64_t days = floor_div(secs, 86400), rem = secs - days * 86400;
	int64_t z = days + 719468;		/* days since 0000-03-01 */
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;		/* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;	/* month from March = 0 */
	int64_t mon = mp < 10 ? mp + 2 : mp - 10;

	tm->tm_year = (int)(yoe + era * 400 + (mon < 2) - 1900);
	tm->tm_mon = (int)mon;
	tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->tm_hour = (int)(rem / 3600);
	tm->tm_min = (int)(rem / 60 % 60);
	tm->tm_sec = (int)(rem % 60);
	tm->tm_isdst = 0;
}

int64_t caltime_to_secs(const struct tm *tm)
{
	int64_t y = (int64_t)tm->tm_year + 1900 + tm->tm_mon / 12;
	int64_t m = tm->tm_mon % 12;

	if (m < 0) {
		m += 12;
		y--;
	}
	y -= m < 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m < 2 ? m + 10 : m - 2) + 2) / 5 + tm->tm_mday - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;

	return days * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec;
}
