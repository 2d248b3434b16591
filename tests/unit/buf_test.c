/*
** buf_test.c: unit tests for src/util/buf.c, the capped growable buffer:
** the cap is enforced and a refused append leaves the buffer as it was,
** the contents stay NUL-terminated through growth, reset, free and steal,
** JSON string escaping round-trips through Jansson for every byte, and
** buf_read_file reads binary files exactly and refuses what it should.
*/
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "util/buf.h"

/* Every buffer invariant the header promises, whatever the state. */
static int sane(const struct buf *b)
{
	if (!b->data)
		return b->len == 0 && b->alloc == 0;
	return b->len < b->alloc && b->data[b->len] == '\0' && b->len <= b->cap &&
	       b->alloc <= b->cap + 1;
}

static void test_init_empty(void)
{
	struct buf b;
	buf_init(&b, 10);
	CHECK(b.data == NULL && b.len == 0 && b.alloc == 0 && b.cap == 10);
	CHECK(buf_steal(&b) == NULL);
	buf_free(&b); /* free of a never-used buffer */
	buf_free(&b); /* twice */
	CHECK(b.cap == 10);
	buf_reset(&b);
	CHECK(sane(&b));
}

static void test_append_nul_terminated(void)
{
	struct buf b;
	buf_init(&b, 100);
	CHECK(buf_append(&b, "abc", 3) == RELTO_OK);
	CHECK(b.len == 3 && sane(&b));
	CHECK_STR(b.data, "abc");
	CHECK(buf_append(&b, "de\0f", 4) == RELTO_OK); /* bytes, NUL included */
	CHECK(b.len == 7 && memcmp(b.data, "abcde\0f", 8) == 0);
	CHECK(buf_putc(&b, 'g') == RELTO_OK && buf_puts(&b, "hi") == RELTO_OK);
	CHECK(b.len == 10 && memcmp(b.data, "abcde\0fghi", 11) == 0);
	CHECK(buf_append(&b, NULL, 0) == RELTO_OK && b.len == 10);
	buf_free(&b);
	CHECK(b.data == NULL && b.len == 0 && b.cap == 100);

	/* An empty append still gives a C string. */
	buf_init(&b, 100);
	CHECK(buf_puts(&b, "") == RELTO_OK);
	CHECK(b.data != NULL);
	CHECK_STR(b.data, "");
	buf_free(&b);
}

/* The cap: exactly cap bytes fit, one more does not, and a refused
** append changes nothing (data pointer, length, bytes). */
static void test_cap(void)
{
	struct buf b;
	buf_init(&b, 10);
	CHECK(buf_append(&b, "0123456789x", 11) == RELTO_ETOOBIG);
	CHECK(b.data == NULL && b.len == 0);
	CHECK(buf_append(&b, "01234", 5) == RELTO_OK);
	char *before = b.data;
	CHECK(buf_append(&b, "567890", 6) == RELTO_ETOOBIG);
	CHECK(b.data == before && b.len == 5);
	CHECK_STR(b.data, "01234");
	CHECK(buf_append(&b, "56789", 5) == RELTO_OK);
	CHECK(b.len == 10 && sane(&b));
	CHECK_STR(b.data, "0123456789");
	CHECK(b.alloc == 11); /* growth stops at cap + 1 */
	CHECK(buf_putc(&b, 'x') == RELTO_ETOOBIG);
	CHECK(buf_puts(&b, "x") == RELTO_ETOOBIG);
	CHECK(buf_printf(&b, "%d", 7) == RELTO_ETOOBIG);
	CHECK(buf_append(&b, "", 0) == RELTO_OK); /* nothing more is fine */
	CHECK(buf_printf(&b, "%s", "") == RELTO_OK);
	CHECK(b.len == 10);
	CHECK_STR(b.data, "0123456789");
	/* A huge n must not wrap around the check. */
	CHECK(buf_append(&b, "x", SIZE_MAX) == RELTO_ETOOBIG);
	CHECK(buf_append(&b, "x", SIZE_MAX - 5) == RELTO_ETOOBIG);
	CHECK(b.len == 10);
	buf_free(&b);

	/* Cap 0: nothing but empty appends. */
	buf_init(&b, 0);
	CHECK(buf_putc(&b, 'a') == RELTO_ETOOBIG);
	CHECK(buf_append(&b, "", 0) == RELTO_OK);
	CHECK(b.len == 0 && sane(&b));
	buf_free(&b);
}

