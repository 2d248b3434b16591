/*
** pick_refs.c: the rows' map's objects and references as numbers
** (pick_int.h), and the decisions a picked walk takes from them: a row
** by the filter's rule (query_sqlite.c, ROW_VISIBLE and version_sql), its
** references by refs_sqlite.c's, in C, where the filter in SQL looks
** references up by string id (~300 instructions each: docs/BENCHMARKS.md).
**
** Every (collection, id) a row has or a reference names is numbered once
** (struct obj_names, keys by obj_key); each row has its object's number,
** its version, the row of its object put before it (the chain from
** heads[k]: every version of an object), and its references (object
** number, required).  A walk reads them without a lock: a row's are
** written before the row is published (the map's max), and a chain's
** head after the row it names; the walk passes over rows past its
** snapshot (call->end), which the map may already hold.
*/
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "pick_int.h"
#include "../util/text.h"

/* The key of (coll, id) into out (KEY_MAX bytes): its length, or 0 when
** it does not fit (an id past KEY_MAX, a collection past the map's).  An
** id of the form STIX gives every id, a type, "--" and a UUID in
** lowercase hex, is kept as its type and its UUID in 16 bytes (form 1);
** another, as it is (form 0); after the form, the collection in 2 bytes.
** Either way the key holds the id's every byte: two ids have the same
** key only when they are the same id. */
static size_t obj_key(int64_t coll, const char *id, unsigned char *out)
{
	if (coll < 0 || coll > MAX_COLL)
		return 0;
	size_t len = strlen(id);
	const char *uuid = len > 38 && id[len - 38] == '-' && id[len - 37] == '-' ? id + len - 36 : NULL;
	out[1] = (unsigned char)(coll & 0xff);
	out[2] = (unsigned char)(coll >> 8);
	unsigned char *q = out + 3;
	/* Its 32 hex digits two to a byte (the groups of 8, 4, 4, 4 and 12
	** digits do not split a byte), its four dashes in their places. */
	for (size_t i = 0, nibbles = 0; uuid && i < 36; i++) {
		int v = text_hex_digit(uuid[i]);
		if (i == 8 || i == 13 || i == 18 || i == 23)
			uuid = uuid[i] == '-' ? uuid : NULL;
		else if (v < 0)
			uuid = NULL;
		else if (nibbles++ % 2 == 0)
			*q = (unsigned char)(v << 4);
		else
			*q++ |= (unsigned char)v;
	}
	size_t n = uuid ? (size_t)(uuid - 2 - id) : len; /* the type, or the whole id */
	out[0] = uuid != NULL;
	if (!uuid)
		q = out + 3;
	if ((size_t)(q - out) + n > KEY_MAX)
		return 0;
	memcpy(q, id, n);
	return (size_t)(q - out) + n;
}

/* The key of number k in o, and its length. */
static const unsigned char *obj_key_of(const struct obj_names *o, uint32_t k, size_t *len)
{
	const unsigned char *p = o->blocks[o->at[k] / KEY_BLOCK] + o->at[k] % KEY_BLOCK;
	*len = (size_t)p[0] | (size_t)p[1] << 8;
	return p + 2;
}

/* Whether number k of o has key (key, len). */
static int obj_is(const struct obj_names *o, uint32_t k, const unsigned char *key, size_t len)
{
	size_t klen;
	const unsigned char *stored = obj_key_of(o, k, &klen);
	return klen == len && memcmp(stored, key, len) == 0;
}

/* The slot of key (key, len) with hash h, or the free slot where it would
** go (o->nslots > 0). */
static uint32_t *obj_slot(const struct obj_names *o, const unsigned char *key, size_t len, uint32_t h)
{
	size_t mask = o->nslots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask)
		if (!o->slots[i] || (o->hashes[i] == h && obj_is(o, o->slots[i] - 1, key, len)))
			return &o->slots[i];
}

/* Keep key (key, len) in o's blocks: its place in *at.  0, or -1. */
static int obj_keep(struct obj_names *o, const unsigned char *key, size_t len, uint32_t *at)
{
	if (!o->nblocks || o->used + 2 + len > KEY_BLOCK) {
		if ((o->nblocks + 1) * KEY_BLOCK > UINT32_MAX)
			return -1;
		unsigned char **blocks = realloc(o->blocks, (o->nblocks + 1) * sizeof(*blocks));
		if (!blocks)
			return -1;
		o->blocks = blocks;
		if (!(o->blocks[o->nblocks] = malloc(KEY_BLOCK)))
			return -1;
		o->nblocks++;
		o->used = 0;
	}
	unsigned char *p = o->blocks[o->nblocks - 1] + o->used;
	p[0] = (unsigned char)(len & 0xff);
	p[1] = (unsigned char)(len >> 8);
	memcpy(p + 2, key, len);
	*at = (uint32_t)((o->nblocks - 1) * KEY_BLOCK + o->used);
	o->used += 2 + len;
	return 0;
}

