/*
** ingest.h: take a TAXII envelope or STIX bundle, validate every object,
** and add the valid ones to a collection.  POST objects and `relto import`
** both come through here, so both apply exactly the same rules.
**
** One bad object never spoils the others: it is rejected with a message
** and the rest go on.  Objects are written in batches of `batch` objects,
** each batch one durable transaction; when a result callback reports an
** object as added, it is on disk.
**
** Threading: uses the caller's store connection.  Errors: enum relto_err
** for what stops the whole body (malformed JSON, too many objects, store
** failure); per-object problems go to the callback.
*/
#ifndef RELTO_INGEST_H
#define RELTO_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"
#include "../store/store.h"

enum ingest_outcome { INGEST_ADDED, INGEST_DUPLICATE, INGEST_REJECTED };

/* One object's fate.  id: the object's id, or "objects[N]" when it has
** none; version: its version text ("" if unknown); message: why it was
** rejected (NULL otherwise).  Strings are valid for the call only. */
typedef void (*ingest_result_fn)(void *ctx, size_t index, const char *id, const char *version,
                                 enum ingest_outcome outcome, const char *message);

struct ingest_opts {
	size_t batch;        /* objects per transaction (>= 1) */
	size_t max_objects;  /* more objects than this: RELTO_ETOOBIG and nothing
	                        stored (requires batch > max_objects); 0 = no limit */
	const char *posted_by; /* partner id recorded as the submitter */
	/* Called after each stored batch with how far into the body the walk
	** is (bytes); NULL for none.  For progress bars. */
	void (*progress)(void *ctx, size_t done, size_t total);
};

struct ingest_stats {
	size_t total, added, duplicates, rejected;
};

/* RELTO_OK (stats filled, every object reported to fn); RELTO_EINVAL for a
** body that is not a valid envelope/bundle (nothing stored, err says
** where); RELTO_ETOOBIG (nothing stored); RELTO_ESTORE (objects reported
** as added before the failure are stored, the rest are not). */
enum relto_err ingest_body(struct store_conn *c, int64_t coll, const char *body, size_t len,
                           const struct ingest_opts *opts, ingest_result_fn fn, void *ctx,
                           struct ingest_stats *stats, char *err);

#endif
