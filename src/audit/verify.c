/*
** verify.c: checking the audit trail (audit_verify, audit_status) and
** reading it back (audit_each).
**
** verify trusts nothing stored but the signatures: every record's hash is
** recomputed from its bytes, every link to the record before it, every
** released list from its bytes, and every checkpoint is checked against
** the record it signs.  Problems are collected with the record they point
** at and reported lowest record first, so the first line names the first
** bad record however the walk met them.
*/
#include <jansson.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit.h"
#include "audit_int.h"
#include "entry.h"
#include "../util/ts.h"

#define MAX_PROBLEMS 1000
#define SHOWN_PROBLEMS 20

struct problem {
	int64_t seq;
	size_t order;             /* when it was found: ties keep it */
	char text[240];
};

/* A set of hashes (released lists already checked). */
struct hashset {
	unsigned char (*slot)[AUDIT_HASH_LEN];
	unsigned char *used;
	size_t n, room;
};

static int hashset_has(const struct hashset *h, const unsigned char *k)
{
	if (!h->room)
		return 0;
	size_t i = (k[0] | (size_t)k[1] << 8 | (size_t)k[2] << 16 | (size_t)k[3] << 24) & (h->room - 1);
	for (; h->used[i]; i = (i + 1) & (h->room - 1))
		if (memcmp(h->slot[i], k, AUDIT_HASH_LEN) == 0)
			return 1;
	return 0;
}

static enum relto_err hashset_add(struct hashset *h, const unsigned char *k)
{
	if ((h->n + 1) * 2 > h->room) {
		struct hashset g = {.room = h->room ? h->room * 2 : 1024};
		g.slot = malloc(g.room * AUDIT_HASH_LEN);
		g.used = calloc(g.room, 1);
		if (!g.slot || !g.used) {
			free(g.slot);
			free(g.used);
			return RELTO_ENOMEM;
		}
		for (size_t i = 0; i < h->room; i++)
			if (h->used[i])
				hashset_add(&g, h->slot[i]);
		free(h->slot);
		free(h->used);
		*h = g;
	}
	size_t i = (k[0] | (size_t)k[1] << 8 | (size_t)k[2] << 16 | (size_t)k[3] << 24) & (h->room - 1);
	while (h->used[i])
		i = (i + 1) & (h->room - 1);
	memcpy(h->slot[i], k, AUDIT_HASH_LEN);
	h->used[i] = 1;
	h->n++;
	return RELTO_OK;
}

static void hashset_free(struct hashset *h)
{
	free(h->slot);
	free(h->used);
}

struct checkpoints {
	struct store_trail_checkpoint *v;
	size_t n, room;
};

static enum relto_err keep_checkpoint(void *ctx, const struct store_trail_checkpoint *cp)
{
	struct checkpoints *c = ctx;
	if (c->n == c->room) {
		size_t room = c->room ? c->room * 2 : 64;
		struct store_trail_checkpoint *v = realloc(c->v, room * sizeof(*v));
		if (!v)
			return RELTO_ENOMEM;
		c->v = v;
		c->room = room;
	}
	c->v[c->n++] = *cp;
	return RELTO_OK;
}

/* Does cp's signature verify, with one of keys (none given: with the key
** the checkpoint names)?  0: yes; 1: not signed by any key given; 2: the
** signature is bad. */
static int checkpoint_bad(const struct store_trail_checkpoint *cp, const struct audit_key *keys, size_t nkeys)
{
	const unsigned char *pk = cp->pubkey;
	if (nkeys) {
		pk = NULL;
		for (size_t i = 0; i < nkeys && !pk; i++)
			if (memcmp(keys[i].pk, cp->pubkey, sizeof(cp->pubkey)) == 0)
				pk = keys[i].pk;
		if (!pk)
			return 1;
	}
	unsigned char msg[AUDIT_CP_MSG_LEN];
	audit__checkpoint_message(cp->seq, cp->at, cp->hash, msg);
	return crypto_sign_verify_detached(cp->sig, msg, sizeof(msg), pk) == 0 ? 0 : 2;
}

