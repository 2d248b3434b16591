/*
** store.c: open a store by URL, keep its connection pool, and dispatch
** every call to the backend's table of functions.  This is the one place
** that knows which backends exist.
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"
#include "../audit/entry.h"
#include "../util/ts.h"

struct store {
	const struct store_ops *ops;
	void *state;
	pthread_mutex_t lock;      /* guards free_conns */
	struct store_conn *free_conns;
};

extern const struct store_ops store_pg_ops, store_postgres_ops; /* store_pg.c */

static const struct store_ops *const backends[] = {
	&store_sqlite_ops,
	&store_pg_ops,       /* postgresql://... (libpq URI) */
	&store_postgres_ops, /* postgres://..., the same */
};

/* The length of url's scheme ("sqlite", "postgresql"), 0 when it has none
** (a bare path; "C:\..." is a path too). */
static size_t scheme_len(const char *url)
{
	const char *colon = strchr(url, ':');
	return colon && colon - url < 16 && colon[1] != '\\' ? (size_t)(colon - url) : 0;
}

int store_file_of(const char *url, char *out, size_t size)
{
	size_t n = scheme_len(url);
	if (n && !(n == 6 && strncmp(url, "sqlite", 6) == 0))
		return 0;
	const char *path = n ? url + n + 1 : url;
	int w = snprintf(out, size, "%s", path);
	return path[0] && w > 0 && (size_t)w < size;
}

void store_url_shown(const char *url, char *out, size_t size)
{
	size_t sn = scheme_len(url);
	if (!sn || (sn == 6 && strncmp(url, "sqlite", 6) == 0)) {
		snprintf(out, size, "%s", url);
		return;
	}
	/* scheme://[user[:password]@]host[:port][/dbname][?params] */
	const char *rest = url + sn + 1;
	if (strncmp(rest, "//", 2) == 0)
		rest += 2;
	size_t hostlen = strcspn(rest, "/?");
	const char *at = memchr(rest, '@', hostlen);
	const char *host = at ? at + 1 : rest;
	size_t n = strcspn(host, "?");
	snprintf(out, size, "%.*s://%.*s%s", (int)sn, url, (int)n, host, host[n] ? "?..." : "");
}

enum relto_err store_open(const char *url, struct store **out, char *err)
{
	const struct store_ops *ops = &store_sqlite_ops; /* a bare path is SQLite */
	const char *target = url;
	size_t sn = scheme_len(url);
	const char *colon = url + sn;
	if (sn) {
		ops = NULL;
		for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
			size_t n = strlen(backends[i]->scheme);
			if (sn == n && strncmp(url, backends[i]->scheme, n) == 0)
				ops = backends[i];
		}
		if (!ops)
			/* Only the scheme is named: the rest may hold a password. */
			return relto_seterr(err, RELTO_ESTORE,
			                    "store: unknown scheme '%.*s:' (supported: sqlite:PATH, postgresql://..., "
			                    "postgres://...)", (int)(colon - url), url);
		target = colon + 1;
	}
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	s->ops = ops;
	pthread_mutex_init(&s->lock, NULL);
	enum relto_err rc = ops->open(target, &s->state, err);
	if (rc) {
		pthread_mutex_destroy(&s->lock);
		free(s);
		return rc;
	}
	*out = s;
	return RELTO_OK;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	while (s->free_conns) {
		struct store_conn *c = s->free_conns;
		s->free_conns = c->next_free;
		s->ops->conn_close(c);
	}
	s->ops->close(s->state);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

enum relto_err store_conn_get(struct store *s, struct store_conn **out, char *err)
{
	pthread_mutex_lock(&s->lock);
	struct store_conn *c = s->free_conns;
	if (c)
		s->free_conns = c->next_free;
	pthread_mutex_unlock(&s->lock);
	if (!c) {
		enum relto_err rc = s->ops->conn_open(s->state, &c, err);
		if (rc)
			return rc;
	}
	c->next_free = NULL;
	c->ops = s->ops;
	*out = c;
	return RELTO_OK;
}

void store_conn_put(struct store *s, struct store_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&s->lock);
	c->next_free = s->free_conns;
	s->free_conns = c;
	pthread_mutex_unlock(&s->lock);
}

static const struct store_ops *ops_of(const struct store_conn *c)
{
	return c->ops;
}

enum relto_err store_schema(struct store_conn *c, int64_t *version, int64_t *known, char *err)
{
	return c->ops->schema(c, version, known, err);
}

enum relto_err store_secret(struct store_conn *c, const char *name,
                            unsigned char out[STORE_SECRET_LEN], char *err)
{
	return ops_of(c)->secret(c, name, out, err);
}

enum relto_err store_collection(struct store_conn *c, const char *uuid, int64_t *out, char *err)
{
	return ops_of(c)->collection(c, uuid, out, err);
}