/* Growth from one byte to a megabyte keeps every byte and the NUL. */
static void test_growth(void)
{
	struct buf b;
	buf_init(&b, 1u << 20);
	for (size_t i = 0; i < (1u << 20); i++) {
		char c = (char)('a' + i % 26);
		if (buf_putc(&b, c) != RELTO_OK) {
			fprintf(stderr, "  putc %zu failed\n", i);
			CHECK(0);
		}
	}
	CHECK(b.len == 1u << 20 && sane(&b));
	for (size_t i = 0; i < b.len; i++)
		if (b.data[i] != (char)('a' + i % 26))
			CHECK(0);
	CHECK(buf_putc(&b, 'x') == RELTO_ETOOBIG);
	CHECK(b.len == 1u << 20);
	buf_free(&b);
}

static void test_reset_and_steal(void)
{
	struct buf b;
	buf_init(&b, 1000);
	CHECK(buf_puts(&b, "hello") == RELTO_OK);
	size_t alloc = b.alloc;
	buf_reset(&b);
	CHECK(b.len == 0 && b.alloc == alloc && b.data != NULL);
	CHECK_STR(b.data, "");
	CHECK(buf_puts(&b, "world") == RELTO_OK);
	char *p = buf_steal(&b);
	CHECK(p != NULL);
	CHECK_STR(p, "world");
	CHECK(b.data == NULL && b.len == 0 && b.alloc == 0 && b.cap == 1000);
	free(p);
	/* Usable again after a steal. */
	CHECK(buf_puts(&b, "again") == RELTO_OK);
	CHECK_STR(b.data, "again");
	p = buf_steal(&b);
	free(p);
	CHECK(buf_steal(&b) == NULL);
}

static void test_printf(void)
{
	struct buf b;
	buf_init(&b, 4096);
	CHECK(buf_printf(&b, "%d-%s-%zu", -12, "ab", (size_t)7) == RELTO_OK);
	CHECK_STR(b.data, "-12-ab-7");
	CHECK(buf_printf(&b, "|%05.1f|%c", 3.14159, 'z') == RELTO_OK);
	CHECK_STR(b.data, "-12-ab-7|003.1|z");
	/* Longer than the first allocation (256). */
	char big[1000];
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(buf_printf(&b, "<%s>", big) == RELTO_OK);
	CHECK(b.len == 16 + 1001 && sane(&b));
	CHECK(b.data[16] == '<' && b.data[b.len - 1] == '>');
	buf_free(&b);

	/* A printf that would pass the cap changes nothing. */
	buf_init(&b, 8);
	CHECK(buf_printf(&b, "%s", "1234") == RELTO_OK);
	CHECK(buf_printf(&b, "%s", "56789") == RELTO_ETOOBIG);
	CHECK(b.len == 4);
	CHECK_STR(b.data, "1234");
	CHECK(buf_printf(&b, "%d", 5678) == RELTO_OK);
	CHECK_STR(b.data, "12345678");
	buf_free(&b);
}

static void test_put_i64(void)
{
	struct buf b;
	buf_init(&b, 4096);
	const long long cases[] = {0, 7, -1, 10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[32];
		snprintf(want, sizeof(want), "%lld", cases[i]);
		buf_reset(&b);
		CHECK(buf_put_i64(&b, cases[i]) == RELTO_OK);
		CHECK_STR(b.data, want);
	}
	buf_free(&b);
	/* Past the cap: nothing changes. */
	buf_init(&b, 4);
	CHECK(buf_puts(&b, "ab") == RELTO_OK);
	CHECK(buf_put_i64(&b, 123) == RELTO_ETOOBIG);
	CHECK_STR(b.data, "ab");
	CHECK(buf_put_i64(&b, -9) == RELTO_OK);
	CHECK_STR(b.data, "ab-9");
	buf_free(&b);
}

struct json_case {
	const char *in, *out;
};

static const struct json_case json_cases[] = {
	{ "", "\"\"" },
	{ "plain text", "\"plain text\"" },
	{ "a\"b", "\"a\\\"b\"" },
	{ "back\\slash", "\"back\\\\slash\"" },
	{ "\"\\\"", "\"\\\"\\\\\\\"\"" },
	{ "line\nbreak", "\"line\\u000abreak\"" },
	{ "\t\r\b\f", "\"\\u0009\\u000d\\u0008\\u000c\"" },
	{ "\x01\x1f", "\"\\u0001\\u001f\"" },
	{ " ~\x7f", "\" ~\x7f\"" },          /* DEL needs no escape */
	{ "/", "\"/\"" },                     /* nor does the solidus */
	{ "caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"" }, /* UTF-8 passes */
	{ "end\x1f", "\"end\\u001f\"" },
};

static void test_json_string(void)
{
	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		struct buf b;
		buf_init(&b, 1000);
		CHECK(buf_puts(&b, "x") == RELTO_OK);
		CHECK(buf_put_json_string(&b, json_cases[i].in) == RELTO_OK);
		if (strcmp(b.data + 1, json_cases[i].out) != 0)
			fprintf(stderr, "  case %zu: got %s\n", i, b.data + 1);
		CHECK_STR(b.data + 1, json_cases[i].out);
		CHECK(sane(&b));
		buf_free(&b);
	}
}

