/*
** trail_pg.c: the audit trail's storage on PostgreSQL (store.h, "the
** audit trail's storage").
**
** Tables of their own (audit_records, audit_lists, audit_journals,
** audit_checkpoints) in the store's database, written on a connection of
** their own: the trail's many small commits take no lock an ingest takes,
** and an ingest none of theirs.  Writers take turns on a table lock
** (EXCLUSIVE: readers such as `relto audit verify` do not wait), and the
** newest record is read after it is granted, so writers in several
** processes still make one chain.
**
** Bodies and lists are kept as bytes (bytea): the hash chain is over the
** exact bytes, which no text conversion may touch.  Nothing here knows
** what a record means: the columns other than body are copies the audit
** module makes for selecting, and `relto audit verify` checks them.
*/
#include <stdlib.h>
#include <string.h>
#include "pg_int.h"
#include "../util/buf.h"

struct pg_trail {
	struct store_trail base;  /* first */
	struct pg_link l;
};

static const struct store_trail_ops pg_trail_ops;

static struct pg_link *link_of(struct store_trail *base)
{
	return &((struct pg_trail *)base)->l;
}

enum relto_err pg__trail_open(const char *uri, struct store_trail **out, char *err)
{
	struct pg_trail *t = calloc(1, sizeof(*t));
	if (!t)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	t->base.ops = &pg_trail_ops;
	enum relto_err rc = pg__connect(uri, &t->l, err);
	if (rc) {
		free(t);
		return rc;
	}
	*out = &t->base;
	return RELTO_OK;
}

static void tr_close(struct store_trail *base)
{
	struct pg_trail *t = (struct pg_trail *)base;
	pg__disconnect(&t->l);
	free(t);
}

/* Copy a bytea column into dst (n bytes, zero-filled past its end). */
static void copy_bytes(unsigned char *dst, size_t n, const PGresult *res, int row, int col)
{
	size_t len;
	const char *p = pg__get_bytes(res, row, col, &len);
	memset(dst, 0, n);
	if (p)
		memcpy(dst, p, len < n ? len : n);
}

static enum relto_err tr_begin(struct store_trail *base, int64_t *seq, unsigned char hash[STORE_HASH_LEN],
                               char *err)
{
	struct pg_link *l = link_of(base);
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__exec(l, "BEGIN; LOCK TABLE audit_records IN EXCLUSIVE MODE", "audit trail", err);
	if (rc)
		return rc;
	*seq = 0;
	memset(hash, 0, STORE_HASH_LEN);
	PGresult *res = NULL;
	rc = pg__run(l, "SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1", NULL, "audit trail head", &res,
	             err);
	if (!rc && PQntuples(res) > 0) {
		*seq = pg__get_i64(res, 0, 0);
		copy_bytes(hash, STORE_HASH_LEN, res, 0, 1);
	}
	PQclear(res);
	if (rc)
		pg__exec(l, "ROLLBACK", "rollback", NULL);
	return rc;
}

static enum relto_err tr_add(struct store_trail *base, const struct store_trail_record *r, char *err)
{
	if (r->len >= (size_t)1 << 30)
		return relto_seterr(err, RELTO_ETOOBIG, "an audit record over 1 GiB");
	struct pg_params p = {0};
	pg__i64(&p, r->seq);
	pg__i64(&p, r->at);
	pg__text(&p, r->type);
	pg__text(&p, r->partner);
	if (r->has_list)
		pg__bytes(&p, r->list, STORE_HASH_LEN);
	else
		pg__null(&p, PG_BYTEA);
	pg__bytes(&p, r->body, r->len);
	pg__bytes(&p, r->hash, STORE_HASH_LEN);
	return pg__run(link_of(base), "INSERT INTO audit_records(seq, at, type, partner, list, body, hash)"
	                              " VALUES($1, $2, $3, $4, $5, $6, $7)", &p, "audit record", NULL, err);
}

static enum relto_err tr_add_list(struct store_trail *base, const unsigned char hash[STORE_HASH_LEN],
                                  const char *body, size_t len, char *err)
{
	if (len >= (size_t)1 << 30)
		return relto_seterr(err, RELTO_ETOOBIG, "a released list over 1 GiB");
	struct pg_params p = {0};
	pg__bytes(&p, hash, STORE_HASH_LEN);
	pg__bytes(&p, body, len);
	return pg__run(link_of(base), "INSERT INTO audit_lists(hash, body) VALUES($1, $2) ON CONFLICT DO NOTHING", &p,
	               "audit list", NULL, err);
}

