/*
** auth.c: Basic credentials against Argon2id hashes, with a cache of
** verified credentials keyed by a keyed digest (see auth.h for why).
*/
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "auth.h"
#include "../store/store.h"
#include "../util/ts.h"

struct auth_slot {
	unsigned char digest[crypto_generichash_BYTES];
	int partner;
	int64_t expires; /* µs; 0 = empty */
};

struct token {
	char id[32];
	int partner;
	char hash[crypto_pwhash_STRBYTES];
};

/* The stored credentials as the checks use them (auth_load_stored). */
struct stored {
	char (*password)[crypto_pwhash_STRBYTES]; /* per partner: "" = none stored */
	char (*password_id)[32];                  /* per partner: its credential id */
	unsigned char *config_revoked;            /* per partner */
	struct token *tokens;
	size_t ntokens, room;
};

struct auth {
	const struct relto_config *cfg;
	unsigned char key[crypto_generichash_KEYBYTES];
	char dummy_hash[crypto_pwhash_STRBYTES];
	pthread_mutex_t lock;     /* guards slots, stored and gen */
	struct stored stored;
	uint64_t gen;             /* bumped by every flush: a verification begun
	                          ** before one is not remembered after it */
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

static void stored_free(struct stored *st)
{
	free(st->password);
	free(st->password_id);
	free(st->config_revoked);
	if (st->tokens)
		sodium_memzero(st->tokens, st->room * sizeof(*st->tokens));
	free(st->tokens);
	memset(st, 0, sizeof(*st));
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	stored_free(&a->stored);
	pthread_mutex_destroy(&a->lock);
	sodium_memzero(a, sizeof(*a));
	free(a);
}

void auth_flush(struct auth *a)
{
	pthread_mutex_lock(&a->lock);
	memset(a->slots, 0, sizeof(a->slots));
	a->gen++;
	pthread_mutex_unlock(&a->lock);
}

struct load_ctx {
	const struct relto_config *cfg;
	struct stored st;
};

static enum relto_err keep_credential(void *ctx, const struct store_credential *cr)
{
	struct load_ctx *l = ctx;
	int p = config_find_partner(l->cfg, cr->partner);
	if (p < 0)
		return RELTO_OK; /* a login the configuration no longer has */
	if (strncmp(cr->id, "config:", 7) == 0) {
		l->st.config_revoked[p] = cr->revoked != 0;
		return RELTO_OK;
	}
	if (cr->revoked || strlen(cr->hash) >= crypto_pwhash_STRBYTES)
		return RELTO_OK;
	if (strcmp(cr->kind, "password") == 0) {
		/* Oldest first: the newest password in force wins. */
		snprintf(l->st.password[p], crypto_pwhash_STRBYTES, "%s", cr->hash);
		snprintf(l->st.password_id[p], sizeof(l->st.password_id[p]), "%s", cr->id);
		return RELTO_OK;
	}
	if (strcmp(cr->kind, "token") != 0 || strlen(cr->id) >= sizeof(l->st.tokens->id))
		return RELTO_OK;
	if (l->st.ntokens == l->st.room) {
		size_t room = l->st.room ? l->st.room * 2 : 16;
		struct token *t = calloc(room, sizeof(*t));
		if (!t)
			return RELTO_ENOMEM;
		if (l->st.tokens)
			memcpy(t, l->st.tokens, l->st.ntokens * sizeof(*t));
		free(l->st.tokens);
		l->st.tokens = t;
		l->st.room = room;
	}
	struct token *t = &l->st.tokens[l->st.ntokens++];
	snprintf(t->id, sizeof(t->id), "%s", cr->id);
	snprintf(t->hash, sizeof(t->hash), "%s", cr->hash);
	t->partner = p;
	return RELTO_OK;
}

enum relto_err auth_load_stored(struct auth *a, struct store_conn *c, char *err)
{
	size_t np = a->cfg->npartners;
	struct load_ctx l = {.cfg = a->cfg};
	l.st.password = calloc(np + 1, sizeof(*l.st.password));
	l.st.password_id = calloc(np + 1, sizeof(*l.st.password_id));
	l.st.config_revoked = calloc(np + 1, 1);
	enum relto_err rc = l.st.password && l.st.password_id && l.st.config_revoked ? RELTO_OK : RELTO_ENOMEM;
	if (!rc)
		rc = store_credentials(c, keep_credential, &l, err);
	if (rc) {
		stored_free(&l.st);
		return rc == RELTO_ENOMEM ? relto_seterr(err, rc, "out of memory") : rc;
	}
	pthread_mutex_lock(&a->lock);
	struct stored old = a->stored;
	a->stored = l.st;
	memset(a->slots, 0, sizeof(a->slots));
	a->gen++;
	pthread_mutex_unlock(&a->lock);
	stored_free(&old);
	return RELTO_OK;
}

void auth_new_id(const char *prefix, char out[32])
{
	unsigned char r[8];
	char hex[17];
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
	snprintf(out, 32, "%s%s", prefix, hex);
}

void auth_new_token(const char *id, char out[AUTH_TOKEN_SIZE])
{
	unsigned char r[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	randombytes_buf(r, sizeof(r));
	sodium_bin2base64(b64, sizeof(b64), r, sizeof(r), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(r, sizeof(r));
	snprintf(out, AUTH_TOKEN_SIZE, "relto_%s_%s", id, b64);
	sodium_memzero(b64, sizeof(b64));
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

/* Remember a verification, unless the credentials changed since it
** began (gen): it may have been of a credential revoked meanwhile. */
static void cache_store(struct auth *a, const unsigned char *d, int partner, int64_t now, uint64_t gen)
{
	struct auth_slot *s = &a->slots[(d[0] | d[1] << 8) % AUTH_CACHE_SLOTS];
	pthread_mutex_lock(&a->lock);
	if (gen == a->gen) {
		memcpy(s->digest, d, crypto_generichash_BYTES);
		s->partner = partner;
		s->expires = now + AUTH_CACHE_TTL * INT64_C(1000000);
	}
	pthread_mutex_unlock(&a->lock);
}

/* Verify pass against hash (dummy when NULL: the same cost either way). */
static int verify(const struct auth *a, const char *hash, const char *pass, size_t plen)
{
	int ok = crypto_pwhash_str_verify(hash ? hash : a->dummy_hash, pass, plen) == 0;
	return ok && hash;
}

enum relto_err auth_check_token(struct auth *a, const char *token, size_t len, int *partner)
{
	unsigned char d[crypto_generichash_BYTES];
	int64_t now = ts_now();
	digest_of(a, "\0token", 6, token, len, d);
	int p = cache_lookup(a, d, now);
	if (p >= 0) {
		*partner = p;
		return RELTO_OK;
	}
	/* relto_<id>_<secret>: the id finds the hash. */
	char id[32] = "", hash[crypto_pwhash_STRBYTES] = "";
	const char *us = len > 6 && memcmp(token, "relto_", 6) == 0 ? memchr(token + 6, '_', len - 6) : NULL;
	size_t idlen = us ? (size_t)(us - token - 6) : 0;
	if (idlen && idlen < sizeof(id))
		memcpy(id, token + 6, idlen);
	pthread_mutex_lock(&a->lock);
	uint64_t gen = a->gen;
	p = -1;
	for (size_t i = 0; id[0] && i < a->stored.ntokens; i++)
		if (strcmp(a->stored.tokens[i].id, id) == 0) {
			p = a->stored.tokens[i].partner;
			memcpy(hash, a->stored.tokens[i].hash, sizeof(hash));
		}
	pthread_mutex_unlock(&a->lock);
	int ok = verify(a, p >= 0 ? hash : NULL, token, len);
	sodium_memzero(hash, sizeof(hash));
	if (!ok)
		return RELTO_EUNAUTH;
	cache_store(a, d, p, now, gen);
	*partner = p;
	return RELTO_OK;
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
	/* The partner's password in force: stored, else configured (unless
	** revoked).  A login without one (certificate only, revoked) or an
	** unknown login costs the same: the dummy hash. */
	char hash[crypto_pwhash_STRBYTES] = "";
	pthread_mutex_lock(&a->lock);
	uint64_t gen = a->gen;
	if (p >= 0 && a->stored.password && a->stored.password[p][0])
		memcpy(hash, a->stored.password[p], sizeof(hash));
	else if (p >= 0 && a->cfg->partners[p].password_hash && !(a->stored.config_revoked && a->stored.config_revoked[p]))
		snprintf(hash, sizeof(hash), "%s", a->cfg->partners[p].password_hash);
	pthread_mutex_unlock(&a->lock);
	int ok = verify(a, hash[0] ? hash : NULL, pass, plen);
	if (!ok || p < 0)
		return RELTO_EUNAUTH;
	cache_store(a, d, p, now, gen);
	*partner = p;
	return RELTO_OK;
}

void auth_password_id(struct auth *a, int partner, char *out, size_t size)
{
	pthread_mutex_lock(&a->lock);
	if (partner >= 0 && (size_t)partner < a->cfg->npartners && a->stored.password && a->stored.password[partner][0])
		snprintf(out, size, "%s", a->stored.password_id[partner]);
	else if (partner >= 0 && (size_t)partner < a->cfg->npartners)
		snprintf(out, size, "config:%s", a->cfg->partners[partner].id);
	else if (size)
		out[0] = '\0';
	pthread_mutex_unlock(&a->lock);
}