enum relto_err store_put(struct store_conn *c, int64_t coll, const char *posted_by,
                         const struct store_new *objs, size_t n,
                         enum store_put_result *results, int64_t *date_added, char *err)
{
	return ops_of(c)->put(c, coll, posted_by, objs, n, results, date_added, err);
}

enum relto_err store_query(struct store_conn *c, const struct store_query *q, int with_raw,
                           store_row_fn fn, void *ctx, char *err)
{
	return ops_of(c)->query(c, q, with_raw, fn, ctx, err);
}

enum relto_err store_delete(struct store_conn *c, int64_t coll, const char *id,
                            const struct store_versions *v, const char *const *spec_versions,
                            size_t nspec_versions, const struct store_visibility *vis, size_t *deleted,
                            char *err)
{
	return ops_of(c)->del(c, coll, id, v, spec_versions, nspec_versions, vis, deleted, err);
}

enum relto_err store_count(struct store_conn *c, int64_t coll, int64_t *out, char *err)
{
	return ops_of(c)->count(c, coll, out, err);
}

enum relto_err store_marking_sets(struct store_conn *c, store_set_fn fn, void *ctx, char *err)
{
	return ops_of(c)->marking_sets(c, fn, ctx, err);
}

enum relto_err store_marking_definitions(struct store_conn *c, store_def_fn fn, void *ctx, char *err)
{
	return ops_of(c)->marking_definitions(c, fn, ctx, err);
}

enum relto_err store_find_object(struct store_conn *c, const char *id, store_found_fn fn, void *ctx, char *err)
{
	return ops_of(c)->find_object(c, id, fn, ctx, err);
}

