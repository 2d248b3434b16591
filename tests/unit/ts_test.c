/*
** ts_test.c: unit tests for src/util/ts.c: the strict STIX/TAXII timestamp
** parser (calendar, leap years, leap seconds, fraction truncation, what is
** refused and why) and the TAXII formatter, checked against fixed values,
** against each other over every day of 0001..9999, and against timegm().
*/
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include "test.h"
#include "util/ts.h"

struct good_case {
	const char *in;
	int64_t us;
};

/* Values computed independently (Python datetime). */
static const struct good_case good[] = {
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1970-01-01T00:00:00.000000Z", 0 },
	{ "1969-12-31T23:59:59.999999Z", -1 },
	{ "2016-05-12T08:17:27Z", INT64_C(1463041047000000) },
	{ "2016-05-12T08:17:27.000Z", INT64_C(1463041047000000) },
	{ "2016-05-12T08:17:27.123456Z", INT64_C(1463041047123456) },
	{ "2016-05-12T08:17:27.1Z", INT64_C(1463041047100000) },
	/* Past the sixth digit: truncated, never rounded. */
	{ "2016-05-12T08:17:27.1234567Z", INT64_C(1463041047123456) },
	{ "2016-05-12T08:17:27.1234569Z", INT64_C(1463041047123456) },
	{ "2016-05-12T08:17:27.123456999999999999999999999Z", INT64_C(1463041047123456) },
	{ "9999-12-31T23:59:59.9999999Z", INT64_C(253402300799999999) },
	/* Leap years: divisible by 4, except centuries, except every 400th. */
	{ "2000-02-29T00:00:00Z", INT64_C(951782400000000) },
	{ "2400-02-29T12:00:00Z", INT64_C(13574606400000000) },
	{ "1600-02-29T00:00:00Z", INT64_C(-11670998400000000) },
	/* The range ends. */
	{ "0001-01-01T00:00:00Z", INT64_C(-62135596800000000) },
	{ "9999-12-31T23:59:59.999999Z", INT64_C(253402300799999999) },
	/* A leap second is the last microsecond of :59. */
	{ "2016-12-31T23:59:60Z", INT64_C(1483228799999999) },
	{ "2016-12-31T23:59:60.5Z", INT64_C(1483228799999999) },
	{ "2016-12-31T23:59:59.999999Z", INT64_C(1483228799999999) },
};

static void test_parse_good(void)
{
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char err[RELTO_ERRBUF_SIZE] = "";
		int64_t us = 42;
		enum relto_err rc = ts_parse(good[i].in, strlen(good[i].in), &us, err);
		if (rc != RELTO_OK || us != good[i].us)
			fprintf(stderr, "  case %zu: %s -> rc %d us %lld (%s)\n", i, good[i].in, rc,
			        (long long)us, err);
		CHECK(rc == RELTO_OK);
		CHECK(us == good[i].us);
		CHECK(err[0] == '\0');
	}
}

struct bad_case {
	const char *in;
	const char *why; /* expected inside the message */
};