/* Every byte 1..127 in one string: Jansson reads back exactly the input. */
/* The eight-bytes-at-a-time check against a byte at a time: each byte
** JSON escapes (and some it does not) at each place of strings around a
** word's length. */
static void test_json_string_every_place(void)
{
	static const unsigned char bytes[] = {0x01, 0x0a, 0x1f, '"', '\\', 0x20, 0x7f, 0x80, 0xc3, 0xff};
	int bad = 0;
	for (size_t len = 1; len <= 26; len++)
		for (size_t at = 0; at < len; at++)
			for (size_t k = 0; k < sizeof(bytes); k++) {
				char in[32], want[64];
				memset(in, 'a', len);
				in[len] = '\0';
				in[at] = (char)bytes[k];
				size_t w = 0;
				want[w++] = '"';
				for (size_t i = 0; i < len; i++) {
					unsigned char c = (unsigned char)in[i];
					if (c == '"' || c == '\\') {
						want[w++] = '\\';
						want[w++] = (char)c;
					} else if (c < 0x20) {
						w += (size_t)snprintf(want + w, sizeof(want) - w, "\\u%04x", c);
					} else {
						want[w++] = (char)c;
					}
				}
				want[w++] = '"';
				want[w] = '\0';
				struct buf b;
				buf_init(&b, 1024);
				if (buf_put_json_string(&b, in) != RELTO_OK || !b.data || strcmp(b.data, want) != 0)
					bad++;
				buf_free(&b);
			}
	CHECK(bad == 0);
}

static void test_json_string_roundtrip(void)
{
	char in[128];
	for (int i = 1; i < 128; i++)
		in[i - 1] = (char)i;
	in[127] = '\0';
	struct buf b;
	buf_init(&b, 4096);
	CHECK(buf_puts(&b, "[") == RELTO_OK);
	CHECK(buf_put_json_string(&b, in) == RELTO_OK);
	CHECK(buf_puts(&b, "]") == RELTO_OK);
	json_error_t je;
	json_t *v = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
	buf_free(&b);
	CHECK(v != NULL);
	const char *s = json_string_value(json_array_get(v, 0));
	int same = s && json_string_length(json_array_get(v, 0)) == 127 && memcmp(s, in, 127) == 0;
	json_decref(v);
	CHECK(same);
}

/* buf_put_json_string past the cap: refused, and (the module's promise)
** the buffer is as it was: no opening quote or half a string left. */
static void test_json_string_cap_unchanged(void)
{
	struct buf b;
	buf_init(&b, 6);
	enum relto_err r0 = buf_puts(&b, "[");
	enum relto_err r1 = buf_put_json_string(&b, "abcdef"); /* needs 8 */
	size_t len1 = b.len;
	if (len1 != 1)
		fprintf(stderr, "  left behind: '%s'\n", b.data);
	buf_reset(&b);
	r0 |= buf_puts(&b, "[");
	enum relto_err r2 = buf_put_json_string(&b, "a\n"); /* "a\u000a": 9 bytes */
	size_t len2 = b.len;
	buf_reset(&b);
	r0 |= buf_puts(&b, "[");
	enum relto_err r3 = buf_put_json_string(&b, "abc"); /* exactly the 5 left */
	int whole = b.data && strcmp(b.data, "[\"abc\"") == 0;
	buf_free(&b);
	CHECK(r0 == RELTO_OK && r3 == RELTO_OK && whole);
	CHECK(r1 == RELTO_ETOOBIG && r2 == RELTO_ETOOBIG);
	CHECK(len1 == 1);
	CHECK(len2 == 1);
}

static char tmpdir[64];

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(p, 1, n, f);
	return fclose(f) == 0 && w == n ? 0 : -1;
}

