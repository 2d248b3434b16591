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
** statement.  The filtered object queries are also planned once per
** connection (pg_int.h: their nested visibility probes took 8 ms to plan
** each time, 0.3 ms to run), and a large write takes statistics at once
** (refresh_statistics) so that plan is not made without them.  Results
** come back in binary: stored bytes arrive as they were sent, without an
** escaped text form to decode.
**
** The schema is created by open when absent, and brought to this relto's
** version (schema_pg.c).
*/
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pg_int.h"
#include "../util/buf.h"
#include "../util/ts.h"

/* PostgreSQL keeps at most 1 GiB in one value. */
#define PG_VALUE_MAX ((size_t)1 << 30)

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

/* ---- opening ---- */

struct pg_state {
	char *uri;                /* the libpq URI, scheme included */
	char origin[PG_ORIGIN_LEN + 1]; /* this store's name in change announcements */
};

struct pg_conn {
	struct store_conn base;   /* first: store.c chains these */
	struct pg_link l;
	const char *origin;       /* the store's (pg_state) */
};

static struct pg_link *link_of(struct store_conn *base)
{
	return &((struct pg_conn *)base)->l;
}

/* Within the caller's transaction: tell other processes' watches that
** kind changed (watch_pg.c), once it commits. */
static enum relto_err announce(struct store_conn *base, const char *kind, char *err)
{
	struct pg_conn *c = (struct pg_conn *)base;
	return pg__announce(&c->l, c->origin, kind, err);
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
	unsigned char origin[PG_ORIGIN_LEN / 2];
	randombytes_buf(origin, sizeof(origin));
	sodium_bin2hex(s->origin, sizeof(s->origin), origin, sizeof(origin));
	struct pg_link l;
	enum relto_err rc = pg__connect(s->uri, &l, err);
	if (!rc) {
		rc = pg__migrate(&l, err);
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
	c->origin = s->origin;
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

static enum relto_err pg_watch_open(void *state, struct store_watch **out, char *err)
{
	struct pg_state *s = state;
	return pg__watch_open(s->uri, s->origin, out, err);
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
	struct buf entry;
	buf_init(&entry, (size_t)1 << 20);
	if (store__entry(&entry, o->id, o->has_version ? o->version_text : NULL, version))
		rc = relto_seterr(err, RELTO_ETOOBIG, "object %s: its audit entry is too long", o->id);
	pg__bytes(&p, entry.data, entry.len);
	if (!rc)
		rc = pg__run(l, "WITH o AS (INSERT INTO objects(coll, id, type, version, version_text, spec_version,"
		                " date_added, marking_set, created_by_ref, posted_by, raw, is_first, is_last, nreq, nopt,"
		                " entry) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $18)"
		                " RETURNING seq) INSERT INTO refs(seq, pos, ref, required) SELECT o.seq, u.pos, u.ref,"
		                " u.required FROM o, unnest($16, $17) WITH ORDINALITY AS u(ref, required, pos)",
		             &p, "insert", NULL, err);
	buf_free(&entry);
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

/* After a write of n objects: statistics of objects and refs, now, when
** the write alone added a tenth of the rows they were taken over or
** more (autovacuum's threshold: 50 rows and 10%), or there are none.
** Autovacuum would take them at its next round, up to a minute later;
** meanwhile the filtered queries' generic plans (pg_int.h), made once per
** connection and kept until the statistics change, would be made without
** them: a bulk import was followed by pages of 20 ms instead of 0.5
** (refs read whole for every row, the collection materialized under
** every reference probe).  SKIP_LOCKED: never wait for another ANALYZE
** or a VACUUM.  The write is committed already: a failure here changes
** nothing of it. */
static void refresh_statistics(struct pg_link *l, size_t n)
{
	PGresult *res = NULL;
	if (n < 50 || pg__row(l, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'objects'::regclass", NULL,
	                      "statistics", &res, NULL))
		return;
	int64_t rows = pg__get_i64(res, 0, 0); /* -1: never analyzed */
	PQclear(res);
	if ((int64_t)n * 10 >= rows)
		pg__exec(l, "ANALYZE (SKIP_LOCKED) objects, refs", "statistics", NULL);
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
	int added = 0;
	rc = next_date_added(l, n, &first, err);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = insert_one(l, coll, posted_by, &objs[i], first + (int64_t)i, &set_num, &set, &results[i], err);
		added |= !rc && results[i] == STORE_ADDED;
		if (date_added)
			date_added[i] = first + (int64_t)i;
	}
	/* A batch of duplicates changed nothing anyone could see. */
	if (!rc && added)
		rc = announce(base, "objects", err);
	if ((rc = pg__end(l, rc, err)))
		return rc;
	refresh_statistics(l, n);
	return RELTO_OK;
}

/* ---- reading objects ---- */

/* Parameters of queries and deletes: $1 coll, $2 added_after, $3/$4 the
** cursor, $5 ids, $6 types, $7 spec versions, $8 limit, $9 version
** timestamps, $10 released marking sets, $11 the partner (originator).
** Every statement binds all eleven, typed, so unused ones cost nothing;
** counting withheld rows (withheld_sql) binds four more. */

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
	static const char *const other_visible[2] = {
		"EXISTS (SELECT 1 FROM objects p WHERE p.coll = o.coll AND p.id = o.id AND p.version < o.version AND "
		ROW_VISIBLE("p") ")",
		"EXISTS (SELECT 1 FROM objects p WHERE p.coll = o.coll AND p.id = o.id AND p.version > o.version AND "
		ROW_VISIBLE("p") ")",
	};
	return store__version_sql(sql, v, "false", " = ANY($9)", visible ? other_visible : NULL);
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
	int with_entries;         /* the audit trail's entry column too */
	int cursor;               /* after ($3, $4) */
	int by_type;              /* one walk per type (TYPE_WALKS) */
};

/* With match[type] and no match[id] (ids find their rows through
** objects_version): the rows of each type asked for are walked in order
** on objects_type, at most LIMIT of them each, and the walks merged.  A
** filtered query runs on a generic plan (pg_int.h), which cannot tell a
** rare type from a common one: a type filter on the walk of objects_added
** would read the whole collection for a rare type, and ANY($6) on
** objects_type would sort every row of a common one. */
#define TYPE_WALKS "(SELECT DISTINCT unnest($6) AS type) t CROSS JOIN LATERAL ("

/* The rows the plain filters keep, as alias o (by_type: of type t.type). */
static enum relto_err filters_sql(struct buf *sql, const struct store_query *q, const struct query_shape *shape)
{
	enum relto_err rc = buf_puts(sql, " FROM objects o WHERE o.coll = $1");
	if (!rc && q->has_added_after)
		rc = buf_puts(sql, " AND o.date_added > $2");
	if (!rc && shape->cursor)
		rc = buf_puts(sql, " AND (o.date_added, o.seq) > ($3, $4)");
	if (!rc && q->nids)
		rc = buf_puts(sql, " AND o.id = ANY($5)");
	if (!rc && q->ntypes)
		rc = buf_puts(sql, shape->by_type ? " AND o.type = t.type" : " AND o.type = ANY($6)");
	if (!rc && q->nspec_versions)
		rc = buf_puts(sql, " AND o.spec_version = ANY($7)");
	return rc;
}

/* The columns of a row (0 seq, 1 date_added, 2 version, 3 id,
** 4 version_text, 5 spec_version, 6 marking_set, then entry with_entries,
** then raw with_raw). */
static enum relto_err columns_sql(struct buf *sql, const struct query_shape *shape)
{
	enum relto_err rc = buf_puts(sql, "o.seq, o.date_added, o.version, o.id, o.version_text, o.spec_version,"
	                                  " o.marking_set");
	if (!rc && shape->with_entries)
		rc = buf_puts(sql, ", o.entry");
	return rc || !shape->with_raw ? rc : buf_puts(sql, ", o.raw");
}

/* Columns: those of columns_sql, then (with a visibility filter) the
** hidden optional references and "own".  The visibility filter is in
** the WHERE: the rows are those given, LIMIT counts only them, and
** withheld rows are counted apart (withheld_sql).  By type, the hidden
** references are computed outside the walks, so only for the rows kept
** after the merge (PostgreSQL evaluates such a costly column after the
** sort and the LIMIT). */
static enum relto_err query_sql(const struct store_query *q, const struct query_shape *shape, struct buf *sql)
{
	enum relto_err rc = buf_puts(sql, "SELECT ");
	if (!rc)
		rc = columns_sql(sql, shape);
	if (!rc && q->vis.on)
		rc = buf_puts(sql, ", " HIDDEN_REFS " AS hidden_refs, o.posted_by = $11 AS own");
	if (!rc && shape->by_type && !(rc = buf_puts(sql, " FROM " TYPE_WALKS "SELECT ")))
		rc = columns_sql(sql, shape);
	if (!rc && shape->by_type && q->vis.on)
		rc = buf_puts(sql, ", o.coll, o.nopt, o.posted_by");
	if (!rc)
		rc = filters_sql(sql, q, shape);
	if (!rc && q->vis.on)
		rc = buf_puts(sql, " AND " ROW_VISIBLE("o"));
	if (!rc)
		rc = version_sql(sql, &q->versions, q->vis.on);
	if (!rc)
		rc = buf_puts(sql, " ORDER BY o.date_added, o.seq LIMIT $8");
	return rc || !shape->by_type ? rc : buf_puts(sql, ") o ORDER BY o.date_added, o.seq LIMIT $8");
}

/* Counting withheld rows: the rows of the range the query walked (from
** its start to $14/$15, where it stopped) that match the plain filters
** and are the version asked for, but that it did not give ($13: the seqs
** it gave).  A visible row that is the version asked for always passes
** the version clause, so in that range the query gave every such row
** that is visible, and the others are withheld: the visibility test is
** not run a second time.  Counted by marking set and by gap: the number
** of given rows before them (width_bucket over the dates of the given
** rows, $12; date_added is unique in this backend, one counter taken
** under a lock), each gap's sets in the order the walk meets them. */
static enum relto_err withheld_sql(const struct store_query *q, const struct query_shape *shape, struct buf *sql)
{
	enum relto_err rc = buf_puts(sql, "SELECT width_bucket(o.date_added, $12), o.marking_set, count(*),"
	                                  " min(o.date_added)");
	if (!rc && shape->by_type)
		rc = buf_puts(sql, " FROM " TYPE_WALKS "SELECT o.date_added, o.marking_set");
	if (!rc)
		rc = filters_sql(sql, q, shape);
	if (!rc)
		rc = buf_puts(sql, " AND ");
	if (!rc)
		rc = asked_sql(sql, &q->versions);
	if (!rc)
		rc = buf_puts(sql, " AND o.seq <> ALL($13) AND (o.date_added, o.seq) < ($14, $15)");
	/* OFFSET 0: each type's walk stays a walk of objects_type; merged
	** into a join, the range would be read whole for a rare type. */
	if (!rc && shape->by_type)
		rc = buf_puts(sql, " OFFSET 0) o");
	return rc ? rc : buf_puts(sql, " GROUP BY 1, 2 ORDER BY 1, 4");
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

/* The withheld rows of the range the query's result `res` covers, by gap
** and marking set (withheld_sql), into *out.  The range ends at the row
** before the last given when the query gave all it was asked for
** (LIMIT; store.h), else it goes on to the end. */
static enum relto_err withheld_gaps(struct pg_link *l, const struct store_query *q, const struct query_shape *shape,
                                    const struct query_lists *ls, int64_t limit, const PGresult *res,
                                    PGresult **out, char *err)
{
	int n = PQntuples(res);
	struct buf sql, dates, seqs;
	buf_init(&sql, 16384);
	buf_init(&dates, (size_t)1 << 24);
	buf_init(&seqs, (size_t)1 << 24);
	enum relto_err rc = withheld_sql(q, shape, &sql);
	if (!rc && !(rc = buf_putc(&dates, '{')))
		rc = buf_putc(&seqs, '{');
	for (int i = 0; !rc && i < n; i++)
		if (!(rc = buf_printf(&dates, "%s%lld", i ? "," : "", (long long)pg__get_i64(res, i, 1))))
			rc = buf_printf(&seqs, "%s%lld", i ? "," : "", (long long)pg__get_i64(res, i, 0));
	if (!rc && !(rc = buf_putc(&dates, '}')))
		rc = buf_putc(&seqs, '}');
	if (rc)
		rc = relto_seterr(err, RELTO_EINTERNAL, "withheld count query over its cap");
	if (!rc) {
		/* Given all it asked for: up to the row before the last (store.h),
		** none when that is the only one. */
		int full = n > 0 && n == limit;
		struct pg_params p = {.generic = 1};
		bind_query(&p, q->coll, q->added_after, q->after_date_added, q->after_seq, limit, ls, &q->vis);
		pg__array(&p, PG_INT8_ARRAY, dates.data);
		pg__array(&p, PG_INT8_ARRAY, seqs.data);
		pg__i64(&p, !full ? INT64_MAX : n > 1 ? pg__get_i64(res, n - 2, 1) : INT64_MIN);
		pg__i64(&p, !full ? INT64_MAX : n > 1 ? pg__get_i64(res, n - 2, 0) : INT64_MIN);
		rc = pg__run(l, sql.data, &p, "withheld", out, err);
	}
	buf_free(&sql);
	buf_free(&dates);
	buf_free(&seqs);
	return rc;
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
	if (q->with_entries) {
		size_t n = 0;
		row.entry = pg__get_bytes(res, i, col++, &n);
		row.entry_len = n;
	}
	if (with_raw)
		row.raw = pg__get_bytes(res, i, col++, &row.raw_len);
	if (q->vis.on) {
		row.hidden_refs = pg__get_text(res, i, col++);
		row.own = pg__get_bool(res, i, col++);
	}
	if (!with_raw) {
		row.id = pg__get_text(res, i, 3);
		row.version_text = pg__get_text(res, i, 4);
		row.spec_version = pg__get_text(res, i, 5);
	}
	return row;
}

/* Give the rows to fn in order; before each, count the withheld rows
** (gaps, NULL when not counting) the walk passed over to reach it, and
** after the last, the rest. */
static enum relto_err walk_rows(const PGresult *res, const PGresult *gaps, const struct store_query *q, int with_raw,
                                store_row_fn fn, void *ctx)
{
	int n = PQntuples(res), ng = gaps ? PQntuples(gaps) : 0, g = 0;
	for (int i = 0; i <= n; i++) {
		for (; g < ng && (i == n || pg__get_i64(gaps, g, 0) <= i); g++)
			store_withheld_add(q->withheld, pg__get_i64(gaps, g, 1), pg__get_i64(gaps, g, 2));
		if (i == n)
			break;
		struct store_row row = row_of(res, i, q, with_raw);
		enum relto_err rc = fn(ctx, &row);
		if (rc)
			return rc;
	}
	return RELTO_OK;
}

/* One statement gives the rows; counting, a second counts what its walk
** passed over (withheld_sql). */
static enum relto_err pg_query(struct store_conn *base, const struct store_query *q, int with_raw,
                               store_row_fn fn, void *ctx, char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = pg__ready(l, err);
	if (rc || !q->limit)
		return rc;
	struct query_shape shape = {.with_raw = with_raw, .with_entries = q->with_entries, .cursor = q->has_cursor,
	                            .by_type = q->ntypes && !q->nids};
	int64_t limit = q->limit > (size_t)INT64_MAX ? INT64_MAX : (int64_t)q->limit;
	struct query_lists ls;
	struct buf sql;
	lists_init(&ls);
	buf_init(&sql, 65536);
	if (lists_fill(&ls, q->ids, q->nids, q->types, q->ntypes, q->spec_versions, q->nspec_versions, &q->versions,
	               &q->vis)) /* the filters' lists are capped by the query parser */
		rc = relto_seterr(err, RELTO_EINTERNAL, "query lists over their cap");
	else if (query_sql(q, &shape, &sql))
		rc = relto_seterr(err, RELTO_EINTERNAL, "query text over its cap");
	PGresult *res = NULL, *gaps = NULL;
	if (!rc) {
		/* Filtered, its plan is the same whatever the values: a
		** walk of the collection in order, each row probed. */
		struct pg_params p = {.generic = q->vis.on};
		bind_query(&p, q->coll, q->added_after, q->after_date_added, q->after_seq, limit, &ls, &q->vis);
		rc = pg__run(l, sql.data, &p, "query", &res, err);
	}
	if (!rc && q->vis.on && q->withheld)
		rc = withheld_gaps(l, q, &shape, &ls, limit, res, &gaps, err);
	if (!rc)
		rc = walk_rows(res, gaps, q, with_raw, fn, ctx);
	PQclear(res);
	PQclear(gaps);
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
		if (!rc && *deleted)
			rc = announce(base, "objects", err);
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
	*known = PG_SCHEMA_VERSION;
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
	if (!rc)
		rc = announce(base, "rules", err);
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

/* Begin a change of credentials: counted, and announced to other
** processes (both undone if the change rolls back). */
static enum relto_err begin_credentials(struct store_conn *base, char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__exec(l, "BEGIN", "begin", err);
	if (rc)
		return rc;
	if ((rc = bump_credentials(l, err)) || (rc = announce(base, "credentials", err)))
		pg__exec(l, "ROLLBACK", "rollback", NULL);
	return rc;
}

static enum relto_err pg_credential_put(struct store_conn *base, const struct store_credential *cr,
                                        const char *revoke_id, char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = begin_credentials(base, err);
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
	enum relto_err rc = begin_credentials(base, err);
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
		.watch_open = pg_watch_open,                              \
	}

const struct store_ops store_pg_ops = PG_OPS("postgresql");
const struct store_ops store_postgres_ops = PG_OPS("postgres");
