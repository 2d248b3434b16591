/*
** entry.c: text as the trail writes it, and released-list entries
** (entry.h).
*/
#include <gnutls/crypto.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "entry.h"

/* Length of the valid UTF-8 sequence at p (1..4), 0 if there is none. */
static size_t utf8_seq(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t n = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (!n || p[0] == 0xc0 || p[0] == 0xc1 || p[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if (n == 3 && p[0] == 0xe0 && p[1] < 0xa0)
		return 0; /* overlong */
	if (n == 3 && p[0] == 0xed && p[1] >= 0xa0)
		return 0; /* a surrogate */
	if (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90)))
		return 0;
	return n;
}

/* Nonzero when one of the 8 bytes at p needs JSON escaping: a byte below
** 0x20, at or above 0x80, or equal to '"', '\\' or DEL, found in a word
** at a time (SWAR). */
static inline uint64_t word_not_plain(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t w;
	memcpy(&w, p, 8);
	uint64_t quote = w ^ (ones * '"'), bslash = w ^ (ones * '\\'), del = w ^ (ones * 0x7f);
	return ((w - ones * 0x20) | w | ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) | ((del - ones) & ~del)) &
	       highs;
}

/* Bytes of s that need no JSON escaping (stops at the first that does, or
** at the end), eight at a time. */
static size_t plain_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), n = 0;
	while (n + 8 <= len && !word_not_plain(p + n))
		n += 8;
	while (p[n] >= 0x20 && p[n] < 0x7f && p[n] != '"' && p[n] != '\\')
		n++;
	return n;
}

/* Whether all n bytes at p need no JSON escaping.  Knowing n, no strlen
** and no byte-by-byte tail: the last word overlaps the one before it.
** Every entry is made through here: at ingest, at an upgrade, and again
** by `relto audit verify` for every list it checks. */
static int plain_bytes(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '"' || p[i] == '\\')
				return 0;
		return 1;
	}
	uint64_t bad = word_not_plain(p + n - 8);
	for (size_t i = 0; i + 8 <= n; i += 8)
		bad |= word_not_plain(p + i);
	return !bad;
}

enum relto_err entry_put_text(struct buf *b, const char *s)
{
	/* Records must be valid JSON whatever a client sent: bytes that are
	** not UTF-8 become U+FFFD (the rest is escaped as JSON requires). */
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	/* Most text (ids, versions, paths) is printable ASCII with nothing to
	** escape: copied as it is, between quotes. */
	size_t plain = plain_len((const char *)p);
	if (!p[plain]) {
		size_t was = b->len;
		enum relto_err rc = buf_putc(b, '"');
		if (!rc)
			rc = buf_append(b, p, plain);
		if (!rc)
			rc = buf_putc(b, '"');
		if (rc) {
			b->len = was;
			if (b->data)
				b->data[was] = '\0';
		}
		return rc;
	}
	int clean = 1;
	for (const unsigned char *q = p; *q && clean;) {
		size_t n = utf8_seq(q);
		clean = n != 0;
		q += n ? n : 1;
	}
	if (clean)
		return buf_put_json_string(b, (const char *)p);
	struct buf tmp;
	buf_init(&tmp, b->cap);
	enum relto_err rc = RELTO_OK;
	while (*p && !rc) {
		size_t n = utf8_seq(p);
		rc = n ? buf_append(&tmp, p, n) : buf_puts(&tmp, "\xef\xbf\xbd");
		p += n ? n : 1;
	}
	if (!rc)
		rc = buf_put_json_string(b, tmp.data ? tmp.data : "");
	buf_free(&tmp);
	return rc;
}

void entry_sha256(const void *p, size_t n, unsigned char out[ENTRY_HASH_LEN])
{
	/* SHA-256 through GnuTLS (nettle), which uses the CPU's SHA
	** instructions where it has them. */
	gnutls_hash_fast(GNUTLS_DIG_SHA256, p, n, out);
}

enum relto_err entry_text(struct buf *b, const char *id, size_t il, const char *version, size_t vl)
{
	if (il + vl < 480 && plain_bytes(id, il) && plain_bytes(version, vl)) {
		/* The usual entry (a STIX id, a timestamp): one append. */
		char e[512];
		size_t n = 0;
		e[n++] = '[';
		e[n++] = '"';
		memcpy(e + n, id, il);
		n += il;
		memcpy(e + n, "\",\"", 3);
		n += 3;
		memcpy(e + n, version, vl);
		n += vl;
		memcpy(e + n, "\"]", 2);
		n += 2;
		return buf_append(b, e, n);
	}
	return entry_put_texts(b, (const char *const[]){id, version}, 2);
}

enum relto_err entry_put_texts(struct buf *b, const char *const *texts, size_t n)
{
	size_t was = b->len;
	enum relto_err rc = buf_putc(b, '[');
	for (size_t i = 0; !rc && i < n; i++) {
		if (i)
			rc = buf_putc(b, ',');
		if (!rc)
			rc = entry_put_text(b, texts[i]);
	}
	if (!rc)
		rc = buf_putc(b, ']');
	if (rc && b->data) {
		b->len = was;
		b->data[was] = '\0';
	}
	return rc;
}

enum relto_err entry_make(struct buf *b, const char *id, size_t il, const char *version, size_t vl)
{
	size_t was = b->len;
	static const unsigned char zero[ENTRY_HASH_LEN];
	enum relto_err rc = buf_append(b, zero, ENTRY_HASH_LEN);
	if (!rc)
		rc = entry_text(b, id, il, version, vl);
	if (rc) {
		if (b->data) {
			b->len = was;
			b->data[was] = '\0';
		}
		return rc;
	}
	/* The hash goes in front of the text it is made of. */
	unsigned char *h = (unsigned char *)b->data + was;
	entry_sha256(h + ENTRY_HASH_LEN, b->len - was - ENTRY_HASH_LEN, h);
	return RELTO_OK;
}

int entry_list_check(const char *text, size_t len, size_t *count, unsigned char hash[ENTRY_HASH_LEN])
{
	json_error_t je;
	json_t *a = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	struct buf again, hashes;
	buf_init(&again, len + 64);
	buf_init(&hashes, (size_t)1 << 30);
	int ok = json_is_array(a) && buf_putc(&again, '[') == RELTO_OK;
	size_t i;
	json_t *e;
	json_array_foreach(a, i, e)
	{
		if (!ok)
			break;
		json_t *id = json_array_get(e, 0), *version = json_array_get(e, 1);
		ok = json_is_array(e) && json_array_size(e) == 2 && json_is_string(id) && json_is_string(version) &&
		     (!i || buf_putc(&again, ',') == RELTO_OK);
		size_t at = again.len;
		unsigned char h[ENTRY_HASH_LEN];
		if (ok)
			ok = entry_text(&again, json_string_value(id), json_string_length(id), json_string_value(version),
			                json_string_length(version)) == RELTO_OK;
		if (ok) {
			entry_sha256(again.data + at, again.len - at, h);
			ok = buf_append(&hashes, h, sizeof(h)) == RELTO_OK;
		}
	}
	/* Written as relto writes it: the same bytes again. */
	ok = ok && buf_putc(&again, ']') == RELTO_OK && again.len == len && memcmp(again.data, text, len) == 0;
	if (ok) {
		*count = json_array_size(a);
		entry_sha256(hashes.data ? hashes.data : "", hashes.len, hash);
	}
	json_decref(a);
	buf_free(&again);
	buf_free(&hashes);
	return ok;
}
