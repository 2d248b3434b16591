/*
** store.h: the store interface (DESIGN.md decision 6).  Everything relto
** keeps lives behind it: objects as the exact bytes that arrived, their
** interned marking sets, status resources, and the server's persistent
** secrets.  Backends: SQLite (store_sqlite.c) and PostgreSQL
** (store_pg.c, through libpq), behind the same table of functions.
**
** Objects.  Each stored row is one version of one object in one
** collection: (collection, id, version) is unique.  date_added is the
** server's time of arrival in µs and is strictly increasing within a
** store, so it orders rows; `seq` breaks ties for backends where several
** writers may pick the same µs.  Pages are keyset pages over
** (date_added, seq): their cost does not depend on their position.
**
** Threading: one `struct store` per process, shared by all threads.  A
** `struct store_conn` is used by one thread at a time: take one with
** store_conn_get() and give it back with store_conn_put().  An open
** SQLite store runs a thread of its own (the checkpointer): do not fork()
** with a store open, as the child could inherit a lock that thread held
** at that instant; a child process opens the store itself.
** Errors: enum relto_err; `err` (may be NULL) says why.  Backend codes
** (SQLITE_BUSY...) are translated here and never leave store/.
** Ownership: rows passed to callbacks are borrowed for the call only.
*/
#ifndef RELTO_STORE_H
#define RELTO_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"

struct store;
struct store_conn;

/* Open (creating and migrating if needed) the store at url: a path,
** "sqlite:PATH", or a PostgreSQL URI ("postgresql://..." or
** "postgres://...", given to libpq whole; a database whose schema is
** newer than this code is refused).  RELTO_OK and *out; RELTO_ESTORE (err
** says why, never with a password). */
enum relto_err store_open(const char *url, struct store **out, char *err);
/* Close every connection and free.  No connection may be in use.  NULL ok. */
void store_close(struct store *s);

/* The database file a store URL names (a bare path, or sqlite:PATH) into
** out: 1.  0 for a store on a server (postgresql://...), which has no
** file beside which other files (the audit key, journals) could be kept,
** or when the path does not fit.  Never copies a URL that may hold a
** password. */
int store_file_of(const char *url, char *out, size_t size);

/* url as it may be logged or shown: a file's path as it is; a server's
** URL without its user information and parameters, where a password can
** be (postgresql://db.internal:5432/relto).  Cut to fit size. */
void store_url_shown(const char *url, char *out, size_t size);

/* The schema version the database holds (store_open created or migrated
** it: `relto db migrate`) and the newest this relto knows.  RELTO_OK;
** RELTO_ESTORE. */
enum relto_err store_schema(struct store_conn *c, int64_t *version, int64_t *known, char *err);

/* Borrow a connection (opening one if none is free).  RELTO_ESTORE. */
enum relto_err store_conn_get(struct store *s, struct store_conn **out, char *err);
/* Give it back.  Cannot fail; NULL is a no-op. */
void store_conn_put(struct store *s, struct store_conn *c);

/* A 32-byte secret kept in the store, created at random on first use,
** the same for every process on the store (it keys `next` tokens, so a
** token made by one process works on another).  RELTO_ESTORE. */
#define STORE_SECRET_LEN 32
enum relto_err store_secret(struct store_conn *c, const char *name,
                            unsigned char out[STORE_SECRET_LEN], char *err);

/* The store's key for collection uuid, created if new.  RELTO_ESTORE. */
enum relto_err store_collection(struct store_conn *c, const char *uuid, int64_t *out, char *err);

/* ---- writing objects ---- */

/* One object to add. */
struct store_new {
	const char *id, *type, *spec_version;
	int64_t version;          /* µs; ignored when !has_version */
	int has_version;          /* 0: versioned by date_added (SCOs) */
	const char *version_text; /* the timestamp text, NULL when !has_version */
	const char *marking_canon; /* canonical marking set, "" for none */
	const char *created_by_ref; /* "" when absent */
	const char *raw;          /* exact bytes */
	size_t raw_len;
	/* The ids this object refers to (stix_refs()): required refs must all
	** be released for the object to be; the others (object_refs) are
	** removed from the served copy when not released. */
	const struct store_ref *refs;
	size_t nrefs;
};

