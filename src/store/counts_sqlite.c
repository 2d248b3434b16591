/*
** counts_sqlite.c: block_counts, the SQLite store's counts of its rows by
** block of seq (schema version 6), which the audit trail's withheld
** counts read a block at a time (query_sqlite.c: count_blocks).
**
** A row of block_counts is (collection, block of 2^shift consecutive seq
** values, submitter) and a list of entries, one per marking set present
** in the block: the set, how many rows, and how many of those are their
** id's first, last, and first-and-last version.  One row per block (a
** list, not a row per set) because the reader reads whole blocks: 32
** sets of a block cost one step, not 32 (measured: 1.7k instructions per
** set as rows).  An entry is 24 bytes, little-endian: the set (8 bytes),
** then the four counts (4 bytes each), sorted by set.
**
** A write adds each row it inserts, deletes or re-flags to the
** connection's pending changes (sq_counts_row) and writes them in its
** own transaction (sq_counts_flush): one read and one write per block it
** touched, not per row.  (Triggers, a row at a time, cost 40% of POST
** ingest: 46,000 -> 28,000 objects/s at 100,000 objects.)  A list that
** does not decode (a damaged store) is made again from the block's rows.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite_int.h"
#include "../util/buf.h"
#include "../util/le.h"

int sq_count_block_shift = 9;

#define ENTRY 24

/* One key's pending change.  posted_by is owned. */
struct count_delta {
	int64_t coll, blk;
	char *posted_by;
	int64_t set;
	int64_t n[4]; /* all, first, last, first and last */
};

struct block_entry {
	int64_t set;
	int64_t n[4];
};

static void entry_put(unsigned char *p, const struct block_entry *e)
{
	le_put(p, (uint64_t)e->set, 8);
	for (int k = 0; k < 4; k++)
		le_put(p + 8 + 4 * k, (uint32_t)(int32_t)e->n[k], 4);
}

static void entry_get(const unsigned char *p, struct block_entry *e)
{
	e->set = (int64_t)le_get(p, 8);
	for (int k = 0; k < 4; k++)
		e->n[k] = (int32_t)(uint32_t)le_get(p + 8 + 4 * k, 4);
}

static enum relto_err entry_append(struct buf *out, const struct block_entry *e, char *err)
{
	unsigned char p[ENTRY];
	entry_put(p, e);
	return buf_append(out, p, ENTRY) ? relto_seterr(err, RELTO_ENOMEM, "block counts: out of memory") : RELTO_OK;
}

