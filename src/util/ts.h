/*
** ts.h: STIX and TAXII timestamps.
**
** STIX 2.1 timestamps are RFC 3339 in UTC with a literal 'Z' and any number
** of fractional digits ("2016-05-12T08:17:27.000Z"); TAXII 2.1 timestamps
** are the same with exactly six fractional digits.  relto keeps every time
** as int64 microseconds since 1970-01-01T00:00:00Z (negative before), which
** orders and compares as the timestamps do.  Digits past the sixth are
** truncated (documented: two versions that differ only below a microsecond
** are one version to relto).  Pure functions, thread-safe.
*/
#ifndef RELTO_TS_H
#define RELTO_TS_H

#include <stdint.h>
#include <stddef.h>
#include "../relto.h"

/* Room for a formatted TAXII timestamp and its NUL. */
#define TS_BUFSIZE 32

/* Parse s (exactly len bytes, no NUL needed; nothing past len is read) as
** a STIX/TAXII timestamp: YYYY-MM-DDTHH:MM:SS[.f+]Z, year 0001..9999, a
** real calendar date (proleptic Gregorian leap years), hour 00..23, minute
** 00..59, seconds 00..60 at any minute (a leap second is read as
** :59.999999, the last instant before the next minute).  The fraction may
** have any number of digits (at least one after '.'); past the sixth they
** are truncated, never rounded.  Lower-case 't'/'z', offsets other than Z,
** spaces and any text after 'Z' are refused.
** RELTO_OK and *out_us set; RELTO_EINVAL (*out_us untouched) and err says
** "not a timestamp: '<text>' (<reason>)", e.g. "not a timestamp:
** '2021-02-29T00:00:00Z' (no such day in that month)"; <text> is cut at 48
** bytes and bytes other than printable ASCII show as '?', so the message
** is always valid UTF-8.  Cannot fail otherwise. */
enum relto_err ts_parse(const char *s, size_t len, int64_t *out_us, char *err);

/* Format us as a TAXII timestamp with six fractional digits
** ("2021-06-10T12:00:00.000000Z", always 27 characters) into out
** (TS_BUFSIZE bytes).  Returns out.  Cannot fail: times outside years
** 0001..9999 are clamped to 0001-01-01T00:00:00.000000Z and
** 9999-12-31T23:59:59.999999Z, so the output always parses again. */
char *ts_format(int64_t us, char out[TS_BUFSIZE]);

/* The proleptic Gregorian date of a day number (days since 1970-01-01,
** negative before).  Exact for every day; no tables, no libc. */
void ts_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/* The current time in microseconds since the epoch (CLOCK_REALTIME). */
int64_t ts_now(void);

#endif