/* Twice the slots, every key in its place again.  0, or -1. */
static int obj_grow(struct obj_names *o)
{
	size_t n = o->nslots ? 2 * o->nslots : 1024;
	uint32_t *slots = calloc(n, sizeof(*slots)), *hashes = malloc(n * sizeof(*hashes));
	if (!slots || !hashes) {
		free(slots);
		free(hashes);
		return -1;
	}
	for (size_t i = 0; i < o->nslots; i++) {
		if (!o->slots[i])
			continue;
		size_t j = o->hashes[i] & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = o->slots[i];
		hashes[j] = o->hashes[i];
	}
	free(o->slots);
	free(o->hashes);
	o->slots = slots;
	o->hashes = hashes;
	o->nslots = n;
	return 0;
}

/* The number of object (coll, id), numbered if new (its head chunk made);
** -1 when out of memory, past OBJ_MAX objects, or an id too long for a
** key. */
static int obj_number(struct pick_map *m, int64_t coll, const char *id)
{
	struct obj_names *o = &m->objs;
	unsigned char key[KEY_MAX];
	size_t len = obj_key(coll, id, key);
	if (!len)
		return -1;
	if (o->last >= 0 && obj_is(o, (uint32_t)o->last, key, len))
		return o->last;
	if (2 * (o->n + 1) > o->nslots && obj_grow(o))
		return -1;
	unsigned char hash[crypto_shorthash_BYTES];
	crypto_shorthash(hash, key, len, o->hash_key);
	uint32_t h = (uint32_t)hash[0] | (uint32_t)hash[1] << 8 | (uint32_t)hash[2] << 16 | (uint32_t)hash[3] << 24;
	uint32_t *slot = obj_slot(o, key, len, h);
	if (*slot)
		return o->last = (int)(*slot - 1);
	if (o->n >= OBJ_MAX)
		return -1;
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 1024;
		uint32_t *at = realloc(o->at, cap * sizeof(*at));
		if (!at)
			return -1;
		o->at = at;
		o->cap = cap;
	}
	size_t k = o->n;
	_Atomic uint32_t **ch = &m->heads[k >> CHUNK_BITS];
	if ((!*ch && !(*ch = calloc((size_t)CHUNK, sizeof(**ch)))) || obj_keep(o, key, len, &o->at[k]))
		return -1;
	*slot = (uint32_t)k + 1;
	o->hashes[slot - o->slots] = h;
	o->n++;
	return o->last = (int)k;
}

/* Row seq, of object (coll, id) and that version, made the last version
** its object's chain starts from (its chunks of prevs, lists, objects and
** versions made).  0, or -1. */
int pick_link(struct pick_map *m, int64_t seq, int64_t coll, const char *id, int64_t version)
{
	size_t c = (size_t)(seq >> CHUNK_BITS);
	if (seq < 1 || c >= CHUNKS || (!m->prevs[c] && !(m->prevs[c] = calloc((size_t)CHUNK, sizeof(**m->prevs)))) ||
	    (!m->lists[c] && !(m->lists[c] = calloc((size_t)CHUNK, sizeof(**m->lists)))) ||
	    (!m->objects[c] && !(m->objects[c] = calloc((size_t)CHUNK, sizeof(**m->objects)))) ||
	    (!m->versions[c] && !(m->versions[c] = calloc((size_t)CHUNK, sizeof(**m->versions)))))
		return -1;
	int k = obj_number(m, coll, id);
	if (k < 0)
		return -1;
	m->objects[c][seq & (CHUNK - 1)] = (uint32_t)k;
	m->versions[c][seq & (CHUNK - 1)] = version;
	_Atomic uint32_t *head = &m->heads[(size_t)k >> CHUNK_BITS][k & (CHUNK - 1)];
	m->prevs[seq >> CHUNK_BITS][seq & (CHUNK - 1)] = atomic_load_explicit(head, memory_order_relaxed);
	/* Release: a walk that reads the new head reads the prev above. */
	atomic_store_explicit(head, (uint32_t)seq, memory_order_release);
	return 0;
}

