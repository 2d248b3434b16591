/*
** store_int.h: what store.c and the backends share, and nothing else
** includes.  A backend is one table of functions (Redis's ConnectionType
** habit); store.c picks the backend from the URL and keeps a pool of
** connections.  Every backend connection struct starts with a
** `struct store_conn` so store.c can chain free connections.
*/
#ifndef RELTO_STORE_INT_H
#define RELTO_STORE_INT_H

#include "store.h"
#include "../util/buf.h"

struct store_conn {
	const struct store_ops *ops; /* set by store.c when handed out */
	struct store_conn *next_free;
};

struct store_ops {
	const char *scheme; /* "sqlite" */
	/* Open the shared state (create/migrate the schema). */
	enum relto_err (*open)(const char *target, void **state, char *err);
	void (*close)(void *state);
	enum relto_err (*conn_open)(void *state, struct store_conn **out, char *err);
	void (*conn_close)(struct store_conn *c);

	enum relto_err (*schema)(struct store_conn *c, int64_t *version, int64_t *known, char *err);
	enum relto_err (*secret)(struct store_conn *c, const char *name,
	                         unsigned char out[STORE_SECRET_LEN], char *err);
	enum relto_err (*collection)(struct store_conn *c, const char *uuid, int64_t *out, char *err);
	enum relto_err (*put)(struct store_conn *c, int64_t coll, const char *posted_by,
	                      const struct store_new *objs, size_t n,
	                      enum store_put_result *results, int64_t *date_added, char *err);
	enum relto_err (*query)(struct store_conn *c, const struct store_query *q, int with_raw,
	                        store_row_fn fn, void *ctx, char *err);
	enum relto_err (*del)(struct store_conn *c, int64_t coll, const char *id,
	                      const struct store_versions *v, const char *const *spec_versions,
	                      size_t nspec_versions, const struct store_visibility *vis, size_t *deleted,
	                      char *err);
	enum relto_err (*count)(struct store_conn *c, int64_t coll, int64_t *out, char *err);
	enum relto_err (*marking_sets)(struct store_conn *c, store_set_fn fn, void *ctx, char *err);
	enum relto_err (*marking_definitions)(struct store_conn *c, store_def_fn fn, void *ctx, char *err);
	enum relto_err (*find_object)(struct store_conn *c, const char *id, store_found_fn fn, void *ctx,
	                              char *err);
	enum relto_err (*rules_put)(struct store_conn *c, const char *kind, const char *author, const char *reason,
	                            const char *body, int64_t expect, int64_t *version, char *err);
	enum relto_err (*rules_get)(struct store_conn *c, const char *kind, int64_t version, struct store_rules *out,
	                            char *err);
	enum relto_err (*rules_log)(struct store_conn *c, const char *kind, store_rules_fn fn, void *ctx, char *err);
	enum relto_err (*heads)(struct store_conn *c, struct store_heads *out, char *err);
	enum relto_err (*credential_put)(struct store_conn *c, const struct store_credential *cr, const char *revoke_id,
	                                 char *err);
	enum relto_err (*credential_revoke)(struct store_conn *c, const char *id, const char *partner, char *err);
	enum relto_err (*credentials)(struct store_conn *c, store_credential_fn fn, void *ctx, char *err);
	enum relto_err (*set_counts)(struct store_conn *c, store_setcount_fn fn, void *ctx, char *err);
	enum relto_err (*status_put)(struct store_conn *c, const char *id, const char *partner,
	                             const char *json, char *err);
	enum relto_err (*status_get)(struct store_conn *c, const char *id, const char *partner,
	                             char **json, char *err);
	/* The audit trail (store.h); a trail starts with struct store_trail. */
	enum relto_err (*trail_open)(void *state, struct store_trail **out, char *err);
	/* A watch (store.h), which starts with struct store_watch; NULL: the
	** backend cannot be watched. */
	enum relto_err (*watch_open)(void *state, struct store_watch **out, char *err);
};

struct store_watch_ops {
	int (*fd)(const struct store_watch *w);
	int (*timeout_ms)(const struct store_watch *w);
	enum relto_err (*read)(struct store_watch *w, unsigned *changed, char *err);
	void (*close)(struct store_watch *w);
};

struct store_watch {
	const struct store_watch_ops *ops;
};

struct store_trail_ops {
	void (*close)(struct store_trail *t);
	enum relto_err (*begin)(struct store_trail *t, int64_t *seq, unsigned char hash[STORE_HASH_LEN], char *err);
	enum relto_err (*add)(struct store_trail *t, const struct store_trail_record *r, char *err);
	enum relto_err (*add_list)(struct store_trail *t, const unsigned char hash[STORE_HASH_LEN], const char *body,
	                           size_t len, char *err);
	enum relto_err (*add_checkpoint)(struct store_trail *t, const struct store_trail_checkpoint *cp, char *err);
	enum relto_err (*end)(struct store_trail *t, enum relto_err rc, char *err);
	/* NULL: the backend keeps no head apart from its records. */
	enum relto_err (*head)(struct store_trail *t, int64_t *seq, unsigned char hash[STORE_HASH_LEN], char *err);
	enum relto_err (*records)(struct store_trail *t, const struct store_trail_select *sel, store_trail_fn fn,
	                          void *ctx, char *err);
	enum relto_err (*list)(struct store_trail *t, const unsigned char hash[STORE_HASH_LEN], char **body,
	                       size_t *len, char *err);
	enum relto_err (*checkpoints)(struct store_trail *t, store_checkpoint_fn fn, void *ctx, char *err);
	enum relto_err (*journal_get)(struct store_trail *t, const char *name, int64_t *last, char *err);
	enum relto_err (*journal_put)(struct store_trail *t, const char *name, int64_t last, char *err);
};

struct store_trail {
	const struct store_trail_ops *ops;
};

extern const struct store_ops store_sqlite_ops;

/* Append to b the entry a row keeps for the audit trail (audit/entry.h):
** of id at version_text, or for an unversioned object (version_text
** NULL) at its version (µs), as the trail writes it.  RELTO_OK;
** RELTO_ETOOBIG. */
enum relto_err store__entry(struct buf *b, const char *id, const char *version_text, int64_t version);

/* The place of `set` in v (n pairs in set order): the first pair whose
** set is not below it (n: none).  For store_withheld_add and the counts
** a backend tallies by set. */
size_t store__set_place(const struct store_withheld_set *v, size_t n, int64_t set);

/* The version clause of a query on alias o (nothing for "all"), in a
** backend's dialect: `none` its false literal, `at` what follows
** "o.version" to test it against the version list, and other_visible
** its tests "an earlier version of o's object is visible" ([0]) and "a
** later one is" ([1]) (NULL without a visibility filter).  "Latest" and
** "first" mean the latest and first *visible* version: a row that is not
** is_last (is_first) pays for a probe of its siblings.
** RELTO_OK; RELTO_ETOOBIG. */
enum relto_err store__version_sql(struct buf *sql, const struct store_versions *v, const char *none, const char *at,
                                  const char *const *other_visible);

#endif
