/*
** fuzz_cursor.c: libFuzzer target for `next` tokens (taxii/cursor.h).
** Two things per input:
**  1. the input, up to its first NUL, is a token a client sent: it is
**     read with cursor_read() under a fixed key and a fixed query
**     fingerprint.  A token that is accepted must be exactly the token
**     cursor_make() writes for the position it names (one spelling per
**     token: no padding, case or trailing-bit variants get through);
**  2. a position and a fingerprint taken from the input bytes go through
**     cursor_make() and back: cursor_read() must return the same
**     position, and must refuse the token under another fingerprint or
**     key, and with any one character changed.
** Failures abort(); the sanitizers catch the rest.
** Run: tests/fuzz/run (see tests/fuzz/README.md).  Seeds that pass the
** MAC were made under the fixed key and fingerprint below.
*/
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "taxii/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The key and fingerprint every token read in part 1 is checked with:
** bytes 0..31 and 0..31 + 0x40. */
static void fixed(unsigned char key[STORE_SECRET_LEN], unsigned char fp[QUERY_FINGERPRINT_LEN])
{
	for (int i = 0; i < STORE_SECRET_LEN; i++)
		key[i] = (unsigned char)i;
	for (int i = 0; i < QUERY_FINGERPRINT_LEN; i++)
		fp[i] = (unsigned char)(i + 0x40);
}

static void fail(const char *what, const char *token)
{
	fprintf(stderr, "fuzz_cursor: %s%s%s\n", what, token ? ": " : "", token ? token : "");
	abort();
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void read_client_token(const uint8_t *data, size_t size)
{
	unsigned char key[STORE_SECRET_LEN], fp[QUERY_FINGERPRINT_LEN];
	fixed(key, fp);
	char *token = malloc(size + 1);
	if (!token)
		return;
	memcpy(token, data, size);
	token[size] = '\0';
	int64_t da = 0, seq = 0;
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = cursor_read(key, fp, token, &da, &seq, err);
	if (rc == RELTO_OK) {
		char again[CURSOR_TOKEN_SIZE];
		cursor_make(key, fp, da, seq, again);
		if (strcmp(again, token) != 0)
			fail("a token was accepted in a spelling cursor_make does not write", token);
	} else if (rc != RELTO_EINVAL || !err[0]) {
		fail("cursor_read failed without RELTO_EINVAL and a message", token);
	}
	free(token);
}

static uint64_t take64(const uint8_t *data, size_t size, size_t at)
{
	uint64_t v = 0;
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | (at + i < size ? data[at + i] : 0);
	return v;
}

static void round_trip(const uint8_t *data, size_t size)
{
	unsigned char key[STORE_SECRET_LEN], fp[QUERY_FINGERPRINT_LEN];
	fixed(key, fp);
	int64_t da = (int64_t)take64(data, size, 0), seq = (int64_t)take64(data, size, 8);
	for (size_t i = 0; i < QUERY_FINGERPRINT_LEN && 16 + i < size; i++)
		fp[i] = data[16 + i];
	char token[CURSOR_TOKEN_SIZE];
	cursor_make(key, fp, da, seq, token);
	size_t len = strlen(token);
	if (len == 0 || len >= CURSOR_TOKEN_SIZE)
		fail("cursor_make wrote a token of a bad length", token);
	for (size_t i = 0; i < len; i++)
		if (!strchr(b64, token[i]))
			fail("token is not URL-safe base64", token);

	int64_t da2 = 0, seq2 = 0;
	if (cursor_read(key, fp, token, &da2, &seq2, NULL) != RELTO_OK || da2 != da || seq2 != seq)
		fail("a token did not read back to its position", token);

	unsigned char other[QUERY_FINGERPRINT_LEN];
	memcpy(other, fp, sizeof(other));
	other[size % QUERY_FINGERPRINT_LEN] ^= (unsigned char)(1u << (size % 8));
	if (cursor_read(key, other, token, &da2, &seq2, NULL) != RELTO_EINVAL)
		fail("a token was accepted for another query", token);
	unsigned char key2[STORE_SECRET_LEN];
	memcpy(key2, key, sizeof(key2));
	key2[(size / 8) % STORE_SECRET_LEN] ^= 0x80;
	if (cursor_read(key2, fp, token, &da2, &seq2, NULL) != RELTO_EINVAL)
		fail("a token was accepted under another key", token);

	/* Change each character to another base64 character chosen by the
	** input; every such token must be refused. */
	for (size_t i = 0; i < len; i++) {
		char bad[CURSOR_TOKEN_SIZE];
		memcpy(bad, token, len + 1);
		size_t step = 1 + (size ? data[i % size] : 0) % 63;
		bad[i] = b64[((size_t)(strchr(b64, token[i]) - b64) + step) % 64];
		if (cursor_read(key, fp, bad, &da2, &seq2, NULL) != RELTO_EINVAL)
			fail("an altered token was accepted", bad);
	}
	/* And with something added at the end or cut off it. */
	char longer[CURSOR_TOKEN_SIZE + 2];
	memcpy(longer, token, len);
	longer[len] = b64[size % 64];
	longer[len + 1] = '\0';
	if (cursor_read(key, fp, longer, &da2, &seq2, NULL) != RELTO_EINVAL)
		fail("a lengthened token was accepted", longer);
	token[len - 1 - size % len] = '\0';
	if (cursor_read(key, fp, token, &da2, &seq2, NULL) != RELTO_EINVAL)
		fail("a shortened token was accepted", token);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	read_client_token(data, size);
	round_trip(data, size);
	return 0;
}
