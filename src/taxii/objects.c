/*
** objects.c: the object resources (TAXII 5.3 manifest, 5.4 get objects,
** 5.5 add objects, 5.6 get an object, 5.7 delete an object, 5.8
** versions).  Pages are read from the store as stored bytes and copied
** into the response (DESIGN.md decision 1): no JSON library on this path,
** except for the few objects a partner may receive only in part
** (release/redact.h).  What each partner may receive is decided by the
** release snapshot the request took at its start (release/release.h).
*/
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "taxii.h"
#include "cursor.h"
#include "../ingest/ingest.h"
#include "../release/redact.h"
#include "../release/release.h"
#include "../audit/audit.h"
#include "../stix/stix.h"
#include "../store/store.h"

/* What a page of rows is turned into. */
enum page_kind { PAGE_OBJECTS, PAGE_MANIFEST, PAGE_VERSIONS };

struct page {
	struct req *r;
	enum page_kind kind;
	size_t limit, rows;
	int more;
	size_t fetched;                      /* rows the store gave */
	int64_t first_date_added, last_date_added;
	int64_t seen_date_added, seen_seq;   /* the last row looked at: next starts after it */
	const struct release_snapshot *snap; /* NULL: no releasability filter */
	size_t variant;
	struct buf scratch;                  /* a partial copy being made */
	/* For the audit trail (r->want_audit): what the store passed over up
	** to where this page ends (store.h). */
	struct store_withheld counted;
	int64_t unmade;                      /* partial copies that could not be made */
};

/* reason into to (cap bytes with its NUL), cut to fit: snprintf's "%s"
** without its cost (a page notes a reason per withheld marking set). */
static void copy_reason(char *to, size_t cap, const char *reason)
{
	size_t len = strnlen(reason, cap - 1);
	memcpy(to, reason, len);
	to[len] = '\0';
}

/* Add n objects withheld for reason to the answer's audit, merging equal
** reasons; past ANSWER_REASONS distinct ones, the last slot takes the
** rest. */
static void audit_withheld(struct answer_audit *a, const char *reason, int64_t n)
{
	size_t i = 0;
	while (i < a->nwithheld && strcmp(a->withheld[i].reason, reason) != 0)
		i++;
	if (i == ANSWER_REASONS) {
		i = ANSWER_REASONS - 1;
		copy_reason(a->withheld[i].reason, sizeof(a->withheld[i].reason), "other reasons");
	} else if (i == a->nwithheld) {
		copy_reason(a->withheld[i].reason, sizeof(a->withheld[i].reason), reason);
		a->withheld[i].n = 0;
		a->nwithheld++;
	}
	a->withheld[i].n += n;
}

/* The copy of an object a partner may receive only in part: granular
** markings it may not see, references to objects it may not see.
** *raw and *len are replaced by the copy (in p->scratch); *withheld when no
** valid copy remains. */
static enum relto_err partial_copy(struct page *p, const struct store_row *row, const char **raw, size_t *len,
                                   int *withheld)
{
	*withheld = 0;
	if (row->own)
		return RELTO_OK; /* a partner's own objects come back whole */
	uint64_t mask = 0;
	enum release_decision d = release_decide(p->snap, p->variant, p->r->partner, row->marking_set, &mask);
	int hidden = row->hidden_refs && strcmp(row->hidden_refs, "[]") != 0;
	if (d != RELEASE_PARTIAL && !hidden)
		return RELTO_OK; /* released in full, or the partner's own object */
	/* Every selector of every granular marking to strip, however many (a
	** fixed array once dropped the 65th and later, which then leaked). */
	const struct marking_result *m = &p->snap->markings[row->marking_set];
	size_t total = 0;
	for (size_t g = 0; d == RELEASE_PARTIAL && g < m->ngranular && g < 64; g++)
		if (mask >> g & 1)
			total += m->granular[g].nselectors;
	const char **sel = malloc((total ? total : 1) * sizeof(*sel));
	if (!sel) {
		*withheld = 1; /* cannot make the copy: it does not go out */
		return RELTO_OK;
	}
	struct redaction red = {.selectors = sel, .hidden_refs = hidden ? row->hidden_refs : NULL};
	for (size_t g = 0; d == RELEASE_PARTIAL && g < m->ngranular && g < 64; g++) {
		if (!(mask >> g & 1))
			continue;
		for (size_t k = 0; k < m->granular[g].nselectors; k++)
			sel[red.nselectors++] = m->granular[g].selectors[k];
	}
	buf_reset(&p->scratch);
	enum relto_err rc = redact_cached(p->r->srv->partials, row->seq, *raw, *len, &red, &p->scratch, withheld);
	free(sel);
	*raw = p->scratch.data;
	*len = p->scratch.len;
	return rc;
}

