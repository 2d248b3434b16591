/*
** gen.c: the deterministic STIX 2.1 generator behind `relto demo` and the
** benchmarks (contract in gen.h, corpus described in docs/demo-data.md).
**
** How it stays deterministic, bounded and fast:
**  - All randomness comes from xoshiro256** seeded with splitmix64 from
**    the caller's seed; nothing reads the clock or a global.  Each object
**    draws one 64-bit content seed, and its words, pattern values and
**    names are derived from that seed alone, so a later version of the
**    object regenerates the same name and pattern without storing them.
**  - An object is kept as a small fixed-size struct gen__obj (ids as two
**    64-bit halves, references as struct gen__ref) and written straight into
**    one capped buffer that is reused for every object.
**  - References are drawn from a bounded pool per (collection, type): the
**    first POOL_STICKY ids of a type stay for the whole run (long-lived
**    actors and malware), the others are a ring of recent ids.  Memory is
**    therefore O(collections), never O(count).
**  - About 10% of objects get 1-3 later versions: a copy of the struct
**    waits in a bounded min-heap keyed by the stream position at which
**    the version is due.
**  - Object i of the body gets the stream time base + i * span / body,
**    so timestamps rise through the year and a later version's
**    `modified` is later than every earlier one.
*/
#include <stdlib.h>
#include <string.h>
#include "gen.h"
#include "gen_int.h"

#define GEN_MAX_COLLECTIONS 256
#define POOL_STICKY 8
#define POOL_RING 56
#define PENDING_MAX 1024    /* objects waiting for a later version */
/* A later version comes 5..delay_max objects after the one before it:
** body/8 (about six weeks of stream time), but at most MAX_DELAY, which
** keeps the chains in flight (about MAX_DELAY / 12) well within PENDING_MAX
** so that large runs version as often as small ones. */
#define MAX_DELAY 4000
#define OBJ_CAP (64 * 1024) /* the largest object is under 4 KiB */
#define MS_PER_DAY 86400000LL
#define SPAN_MS (364 * MS_PER_DAY) /* the body spans this; versions fit after */
#define MAX_BASE_US 221845392000000000LL /* year 9000: room for the span */

/* ---- object types ------------------------------------------------------ */

/* Per-mille weights of the types of new objects.  A type whose references
** cannot be drawn yet (early in a collection) falls back to a base type. */
static const uint16_t type_weights[T_N] = {
	[T_INDICATOR] = 380, [T_REL] = 280, [T_SIGHTING] = 70,
	[T_MALWARE] = 60, [T_ATTACK] = 50, [T_VULN] = 30, [T_INTRUSION] = 30,
	[T_CAMPAIGN] = 40, [T_REPORT] = 60,
};
static const uint8_t base_types[] = { T_MALWARE, T_ATTACK, T_INTRUSION,
				      T_VULN, T_CAMPAIGN, T_INDICATOR };
/* Types a report's object_refs may name. */
static const uint8_t report_ref_types[] = { T_INDICATOR, T_MALWARE, T_ATTACK,
					    T_INTRUSION, T_CAMPAIGN, T_VULN,
					    T_REL };

/* ---- references -------------------------------------------------------- */

/* Source and target types as STIX 2.1 defines them for each type. */
struct shape {
	uint8_t rel, src, dst, weight;
};
static const struct shape shapes[] = {
	{ R_INDICATES, T_INDICATOR, T_MALWARE, 20 },
	{ R_INDICATES, T_INDICATOR, T_INTRUSION, 8 },
	{ R_INDICATES, T_INDICATOR, T_CAMPAIGN, 6 },
	{ R_INDICATES, T_INDICATOR, T_ATTACK, 4 },
	{ R_USES, T_MALWARE, T_ATTACK, 8 },
	{ R_USES, T_INTRUSION, T_MALWARE, 8 },
	{ R_USES, T_INTRUSION, T_ATTACK, 8 },
	{ R_USES, T_CAMPAIGN, T_MALWARE, 5 },
	{ R_USES, T_CAMPAIGN, T_ATTACK, 4 },
	{ R_TARGETS, T_INTRUSION, T_VULN, 5 },
	{ R_TARGETS, T_MALWARE, T_VULN, 3 },
	{ R_TARGETS, T_ATTACK, T_VULN, 2 },
	{ R_TARGETS, T_CAMPAIGN, T_IDENTITY, 4 },
	{ R_TARGETS, T_INTRUSION, T_IDENTITY, 4 },
	{ R_EXPLOITS, T_MALWARE, T_VULN, 4 },
	{ R_ATTRIBUTED, T_CAMPAIGN, T_INTRUSION, 6 },
};
#define NSHAPES (sizeof(shapes) / sizeof(shapes[0]))

