/*
** ingest.c: validate and store the objects of an envelope (see ingest.h).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest.h"
#include "../stix/stix.h"
#include "../util/ts.h"

struct pending {
	struct stix_meta meta;
	size_t index;
	const char *raw;
	size_t len;
	struct store_ref *refs;  /* heap; ids heap too */
	size_t nrefs;
};

static void pending_clear(struct pending *p)
{
	stix_meta_clear(&p->meta);
	for (size_t i = 0; i < p->nrefs; i++)
		free((char *)p->refs[i].id);
	free(p->refs);
	p->refs = NULL;
	p->nrefs = 0;
}

struct ref_sink {
	struct pending *p;
	size_t room;
};

static enum relto_err keep_ref(void *ctx, const char *id, int required)
{
	struct ref_sink *s = ctx;
	struct pending *p = s->p;
	if (p->nrefs == s->room) {
		size_t room = s->room ? s->room * 2 : 4;
		struct store_ref *r = realloc(p->refs, room * sizeof(*r));
		if (!r)
			return RELTO_ENOMEM;
		p->refs = r;
		s->room = room;
	}
	char *copy = strdup(id);
	if (!copy)
		return RELTO_ENOMEM;
	p->refs[p->nrefs++] = (struct store_ref){.id = copy, .required = required};
	return RELTO_OK;
}

struct walk {
	struct store_conn *c;
	int64_t coll;
	const struct ingest_opts *opts;
	ingest_result_fn fn;
	void *ctx;
	struct ingest_stats *stats;
	char *err;
	struct pending *batch;  /* room for `room` entries, grown up to opts->batch */
	size_t n, room;
	struct store_new *rows;
	enum store_put_result *results;
	int64_t *date_added;
	const char *body;
	size_t body_len;
	size_t done;            /* bytes of body up to the end of the last object */
};

static void clear_batch(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		pending_clear(&w->batch[i]);
	w->n = 0;
}

static enum relto_err flush(struct walk *w)
{
	if (!w->n)
		return RELTO_OK;
	for (size_t i = 0; i < w->n; i++) {
		const struct stix_meta *m = &w->batch[i].meta;
		w->rows[i] = (struct store_new){
			.id = m->id, .type = m->type, .spec_version = m->spec_version,
			.version = m->version, .has_version = m->has_version,
			.version_text = m->has_version ? m->version_text : NULL,
			.marking_canon = m->marking_canon ? m->marking_canon : "",
			.created_by_ref = m->created_by_ref,
			.raw = w->batch[i].raw, .raw_len = w->batch[i].len,
			.refs = w->batch[i].refs, .nrefs = w->batch[i].nrefs,
		};
	}
	enum relto_err rc = store_put(w->c, w->coll, w->opts->posted_by, w->rows, w->n,
	                              w->results, w->date_added, w->err);
	for (size_t i = 0; !rc && i < w->n; i++) {
		const struct stix_meta *m = &w->batch[i].meta;
		char when[TS_BUFSIZE];
		const char *version = m->has_version ? m->version_text : ts_format(w->date_added[i], when);
		int dup = w->results[i] == STORE_DUPLICATE;
		if (dup)
			w->stats->duplicates++;
		else
			w->stats->added++;
		if (w->fn)
			w->fn(w->ctx, w->batch[i].index, m->id, version,
			      dup ? INGEST_DUPLICATE : INGEST_ADDED, NULL);
	}
	clear_batch(w);
	return rc;
}

/* Batches grow as objects arrive, so a small POST costs little even when
** the batch may be as large as the biggest envelope allowed. */
static int grow(struct walk *w)
{
	size_t room = w->room ? w->room * 2 : 64;
	if (room > w->opts->batch)
		room = w->opts->batch;
	struct pending *b = realloc(w->batch, room * sizeof(*b));
	struct store_new *rows = b ? realloc(w->rows, room * sizeof(*rows)) : NULL;
	if (rows)
		w->rows = rows;
	enum store_put_result *res = rows ? realloc(w->results, room * sizeof(*res)) : NULL;
	if (res)
		w->results = res;
	int64_t *da = res ? realloc(w->date_added, room * sizeof(*da)) : NULL;
	if (da)
		w->date_added = da;
	if (b)
		w->batch = b;
	if (!da)
		return -1;
	w->room = room;
	return 0;
}

static enum relto_err each(void *ctx, size_t index, const char *raw, size_t len, json_t *value)
{
	struct walk *w = ctx;
	w->stats->total++;
	if (w->opts->max_objects && index >= w->opts->max_objects)
		return relto_seterr(w->err, RELTO_ETOOBIG, "the envelope has more than %zu objects",
		                    w->opts->max_objects);
	if (w->n == w->room && grow(w))
		return relto_seterr(w->err, RELTO_ENOMEM, "out of memory");
	struct pending *p = &w->batch[w->n];
	char why[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = json_is_object(value) ? stix_validate(value, &p->meta, why)
	                                          : relto_seterr(why, RELTO_EINVAL, "not a JSON object");
	if (rc == RELTO_ENOMEM)
		return relto_seterr(w->err, rc, "out of memory");
	if (rc) {
		w->stats->rejected++;
		const char *id = json_is_object(value) ? json_string_value(json_object_get(value, "id")) : NULL;
		const char *ver = json_is_object(value) ? json_string_value(json_object_get(value, "modified")) : NULL;
		char where[32];
		snprintf(where, sizeof(where), "objects[%zu]", index);
		if (w->fn)
			w->fn(w->ctx, index, id && *id && strlen(id) <= STIX_ID_MAX ? id : where,
			      ver && strlen(ver) < 40 ? ver : "", INGEST_REJECTED, why);
		return RELTO_OK;
	}
	p->index = index;
	p->raw = raw;
	p->len = len;
	p->refs = NULL;
	p->nrefs = 0;
	struct ref_sink sink = {.p = p};
	if (stix_refs(value, keep_ref, &sink)) {
		pending_clear(p);
		return relto_seterr(w->err, RELTO_ENOMEM, "out of memory");
	}
	w->done = (size_t)(raw + len - w->body);
	if (++w->n < w->opts->batch)
		return RELTO_OK;
	enum relto_err frc = flush(w);
	if (!frc && w->opts->progress)
		w->opts->progress(w->ctx, w->done, w->body_len);
	return frc;
}

enum relto_err ingest_body(struct store_conn *c, int64_t coll, const char *body, size_t len,
                           const struct ingest_opts *opts, ingest_result_fn fn, void *ctx,
                           struct ingest_stats *stats, char *err)
{
	memset(stats, 0, sizeof(*stats));
	size_t batch = opts->batch ? opts->batch : 1;
	struct walk w = {
		.c = c, .coll = coll, .opts = opts, .fn = fn, .ctx = ctx, .stats = stats, .err = err,
		.body = body, .body_len = len,
	};
	enum relto_err rc = RELTO_OK;
	struct ingest_opts local = *opts;
	local.batch = batch;
	w.opts = &local;
	if (!rc)
		rc = stix_envelope_each(body, len, each, &w, NULL, err);
	int last_batch = w.n > 0;
	if (!rc)
		rc = flush(&w);
	if (!rc && last_batch && opts->progress)
		opts->progress(ctx, w.done, len);
	clear_batch(&w);
	free(w.batch);
	free(w.rows);
	free(w.results);
	free(w.date_added);
	return rc;
}