void store_rules_clear(struct store_rules *r)
{
	if (!r)
		return;
	free(r->author);
	free(r->reason);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

enum relto_err store_rules_put(struct store_conn *c, const char *kind, const char *author, const char *reason,
                               const char *body, int64_t expect, int64_t *version, char *err)
{
	return ops_of(c)->rules_put(c, kind, author, reason, body, expect, version, err);
}

enum relto_err store_rules_get(struct store_conn *c, const char *kind, int64_t version, struct store_rules *out,
                               char *err)
{
	return ops_of(c)->rules_get(c, kind, version, out, err);
}

enum relto_err store_rules_log(struct store_conn *c, const char *kind, store_rules_fn fn, void *ctx, char *err)
{
	return ops_of(c)->rules_log(c, kind, fn, ctx, err);
}

enum relto_err store_heads(struct store_conn *c, struct store_heads *out, char *err)
{
	return ops_of(c)->heads(c, out, err);
}

void store_credential_clear(struct store_credential *cr)
{
	if (!cr)
		return;
	free(cr->id);
	free(cr->partner);
	free(cr->kind);
	free(cr->hash);
	free(cr->note);
	memset(cr, 0, sizeof(*cr));
}

enum relto_err store_credential_put(struct store_conn *c, const struct store_credential *cr, const char *revoke_id,
                                    char *err)
{
	return ops_of(c)->credential_put(c, cr, revoke_id, err);
}

enum relto_err store_credential_revoke(struct store_conn *c, const char *id, const char *partner, char *err)
{
	return ops_of(c)->credential_revoke(c, id, partner, err);
}

enum relto_err store_credentials(struct store_conn *c, store_credential_fn fn, void *ctx, char *err)
{
	return ops_of(c)->credentials(c, fn, ctx, err);
}

enum relto_err store_set_counts(struct store_conn *c, store_setcount_fn fn, void *ctx, char *err)
{
	return ops_of(c)->set_counts(c, fn, ctx, err);
}

enum relto_err store_status_put(struct store_conn *c, const char *id, const char *partner,
                                const char *json, char *err)
{
	return ops_of(c)->status_put(c, id, partner, json, err);
}

enum relto_err store_status_get(struct store_conn *c, const char *id, const char *partner,
                                char **json, char *err)
{
	return ops_of(c)->status_get(c, id, partner, json, err);
}

/* ---- the audit trail ---- */

enum relto_err store_trail_open(struct store *s, struct store_trail **out, char *err)
{
	return s->ops->trail_open(s->state, out, err);
}

void store_trail_close(struct store_trail *t)
{
	if (t)
		t->ops->close(t);
}

enum relto_err store_trail_begin(struct store_trail *t, int64_t *seq, unsigned char hash[STORE_HASH_LEN],
                                 char *err)
{
	return t->ops->begin(t, seq, hash, err);
}

enum relto_err store_trail_add(struct store_trail *t, const struct store_trail_record *r, char *err)
{
	return t->ops->add(t, r, err);
}

enum relto_err store_trail_add_list(struct store_trail *t, const unsigned char hash[STORE_HASH_LEN],
                                    const char *body, size_t len, char *err)
{
	return t->ops->add_list(t, hash, body, len, err);
}

enum relto_err store_trail_add_checkpoint(struct store_trail *t, const struct store_trail_checkpoint *cp,
                                          char *err)
{
	return t->ops->add_checkpoint(t, cp, err);
}

enum relto_err store_trail_end(struct store_trail *t, enum relto_err rc, char *err)
{
	return t->ops->end(t, rc, err);
}

enum relto_err store_trail_head(struct store_trail *t, int64_t *seq, unsigned char hash[STORE_HASH_LEN], char *err)
{
	if (!t->ops->head)
		return relto_seterr(err, RELTO_ENOTFOUND, "this audit trail keeps no head apart from its records");
	return t->ops->head(t, seq, hash, err);
}

enum relto_err store_trail_records(struct store_trail *t, const struct store_trail_select *sel,
                                   store_trail_fn fn, void *ctx, char *err)
{
	return t->ops->records(t, sel, fn, ctx, err);
}

enum relto_err store_trail_list(struct store_trail *t, const unsigned char hash[STORE_HASH_LEN], char **body,
                                size_t *len, char *err)
{
	return t->ops->list(t, hash, body, len, err);
}

enum relto_err store_trail_checkpoints(struct store_trail *t, store_checkpoint_fn fn, void *ctx, char *err)
{
	return t->ops->checkpoints(t, fn, ctx, err);
}

enum relto_err store_trail_journal_get(struct store_trail *t, const char *name, int64_t *last, char *err)
{
	return t->ops->journal_get(t, name, last, err);
}

enum relto_err store_trail_journal_put(struct store_trail *t, const char *name, int64_t last, char *err)
{
	return t->ops->journal_put(t, name, last, err);
}

enum relto_err store__entry(struct buf *b, const char *id, const char *version_text, int64_t version)
{
	char ts[TS_BUFSIZE];
	const char *v = version_text ? version_text : ts_format(version, ts);
	return entry_make(b, id, strlen(id), v, strlen(v));
}

/* ---- watching for other processes' changes ---- */

enum relto_err store_watch_open(struct store *s, struct store_watch **out, char *err)
{
	if (!s->ops->watch_open)
		return relto_seterr(err, RELTO_EUNSUPPORTED, "a %s store cannot be watched for other processes' changes",
		                    s->ops->scheme);
	return s->ops->watch_open(s->state, out, err);
}

int store_watch_fd(const struct store_watch *w)
{
	return w->ops->fd(w);
}

int store_watch_timeout_ms(const struct store_watch *w)
{
	return w->ops->timeout_ms(w);
}

enum relto_err store_watch_read(struct store_watch *w, unsigned *changed, char *err)
{
	return w->ops->read(w, changed, err);
}

void store_watch_close(struct store_watch *w)
{
	if (w)
		w->ops->close(w);
}

size_t store__set_place(const struct store_withheld_set *v, size_t n, int64_t set)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].set < set)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void store_withheld_add(struct store_withheld *w, int64_t set, int64_t n)
{
	/* by_set in set order, found by halves: a page's counts come in set
	** order mostly (appended), and a sparse partner's page adds ~60 sets,
	** where a scan of the kept ones per set cost 1.7% of it. */
	size_t lo = store__set_place(w->by_set, w->n, set);
	if (lo < w->n && w->by_set[lo].set == set) {
		w->by_set[lo].count += n;
		return;
	}
	if (w->n == STORE_WITHHELD_SETS) {
		/* Full: the highest-numbered set of the two goes to `other`. */
		if (lo == w->n) {
			w->other += n;
			return;
		}
		w->other += w->by_set[--w->n].count;
	}
	memmove(&w->by_set[lo + 1], &w->by_set[lo], (w->n - lo) * sizeof(w->by_set[0]));
	w->by_set[lo].set = set;
	w->by_set[lo].count = n;
	w->n++;
}

enum relto_err store__version_sql(struct buf *sql, const struct store_versions *v, const char *none, const char *at,
                                  const char *const *other_visible)
{
	if (v->all)
		return RELTO_OK;
	/* is_first/is_last are kept by insert and delete, so "the latest
	** version" costs a column test, not a probe per row. */
	static const char *const flag[2] = {" OR o.is_first", " OR o.is_last"};
	enum relto_err rc = buf_puts(sql, " AND (");
	if (!rc)
		rc = buf_puts(sql, none);
	for (int k = 0; k < 2 && !rc; k++) {
		if (!(k ? v->last : v->first))
			continue;
		rc = buf_puts(sql, flag[k]);
		if (!rc && other_visible) {
			rc = buf_puts(sql, " OR NOT ");
			if (!rc)
				rc = buf_puts(sql, other_visible[k]);
		}
	}
	if (!rc && v->nat) {
		rc = buf_puts(sql, " OR o.version");
		if (!rc)
			rc = buf_puts(sql, at);
	}
	return rc ? rc : buf_putc(sql, ')');
}
