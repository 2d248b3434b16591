/*
** refs_sqlite.c: "is the object this row refers to visible?" for the
** SQLite backend's visibility filter (query_sqlite.c), answered in C from
** a per-connection cache instead of index probes by string id.
**
** The rule is the one the filter states (query_sqlite.c, ROW_VISIBLE): a
** reference to id is visible when some version x of id in the collection
** is visible by its markings (released set, or the partner's own) and, if
** x refers to objects itself, every object x requires, and one of those it
** names if it names any, is a leaf visible by its markings (a version
** that refers to nothing).  Deeper is not followed (docs/ARCHITECTURE.md).
**
** What decides that for every partner is kept per (collection, id): each
** version's marking set, submitter, and the same for the leaves it refers
** to.  It is read from the store on first use (its versions, then the
** leaves of each reference) and kept until the database changes:
** SQLITE_FCNTL_DATA_VERSION, read once per query inside its read
** transaction (sq_refs_query), changes with every commit by any
** connection, this one included, and the cache is emptied when it does.
** A partner's released sets and id only enter at evaluation, so the
** cache serves every partner.
**
** A row's own references are in the row (objects.ref_list, written by
** sq_ref_list at insert): reading them costs no probe of another table.
*/
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite_int.h"
#include "../util/intern.h"
#include "../util/buf.h"
#include "../util/le.h"
#include "../util/hash.h"

/* Entries before the cache empties itself and starts again: a few MB
** per connection. */
#define REFS_CACHE_MAX 16384

struct leaf {             /* a version that refers to nothing */
	int64_t set;
	int who;                  /* its submitter (struct sq_refs's who) */
};

struct version {
	int64_t version;          /* objects.version */
	int64_t set;
	int who;
	int has_req, has_opt;     /* it requires / names objects */
	unsigned char *list;      /* its ref_list (list_len bytes), or NULL */
	size_t list_len;
	/* Per reference, its leaves: refs[i] has nleaves[i] of them, from
	** leaves[first[i]]. */
	size_t nrefs;
	int *required;
	size_t *first, *nleaves;
	struct leaf *leaves;
};

struct entry {
	int64_t coll;
	char *id;                 /* NULL: a free slot */
	uint64_t hash;
	size_t nversions;
	struct version *versions;
};

struct sq_refs {
	struct sq_conn *c;
	/* Submitters, each kept once: a version names its submitter by
	** number, and "the partner's own" is a number compare.  orig is the
	** partner of this query (reset by sq_refs_query: a pointer is only
	** known to name the same partner within one query), orig_who its
	** number (-1: none), looked up when who had orig_nwho entries. */
	struct intern who;
	size_t orig_nwho;
	const char *orig;
	int orig_who;
	unsigned data_version;
	int has_version;
	int checked;              /* the data version was read in this query */
	struct entry *slots;      /* open addressing, power of two */
	size_t nslots, used;
	/* The slots' hash starts from a random seed of the cache's own: ids
	** are the submitters' to choose, and ids made to meet in one slot
	** would turn lookups into walks of the table.  (SipHash, which the
	** rows' map uses, cost a sparse partner's page 1.8% here, where each
	** row it reads looks its references up.) */
	uint64_t seed;
};

static uint64_t hash_of(const struct sq_refs *r, int64_t coll, const char *id)
{
	return hash_bytes(id, strlen(id), r->seed ^ (uint64_t)coll * 0x9e3779b97f4a7c15u);
}

/* The number of submitter `by`, kept if new; -1 when out of memory. */
static int who_of(struct sq_refs *r, const char *by)
{
	return intern_of(&r->who, by, INT32_MAX);
}

/* objects.ref_list: per reference, one byte (1: required), the id's
** length in 4 bytes little-endian, the id and a NUL (so a decoded id is
** used in place).  NULL when a row refers to nothing. */
enum relto_err sq_ref_list(struct buf *out, const struct store_ref *refs, size_t n)
{
	enum relto_err rc = RELTO_OK;
	for (size_t i = 0; !rc && i < n; i++) {
		size_t len = strlen(refs[i].id);
		if (len > UINT32_MAX - 6)
			return RELTO_ETOOBIG;
		unsigned char head[5] = {refs[i].required ? 1 : 0};
		le_put(head + 1, len, 4);
		rc = buf_append(out, head, sizeof(head));
		if (!rc)
			rc = buf_append(out, refs[i].id, len + 1);
	}
	return rc;
}

int sq_ref_next(const unsigned char **p, const unsigned char *end, const char **id, int *required)
{
	const unsigned char *q = *p;
	if (q == end)
		return 0;
	if (end - q < 6)
		return -1;
	size_t len = (size_t)le_get(q + 1, 4);
	if ((size_t)(end - q) - 6 < len || q[5 + len] != '\0' || q[0] > 1)
		return -1;
	*required = q[0];
	*id = (const char *)q + 5;
	*p = q + 6 + len;
	return 1;
}

