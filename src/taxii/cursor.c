/*
** cursor.c: authenticated, stateless `next` tokens (see cursor.h).
** Layout before base64: version byte, date_added (8 bytes, big-endian),
** seq (8), MAC (16) over those 17 bytes and the query fingerprint.
*/
#include <sodium.h>
#include <string.h>
#include "cursor.h"

#define TOKEN_VERSION 1
#define BODY_LEN 17
#define MAC_LEN 16
#define RAW_LEN (BODY_LEN + MAC_LEN)

static void put64(unsigned char *p, int64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
}

static int64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static void mac(const unsigned char key[STORE_SECRET_LEN],
                const unsigned char fingerprint[QUERY_FINGERPRINT_LEN],
                const unsigned char body[BODY_LEN], unsigned char out[MAC_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, key, STORE_SECRET_LEN, MAC_LEN);
	crypto_generichash_update(&st, body, BODY_LEN);
	crypto_generichash_update(&st, fingerprint, QUERY_FINGERPRINT_LEN);
	crypto_generichash_final(&st, out, MAC_LEN);
}

void cursor_make(const unsigned char key[STORE_SECRET_LEN],
                 const unsigned char fingerprint[QUERY_FINGERPRINT_LEN],
                 int64_t date_added, int64_t seq, char out[CURSOR_TOKEN_SIZE])
{
	_Static_assert(CURSOR_TOKEN_SIZE >= sodium_base64_ENCODED_LEN(RAW_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	               "token buffer too small");
	unsigned char raw[RAW_LEN];
	raw[0] = TOKEN_VERSION;
	put64(raw + 1, date_added);
	put64(raw + 9, seq);
	mac(key, fingerprint, raw, raw + BODY_LEN);
	sodium_bin2base64(out, CURSOR_TOKEN_SIZE, raw, RAW_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

enum relto_err cursor_read(const unsigned char key[STORE_SECRET_LEN],
                           const unsigned char fingerprint[QUERY_FINGERPRINT_LEN],
                           const char *token, int64_t *date_added, int64_t *seq, char *err)
{
	unsigned char raw[RAW_LEN], want[MAC_LEN];
	size_t len = 0;
	/* Only the URL-safe alphabet: libsodium's decoder reads some bytes
	** above 0x7f as '_' (found by fuzzing), which would let one token be
	** spelled several ways. */
	size_t n = strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
	if (token[n] != '\0')
		return relto_seterr(err, RELTO_EINVAL, "next: not a token this server issued");
	if (strlen(token) >= CURSOR_TOKEN_SIZE ||
	    sodium_base642bin(raw, sizeof(raw), token, strlen(token), NULL, &len, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != RAW_LEN || raw[0] != TOKEN_VERSION)
		return relto_seterr(err, RELTO_EINVAL, "next: not a token this server issued");
	mac(key, fingerprint, raw, want);
	if (sodium_memcmp(want, raw + BODY_LEN, MAC_LEN) != 0)
		return relto_seterr(err, RELTO_EINVAL,
		                    "next: the token was altered or belongs to a different query "
		                    "(use it with the same filters as the request that returned it)");
	*date_added = get64(raw + 1);
	*seq = get64(raw + 9);
	return RELTO_OK;
}