static const struct bad_case bad[] = {
	{ "", "expected YYYY-MM-DD" },
	{ "2016", "expected YYYY-MM-DD" },
	{ "2016-05-12", "expected YYYY-MM-DD" },
	{ "2016-05-12T08:17:27", "missing 'Z'" },
	{ "2016-05-12T08:17:27.123", "missing 'Z'" },
	{ "2016-05-12T08:17:27z", "'Z' must be upper-case" },
	{ "2016-05-12T08:17:27.000z", "'Z' must be upper-case" },
	{ "2016-05-12t08:17:27Z", "'T' must be upper-case" },
	{ "2016-05-12 08:17:27Z", "expected YYYY-MM-DD" },
	{ "2016-05-12T08:17:27+00:00", "offset must be 'Z'" },
	{ "2016-05-12T08:17:27-05:00", "offset must be 'Z'" },
	{ "2016-05-12T08:17:27.Z", "no digits after '.'" },
	{ "2016-05-12T08:17:27,5Z", "expected YYYY-MM-DD" },
	{ "2016-05-12T08:17:27.5.5Z", "expected YYYY-MM-DD" },
	{ "2016-05-12T08:17:27ZZ", "text after 'Z'" },
	{ "2016-05-12T08:17:27Z ", "text after 'Z'" },
	{ " 2016-05-12T08:17:27Z", "expected YYYY-MM-DD" },
	{ "+2016-05-12T08:17:27Z", "expected YYYY-MM-DD" },
	{ "16-05-12T08:17:27Z", "expected YYYY-MM-DD" },
	{ "2016-5-12T08:17:27Z", "expected YYYY-MM-DD" },
	{ "2016-05-12T8:17:27Z", "expected YYYY-MM-DD" },
	{ "20160512T081727Z", "expected YYYY-MM-DD" },
	{ "0000-01-01T00:00:00Z", "year must be 0001..9999" },
	{ "2016-00-12T08:17:27Z", "month must be 01..12" },
	{ "2016-13-12T08:17:27Z", "month must be 01..12" },
	{ "2016-05-00T08:17:27Z", "no such day" },
	{ "2016-05-32T08:17:27Z", "no such day" },
	{ "2016-04-31T08:17:27Z", "no such day" },
	{ "2015-02-29T00:00:00Z", "no such day" },
	{ "1900-02-29T00:00:00Z", "no such day" },
	{ "2100-02-29T00:00:00Z", "no such day" },
	{ "2016-02-30T00:00:00Z", "no such day" },
	{ "2016-05-12T24:00:00Z", "hour must be 00..23" },
	{ "2016-05-12T23:60:00Z", "minute must be 00..59" },
	{ "2016-05-12T23:59:61Z", "second must be 00..60" },
	{ "2016-05-12T23:59:99Z", "second must be 00..60" },
	/* Non-ASCII digits and bytes: refused, and quoted back as '?'. */
	{ "2016-05-12T08:17:2\xd9\xa7Z", "expected YYYY-MM-DD" },
	{ "2016-05-12T08:17:27.5\xffZ", "'2016-05-12T08:17:27.5?Z'" },
};

static void test_parse_bad(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[RELTO_ERRBUF_SIZE] = "";
		int64_t us = 42;
		enum relto_err rc = ts_parse(bad[i].in, strlen(bad[i].in), &us, err);
		if (rc != RELTO_EINVAL || !strstr(err, bad[i].why))
			fprintf(stderr, "  case %zu: '%s' -> rc %d: %s\n", i, bad[i].in, rc, err);
		CHECK(rc == RELTO_EINVAL);
		CHECK(us == 42); /* untouched on error */
		CHECK(strncmp(err, "not a timestamp: '", 18) == 0);
		CHECK(strstr(err, bad[i].why) != NULL);
	}
}

/* len is honoured: no NUL needed, bytes past len are never read, and a NUL
** inside len is refused. */
static void test_parse_len(void)
{
	const char *s = "2016-05-12T08:17:27ZGARBAGE";
	int64_t us = 0;
	CHECK(ts_parse(s, 20, &us, NULL) == RELTO_OK);
	CHECK(us == INT64_C(1463041047000000));
	CHECK(ts_parse(s, 21, &us, NULL) == RELTO_EINVAL);
	CHECK(ts_parse(s, 19, &us, NULL) == RELTO_EINVAL);
	CHECK(ts_parse("2016-05-12T08:17:27Z\0", 21, &us, NULL) == RELTO_EINVAL);
	CHECK(ts_parse("2016-05-12T08:17\0:27Z", 20, &us, NULL) == RELTO_EINVAL);

	/* Exactly len bytes on the heap, so ASan sees any over-read. */
	const char *t = "2016-05-12T08:17:27.123";
	size_t n = strlen(t);
	char *heap = malloc(n);
	CHECK(heap != NULL);
	memcpy(heap, t, n);
	enum relto_err rc = ts_parse(heap, n, &us, NULL);
	free(heap);
	CHECK(rc == RELTO_EINVAL);
}

/* The first message stays; a long input is cut in the message. */
static void test_parse_message(void)
{
	char err[RELTO_ERRBUF_SIZE] = "earlier";
	int64_t us;
	CHECK(ts_parse("x", 1, &us, err) == RELTO_EINVAL);
	CHECK_STR(err, "earlier");

	char longs[400];
	memset(longs, '7', sizeof(longs));
	err[0] = '\0';
	CHECK(ts_parse(longs, sizeof(longs), &us, err) == RELTO_EINVAL);
	CHECK(strstr(err, "...'") != NULL);
	CHECK(strlen(err) < RELTO_ERRBUF_SIZE - 1);
	CHECK(strstr(err, "(expected YYYY-MM-DD") != NULL);

	err[0] = '\0';
	CHECK(ts_parse("2016-02-30T00:00:00Z", 20, &us, err) == RELTO_EINVAL);
	CHECK_STR(err, "not a timestamp: '2016-02-30T00:00:00Z' (no such day in that month)");
}