struct store_ref {
	const char *id;
	int required;
};

enum store_put_result { STORE_ADDED = 0, STORE_DUPLICATE = 1 };

/* Add n objects to collection coll in one durable transaction, recording
** posted_by (a partner id) as the submitter.  A row whose (id, version)
** exists already (for unversioned objects: whose id exists) is a
** duplicate and leaves the store unchanged.  results[i] (n entries) and
** date_added[i] (may be NULL) tell what became of each.  When this
** returns RELTO_OK every added row is on disk; on any error nothing of
** the batch was added (RELTO_ESTORE, err says why; RELTO_ETOOBIG for an
** object over 2 GiB). */
enum relto_err store_put(struct store_conn *c, int64_t coll, const char *posted_by,
                         const struct store_new *objs, size_t n,
                         enum store_put_result *results, int64_t *date_added, char *err);

/* ---- reading objects ---- */

/* Which versions of each object a query returns (TAXII match[version]). */
struct store_versions {
	int all;                  /* every version (the other fields ignored) */
	int first, last;          /* the earliest / latest version */
	const int64_t *at;        /* versions equal to these µs values */
	size_t nat;
};

/* Releasability (DESIGN.md decision 4: withheld means invisible).  When
** `on`, a row exists for a query or a delete only if it was posted by
** `originator`, or its marking set is among `sets` and every object it
** requires (stix_refs) is visible (two levels deep; deeper counts as not
** visible) and, if it has optional references, one of them is;
** "first"/"last" mean the first/last *visible* version; and rows report
** in `hidden_refs` which optional references are not visible. */
struct store_visibility {
	int on;
	const int64_t *sets;      /* released marking sets */
	size_t nsets;
	const char *originator;   /* the partner asking */
	/* When at most this many sets are released (0: never), a query
	** without match[id] walks each of them, and the partner's own rows,
	** apart and merges the walks by date, so that the rows of the other
	** sets are not read (SQLite; at most 16).  It gives the same rows
	** and counts; what it costs is one walk per set, so it pays for a
	** partner that may receive few sets. */
	size_t set_walks;
};

/* What relto asks for (set_walks). */
#define STORE_SET_WALKS 8

/* With a visibility filter, the rows a query passed over because they are
** not visible, counted by marking set: rows that match every other filter
** (and, when the first or last version is asked for, are the first or
** last version).  Complete when the query returns: the rows from the
** start of the range to its end or, when the query gave q->limit rows,
** to the row given before the last (a page asks for one row more than
** it serves, to know there are more; the next page starts after the row
** before it, and counts what lies between).  For the audit trail:
** withheld objects are counted, never named.  by_set holds the
** STORE_WITHHELD_SETS lowest-numbered sets met, in set order, `other` the
** rest: the same counts in the same order whatever order a backend, or a
** way of walking, meets rows in (store_withheld_add; when it kept the
** first sets met, the trail of a page passing over more sets depended on
** the walk). */
#define STORE_WITHHELD_SETS 32
struct store_withheld {
	size_t n;
	struct store_withheld_set {
		int64_t set, count;
	} by_set[STORE_WITHHELD_SETS];
	int64_t other;            /* in sets numbered above those of by_set */
};

/* Count n withheld rows of marking set `set` into w. */
void store_withheld_add(struct store_withheld *w, int64_t set, int64_t n);

struct store_query {
	int64_t coll;
	int64_t added_after;      /* only rows added after this µs ... */
	int has_added_after;      /* ... when set */
	const char *const *ids;   /* match[id]: any of these (nids 0: all) */
	size_t nids;
	const char *const *types; /* match[type] */
	size_t ntypes;
	const char *const *spec_versions; /* match[spec_version] (0: all) */
	size_t nspec_versions;
	struct store_versions versions;
	/* Keyset cursor: only rows after (after_date_added, after_seq). */
	int has_cursor;
	int64_t after_date_added, after_seq;
	size_t limit;             /* at most this many rows (>= 1) */
	struct store_visibility vis;
	struct store_withheld *withheld; /* NULL: not counted */
	int with_entries;         /* also fill entry (the audit trail's) */
};