/* Run sql binding ?1 coll, ?2 blk, ?3 who (no rows). */
static enum relto_err run_key(struct sq_conn *c, const char *sql, int64_t coll, int64_t blk, const char *who,
                              char *err)
{
	sqlite3_stmt *st = NULL;
	enum relto_err rc = sq_stmt(c, sql, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_int64(st, 2, blk);
	sqlite3_bind_text(st, 3, who, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_err(c->db, "block counts", err);
	sqlite3_reset(st);
	return rc;
}

/* Does list (len bytes) decode: whole entries, sets rising? */
static int list_ok(const unsigned char *list, size_t len)
{
	if (len % ENTRY)
		return 0;
	for (size_t at = ENTRY; at < len; at += ENTRY)
		if ((int64_t)le_get(list + at, 8) <= (int64_t)le_get(list + at - ENTRY, 8))
			return 0;
	return 1;
}

/* ---- the schema, and filling it from the rows ---- */

/* The entries of st's rows (coll, blk, posted_by, then marking_set and
** the four counts), from the row it is on, while the key is (coll, blk,
** who), as a list in out.  *more: st is on a row of the next key. */
static enum relto_err pack_rows(sqlite3 *db, sqlite3_stmt *st, int64_t coll, int64_t blk, const char *who,
                                struct buf *out, int *more, char *err)
{
	int r = SQLITE_ROW;
	enum relto_err rc = RELTO_OK;
	buf_reset(out);
	while (!rc && r == SQLITE_ROW) {
		const char *by = (const char *)sqlite3_column_text(st, 2);
		if (sqlite3_column_int64(st, 0) != coll || sqlite3_column_int64(st, 1) != blk || strcmp(by ? by : "", who))
			break;
		struct block_entry e = {.set = sqlite3_column_int64(st, 3)};
		for (int k = 0; k < 4; k++)
			e.n[k] = sqlite3_column_int64(st, 4 + k);
		rc = entry_append(out, &e, err);
		if (!rc)
			r = sqlite3_step(st);
	}
	*more = r == SQLITE_ROW;
	return rc ? rc : r == SQLITE_ROW || r == SQLITE_DONE ? RELTO_OK : sq_err(db, "block counts", err);
}

/* The rows of objects (those `%s` selects) by (coll, block, submitter,
** set), in that order: what fill() packs into lists. */
static const char fill_sql[] =
	"SELECT coll, seq >> %d, posted_by, marking_set, count(*), sum(is_first), sum(is_last),"
	" sum(is_first AND is_last) FROM objects %s GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4";

/* Write the lists of get's rows (fill_sql, bound) into block_counts. */
static enum relto_err fill(sqlite3 *db, sqlite3_stmt *get, char *err)
{
	sqlite3_stmt *put = NULL;
	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO block_counts VALUES(?1, ?2, ?3, ?4)", -1, &put, NULL) !=
	    SQLITE_OK)
		return sq_err(db, "block counts", err);
	struct buf list;
	buf_init(&list, (size_t)1 << 30);
	int r = sqlite3_step(get), more = r == SQLITE_ROW;
	enum relto_err rc = r == SQLITE_ROW || r == SQLITE_DONE ? RELTO_OK : sq_err(db, "block counts", err);
	while (!rc && more) {
		int64_t coll = sqlite3_column_int64(get, 0), blk = sqlite3_column_int64(get, 1);
		const char *by = (const char *)sqlite3_column_text(get, 2);
		char *who = strdup(by ? by : "");
		if (!who) {
			rc = relto_seterr(err, RELTO_ENOMEM, "block counts: out of memory");
			break;
		}
		rc = pack_rows(db, get, coll, blk, who, &list, &more, err);
		if (!rc) {
			sqlite3_bind_int64(put, 1, coll);
			sqlite3_bind_int64(put, 2, blk);
			sqlite3_bind_text(put, 3, who, -1, SQLITE_STATIC);
			sqlite3_bind_blob(put, 4, list.data, (int)list.len, SQLITE_STATIC);
			if (sqlite3_step(put) != SQLITE_DONE)
				rc = sq_err(db, "block counts", err);
			sqlite3_reset(put);
		}
		free(who);
	}
	buf_free(&list);
	sqlite3_finalize(put);
	return rc;
}

enum relto_err sq_counts_schema(sqlite3 *db, char *err)
{
	sqlite3_stmt *st = NULL;
	int shift = -1, exists = 0;
	if (sqlite3_prepare_v2(db, "SELECT (SELECT value FROM meta WHERE key = 'count_block_shift'),"
	                           " (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'block_counts')",
	                       -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return sq_err(db, "block counts", err);
	}
	if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		shift = sqlite3_column_int(st, 0);
	exists = sqlite3_column_int(st, 1);
	sqlite3_finalize(st);
	if (shift < 0 || shift > 30)
		shift = sq_count_block_shift;
	char sql[512];
	snprintf(sql, sizeof(sql),
	         "INSERT OR REPLACE INTO meta(key, value) VALUES('count_block_shift', %d);"
	         "CREATE TABLE IF NOT EXISTS block_counts(coll INTEGER NOT NULL, blk INTEGER NOT NULL,"
	         " posted_by TEXT NOT NULL, list BLOB NOT NULL, PRIMARY KEY(coll, blk, posted_by)) WITHOUT ROWID;",
	         shift);
	enum relto_err rc = sq_exec(db, sql, err);
	if (rc || exists)
		return rc;
	snprintf(sql, sizeof(sql), fill_sql, shift, "");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_err(db, "block counts", err);
	rc = fill(db, st, err);
	sqlite3_finalize(st);
	return rc;
}

int sq_counts_shift(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int shift = -1;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'count_block_shift'", -1, &st, NULL) ==
	        SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		shift = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return shift;
}

/* Make the list of (coll, blk, who) again from the block's rows (its
** list did not decode). */
static enum relto_err refill(struct sq_conn *c, int64_t coll, int64_t blk, const char *who, char *err)
{
	char sql[512];
	snprintf(sql, sizeof(sql), fill_sql, c->count_shift,
	         "WHERE seq >= ?1 AND seq < ?2 AND coll = ?3 AND posted_by = ?4");
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_err(c->db, "block counts", err);
	sqlite3_bind_int64(st, 1, blk << c->count_shift);
	sqlite3_bind_int64(st, 2, (blk + 1) << c->count_shift);
	sqlite3_bind_int64(st, 3, coll);
	sqlite3_bind_text(st, 4, who, -1, SQLITE_STATIC);
	enum relto_err rc = run_key(c, "DELETE FROM block_counts WHERE coll = ?1 AND blk = ?2 AND posted_by = ?3",
	                            coll, blk, who, err);
	if (!rc)
		rc = fill(c->db, st, err);
	sqlite3_finalize(st);
	return rc;
}

/* ---- pending changes ---- */

static int key_cmp(const struct count_delta *d, int64_t coll, int64_t blk, const char *posted_by, int64_t set)
{
	if (d->coll != coll)
		return d->coll < coll ? -1 : 1;
	if (d->blk != blk)
		return d->blk < blk ? -1 : 1;
	int by = strcmp(d->posted_by, posted_by);
	if (by)
		return by;
	return d->set < set ? -1 : d->set > set;
}

int sq_counts_row(struct sq_counts *p, int shift, int64_t coll, int64_t seq, int64_t set, const char *posted_by,
                  int sign, int is_first, int is_last)
{
	if (shift < 0)
		return 0; /* a store without the table: nothing to keep */
	int64_t blk = seq >> shift;
	size_t lo = 0, hi = p->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(&p->v[mid], coll, blk, posted_by, set) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == p->n || key_cmp(&p->v[lo], coll, blk, posted_by, set) != 0) {
		if (p->n == p->cap) {
			size_t cap = p->cap ? 2 * p->cap : 64;
			struct count_delta *v = realloc(p->v, cap * sizeof(*v));
			if (!v)
				return -1;
			p->v = v;
			p->cap = cap;
		}
		char *name = strdup(posted_by);
		if (!name)
			return -1;
		memmove(&p->v[lo + 1], &p->v[lo], (p->n - lo) * sizeof(*p->v));
		p->v[lo] = (struct count_delta){.coll = coll, .blk = blk, .posted_by = name, .set = set};
		p->n++;
	}
	int64_t *n = p->v[lo].n;
	n[0] += sign;
	n[1] += sign * (is_first != 0);
	n[2] += sign * (is_last != 0);
	n[3] += sign * (is_first && is_last);
	return 0;
}

enum relto_err sq_counts_rows(struct sq_conn *c, sqlite3_stmt *st, int sign, size_t *rows, char *err)
{
	int r;
	size_t n = 0;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *who = (const char *)sqlite3_column_text(st, 3);
		if (sq_counts_row(&c->counts, c->count_shift, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		                  sqlite3_column_int64(st, 2), who ? who : "", sign, sqlite3_column_int(st, 4),
		                  sqlite3_column_int(st, 5))) {
			sqlite3_reset(st);
			return relto_seterr(err, RELTO_ENOMEM, "out of memory");
		}
		n++;
	}
	sqlite3_reset(st);
	if (rows)
		*rows = n;
	return r == SQLITE_DONE ? RELTO_OK : sq_err(c->db, "block counts", err);
}

