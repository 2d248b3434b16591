/*
** buf.c: capped growable byte buffer (see buf.h for the contract).
*/
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include "buf.h"

void buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *buf_steal(struct buf *b)
{
	char *p = b->data;
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}

/* Make room for n more bytes plus the NUL.  Growth doubles so appends are
** amortized O(1); the check against cap comes before any arithmetic that
** could overflow. */
enum relto_err buf_reserve(struct buf *b, size_t n)
{
	if (n > b->cap || b->len > b->cap - n)
		return RELTO_ETOOBIG;
	size_t need = b->len + n + 1;
	if (need <= b->alloc)
		return RELTO_OK;
	size_t want = b->alloc ? b->alloc : 256;
	while (want < need)
		want = want > SIZE_MAX / 2 ? need : want * 2;
	if (b->cap < SIZE_MAX && want > b->cap + 1)
		want = b->cap + 1;
	char *p = realloc(b->data, want);
	if (!p)
		return RELTO_ENOMEM;
	b->data = p;
	b->alloc = want;
	return RELTO_OK;
}

enum relto_err buf_append(struct buf *b, const void *p, size_t n)
{
	enum relto_err rc = buf_reserve(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return RELTO_OK;
}

enum relto_err buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum relto_err buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

enum relto_err buf_put_i64(struct buf *b, long long v)
{
	char d[24];
	size_t i = sizeof(d);
	/* Through unsigned: -LLONG_MIN does not fit a long long. */
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	do
		d[--i] = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		d[--i] = '-';
	return buf_append(b, d + i, sizeof(d) - i);
}

enum relto_err buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return RELTO_EINVAL;
	enum relto_err rc = buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return RELTO_OK;
}

enum relto_err buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum relto_err rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* buf_put_json_string, a byte at a time. */
static enum relto_err put_json_escaped(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = b->len; /* a refused append leaves the buffer as it was */
	enum relto_err rc = buf_putc(b, '"');
	const char *run = s;
	for (; !rc && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = buf_append(b, run, (size_t)(s - run));
		char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
		if (!rc && (c == '"' || c == '\\')) {
			char two[2] = {'\\', (char)c};
			rc = buf_append(b, two, 2);
		} else if (!rc) {
			rc = buf_append(b, esc, 6);
		}
		run = s + 1;
	}
	if (!rc)
		rc = buf_append(b, run, (size_t)(s - run));
	if (!rc)
		rc = buf_putc(b, '"');
	if (rc && b->data) {
		b->len = start;
		b->data[start] = '\0';
	}
	return rc;
}

/* Whether one of the eight bytes of w is below 0x20, '"' or '\\': a byte
** JSON escapes.  Bytes from 0x80 (UTF-8) are not: their high bit keeps
** them out of each test, which is exact for "is there one". */
static int escapes_in(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
	return ((((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) | ((slash - ones) & ~slash)) & highs) != 0;
}

enum relto_err buf_put_json_string(struct buf *b, const char *s)
{
	/* Most strings (ids, names) escape nothing: checked eight bytes at a
	** time, then copied whole (a page's hidden references were 1.4% of
	** it, a byte at a time). */
	size_t n = strlen(s), i = 0;
	uint64_t w;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (escapes_in(w))
			break;
	}
	if (i + 8 > n) {
		w = 0x2020202020202020u; /* spaces escape nothing */
		memcpy(&w, s + i, n - i);
		if (!escapes_in(w)) {
			enum relto_err rc = buf_reserve(b, n + 2);
			if (rc)
				return rc;
			b->data[b->len] = '"';
			memcpy(b->data + b->len + 1, s, n);
			b->data[b->len + n + 1] = '"';
			b->len += n + 2;
			b->data[b->len] = '\0';
			return RELTO_OK;
		}
	}
	return put_json_escaped(b, s);
}

enum relto_err buf_read_file(struct buf *b, const char *path, char *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return relto_seterr(err, RELTO_ENOTFOUND, "%s: cannot open: %m", path);
	size_t start = b->len;
	char chunk[65536];
	size_t n;
	enum relto_err rc = RELTO_OK;
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_append(b, chunk, n);
	if (!rc && ferror(f))
		rc = relto_seterr(err, RELTO_ENOTFOUND, "%s: read error", path);
	fclose(f);
	if (rc == RELTO_ETOOBIG)
		relto_seterr(err, rc, "%s: larger than %zu bytes", path, b->cap);
	if (rc && b->data) {
		b->len = start;
		b->data[start] = '\0';
	}
	return rc;
}