/* One row as a query yields it.  A query for bytes (with_raw) fills raw
** and leaves id, version_text and spec_version NULL; one without fills
** those and leaves raw NULL (each costs decoding per row). */
struct store_row {
	int64_t seq, date_added, version;
	const char *id;
	const char *version_text; /* the version as the object wrote it; NULL
	                             for unversioned objects (use version) */
	const char *spec_version;
	/* With with_entries: the row's entry in a released list, kept with it
	** since ingest: its SHA-256, then its text (audit/entry.h). */
	const void *entry;
	size_t entry_len;
	const char *raw;
	size_t raw_len;
	int64_t marking_set;
	/* With a visibility filter: a JSON list of the row's optional
	** references that are not visible ("[]" or NULL when none). */
	const char *hidden_refs;
	int own;                  /* with a visibility filter: posted by the partner */
};

typedef enum relto_err (*store_row_fn)(void *ctx, const struct store_row *row);

/* Call fn for each row matching q, in (date_added, seq) order, at most
** q->limit rows.  with_raw: also read the stored bytes (manifests and
** version lists do not need them).  RELTO_OK; RELTO_ESTORE; or fn's code
** (which stops the walk). */
enum relto_err store_query(struct store_conn *c, const struct store_query *q, int with_raw,
                           store_row_fn fn, void *ctx, char *err);

/* Delete the versions of object id in coll selected by v and
** spec_versions, among those visible through vis (NULL: all): a partner
** can never delete, or learn of, a version withheld from it.
** *deleted = rows removed (0 when none matched).  RELTO_OK; RELTO_ESTORE. */
enum relto_err store_delete(struct store_conn *c, int64_t coll, const char *id,
                            const struct store_versions *v, const char *const *spec_versions,
                            size_t nspec_versions, const struct store_visibility *vis, size_t *deleted,
                            char *err);

/* Number of object versions in coll (for the demo's start-up summary). */
enum relto_err store_count(struct store_conn *c, int64_t coll, int64_t *out, char *err);

/* ---- what releasability reads ---- */

/* Call fn for every interned marking set, in ascending number order
** (0 is the empty set, canon "").  RELTO_OK; RELTO_ESTORE; fn's code. */
typedef enum relto_err (*store_set_fn)(void *ctx, int64_t num, const char *canon);
enum relto_err store_marking_sets(struct store_conn *c, store_set_fn fn, void *ctx, char *err);

/* Call fn with the stored bytes of the latest version of every
** marking-definition object in the store (any collection).  RELTO_OK;
** RELTO_ESTORE; fn's code. */
typedef enum relto_err (*store_def_fn)(void *ctx, const char *id, const char *raw, size_t len);
enum relto_err store_marking_definitions(struct store_conn *c, store_def_fn fn, void *ctx, char *err);

/* Call fn with the latest version of object id in every collection that
** holds it (collection key, posted_by, bytes).  RELTO_OK (fn may not have
** been called); RELTO_ESTORE; fn's code. */
typedef enum relto_err (*store_found_fn)(void *ctx, int64_t coll, const char *posted_by, const char *raw,
                                         size_t len);
enum relto_err store_find_object(struct store_conn *c, const char *id, store_found_fn fn, void *ctx, char *err);

/* ---- versioned rules: posture and policy documents ---- */

/* One version of a rules document ("posture" or "policy"). */
struct store_rules {
	int64_t version;          /* 1, 2, ... per kind */
	int64_t at;               /* µs */
	char *author, *reason, *body; /* heap; store_rules_clear frees */
};
void store_rules_clear(struct store_rules *r);

