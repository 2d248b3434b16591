/*
** store_pg.c: the PostgreSQL backend of the store interface (store.h),
** through libpq.  Selected by a "postgresql://" or "postgres://" URI,
** which is handed to libpq whole.
**
** Every write is one transaction that has committed when the call
** returns (durable as the server's synchronous_commit makes commits).
** Writers of objects serialize on one row lock (the `counters` row of
** date_added), taken first in their transaction: date_added is then
** strictly increasing in commit order across every process on the
** database, so a keyset page never skips a row that commits later with
** a smaller key.  Readers take no lock (READ COMMITTED snapshots).
**
** Statements are prepared once per connection, kept in a small cache
** keyed by their SQL text; list filters (match[id], ...) are bound as one
** array parameter (`= ANY($n)`), so every list length shares a
** statement.  Results come back in binary: stored bytes arrive as they
** were sent, without an escaped text form to decode.
**
** The schema is created by open when absent; table schema_version holds
** its version, and a database newer than this code is refused.
*/
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg_int.h"
#include "../util/buf.h"
#include "../util/ts.h"

#define SCHEMA_VERSION 1
/* PostgreSQL keeps at most 1 GiB in one value. */
#define PG_VALUE_MAX ((size_t)1 << 30)

/* ---- the connection: errors, statements, parameters, results ---- */

/* A message on one line: libpq's end in a newline and some continue on
** an indented second line. */
static void one_line(char *msg)
{
	char *out = msg;
	for (const char *in = msg; *in; in++) {
		char ch = *in == '\n' || *in == '\t' ? ' ' : *in;
		if (ch != ' ' || (out > msg && out[-1] != ' '))
			*out++ = ch;
	}
	while (out > msg && out[-1] == ' ')
		out--;
	*out = '\0';
}

/* The server's primary message, or libpq's own (a lost connection has
** no result). */
static const char *message_of(const struct pg_link *l, const PGresult *res, char *out, size_t size)
{
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!m || !*m)
		m = l->db ? PQerrorMessage(l->db) : "no connection";
	snprintf(out, size, "%s", m);
	one_line(out);
	return out;
}

/* RELTO_ESTORE with "postgresql: what: message"; a unique constraint's
** refusal is RELTO_ECONFLICT (the caller may say more). */
static enum relto_err pg_fail(const struct pg_link *l, const PGresult *res, const char *what, char *err)
{
	char msg[RELTO_ERRBUF_SIZE];
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	enum relto_err code = state && strcmp(state, "23505") == 0 ? RELTO_ECONFLICT : RELTO_ESTORE;
	if (l->db && PQstatus(l->db) == CONNECTION_BAD)
		return relto_seterr(err, RELTO_ESTORE, "postgresql: %s: connection lost: %s", what,
		                    message_of(l, res, msg, sizeof(msg)));
	return relto_seterr(err, code, "postgresql: %s: %s", what, message_of(l, res, msg, sizeof(msg)));
}

/* Replace every occurrence of secret in msg by "***". */
static void mask(char *msg, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	if (n == 0)
		return;
	for (char *p = strstr(msg, secret); p; p = strstr(p + 3, secret)) {
		memmove(p + 3, p + n, strlen(p + n) + 1);
		memcpy(p, "***", 3);
	}
}

/* Replace whatever msg quotes ("...") by "***". */
static void mask_quoted(char *msg)
{
	for (char *open = strchr(msg, '"'); open; open = strchr(open + 5, '"')) {
		char *close = strchr(open + 1, '"');
		if (!close)
			break;
		memmove(open + 4, close, strlen(close) + 1);
		memcpy(open + 1, "***", 3);
	}
}

/* libpq's message for a failed connection, never with the password:
** when the URI parses, its password is masked wherever it appears; when
** it does not, libpq's message quotes the piece it could not read, which
** may be the password, so every quoted piece is masked. */
static enum relto_err connect_error(PGconn *db, const char *uri, char *err)
{
	char msg[RELTO_ERRBUF_SIZE];
	snprintf(msg, sizeof(msg), "%s", db ? PQerrorMessage(db) : "out of memory");
	one_line(msg);
	PQconninfoOption *opts = PQconninfoParse(uri, NULL);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val)
			mask(msg, o->val);
	if (!opts)
		mask_quoted(msg);
	PQconninfoFree(opts);
	if (opts && db && PQstatus(db) == CONNECTION_BAD && PQdb(db) && PQhost(db))
		return relto_seterr(err, RELTO_ESTORE, "postgresql: cannot connect to database '%s' on %s: %s",
		                    PQdb(db), PQhost(db), msg);
	return relto_seterr(err, RELTO_ESTORE, "postgresql: cannot connect: %s", msg);
}

/* The server must store text as UTF-8 (or as bytes: SQL_ASCII), or the
** texts relto keeps could come back changed. */
static enum relto_err check_encoding(PGconn *db, char *err)
{
	const char *enc = PQparameterStatus(db, "server_encoding");
	if (enc && strcmp(enc, "UTF8") != 0 && strcmp(enc, "SQL_ASCII") != 0)
		return relto_seterr(err, RELTO_ESTORE,
		                    "postgresql: database '%s' has encoding %s; relto needs UTF8 (CREATE DATABASE ..."
		                    " ENCODING 'UTF8')", PQdb(db), enc);
	return RELTO_OK;
}

enum relto_err pg__connect(const char *uri, struct pg_link *l, char *err)
{
	memset(l, 0, sizeof(*l));
	/* The URI's own settings win, except the client encoding: relto
	** sends and expects UTF-8. */
	const char *const keys[] = {"dbname", "fallback_application_name", "client_encoding", NULL};
	const char *const values[] = {uri, "relto", "UTF8", NULL};
	PGconn *db = PQconnectdbParams(keys, values, 1);
	if (!db || PQstatus(db) != CONNECTION_OK) {
		enum relto_err rc = connect_error(db, uri, err);
		PQfinish(db);
		return rc;
	}
	enum relto_err rc = check_encoding(db, err);
	/* JIT compiling pays off for long analytic queries; relto's are short
	** and their estimated cost (nested visibility probes) is high enough
	** to trigger it: a page of 101 rows took 450 ms instead of 0.5 ms. */
	if (!rc) {
		struct pg_link tmp = {.db = db};
		rc = pg__exec(&tmp, "SET jit = off", "connect", err);
	}
	if (rc) {
		PQfinish(db);
		return rc;
	}
	l->db = db;
	return RELTO_OK;
}

void pg__disconnect(struct pg_link *l)
{
	for (int i = 0; i < PG_STMT_CACHE; i++)
		free(l->cache[i].sql);
	PQfinish(l->db);
	memset(l, 0, sizeof(*l));
}

static void forget_prepared(struct pg_link *l)
{
	for (int i = 0; i < PG_STMT_CACHE; i++)
		l->cache[i].prepared = 0;
}

enum relto_err pg__ready(struct pg_link *l, char *err)
{
	if (PQstatus(l->db) != CONNECTION_OK) {
		/* The server restarted or the network dropped: a new session,
		** without the statements the old one had prepared. */
		PQreset(l->db);
		forget_prepared(l);
		if (PQstatus(l->db) != CONNECTION_OK)
			return pg_fail(l, NULL, "reconnecting", err);
	}
	if (PQtransactionStatus(l->db) != PQTRANS_IDLE)
		return pg__exec(l, "ROLLBACK", "rollback", err);
	return RELTO_OK;
}

enum relto_err pg__exec(struct pg_link *l, const char *sql, const char *what, char *err)
{
	PGresult *res = PQexec(l->db, sql);
	ExecStatusType st = PQresultStatus(res);
	enum relto_err rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? RELTO_OK : pg_fail(l, res, what, err);
	PQclear(res);
	return rc;
}