/* Granular markings (percent of unclassified objects of the type): an
** indicator's pattern, or a report's description, marked SECRET. */
#define GRAN_INDICATOR_PCT 6
#define GRAN_REPORT_PCT 15

/* ---- state ------------------------------------------------------------- */

struct pool {
	struct gen__ref r[POOL_STICKY + POOL_RING];
	uint32_t nsticky, nring, pos;
};

struct gen {
	const struct gen_params *p;
	gen_emit_fn emit;
	void *ctx;
	struct gen__rng rng;
	struct buf b;
	struct gen__ids ids;       /* marking definitions and identities */
	struct pool *pools;        /* ncollections * T_N */
	struct gen__obj *slots;    /* PENDING_MAX waiting versions */
	uint32_t heap[PENDING_MAX];
	uint64_t due[PENDING_MAX]; /* per slot: (due step << 20) | seq */
	uint32_t freel[PENDING_MAX];
	uint32_t nheap, nfree;
	uint64_t seq;
	int64_t base_ms, t_ms;     /* stream time */
	uint64_t t_q, t_r, t_err;  /* t advances by SPAN_MS / body per step */
	size_t body, step, emitted, delay_max;
};

/* ---- ids ---------------------------------------------------------------- */

static void new_id(struct gen__rng *r, struct gen__ref *id, uint8_t type)
{
	/* Version 4 in the third group, variant 10xx in the fourth. */
	id->hi = (gen__next(r) & ~0xf000ULL) | 0x4000ULL;
	id->lo = (gen__next(r) & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
	id->type = type;
}

/* Read a fixed UUID from its 36-character lower-case text (the TLP ids). */
static void parse_uuid(const char *s, struct gen__ref *id, uint8_t type)
{
	uint64_t v[2] = { 0, 0 };
	int digits = 0;
	for (; *s; s++) {
		if (*s == '-')
			continue;
		unsigned d = (unsigned)(*s <= '9' ? *s - '0' : *s - 'a' + 10);
		v[digits / 16] = (v[digits / 16] << 4) | d;
		digits++;
	}
	id->hi = v[0];
	id->lo = v[1];
	id->type = type;
}

/* ---- pools and pending versions ---------------------------------------- */

static struct pool *pool_of(struct gen *g, size_t coll, int type)
{
	return &g->pools[coll * T_N + (size_t)type];
}

static void pool_add(struct gen *g, size_t coll, const struct gen__ref *r)
{
	struct pool *p = pool_of(g, coll, r->type);
	if (p->nsticky < POOL_STICKY) {
		p->r[p->nsticky++] = *r;
		return;
	}
	p->r[POOL_STICKY + p->pos] = *r;
	p->pos = (p->pos + 1) % POOL_RING;
	if (p->nring < POOL_RING)
		p->nring++;
}

static int pool_has(struct gen *g, size_t coll, int type)
{
	return type == T_IDENTITY || pool_of(g, coll, type)->nsticky > 0;
}

/* A random id of the type from the collection's pool; identities are the
** sector classes (what intrusion sets and campaigns target). */
static struct gen__ref pool_pick(struct gen *g, size_t coll, int type)
{
	if (type == T_IDENTITY)
		return g->ids.ident[ID_CLASS0 + gen__below(&g->rng, NCLASSES)];
	struct pool *p = pool_of(g, coll, type);
	return p->r[gen__below(&g->rng, p->nsticky + p->nring)];
}

static int due_less(const struct gen *g, uint32_t a, uint32_t b)
{
	return g->due[a] < g->due[b];
}

static void heap_push(struct gen *g, uint32_t slot)
{
	uint32_t i = g->nheap++;
	g->heap[i] = slot;
	while (i > 0 && due_less(g, g->heap[i], g->heap[(i - 1) / 2])) {
		uint32_t parent = (i - 1) / 2, t = g->heap[i];
		g->heap[i] = g->heap[parent];
		g->heap[parent] = t;
		i = parent;
	}
}

static uint32_t heap_pop(struct gen *g)
{
	uint32_t top = g->heap[0];
	g->heap[0] = g->heap[--g->nheap];
	for (uint32_t i = 0;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < g->nheap && due_less(g, g->heap[l], g->heap[m]))
			m = l;
		if (r < g->nheap && due_less(g, g->heap[r], g->heap[m]))
			m = r;
		if (m == i)
			break;
		uint32_t t = g->heap[i];
		g->heap[i] = g->heap[m];
		g->heap[m] = t;
		i = m;
	}
	return top;
}