/* Keep body as the next version of kind, with who and why, in one
** durable transaction; *version gets its number.  expect >= 0: only if
** the latest stored version is `expect` (0: none stored), so that a
** change computed against one version never silently overwrites another
** made meanwhile (RELTO_ECONFLICT); expect < 0: unconditionally.
** RELTO_OK; RELTO_ECONFLICT; RELTO_ESTORE. */
enum relto_err store_rules_put(struct store_conn *c, const char *kind, const char *author, const char *reason,
                               const char *body, int64_t expect, int64_t *version, char *err);
/* Version `version` of kind (0: the latest) into *out.  RELTO_OK;
** RELTO_ENOTFOUND when there is none; RELTO_ESTORE. */
enum relto_err store_rules_get(struct store_conn *c, const char *kind, int64_t version, struct store_rules *out,
                               char *err);
/* Call fn for every version of kind, oldest first (body not loaded:
** NULL).  RELTO_OK; RELTO_ESTORE; fn's code. */
typedef enum relto_err (*store_rules_fn)(void *ctx, const struct store_rules *r);
enum relto_err store_rules_log(struct store_conn *c, const char *kind, store_rules_fn fn, void *ctx, char *err);

/* What every request checks before it is decided: the latest stored
** version of each rules kind (0: none) and the number of credential
** changes so far.  Cheap when nothing was committed since this connection
** last looked (SQLite: PRAGMA data_version, a shared-memory read;
** PostgreSQL: one small query each time), so a change stored by any
** process applies to the next request.
** RELTO_OK; RELTO_ESTORE. */
struct store_heads {
	int64_t posture, policy;
	int64_t credentials;
};
enum relto_err store_heads(struct store_conn *c, struct store_heads *out, char *err);

/* ---- watching for changes other processes commit ----
**
** store_heads is the guarantee (every request reads it); a watch makes
** other processes' changes known at once, before any request comes, so
** a server can rebuild its decisions ahead of time and drop cached pages
** that another process's objects made stale.
**
** Every transaction that changes the rules, the credentials, or the
** objects (added or deleted; the marking sets and definitions that come
** with them) announces it, and the announcement is delivered when, and
** only if, it commits (PostgreSQL: pg_notify on channel relto_changes,
** payload "KIND ORIGIN").  A watch reports the kinds committed through
** any other `struct store` (another process, or another store_open in
** this one); changes made through the store it was opened on are left
** out, as that store's user knows of them already.
**
** A watch is one connection of its own, used by one thread at a time:
** poll store_watch_fd() for reading, with store_watch_timeout_ms() as
** the timeout, and call store_watch_read() when either says so.  If the
** connection is lost, read says so once (RELTO_ESTORE), then reconnects
** with growing pauses (100 ms doubling up to 10 s; one attempt may take
** up to 10 s, libpq's connect_timeout unless the URL sets one); after a
** reconnect it reports STORE_CHANGED_ALL, as announcements made while
** it was away are lost.  SQLite has no watch (RELTO_EUNSUPPORTED): a
** server on SQLite reads PRAGMA data_version per request and lets
** cached pages expire. */

#define STORE_CHANGED_RULES 1u       /* a posture or policy version stored */
#define STORE_CHANGED_CREDENTIALS 2u /* a credential added, rotated or revoked */
#define STORE_CHANGED_OBJECTS 4u     /* objects added or deleted */
#define STORE_CHANGED_ALL 7u         /* anything may have changed */

struct store_watch;

/* Open a watch on s: its own connection, listening before this returns
** (so nothing committed after it is missed).  RELTO_OK and *out (close
** with store_watch_close); RELTO_EUNSUPPORTED for a backend that cannot
** be watched (SQLite), *out untouched; RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err store_watch_open(struct store *s, struct store_watch **out, char *err);
/* The descriptor to poll for reading; -1 while the connection is lost
** (wait for the timeout).  It may change after each store_watch_read. */
int store_watch_fd(const struct store_watch *w);
/* Milliseconds until store_watch_read should be called even though the
** descriptor is not readable: -1 (none: wait for the descriptor), or the
** time to the next reconnect attempt (0: now). */
int store_watch_timeout_ms(const struct store_watch *w);
/* Consume every announcement that has arrived, without waiting, and set
** *changed to the STORE_CHANGED_ bits of the kinds other stores
** committed (0: none; an announcement of a kind this relto does not know
** counts as STORE_CHANGED_ALL); reconnect when a reconnect is due.
** RELTO_OK; RELTO_ESTORE when the connection was just lost or a
** reconnect failed (*changed is 0; err says why, never with a password;
** keep polling: the next attempt comes after the timeout). */
enum relto_err store_watch_read(struct store_watch *w, unsigned *changed, char *err);
/* Close the watch's connection and free it.  NULL is a no-op. */
void store_watch_close(struct store_watch *w);