static void free_version(struct version *v)
{
	free(v->list);
	free(v->required);
	free(v->first);
	free(v->nleaves);
	free(v->leaves);
}

static void free_entry(struct entry *e)
{
	for (size_t i = 0; i < e->nversions; i++)
		free_version(&e->versions[i]);
	free(e->versions);
	free(e->id);
	memset(e, 0, sizeof(*e));
}

static void empty(struct sq_refs *r)
{
	for (size_t i = 0; i < r->nslots; i++)
		if (r->slots[i].id)
			free_entry(&r->slots[i]);
	r->used = 0;
}

struct sq_refs *sq_refs_new(struct sq_conn *c)
{
	if (sodium_init() < 0)
		return NULL;
	struct sq_refs *r = calloc(1, sizeof(*r));
	if (r) {
		r->c = c;
		r->orig_who = -1;
		randombytes_buf(&r->seed, sizeof(r->seed));
	}
	return r;
}

void sq_refs_forget(struct sq_refs *r)
{
	empty(r);
	r->has_version = 0;
	r->checked = 0;
	r->orig = NULL;
}

void sq_refs_query(struct sq_refs *r)
{
	r->checked = 0;
	r->orig = NULL;
}

void sq_refs_free(struct sq_refs *r)
{
	if (!r)
		return;
	empty(r);
	free(r->slots);
	intern_free(&r->who);
	free(r);
}

/* The slot of (coll, id), or the free slot where it would go. */
static struct entry *slot_of(struct sq_refs *r, int64_t coll, const char *id, uint64_t h)
{
	size_t mask = r->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct entry *e = &r->slots[i];
		if (!e->id || (e->hash == h && e->coll == coll && strcmp(e->id, id) == 0))
			return e;
	}
}

static int grow(struct sq_refs *r)
{
	size_t n = r->nslots ? 2 * r->nslots : 1024;
	struct entry *old = r->slots, *slots = calloc(n, sizeof(*slots));
	if (!slots)
		return -1;
	size_t oldn = r->nslots;
	r->slots = slots;
	r->nslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i].id)
			*slot_of(r, old[i].coll, old[i].id, old[i].hash) = old[i];
	free(old);
	return 0;
}

/* The versions of (coll, id) that refer to nothing, as leaves, appended to
** *out (count in *n, capacity *cap).  0, or -1 (out of memory or a store
** error: the caller answers "not visible"). */
static int read_leaves(struct sq_refs *rc, int64_t coll, const char *id, struct leaf **out, size_t *n,
                       size_t *cap)
{
	sqlite3_stmt *st;
	if (sq_stmt(rc->c, "SELECT marking_set, posted_by FROM objects WHERE coll = ?1 AND id = ?2 AND nreq = 0 AND nopt = 0",
	            &st, NULL))
		return -1;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	int r, fail = 0;
	while (!fail && (r = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == *cap) {
			size_t nc = *cap ? 2 * *cap : 4;
			struct leaf *v = realloc(*out, nc * sizeof(*v));
			if (!v) {
				fail = 1;
				break;
			}
			*out = v;
			*cap = nc;
		}
		const char *by = (const char *)sqlite3_column_text(st, 1);
		struct leaf *l = &(*out)[*n];
		l->set = sqlite3_column_int64(st, 0);
		if ((l->who = who_of(rc, by ? by : "")) < 0)
			fail = 1;
		else
			(*n)++;
	}
	if (!fail && r != SQLITE_DONE)
		fail = 1;
	sqlite3_reset(st);
	return fail ? -1 : 0;
}

/* A version whose list does not match its counts (a damaged store): no
** partner's, no set's, so never visible (who -2 is no partner's number,
** not even -1, "none"). */
static void damaged(struct version *v)
{
	v->set = -1;
	v->who = -2;
}

/* Fill v's references (its ref_list, len bytes) and their leaves. */
static int read_refs(struct sq_refs *r, int64_t coll, const unsigned char *list, size_t len, struct version *v)
{
	const unsigned char *p = list, *end = list + len;
	const char *id;
	int required, k;
	size_t n = 0;
	while ((k = sq_ref_next(&p, end, &id, &required)) > 0)
		n++;
	if (k < 0)
		return -1;
	if (n && (!(v->required = calloc(n, sizeof(*v->required))) || !(v->first = calloc(n, sizeof(*v->first))) ||
	          !(v->nleaves = calloc(n, sizeof(*v->nleaves)))))
		return -1;
	v->nrefs = n;
	size_t nl = 0, capl = 0;
	int nreq = 0;
	p = list;
	for (size_t i = 0; i < n && sq_ref_next(&p, end, &id, &required) > 0; i++) {
		nreq += required;
		v->required[i] = required;
		v->first[i] = nl;
		if (read_leaves(r, coll, id, &v->leaves, &nl, &capl))
			return -1;
		v->nleaves[i] = nl - v->first[i];
	}
	if (v->has_req != (nreq > 0) || v->has_opt != (nreq < (int)n))
		damaged(v);
	return 0;
}

