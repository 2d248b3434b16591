/*
** pagecache.h: a bounded cache of finished answers to object, manifest and
** version pages, so that a page asked for again (partners polling the
** same feed, a benchmark) is sent like a static file: no store query, no
** copying.
**
** An entry is valid for the generation it was made at: the server bumps
** its generation after every write it makes (POST, DELETE) and will on
** every policy or posture change, so nothing stale is ever served for
** writes made through this process.  Writes made by another process on
** the same store (`relto import` beside `relto serve`) become visible
** when an entry expires, PAGECACHE_TTL_US after it was made.
**
** The key is a digest of everything the answer depends on: the partner,
** the path and every query parameter.  Entries hold libmicrohttpd
** responses, which are reference-counted, so an entry evicted while it is
** being sent stays alive until the send ends.
**
** Threading: all calls are thread-safe (one mutex, held only to look up
** or replace a slot).  Ownership: pagecache_free() drops the cache's
** references.  A cache of max_bytes 0 stores nothing.
*/
#ifndef RELTO_PAGECACHE_H
#define RELTO_PAGECACHE_H

#include <microhttpd.h>
#include <stdint.h>
#include "../relto.h"

#define PAGECACHE_KEY_LEN 32
#define PAGECACHE_TTL_US 1000000
#define PAGECACHE_SLOTS 1024

struct pagecache;

/* RELTO_OK and *out; RELTO_ENOMEM. */
enum relto_err pagecache_new(size_t max_bytes, struct pagecache **out);
void pagecache_free(struct pagecache *pc);

/* What is remembered about a cached answer besides its bytes. */
struct pagecache_tag {
	uint64_t snapshot;        /* the decision snapshot it was made with */
	size_t served;            /* objects or entries in it */
};

/* If a fresh answer for key at generation gen is cached, queue it on conn
** as a 200 and return 1 (*ret is libmicrohttpd's result, *tag what was
** remembered with it); else 0. */
int pagecache_serve(struct pagecache *pc, struct MHD_Connection *conn,
                    const unsigned char key[PAGECACHE_KEY_LEN], uint64_t gen,
                    enum MHD_Result *ret, struct pagecache_tag *tag);

/* Keep resp (a 200 answer of size body bytes, already queued by the
** caller) and its tag under key for generation gen.  Returns 1 when the cache took
** over the caller's reference to resp (the caller must not destroy it),
** 0 when the entry did not fit (the caller destroys resp as usual).
** libmicrohttpd 0.9.75 has no call to add a reference, hence the hand
** over.  Cannot fail. */
int pagecache_put(struct pagecache *pc, const unsigned char key[PAGECACHE_KEY_LEN], uint64_t gen,
                  const struct pagecache_tag *tag, struct MHD_Response *resp, size_t size);

#endif