/* ---- credentials: passwords and API tokens, as Argon2id hashes ---- */

struct store_credential {
	char *id;                 /* "pw_1a2b...", "tk_...", or "config:PARTNER" */
	char *partner;
	char *kind;               /* "password" or "token" */
	char *hash;               /* Argon2id string; "" for a revoked configured password */
	char *note;
	int64_t created, revoked; /* µs; revoked 0: in force */
};
void store_credential_clear(struct store_credential *cr);

/* Add cr (its id new), or with revoke_id set, also revoke that one in
** the same transaction (a rotation).  Every change counts in
** store_heads().credentials.  RELTO_OK; RELTO_ECONFLICT (id exists);
** RELTO_ENOTFOUND (revoke_id unknown or revoked); RELTO_ESTORE. */
enum relto_err store_credential_put(struct store_conn *c, const struct store_credential *cr, const char *revoke_id,
                                    char *err);
/* Revoke id from now on.  RELTO_OK; RELTO_ENOTFOUND (unknown, or revoked
** already); RELTO_ESTORE.  "config:PARTNER" ids are created revoked when
** absent, so a configured password can be revoked too. */
enum relto_err store_credential_revoke(struct store_conn *c, const char *id, const char *partner, char *err);
/* Call fn for every credential, oldest first.  RELTO_OK; RELTO_ESTORE;
** fn's code. */
typedef enum relto_err (*store_credential_fn)(void *ctx, const struct store_credential *cr);
enum relto_err store_credentials(struct store_conn *c, store_credential_fn fn, void *ctx, char *err);

/* ---- what the impact report counts ---- */

/* Call fn for every (collection, marking set, submitter) with the number
** of objects whose latest version is in it.  RELTO_OK; RELTO_ESTORE;
** fn's code. */
typedef enum relto_err (*store_setcount_fn)(void *ctx, int64_t coll, int64_t set, const char *posted_by,
                                            int64_t n);
enum relto_err store_set_counts(struct store_conn *c, store_setcount_fn fn, void *ctx, char *err);

/* ---- status resources ---- */

/* Keep the status resource `json` (its TAXII JSON text) under id, owned
** by partner (only that partner may read it back).  RELTO_ESTORE. */
enum relto_err store_status_put(struct store_conn *c, const char *id, const char *partner,
                                const char *json, char *err);
/* Read it back: *json is malloc'd (caller frees).  RELTO_ENOTFOUND when no
** such status exists or it belongs to another partner; RELTO_ESTORE. */
enum relto_err store_status_get(struct store_conn *c, const char *id, const char *partner,
                                char **json, char *err);

/* ---- the audit trail's storage (audit/audit.h makes and checks it) ----
**
** Records, the lists they name, and signed checkpoints, kept apart from
** the objects (SQLite: files of their own, STORE.audit-records and
** STORE.audit; PostgreSQL: tables of their own, on a connection of their
** own) so that writing the trail never waits for an ingest and an ingest
** never waits for the trail.  A trail handle is one connection, used by
** one thread at a time.  Appending is one transaction: store_trail_begin
** (which gives the newest record, so several writers, even in several
** processes, make one chain), store_trail_add..., store_trail_end.
** A record's body is one line of JSON starting {"seq":N,"at":"...",
** "type":"...","partner":"...", as audit_body_* and the writer make it,
** and naming its released list as "released":{...,"list":"HEX"}: a
** backend may select records by what their body says (SQLite does);
** the other fields of store_trail_record are copies it may keep. */

#define STORE_HASH_LEN 32

struct store_trail;