static enum relto_err add_row(void *ctx, const struct store_row *row)
{
	struct page *p = ctx;
	struct buf *b = &p->r->out;
	p->fetched++;
	if (p->rows == p->limit) {
		p->more = 1; /* the one extra row asked for only says there is more */
		return RELTO_OK;
	}
	struct answer_audit *audit = p->r->want_audit ? &p->r->audit : NULL;
	/* A row withheld below is still "seen": the next page starts after it. */
	p->seen_date_added = row->date_added;
	p->seen_seq = row->seq;
	const char *raw = row->raw;
	size_t raw_len = row->raw_len;
	int withheld = 0;
	enum relto_err rc = RELTO_OK;
	if (p->snap && p->kind == PAGE_OBJECTS)
		rc = partial_copy(p, row, &raw, &raw_len, &withheld);
	p->unmade += withheld;
	if (rc || withheld)
		return rc;
	if (audit) {
		/* The row's entry as the store keeps it (made at ingest). */
		rc = audit_entries_add(&audit->list, row->entry, row->entry_len);
		if (rc == RELTO_EINVAL)
			rc = relto_seterr(p->r->err, RELTO_ESTORE, "the audit entry stored with row %lld is damaged",
			                  (long long)row->seq);
		if (rc)
			return rc;
	}
	rc = buf_puts(b, p->rows ? "," : p->kind == PAGE_VERSIONS ? "{\"versions\":[" : "{\"objects\":[");
	if (rc)
		return rc;
	char added[TS_BUFSIZE], ver[TS_BUFSIZE];
	switch (p->kind) {
	case PAGE_OBJECTS:
		rc = buf_append(b, raw, raw_len);
		break;
	case PAGE_MANIFEST:
		rc = buf_puts(b, "{\"id\":");
		if (!rc)
			rc = buf_put_json_string(b, row->id);
		if (!rc)
			rc = buf_printf(b, ",\"date_added\":\"%s\",\"version\":", ts_format(row->date_added, added));
		if (!rc)
			rc = buf_put_json_string(b, row->version_text ? row->version_text : ts_format(row->version, ver));
		if (!rc)
			rc = buf_printf(b, ",\"media_type\":\"application/stix+json;version=%s\"}", row->spec_version);
		break;
	case PAGE_VERSIONS:
		rc = buf_put_json_string(b, row->version_text ? row->version_text : ts_format(row->version, ver));
		break;
	}
	if (!p->rows)
		p->first_date_added = row->date_added;
	p->rows++;
	p->last_date_added = row->date_added;
	return rc;
}

/* The release snapshot this request decides with, and the store
** visibility filter for the partner; NULL (and vis->on 0) when the
** partner is not filtered.  The caller gives the snapshot back with
** release_put. */
static const struct release_snapshot *take_snapshot(struct req *r, size_t *variant, struct store_visibility *vis)
{
	memset(vis, 0, sizeof(*vis));
	*variant = 0;
	if (!r->srv->release)
		return NULL;
	const struct release_snapshot *s = release_get(r->srv->release);
	r->snapshot = s->id;
	if (s->unfiltered[r->partner]) {
		release_put(r->srv->release, s);
		return NULL;
	}
	*variant = release_variant(s, r->coll);
	size_t row = *variant * s->npartners + (size_t)r->partner;
	*vis = (struct store_visibility){.on = 1, .sets = s->released[row], .nsets = s->nreleased[row],
	                                 .originator = r->who->id, .set_walks = STORE_SET_WALKS};
	return s;
}

