/*
** pg_int.h: what the PostgreSQL backend's files share (store_pg.c for
** objects and rules, trail_pg.c for the audit trail): one server
** connection with its cache of prepared statements, typed parameters,
** and reading binary results.  Only src/store/ includes it.
**
** Errors: enum relto_err; `err` gets "postgresql: WHAT: the server's
** message", never the connection string (it may hold a password).
*/
#ifndef RELTO_PG_INT_H
#define RELTO_PG_INT_H

#include <libpq-fe.h>
#include "store_int.h"

#define PG_STMT_CACHE 48
#define PG_MAX_PARAMS 20

/* Built-in type OIDs: fixed by PostgreSQL's catalog (pg_type.dat), so
** they are written here rather than taken from the server's headers. */
enum pg_type {
	PG_BOOL = 16,
	PG_BYTEA = 17,
	PG_INT8 = 20,
	PG_TEXT = 25,
	PG_BOOL_ARRAY = 1000,
	PG_TEXT_ARRAY = 1009,
	PG_INT8_ARRAY = 1016,
};

struct pg_stmt {
	char *sql;                /* NULL: a free slot */
	char name[16];            /* its server-side name, "r<number>" */
	int prepared;             /* 0: prepare before use (new, or after a reconnect) */
	uint64_t used;            /* for LRU eviction */
};

/* One connection to the server and the statements prepared on it. */
struct pg_link {
	PGconn *db;
	struct pg_stmt cache[PG_STMT_CACHE];
	uint64_t tick;
	unsigned next_name;
	int generic;              /* the session plans with plan_cache_mode = force_generic_plan */
};

/* The parameters of one statement, $1 first; integers are sent as text,
** bytes in binary (byte for byte, NULs included).
**
** generic: plan the statement once per connection and reuse that plan
** whatever the parameters' values (plan_cache_mode force_generic_plan),
** for statements whose best plan does not depend on those values and
** whose planning costs far more than running them: the filtered object
** queries (store_pg.c), whose nested visibility probes took 8 ms to
** plan and 0.3 ms to run.  By default PostgreSQL plans each call anew
** with its values (it keeps a generic plan only when that plan's
** estimated cost is no higher, and the estimate of a LIMIT given as a
** parameter never is).  The session's mode changes only outside a
** transaction (a rollback would undo it); inside one, a statement runs
** in the mode the session has. */
struct pg_params {
	int n;
	int generic;
	Oid types[PG_MAX_PARAMS];
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS];
	int formats[PG_MAX_PARAMS];
	char num[PG_MAX_PARAMS][24];
};

/* Connect to uri (a libpq URI, scheme included) with UTF-8 as the client
** encoding.  RELTO_OK; RELTO_ESTORE (err names the database and host,
** never the password). */
enum relto_err pg__connect(const char *uri, struct pg_link *l, char *err);
/* pg__connect with default settings for libpq (keys and values, NULL
** ended, at most PG_MAX_DEFAULTS; the URI's own settings win over them).
** The same results. */
#define PG_MAX_DEFAULTS 8
enum relto_err pg__connect_with(const char *uri, const char *const *keys, const char *const *values,
                                struct pg_link *l, char *err);
/* Close the connection and forget its statements.  Cannot fail. */
void pg__disconnect(struct pg_link *l);
/* Before a call that starts from no transaction: reconnect a connection
** that was lost (its prepared statements go with it) and roll back a
** transaction an earlier failure left open.  RELTO_OK; RELTO_ESTORE. */
enum relto_err pg__ready(struct pg_link *l, char *err);
/* The error of a failed call on l: RELTO_ESTORE (RELTO_ECONFLICT for a
** unique constraint's refusal) with "postgresql: what: message" in err,
** or "what: connection lost: ..." when the connection is gone.  res may
** be NULL (a call that has no result). */
enum relto_err pg__fail(const struct pg_link *l, const PGresult *res, const char *what, char *err);
/* Run sql (no parameters, several statements allowed).  RELTO_OK;
** RELTO_ESTORE. */
enum relto_err pg__exec(struct pg_link *l, const char *sql, const char *what, char *err);
/* Commit (rc RELTO_OK) or roll back the transaction the caller began.
** Returns rc, or RELTO_ESTORE if the commit failed. */
enum relto_err pg__end(struct pg_link *l, enum relto_err rc, char *err);
/* Run sql with parameters p (NULL: none) as a prepared statement kept in
** the connection's cache, results in binary.  *out (may be NULL: the
** result is dropped) gets the result, which the caller PQclear()s.
** RELTO_OK; RELTO_ESTORE; RELTO_ECONFLICT when a unique constraint
** refused the row (err says which statement). */
enum relto_err pg__run(struct pg_link *l, const char *sql, const struct pg_params *p, const char *what,
                       PGresult **out, char *err);
/* Like pg__run for a statement that yields one row: RELTO_ESTORE when it
** yields none. */
enum relto_err pg__row(struct pg_link *l, const char *sql, const struct pg_params *p, const char *what,
                       PGresult **out, char *err);

/* Parameters.  The pointers are borrowed until the statement has run. */
void pg__i64(struct pg_params *p, int64_t v);
void pg__text(struct pg_params *p, const char *s);  /* NULL: SQL NULL */
void pg__bytes(struct pg_params *p, const void *data, size_t len);
void pg__bool(struct pg_params *p, int v);
void pg__null(struct pg_params *p, Oid type);
/* An array parameter written as its text form ("{...}", in a buffer
** the caller keeps). */
void pg__array(struct pg_params *p, Oid type, const char *text);

/* Reading a binary result: an integer column of any width, a boolean, a
** text column (NULL when SQL NULL), bytes (*len). */
int64_t pg__get_i64(const PGresult *r, int row, int col);
int pg__get_bool(const PGresult *r, int row, int col);
const char *pg__get_text(const PGresult *r, int row, int col);
const char *pg__get_bytes(const PGresult *r, int row, int col, size_t *len);

/* The backend's table of functions, once per URI scheme (store.c's
** registry names both). */
extern const struct store_ops store_pg_ops, store_postgres_ops;

/* The schema (schema_pg.c): the version this relto makes and knows, and
** creating or upgrading it on l, in a transaction of its own.  RELTO_OK;
** RELTO_ESTORE (a newer schema is refused). */
#define PG_SCHEMA_VERSION 2
enum relto_err pg__migrate(struct pg_link *l, char *err);

/* The audit trail (trail_pg.c) on its own connection to uri. */
enum relto_err pg__trail_open(const char *uri, struct store_trail **out, char *err);

/* Change announcements (watch_pg.c; store.h, "watching for changes").
** A store's origin: random, one per store_open, so a watch can leave
** out what its own store committed. */
#define PG_ORIGIN_LEN 16
/* Within the caller's transaction: announce that kind ("rules",
** "credentials", "objects") changed, made by origin; delivered to the
** watches when the transaction commits, dropped if it rolls back.
** RELTO_OK; RELTO_ESTORE. */
enum relto_err pg__announce(struct pg_link *l, const char *origin, const char *kind, char *err);
/* A watch on its own connection to uri, leaving out origin's changes. */
enum relto_err pg__watch_open(const char *uri, const char *origin, struct store_watch **out, char *err);

#endif