struct walk {
	struct store_trail *t;
	const struct audit_key *keys;
	size_t nkeys;
	struct checkpoints cps;
	size_t next_cp;           /* the first checkpoint not yet met */
	int64_t last_good_cp;     /* seq of the last checkpoint that matched */
	struct hashset lists;     /* released lists checked and good */
	struct hashset reasons;   /* reasons lists checked and good */
	int64_t last_seq;         /* the highest seq so far (0: none) */
	int64_t gap_from, gap_to; /* records gap_from..gap_to-1 were not there (yet) */
	int64_t head_seq;         /* the trail's head when the walk began (0: none known) */
	unsigned char head_hash[AUDIT_HASH_LEN];
	int head_seen;
	unsigned char last_hash[AUDIT_HASH_LEN];
	int last_flagged;         /* the row before was reported already */
	int64_t records;
	struct problem *problems;
	size_t nproblems;
	char *err;
};

static void problem(struct walk *w, int64_t seq, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(struct walk *w, int64_t seq, const char *fmt, ...)
{
	if (w->nproblems == MAX_PROBLEMS)
		return;
	struct problem *p = &w->problems[w->nproblems];
	p->seq = seq;
	p->order = w->nproblems++;
	int n = snprintf(p->text, sizeof(p->text), "record %lld: ", (long long)seq);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->text + n, sizeof(p->text) - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Does a column hold the body's value, cut as the writer cuts it? */
static int same_column(const json_t *v, const char *column, size_t max)
{
	if (!json_is_string(v))
		return 0;
	size_t n = json_string_length(v);
	if (n > max - 1)
		n = max - 1;
	return strlen(column) == n && memcmp(json_string_value(v), column, n) == 0;
}

/* Check the released list a record names, hashed by its entries (the
** record says "list_by":"entries") or by its text (trails written before
** entries were kept); 0 when good. */
static int check_list(struct walk *w, const struct store_trail_record *r, json_int_t count, int by_entries)
{
	/* Known good: this list, so hashed, with this many entries (a record
	** naming a good list with a count too many or too few is not). */
	unsigned char known[AUDIT_HASH_LEN + 9], key[AUDIT_HASH_LEN];
	memcpy(known, r->list, AUDIT_HASH_LEN);
	for (int b = 0; b < 8; b++)
		known[AUDIT_HASH_LEN + b] = (unsigned char)((uint64_t)count >> (8 * b));
	known[AUDIT_HASH_LEN + 8] = (unsigned char)by_entries;
	audit_hash(known, sizeof(known), key);
	if (hashset_has(&w->lists, key))
		return 0;
	char *body = NULL;
	size_t len = 0;
	enum relto_err rc = store_trail_list(w->t, r->list, &body, &len, NULL);
	if (rc) {
		problem(w, r->seq, "its released list is missing");
		return 1;
	}
	unsigned char h[AUDIT_HASH_LEN];
	size_t n = 0;
	int bad = 0;
	if (by_entries) {
		if (!entry_list_check(body, len, &n, h)) {
			problem(w, r->seq, "its released list was changed (it is not a list of entries as relto writes one)");
			bad = 1;
		}
	} else {
		audit_list_hash(body, len, h);
		json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
		n = json_is_array(v) ? json_array_size(v) : 0;
		json_decref(v);
	}
	if (!bad && memcmp(h, r->list, AUDIT_HASH_LEN) != 0) {
		problem(w, r->seq, "its released list was changed (its content does not match its hash)");
		bad = 1;
	} else if (!bad && (json_int_t)n != count) {
		problem(w, r->seq, "its released list does not hold the %lld entries it counts", (long long)count);
		bad = 1;
	}
	free(body);
	if (!bad && hashset_add(&w->lists, key))
		return 0; /* out of memory: it is checked again next time */
	return bad;
}

/* Check a record's withheld counts: {} (none), {"reasons": HASH,
** "counts": [N, ...]} naming a stored list of as many reasons, or (a trail
** written before reasons were kept once) {"REASON": N, ...}.  0: good. */
static int check_withheld(struct walk *w, const struct store_trail_record *r, const json_t *wh)
{
	const json_t *hash = json_object_get(wh, "reasons"), *counts = json_object_get(wh, "counts");
	if (!json_is_object(wh)) {
		problem(w, r->seq, "its withheld counts are not an object");
		return 1;
	}
	if (!hash) {
		const char *reason;
		json_t *n;
		json_object_foreach((json_t *)wh, reason, n) {
			if (!json_is_integer(n) || json_integer_value(n) < 1) {
				problem(w, r->seq, "its withheld count for '%s' is not a positive number", reason);
				return 1;
			}
		}
		return 0;
	}
	unsigned char h[AUDIT_HASH_LEN];
	size_t used = 0;
	if (!json_is_string(hash) || json_string_length(hash) != AUDIT_HASH_LEN * 2 ||
	    sodium_hex2bin(h, sizeof(h), json_string_value(hash), AUDIT_HASH_LEN * 2, NULL, &used, NULL) != 0 ||
	    used != AUDIT_HASH_LEN || !json_is_array(counts) || json_array_size(counts) == 0) {
		problem(w, r->seq, "its withheld counts are malformed");
		return 1;
	}
	size_t i;
	json_t *n;
	json_array_foreach(counts, i, n) {
		if (!json_is_integer(n) || json_integer_value(n) < 1) {
			problem(w, r->seq, "its withheld count %zu is not a positive number", i + 1);
			return 1;
		}
	}
	/* Known good: this list with this many counts (a record naming a good
	** list with a count too many or too few is not). */
	unsigned char known[AUDIT_HASH_LEN + 8];
	memcpy(known, h, AUDIT_HASH_LEN);
	for (int b = 0; b < 8; b++)
		known[AUDIT_HASH_LEN + b] = (unsigned char)(json_array_size(counts) >> (8 * b));
	unsigned char key[AUDIT_HASH_LEN];
	audit_hash(known, sizeof(known), key);
	if (hashset_has(&w->reasons, key))
		return 0;
	char *body = NULL;
	size_t len = 0;
	if (store_trail_list(w->t, h, &body, &len, NULL)) {
		problem(w, r->seq, "its list of withheld reasons is missing");
		return 1;
	}
	unsigned char got[AUDIT_HASH_LEN];
	audit_list_hash(body, len, got);
	int bad = 0;
	if (memcmp(got, h, AUDIT_HASH_LEN) != 0) {
		problem(w, r->seq, "its list of withheld reasons was changed (its content does not match its hash)");
		bad = 1;
	} else {
		json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
		json_t *e;
		int strings = json_is_array(v);
		json_array_foreach(v, i, e)
			strings = strings && json_is_string(e);
		if (!strings || json_array_size(v) != json_array_size(counts)) {
			problem(w, r->seq, "its list of withheld reasons does not hold the %zu reasons it counts",
			        json_array_size(counts));
			bad = 1;
		}
		json_decref(v);
	}
	free(body);
	if (!bad)
		(void)hashset_add(&w->reasons, key); /* out of memory: checked again next time */
	return bad;
}

/* A record's hash: the one kept with it, or (a backend that keeps none)
** the hash of its body. */
static void record_hash(const struct store_trail_record *r, const unsigned char body_hash[AUDIT_HASH_LEN],
                        unsigned char out[AUDIT_HASH_LEN])
{
	memcpy(out, r->columns ? r->hash : body_hash, AUDIT_HASH_LEN);
}

/* Where r stands: after the records before it, with no gap.  A gap is
** reported when the record after it shows it was not a swap. */
static int check_place(struct walk *w, const struct store_trail_record *r)
{
	int64_t expected = w->last_seq + 1;
	int misplaced = 0;
	if (w->gap_from && r->seq == w->gap_from) {
		/* The record missing before the last one comes now: swapped. */
		problem(w, r->seq, "out of place (it comes after record %lld: records reordered)", (long long)w->gap_to);
		w->gap_from = 0;
		return 1;
	}
	if (w->gap_from) {
		problem(w, w->gap_from, "missing (the trail goes from %lld to %lld)", (long long)w->gap_from - 1,
		        (long long)w->gap_to);
		w->gap_from = 0;
	}
	if (r->seq > expected) {
		w->gap_from = expected;
		w->gap_to = r->seq;
		misplaced = 1;
	} else if (r->seq < expected) {
		problem(w, r->seq, "out of place (it comes after record %lld: records reordered)", (long long)w->last_seq);
		misplaced = 1;
	}
	return misplaced;
}

static enum relto_err check_record(void *ctx, const struct store_trail_record *r)
{
	struct walk *w = ctx;
	w->records++;
	int flagged = 0;
	int misplaced = check_place(w, r);
	unsigned char h[AUDIT_HASH_LEN], rh[AUDIT_HASH_LEN];
	audit_hash(r->body, r->len, h);
	record_hash(r, h, rh);
	int hash_ok = memcmp(h, rh, AUDIT_HASH_LEN) == 0;
	if (!hash_ok) {
		problem(w, r->seq, "its content does not match its hash (the record was changed)");
		flagged = 1;
	}
	json_t *v = json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL);
	json_t *seq = json_object_get(v, "seq"), *prev = json_object_get(v, "prev");
	if (!json_is_object(v) || !json_is_integer(seq) || !json_is_string(prev)) {
		if (!flagged)
			problem(w, r->seq, "not a relto audit record");
		flagged = 1;
	} else if (json_integer_value(seq) != r->seq) {
		problem(w, r->seq, "holds the content of record %lld (records reordered)",
		        (long long)json_integer_value(seq));
		flagged = 1;
	} else if (!misplaced && !w->last_flagged) {
		char want[AUDIT_HASH_LEN * 2 + 1];
		audit__hex(w->last_hash, AUDIT_HASH_LEN, want);
		if (strcmp(json_string_value(prev), want) != 0) {
			if (r->seq == 1)
				problem(w, 1, "does not start the chain (its prev is not zeros)");
			else
				problem(w, r->seq - 1, "changed (record %lld links to a different record %lld)",
				        (long long)r->seq, (long long)r->seq - 1);
		}
	}
	if (!flagged) {
		json_t *type = json_object_get(v, "type"), *partner = json_object_get(v, "partner"),
		       *at = json_object_get(v, "at"), *rel = json_object_get(v, "released");
		json_t *list = json_object_get(rel, "list");
		struct store_trail_record named = *r;
		if (r->columns) {
			/* The columns records are selected by must say what the body
			** says: otherwise a changed column could hide a record from
			** `show`. */
			int64_t at_us = -1;
			if (json_is_string(at))
				ts_parse(json_string_value(at), json_string_length(at), &at_us, NULL);
			char hex[AUDIT_HASH_LEN * 2 + 1] = "";
			if (r->has_list)
				audit__hex(r->list, AUDIT_HASH_LEN, hex);
			if (!same_column(type, r->type, AUDIT_TYPE_MAX) ||
			    !same_column(partner, r->partner, AUDIT_PARTNER_MAX) || at_us != r->at ||
			    (r->has_list ? !json_is_string(list) || strcmp(json_string_value(list), hex) != 0
			                 : list != NULL && !json_is_null(list))) {
				problem(w, r->seq, "its index columns (time, type, partner or list) disagree with its content");
				flagged = 1;
			}
		} else {
			/* The list the body names. */
			size_t used = 0;
			named.has_list = json_is_string(list) && json_string_length(list) == AUDIT_HASH_LEN * 2 &&
			                 sodium_hex2bin(named.list, AUDIT_HASH_LEN, json_string_value(list),
			                                AUDIT_HASH_LEN * 2, NULL, &used, NULL) == 0 &&
			                 used == AUDIT_HASH_LEN;
			if (!named.has_list && list != NULL && !json_is_null(list)) {
				problem(w, r->seq, "its released list is named by something that is not a hash");
				flagged = 1;
			}
		}
		json_t *by = json_object_get(rel, "list_by");
		if (!flagged && by && !(json_is_string(by) && strcmp(json_string_value(by), "entries") == 0)) {
			problem(w, r->seq, "its released list is hashed in a way relto does not know");
			flagged = 1;
		}
		if (!flagged && named.has_list)
			flagged = check_list(w, &named, json_integer_value(json_object_get(rel, "count")), by != NULL);
		json_t *wh = json_object_get(v, "withheld");
		if (!flagged && wh)
			flagged = check_withheld(w, r, wh);
	}
	json_decref(v);
	/* The checkpoints that sign this record. */
	while (w->next_cp < w->cps.n && w->cps.v[w->next_cp].seq < r->seq)
		w->next_cp++;
	for (; w->next_cp < w->cps.n && w->cps.v[w->next_cp].seq == r->seq; w->next_cp++) {
		const struct store_trail_checkpoint *cp = &w->cps.v[w->next_cp];
		if (memcmp(cp->hash, rh, AUDIT_HASH_LEN) != 0 || !hash_ok) {
			char when[TS_BUFSIZE];
			problem(w, w->last_good_cp + 1,
			        "records %lld to %lld were rewritten: the checkpoint of %s signs another record %lld",
			        (long long)w->last_good_cp + 1, (long long)r->seq, ts_format(cp->at, when), (long long)r->seq);
		} else if (!flagged) {
			w->last_good_cp = r->seq;
		}
	}
	/* The record the trail's head names: the newest when the walk began. */
	if (w->head_seq && r->seq == w->head_seq) {
		w->head_seen = 1;
		if (memcmp(rh, w->head_hash, AUDIT_HASH_LEN) != 0)
			problem(w, r->seq, "changed (the trail's head holds another hash for it)");
	}
	if (r->seq > w->last_seq) {
		w->last_seq = r->seq;
		memcpy(w->last_hash, rh, AUDIT_HASH_LEN);
	}
	w->last_flagged = flagged || misplaced;
	return RELTO_OK;
}

static int by_seq(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

enum relto_err audit_verify(struct store *st, const struct audit_key *keys, size_t nkeys, struct buf *out,
                            int64_t *bad_seq, char *err)
{
	struct walk w = {.keys = keys, .nkeys = nkeys, .err = err};
	*bad_seq = 0;
	w.problems = malloc(MAX_PROBLEMS * sizeof(*w.problems));
	if (!w.problems)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	enum relto_err rc = store_trail_open(st, &w.t, err);
	if (!rc)
		rc = store_trail_checkpoints(w.t, keep_checkpoint, &w.cps, err);
	for (size_t i = 0; !rc && i < w.cps.n; i++) {
		int bad = checkpoint_bad(&w.cps.v[i], keys, nkeys);
		if (bad == 1)
			problem(&w, w.cps.v[i].seq, "its checkpoint is signed by a key that is not among those given");
		else if (bad)
			problem(&w, w.cps.v[i].seq, "its checkpoint's signature does not verify (forged or altered)");
	}
	/* The head, before the walk: the walk reaches it at least. */
	if (!rc) {
		rc = store_trail_head(w.t, &w.head_seq, w.head_hash, err);
		if (rc == RELTO_ENOTFOUND) {
			w.head_seq = 0;
			rc = RELTO_OK;
			if (err)
				err[0] = '\0';
		}
	}
	struct store_trail_select all = {0};
	if (!rc)
		rc = store_trail_records(w.t, &all, check_record, &w, err);
	if (!rc && w.gap_from)
		problem(&w, w.gap_from, "missing (the trail goes from %lld to %lld)", (long long)w.gap_from - 1,
		        (long long)w.gap_to);
	if (!rc && w.head_seq && !w.head_seen)
		problem(&w, w.last_seq + 1, "missing (the trail ends at record %lld, but its head says %lld)",
		        (long long)w.last_seq, (long long)w.head_seq);
	/* Checkpoints past the end: the trail was cut back. */
	if (!rc && w.cps.n && w.cps.v[w.cps.n - 1].seq > w.last_seq)
		problem(&w, w.last_seq + 1, "missing (the trail ends at record %lld, but a checkpoint signs record %lld)",
		        (long long)w.last_seq, (long long)w.cps.v[w.cps.n - 1].seq);
	if (!rc) {
		qsort(w.problems, w.nproblems, sizeof(*w.problems), by_seq);
		for (size_t i = 0; i < w.nproblems && i < SHOWN_PROBLEMS && !rc; i++)
			rc = buf_printf(out, "%s\n", w.problems[i].text);
		if (w.nproblems > SHOWN_PROBLEMS && !rc)
			rc = buf_printf(out, "... and %zu more problems\n", w.nproblems - SHOWN_PROBLEMS);
		int64_t signed_to = w.cps.n ? w.cps.v[w.cps.n - 1].seq : 0;
		if (w.nproblems) {
			*bad_seq = w.problems[0].seq > 0 ? w.problems[0].seq : 1;
			if (!rc)
				rc = buf_printf(out, "audit trail NOT intact: first bad record %lld (%lld records, %zu checkpoints)\n",
				                (long long)*bad_seq, (long long)w.records, w.cps.n);
		} else if (!rc && w.cps.n) {
			char when[TS_BUFSIZE];
			rc = buf_printf(out, "audit trail intact: %lld records, %zu checkpoints (the newest signs record %lld, at %s); "
			                     "%lld records after it\n",
			                (long long)w.records, w.cps.n, (long long)signed_to, ts_format(w.cps.v[w.cps.n - 1].at, when),
			                (long long)(w.last_seq - signed_to));
		} else if (!rc) {
			rc = buf_printf(out, "audit trail intact: %lld records, no checkpoint yet\n", (long long)w.records);
		}
		if (rc)
			rc = relto_seterr(err, rc, "the report does not fit");
	}
	store_trail_close(w.t);
	hashset_free(&w.lists);
	hashset_free(&w.reasons);
	free(w.cps.v);
	free(w.problems);
	return rc;
}

/* ---- status ---- */

struct newest {
	int64_t seq;
	int64_t want;             /* the record whose hash is wanted */
	unsigned char hash[AUDIT_HASH_LEN];
	int found, hash_ok;
};

static enum relto_err see_record(void *ctx, const struct store_trail_record *r)
{
	struct newest *n = ctx;
	n->seq = r->seq;
	if (r->seq == n->want) {
		unsigned char h[AUDIT_HASH_LEN];
		audit_hash(r->body, r->len, h);
		record_hash(r, h, n->hash);
		n->found = 1;
		n->hash_ok = memcmp(h, n->hash, AUDIT_HASH_LEN) == 0;
	}
	return RELTO_OK;
}

enum relto_err audit_status(struct store *st, const struct audit_key *pub, struct audit_status *out, char *err)
{
	memset(out, 0, sizeof(*out));
	struct store_trail *t = NULL;
	struct checkpoints cps = {0};
	enum relto_err rc = store_trail_open(st, &t, err);
	if (!rc)
		rc = store_trail_checkpoints(t, keep_checkpoint, &cps, err);
	struct newest n = {0};
	if (!rc) {
		const struct store_trail_checkpoint *cp = cps.n ? &cps.v[cps.n - 1] : NULL;
		n.want = cp ? cp->seq : -1;
		struct store_trail_select from = {.from_seq = cp ? cp->seq : 0};
		rc = store_trail_records(t, &from, see_record, &n, err);
		out->records = n.seq;
		out->checkpoints = (int64_t)cps.n;
		if (!rc && cp) {
			out->checkpoint_seq = cp->seq;
			out->checkpoint_at = cp->at;
			out->checkpoint_valid = n.found && n.hash_ok && memcmp(n.hash, cp->hash, AUDIT_HASH_LEN) == 0 &&
			                        checkpoint_bad(cp, pub, pub ? 1 : 0) == 0;
		}
	}
	free(cps.v);
	store_trail_close(t);
	return rc;
}

/* ---- reading ---- */

struct each {
	struct store_trail *t;
	audit_record_fn fn;
	void *ctx;
	char *err;
};

/* The list kept under hash into *text (NULL when the trail lacks it:
** verify reports that; show what there is).  RELTO_OK; RELTO_ESTORE. */
static enum relto_err fetch_list(struct each *e, const unsigned char *hash, char **text)
{
	size_t len = 0;
	*text = NULL;
	enum relto_err rc = store_trail_list(e->t, hash, text, &len, e->err);
	if (rc == RELTO_ENOTFOUND) {
		if (e->err)
			e->err[0] = '\0';
		rc = RELTO_OK;
	}
	return rc;
}

/* The hash a body names after key (where audit_body_read puts it); 0 when
** there is none. */
static int named_hash(const char *body, const char *key, unsigned char out[AUDIT_HASH_LEN])
{
	const char *at = strstr(body, key);
	size_t used = 0;
	return at && sodium_hex2bin(out, AUDIT_HASH_LEN, at + strlen(key), AUDIT_HASH_LEN * 2, NULL, &used, NULL) == 0 &&
	       used == AUDIT_HASH_LEN;
}

static enum relto_err each_record(void *ctx, const struct store_trail_record *r)
{
	struct each *e = ctx;
	char *list = NULL, *reasons = NULL;
	unsigned char h[AUDIT_HASH_LEN];
	enum relto_err rc = RELTO_OK;
	/* (A key with its quotes cannot occur inside a JSON string: those
	** quotes would be escaped.) */
	if (r->columns ? r->has_list : named_hash(r->body, ",\"list\":\"", h))
		rc = fetch_list(e, r->columns ? r->list : h, &list);
	if (!rc && named_hash(r->body, "\"withheld\":{\"reasons\":\"", h))
		rc = fetch_list(e, h, &reasons);
	unsigned char bh[AUDIT_HASH_LEN], rh[AUDIT_HASH_LEN];
	if (!r->columns)
		audit_hash(r->body, r->len, bh);
	record_hash(r, bh, rh);
	if (!rc)
		rc = e->fn(e->ctx, r->seq, r->body, list, reasons, rh);
	free(list);
	free(reasons);
	return rc;
}

enum relto_err audit_each(struct store *st, const struct audit_filter *f, audit_record_fn fn, void *ctx,
                          char *err)
{
	struct store_trail_select sel = {.partner = f->partner, .since = f->since, .until = f->until,
	                                 .limit = f->limit};
	char needle[300];
	if (f->object) {
		/* An id in a list is a JSON string: quoted, so that one id is not
		** found inside another. */
		if (snprintf(needle, sizeof(needle), "[\"%s\",", f->object) >= (int)sizeof(needle))
			return relto_seterr(err, RELTO_EINVAL, "the object id is too long");
		sel.list_contains = needle;
	}
	if (f->decision && strcmp(f->decision, "admin") == 0)
		sel.type = "admin";
	else if (f->decision && (strcmp(f->decision, "released") == 0 || strcmp(f->decision, "withheld") == 0))
		sel.where_json = f->decision;
	else if (f->decision)
		return relto_seterr(err, RELTO_EINVAL, "decision '%s': expected released, withheld or admin", f->decision);
	struct each e = {.fn = fn, .ctx = ctx, .err = err};
	enum relto_err rc = store_trail_open(st, &e.t, err);
	if (!rc)
		rc = store_trail_records(e.t, &sel, each_record, &e, err);
	store_trail_close(e.t);
	return rc;
}