/* Run query q (already parsed) and write the page of the given kind. */
static enum relto_err run_page(struct req *r, struct taxii_query *q, enum page_kind kind,
                               const char *object_id)
{
	struct store_query sq = {
		.coll = r->coll->store_id,
		.added_after = q->added_after,
		.has_added_after = q->has_added_after,
		.ids = (const char *const *)q->ids,
		.nids = q->nids,
		.types = (const char *const *)q->types,
		.ntypes = q->ntypes,
		.spec_versions = (const char *const *)q->spec_versions,
		.nspec_versions = q->nspec_versions,
		.versions = q->versions,
		.limit = q->limit + 1,
	};
	if (object_id) {
		sq.ids = &object_id;
		sq.nids = 1;
	}
	/* Every stored object is STIX 2.1 (stix.c takes no other version, and
	** gives "2.1" to an SCO that names none), so match[spec_version] keeps
	** every row or none: answered here, where the store would test every
	** row (no index holds spec_version: a full scan for "2.0"). */
	int no_rows = 0;
	if (sq.nspec_versions) {
		no_rows = 1;
		for (size_t i = 0; i < sq.nspec_versions; i++)
			if (strcmp(sq.spec_versions[i], "2.1") == 0)
				no_rows = 0;
		sq.spec_versions = NULL;
		sq.nspec_versions = 0;
	}
	if (kind == PAGE_VERSIONS)
		sq.versions = (struct store_versions){.all = 1};
	enum relto_err rc = RELTO_OK;
	if (q->next) {
		rc = cursor_read(r->srv->cursor_key, q->fingerprint, q->next, &sq.after_date_added,
		                 &sq.after_seq, r->err);
		sq.has_cursor = 1;
	}
	struct page p = {.r = r, .kind = kind, .limit = q->limit};
	buf_init(&p.scratch, r->srv->cfg->limits.max_content_length * 2);
	/* Room for a page of typical objects (~700 bytes) at once: grown by
	** doubling from nothing, the copies realloc made were 7% of an
	** uncached page's instructions (docs/BENCHMARKS.md).  A failure here
	** only means growing after all. */
	if (kind == PAGE_OBJECTS)
		(void)buf_reserve(&r->out, (q->limit < 1024 ? q->limit : 1024) * 1024);
	p.snap = take_snapshot(r, &p.variant, &sq.vis);
	if (r->want_audit) {
		r->audit.on = 1;
		sq.with_entries = 1;
		/* Room for a page of entries at once (about 90 bytes each, and a
		** hash), not grown by doubling as they come; a failure here only
		** means growing after all. */
		(void)buf_reserve(&r->audit.list.text, sq.limit * 96);
		(void)buf_reserve(&r->audit.list.hashes, sq.limit * AUDIT_HASH_LEN);
		if (p.snap)
			sq.withheld = &p.counted;
	}
	if (!rc && !no_rows)
		rc = store_query(r->sc, &sq, kind == PAGE_OBJECTS, add_row, &p, r->err);
	if (!rc && r->want_audit && p.snap) {
		/* Reasons come from the snapshot, so they are read before it is
		** given back. */
		struct store_withheld *w = &p.counted;
		/* By marking set (store_withheld_add keeps them so), so that a
		** record does not depend on the order a backend met them in. */
		for (size_t i = 0; i < w->n; i++)
			audit_withheld(&r->audit, release_reason(p.snap, p.variant, r->partner, w->by_set[i].set),
			               w->by_set[i].count);
		if (w->other)
			audit_withheld(&r->audit, "other reasons", w->other);
		if (p.unmade)
			audit_withheld(&r->audit, "no valid partial copy could be made", p.unmade);
	}
	if (p.snap)
		release_put(r->srv->release, p.snap);
	buf_free(&p.scratch);
	if (rc)
		return rc;
	/* An object that has no version here (with these filters) does not
	** exist for this request: 404, unless this continues a paged query
	** whose later rows went away (then an empty page is the answer). */
	if (object_id && !p.rows && !q->next)
		return relto_seterr(r->err, RELTO_ENOTFOUND, "no object '%s' in this collection%s", object_id,
		                    r->nparams ? " matching the filters" : "");
	if (p.rows) {
		ts_format(p.first_date_added, r->date_first);
		ts_format(p.last_date_added, r->date_last);
		rc = buf_putc(&r->out, ']');
	}
	else
		rc = buf_putc(&r->out, '{');
	/* Rows withheld after the store's filter (a partial copy that would not
	** be valid) leave a page short: if the store gave all it was asked
	** for, there may be more. */
	if (!p.more && p.fetched == sq.limit)
		p.more = 1;
	if (!rc && p.more) {
		char token[CURSOR_TOKEN_SIZE];
		cursor_make(r->srv->cursor_key, q->fingerprint, p.seen_date_added, p.seen_seq, token);
		rc = buf_printf(&r->out, "%s\"more\":true,\"next\":\"%s\"", p.rows ? "," : "", token);
	} else if (!rc && p.rows) {
		rc = buf_puts(&r->out, ",\"more\":false");
	}
	if (!rc)
		rc = buf_putc(&r->out, '}');
	r->status = 200;
	r->served = p.rows;
	return rc;
}