/* Queue the next version of the object in slot; the sequence number makes
** the order of versions due at the same step deterministic. */
static void schedule(struct gen *g, uint32_t slot)
{
	uint64_t at = g->step + 5 + gen__below(&g->rng, (uint32_t)g->delay_max);
	g->due[slot] = (at << 20) | (g->seq++ & 0xfffff);
	heap_push(g, slot);
}

static int version_due(const struct gen *g)
{
	return g->nheap > 0 && (g->due[g->heap[0]] >> 20) <= g->step;
}

/* Hand the object just written (rc from the writer) to the caller. */
static enum relto_err emit_buf(struct gen *g, enum relto_err rc, size_t coll,
			       char *err)
{
	if (rc)
		return relto_seterr(err, rc, "gen: object over %d bytes or out of memory",
				    OBJ_CAP);
	g->emitted++;
	return g->emit(g->ctx, coll, g->b.data, g->b.len);
}

/* Marking definitions into every collection, then the identities into
** every collection, so that every later reference points backwards. */
static enum relto_err run_header(struct gen *g, char *err)
{
	size_t n = g->p->ncollections, count = g->p->count;
	enum relto_err rc = RELTO_OK;
	for (size_t c = 0; c < n; c++)
		for (int m = M_FIRST_EMITTED; m < M_N && !rc && g->emitted < count; m++)
			rc = emit_buf(g, gen__put_marking(&g->b, &g->ids, m, g->base_ms), c, err);
	for (size_t c = 0; c < n; c++)
		for (int i = 0; i < NIDENT && !rc && g->emitted < count; i++)
			rc = emit_buf(g, gen__put_identity(&g->b, &g->ids, i, g->base_ms), c, err);
	return rc;
}

/* ---- body -------------------------------------------------------------- */

static uint8_t pick_profile(struct gen__rng *r)
{
	uint32_t x = gen__below(r, 1000);
	for (size_t i = 0; i < gen__nprofiles; i++) {
		if (x < gen__profiles[i].permille)
			return (uint8_t)i;
		x -= gen__profiles[i].permille;
	}
	return 0;
}

/* Granular markings go only on objects whose object markings are
** unclassified, where marking one property SECRET changes what a partner
** sees (the property is redacted, the rest released). */
static uint8_t pick_granular(struct gen__rng *r, const struct gen__obj *o)
{
	if (gen__profiles[o->profile].classified)
		return M_NONE;
	if (o->id.type == T_INDICATOR && gen__below(r, 100) < GRAN_INDICATOR_PCT)
		return M_ST_S_FVEY;
	if (o->id.type == T_REPORT && gen__below(r, 100) < GRAN_REPORT_PCT)
		return gen__below(r, 2) ? M_ST_S_NOFORN : M_ACS_S_GBR_KOR;
	return M_NONE;
}

static int fill_rel(struct gen *g, struct gen__obj *o)
{
	uint32_t total = 0;
	for (size_t i = 0; i < NSHAPES; i++)
		total += shapes[i].weight;
	for (int tries = 0; tries < 4; tries++) {
		uint32_t x = gen__below(&g->rng, total);
		size_t i = 0;
		while (i < NSHAPES - 1 && x >= shapes[i].weight)
			x -= shapes[i++].weight;
		const struct shape *s = &shapes[i];
		if (!pool_has(g, o->coll, s->src) || !pool_has(g, o->coll, s->dst))
			continue;
		o->rel = s->rel;
		o->refs[0] = pool_pick(g, o->coll, s->src);
		o->refs[1] = pool_pick(g, o->coll, s->dst);
		o->nrefs = 2;
		return 1;
	}
	return 0;
}

/* A sighting of an indicator (mostly) or a malware, where one or two
** partners saw it; the first of them reports it. */
static int fill_sighting(struct gen *g, struct gen__obj *o)
{
	int of = gen__below(&g->rng, 5) ? T_INDICATOR : T_MALWARE;
	if (!pool_has(g, o->coll, of))
		of = of == T_INDICATOR ? T_MALWARE : T_INDICATOR;
	if (!pool_has(g, o->coll, of))
		return 0;
	uint32_t p1 = gen__below(&g->rng, NPARTNERS);
	o->refs[0] = pool_pick(g, o->coll, of);
	o->refs[1] = g->ids.ident[ID_PARTNER0 + p1];
	o->nrefs = 2;
	if (gen__below(&g->rng, 3) == 0) {
		uint32_t p2 = (p1 + 1 + gen__below(&g->rng, NPARTNERS - 1)) % NPARTNERS;
		o->refs[o->nrefs++] = g->ids.ident[ID_PARTNER0 + p2];
	}
	o->creator = (uint8_t)(ID_PARTNER0 + p1);
	o->count = 1 + gen__below(&g->rng, 40);
	return 1;
}

