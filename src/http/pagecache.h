/*
** pagecache.h: a bounded cache of finished answers to object, manifest and
** version pages, so that a page asked for again (partners polling the
** same feed, a benchmark) is sent like a static file: no store query, no
** copying.
**
** An entry is valid for the generation it was made at: the server bumps
** its generation after every write it makes (POST, DELETE) and on every
** policy or posture change or decision rebuild (before the request that
** sees it is decided), so nothing stale is ever served for writes made
** through this process.  Objects another process writes on the same
** store: on PostgreSQL the writer announces its commit (LISTEN/NOTIFY,
** http/watch.h) and the generation is bumped when the announcement
** arrives, a few milliseconds later; on SQLite (`relto import` beside
** `relto serve`), which has no announcements, they become visible when
** an entry expires, PAGECACHE_TTL_US after it was made.  The TTL also
** bounds what a lost announcement can cost.
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
	void *audit;              /* what it released and withheld (owned:
	                          ** freed with audit_free), NULL: none */
	void (*audit_free)(void *);
};

/* A finished answer: a libmicrohttpd response and its tag, reference-
** counted by the cache's lock (libmicrohttpd 0.9.75 has no call to add a
** reference to a response, so entries count their own users: a request
** may hold one across a suspension, while the cache evicts it). */
struct pagecache_entry {
	struct MHD_Response *resp;
	size_t size;
	struct pagecache_tag tag;
	int refs;
};

/* A new entry holding resp (the caller's reference passes to it) and tag
** (its audit passes to it too), with one reference: the caller's.  NULL
** when out of memory (then nothing was taken). */
struct pagecache_entry *pagecache_entry_new(struct MHD_Response *resp, size_t size,
                                            const struct pagecache_tag *tag);
/* Give back a reference; the last one destroys the response.  NULL ok. */
void pagecache_drop(struct pagecache *pc, struct pagecache_entry *e);

/* A fresh entry for key at generation gen, with a reference for the
** caller (pagecache_drop it), or NULL. */
struct pagecache_entry *pagecache_take(struct pagecache *pc, const unsigned char key[PAGECACHE_KEY_LEN],
                                       uint64_t gen);

/* Keep e (a 200 answer) under key for generation gen: the cache takes a
** reference of its own when it fits.  Cannot fail. */
void pagecache_put(struct pagecache *pc, const unsigned char key[PAGECACHE_KEY_LEN], uint64_t gen,
                   struct pagecache_entry *e);

#endif