static enum relto_err need_read(struct req *r)
{
	if (taxii_can_read(r->coll, r->partner))
		return RELTO_OK;
	return relto_seterr(r->err, RELTO_EDENIED, "you may not read collection '%s'", r->coll->id);
}

static enum relto_err get_page(struct req *r, enum taxii_endpoint ep, enum page_kind kind)
{
	enum relto_err rc = need_read(r);
	if (rc)
		return rc;
	struct taxii_query q;
	const struct limits *lim = &r->srv->cfg->limits;
	char scope[STIX_ID_MAX + 64];
	snprintf(scope, sizeof(scope), "%s/%s", r->coll->id, r->object_id ? r->object_id : "");
	rc = taxii_query_parse(r->params, r->nparams, ep, scope, lim->default_page_size,
	                       lim->max_page_size, &q, r->err);
	if (rc)
		return rc;
	rc = run_page(r, &q, kind, r->object_id);
	taxii_query_free(&q);
	return rc;
}

enum relto_err taxii_objects_get(struct req *r)
{
	return get_page(r, EP_OBJECTS, PAGE_OBJECTS);
}

enum relto_err taxii_manifest(struct req *r)
{
	return get_page(r, EP_MANIFEST, PAGE_MANIFEST);
}

enum relto_err taxii_object_get(struct req *r)
{
	return get_page(r, EP_OBJECT, PAGE_OBJECTS);
}

enum relto_err taxii_versions(struct req *r)
{
	return get_page(r, EP_VERSIONS, PAGE_VERSIONS);
}

enum relto_err taxii_object_delete(struct req *r)
{
	int rd = taxii_can_read(r->coll, r->partner), wr = taxii_can_write(r->coll, r->partner);
	if (!rd || !wr)
		return relto_seterr(r->err, RELTO_EDENIED, "deleting needs both read and write access to collection '%s'",
		                    r->coll->id);
	struct taxii_query q;
	enum relto_err rc = taxii_query_parse(r->params, r->nparams, EP_DELETE, NULL, 1, 1, &q, r->err);
	if (rc)
		return rc;
	/* Only versions visible to the partner can go: deleting a withheld
	** one would tell it the object exists. */
	size_t deleted = 0, variant;
	struct store_visibility vis;
	const struct release_snapshot *snap = take_snapshot(r, &variant, &vis);
	rc = store_delete(r->sc, r->coll->store_id, r->object_id, &q.versions,
	                  (const char *const *)q.spec_versions, q.nspec_versions, &vis, &deleted, r->err);
	if (snap)
		release_put(r->srv->release, snap);
	taxii_query_free(&q);
	if (!rc && !deleted)
		rc = relto_seterr(r->err, RELTO_ENOTFOUND, "no object '%s' in this collection%s", r->object_id,
		                  r->nparams ? " matching the filters" : "");
	r->status = 200;
	return rc;
}

/* ---- POST: add objects, answer with a status resource (5.5, 4.3) ---- */

struct post {
	struct buf ok, bad; /* status-details lists being built */
	size_t nok, nbad;
	enum relto_err rc;  /* first failure to build them */
};