static int same_ref(const struct gen__ref *a, const struct gen__ref *b)
{
	return a->hi == b->hi && a->lo == b->lo && a->type == b->type;
}

static int fill_report(struct gen *g, struct gen__obj *o)
{
	uint8_t avail[sizeof(report_ref_types)];
	size_t navail = 0;
	for (size_t i = 0; i < sizeof(report_ref_types); i++)
		if (pool_has(g, o->coll, report_ref_types[i]))
			avail[navail++] = report_ref_types[i];
	if (!navail)
		return 0;
	uint32_t want = 3 + gen__below(&g->rng, GEN__MAX_REFS - 2);
	for (uint32_t tries = 0; tries < 3 * want && o->nrefs < want; tries++) {
		struct gen__ref r = pool_pick(g, o->coll, avail[gen__below(&g->rng, (uint32_t)navail)]);
		int dup = 0;
		for (int i = 0; i < o->nrefs && !dup; i++)
			dup = same_ref(&o->refs[i], &r);
		if (!dup)
			o->refs[o->nrefs++] = r;
	}
	return 1;
}

static int pick_type(struct gen *g)
{
	uint32_t x = gen__below(&g->rng, 1000);
	for (int t = 0; t < T_N; t++) {
		if (x < type_weights[t])
			return t;
		x -= type_weights[t];
	}
	return T_INDICATOR;
}

/* The collection, theme, type, references, times and markings of a new
** object.  With one collection the themes mix; with more, even
** collections are general and odd ones telecom, so a reference never
** leaves its collection and each collection reads as one feed. */
static void new_object(struct gen *g, struct gen__obj *o)
{
	struct gen__rng *r = &g->rng;
	memset(o, 0, sizeof(*o));
	size_t n = g->p->ncollections;
	o->coll = (uint16_t)gen__below(r, (uint32_t)n);
	o->theme = (uint8_t)(n == 1 ? gen__below(r, 2) : (o->coll & 1u));
	o->seed = gen__next(r);
	o->creator = gen__below(r, 100) < 85 ? ID_HUB : (uint8_t)(ID_PARTNER0 + gen__below(r, NPARTNERS));
	int type = pick_type(g);
	o->id.type = (uint8_t)type;
	int ok = type == T_REL ? fill_rel(g, o)
		 : type == T_SIGHTING ? fill_sighting(g, o)
		 : type == T_REPORT ? fill_report(g, o) : 1;
	if (!ok)
		o->id.type = base_types[gen__below(r, sizeof(base_types))];
	new_id(r, &o->id, o->id.type);
	o->modified = o->created = g->t_ms;
	if (gen__below(r, 2)) {
		int64_t room = g->t_ms - g->base_ms;
		if (room > 30 * MS_PER_DAY)
			room = 30 * MS_PER_DAY;
		o->created -= gen__below(r, (uint32_t)room + 1);
	}
	o->profile = pick_profile(r);
	o->granular = pick_granular(r, o);
}

/* Advance the stream clock by one body object (Bresenham steps, so the
** body spans SPAN_MS exactly whatever the count). */
static void tick(struct gen *g)
{
	g->step++;
	g->t_ms += (int64_t)g->t_q;
	g->t_err += g->t_r;
	if (g->t_err >= g->body) {
		g->t_err -= g->body;
		g->t_ms++;
	}
}

static enum relto_err step_new(struct gen *g, char *err)
{
	struct gen__obj o;
	new_object(g, &o);
	enum relto_err rc = emit_buf(g, gen__put_object(&g->b, &g->ids, &o), o.coll, err);
	if (rc)
		return rc;
	pool_add(g, o.coll, &o.id);
	if (gen__below(&g->rng, 100) < 10 && g->nfree > 0) {
		uint32_t slot = g->freel[--g->nfree];
		g->slots[slot] = o;
		g->slots[slot].versions_left = (uint8_t)(1 + gen__below(&g->rng, 3));
		schedule(g, slot);
	}
	return RELTO_OK;
}

