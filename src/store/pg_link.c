/*
** pg_link.c: the PostgreSQL backend's connection to the server (pg_int.h):
** connecting (passwords masked in every message), the per-connection
** cache of prepared statements, parameters and results.  store_pg.c and
** trail_pg.c say what to ask; this file says how.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg_int.h"

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
enum relto_err pg__fail(const struct pg_link *l, const PGresult *res, const char *what, char *err)
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
	return pg__connect_with(uri, NULL, NULL, l, err);
}

enum relto_err pg__connect_with(const char *uri, const char *const *dkeys, const char *const *dvalues,
                                struct pg_link *l, char *err)
{
	memset(l, 0, sizeof(*l));
	/* libpq keeps the last value of a repeated keyword: the defaults go
	** first, so the URI's own settings win over them; then the URI's win
	** over everything but the client encoding (relto sends and expects
	** UTF-8). */
	const char *keys[PG_MAX_DEFAULTS + 4], *values[PG_MAX_DEFAULTS + 4];
	size_t n = 0;
	for (size_t i = 0; dkeys && i < PG_MAX_DEFAULTS && dkeys[i]; i++) {
		keys[n] = dkeys[i];
		values[n++] = dvalues[i];
	}
	const char *const fixed_keys[] = {"dbname", "fallback_application_name", "client_encoding"};
	const char *const fixed_values[] = {uri, "relto", "UTF8"};
	for (size_t i = 0; i < 3; i++) {
		keys[n] = fixed_keys[i];
		values[n++] = fixed_values[i];
	}
	keys[n] = values[n] = NULL;
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

/* A new session: no prepared statements, the default plan mode. */
static void forget_prepared(struct pg_link *l)
{
	for (int i = 0; i < PG_STMT_CACHE; i++)
		l->cache[i].prepared = 0;
	l->generic = 0;
}

enum relto_err pg__ready(struct pg_link *l, char *err)
{
	if (PQstatus(l->db) != CONNECTION_OK) {
		/* The server restarted or the network dropped: a new session,
		** without the statements the old one had prepared. */
		PQreset(l->db);
		forget_prepared(l);
		if (PQstatus(l->db) != CONNECTION_OK)
			return pg__fail(l, NULL, "reconnecting", err);
	}
	if (PQtransactionStatus(l->db) != PQTRANS_IDLE)
		return pg__exec(l, "ROLLBACK", "rollback", err);
	return RELTO_OK;
}

enum relto_err pg__exec(struct pg_link *l, const char *sql, const char *what, char *err)
{
	PGresult *res = PQexec(l->db, sql);
	ExecStatusType st = PQresultStatus(res);
	enum relto_err rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? RELTO_OK : pg__fail(l, res, what, err);
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
		             : pg__fail(l, res, "commit", err);
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
		enum relto_err rc = PQresultStatus(res) == PGRES_COMMAND_OK ? RELTO_OK : pg__fail(l, res, what, err);
		PQclear(res);
		if (rc)
			return rc;
		e->prepared = 1;
	}
	e->used = ++l->tick;
	*out = e;
	return RELTO_OK;
}

/* Put the session in the plan mode p asks for (pg_int.h): a statement
** without parameters has one plan whatever the mode. */
static enum relto_err plan_mode(struct pg_link *l, const struct pg_params *p, char *err)
{
	int want = p && p->generic;
	if (!p || !p->n || want == l->generic || PQtransactionStatus(l->db) != PQTRANS_IDLE)
		return RELTO_OK;
	enum relto_err rc = pg__exec(l, want ? "SET plan_cache_mode = force_generic_plan" : "SET plan_cache_mode = auto",
	                             "plan mode", err);
	if (!rc)
		l->generic = want;
	return rc;
}

enum relto_err pg__run(struct pg_link *l, const char *sql, const struct pg_params *p, const char *what,
                       PGresult **out, char *err)
{
	struct pg_stmt *e = NULL;
	enum relto_err rc = plan_mode(l, p, err);
	if (!rc)
		rc = prepared(l, sql, p, what, &e, err);
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
		rc = pg__fail(l, res, what, err);
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
