/*
** cursor.h: `next` tokens for keyset pagination (DESIGN.md decision 5).
**
** A token names the last row of the page it continues from,
** (date_added, seq), and is bound to the query it came from by the
** query's fingerprint.  It is authenticated with a keyed BLAKE2b MAC
** under a secret kept in the store, so every relto process on the same
** store accepts the others' tokens (load balancers) while a client can
** neither forge nor edit one.  Tokens hold no state on the server and
** never expire; URL-safe base64, no padding.
**
** Threading: pure functions.  Errors: RELTO_EINVAL for any token that is
** malformed, tampered with, or from another query (err says which
** without revealing the key).
*/
#ifndef RELTO_TAXII_CURSOR_H
#define RELTO_TAXII_CURSOR_H

#include <stdint.h>
#include "../relto.h"
#include "../store/store.h"
#include "query.h"

#define CURSOR_TOKEN_SIZE 64 /* room for a token and its NUL */

/* Make a token continuing after (date_added, seq).  Cannot fail. */
void cursor_make(const unsigned char key[STORE_SECRET_LEN],
                 const unsigned char fingerprint[QUERY_FINGERPRINT_LEN],
                 int64_t date_added, int64_t seq, char out[CURSOR_TOKEN_SIZE]);

/* Read token back.  RELTO_OK and the position; RELTO_EINVAL. */
enum relto_err cursor_read(const unsigned char key[STORE_SECRET_LEN],
                           const unsigned char fingerprint[QUERY_FINGERPRINT_LEN],
                           const char *token, int64_t *date_added, int64_t *seq, char *err);

#endif
