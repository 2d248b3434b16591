/*
** auth.h: who is asking.  Checks HTTP Basic credentials and API tokens
** against Argon2id hashes, paying the Argon2id cost once per credential
** rather than once per request (DESIGN.md decision 8).
**
** Credentials: a partner's password is its newest stored password in
** force (`relto credential add|rotate`), else the password_hash of the
** configuration unless that was revoked ("config:PARTNER").  API tokens
** ("relto_tk<16 hex>_<secret>", HTTP Bearer) are stored only; their id
** finds the hash, the whole token is what is hashed.
**
** A verified credential is remembered for AUTH_CACHE_TTL seconds under a
** keyed BLAKE2b digest of what was presented (the key is random per
** process, the secret itself is never kept).  A failed check is never
** remembered, so every wrong password costs the full Argon2id
** verification, and an unknown user costs the same as a known one (it is
** checked against a dummy hash), so timing tells nothing.  The cache is
** bounded (AUTH_CACHE_SLOTS entries) and flushed by auth_flush().
**
** Threading: one `struct auth` per server, shared; all calls are
** thread-safe.  Ownership: auth borrows the config, which must outlive it.
*/
#ifndef RELTO_AUTH_H
#define RELTO_AUTH_H

#include <stddef.h>
#include "../relto.h"
#include "../config/config.h"

#define AUTH_CACHE_SLOTS 4096
#define AUTH_CACHE_TTL 300

struct auth;

/* RELTO_OK and *out; RELTO_EINTERNAL if libsodium cannot start;
** RELTO_ENOMEM. */
enum relto_err auth_new(const struct relto_config *cfg, struct auth **out, char *err);
void auth_free(struct auth *a);

/* Check user/pass (lengths given; need not be NUL-terminated).
** RELTO_OK and *partner = index into cfg->partners; RELTO_EUNAUTH for any
** failure (which one is deliberately not said). */
enum relto_err auth_check(struct auth *a, const char *user, size_t ulen,
                          const char *pass, size_t plen, int *partner);

/* The id of the password partner logs in with now, for the audit trail:
** a stored credential's ("pw_..."), else "config:PARTNER".  Never the
** secret.  Thread-safe. */
void auth_password_id(struct auth *a, int partner, char *out, size_t size);

/* Check an API token (len bytes).  RELTO_OK and *partner; RELTO_EUNAUTH. */
enum relto_err auth_check_token(struct auth *a, const char *token, size_t len, int *partner);

/* Load the stored credentials (store.h) and forget every remembered
** verification, so a rotated or revoked credential fails on its next
** request.  On failure the credentials in force stay.  RELTO_OK;
** RELTO_ESTORE; RELTO_ENOMEM. */
struct store_conn;
enum relto_err auth_load_stored(struct auth *a, struct store_conn *c, char *err);

/* Forget every remembered credential (on rotation or revocation). */
void auth_flush(struct auth *a);

/* A new API token for credential id `id` ("tk" and 16 hex digits):
** "relto_<id>_<43 random base64url characters>".  out: AUTH_TOKEN_SIZE. */
#define AUTH_TOKEN_SIZE 96
void auth_new_token(const char *id, char out[AUTH_TOKEN_SIZE]);
/* A new credential id: prefix ("pw" or "tk") and 16 random hex digits. */
void auth_new_id(const char *prefix, char out[32]);

/* Hash a password for a config file (Argon2id, libsodium's interactive
** limits).  out gets the "$argon2id$..." string (crypto_pwhash_STRBYTES).
** RELTO_OK; RELTO_ENOMEM if the hash cannot get its memory. */
#define AUTH_HASH_SIZE 128
enum relto_err auth_hash_password(const char *pass, size_t plen, char out[AUTH_HASH_SIZE], char *err);

#endif