void sq_counts_reset(struct sq_counts *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].posted_by);
	p->n = 0;
}

void sq_counts_free(struct sq_counts *p)
{
	sq_counts_reset(p);
	free(p->v);
	p->v = NULL;
	p->cap = 0;
}

/* The stored list of d's key into *old (a copy; empty when none).  *bad
** when it does not decode. */
static enum relto_err read_list(struct sq_conn *c, const struct count_delta *d, struct buf *old, int *bad, char *err)
{
	sqlite3_stmt *st = NULL;
	enum relto_err rc = sq_stmt(c, "SELECT list FROM block_counts WHERE coll = ?1 AND blk = ?2 AND posted_by = ?3",
	                            &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, d->coll);
	sqlite3_bind_int64(st, 2, d->blk);
	sqlite3_bind_text(st, 3, d->posted_by, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	buf_reset(old);
	*bad = 0;
	if (r == SQLITE_ROW) {
		const unsigned char *list = sqlite3_column_blob(st, 0);
		size_t len = (size_t)sqlite3_column_bytes(st, 0);
		*bad = !list_ok(list, len);
		if (!*bad && len && buf_append(old, list, len))
			rc = relto_seterr(err, RELTO_ENOMEM, "block counts: out of memory");
	} else if (r != SQLITE_DONE) {
		rc = sq_err(c->db, "block counts", err);
	}
	sqlite3_reset(st);
	return rc;
}

/* The list `old` with the changes d[0..n) (one key, sets rising) added,
** into out; entries left all zero go. */
static enum relto_err merge(const struct buf *old, const struct count_delta *d, size_t n, struct buf *out, char *err)
{
	buf_reset(out);
	size_t at = 0, i = 0, nold = old->len / ENTRY;
	while (at < nold || i < n) {
		struct block_entry e = {0};
		if (at < nold)
			entry_get((const unsigned char *)old->data + at * ENTRY, &e);
		if (at < nold && (i == n || e.set < d[i].set)) {
			at++;
		} else if (at < nold && e.set == d[i].set) {
			for (int k = 0; k < 4; k++)
				e.n[k] += d[i].n[k];
			at++;
			i++;
		} else {
			e.set = d[i].set;
			memcpy(e.n, d[i].n, sizeof(e.n));
			i++;
		}
		if (!e.n[0] && !e.n[1] && !e.n[2] && !e.n[3])
			continue;
		enum relto_err rc = entry_append(out, &e, err);
		if (rc)
			return rc;
	}
	return RELTO_OK;
}

enum relto_err sq_counts_flush(struct sq_conn *c, char *err)
{
	struct sq_counts *p = &c->counts;
	struct buf old, out;
	buf_init(&old, (size_t)1 << 30);
	buf_init(&out, (size_t)1 << 30);
	enum relto_err rc = RELTO_OK;
	for (size_t i = 0, j; !rc && i < p->n; i = j) {
		const struct count_delta *d = &p->v[i];
		for (j = i + 1; j < p->n && p->v[j].coll == d->coll && p->v[j].blk == d->blk &&
		                strcmp(p->v[j].posted_by, d->posted_by) == 0;
		     j++)
			;
		int bad = 0;
		rc = read_list(c, d, &old, &bad, err);
		if (!rc && bad) {
			/* The rows are as this transaction left them: count them. */
			rc = refill(c, d->coll, d->blk, d->posted_by, err);
			continue;
		}
		if (!rc)
			rc = merge(&old, d, j - i, &out, err);
		if (!rc && out.len == 0)
			rc = run_key(c, "DELETE FROM block_counts WHERE coll = ?1 AND blk = ?2 AND posted_by = ?3", d->coll,
			             d->blk, d->posted_by, err);
		else if (!rc) {
			sqlite3_stmt *st = NULL;
			if (!(rc = sq_stmt(c, "INSERT OR REPLACE INTO block_counts VALUES(?1, ?2, ?3, ?4)", &st, err))) {
				sqlite3_bind_int64(st, 1, d->coll);
				sqlite3_bind_int64(st, 2, d->blk);
				sqlite3_bind_text(st, 3, d->posted_by, -1, SQLITE_STATIC);
				sqlite3_bind_blob(st, 4, out.data, (int)out.len, SQLITE_STATIC);
				if (sqlite3_step(st) != SQLITE_DONE)
					rc = sq_err(c->db, "block counts", err);
				sqlite3_reset(st);
			}
		}
	}
	buf_free(&old);
	buf_free(&out);
	sq_counts_reset(p);
	return rc;
}

/* ---- reading ---- */

enum relto_err sq_counts_read(struct sq_conn *c, int64_t coll, int64_t first, int64_t last, const char *not_of,
                              sq_count_fn fn, void *ctx, char *err)
{
	sqlite3_stmt *st = NULL;
	enum relto_err rc = sq_stmt(c, "SELECT posted_by, list FROM block_counts WHERE coll = ?1 AND blk >= ?2"
	                               " AND blk <= ?3", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, last);
	int r;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		if (not_of && strcmp((const char *)sqlite3_column_text(st, 0), not_of) == 0)
			continue;
		const unsigned char *list = sqlite3_column_blob(st, 1);
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		if (!list_ok(list, len)) {
			rc = relto_seterr(err, RELTO_ESTORE, "block counts: a damaged list");
			break;
		}
		for (size_t at = 0; !rc && at < len; at += ENTRY) {
			struct block_entry e;
			entry_get(list + at, &e);
			rc = fn(ctx, e.set, e.n, err);
		}
	}
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(c->db, "block counts", err);
	sqlite3_reset(st);
	return rc;
}