struct store_trail_record {
	int64_t seq, at;          /* at: µs */
	const char *type, *partner;
	const char *body;         /* the record's exact bytes (JSON) */
	size_t len;
	/* columns: hash, at, type, partner and list are kept apart from the
	** body (a table's columns), and must agree with it.  0: there are no
	** such copies; hash is zeros (the reader hashes the body), and the
	** other fields, when filled, were read from the body. */
	int columns;
	unsigned char hash[STORE_HASH_LEN];
	int has_list;
	unsigned char list[STORE_HASH_LEN]; /* the released list it names */
};

struct store_trail_checkpoint {
	int64_t seq, at;          /* the record it signs; when (µs) */
	unsigned char hash[STORE_HASH_LEN];
	unsigned char pubkey[32], sig[64];
};

/* RELTO_OK and *out; RELTO_ESTORE. */
enum relto_err store_trail_open(struct store *s, struct store_trail **out, char *err);
void store_trail_close(struct store_trail *t);

/* Begin appending: *seq and hash get the newest record's (0 and zeros for
** an empty trail).  Waits for another writer's transaction.  RELTO_OK;
** RELTO_ESTORE. */
enum relto_err store_trail_begin(struct store_trail *t, int64_t *seq, unsigned char hash[STORE_HASH_LEN],
                                 char *err);
enum relto_err store_trail_add(struct store_trail *t, const struct store_trail_record *r, char *err);
/* The newest record's seq and hash as the trail's head says, outside any
** append (0 and zeros: empty).  RELTO_OK; RELTO_ENOTFOUND when the backend
** keeps no head apart from its records; RELTO_ESTORE. */
enum relto_err store_trail_head(struct store_trail *t, int64_t *seq, unsigned char hash[STORE_HASH_LEN], char *err);
/* Keep a released list under its hash, unless it is there already. */
enum relto_err store_trail_add_list(struct store_trail *t, const unsigned char hash[STORE_HASH_LEN],
                                    const char *body, size_t len, char *err);
enum relto_err store_trail_add_checkpoint(struct store_trail *t, const struct store_trail_checkpoint *cp,
                                          char *err);
/* rc RELTO_OK: commit (on disk when this returns RELTO_OK); otherwise roll
** back and return rc. */
enum relto_err store_trail_end(struct store_trail *t, enum relto_err rc, char *err);

/* Journals (audit.h, durability "os"): how far each process's journal has
** been moved into the trail: the number of its last entry appended
** (0: none).  _put is part of the transaction store_trail_begin began. */
enum relto_err store_trail_journal_get(struct store_trail *t, const char *name, int64_t *last, char *err);
enum relto_err store_trail_journal_put(struct store_trail *t, const char *name, int64_t last, char *err);

/* Which records store_trail_records yields, oldest first. */
struct store_trail_select {
	int64_t from_seq;         /* seq >= this (0: from the start) */
	const char *partner;      /* NULL: any */
	const char *type;         /* NULL: any */
	int64_t since, until;     /* at within [since, until] µs (0: open) */
	const char *list_contains; /* records whose released list holds this text */
	const char *where_json;   /* one of "released", "withheld" or NULL */
	int64_t limit;            /* 0: all */
};
typedef enum relto_err (*store_trail_fn)(void *ctx, const struct store_trail_record *r);
enum relto_err store_trail_records(struct store_trail *t, const struct store_trail_select *sel,
                                   store_trail_fn fn, void *ctx, char *err);
/* The list kept under hash: *body malloc'd (caller frees).  RELTO_OK;
** RELTO_ENOTFOUND; RELTO_ESTORE. */
enum relto_err store_trail_list(struct store_trail *t, const unsigned char hash[STORE_HASH_LEN], char **body,
                                size_t *len, char *err);
/* Every checkpoint, oldest first. */
typedef enum relto_err (*store_checkpoint_fn)(void *ctx, const struct store_trail_checkpoint *cp);
enum relto_err store_trail_checkpoints(struct store_trail *t, store_checkpoint_fn fn, void *ctx, char *err);

#endif
