/*
** auth.c: Basic credentials against Argon2id hashes, with a cache of
** verified credentials keyed by a keyed digest (see auth.h for why).
*/
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "auth.h"
#include "../util/ts.h"

struct auth_slot {
	unsigned char digest[crypto_generichash_BYTES];
	int partner;
	int64_t expires; /* µs; 0 = empty */
};

struct auth {
	const struct relto_config *cfg;
	unsigned char key[crypto_generichash_KEYBYTES];
	char dummy_hash[crypto_pwhash_STRBYTES];
	pthread_mutex_t lock;
	struct auth_slot slots[AUTH_CACHE_SLOTS];
};

enum relto_err auth_hash_password(const char *pass, size_t plen, char out[AUTH_HASH_SIZE], char *err)
{
	_Static_assert(AUTH_HASH_SIZE >= crypto_pwhash_STRBYTES, "hash buffer too small");
	if (sodium_init() < 0)
		return relto_seterr(err, RELTO_EINTERNAL, "libsodium failed to start");
	if (crypto_pwhash_str(out, pass, plen, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return relto_seterr(err, RELTO_ENOMEM, "Argon2id could not get its memory");
	return RELTO_OK;
}

enum relto_err auth_new(const struct relto_config *cfg, struct auth **out, char *err)
{
	if (sodium_init() < 0)
		return relto_seterr(err, RELTO_EINTERNAL, "libsodium failed to start");
	struct auth *a = calloc(1, sizeof(*a));
	if (!a)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	a->cfg = cfg;
	crypto_generichash_keygen(a->key);
	unsigned char junk[32];
	randombytes_buf(junk, sizeof(junk));
	enum relto_err rc = auth_hash_password((const char *)junk, sizeof(junk), a->dummy_hash, err);
	if (rc) {
		free(a);
		return rc;
	}
	pthread_mutex_init(&a->lock, NULL);
	*out = a;
	return RELTO_OK;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	pthread_mutex_destroy(&a->lock);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

void auth_flush(struct auth *a)
{
	pthread_mutex_lock(&a->lock);
	memset(a->slots, 0, sizeof(a->slots));
	pthread_mutex_unlock(&a->lock);
}

static void digest_of(const struct auth *a, const char *user, size_t ulen, const char *pass,
                      size_t plen, unsigned char out[crypto_generichash_BYTES])
{
	crypto_generichash_state st;
	unsigned char lens[16];
	/* Lengths first, so ("ab","c") and ("a","bc") never collide. */
	for (int i = 0; i < 8; i++) {
		lens[i] = (unsigned char)((uint64_t)ulen >> (8 * i));
		lens[8 + i] = (unsigned char)((uint64_t)plen >> (8 * i));
	}
	crypto_generichash_init(&st, a->key, sizeof(a->key), crypto_generichash_BYTES);
	crypto_generichash_update(&st, lens, sizeof(lens));
	crypto_generichash_update(&st, (const unsigned char *)user, ulen);
	crypto_generichash_update(&st, (const unsigned char *)pass, plen);
	crypto_generichash_final(&st, out, crypto_generichash_BYTES);
}

static int cache_lookup(struct auth *a, const unsigned char *d, int64_t now)
{
	struct auth_slot *s = &a->slots[(d[0] | d[1] << 8) % AUTH_CACHE_SLOTS];
	int partner = -1;
	pthread_mutex_lock(&a->lock);
	if (s->expires > now && sodium_memcmp(s->digest, d, crypto_generichash_BYTES) == 0)
		partner = s->partner;
	pthread_mutex_unlock(&a->lock);
	return partner;
}

static void cache_store(struct auth *a, const unsigned char *d, int partner, int64_t now)
{
	struct auth_slot *s = &a->slots[(d[0] | d[1] << 8) % AUTH_CACHE_SLOTS];
	pthread_mutex_lock(&a->lock);
	memcpy(s->digest, d, crypto_generichash_BYTES);
	s->partner = partner;
	s->expires = now + AUTH_CACHE_TTL * INT64_C(1000000);
	pthread_mutex_unlock(&a->lock);
}

enum relto_err auth_check(struct auth *a, const char *user, size_t ulen,
                          const char *pass, size_t plen, int *partner)
{
	unsigned char d[crypto_generichash_BYTES];
	int64_t now = ts_now();
	digest_of(a, user, ulen, pass, plen, d);
	int p = cache_lookup(a, d, now);
	if (p >= 0) {
		*partner = p;
		return RELTO_OK;
	}
	p = -1;
	for (size_t i = 0; i < a->cfg->npartners; i++) {
		const char *id = a->cfg->partners[i].id;
		if (strlen(id) == ulen && memcmp(id, user, ulen) == 0)
			p = (int)i;
	}
	/* A login without a password (certificate only) costs the same as any. */
	const char *hash = p >= 0 && a->cfg->partners[p].password_hash ? a->cfg->partners[p].password_hash
	                                                               : a->dummy_hash;
	int ok = crypto_pwhash_str_verify(hash, pass, plen) == 0;
	if (!ok || p < 0 || !a->cfg->partners[p].password_hash)
		return RELTO_EUNAUTH;
	cache_store(a, d, p, now);
	*partner = p;
	return RELTO_OK;
}