/* The next version of a queued object: later `modified`, an update note,
** sometimes new markings (STIX 2.1 7.2.2: re-marking is a new version),
** and sometimes, on the last version, revoked. */
static enum relto_err step_version(struct gen *g, char *err)
{
	uint32_t slot = heap_pop(g);
	struct gen__obj *o = &g->slots[slot];
	struct gen__rng *r = &g->rng;
	o->version++;
	o->versions_left--;
	o->modified = g->t_ms > o->modified ? g->t_ms : o->modified + 1;
	if (gen__below(r, 100) < 20) {
		o->profile = pick_profile(r);
		o->granular = pick_granular(r, o);
	}
	if (o->versions_left == 0 && gen__below(r, 100) < 10)
		o->revoked = 1;
	if (o->id.type == T_SIGHTING)
		o->count += 1 + gen__below(r, 20);
	enum relto_err rc = emit_buf(g, gen__put_object(&g->b, &g->ids, o), o->coll, err);
	if (o->versions_left > 0)
		schedule(g, slot);
	else
		g->freel[g->nfree++] = slot;
	return rc;
}

static enum relto_err run_body(struct gen *g, char *err)
{
	while (g->emitted < g->p->count) {
		enum relto_err rc = version_due(g) ? step_version(g, err) : step_new(g, err);
		if (rc)
			return rc;
		tick(g);
	}
	return RELTO_OK;
}

/* ---- entry points ------------------------------------------------------ */

void gen_params_default(struct gen_params *p)
{
	p->seed = 1;
	p->count = 3000;
	p->ncollections = 2;
	p->base_time = 1735689600LL * 1000000; /* 2025-01-01T00:00:00Z */
}

static enum relto_err check_params(const struct gen_params *p, gen_emit_fn emit,
				   char *err)
{
	if (!p || !emit)
		return relto_seterr(err, RELTO_EINVAL, "gen: no parameters or no emit function");
	if (p->ncollections < 1 || p->ncollections > GEN_MAX_COLLECTIONS)
		return relto_seterr(err, RELTO_EINVAL, "gen: ncollections must be 1..%d, not %zu",
				    GEN_MAX_COLLECTIONS, p->ncollections);
	if (p->base_time < 0 || p->base_time > MAX_BASE_US)
		return relto_seterr(err, RELTO_EINVAL,
				    "gen: base_time must lie between 1970 and 9000");
	return RELTO_OK;
}

/* The ids every run needs before the first object: identities first, then
** the marking definitions that are not fixed by a standard. */
static void setup_ids(struct gen *g)
{
	for (int i = 0; i < NIDENT; i++)
		new_id(&g->rng, &g->ids.ident[i], T_IDENTITY);
	for (int m = 0; m < M_N; m++) {
		if (gen__marks[m].uuid)
			parse_uuid(gen__marks[m].uuid, &g->ids.mark[m], T_MARKING);
		else
			new_id(&g->rng, &g->ids.mark[m], T_MARKING);
	}
}

static void setup_clock(struct gen *g)
{
	size_t header = g->p->ncollections * (size_t)(M_N - M_FIRST_EMITTED + NIDENT);
	g->base_ms = g->p->base_time / 1000;
	g->t_ms = g->base_ms;
	g->body = g->p->count > header ? g->p->count - header : 1;
	g->t_q = (uint64_t)SPAN_MS / g->body;
	g->t_r = (uint64_t)SPAN_MS % g->body;
	g->delay_max = g->body / 8;
	if (g->delay_max < 20)
		g->delay_max = 20;
	if (g->delay_max > MAX_DELAY)
		g->delay_max = MAX_DELAY;
}

enum relto_err gen_run(const struct gen_params *p, gen_emit_fn emit, void *ctx,
		       char *err)
{
	enum relto_err rc = check_params(p, emit, err);
	if (rc)
		return rc;
	struct gen *g = calloc(1, sizeof(*g));
	if (!g)
		return relto_seterr(err, RELTO_ENOMEM, "gen: out of memory");
	g->p = p;
	g->emit = emit;
	g->ctx = ctx;
	g->pools = calloc(p->ncollections * T_N, sizeof(*g->pools));
	g->slots = calloc(PENDING_MAX, sizeof(*g->slots));
	if (!g->pools || !g->slots) {
		rc = relto_seterr(err, RELTO_ENOMEM, "gen: out of memory");
		goto out;
	}
	buf_init(&g->b, OBJ_CAP);
	for (uint32_t i = 0; i < PENDING_MAX; i++)
		g->freel[i] = PENDING_MAX - 1 - i;
	g->nfree = PENDING_MAX;
	gen__rng_seed(&g->rng, p->seed);
	setup_ids(g);
	setup_clock(g);
	rc = run_header(g, err);
	if (!rc)
		rc = run_body(g, err);
out:
	buf_free(&g->b);
	free(g->pools);
	free(g->slots);
	free(g);
	return rc;
}