static enum relto_err tr_add_checkpoint(struct store_trail *base, const struct store_trail_checkpoint *cp,
                                        char *err)
{
	struct pg_params p = {0};
	pg__i64(&p, cp->seq);
	pg__i64(&p, cp->at);
	pg__bytes(&p, cp->hash, STORE_HASH_LEN);
	pg__bytes(&p, cp->pubkey, sizeof(cp->pubkey));
	pg__bytes(&p, cp->sig, sizeof(cp->sig));
	return pg__run(link_of(base), "INSERT INTO audit_checkpoints(seq, at, hash, pubkey, sig)"
	                              " VALUES($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", &p, "audit checkpoint",
	               NULL, err);
}

static enum relto_err tr_end(struct store_trail *base, enum relto_err rc, char *err)
{
	return pg__end(link_of(base), rc, err);
}

/* The selection's SQL.  Parameters: $1 from_seq, $2 partner, $3 type,
** $4 since, $5 until, $6 the text a released list must hold, $7 limit. */
static enum relto_err records_sql(const struct store_trail_select *sel, struct buf *sql)
{
	enum relto_err rc = buf_puts(sql, "SELECT seq, at, type, partner, list, body, hash FROM audit_records"
	                                  " WHERE seq >= $1");
	if (!rc && sel->partner)
		rc = buf_puts(sql, " AND partner = $2");
	if (!rc && sel->type)
		rc = buf_puts(sql, " AND type = $3");
	if (!rc && sel->since)
		rc = buf_puts(sql, " AND at >= $4");
	if (!rc && sel->until)
		rc = buf_puts(sql, " AND at <= $5");
	/* The lists holding the text are found once, not per record. */
	if (!rc && sel->list_contains)
		rc = buf_puts(sql, " AND list IN (SELECT hash FROM audit_lists WHERE position($6 IN body) > 0)");
	/* As SQLite's json_extract() reads them: a count above zero; a
	** `withheld` that is there and not {}. */
	if (!rc && sel->where_json && strcmp(sel->where_json, "released") == 0)
		rc = buf_puts(sql, " AND jsonb_typeof(convert_from(body, 'UTF8')::jsonb #> '{released,count}') = 'number'"
		                   " AND (convert_from(body, 'UTF8')::jsonb #> '{released,count}') > '0'::jsonb");
	if (!rc && sel->where_json && strcmp(sel->where_json, "withheld") == 0)
		rc = buf_puts(sql, " AND (convert_from(body, 'UTF8')::jsonb -> 'withheld') <> '{}'::jsonb");
	if (!rc)
		rc = buf_puts(sql, " ORDER BY seq");
	if (!rc && sel->limit > 0)
		rc = buf_puts(sql, " LIMIT $7");
	return rc;
}

/* One record of a result, as store.h describes it. */
static struct store_trail_record record_of(const PGresult *res, int i)
{
	struct store_trail_record rec = {
		.seq = pg__get_i64(res, i, 0),
		.at = pg__get_i64(res, i, 1),
		.type = pg__get_text(res, i, 2),
		.partner = pg__get_text(res, i, 3),
		.has_list = !PQgetisnull(res, i, 4),
		.columns = 1, /* a table's columns: verify checks them against the body */
	};
	copy_bytes(rec.list, STORE_HASH_LEN, res, i, 4);
	rec.body = pg__get_bytes(res, i, 5, &rec.len);
	/* A hash column of the wrong size (tampering) must not read as a
	** hash that happens to match: it is zeros, and bad. */
	if (PQgetlength(res, i, 6) == STORE_HASH_LEN)
		copy_bytes(rec.hash, STORE_HASH_LEN, res, i, 6);
	if (!rec.type)
		rec.type = "";
	if (!rec.partner)
		rec.partner = "";
	if (!rec.body)
		rec.body = "";
	return rec;
}

/* Records come in pages of 10,000 (keyset on seq), so a walk over a long
** trail never holds it all in memory. */
#define RECORDS_PAGE 10000