enum relto_err pg__end(struct pg_link *l, enum relto_err rc, char *err)
{
	if (rc) {
		pg__exec(l, "ROLLBACK", "rollback", NULL);
		return rc;
	}
	PGresult *res = PQexec(l->db, "COMMIT");
	/* COMMIT of a transaction that failed answers "ROLLBACK", not an error. */
	if (PQresultStatus(res) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = PQresultStatus(res) == PGRES_COMMAND_OK
		             ? relto_seterr(err, RELTO_ESTORE, "postgresql: commit: the transaction was rolled back")
		             : pg_fail(l, res, "commit", err);
	PQclear(res);
	return rc;
}

/* The cache entry for sql, prepared on the server under its name; the
** least recently used entry makes room (and is deallocated). */
static enum relto_err prepared(struct pg_link *l, const char *sql, const struct pg_params *p, const char *what,
                               struct pg_stmt **out, char *err)
{
	int victim = 0;
	struct pg_stmt *e = NULL;
	for (int i = 0; i < PG_STMT_CACHE && !e; i++) {
		if (l->cache[i].sql && strcmp(l->cache[i].sql, sql) == 0)
			e = &l->cache[i];
		else if (l->cache[i].used < l->cache[victim].used)
			victim = i;
	}
	if (!e) {
		e = &l->cache[victim];
		if (e->sql && e->prepared) {
			char drop[48];
			snprintf(drop, sizeof(drop), "DEALLOCATE %s", e->name);
			pg__exec(l, drop, "deallocate", NULL);
		}
		free(e->sql);
		memset(e, 0, sizeof(*e));
		if (!(e->sql = strdup(sql)))
			return relto_seterr(err, RELTO_ENOMEM, "out of memory");
		snprintf(e->name, sizeof(e->name), "r%u", ++l->next_name);
	}
	if (!e->prepared) {
		PGresult *res = PQprepare(l->db, e->name, sql, p ? p->n : 0, p ? p->types : NULL);
		enum relto_err rc = PQresultStatus(res) == PGRES_COMMAND_OK ? RELTO_OK : pg_fail(l, res, what, err);
		PQclear(res);
		if (rc)
			return rc;
		e->prepared = 1;
	}
	e->used = ++l->tick;
	*out = e;
	return RELTO_OK;
}

enum relto_err pg__run(struct pg_link *l, const char *sql, const struct pg_params *p, const char *what,
                       PGresult **out, char *err)
{
	struct pg_stmt *e = NULL;
	enum relto_err rc = prepared(l, sql, p, what, &e, err);
	if (rc)
		return rc;
	PGresult *res = p ? PQexecPrepared(l->db, e->name, p->n, p->values, p->lengths, p->formats, 1)
	                  : PQexecPrepared(l->db, e->name, 0, NULL, NULL, NULL, 1);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		/* Another session's DEALLOCATE ALL or DISCARD: prepare again. */
		if (state && strcmp(state, "26000") == 0)
			e->prepared = 0;
		rc = pg_fail(l, res, what, err);
		PQclear(res);
		return rc;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return RELTO_OK;
}

enum relto_err pg__row(struct pg_link *l, const char *sql, const struct pg_params *p, const char *what,
                       PGresult **out, char *err)
{
	PGresult *res = NULL;
	enum relto_err rc = pg__run(l, sql, p, what, &res, err);
	if (!rc && PQntuples(res) < 1) {
		PQclear(res);
		return relto_seterr(err, RELTO_ESTORE, "postgresql: %s: no row", what);
	}
	if (!rc)
		*out = res;
	return rc;
}

static void add_param(struct pg_params *p, Oid type, const char *value, int length, int format)
{
	if (p->n >= PG_MAX_PARAMS)
		abort(); /* a statement of this file with too many parameters: a bug */
	p->types[p->n] = type;
	p->values[p->n] = value;
	p->lengths[p->n] = length;
	p->formats[p->n] = format;
	p->n++;
}

void pg__i64(struct pg_params *p, int64_t v)
{
	if (p->n >= PG_MAX_PARAMS)
		abort();
	snprintf(p->num[p->n], sizeof(p->num[p->n]), "%lld", (long long)v);
	add_param(p, PG_INT8, p->num[p->n], 0, 0);
}

void pg__text(struct pg_params *p, const char *s)
{
	add_param(p, PG_TEXT, s, 0, 0);
}

void pg__bytes(struct pg_params *p, const void *data, size_t len)
{
	add_param(p, PG_BYTEA, data ? data : "", (int)len, 1);
}

void pg__bool(struct pg_params *p, int v)
{
	add_param(p, PG_BOOL, v ? "t" : "f", 0, 0);
}

void pg__null(struct pg_params *p, Oid type)
{
	add_param(p, type, NULL, 0, 0);
}

void pg__array(struct pg_params *p, Oid type, const char *text)
{
	add_param(p, type, text, 0, 0);
}

int64_t pg__get_i64(const PGresult *r, int row, int col)
{
	const unsigned char *v = (const unsigned char *)PQgetvalue(r, row, col);
	int len = PQgetlength(r, row, col);
	if (PQgetisnull(r, row, col) || len < 1 || len > 8)
		return 0;
	/* Network byte order, sign-extended from the column's width. */
	uint64_t u = v[0] & 0x80 ? UINT64_MAX : 0;
	for (int i = 0; i < len; i++)
		u = u << 8 | v[i];
	return (int64_t)u;
}

int pg__get_bool(const PGresult *r, int row, int col)
{
	return pg__get_i64(r, row, col) != 0;
}

const char *pg__get_text(const PGresult *r, int row, int col)
{
	/* Binary text is the bytes, and libpq ends every value with a NUL. */
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

const char *pg__get_bytes(const PGresult *r, int row, int col, size_t *len)
{
	*len = PQgetisnull(r, row, col) ? 0 : (size_t)PQgetlength(r, row, col);
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* Array parameters in their text form: {"a","b"} and {1,2}.  An
** element is quoted, with \ before " and \ (NULL reads as "NULL"). */
static enum relto_err array_element(struct buf *b, const char *s)
{
	enum relto_err rc = buf_putc(b, '"');
	for (; !rc && s && *s; s++)
		rc = *s == '"' || *s == '\\' ? buf_printf(b, "\\%c", *s) : buf_putc(b, *s);
	return rc ? rc : buf_putc(b, '"');
}

static enum relto_err text_array(struct buf *b, const char *const *v, size_t n)
{
	enum relto_err rc = buf_putc(b, '{');
	for (size_t i = 0; !rc && i < n; i++) {
		if (i)
			rc = buf_putc(b, ',');
		if (!rc)
			rc = array_element(b, v[i]);
	}
	return rc ? rc : buf_putc(b, '}');
}

static enum relto_err int_array(struct buf *b, const int64_t *v, size_t n)
{
	enum relto_err rc = buf_putc(b, '{');
	for (size_t i = 0; !rc && i < n; i++)
		rc = buf_printf(b, "%s%lld", i ? "," : "", (long long)v[i]);
	return rc ? rc : buf_putc(b, '}');
}

/* ---- the schema ---- */

/* Text columns compare as bytes (COLLATE "C"), as SQLite's do: ids sort
** and match by range the same way whatever the database's locale. */
static const char schema_v1[] =
	"CREATE TABLE schema_version(version integer NOT NULL);"
	"CREATE TABLE counters(name text COLLATE \"C\" PRIMARY KEY, value bigint NOT NULL);"
	"CREATE TABLE secrets(name text COLLATE \"C\" PRIMARY KEY, value bytea NOT NULL);"
	"CREATE TABLE collections(num bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" uuid text COLLATE \"C\" NOT NULL UNIQUE);"
	"CREATE TABLE marking_sets(num bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 1) PRIMARY KEY,"
	" canon text COLLATE \"C\" NOT NULL UNIQUE);"
	"CREATE TABLE objects("
	" seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY," /* arrival order */
	" coll bigint NOT NULL,"
	" id text COLLATE \"C\" NOT NULL,"
	" type text COLLATE \"C\" NOT NULL,"
	" version bigint NOT NULL,"            /* µs: modified, created, or date_added */
	" version_text text COLLATE \"C\","     /* NULL: unversioned (SCO) */
	" spec_version text COLLATE \"C\" NOT NULL,"
	" date_added bigint NOT NULL,"         /* µs, strictly increasing */
	" marking_set bigint NOT NULL,"
	" created_by_ref text COLLATE \"C\" NOT NULL,"
	" posted_by text COLLATE \"C\" NOT NULL,"
	" is_first boolean NOT NULL,"          /* the earliest version of its id */
	" is_last boolean NOT NULL,"           /* the latest version of its id */
	" nreq integer NOT NULL,"              /* its required references (refs) */
	" nopt integer NOT NULL,"              /* its optional references */
	" raw bytea NOT NULL);"
	/* "Is some version of this id visible" reads the index alone. */
	"CREATE UNIQUE INDEX objects_version ON objects(coll, id, version)"
	" INCLUDE (marking_set, posted_by, nreq, nopt, seq);"
	"CREATE INDEX objects_added ON objects(coll, date_added, seq);"
	"CREATE INDEX objects_type ON objects(coll, type, date_added, seq);"
	"CREATE INDEX objects_id ON objects(id);"
	/* The impact report's grouped count. */
	"CREATE INDEX objects_latest_sets ON objects(coll, marking_set, posted_by) WHERE is_last;"
	"CREATE TABLE refs("                   /* what objects refer to (releasability) */
	" seq bigint NOT NULL,"                /* the referring row */
	" pos integer NOT NULL,"               /* its place in the object's list */
	" ref text COLLATE \"C\" NOT NULL,"     /* the id referred to */
	" required boolean NOT NULL,"          /* true: the row is withheld if ref is */
	" PRIMARY KEY(seq, pos));"
	"CREATE TABLE rules(kind text COLLATE \"C\" NOT NULL, version bigint NOT NULL, author text NOT NULL,"
	" at bigint NOT NULL, reason text NOT NULL, body text NOT NULL, PRIMARY KEY(kind, version));"
	"CREATE TABLE credentials(id text COLLATE \"C\" PRIMARY KEY, partner text COLLATE \"C\" NOT NULL,"
	" kind text NOT NULL, hash text NOT NULL, note text NOT NULL, created bigint NOT NULL,"
	" revoked bigint NOT NULL);"
	"CREATE TABLE status(id text COLLATE \"C\" PRIMARY KEY, partner text COLLATE \"C\" NOT NULL,"
	" created bigint NOT NULL, body text NOT NULL);"
	"CREATE INDEX status_created ON status(created);"
	/* The audit trail (trail_pg.c): bodies are bytes, hashed as stored. */
	"CREATE TABLE audit_records(seq bigint PRIMARY KEY, at bigint NOT NULL, type text COLLATE \"C\" NOT NULL,"
	" partner text COLLATE \"C\" NOT NULL, list bytea, body bytea NOT NULL, hash bytea NOT NULL);"
	"CREATE TABLE audit_lists(hash bytea PRIMARY KEY, body bytea NOT NULL);"
	"CREATE TABLE audit_journals(name text COLLATE \"C\" PRIMARY KEY, last bigint NOT NULL);"
	"CREATE TABLE audit_checkpoints(seq bigint PRIMARY KEY, at bigint NOT NULL, hash bytea NOT NULL,"
	" pubkey bytea NOT NULL, sig bytea NOT NULL);";

/* The rows every store has; put back by each open, so a database whose
** tables were emptied (the unit tests do) works as a new one. */
static const char seed_rows[] =
	"INSERT INTO marking_sets(num, canon) VALUES(0, '') ON CONFLICT DO NOTHING;"
	"INSERT INTO counters(name, value) VALUES('last_date_added', 0), ('credentials_version', 0)"
	" ON CONFLICT DO NOTHING;";

/* Within the migration's transaction: the schema's version, 0 when the
** database has no relto schema yet. */
static enum relto_err schema_version_of(struct pg_link *l, int64_t *out, char *err)
{
	PGresult *res = NULL;
	enum relto_err rc = pg__row(l, "SELECT to_regclass('schema_version') IS NOT NULL", NULL, "schema", &res, err);
	if (rc)
		return rc;
	int exists = pg__get_bool(res, 0, 0);
	PQclear(res);
	*out = 0;
	if (!exists)
		return RELTO_OK;
	if ((rc = pg__run(l, "SELECT max(version)::bigint FROM schema_version", NULL, "schema", &res, err)))
		return rc;
	*out = PQntuples(res) ? pg__get_i64(res, 0, 0) : 0;
	PQclear(res);
	return RELTO_OK;
}

/* Create the schema if absent (several processes may open at once: an
** advisory lock makes them take turns) and refuse a newer one. */
static enum relto_err migrate(struct pg_link *l, char *err)
{
	enum relto_err rc = pg__exec(l, "BEGIN; SELECT pg_advisory_xact_lock(7402148157)", "schema", err);
	int64_t version = 0;
	if (!rc)
		rc = schema_version_of(l, &version, err);
	if (!rc && version > SCHEMA_VERSION)
		rc = relto_seterr(err, RELTO_ESTORE,
		                  "postgresql: database '%s' has schema version %lld, newer than this relto (%d)",
		                  PQdb(l->db), (long long)version, SCHEMA_VERSION);
	if (!rc && version == 0) {
		char sql[96];
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version(version) VALUES(%d)", SCHEMA_VERSION);
		rc = pg__exec(l, schema_v1, "creating the schema", err);
		if (!rc)
			rc = pg__exec(l, sql, "creating the schema", err);
	}
	if (!rc)
		rc = pg__exec(l, seed_rows, "creating the schema", err);
	return pg__end(l, rc, err);
}

/* ---- opening ---- */

struct pg_state {
	char *uri;                /* the libpq URI, scheme included */
};

struct pg_conn {
	struct store_conn base;   /* first: store.c chains these */
	struct pg_link l;
};

static struct pg_link *link_of(struct store_conn *base)
{
	return &((struct pg_conn *)base)->l;
}

/* store.c gives what follows the scheme's colon; libpq wants it all.
** "postgres:" and "postgresql:" mean the same to libpq. */
static enum relto_err pg_open(const char *target, void **state, char *err)
{
	if (strncmp(target, "//", 2) != 0)
		return relto_seterr(err, RELTO_ESTORE,
		                    "postgresql: a store URL is postgresql://[user[:password]@][host][:port][/dbname][?param=value...]");
	struct pg_state *s = calloc(1, sizeof(*s));
	size_t n = strlen("postgresql:") + strlen(target) + 1;
	if (!s || !(s->uri = malloc(n))) {
		free(s);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	snprintf(s->uri, n, "postgresql:%s", target);
	struct pg_link l;
	enum relto_err rc = pg__connect(s->uri, &l, err);
	if (!rc) {
		rc = migrate(&l, err);
		pg__disconnect(&l);
	}
	if (rc) {
		free(s->uri);
		free(s);
		return rc;
	}
	*state = s;
	return RELTO_OK;
}

static void pg_close(void *state)
{
	struct pg_state *s = state;
	if (s)
		free(s->uri);
	free(s);
}

static enum relto_err pg_conn_open(void *state, struct store_conn **out, char *err)
{
	struct pg_state *s = state;
	struct pg_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	enum relto_err rc = pg__connect(s->uri, &c->l, err);
	if (rc) {
		free(c);
		return rc;
	}
	*out = &c->base;
	return RELTO_OK;
}

static void pg_conn_close(struct store_conn *base)
{
	struct pg_conn *c = (struct pg_conn *)base;
	pg__disconnect(&c->l);
	free(c);
}

static enum relto_err pg_trail_open(void *state, struct store_trail **out, char *err)
{
	return pg__trail_open(((struct pg_state *)state)->uri, out, err);
}

/* ---- secrets and collections ---- */

static enum relto_err pg_secret(struct store_conn *base, const char *name, unsigned char out[STORE_SECRET_LEN],
                                char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = pg__ready(l, err);
	if (rc)
		return rc;
	unsigned char fresh[STORE_SECRET_LEN];
	randombytes_buf(fresh, sizeof(fresh));
	struct pg_params p = {0};
	pg__text(&p, name);
	pg__bytes(&p, fresh, sizeof(fresh));
	/* Insert-if-absent then read: two processes racing agree on the winner. */
	rc = pg__run(l, "INSERT INTO secrets(name, value) VALUES($1, $2) ON CONFLICT DO NOTHING", &p, "secret",
	             NULL, err);
	sodium_memzero(fresh, sizeof(fresh));
	PGresult *res = NULL;
	p.n = 1;
	if (!rc)
		rc = pg__row(l, "SELECT value FROM secrets WHERE name = $1", &p, "secret", &res, err);
	if (rc)
		return rc;
	size_t len;
	const char *v = pg__get_bytes(res, 0, 0, &len);
	if (len == STORE_SECRET_LEN)
		memcpy(out, v, STORE_SECRET_LEN);
	else
		rc = relto_seterr(err, RELTO_ESTORE, "postgresql: secret '%s' is not %d bytes", name, STORE_SECRET_LEN);
	PQclear(res);
	return rc;
}

/* The number of key in an interning table (collections, marking_sets),
** added if new.  Read first and inserted only when absent: an insert that
** finds the key would still use up a number, and marking set numbers
** index the release snapshot's tables, so they are kept dense. */
static enum relto_err intern(struct pg_link *l, const char *select_sql, const char *insert_sql, const char *key,
                             int64_t *out, const char *what, char *err)
{
	struct pg_params p = {0};
	pg__text(&p, key);
	for (int attempt = 0; attempt < 2; attempt++) {
		PGresult *res = NULL;
		enum relto_err rc = pg__run(l, select_sql, &p, what, &res, err);
		if (!rc && PQntuples(res) == 0) {
			PQclear(res);
			res = NULL;
			rc = pg__run(l, insert_sql, &p, what, &res, err);
		}
		if (rc)
			return rc;
		int found = PQntuples(res) > 0;
		if (found)
			*out = pg__get_i64(res, 0, 0);
		PQclear(res);
		if (found)
			return RELTO_OK;
		/* Another session added it meanwhile: read it again. */
	}
	return relto_seterr(err, RELTO_ESTORE, "postgresql: %s '%.80s' could not be added", what, key);
}

static enum relto_err pg_collection(struct store_conn *base, const char *uuid, int64_t *out, char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = pg__ready(l, err);
	if (rc)
		return rc;
	return intern(l, "SELECT num FROM collections WHERE uuid = lower($1)",
	              "INSERT INTO collections(uuid) VALUES(lower($1)) ON CONFLICT DO NOTHING RETURNING num", uuid,
	              out, "collection", err);
}

/* ---- writing objects ---- */

/* Begin a write of objects: the transaction, and the lock every writer
** of objects takes first (the date_added counter's row), so writers in
** every process take turns as SQLite's BEGIN IMMEDIATE makes them. */
static enum relto_err begin_objects(struct pg_link *l, char *err)
{
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__exec(l, "BEGIN", "begin", err);
	if (!rc && (rc = pg__run(l, "SELECT value FROM counters WHERE name = 'last_date_added' FOR UPDATE", NULL,
	                         "lock", NULL, err)))
		pg__exec(l, "ROLLBACK", "rollback", NULL);
	return rc;
}

/* Within the write transaction: the first date_added for a batch of n,
** strictly after every earlier one even if the clock stepped back. */
static enum relto_err next_date_added(struct pg_link *l, size_t n, int64_t *first, char *err)
{
	struct pg_params p = {0};
	pg__i64(&p, ts_now());
	pg__i64(&p, (int64_t)n);
	PGresult *res = NULL;
	enum relto_err rc = pg__row(l, "UPDATE counters SET value = greatest($1, value + 1) + $2 - 1"
	                               " WHERE name = 'last_date_added' RETURNING value - $2 + 1",
	                            &p, "date_added", &res, err);
	if (rc)
		return rc;
	*first = pg__get_i64(res, 0, 0);
	PQclear(res);
	return RELTO_OK;
}

static enum relto_err intern_marking(struct pg_link *l, const char *canon, int64_t *out, char *err)
{
	if (!canon || !*canon) {
		*out = 0;
		return RELTO_OK;
	}
	return intern(l, "SELECT num FROM marking_sets WHERE canon = $1",
	              "INSERT INTO marking_sets(canon) VALUES($1) ON CONFLICT DO NOTHING RETURNING num", canon, out,
	              "marking set", err);
}

/* Where a new version of id falls among the stored ones: *is_first and
** *is_last for the new row (clearing the flag of the row it displaces);
** *dup when this very version, or for an unversioned object any
** version, is stored already. */
static enum relto_err place_version(struct pg_link *l, int64_t coll, const struct store_new *o, int64_t version,
                                    int *is_first, int *is_last, int *dup, char *err)
{
	struct pg_params p = {0};
	pg__i64(&p, coll);
	pg__text(&p, o->id);
	pg__i64(&p, version);
	PGresult *res = NULL;
	enum relto_err rc = pg__row(l, "SELECT min(version), max(version), count(*),"
	                               " count(*) FILTER (WHERE version = $3) FROM objects WHERE coll = $1 AND id = $2",
	                            &p, "versions", &res, err);
	if (rc)
		return rc;
	int64_t lo = pg__get_i64(res, 0, 0), hi = pg__get_i64(res, 0, 1);
	int64_t n = pg__get_i64(res, 0, 2), same = pg__get_i64(res, 0, 3);
	PQclear(res);
	*dup = same > 0 || (!o->has_version && n > 0);
	*is_first = *is_last = 1;
	if (n == 0 || *dup)
		return RELTO_OK;
	*is_first = version < lo;
	*is_last = version > hi;
	p.n = 2;
	if (*is_first)
		return pg__run(l, "UPDATE objects SET is_first = false WHERE coll = $1 AND id = $2 AND is_first", &p,
		               "versions", NULL, err);
	if (*is_last)
		return pg__run(l, "UPDATE objects SET is_last = false WHERE coll = $1 AND id = $2 AND is_last", &p,
		               "versions", NULL, err);
	return RELTO_OK;
}

/* The references of o as two array texts: ids and required flags. */
static enum relto_err refs_arrays(const struct store_new *o, struct buf *ids, struct buf *required, int *nreq)
{
	*nreq = 0;
	enum relto_err rc = buf_putc(ids, '{');
	if (!rc)
		rc = buf_putc(required, '{');
	for (size_t i = 0; !rc && i < o->nrefs; i++) {
		*nreq += o->refs[i].required != 0;
		if (i && !(rc = buf_putc(ids, ',')))
			rc = buf_putc(required, ',');
		if (!rc)
			rc = array_element(ids, o->refs[i].id);
		if (!rc)
			rc = buf_putc(required, o->refs[i].required ? 't' : 'f');
	}
	if (!rc)
		rc = buf_putc(ids, '}');
	return rc ? rc : buf_putc(required, '}');
}

/* Insert the row and its references in one statement. */
static enum relto_err insert_row(struct pg_link *l, int64_t coll, const char *posted_by, const struct store_new *o,
                                 int64_t version, int64_t date_added, int64_t set, int is_first, int is_last,
                                 char *err)
{
	struct buf ids, required;
	buf_init(&ids, (size_t)1 << 26);
	buf_init(&required, (size_t)1 << 24);
	int nreq = 0;
	enum relto_err rc = refs_arrays(o, &ids, &required, &nreq);
	if (rc) {
		buf_free(&ids);
		buf_free(&required);
		return relto_seterr(err, rc, "object %s: its references are too many", o->id);
	}
	struct pg_params p = {0};
	pg__i64(&p, coll);
	pg__text(&p, o->id);
	pg__text(&p, o->type);
	pg__i64(&p, version);
	pg__text(&p, o->has_version ? o->version_text : NULL);
	pg__text(&p, o->spec_version);
	pg__i64(&p, date_added);
	pg__i64(&p, set);
	pg__text(&p, o->created_by_ref ? o->created_by_ref : "");
	pg__text(&p, posted_by);
	pg__bytes(&p, o->raw, o->raw_len);
	pg__bool(&p, is_first);
	pg__bool(&p, is_last);
	pg__i64(&p, nreq);
	pg__i64(&p, (int64_t)o->nrefs - nreq);
	pg__array(&p, PG_TEXT_ARRAY, ids.data);
	pg__array(&p, PG_BOOL_ARRAY, required.data);
	rc = pg__run(l, "WITH o AS (INSERT INTO objects(coll, id, type, version, version_text, spec_version,"
	                " date_added, marking_set, created_by_ref, posted_by, raw, is_first, is_last, nreq, nopt)"
	                " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING seq)"
	                " INSERT INTO refs(seq, pos, ref, required) SELECT o.seq, u.pos, u.ref, u.required"
	                " FROM o, unnest($16, $17) WITH ORDINALITY AS u(ref, required, pos)",
	             &p, "insert", NULL, err);
	buf_free(&ids);
	buf_free(&required);
	return rc;
}

static enum relto_err insert_one(struct pg_link *l, int64_t coll, const char *posted_by, const struct store_new *o,
                                 int64_t date_added, int64_t *last_set_num, const char **last_set,
                                 enum store_put_result *result, char *err)
{
	int64_t version = o->has_version ? o->version : date_added;
	int is_first = 1, is_last = 1, dup = 0;
	/* As SQLite's backend does: an unversioned duplicate is found before
	** its marking set is interned, a versioned one after. */
	enum relto_err rc = RELTO_OK;
	if (!o->has_version && (rc = place_version(l, coll, o, version, &is_first, &is_last, &dup, err)))
		return rc;
	/* Consecutive objects usually share markings: skip the lookup then. */
	if (!dup && (!*last_set || strcmp(*last_set, o->marking_canon) != 0)) {
		if ((rc = intern_marking(l, o->marking_canon, last_set_num, err)))
			return rc;
		*last_set = o->marking_canon;
	}
	if (o->has_version && (rc = place_version(l, coll, o, version, &is_first, &is_last, &dup, err)))
		return rc;
	if (dup) {
		*result = STORE_DUPLICATE;
		return RELTO_OK;
	}
	*result = STORE_ADDED;
	return insert_row(l, coll, posted_by, o, version, date_added, *last_set_num, is_first, is_last, err);
}

static enum relto_err pg_put(struct store_conn *base, int64_t coll, const char *posted_by,
                             const struct store_new *objs, size_t n, enum store_put_result *results,
                             int64_t *date_added, char *err)
{
	struct pg_link *l = link_of(base);
	for (size_t i = 0; i < n; i++)
		if (objs[i].raw_len >= PG_VALUE_MAX)
			return relto_seterr(err, RELTO_ETOOBIG, "object %s is larger than 1 GiB (PostgreSQL's limit)",
			                    objs[i].id);
	enum relto_err rc = begin_objects(l, err);
	if (rc)
		return rc;
	int64_t first = 0, set_num = 0;
	const char *set = NULL;
	rc = next_date_added(l, n, &first, err);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = insert_one(l, coll, posted_by, &objs[i], first + (int64_t)i, &set_num, &set, &results[i], err);
		if (date_added)
			date_added[i] = first + (int64_t)i;
	}
	return pg__end(l, rc, err);
}

/* ---- reading objects ---- */

/* Parameters of queries and deletes: $1 coll, $2 added_after, $3/$4 the
** cursor, $5 ids, $6 types, $7 spec versions, $8 limit, $9 version
** timestamps, $10 released marking sets, $11 the partner (originator).
** Every statement binds all eleven, typed, so unused ones cost nothing. */

/* "Row x is visible by its markings": a released set, or the partner's own. */
#define VISIBLE(x) "(" x ".marking_set = ANY($10) OR " x ".posted_by = $11)"
/* "Reference r.ref is visible": some version of it in the collection is
** visible by its markings and, if it refers to objects itself, those are
** visible by their markings and refer to nothing (REF_LEAF).  Visibility
** through references is recursive; relto follows it two levels deep and
** treats anything deeper as not visible, which can withhold more than
** needed but never names a withheld object (docs/ARCHITECTURE.md). */
#define REF_LEAF(r) "EXISTS (SELECT 1 FROM objects y WHERE y.coll = o.coll AND y.id = " r ".ref AND " \
	VISIBLE("y") " AND y.nreq = 0 AND y.nopt = 0)"
#define REF_VISIBLE "EXISTS (SELECT 1 FROM objects x WHERE x.coll = o.coll AND x.id = r.ref AND " VISIBLE("x") \
	" AND (x.nreq = 0 OR NOT EXISTS (SELECT 1 FROM refs r2 WHERE r2.seq = x.seq AND r2.required AND NOT " \
	REF_LEAF("r2") "))" \
	" AND (x.nopt = 0 OR EXISTS (SELECT 1 FROM refs r2 WHERE r2.seq = x.seq AND NOT r2.required AND " \
	REF_LEAF("r2") ")))"
/* "Row a (of the collection of o) is visible": the partner's own, whole;
** or a released marking set, every required reference visible and, if it
** has optional references (object_refs), one of them visible (a report
** that would be left with none is withheld). */
#define ROW_VISIBLE(a) "(" a ".posted_by = $11 OR (" a ".marking_set = ANY($10)" \
	" AND (" a ".nreq = 0 OR NOT EXISTS (SELECT 1 FROM refs r WHERE r.seq = " a ".seq AND r.required" \
	" AND NOT " REF_VISIBLE "))" \
	" AND (" a ".nopt = 0 OR EXISTS (SELECT 1 FROM refs r WHERE r.seq = " a ".seq AND NOT r.required" \
	" AND " REF_VISIBLE "))))"
/* The row's optional references that are not visible, as a JSON list
** written as SQLite's json_group_array() writes it. */
#define HIDDEN_REFS "CASE WHEN o.nopt = 0 OR o.posted_by = $11 THEN NULL ELSE (SELECT '[' ||" \
	" coalesce(string_agg(to_json(r.ref)::text, ',' ORDER BY r.pos), '') || ']' FROM refs r" \
	" WHERE r.seq = o.seq AND NOT r.required AND NOT " REF_VISIBLE ") END"

/* The version clause of a query on alias o (empty for "all"). */
static enum relto_err version_sql(struct buf *sql, const struct store_versions *v, int visible)
{
	if (v->all)
		return RELTO_OK;
	/* is_first/is_last are kept by insert and delete, so "the latest
	** version" costs a column test, not a probe per row.  With a
	** visibility filter, a row that is not the latest version may still
	** be the latest *visible* one: only those rows pay for a probe. */
	enum relto_err rc = buf_puts(sql, " AND (false");
	if (!rc && v->first)
		rc = buf_puts(sql, visible ? " OR o.is_first OR NOT EXISTS (SELECT 1 FROM objects p WHERE p.coll = o.coll"
		                             " AND p.id = o.id AND p.version < o.version AND " ROW_VISIBLE("p") ")"
		                           : " OR o.is_first");
	if (!rc && v->last)
		rc = buf_puts(sql, visible ? " OR o.is_last OR NOT EXISTS (SELECT 1 FROM objects p WHERE p.coll = o.coll"
		                             " AND p.id = o.id AND p.version > o.version AND " ROW_VISIBLE("p") ")"
		                           : " OR o.is_last");
	if (!rc && v->nat)
		rc = buf_puts(sql, " OR o.version = ANY($9)");
	return rc ? rc : buf_putc(sql, ')');
}

/* "The row is the version asked for", for counting withheld rows. */
static enum relto_err asked_sql(struct buf *sql, const struct store_versions *v)
{
	if (v->all)
		return buf_puts(sql, "true");
	return buf_printf(sql, "(false%s%s%s)", v->first ? " OR o.is_first" : "", v->last ? " OR o.is_last" : "",
	                  v->nat ? " OR o.version = ANY($9)" : "");
}

/* How a query's SQL is shaped. */
struct query_shape {
	int with_raw;
	int counting;             /* withheld rows are read too, to be counted */
	int cursor;               /* after ($3, $4) */
};

/* Columns: 0 seq, 1 date_added, 2 version, 3 id, 4 version_text,
** 5 spec_version, 6 marking_set, then raw (with_raw), then (with a
** visibility filter) the hidden optional references and "own", then
** (counting) "visible" and "the version asked for".
**
** Counting withheld rows: SQLite's backend counts them in an SQL
** function as its walk passes over them.  Here the filter is a column
** instead and the rows it fails come back too, counted by pg_query as it
** walks; the version clause (with its probes) stays in the WHERE: a row
** that is the version asked for always passes it. */
static enum relto_err query_sql(const struct store_query *q, const struct query_shape *shape, struct buf *sql)
{
	enum relto_err rc = buf_puts(sql, "SELECT o.seq, o.date_added, o.version, o.id, o.version_text,"
	                                  " o.spec_version, o.marking_set");
	if (!rc && shape->with_raw)
		rc = buf_puts(sql, ", o.raw");
	if (!rc && q->vis.on)
		rc = buf_puts(sql, ", " HIDDEN_REFS ", o.posted_by = $11");
	if (!rc && shape->counting)
		rc = buf_puts(sql, ", " ROW_VISIBLE("o") ", ");
	if (!rc && shape->counting)
		rc = asked_sql(sql, &q->versions);
	if (!rc)
		rc = buf_puts(sql, " FROM objects o WHERE o.coll = $1");
	if (!rc && q->has_added_after)
		rc = buf_puts(sql, " AND o.date_added > $2");
	if (!rc && shape->cursor)
		rc = buf_puts(sql, " AND (o.date_added, o.seq) > ($3, $4)");
	if (!rc && q->nids)
		rc = buf_puts(sql, " AND o.id = ANY($5)");
	if (!rc && q->ntypes)
		rc = buf_puts(sql, " AND o.type = ANY($6)");
	if (!rc && q->nspec_versions)
		rc = buf_puts(sql, " AND o.spec_version = ANY($7)");
	if (!rc && q->vis.on && !shape->counting)
		rc = buf_puts(sql, " AND " ROW_VISIBLE("o"));
	if (!rc)
		rc = version_sql(sql, &q->versions, q->vis.on);
	return rc ? rc : buf_puts(sql, " ORDER BY o.date_added, o.seq LIMIT $8");
}

/* The list parameters of a query or delete, as array texts. */
struct query_lists {
	struct buf ids, types, specs, ats, sets;
};

static void lists_init(struct query_lists *ls)
{
	buf_init(&ls->ids, (size_t)1 << 24);
	buf_init(&ls->types, (size_t)1 << 20);
	buf_init(&ls->specs, (size_t)1 << 16);
	buf_init(&ls->ats, (size_t)1 << 20);
	buf_init(&ls->sets, (size_t)1 << 24);
}

static void lists_free(struct query_lists *ls)
{
	buf_free(&ls->ids);
	buf_free(&ls->types);
	buf_free(&ls->specs);
	buf_free(&ls->ats);
	buf_free(&ls->sets);
}

static enum relto_err lists_fill(struct query_lists *ls, const char *const *ids, size_t nids,
                                 const char *const *types, size_t ntypes, const char *const *specs,
                                 size_t nspecs, const struct store_versions *v, const struct store_visibility *vis)
{
	enum relto_err rc = text_array(&ls->ids, ids, nids);
	if (!rc)
		rc = text_array(&ls->types, types, ntypes);
	if (!rc)
		rc = text_array(&ls->specs, specs, nspecs);
	if (!rc)
		rc = int_array(&ls->ats, v->all ? NULL : v->at, v->all ? 0 : v->nat);
	if (!rc)
		rc = int_array(&ls->sets, vis && vis->on ? vis->sets : NULL, vis && vis->on ? vis->nsets : 0);
	return rc;
}

/* Bind the eleven parameters. */
static void bind_query(struct pg_params *p, int64_t coll, int64_t added_after, int64_t after_date_added,
                       int64_t after_seq, int64_t limit, const struct query_lists *ls,
                       const struct store_visibility *vis)
{
	pg__i64(p, coll);
	pg__i64(p, added_after);
	pg__i64(p, after_date_added);
	pg__i64(p, after_seq);
	pg__array(p, PG_TEXT_ARRAY, ls->ids.data);
	pg__array(p, PG_TEXT_ARRAY, ls->types.data);
	pg__array(p, PG_TEXT_ARRAY, ls->specs.data);
	pg__i64(p, limit);
	pg__array(p, PG_INT8_ARRAY, ls->ats.data);
	pg__array(p, PG_INT8_ARRAY, ls->sets.data);
	pg__text(p, vis && vis->on && vis->originator ? vis->originator : "");
}

/* Count a withheld row by its marking set. */
static void count_withheld(struct store_withheld *w, int64_t set)
{
	size_t i = 0;
	while (i < w->n && w->by_set[i].set != set)
		i++;
	if (i < w->n) {
		w->by_set[i].count++;
	} else if (w->n < STORE_WITHHELD_SETS) {
		w->by_set[w->n].set = set;
		w->by_set[w->n++].count = 1;
	} else {
		w->other++;
	}
}

/* One row of a query's result as store.h describes it. */
static struct store_row row_of(const PGresult *res, int i, const struct store_query *q, int with_raw)
{
	struct store_row row = {
		.seq = pg__get_i64(res, i, 0),
		.date_added = pg__get_i64(res, i, 1),
		.version = pg__get_i64(res, i, 2),
		.marking_set = pg__get_i64(res, i, 6),
	};
	int col = 7;
	if (with_raw)
		row.raw = pg__get_bytes(res, i, col++, &row.raw_len);
	if (q->vis.on) {
		row.hidden_refs = pg__get_text(res, i, col++);
		row.own = pg__get_bool(res, i, col++);
	}
	if (!with_raw || q->with_ids) {
		row.id = pg__get_text(res, i, 3);
		row.version_text = pg__get_text(res, i, 4);
	}
	if (!with_raw)
		row.spec_version = pg__get_text(res, i, 5);
	return row;
}

/* Where a query walk is: rows still wanted, the cursor, and the batch. */
struct walk {
	size_t remaining;
	int has_cursor;
	int64_t after_date_added, after_seq;
	int64_t batch;
};

/* Give the rows of one batch to fn (counting the withheld ones); *more
** when the walk must fetch another batch. */
static enum relto_err walk_batch(const PGresult *res, const struct store_query *q, const struct query_shape *shape,
                                 struct walk *w, store_row_fn fn, void *ctx, int *more)
{
	int n = PQntuples(res);
	int vis_col = 7 + (shape->with_raw ? 1 : 0) + (q->vis.on ? 2 : 0);
	*more = 0;
	for (int i = 0; i < n && w->remaining; i++) {
		if (shape->counting && !pg__get_bool(res, i, vis_col)) {
			if (q->withheld && pg__get_bool(res, i, vis_col + 1))
				count_withheld(q->withheld, pg__get_i64(res, i, 6));
			continue;
		}
		struct store_row row = row_of(res, i, q, shape->with_raw);
		enum relto_err rc = fn(ctx, &row);
		if (rc)
			return rc;
		w->remaining--;
	}
	if (n > 0 && w->remaining && n == w->batch) {
		*more = 1;
		w->has_cursor = 1;
		w->after_date_added = pg__get_i64(res, n - 1, 1);
		w->after_seq = pg__get_i64(res, n - 1, 0);
	}
	return RELTO_OK;
}

/* Without counting, one statement answers.  Counting, the rows a filter
** fails take places in the LIMIT, so the walk goes on from the last row
** read, in batches that double (up to 4096) while rows are withheld. */
static enum relto_err pg_query(struct store_conn *base, const struct store_query *q, int with_raw,
                               store_row_fn fn, void *ctx, char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = pg__ready(l, err);
	if (rc)
		return rc;
	struct query_shape shape = {.with_raw = with_raw, .counting = q->vis.on && q->withheld != NULL};
	struct walk w = {.remaining = q->limit, .has_cursor = q->has_cursor, .after_date_added = q->after_date_added,
	                 .after_seq = q->after_seq};
	w.batch = q->limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)q->limit;
	struct query_lists ls;
	struct buf sql;
	lists_init(&ls);
	buf_init(&sql, 65536);
	rc = lists_fill(&ls, q->ids, q->nids, q->types, q->ntypes, q->spec_versions, q->nspec_versions, &q->versions,
	                &q->vis);
	if (rc) /* the filters' lists are capped by the query parser */
		rc = relto_seterr(err, RELTO_EINTERNAL, "query lists over their cap");
	for (int more = w.remaining > 0; !rc && more;) {
		shape.cursor = w.has_cursor;
		buf_reset(&sql);
		if ((rc = query_sql(q, &shape, &sql))) {
			rc = relto_seterr(err, RELTO_EINTERNAL, "query text over its cap");
			break;
		}
		struct pg_params p = {0};
		bind_query(&p, q->coll, q->added_after, w.after_date_added, w.after_seq, w.batch, &ls, &q->vis);
		PGresult *res = NULL;
		if ((rc = pg__run(l, sql.data, &p, "query", &res, err)))
			break;
		rc = walk_batch(res, q, &shape, &w, fn, ctx, &more);
		PQclear(res);
		if (w.batch < 4096)
			w.batch = w.batch * 2 > (int64_t)w.remaining ? w.batch * 2 : (int64_t)w.remaining;
	}
	buf_free(&sql);
	lists_free(&ls);
	return rc;
}

/* After a delete, mark the remaining first and last versions of id. */
static enum relto_err refresh_flags(struct pg_link *l, int64_t coll, const char *id, char *err)
{
	struct pg_params p = {0};
	pg__i64(&p, coll);
	pg__text(&p, id);
	return pg__run(l, "UPDATE objects o SET is_first = (o.version = m.lo), is_last = (o.version = m.hi)"
	                  " FROM (SELECT min(version) AS lo, max(version) AS hi FROM objects WHERE coll = $1 AND id = $2) m"
	                  " WHERE o.coll = $1 AND o.id = $2 AND (o.is_first <> (o.version = m.lo) OR"
	                  " o.is_last <> (o.version = m.hi))", &p, "delete", NULL, err);
}

/* The rows are chosen, then deleted with their references, in one
** statement: every part of it reads the rows as they were before it, so
** the version clause compares a row with siblings that are all there. */
static enum relto_err delete_sql(struct buf *sql, const struct store_versions *v, size_t nspec_versions,
                                 int visible)
{
	enum relto_err rc = buf_puts(sql, "WITH d AS (DELETE FROM objects WHERE seq IN (SELECT o.seq FROM objects o"
	                                  " WHERE o.coll = $1 AND o.id = ANY($5)");
	if (!rc && nspec_versions)
		rc = buf_puts(sql, " AND o.spec_version = ANY($7)");
	if (!rc && visible)
		rc = buf_puts(sql, " AND " ROW_VISIBLE("o"));
	if (!rc)
		rc = version_sql(sql, v, visible);
	return rc ? rc : buf_puts(sql, ") RETURNING seq), r AS (DELETE FROM refs WHERE seq IN (SELECT seq FROM d))"
	                               " SELECT count(*) FROM d");
}

static enum relto_err pg_delete(struct store_conn *base, int64_t coll, const char *id,
                                const struct store_versions *v, const char *const *spec_versions,
                                size_t nspec_versions, const struct store_visibility *vis, size_t *deleted,
                                char *err)
{
	struct pg_link *l = link_of(base);
	int visible = vis && vis->on;
	struct query_lists ls;
	struct buf sql;
	lists_init(&ls);
	buf_init(&sql, 16384);
	*deleted = 0;
	enum relto_err rc = lists_fill(&ls, &id, 1, NULL, 0, spec_versions, nspec_versions, v, vis);
	if (!rc)
		rc = delete_sql(&sql, v, nspec_versions, visible);
	if (rc)
		rc = relto_seterr(err, rc, "delete query too large");
	if (!rc)
		rc = begin_objects(l, err);
	if (!rc) {
		struct pg_params p = {0};
		bind_query(&p, coll, 0, 0, 0, 0, &ls, vis);
		PGresult *res = NULL;
		rc = pg__row(l, sql.data, &p, "delete", &res, err);
		if (!rc)
			*deleted = (size_t)pg__get_i64(res, 0, 0);
		PQclear(res);
		if (!rc && *deleted)
			rc = refresh_flags(l, coll, id, err);
		rc = pg__end(l, rc, err);
		if (rc)
			*deleted = 0;
	}
	buf_free(&sql);
	lists_free(&ls);
	return rc;
}

static enum relto_err pg_count(struct store_conn *base, int64_t coll, int64_t *out, char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = pg__ready(l, err);
	struct pg_params p = {0};
	pg__i64(&p, coll);
	PGresult *res = NULL;
	if (!rc)
		rc = pg__row(l, "SELECT count(*) FROM objects WHERE coll = $1", &p, "count", &res, err);
	if (!rc)
		*out = pg__get_i64(res, 0, 0);
	PQclear(res);
	return rc;
}

static enum relto_err pg_schema(struct store_conn *base, int64_t *version, int64_t *known, char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = pg__ready(l, err);
	PGresult *res = NULL;
	if (!rc)
		rc = pg__row(l, "SELECT coalesce(max(version), 0)::bigint FROM schema_version", NULL, "schema version", &res,
		             err);
	if (!rc)
		*version = pg__get_i64(res, 0, 0);
	*known = SCHEMA_VERSION;
	PQclear(res);
	return rc;
}

/* ---- what releasability reads ---- */

static enum relto_err pg_marking_sets(struct store_conn *base, store_set_fn fn, void *ctx, char *err)
{
	struct pg_link *l = link_of(base);
	PGresult *res = NULL;
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__run(l, "SELECT num, canon FROM marking_sets ORDER BY num", NULL, "marking sets", &res, err);
	for (int i = 0; !rc && i < PQntuples(res); i++)
		rc = fn(ctx, pg__get_i64(res, i, 0), pg__get_text(res, i, 1));
	PQclear(res);
	return rc;
}

static enum relto_err pg_marking_definitions(struct store_conn *base, store_def_fn fn, void *ctx, char *err)
{
	struct pg_link *l = link_of(base);
	PGresult *res = NULL;
	enum relto_err rc = pg__ready(l, err);
	/* An id range (bytewise: the column is COLLATE "C"), so the objects_id
	** index finds them without a scan. */
	if (!rc)
		rc = pg__run(l, "SELECT id, raw FROM objects WHERE id >= 'marking-definition--'"
		                " AND id < 'marking-definition-.' AND is_last ORDER BY seq", NULL, "marking definitions",
		             &res, err);
	for (int i = 0; !rc && i < PQntuples(res); i++) {
		size_t len;
		const char *raw = pg__get_bytes(res, i, 1, &len);
		rc = fn(ctx, pg__get_text(res, i, 0), raw, len);
	}
	PQclear(res);
	return rc;
}

static enum relto_err pg_find_object(struct store_conn *base, const char *id, store_found_fn fn, void *ctx,
                                     char *err)
{
	struct pg_link *l = link_of(base);
	PGresult *res = NULL;
	struct pg_params p = {0};
	pg__text(&p, id);
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__run(l, "SELECT coll, posted_by, raw FROM objects WHERE id = $1 AND is_last ORDER BY coll", &p,
		             "find", &res, err);
	for (int i = 0; !rc && i < PQntuples(res); i++) {
		size_t len;
		const char *raw = pg__get_bytes(res, i, 2, &len);
		rc = fn(ctx, pg__get_i64(res, i, 0), pg__get_text(res, i, 1), raw, len);
	}
	PQclear(res);
	return rc;
}

/* ---- versioned rules ---- */

static enum relto_err pg_rules_put(struct store_conn *base, const char *kind, const char *author,
                                   const char *reason, const char *body, int64_t expect, int64_t *version,
                                   char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = pg__ready(l, err);
	/* Writers of rules take turns (readers do not wait), so the latest
	** version read here is still the latest when the next is added. */
	if (!rc)
		rc = pg__exec(l, "BEGIN; LOCK TABLE rules IN EXCLUSIVE MODE", "rules", err);
	if (rc)
		return rc;
	struct pg_params p = {0};
	pg__text(&p, kind);
	PGresult *res = NULL;
	if (expect >= 0 && !(rc = pg__row(l, "SELECT coalesce(max(version), 0) FROM rules WHERE kind = $1", &p, "rules",
	                                  &res, err))) {
		int64_t latest = pg__get_i64(res, 0, 0);
		if (latest != expect)
			rc = relto_seterr(err, RELTO_ECONFLICT,
			                  "the %s changed meanwhile: version %lld is the latest, this change was made "
			                  "against version %lld", kind, (long long)latest, (long long)expect);
		PQclear(res);
		res = NULL;
	}
	pg__text(&p, author);
	pg__i64(&p, ts_now());
	pg__text(&p, reason);
	pg__text(&p, body);
	if (!rc)
		rc = pg__row(l, "INSERT INTO rules(kind, version, author, at, reason, body)"
		                " SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5 FROM rules WHERE kind = $1"
		                " RETURNING version", &p, "rules", &res, err);
	if (!rc)
		*version = pg__get_i64(res, 0, 0);
	PQclear(res);
	return pg__end(l, rc, err);
}

/* Columns: version, author, at, reason[, body]. */
static enum relto_err rules_row(const PGresult *res, int i, int with_body, struct store_rules *out)
{
	memset(out, 0, sizeof(*out));
	out->version = pg__get_i64(res, i, 0);
	out->at = pg__get_i64(res, i, 2);
	out->author = strdup(pg__get_text(res, i, 1));
	out->reason = strdup(pg__get_text(res, i, 3));
	if (with_body)
		out->body = strdup(pg__get_text(res, i, 4));
	if (!out->author || !out->reason || (with_body && !out->body)) {
		store_rules_clear(out);
		return RELTO_ENOMEM;
	}
	return RELTO_OK;
}

static enum relto_err pg_rules_get(struct store_conn *base, const char *kind, int64_t version,
                                   struct store_rules *out, char *err)
{
	struct pg_link *l = link_of(base);
	struct pg_params p = {0};
	pg__text(&p, kind);
	pg__i64(&p, version);
	PGresult *res = NULL;
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__run(l, "SELECT version, author, at, reason, body FROM rules WHERE kind = $1"
		                " AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1", &p, "rules", &res, err);
	if (!rc && PQntuples(res) == 0)
		rc = relto_seterr(err, RELTO_ENOTFOUND, "no %s version%s in the store", kind, version ? " like that" : "");
	else if (!rc && rules_row(res, 0, 1, out))
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	PQclear(res);
	return rc;
}

static enum relto_err pg_rules_log(struct store_conn *base, const char *kind, store_rules_fn fn, void *ctx,
                                   char *err)
{
	struct pg_link *l = link_of(base);
	struct pg_params p = {0};
	pg__text(&p, kind);
	PGresult *res = NULL;
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__run(l, "SELECT version, author, at, reason FROM rules WHERE kind = $1 ORDER BY version", &p,
		             "rules", &res, err);
	for (int i = 0; !rc && i < PQntuples(res); i++) {
		struct store_rules row;
		if ((rc = rules_row(res, i, 0, &row)))
			rc = relto_seterr(err, rc, "out of memory");
		if (!rc)
			rc = fn(ctx, &row);
		store_rules_clear(&row);
	}
	PQclear(res);
	return rc;
}

/* One query each time: PostgreSQL has no shared-memory counter like
** SQLite's data_version that says nothing was committed, and a change
** committed by any process must apply to the next request. */
static enum relto_err pg_heads(struct store_conn *base, struct store_heads *out, char *err)
{
	struct pg_link *l = link_of(base);
	PGresult *res = NULL;
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__row(l, "SELECT (SELECT coalesce(max(version), 0) FROM rules WHERE kind = 'posture'),"
		                " (SELECT coalesce(max(version), 0) FROM rules WHERE kind = 'policy'),"
		                " (SELECT coalesce(max(value), 0) FROM counters WHERE name = 'credentials_version')",
		             NULL, "rules", &res, err);
	if (!rc) {
		out->posture = pg__get_i64(res, 0, 0);
		out->policy = pg__get_i64(res, 0, 1);
		out->credentials = pg__get_i64(res, 0, 2);
	}
	PQclear(res);
	return rc;
}

/* ---- credentials ---- */

/* One more credential change (store_heads().credentials), inside the
** caller's transaction; its row lock also makes credential writers take
** turns. */
static enum relto_err bump_credentials(struct pg_link *l, char *err)
{
	return pg__run(l, "UPDATE counters SET value = value + 1 WHERE name = 'credentials_version'", NULL,
	               "credentials", NULL, err);
}

/* Revoke id (which must be in force) inside the caller's transaction. */
static enum relto_err revoke_one(struct pg_link *l, const char *id, char *err)
{
	struct pg_params p = {0};
	pg__text(&p, id);
	pg__i64(&p, ts_now());
	PGresult *res = NULL;
	enum relto_err rc = pg__run(l, "UPDATE credentials SET revoked = $2 WHERE id = $1 AND revoked = 0", &p,
	                            "credentials", &res, err);
	if (!rc && strcmp(PQcmdTuples(res), "0") == 0)
		rc = relto_seterr(err, RELTO_ENOTFOUND, "no credential '%.80s' in force", id);
	PQclear(res);
	return rc;
}

static enum relto_err begin_credentials(struct pg_link *l, char *err)
{
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__exec(l, "BEGIN", "begin", err);
	if (!rc && (rc = bump_credentials(l, err)))
		pg__exec(l, "ROLLBACK", "rollback", NULL);
	return rc;
}

static enum relto_err pg_credential_put(struct store_conn *base, const struct store_credential *cr,
                                        const char *revoke_id, char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = begin_credentials(l, err);
	if (rc)
		return rc;
	if (revoke_id)
		rc = revoke_one(l, revoke_id, err);
	struct pg_params p = {0};
	pg__text(&p, cr->id);
	pg__text(&p, cr->partner);
	pg__text(&p, cr->kind);
	pg__text(&p, cr->hash);
	pg__text(&p, cr->note ? cr->note : "");
	pg__i64(&p, ts_now());
	pg__i64(&p, cr->revoked);
	char why[RELTO_ERRBUF_SIZE] = "";
	if (!rc && (rc = pg__run(l, "INSERT INTO credentials(id, partner, kind, hash, note, created, revoked)"
	                            " VALUES($1, $2, $3, $4, $5, $6, $7)", &p, "credentials", NULL, why)))
		rc = rc == RELTO_ECONFLICT ? relto_seterr(err, rc, "credential '%.80s' exists already", cr->id)
		                           : relto_seterr(err, rc, "%s", why);
	return pg__end(l, rc, err);
}

static enum relto_err pg_credential_revoke(struct store_conn *base, const char *id, const char *partner, char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = begin_credentials(l, err);
	if (rc)
		return rc;
	/* A configured password has no row until it is revoked. */
	struct pg_params p = {0};
	pg__text(&p, id);
	pg__text(&p, partner);
	if (partner)
		rc = pg__run(l, "INSERT INTO credentials(id, partner, kind, hash, note, created, revoked)"
		                " VALUES($1, $2, 'password', '', 'configured', 0, 0) ON CONFLICT DO NOTHING", &p,
		             "credentials", NULL, err);
	if (!rc)
		rc = revoke_one(l, id, err);
	return pg__end(l, rc, err);
}

static enum relto_err pg_credentials(struct store_conn *base, store_credential_fn fn, void *ctx, char *err)
{
	struct pg_link *l = link_of(base);
	PGresult *res = NULL;
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__run(l, "SELECT id, partner, kind, hash, note, created, revoked FROM credentials"
		                " ORDER BY created, id", NULL, "credentials", &res, err);
	for (int i = 0; !rc && i < PQntuples(res); i++) {
		struct store_credential cr = {
			.id = (char *)pg__get_text(res, i, 0), .partner = (char *)pg__get_text(res, i, 1),
			.kind = (char *)pg__get_text(res, i, 2), .hash = (char *)pg__get_text(res, i, 3),
			.note = (char *)pg__get_text(res, i, 4), .created = pg__get_i64(res, i, 5),
			.revoked = pg__get_i64(res, i, 6)};
		rc = fn(ctx, &cr);
	}
	PQclear(res);
	return rc;
}

/* ---- impact counts and status resources ---- */

static enum relto_err pg_set_counts(struct store_conn *base, store_setcount_fn fn, void *ctx, char *err)
{
	struct pg_link *l = link_of(base);
	PGresult *res = NULL;
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__run(l, "SELECT coll, marking_set, posted_by, count(*) FROM objects WHERE is_last"
		                " GROUP BY coll, marking_set, posted_by ORDER BY coll, marking_set, posted_by", NULL,
		             "set counts", &res, err);
	for (int i = 0; !rc && i < PQntuples(res); i++)
		rc = fn(ctx, pg__get_i64(res, i, 0), pg__get_i64(res, i, 1), pg__get_text(res, i, 2),
		        pg__get_i64(res, i, 3));
	PQclear(res);
	return rc;
}

static enum relto_err pg_status_put(struct store_conn *base, const char *id, const char *partner,
                                    const char *json, char *err)
{
	struct pg_link *l = link_of(base);
	struct pg_params p = {0};
	/* Status resources are kept 7 days (TAXII asks for at least 24 h). */
	pg__i64(&p, ts_now() - 7 * 86400 * INT64_C(1000000));
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__run(l, "DELETE FROM status WHERE created < $1", &p, "status", NULL, err);
	p.n = 0;
	pg__text(&p, id);
	pg__text(&p, partner);
	pg__i64(&p, ts_now());
	pg__text(&p, json);
	if (!rc)
		rc = pg__run(l, "INSERT INTO status(id, partner, created, body) VALUES($1, $2, $3, $4)"
		                " ON CONFLICT (id) DO UPDATE SET partner = excluded.partner, created = excluded.created,"
		                " body = excluded.body", &p, "status", NULL, err);
	return rc;
}

static enum relto_err pg_status_get(struct store_conn *base, const char *id, const char *partner, char **json,
                                    char *err)
{
	struct pg_link *l = link_of(base);
	struct pg_params p = {0};
	pg__text(&p, id);
	pg__text(&p, partner);
	PGresult *res = NULL;
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__run(l, "SELECT body FROM status WHERE id = $1 AND partner = $2", &p, "status", &res, err);
	if (!rc && PQntuples(res) == 0)
		rc = relto_seterr(err, RELTO_ENOTFOUND, "no status resource '%s'", id);
	else if (!rc && !(*json = strdup(pg__get_text(res, 0, 0))))
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	PQclear(res);
	return rc;
}

/* "postgresql:" and "postgres:" are the same backend under libpq's two
** URI schemes. */
#define PG_OPS(name) {                                                    \
		.scheme = name,                                           \
		.open = pg_open,                                          \
		.close = pg_close,                                        \
		.conn_open = pg_conn_open,                                \
		.conn_close = pg_conn_close,                              \
		.secret = pg_secret,                                      \
		.collection = pg_collection,                              \
		.put = pg_put,                                            \
		.query = pg_query,                                        \
		.del = pg_delete,                                         \
		.count = pg_count,                                        \
		.marking_sets = pg_marking_sets,                          \
		.marking_definitions = pg_marking_definitions,            \
		.find_object = pg_find_object,                            \
		.rules_put = pg_rules_put,                                \
		.rules_get = pg_rules_get,                                \
		.rules_log = pg_rules_log,                                \
		.heads = pg_heads,                                        \
		.credential_put = pg_credential_put,                      \
		.credential_revoke = pg_credential_revoke,                \
		.credentials = pg_credentials,                            \
		.set_counts = pg_set_counts,                              \
		.status_put = pg_status_put,                              \
		.status_get = pg_status_get,                              \
		.schema = pg_schema,                                      \
		.trail_open = pg_trail_open,                              \
	}

const struct store_ops store_pg_ops = PG_OPS("postgresql");
const struct store_ops store_postgres_ops = PG_OPS("postgres");
