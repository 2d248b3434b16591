/*
** ts.c: parse and format STIX/TAXII timestamps as int64 microseconds since
** the Unix epoch, without the C library's time zone machinery (timegm and
** gmtime_r differ between platforms for years before 1970 and after 2038,
** and we need exact, locale-free behaviour for 0001..9999).
**
** The calendar arithmetic is the proleptic Gregorian "days from civil"
** conversion (Howard Hinnant's public-domain algorithms), which works on
** whole 400-year eras so it needs no tables and no loops.
*/
#include <string.h>
#include <time.h>
#include "text.h"
#include "ts.h"

#define US_PER_SEC INT64_C(1000000)
#define US_PER_DAY (INT64_C(86400) * US_PER_SEC)
/* 0001-01-01T00:00:00.000000Z and 9999-12-31T23:59:59.999999Z. */
#define TS_MIN_US (INT64_C(-62135596800) * US_PER_SEC)
#define TS_MAX_US (INT64_C(253402300800) * US_PER_SEC - 1)

/* Longest part of the input quoted back in an error message: the message
** must fit RELTO_ERRBUF_SIZE together with its reason. */
#define QUOTE_MAX 48

/* Days since 1970-01-01 of y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;                                  /* [0, 399] */
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1; /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;          /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil (see ts.h). */
void ts_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/* Read n ASCII digits at s as a number; -1 if any is not a digit. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static enum relto_err bad(const char *s, size_t len, const char *why, char *err)
{
	char q[QUOTE_MAX + 4];
	return relto_seterr(err, RELTO_EINVAL, "not a timestamp: '%s' (%s)",
	                    text_quote(s, len, QUOTE_MAX, q), why);
}

/* Check the punctuation and the fraction of s and find where the digits
** after '.' end.  Returns NULL when the shape is right (*frac_end set; it
** is 19 when there is no fraction), else the reason. */
static const char *check_shape(const char *s, size_t len, size_t *frac_end)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	for (size_t i = 0; i < 19; i++) {
		if (i == len)
			return "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z";
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]) {
			if (i == 10 && s[i] == 't')
				return "'T' must be upper-case";
			return "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z";
		}
	}
	size_t i = 19;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == 20)
			return "no digits after '.'";
	}
	*frac_end = i;
	if (i == len)
		return "missing 'Z': the time must be UTC";
	if (s[i] == 'z')
		return "'Z' must be upper-case";
	if (s[i] == '+' || s[i] == '-')
		return "offset must be 'Z': the time must be UTC";
	if (s[i] != 'Z')
		return "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z";
	if (i + 1 != len)
		return "text after 'Z'";
	return NULL;
}

enum relto_err ts_parse(const char *s, size_t len, int64_t *out_us, char *err)
{
	size_t frac_end = 19;
	const char *why = check_shape(s, len, &frac_end);
	if (why)
		return bad(s, len, why, err);

	int year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
	int hour = digits(s + 11, 2), min = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (year < 1)
		return bad(s, len, "year must be 0001..9999", err);
	if (mon < 1 || mon > 12)
		return bad(s, len, "month must be 01..12", err);
	if (day < 1 || day > days_in_month(year, mon))
		return bad(s, len, "no such day in that month", err);
	if (hour > 23)
		return bad(s, len, "hour must be 00..23", err);
	if (min > 59)
		return bad(s, len, "minute must be 00..59", err);
	if (sec > 60)
		return bad(s, len, "second must be 00..60", err);

	/* Digits past the sixth are dropped, not rounded: rounding could carry
	** into the next second, day or year (9999-12-31T23:59:59.9999999Z). */
	int64_t frac = 0;
	for (size_t i = 20, n = 0; n < 6; i++, n++)
		frac = frac * 10 + (i < frac_end ? s[i] - '0' : 0);
	/* POSIX time has no leap seconds; :60 is the last instant of :59, so
	** it sorts after every real time in that second and before the next. */
	if (sec == 60) {
		sec = 59;
		frac = US_PER_SEC - 1;
	}
	int64_t days = days_from_civil(year, mon, day);
	*out_us = days * US_PER_DAY + ((int64_t)hour * 3600 + min * 60 + sec) * US_PER_SEC + frac;
	return RELTO_OK;
}

/* Write the n low decimal digits of v (v >= 0) at p, zero-padded. */
static void put_digits(char *p, int64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

char *ts_format(int64_t us, char out[TS_BUFSIZE])
{
	/* A TAXII timestamp has four year digits; clamp rather than write
	** something no client can parse. */
	if (us < TS_MIN_US)
		us = TS_MIN_US;
	if (us > TS_MAX_US)
		us = TS_MAX_US;
	/* Floor division, so times before 1970 keep a non-negative time of day. */
	int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY;
	if (rem < 0) {
		rem += US_PER_DAY;
		days--;
	}
	int64_t y;
	int m, d;
	ts_civil_from_days(days, &y, &m, &d);
	int64_t secs = rem / US_PER_SEC;
	/* Written digit by digit: every field has a fixed width here, and
	** snprintf cannot prove to the compiler that the result fits. */
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, secs / 3600, 2);
	out[13] = ':';
	put_digits(out + 14, secs / 60 % 60, 2);
	out[16] = ':';
	put_digits(out + 17, secs % 60, 2);
	out[19] = '.';
	put_digits(out + 20, rem % US_PER_SEC, 6);
	out[26] = 'Z';
	out[27] = '\0';
	return out;
}

int64_t ts_now(void)
{
	struct timespec t;
	/* CLOCK_REALTIME cannot fail with a valid pointer; if it somehow did,
	** t would be garbage, so fall back to time(). */
	if (clock_gettime(CLOCK_REALTIME, &t) != 0)
		return (int64_t)time(NULL) * US_PER_SEC;
	return (int64_t)t.tv_sec * US_PER_SEC + t.tv_nsec / 1000;
}