static enum relto_err tr_records(struct store_trail *base, const struct store_trail_select *sel,
                                 store_trail_fn fn, void *ctx, char *err)
{
	struct pg_link *l = link_of(base);
	struct store_trail_select page = *sel;
	struct buf sql;
	buf_init(&sql, 4096);
	enum relto_err rc = pg__ready(l, err);
	int64_t left = sel->limit > 0 ? sel->limit : INT64_MAX;
	int more = 1;
	page.limit = 1; /* a LIMIT clause, always */
	if (!rc && records_sql(&page, &sql))
		rc = relto_seterr(err, RELTO_EINTERNAL, "audit selection over its cap");
	while (!rc && more) {
		int64_t n = left < RECORDS_PAGE ? left : RECORDS_PAGE;
		struct pg_params p = {0};
		pg__i64(&p, page.from_seq);
		pg__text(&p, sel->partner);
		pg__text(&p, sel->type);
		pg__i64(&p, sel->since);
		pg__i64(&p, sel->until);
		pg__bytes(&p, sel->list_contains, sel->list_contains ? strlen(sel->list_contains) : 0);
		pg__i64(&p, n);
		PGresult *res = NULL;
		if ((rc = pg__run(l, sql.data, &p, "audit records", &res, err)))
			break;
		int got = PQntuples(res);
		for (int i = 0; !rc && i < got; i++) {
			struct store_trail_record rec = record_of(res, i);
			page.from_seq = rec.seq + 1;
			rc = fn(ctx, &rec);
		}
		PQclear(res);
		left -= got;
		more = got == n && left > 0;
	}
	buf_free(&sql);
	return rc;
}

static enum relto_err tr_list(struct store_trail *base, const unsigned char hash[STORE_HASH_LEN], char **body,
                              size_t *len, char *err)
{
	struct pg_link *l = link_of(base);
	struct pg_params p = {0};
	pg__bytes(&p, hash, STORE_HASH_LEN);
	PGresult *res = NULL;
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__run(l, "SELECT body FROM audit_lists WHERE hash = $1", &p, "audit list", &res, err);
	if (!rc && PQntuples(res) == 0) {
		rc = relto_seterr(err, RELTO_ENOTFOUND, "no such released list");
	} else if (!rc) {
		size_t n;
		const char *v = pg__get_bytes(res, 0, 0, &n);
		if (!(*body = malloc(n + 1))) {
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
		} else {
			if (n)
				memcpy(*body, v, n);
			(*body)[n] = '\0';
			*len = n;
		}
	}
	PQclear(res);
	return rc;
}

static enum relto_err tr_checkpoints(struct store_trail *base, store_checkpoint_fn fn, void *ctx, char *err)
{
	struct pg_link *l = link_of(base);
	PGresult *res = NULL;
	enum relto_err rc = pg__ready(l, err);
	if (!rc)
		rc = pg__run(l, "SELECT seq, at, hash, pubkey, sig FROM audit_checkpoints ORDER BY seq", NULL,
		             "audit checkpoints", &res, err);
	for (int i = 0; !rc && i < PQntuples(res); i++) {
		struct store_trail_checkpoint cp = {.seq = pg__get_i64(res, i, 0), .at = pg__get_i64(res, i, 1)};
		copy_bytes(cp.hash, sizeof(cp.hash), res, i, 2);
		copy_bytes(cp.pubkey, sizeof(cp.pubkey), res, i, 3);
		copy_bytes(cp.sig, sizeof(cp.sig), res, i, 4);
		rc = fn(ctx, &cp);
	}
	PQclear(res);
	return rc;
}

/* May run inside the transaction store_trail_begin began (replaying a
** journal), so it never rolls one back. */
static enum relto_err tr_journal_get(struct store_trail *base, const char *name, int64_t *last, char *err)
{
	struct pg_link *l = link_of(base);
	struct pg_params p = {0};
	pg__text(&p, name);
	PGresult *res = NULL;
	enum relto_err rc = pg__run(l, "SELECT last FROM audit_journals WHERE name = $1", &p, "audit journals", &res,
	                            err);
	if (!rc)
		*last = PQntuples(res) ? pg__get_i64(res, 0, 0) : 0;
	PQclear(res);
	return rc;
}

static enum relto_err tr_journal_put(struct store_trail *base, const char *name, int64_t last, char *err)
{
	struct pg_params p = {0};
	pg__text(&p, name);
	pg__i64(&p, last);
	return pg__run(link_of(base), "INSERT INTO audit_journals(name, last) VALUES($1, $2)"
	                              " ON CONFLICT (name) DO UPDATE SET last = excluded.last", &p, "audit journals",
	               NULL, err);
}

static const struct store_trail_ops pg_trail_ops = {
	.close = tr_close,
	.begin = tr_begin,
	.add = tr_add,
	.add_list = tr_add_list,
	.add_checkpoint = tr_add_checkpoint,
	.end = tr_end,
	.records = tr_records,
	.list = tr_list,
	.checkpoints = tr_checkpoints,
	.journal_get = tr_journal_get,
	.journal_put = tr_journal_put,
};