/* Row seq's references (list, len bytes; nreq and nopt its counts) into
** the map, numbered; LIST_UNKNOWN when the list does not match its counts
** (a damaged store: the filter in SQL withholds it) or is too long.  0,
** or -1 when out of memory. */
int pick_refs(struct pick_map *m, int64_t seq, int64_t coll, const void *list, size_t len, int64_t nreq,
              int64_t nopt)
{
	uint32_t *at = &m->lists[seq >> CHUNK_BITS][seq & (CHUNK - 1)];
	*at = LIST_UNKNOWN;
	if (!list || nreq < 0 || nopt < 0 || nreq + nopt > REF_LIST_MAX)
		return 0;
	uint64_t n = (uint64_t)(nreq + nopt);
	if (m->refs_used % REF_BLOCK + n + 1 > REF_BLOCK)
		m->refs_used += REF_BLOCK - m->refs_used % REF_BLOCK; /* the next block */
	uint64_t start = m->refs_used;
	size_t b = (size_t)(start / REF_BLOCK);
	if (b >= REF_BLOCKS || start + n + 1 >= LIST_UNKNOWN)
		return 0;
	if (!m->ref_blocks[b] && !(m->ref_blocks[b] = malloc((size_t)REF_BLOCK * sizeof(**m->ref_blocks))))
		return -1;
	uint32_t *out = m->ref_blocks[b] + start % REF_BLOCK;
	const unsigned char *p = list, *end = p + len;
	const char *id;
	int required, r;
	uint64_t i = 0, req = 0;
	while ((r = sq_ref_next(&p, end, &id, &required)) > 0 && i < n) {
		int k = obj_number(m, coll, id);
		if (k < 0)
			return -1;
		out[1 + i++] = (uint32_t)k << 1 | (uint32_t)required;
		req += (uint64_t)required;
	}
	if (r != 0 || i != n || req != (uint64_t)nreq)
		return 0;
	out[0] = (uint32_t)n;
	m->refs_used = start + n + 1;
	*at = (uint32_t)start;
	return 0;
}

void pick_names_free(struct obj_names *o)
{
	free(o->slots);
	free(o->hashes);
	free(o->at);
	for (size_t i = 0; i < o->nblocks; i++)
		free(o->blocks[i]);
	free(o->blocks);
}

size_t pick_names_memory(const struct obj_names *o)
{
	return o->nslots * 8 + o->cap * 4 + o->nblocks * KEY_BLOCK;
}

/* The head of object k's chain of versions (0: none), and the version
** put before v. */
static uint32_t head_of(const struct pick_map *m, uint32_t k)
{
	_Atomic uint32_t *ch = m->heads[k >> CHUNK_BITS];
	return ch ? atomic_load_explicit(&ch[k & (CHUNK - 1)], memory_order_acquire) : 0;
}

static uint32_t prev_of(const struct pick_map *m, uint32_t v)
{
	return m->prevs[v >> CHUNK_BITS][v & (CHUNK - 1)];
}

/* Row seq's references in the map: a count, then the entries; NULL when
** the map does not hold them (LIST_UNKNOWN; or a row that refers to
** nothing, which no caller asks of). */
const uint32_t *pick_refs_of(const struct pick_map *m, int64_t seq)
{
	uint32_t at = m->lists[seq >> CHUNK_BITS][seq & (CHUNK - 1)];
	return at == 0 || at == LIST_UNKNOWN ? NULL : m->ref_blocks[at / REF_BLOCK] + at % REF_BLOCK;
}

/* Entry e is visible to the call's partner by its markings alone. */
static int marked_visible(const struct sq_pick_call *call, uint64_t e)
{
	return sq_set_released(call->partner.bits, call->partner.nsets, E_SET(e)) || E_WHO(e) == call->who;
}

/* Some version of object k in the walk's snapshot refers to nothing and is
** visible by its markings (refs_sqlite.c: a leaf). */
static int leaf_visible(const struct sq_pick_call *call, uint32_t k)
{
	for (uint32_t v = head_of(call->map, k); v; v = prev_of(call->map, v)) {
		uint64_t e = v <= call->end ? map_get(call->map, v) : 0;
		if (e && E_PLAIN(e) && marked_visible(call, e))
			return 1;
	}
	return 0;
}

/* A reference to object k is visible: refs_sqlite.c's rule (sq_refs_visible),
** from the map.  1, 0, or -1: a version's references are not in the map
** (the filter in SQL decides). */
static int ref_visible(const struct sq_pick_call *call, uint32_t k)
{
	for (uint32_t v = head_of(call->map, k); v; v = prev_of(call->map, v)) {
		uint64_t e = v <= call->end ? map_get(call->map, v) : 0;
		if (!e || !marked_visible(call, e))
			continue;
		if (E_PLAIN(e))
			return 1;
		const uint32_t *r = pick_refs_of(call->map, v);
		if (!r)
			return -1;
		int ok = 1, has_opt = 0, any_opt = 0;
		for (uint32_t i = 1; ok && i <= r[0]; i++) {
			int leaf = leaf_visible(call, r[i] >> 1);
			if (r[i] & 1)
				ok = leaf;
			else
				has_opt = 1, any_opt |= leaf;
		}
		if (ok && (!has_opt || any_opt))
			return 1;
	}
	return 0;
}

