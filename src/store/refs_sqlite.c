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
** to.  It is read from the store on first use (three small queries) and
** kept until the database changes: SQLITE_FCNTL_DATA_VERSION, read inside
** the query's read transaction, changes with every commit by any
** connection, this one included, and the cache is emptied when it does.
** A partner's released sets and id only enter at evaluation, so the
** cache serves every partner.
*/
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite_int.h"

/* Entries before the cache empties itself and starts again: a few MB
** per connection. */
#define REFS_CACHE_MAX 16384

struct leaf {             /* a version that refers to nothing */
	int64_t set;
	char *posted_by;
};

struct version {
	int64_t set;
	char *posted_by;
	int has_req, has_opt;     /* it requires / names objects */
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
	unsigned data_version;
	int has_version;
	struct entry *slots;      /* open addressing, power of two */
	size_t nslots, used;
};

static uint64_t hash_of(int64_t coll, const char *id)
{
	uint64_t h = 14695981039346656037u ^ (uint64_t)coll;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return h;
}

static void free_version(struct version *v)
{
	free(v->posted_by);
	for (size_t i = 0; v->leaves && i < v->nrefs; i++)
		for (size_t k = 0; k < v->nleaves[i]; k++)
			free(v->leaves[v->first[i] + k].posted_by);
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
	struct sq_refs *r = calloc(1, sizeof(*r));
	if (r)
		r->c = c;
	return r;
}

void sq_refs_forget(struct sq_refs *r)
{
	empty(r);
	r->has_version = 0;
}