struct fmt_case {
	int64_t us;
	const char *out;
};

static const struct fmt_case fmt[] = {
	{ 0, "1970-01-01T00:00:00.000000Z" },
	{ -1, "1969-12-31T23:59:59.999999Z" },
	{ 1, "1970-01-01T00:00:00.000001Z" },
	{ INT64_C(1463041047123456), "2016-05-12T08:17:27.123456Z" },
	{ INT64_C(951782400000000), "2000-02-29T00:00:00.000000Z" },
	{ INT64_C(-62135596800000000), "0001-01-01T00:00:00.000000Z" },
	{ INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z" },
	/* Out of range: clamped to the ends. */
	{ INT64_C(-62135596800000001), "0001-01-01T00:00:00.000000Z" },
	{ INT64_MIN, "0001-01-01T00:00:00.000000Z" },
	{ INT64_C(253402300800000000), "9999-12-31T23:59:59.999999Z" },
	{ INT64_MAX, "9999-12-31T23:59:59.999999Z" },
};

static void test_format(void)
{
	for (size_t i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++) {
		char buf[TS_BUFSIZE];
		CHECK(ts_format(fmt[i].us, buf) == buf);
		CHECK_STR(buf, fmt[i].out);
	}
}

/* format(parse(x)) == x and parse(format(us)) == us for every day of the
** range, at a time of day that moves through every hour, minute, second
** and microsecond digit. */
static void test_roundtrip_every_day(void)
{
	const int64_t day = INT64_C(86400000000);
	int64_t first = INT64_C(-62135596800000000), last = INT64_C(253402300799999999);
	size_t n = 0;
	for (int64_t d = first; d <= last; d += day, n++) {
		int64_t us = d + (int64_t)(n * 7919 % 86400) * 1000000 + (int64_t)(n * 104729 % 1000000);
		char buf[TS_BUFSIZE];
		int64_t back = 0;
		ts_format(us, buf);
		CHECK(strlen(buf) == 27);
		CHECK(ts_parse(buf, 27, &back, NULL) == RELTO_OK);
		if (back != us)
			fprintf(stderr, "  %lld -> %s -> %lld\n", (long long)us, buf, (long long)back);
		CHECK(back == us);
	}
	CHECK(n == 3652059); /* days in 0001..9999 */
}

/* Against the C library's own calendar for 1900..2100 at odd times. */
static void test_against_timegm(void)
{
	for (int64_t s = INT64_C(-2208988800); s < INT64_C(4102444800); s += 86400 * 3 + 3677) {
		time_t t = (time_t)s;
		struct tm tm;
		CHECK(gmtime_r(&t, &tm) != NULL);
		char in[96];
		snprintf(in, sizeof(in), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		int64_t us = 0;
		CHECK(ts_parse(in, strlen(in), &us, NULL) == RELTO_OK);
		CHECK(us == s * 1000000);
	}
}

/* Any time at all orders as its text does. */
static void test_order(void)
{
	static const char *const asc[] = {
		"0001-01-01T00:00:00Z",   "1969-12-31T23:59:59.999998Z", "1969-12-31T23:59:59.999999Z",
		"1970-01-01T00:00:00Z",   "2016-12-31T23:59:59.5Z",      "2016-12-31T23:59:60Z",
		"2017-01-01T00:00:00Z",   "9999-12-31T23:59:59.999999Z",
	};
	int64_t prev = INT64_MIN;
	for (size_t i = 0; i < sizeof(asc) / sizeof(asc[0]); i++) {
		int64_t us;
		CHECK(ts_parse(asc[i], strlen(asc[i]), &us, NULL) == RELTO_OK);
		CHECK(us > prev);
		prev = us;
	}
}

static void test_now(void)
{
	int64_t a = ts_now(), b = ts_now();
	CHECK(a > INT64_C(1577836800000000)); /* after 2020-01-01 */
	CHECK(a < INT64_C(7258118400000000)); /* before 2200-01-01 */
	CHECK(b >= a);
}

int main(void)
{
	RUN(test_parse_good);
	RUN(test_parse_bad);
	RUN(test_parse_len);
	RUN(test_parse_message);
	RUN(test_format);
	RUN(test_roundtrip_every_day);
	RUN(test_against_timegm);
	RUN(test_order);
	RUN(test_now);
	return TEST_DONE();
}