/* Read (coll, id) into e (empty, its key set).  0 or -1. */
static int read_entry(struct sq_refs *r, struct entry *e)
{
	sqlite3_stmt *st;
	if (sq_stmt(r->c, "SELECT marking_set, posted_by, nreq, nopt, ref_list, version FROM objects"
	                  " WHERE coll = ?1 AND id = ?2", &st, NULL))
		return -1;
	sqlite3_bind_int64(st, 1, e->coll);
	sqlite3_bind_text(st, 2, e->id, -1, SQLITE_STATIC);
	size_t cap = 0;
	struct buf lists;         /* the versions' ref_lists, end to end */
	size_t *ends = NULL;      /* where each version's ends in lists */
	buf_init(&lists, (size_t)1 << 30);
	int step, fail = 0;
	while (!fail && (step = sqlite3_step(st)) == SQLITE_ROW) {
		if (e->nversions == cap) {
			size_t nc = cap ? 2 * cap : 2;
			struct version *v = realloc(e->versions, nc * sizeof(*v));
			size_t *s = v ? realloc(ends, nc * sizeof(*s)) : NULL;
			if (v)
				e->versions = v;
			if (!v || !s) {
				fail = 1;
				break;
			}
			ends = s;
			cap = nc;
		}
		struct version *v = &e->versions[e->nversions];
		memset(v, 0, sizeof(*v));
		const char *by = (const char *)sqlite3_column_text(st, 1);
		v->set = sqlite3_column_int64(st, 0);
		v->has_req = sqlite3_column_int(st, 2) > 0;
		v->has_opt = sqlite3_column_int(st, 3) > 0;
		v->version = sqlite3_column_int64(st, 5);
		const void *list = sqlite3_column_blob(st, 4);
		if ((list && buf_append(&lists, list, (size_t)sqlite3_column_bytes(st, 4))) ||
		    (v->who = who_of(r, by ? by : "")) < 0) {
			fail = 1;
		} else {
			ends[e->nversions] = lists.len;
			e->nversions++;
		}
	}
	if (!fail && step != SQLITE_DONE)
		fail = 1;
	sqlite3_reset(st);
	/* The leaves are read after: one statement at a time. */
	for (size_t i = 0, from = 0; !fail && i < e->nversions; from = ends[i], i++) {
		struct version *v = &e->versions[i];
		if (ends[i] == from) {
			if (v->has_req || v->has_opt)
				damaged(v);
			continue;
		}
		v->list_len = ends[i] - from;
		if (!(v->list = malloc(v->list_len)))
			fail = 1;
		else
			memcpy(v->list, lists.data + from, v->list_len);
		fail = fail || read_refs(r, e->coll, v->list, v->list_len, v) != 0;
	}
	free(ends);
	buf_free(&lists);
	return fail ? -1 : 0;
}

/* The cached entry of (coll, id), read if new; NULL when it cannot be. */
static const struct entry *lookup(struct sq_refs *r, int64_t coll, const char *id)
{
	/* Once per query: its read transaction sees one version of the
	** database from its first step to its end. */
	if (!r->checked) {
		unsigned dv = 0;
		if (sqlite3_file_control(r->c->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv) != SQLITE_OK)
			return NULL;
		if (!r->has_version || dv != r->data_version) {
			empty(r);
			r->data_version = dv;
			r->has_version = 1;
		}
		r->checked = 1;
	}
	if (r->used >= REFS_CACHE_MAX)
		empty(r);
	if ((r->used + 1) * 2 > r->nslots && grow(r))
		return NULL;
	uint64_t h = hash_of(r, coll, id);
	struct entry *e = slot_of(r, coll, id, h);
	if (e->id)
		return e;
	e->coll = coll;
	e->hash = h;
	if (!(e->id = strdup(id)))
		return NULL;
	if (read_entry(r, e)) {
		free_entry(e);
		return NULL;
	}
	r->used++;
	return e;
}

static int released(const struct sq_refs_partner *p, int64_t set)
{
	return sq_set_released(p->bits, p->nsets, set);
}

static int visible_by_markings(int64_t set, int who, int orig_who, const struct sq_refs_partner *p)
{
	return released(p, set) || who == orig_who;
}