static void on_result(void *ctx, size_t index, const char *id, const char *version,
                      enum ingest_outcome outcome, const char *message)
{
	struct post *p = ctx;
	struct buf *b = outcome == INGEST_REJECTED ? &p->bad : &p->ok;
	size_t *n = outcome == INGEST_REJECTED ? &p->nbad : &p->nok;
	enum relto_err rc = buf_puts(b, *n ? ",{\"id\":" : "{\"id\":");
	if (!rc)
		rc = buf_put_json_string(b, id);
	if (!rc)
		rc = buf_puts(b, ",\"version\":");
	if (!rc)
		rc = buf_put_json_string(b, version);
	if (!rc && outcome != INGEST_ADDED) {
		rc = buf_puts(b, ",\"message\":");
		if (!rc)
			rc = buf_put_json_string(b, outcome == INGEST_DUPLICATE ? "already present (duplicate)" : message);
	}
	if (!rc)
		rc = buf_putc(b, '}');
	if (rc && !p->rc)
		p->rc = rc;
	(*n)++;
	(void)index;
}

static void new_uuid(char out[37])
{
	unsigned char u[16];
	randombytes_buf(u, sizeof(u));
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	         u[13], u[14], u[15]);
}

static enum relto_err write_status(struct req *r, const char *id, const char *when,
                                   const struct ingest_stats *st, struct post *p)
{
	struct buf *b = &r->out;
	enum relto_err rc = buf_printf(b, "{\"id\":\"%s\",\"status\":\"complete\",\"request_timestamp\":\"%s\","
	                                  "\"total_count\":%zu,\"success_count\":%zu,\"failure_count\":%zu,"
	                                  "\"pending_count\":0",
	                               id, when, st->total, st->added + st->duplicates, st->rejected);
	if (!rc && p->nok)
		rc = buf_printf(b, ",\"successes\":[%s]", p->ok.data);
	if (!rc && p->nbad)
		rc = buf_printf(b, ",\"failures\":[%s]", p->bad.data);
	if (!rc)
		rc = buf_putc(b, '}');
	return rc;
}

enum relto_err taxii_objects_post(struct req *r)
{
	if (!taxii_can_write(r->coll, r->partner))
		return relto_seterr(r->err, RELTO_EDENIED, "you may not add objects to collection '%s'", r->coll->id);
	char when[TS_BUFSIZE], id[37];
	ts_format(ts_now(), when);
	new_uuid(id);
	struct post p;
	size_t cap = 4 * r->srv->cfg->limits.max_content_length + 4096;
	buf_init(&p.ok, cap);
	buf_init(&p.bad, cap);
	p.nok = p.nbad = 0;
	p.rc = RELTO_OK;
	/* The whole envelope is one transaction: every object or none is
	** stored, and each success reported below is on disk. */
	size_t max_objects = r->srv->cfg->limits.max_objects_per_envelope;
	struct ingest_opts opts = {.batch = max_objects + 1, .max_objects = max_objects, .posted_by = r->who->id};
	struct ingest_stats st;
	enum relto_err rc = ingest_body(r->sc, r->coll->store_id, r->body, r->body_len, &opts, on_result, &p,
	                                &st, r->err);
	if (!rc && p.rc)
		rc = relto_seterr(r->err, p.rc, "the status resource is too large");
	if (!rc && st.total == 0)
		rc = relto_seterr(r->err, RELTO_EINVAL, "the envelope has no objects");
	/* New marking sets or marking definitions: decide them before the
	** answer goes out, so the objects just added are visible to those
	** who may see them from the next request on. */
	int stale = 0;
	if (!rc && r->srv->release && st.added)
		rc = release_stale(r->srv->release, r->sc, &stale, r->err);
	if (!rc && stale)
		rc = server_rebuild(r->srv, r->sc, r->err);
	if (!rc)
		rc = write_status(r, id, when, &st, &p);
	char owner[256];
	taxii_status_owner(r, owner, sizeof(owner));
	if (!rc)
		rc = store_status_put(r->sc, id, owner, r->out.data, r->err);
	buf_free(&p.ok);
	buf_free(&p.bad);
	r->status = 202;
	return rc;
}