/* The references of row seq (not plain) decided: 1 when every required
** one is visible and, if it names optional ones, one of those (the
** filter's rule, sq_refs_list_visible), 0 when not, -1 when the map
** cannot tell.  With mask (not NULL), the optional ones that are not
** visible are marked in it (bit i for the list's i-th reference) and
** *hidden says whether any is; all are decided then, not only as many as
** the answer needs. */
static int row_refs_visible(const struct sq_pick_call *call, int64_t seq, unsigned char *mask, int *hidden)
{
	const uint32_t *r = pick_refs_of(call->map, seq);
	if (!r)
		return -1;
	if (mask) {
		memset(mask, 0, (r[0] + 7) / 8);
		*hidden = 0;
	}
	int has_opt = 0, any_opt = 0;
	for (uint32_t i = 1; i <= r[0]; i++) {
		if (!mask && !(r[i] & 1) && any_opt)
			continue;
		int v = ref_visible(call, r[i] >> 1);
		if (v < 0 || ((r[i] & 1) && !v))
			return v;
		if (!(r[i] & 1)) {
			has_opt = 1;
			any_opt |= v;
			if (mask && !v) {
				mask[(i - 1) >> 3] |= (unsigned char)(1u << ((i - 1) & 7));
				*hidden = 1;
			}
		}
	}
	return !has_opt || any_opt;
}

/* A version of row seq's object other than seq, later (later = 1) or
** earlier than seq's, is visible to the partner in the walk's snapshot
** (sq_refs_other_visible's rule): 1, 0, or -1 when the map cannot tell. */
static int other_visible(const struct sq_pick_call *call, int64_t seq, int later)
{
	const struct pick_map *m = call->map;
	int64_t version = m->versions[seq >> CHUNK_BITS][seq & (CHUNK - 1)];
	int unsure = 0;
	for (uint32_t v = head_of(m, m->objects[seq >> CHUNK_BITS][seq & (CHUNK - 1)]); v; v = prev_of(m, v)) {
		if (v > call->end || v == seq)
			continue;
		int64_t at = m->versions[v >> CHUNK_BITS][v & (CHUNK - 1)];
		if (later ? at <= version : at >= version)
			continue;
		uint64_t e = map_get(m, v);
		if (E_WHO(e) == call->who || (marked_visible(call, e) && E_PLAIN(e)))
			return 1;
		if (!marked_visible(call, e))
			continue;
		int ok = row_refs_visible(call, v, NULL, NULL);
		if (ok > 0)
			return 1;
		unsure |= ok < 0;
	}
	return unsure ? -1 : 0;
}

/* Whether row seq (entry e), visible, is a version the call asks for
** (store__version_sql's rule with visibility): of its flags, or the
** latest (earliest) version the partner may see.  1, 0, -1 (the map
** cannot tell, or versions asked for by date: the filter in SQL
** decides).  A flag the map has is one the snapshot has (they are only
** ever cleared past it); one it has not, the versions in the snapshot
** decide. */
static int version_wanted(const struct sq_pick_call *call, int64_t seq, uint64_t e)
{
	int pick = call->versions;
	if (wanted(pick, e))
		return 1;
	if (pick == -2 || call->by_date)
		return -1;
	int r = 0;
	for (int later = 0; later < 2; later++) {
		if (pick != -1 && pick != (later ? 2 : 1))
			continue;
		int o = other_visible(call, seq, later);
		if (o == 0)
			return 1;
		if (o < 0)
			r = -1;
	}
	return r;
}

int pick_ahead(const struct sq_pick_call *call, int64_t seq)
{
	const struct pick_map *m = call->map;
	for (uint32_t v = head_of(m, m->objects[seq >> CHUNK_BITS][seq & (CHUNK - 1)]); v; v = prev_of(m, v))
		if (v > call->end)
			return 1;
	return 0;
}


/* The row's decision; for a visible row with optional references the
** partner may not see, those marked in mask and *hidden set.  The rule is
** the filter's (query_sqlite.c, ROW_VISIBLE and version_sql): the
** partner's own, whole; else its markings (released, or it would not be
** picked) and its references; then the version clause. */
enum pick_decision pick_decide(const struct sq_pick_call *call, int64_t seq, uint64_t e, unsigned char *mask,
                               int *hidden)
{
	*hidden = 0;
	int v = E_WHO(e) == call->who || E_PLAIN(e) ? 1 : row_refs_visible(call, seq, mask, hidden);
	if (v < 0)
		return PICK_DEFER;
	if (v == 0)
		return PICK_REFUSED;
	int w = version_wanted(call, seq, e);
	return w < 0 ? PICK_DEFER : w ? PICK_VISIBLE : PICK_UNWANTED;
}