void sq_refs_free(struct sq_refs *r)
{
	if (!r)
		return;
	empty(r);
	free(r->slots);
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
static int read_leaves(struct sq_conn *c, int64_t coll, const char *id, struct leaf **out, size_t *n, size_t *cap)
{
	sqlite3_stmt *st;
	if (sq_stmt(c, "SELECT marking_set, posted_by FROM objects WHERE coll = ?1 AND id = ?2 AND nreq = 0 AND nopt = 0",
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
		if (!(l->posted_by = strdup(by ? by : "")))
			fail = 1;
		else
			(*n)++;
	}
	if (!fail && r != SQLITE_DONE)
		fail = 1;
	sqlite3_reset(st);
	return fail ? -1 : 0;
}

/* Fill v's references (the refs rows of version seq) and their leaves. */
static int read_refs(struct sq_conn *c, int64_t coll, int64_t seq, struct version *v)
{
	sqlite3_stmt *st;
	if (sq_stmt(c, "SELECT ref, required FROM refs WHERE seq = ?1", &st, NULL))
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	/* The references first, then their leaves: one statement at a time. */
	size_t n = 0, cap = 0;
	char **ids = NULL;
	int r, fail = 0;
	while (!fail && (r = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t nc = cap ? 2 * cap : 4;
			char **p = realloc(ids, nc * sizeof(*p));
			int *req = p ? realloc(v->required, nc * sizeof(*req)) : NULL;
			if (p)
				ids = p;
			if (!p || !req) {
				fail = 1;
				break;
			}
			v->required = req;
			cap = nc;
		}
		const char *ref = (const char *)sqlite3_column_text(st, 0);
		v->required[n] = sqlite3_column_int(st, 1);
		if (!(ids[n] = strdup(ref ? ref : "")))
			fail = 1;
		else
			n++;
	}
	if (!fail && r != SQLITE_DONE)
		fail = 1;
	sqlite3_reset(st);
	v->nrefs = n;
	if (!fail && n && (!(v->first = calloc(n, sizeof(*v->first))) || !(v->nleaves = calloc(n, sizeof(*v->nleaves)))))
		fail = 1;
	size_t nl = 0, capl = 0;
	for (size_t i = 0; !fail && i < n; i++) {
		v->first[i] = nl;
		fail = read_leaves(c, coll, ids[i], &v->leaves, &nl, &capl) != 0;
		v->nleaves[i] = nl - v->first[i];
	}
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return fail ? -1 : 0;
}

/* Read (coll, id) into e (empty, its key set).  0 or -1. */
static int read_entry(struct sq_conn *c, struct entry *e)
{
	sqlite3_stmt *st;
	if (sq_stmt(c, "SELECT seq, marking_set, posted_by, nreq, nopt FROM objects WHERE coll = ?1 AND id = ?2", &st,
	            NULL))
		return -1;
	sqlite3_bind_int64(st, 1, e->coll);
	sqlite3_bind_text(st, 2, e->id, -1, SQLITE_STATIC);
	size_t cap = 0;
	int64_t *seqs = NULL;
	int r, fail = 0;
	while (!fail && (r = sqlite3_step(st)) == SQLITE_ROW) {
		if (e->nversions == cap) {
			size_t nc = cap ? 2 * cap : 2;
			struct version *v = realloc(e->versions, nc * sizeof(*v));
			int64_t *s = v ? realloc(seqs, nc * sizeof(*s)) : NULL;
			if (v)
				e->versions = v;
			if (!v || !s) {
				fail = 1;
				break;
			}
			seqs = s;
			cap = nc;
		}
		struct version *v = &e->versions[e->nversions];
		memset(v, 0, sizeof(*v));
		const char *by = (const char *)sqlite3_column_text(st, 2);
		seqs[e->nversions] = sqlite3_column_int64(st, 0);
		v->set = sqlite3_column_int64(st, 1);
		v->has_req = sqlite3_column_int(st, 3) > 0;
		v->has_opt = sqlite3_column_int(st, 4) > 0;
		if (!(v->posted_by = strdup(by ? by : "")))
			fail = 1;
		else
			e->nversions++;
	}
	if (!fail && r != SQLITE_DONE)
		fail = 1;
	sqlite3_reset(st);
	for (size_t i = 0; !fail && i < e->nversions; i++)
		if (e->versions[i].has_req || e->versions[i].has_opt)
			fail = read_refs(c, e->coll, seqs[i], &e->versions[i]) != 0;
	free(seqs);
	return fail ? -1 : 0;
}

/* The cached entry of (coll, id), read if new; NULL when it cannot be. */
static const struct entry *lookup(struct sq_refs *r, int64_t coll, const char *id)
{
	unsigned dv = 0;
	if (sqlite3_file_control(r->c->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv) != SQLITE_OK)
		return NULL;
	if (!r->has_version || dv != r->data_version || r->used >= REFS_CACHE_MAX) {
		empty(r);
		r->data_version = dv;
		r->has_version = 1;
	}
	if ((r->used + 1) * 2 > r->nslots && grow(r))
		return NULL;
	uint64_t h = hash_of(coll, id);
	struct entry *e = slot_of(r, coll, id, h);
	if (e->id)
		return e;
	e->coll = coll;
	e->hash = h;
	if (!(e->id = strdup(id)))
		return NULL;
	if (read_entry(r->c, e)) {
		free_entry(e);
		return NULL;
	}
	r->used++;
	return e;
}

static int visible_by_markings(int64_t set, const char *posted_by, const struct sq_refs_partner *p)
{
	return (set >= 0 && set < p->nsets && (p->bits[set / 8] >> (set % 8) & 1)) ||
	       strcmp(posted_by, p->originator) == 0;
}

static int leaf_visible(const struct version *v, size_t ref, const struct sq_refs_partner *p)
{
	for (size_t k = 0; k < v->nleaves[ref]; k++) {
		const struct leaf *l = &v->leaves[v->first[ref] + k];
		if (visible_by_markings(l->set, l->posted_by, p))
			return 1;
	}
	return 0;
}

int sq_refs_visible(struct sq_refs *r, const struct sq_refs_partner *p, int64_t coll, const char *id)
{
	const struct entry *e = lookup(r, coll, id);
	if (!e)
		return -1;
	for (size_t i = 0; i < e->nversions; i++) {
		const struct version *v = &e->versions[i];
		if (!visible_by_markings(v->set, v->posted_by, p))
			continue;
		int ok = 1, any_opt = 0;
		for (size_t k = 0; ok && k < v->nrefs; k++) {
			int leaf = leaf_visible(v, k, p);
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