static int leaf_visible(const struct version *v, size_t ref, int orig_who, const struct sq_refs_partner *p)
{
	for (size_t k = 0; k < v->nleaves[ref]; k++) {
		const struct leaf *l = &v->leaves[v->first[ref] + k];
		if (visible_by_markings(l->set, l->who, orig_who, p))
			return 1;
	}
	return 0;
}

/* The partner's submitter number, -1 if it submitted nothing known
** here (called after a lookup, which may have numbered it). */
static int partner_who(struct sq_refs *r, const struct sq_refs_partner *p)
{
	if (p->originator != r->orig || (r->orig_who < 0 && r->orig_nwho != r->who.n)) {
		r->orig_who = intern_find(&r->who, p->originator);
		r->orig = p->originator;
		r->orig_nwho = r->who.n;
	}
	return r->orig_who;
}

int sq_refs_visible(struct sq_refs *r, const struct sq_refs_partner *p, int64_t coll, const char *id)
{
	const struct entry *e = lookup(r, coll, id);
	if (!e)
		return -1;
	int orig_who = partner_who(r, p);
	for (size_t i = 0; i < e->nversions; i++) {
		const struct version *v = &e->versions[i];
		if (!visible_by_markings(v->set, v->who, orig_who, p))
			continue;
		int ok = 1, any_opt = 0;
		for (size_t k = 0; ok && k < v->nrefs; k++) {
			int leaf = leaf_visible(v, k, orig_who, p);
			if (v->required[k])
				ok = leaf;
			else
				any_opt |= leaf;
		}
		if (ok && (!v->has_opt || any_opt))
			return 1;
	}
	return 0;
}

int sq_refs_list_visible(struct sq_refs *r, const struct sq_refs_partner *p, int64_t coll, const void *list,
                         size_t len)
{
	const unsigned char *q = list, *end = q + len;
	const char *id;
	int required, k, has_opt = 0, any_opt = 0;
	while ((k = sq_ref_next(&q, end, &id, &required)) > 0) {
		if (!required) {
			has_opt = 1;
			if (any_opt)
				continue;
		}
		int v = sq_refs_visible(r, p, coll, id);
		if (v < 0 || (required && !v))
			return v;
		if (!required)
			any_opt = v;
	}
	return k < 0 ? -1 : !has_opt || any_opt;
}

int sq_refs_hidden(struct sq_refs *r, const struct sq_refs_partner *p, int64_t coll, const void *list, size_t len,
                   struct buf *out)
{
	const unsigned char *q = list, *end = q + len;
	const char *id;
	int required, k, n = 0;
	if (buf_putc(out, '['))
		return -1;
	while ((k = sq_ref_next(&q, end, &id, &required)) > 0) {
		if (required)
			continue;
		int v = sq_refs_visible(r, p, coll, id);
		if (v < 0 || (!v && ((n++ && buf_putc(out, ',')) || buf_put_json_string(out, id))))
			return -1;
	}
	return k < 0 || buf_putc(out, ']') ? -1 : 0;
}

int sq_refs_other_visible(struct sq_refs *r, const struct sq_refs_partner *p, int64_t coll, const char *id,
                          int64_t version, int later)
{
	const struct entry *e = lookup(r, coll, id);
	for (size_t i = 0; e && i < e->nversions; i++) {
		const struct version *v = &e->versions[i];
		if (later ? v->version <= version : v->version >= version)
			continue;
		if (v->who == partner_who(r, p))
			return 1;
		if (!released(p, v->set))
			continue;
		if (!v->list)
			return 1;
		/* Its references are checked through other entries, whose
		** reading may move or drop this one: a copy of the list, and the
		** entry found again after. */
		size_t len = v->list_len;
		unsigned char *copy = malloc(len);
		if (!copy)
			return -1;
		memcpy(copy, v->list, len);
		int ok = sq_refs_list_visible(r, p, coll, copy, len);
		free(copy);
		if (ok)
			return ok;
		e = lookup(r, coll, id);
	}
	return e ? 0 : -1;
}

int sq_refs_marked(const void *list, size_t len, const void *mask, size_t mask_len, struct buf *out)
{
	const unsigned char *q = list, *end = q + len, *bits = mask;
	const char *id;
	int required, k, n = 0;
	if (buf_putc(out, '['))
		return -1;
	for (size_t i = 0; (k = sq_ref_next(&q, end, &id, &required)) > 0; i++)
		if (i / 8 < mask_len && (bits[i / 8] >> (i % 8) & 1) && !required &&
		    ((n++ && buf_putc(out, ',')) || buf_put_json_string(out, id)))
			return -1;
	return k < 0 || buf_putc(out, ']') ? -1 : 0;
}