static void test_read_file(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/bin", tmpdir);
	unsigned char bytes[300];
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7);
	CHECK(write_file(path, bytes, sizeof(bytes)) == 0);

	char err[RELTO_ERRBUF_SIZE] = "";
	struct buf b;
	buf_init(&b, 300);
	CHECK(buf_read_file(&b, path, err) == RELTO_OK);
	CHECK(err[0] == '\0');
	CHECK(b.len == 300 && memcmp(b.data, bytes, 300) == 0 && sane(&b));
	buf_free(&b);

	/* It appends. */
	buf_init(&b, 1000);
	CHECK(buf_puts(&b, "head") == RELTO_OK);
	CHECK(buf_read_file(&b, path, NULL) == RELTO_OK);
	CHECK(b.len == 304 && memcmp(b.data, "head", 4) == 0 && memcmp(b.data + 4, bytes, 300) == 0);
	buf_free(&b);

	/* One byte under the file: ETOOBIG, saying the path and the cap. */
	buf_init(&b, 299);
	CHECK(buf_read_file(&b, path, err) == RELTO_ETOOBIG);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "larger than 299 bytes") != NULL);
	CHECK(b.len == 0);
	buf_free(&b);

	/* An empty file: OK, nothing appended. */
	snprintf(path, sizeof(path), "%s/empty", tmpdir);
	CHECK(write_file(path, "", 0) == 0);
	buf_init(&b, 10);
	CHECK(buf_read_file(&b, path, NULL) == RELTO_OK);
	CHECK(b.len == 0 && sane(&b));
	buf_free(&b);
}

static void test_read_file_errors(void)
{
	char path[128], err[RELTO_ERRBUF_SIZE] = "";
	struct buf b;
	buf_init(&b, 1000);
	snprintf(path, sizeof(path), "%s/no-such-file", tmpdir);
	CHECK(buf_read_file(&b, path, err) == RELTO_ENOTFOUND);
	CHECK(strstr(err, path) != NULL);
	CHECK(strstr(err, "cannot open") != NULL);
	CHECK(b.data == NULL);
	/* A directory opens but cannot be read. */
	err[0] = '\0';
	CHECK(buf_read_file(&b, tmpdir, err) == RELTO_ENOTFOUND);
	CHECK(strstr(err, tmpdir) != NULL);
	CHECK(b.len == 0);
	/* The first message stays. */
	snprintf(err, sizeof(err), "earlier");
	CHECK(buf_read_file(&b, path, err) == RELTO_ENOTFOUND);
	CHECK_STR(err, "earlier");
	buf_free(&b);
}

/* A file larger than the 64 KiB read chunk and larger than the cap: the
** append is refused and the buffer keeps what it had before the call. */
static void test_read_file_big_unchanged(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/big", tmpdir);
	size_t n = 200000;
	char *big = malloc(n);
	CHECK(big != NULL);
	memset(big, 'z', n);
	int w = write_file(path, big, n);
	free(big);
	CHECK(w == 0);
	struct buf b;
	buf_init(&b, 100000);
	CHECK(buf_puts(&b, "keep") == RELTO_OK);
	CHECK(buf_read_file(&b, path, NULL) == RELTO_ETOOBIG);
	if (b.len != 4)
		fprintf(stderr, "  %zu bytes of the refused file were left in the buffer\n", b.len - 4);
	size_t len = b.len;
	buf_free(&b);
	CHECK(len == 4);
}

/* cap = SIZE_MAX ("no limit") must still work: the first allocation must
** hold the bytes.  Run in a child, as the failure corrupts the heap. */
static void test_cap_size_max(void)
{
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct buf b;
		buf_init(&b, SIZE_MAX);
		int ok = buf_append(&b, "", 0) == RELTO_OK && b.alloc >= 1;
		ok = ok && buf_puts(&b, "abc") == RELTO_OK && b.alloc >= 4 && strcmp(b.data, "abc") == 0;
		if (!ok)
			fprintf(stderr, "  cap SIZE_MAX: alloc %zu after appending\n", b.alloc);
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/relto-buf-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_init_empty);
	RUN(test_append_nul_terminated);
	RUN(test_cap);
	RUN(test_growth);
	RUN(test_reset_and_steal);
	RUN(test_printf);
	RUN(test_put_i64);
	RUN(test_json_string);
	RUN(test_json_string_every_place);
	RUN(test_json_string_roundtrip);
	RUN(test_json_string_cap_unchanged);
	RUN(test_read_file);
	RUN(test_read_file_errors);
	RUN(test_read_file_big_unchanged);
	RUN(test_cap_size_max);
	const char *files[] = {"bin", "empty", "big"};
	for (size_t i = 0; i < 3; i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/%s", tmpdir, files[i]);
		unlink(p);
	}
	rmdir(tmpdir);
	return TEST_DONE();
}
