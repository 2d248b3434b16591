/*
** query_sqlite.c: reading and deleting objects in the SQLite backend
** (store_query, store_delete): the visibility filter as SQL, the walks of
** a page, and the counting of withheld rows for the audit trail.
*/
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite_int.h"
#include "../util/buf.h"

/* Append ",\"a\",\"b\"" style JSON array text for a json_each() binding. */
static enum relto_err json_list(struct buf *b, const char *const *v, size_t n)
{
	enum relto_err rc = buf_putc(b, '[');
	for (size_t i = 0; !rc && i < n; i++) {
		if (i)
			rc = buf_putc(b, ',');
		if (!rc)
			rc = buf_put_json_string(b, v[i]);
	}
	return rc ? rc : buf_putc(b, ']');
}

static enum relto_err int_list(struct buf *b, const int64_t *v, size_t n)
{
	enum relto_err rc = buf_putc(b, '[');
	for (size_t i = 0; !rc && i < n; i++)
		rc = buf_printf(b, "%s%lld", i ? "," : "", (long long)v[i]);
	return rc ? rc : buf_putc(b, ']');
}

/* The version clause of a query on table alias o (empty for "all"). */
/* The released marking sets of a query as a bitmap, handed to SQL with
** sqlite3_bind_pointer and tested by relto_released(): one bit test per
** row instead of a lookup in a list SQLite would rebuild. */
#define RELEASED_BITS "relto_released_bits"

struct released_bits {
	unsigned char *bits;
	int64_t n;                /* sets 0 .. n-1 */
};

static enum relto_err bits_of(const int64_t *sets, size_t nsets, struct released_bits *out)
{
	int64_t max = -1;
	for (size_t i = 0; i < nsets; i++)
		if (sets[i] > max)
			max = sets[i];
	out->n = max + 1;
	out->bits = calloc((size_t)(out->n / 8 + 1), 1);
	if (!out->bits)
		return RELTO_ENOMEM;
	for (size_t i = 0; i < nsets; i++)
		if (sets[i] >= 0)
			out->bits[sets[i] / 8] |= (unsigned char)(1u << (sets[i] % 8));
	return RELTO_OK;
}

static int released(const struct released_bits *b, int64_t set)
{
	return b && sq_set_released(b->bits, b->n, set);
}

/* SQL function relto_released(bits, set): 1 if set is released. */
static void released_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_int(ctx, released(sqlite3_value_pointer(argv[0], RELEASED_BITS), sqlite3_value_int64(argv[1])));
}

/* relto_withheld(place, set, counted[, date_added]): a row the visibility
** filter passes over, noted when `counted` (it is the version asked for);
** always false, so that `visible OR relto_withheld(...)` keeps the filter
** as it is.  place is the query's counts (WITHHELD_COUNTS: counted at
** once), or the notes of one walk of a merge (WITHHELD_NOTES, with the
** row's date_added: counted when the merge gets that far).  SQLite
** evaluates the terms with correlated subqueries (the visibility filter,
** list filters) after the plain ones (collection, range), so a row gets
** here only if it matched every other filter; store tests check it. */
#define WITHHELD_COUNTS "relto_withheld_counts"
#define WITHHELD_NOTES "relto_withheld_notes"

struct notes {
	struct note {
		int64_t set, date_added;
	} *v;
	size_t n, cap, done;      /* done: the first `done` are counted */
	int failed;               /* out of memory: the query fails */
};

static void note(struct notes *nt, int64_t set, int64_t date_added)
{
	if (nt->n == nt->cap) {
		size_t cap = nt->cap ? 2 * nt->cap : 64;
		struct note *v = realloc(nt->v, cap * sizeof(*v));
		if (!v) {
			nt->failed = 1;
			return;
		}
		nt->v = v;
		nt->cap = cap;
	}
	nt->v[nt->n++] = (struct note){set, date_added};
}

static void withheld_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (sqlite3_value_int(argv[2])) {
		sqlite3_int64 set = sqlite3_value_int64(argv[1]);
		struct store_withheld *w = sqlite3_value_pointer(argv[0], WITHHELD_COUNTS);
		struct notes *nt = w ? NULL : sqlite3_value_pointer(argv[0], WITHHELD_NOTES);
		if (w)
			store_withheld_add(w, set, 1);
		else if (nt && argc > 3)
			note(nt, set, sqlite3_value_int64(argv[3]));
	}
	sqlite3_result_int(ctx, 0);
}


/* The context of the reference checks: the cache and the partner (?15). */
#define REF_CALL "relto_ref_call"

struct ref_call {
	struct sq_refs *refs;
	struct sq_refs_partner partner;
	int64_t coll;             /* every row a query reads is of this collection */
};

/* relto_row_visible(call, set, ref_list, nrefs): the row's marking
** set is released and its references pass (sq_refs_list_visible).  A row
** whose counts say it refers to something but has no list (a damaged
** store) is not visible. */
static void row_visible_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const struct ref_call *call = sqlite3_value_pointer(argv[0], REF_CALL);
	sqlite3_int64 set = sqlite3_value_int64(argv[1]);
	if (!call || !sq_set_released(call->partner.bits, call->partner.nsets, set)) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	const void *list = sqlite3_value_blob(argv[2]);
	int v = !list ? sqlite3_value_int64(argv[3]) == 0
	              : sq_refs_list_visible(call->refs, &call->partner, call->coll, list,
	                                     (size_t)sqlite3_value_bytes(argv[2]));
	if (v < 0)
		sqlite3_result_error(ctx, "cannot read what a row refers to", -1);
	else
		sqlite3_result_int(ctx, v);
}

/* relto_hidden_refs(call, ref_list): the JSON array of the optional
** references the partner may not see, which the served copy leaves out. */
static void hidden_refs_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const struct ref_call *call = sqlite3_value_pointer(argv[0], REF_CALL);
	const void *list = sqlite3_value_blob(argv[1]);
	struct buf b;
	buf_init(&b, (size_t)1 << 30);
	if (!call || sq_refs_hidden(call->refs, &call->partner, call->coll, list,
	                            list ? (size_t)sqlite3_value_bytes(argv[1]) : 0, &b)) {
		buf_free(&b);
		sqlite3_result_error(ctx, "cannot read what a row refers to", -1);
		return;
	}
	size_t len = b.len;
	sqlite3_result_text(ctx, buf_steal(&b), (int)len, free);
}

/* relto_other_visible(call, id, version, later): a later (1) or
** earlier (0) version of the row's object is visible to the partner, so
** the row is not its latest (first) visible version.  From the cache's
** entry of (coll, id), instead of an index probe by string id. */
static void other_visible_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	const struct ref_call *call = sqlite3_value_pointer(argv[0], REF_CALL);
	const char *id = (const char *)sqlite3_value_text(argv[1]);
	int v = call && id ? sq_refs_other_visible(call->refs, &call->partner, call->coll, id,
	                                           sqlite3_value_int64(argv[2]), sqlite3_value_int(argv[3]))
	                   : -1;
	if (v < 0)
		sqlite3_result_error(ctx, "cannot read the versions of an object", -1);
	else
		sqlite3_result_int(ctx, v);
}

int sq_functions(sqlite3 *db)
{
	int r = sqlite3_create_function(db, "relto_released", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS, NULL, released_fn,
	                                NULL, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_create_function(db, "relto_withheld", -1, SQLITE_UTF8 | SQLITE_INNOCUOUS, NULL, withheld_fn,
		                            NULL, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_create_function(db, "relto_other_visible", 4, SQLITE_UTF8 | SQLITE_INNOCUOUS, NULL,
		                            other_visible_fn, NULL, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_create_function(db, "relto_row_visible", 4, SQLITE_UTF8 | SQLITE_INNOCUOUS, NULL,
		                            row_visible_fn, NULL, NULL);
	return r != SQLITE_OK ? r
	                      : sqlite3_create_function(db, "relto_hidden_refs", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS, NULL,
	                                                hidden_refs_fn, NULL, NULL);
}

/* "Row a (of the collection of o) is visible": the partner's own, whole;
** or a released marking set, every required reference visible and, if it
** has optional references (object_refs), one of them visible (a report
** that would be left with none is withheld).  A reference is visible by
** the rule refs_sqlite.c states and answers from its cache: some version
** of the object in the collection is visible by its markings and, if it
** refers to objects itself, those are visible by their markings and refer
** to nothing.  Visibility through references is recursive; relto follows
** it two levels deep and treats anything deeper as not visible, which can
** withhold more than needed but never names a withheld object
** (docs/ARCHITECTURE.md).  ?15 is the call's context (struct ref_call).
** Whether an earlier or later version is visible (the version clause) is
** answered from the same cache (relto_other_visible).  The marking test (a
** bit) comes before the submitter's (a text compare): most rows a partner
** receives, it receives by their markings (docs/BENCHMARKS.md). */
#define ROW_VISIBLE(a) "(relto_row_visible(?15, " a ".marking_set, " a ".ref_list, " a ".nreq + " a ".nopt)" \
	" OR " a ".posted_by = ?11)"

static enum relto_err version_sql(struct buf *sql, const struct store_versions *v, int visible)
{
	static const char *const other_visible[2] = {"relto_other_visible(?15, o.id, o.version, 0)",
	                                             "relto_other_visible(?15, o.id, o.version, 1)"};
	return store__version_sql(sql, v, "0", " IN (SELECT value FROM json_each(?9))", visible ? other_visible : NULL);
}

/* " OR relto_withheld(...)": note the row as withheld when it is the
** version asked for (v); with its date_added for a merge's walk. */
static enum relto_err withheld_sql(struct buf *sql, const struct store_versions *v, int dated)
{
	enum relto_err rc = buf_puts(sql, " OR relto_withheld(?12, o.marking_set, ");
	if (!rc)
		rc = buf_puts(sql, v->all ? "1" : "0");
	if (!rc && !v->all && v->first)
		rc = buf_puts(sql, " OR o.is_first");
	if (!rc && !v->all && v->last)
		rc = buf_puts(sql, " OR o.is_last");
	if (!rc && !v->all && v->nat)
		rc = buf_puts(sql, " OR o.version IN (SELECT value FROM json_each(?9))");
	if (!rc && dated)
		rc = buf_puts(sql, ", o.date_added");
	return rc ? rc : buf_putc(sql, ')');
}

/* How a query reads the collection.  A page is one walk of the
** collection by date (WALK_ALL); or, for a partner, the rows of the sets
** it may receive and its own rows, and the rows not walked counted apart
** for the audit trail (COUNT_REST).  They are picked by seq from the
** rows' map (pick_sqlite.c), its own rows among them: from the map's
** lists of rows by set when the partner may receive few sets (the listed
** walk), else from its every row; without a map, a partner that may
** receive few sets has them walked one by one, the others' rows of each,
** with one walk of its own rows, merged by date (query_merged).  Own rows are split off by submitter, not by set: a walk of
** "own rows not released" would read all of a partner's rows in released
** sets to find none (a partner that posted a whole collection paid 30 ms
** a page at 100,000 objects). */
enum walk_kind {
	WALK_ALL,   /* the collection by date (objects_added) */
	WALK_SET,   /* the rows of marking set ?13 by date (objects_sets) */
	WALK_SET_OTHERS, /* the same, but the partner's (given by WALK_OWN) */
	WALK_PICKED, /* the rows in released sets, and the partner's, by seq (relto_picked(?16)) */
	PICKED_CHECK, /* the filter of one picked row the map does not decide (?17, its seq) */
	WALK_OWN,   /* the partner's rows by date (objects_posted) */
	WALK_TYPE,  /* the rows of type ?13 by date (objects_type) */
	COUNT_REST, /* count the rows of sets not released, not the partner's, before ?14 */
};

/* Build the SQL of a walk (or count) of q.
** Parameters: ?1 coll, ?2 added_after, ?3/?4 cursor, ?5 ids, ?6 types,
** ?7 spec versions, ?8 limit, ?9 version timestamps, ?10 released
** marking sets (a pointer to struct released_bits), ?11 the partner
** (originator), ?12 where withheld rows are noted, ?13 the walk's set,
** ?14 where the count stops, ?16 the walk's picks (struct sq_pick_call),
** ?17 the row a check is of.
** Columns: 0 seq, 1 date_added, 2 version,
** 3 id, 4 version_text, 5 spec_version, 6 marking_set, 7 entry, then raw
** (with_raw), then the hidden optional references and "own" (visible;
** a picked walk gives its ref_list instead: the map tells its own rows
** and which references it hides, row_of). */
static enum relto_err query_sql(const struct store_query *q, int with_raw, enum walk_kind kind, struct buf *sql)
{
	enum relto_err rc;
	int check = kind == PICKED_CHECK;
	if (check) {
		/* The walk applied the other terms. */
		rc = buf_puts(sql, "SELECT o.seq FROM objects o WHERE o.seq = ?17");
	} else if (kind == COUNT_REST) {
		/* Each set not released, counted on objects_sets's entries. */
		rc = buf_puts(sql, "SELECT m.num, count(*) FROM marking_sets m CROSS JOIN objects o INDEXED BY objects_sets"
		                   " WHERE NOT relto_released(?10, m.num) AND o.coll = ?1 AND o.marking_set = m.num"
		                   " AND o.date_added < ?14 AND o.posted_by <> ?11");
	} else {
		/* Columns 0-7 always (each is decoded only when read), then raw,
		** then what visibility adds. */
		rc = buf_puts(sql, "SELECT o.seq, o.date_added, o.version, o.id, o.version_text,"
		                   " o.spec_version, o.marking_set, o.entry");
		if (!rc && with_raw)
			rc = buf_puts(sql, ", o.raw");
		if (!rc && q->vis.on)
			rc = buf_puts(sql, kind == WALK_PICKED ? ", o.ref_list"
			                                       : ", CASE WHEN o.nopt = 0 OR o.posted_by = ?11 THEN NULL"
			                                         " ELSE relto_hidden_refs(?15, o.ref_list) END, o.posted_by = ?11");
		if (!rc)
			rc = buf_puts(sql, kind == WALK_SET ? " FROM objects o INDEXED BY objects_sets WHERE o.coll = ?1"
			                                      " AND o.marking_set = ?13"
			                   : kind == WALK_SET_OTHERS ? " FROM objects o INDEXED BY objects_sets WHERE o.coll = ?1"
			                                               " AND o.marking_set = ?13 AND o.posted_by <> ?11"
			                   : kind == WALK_TYPE ? " FROM objects o INDEXED BY objects_type WHERE o.coll = ?1"
			                                         " AND o.type = ?13"
			                   : kind == WALK_OWN ? " FROM objects o INDEXED BY objects_posted WHERE o.coll = ?1"
			                                        " AND o.posted_by = ?11"
			                   : kind == WALK_PICKED ? " FROM relto_picked(?16) p CROSS JOIN objects o"
			                                           " WHERE o.seq = p.seq"
			                                         : " FROM objects o WHERE o.coll = ?1");
	}
	if (!rc && !check && q->has_added_after)
		rc = buf_puts(sql, " AND o.date_added > ?2");
	if (!rc && !check && q->has_cursor)
		rc = buf_puts(sql, " AND (o.date_added, o.seq) > (?3, ?4)");
	if (!rc && !check && q->nids)
		rc = buf_puts(sql, " AND o.id IN (SELECT value FROM json_each(?5))");
	/* One type (and no ids, which find their rows): "=", so that SQLite
	** walks objects_type, the rows of that type by date; under "IN" it
	** walks every row by date, testing the type: a full scan for a type
	** with few rows (45 ms at 100,000 objects for a type with none). */
	if (!rc && !check && q->ntypes && kind != WALK_TYPE)
		rc = buf_puts(sql, q->ntypes == 1 && !q->nids ? " AND o.type = (SELECT value FROM json_each(?6))"
		                                              : " AND o.type IN (SELECT value FROM json_each(?6))");
	if (!rc && !check && q->nspec_versions)
		rc = buf_puts(sql, " AND o.spec_version IN (SELECT value FROM json_each(?7))");
	/* A set walk's rows of other types, told by the rows' map from
	** objects_sets's entries, without reading the rows (relto_of_types):
	** a sparse partner's walk under match[type] read every row of its
	** sets to test its type. */
	if (!rc && q->ntypes && (kind == WALK_SET || kind == WALK_SET_OTHERS))
		rc = buf_puts(sql, " AND relto_of_types(?16, o.seq)");
	if (kind == COUNT_REST) {
		/* The version asked for (no sibling is visible to be it instead). */
		if (!rc)
			rc = version_sql(sql, &q->versions, 0);
		return rc ? rc : buf_puts(sql, " GROUP BY m.num");
	}
	/* The partner's own rows are visible whole: no test.  Nor are the
	** picked rows the map decides: the map holds their collection,
	** marking set, flags, submitter and references as the walk's
	** snapshot has them (pick_sqlite.c), and decides them by the filter's
	** rule; the others, the walk checks one by one (PICKED_CHECK:
	** query_merged). */
	int filtered = kind != WALK_OWN && kind != WALK_PICKED && q->vis.on;
	/* Versions asked for by date alone: their test (a probe of the list)
	** before the filter, which checks references: a date that matches
	** no row cost a partner's page the filter of every row (150 ms at
	** 100,000 objects, 3-4 times the admin's scan). */
	int version_first = q->versions.nat && !q->versions.all && !q->versions.first && !q->versions.last;
	if (!rc && version_first && kind != WALK_PICKED)
		rc = version_sql(sql, &q->versions, q->vis.on);
	if (!rc && filtered) {
		rc = buf_puts(sql, " AND (" ROW_VISIBLE("o"));
		if (!rc && q->withheld)
			rc = withheld_sql(sql, &q->versions, kind != WALK_ALL);
		if (!rc)
			rc = buf_putc(sql, ')');
	}
	if (!rc && !version_first && kind != WALK_PICKED)
		rc = version_sql(sql, &q->versions, q->vis.on);
	/* With match[id], the ids find the rows (objects_visible); ordering
	** by the date index instead would scan the whole collection for them
	** (measured: 6.6 ms for one object among 20,000).  The unary + keeps
	** SQLite from choosing the date index for the ORDER BY.  A set's walk
	** orders by date_added alone: it is unique in a SQLite store
	** (next_date_added), and objects_sets holds it but not seq next to
	** it, so "date_added, seq" would add a sort. */
	/* A picked walk has no LIMIT: rows a check turns down are not
	** given (the walk stops at q->limit given). */
	if (!rc && kind != COUNT_REST && !check)
		rc = buf_puts(sql, kind == WALK_PICKED ? " ORDER BY p.seq"
		                   : q->nids ? " ORDER BY +o.date_added, o.seq LIMIT ?8"
		                   : kind == WALK_ALL ? " ORDER BY o.date_added, o.seq LIMIT ?8"
		                                      : " ORDER BY o.date_added LIMIT ?8");
	return rc;
}

/* The JSON lists q binds (?5, ?6, ?7, ?9). */
static enum relto_err fill_lists(const struct store_query *q, struct buf lists[4])
{
	enum relto_err rc = RELTO_OK;
	if (q->nids)
		rc = json_list(&lists[0], q->ids, q->nids);
	if (!rc && q->ntypes)
		rc = json_list(&lists[1], q->types, q->ntypes);
	if (!rc && q->nspec_versions)
		rc = json_list(&lists[2], q->spec_versions, q->nspec_versions);
	if (!rc && !q->versions.all && q->versions.nat)
		rc = int_list(&lists[3], q->versions.at, q->versions.nat);
	return rc;
}

/* What every walk of a query binds. */
struct query_binds {
	const struct store_query *q;
	struct buf lists[4];
	struct released_bits bits;
	struct ref_call call;
};

static void bind_query(sqlite3_stmt *st, const struct query_binds *b, void *withheld, const char *withheld_type)
{
	const struct store_query *q = b->q;
	sqlite3_bind_int64(st, 1, q->coll);
	sqlite3_bind_int64(st, 2, q->added_after);
	sqlite3_bind_int64(st, 3, q->after_date_added);
	sqlite3_bind_int64(st, 4, q->after_seq);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)q->limit);
	static const int slot[4] = {5, 6, 7, 9};
	for (int i = 0; i < 4; i++)
		if (b->lists[i].len)
			sqlite3_bind_text(st, slot[i], b->lists[i].data, (int)b->lists[i].len, SQLITE_STATIC);
	if (q->vis.on) {
		sqlite3_bind_pointer(st, 10, (void *)&b->bits, RELEASED_BITS, NULL);
		sqlite3_bind_text(st, 11, q->vis.originator ? q->vis.originator : "", -1, SQLITE_STATIC);
		if (withheld)
			sqlite3_bind_pointer(st, 12, withheld, withheld_type, NULL);
		sqlite3_bind_pointer(st, 15, (void *)&b->call, REF_CALL, NULL);
	}
}

/* The row a walk's statement is on, as store.h describes it.  Columns are
** decoded only when read: a page of objects needs the bytes, a manifest
** the names. */
static struct store_row row_of(sqlite3_stmt *st, const struct query_binds *b, int with_raw,
                               const struct sq_pick_call *pick, struct buf *hidden, int *failed)
{
	const struct store_query *q = b->q;
	struct store_row row = {
		.seq = sqlite3_column_int64(st, 0),
		.date_added = sqlite3_column_int64(st, 1),
		.version = sqlite3_column_int64(st, 2),
		.marking_set = sqlite3_column_int64(st, 6),
	};
	if (with_raw) {
		row.raw = sqlite3_column_blob(st, 8);
		row.raw_len = (size_t)sqlite3_column_bytes(st, 8);
	}
	/* A picked row's submitter and references from the map: the column
	** reads cost more (two a row, ~1% of a partner's page).  The
	** references it hides, from its ref_list: those the map marked, or,
	** for a row the filter in SQL decided, those refs_sqlite.c finds (as
	** relto_hidden_refs would).  *failed when they cannot be read. */
	int refers = 1;
	if (q->vis.on && pick) {
		const unsigned char *mask = NULL;
		size_t mask_len = 0;
		sq_picks_row(pick, row.seq, &row.own, &refers, &mask, &mask_len);
		const void *list = refers && !row.own && !(mask && !mask_len) ? sqlite3_column_blob(st, with_raw ? 9 : 8)
		                                                              : NULL;
		size_t len = list ? (size_t)sqlite3_column_bytes(st, with_raw ? 9 : 8) : 0;
		hidden->len = 0;
		if (list && ((mask ? sq_refs_marked(list, len, mask, mask_len, hidden)
		                   : sq_refs_hidden(b->call.refs, &b->call.partner, b->call.coll, list, len, hidden)) ||
		             buf_putc(hidden, '\0')))
			*failed = 1;
		else if (list)
			row.hidden_refs = hidden->data;
	} else if (q->vis.on) {
		row.own = sqlite3_column_int(st, with_raw ? 10 : 9);
	}
	if (q->vis.on && refers && !pick)
		row.hidden_refs = (const char *)sqlite3_column_text(st, with_raw ? 9 : 8);
	if (q->with_entries) {
		row.entry = sqlite3_column_blob(st, 7);
		row.entry_len = (size_t)sqlite3_column_bytes(st, 7);
	}
	if (!with_raw) {
		row.id = (const char *)sqlite3_column_text(st, 3);
		row.version_text = (const char *)sqlite3_column_text(st, 4);
		row.spec_version = (const char *)sqlite3_column_text(st, 5);
	}
	return row;
}

/* One walk of the collection (WALK_ALL).  Withheld rows are counted as
** SQLite meets them; those it meets between the row before the last and
** the last, when the walk gives q->limit rows, are the next page's. */
static enum relto_err query_walk(struct sq_conn *c, const struct query_binds *b, int with_raw,
                                 store_row_fn fn, void *ctx, char *err)
{
	const struct store_query *q = b->q;
	struct buf sql;
	buf_init(&sql, 65536);
	sqlite3_stmt *st = NULL;
	enum relto_err rc = query_sql(q, with_raw, WALK_ALL, &sql);
	if (rc)
		rc = relto_seterr(err, RELTO_EINTERNAL, "query text over its cap");
	if (!rc)
		rc = sq_stmt(c, sql.data, &st, err);
	if (!rc)
		bind_query(st, b, q->withheld, WITHHELD_COUNTS);
	struct store_withheld before = q->withheld ? *q->withheld : (struct store_withheld){0};
	size_t given = 0;
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		given++;
		if (q->withheld && given == q->limit)
			*q->withheld = before;
		else if (q->withheld && given + 1 == q->limit)
			before = *q->withheld;
		int failed = 0;
		struct store_row row = row_of(st, b, with_raw, NULL, NULL, &failed);
		rc = fn(ctx, &row);
	}
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(c->db, "query", err);
	if (st)
		sqlite3_reset(st);
	buf_free(&sql);
	return rc;
}

int sq_pick_walks = 1;

/* The most walks a merge keeps open at once: the released sets, and the
** partner's own rows. */
#define MERGE_WALKS 17

struct walk {
	sqlite3_stmt *st;
	int live;                 /* on a row (its date_added below) */
	int64_t date_added;
	struct notes notes;       /* withheld rows it passed over */
};

/* Count the notes of every walk dated before `before`. */
static void count_notes(struct walk *w, size_t nw, int64_t before, struct store_withheld *out)
{
	for (size_t i = 0; i < nw; i++) {
		struct notes *nt = &w[i].notes;
		for (; nt->done < nt->n && nt->v[nt->done].date_added < before; nt->done++)
			store_withheld_add(out, nt->v[nt->done].set, 1);
	}
}

static enum relto_err walk_step(struct sq_conn *c, struct walk *w, char *err)
{
	int r = sqlite3_step(w->st);
	w->live = r == SQLITE_ROW;
	if (w->live)
		w->date_added = sqlite3_column_int64(w->st, 1);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return sq_err(c->db, "query", err);
	return w->notes.failed ? relto_seterr(err, RELTO_ENOMEM, "out of memory") : RELTO_OK;
}

/* The check of the picked rows the map does not decide (PICKED_CHECK):
** made on the first such row (most pages have none). */
struct picked_check {
	const struct query_binds *b;
	int with_raw;
	struct notes *notes;      /* where it notes withheld rows (the walk's) */
	sqlite3_stmt *st;
};

/* The picked walk's next row that is visible: one the map does not
** decide (pick: its decision of the row the walk is on) is checked
** (PICKED_CHECK, which notes it when withheld) and passed over when the
** check turns it down. */
static enum relto_err picked_step(struct sq_conn *c, struct walk *w, struct picked_check *check,
                                  const struct sq_pick_call *pick, char *err)
{
	enum relto_err rc;
	while (!(rc = walk_step(c, w, err)) && w->live) {
		int64_t seq = sqlite3_column_int64(w->st, 0);
		if (pick->at == seq && pick->at_decided)
			break;
		if (!check->st) {
			struct buf sql;
			buf_init(&sql, 65536);
			rc = query_sql(check->b->q, check->with_raw, PICKED_CHECK, &sql)
			             ? relto_seterr(err, RELTO_EINTERNAL, "query text over its cap")
			             : sq_stmt(c, sql.data, &check->st, err);
			buf_free(&sql);
			if (rc)
				return rc;
			bind_query(check->st, check->b, check->notes, WITHHELD_NOTES);
		}
		sqlite3_bind_int64(check->st, 17, seq);
		int r = sqlite3_step(check->st);
		sqlite3_reset(check->st);
		if (r == SQLITE_ROW)
			break;
		if (r != SQLITE_DONE)
			return sq_err(c->db, "query", err);
	}
	return rc;
}

/* (set, count) pairs by set, for a count made in pieces.  Marking set
** numbers are small (one per distinct set of markings in the store), so
** those under sq_tally_dense are counted in an array indexed by set: a
** count by block adds one entry per set and block (~30 a block), and a
** search per entry was most of its cost.  Larger ones, sorted, after. */
int sq_tally_dense = 4096;

struct set_tally {
	int64_t *dense;
	size_t ndense;            /* dense[set] for 0 <= set < ndense */
	struct store_withheld_set *v; /* in set order */
	size_t n, cap;
};

static int tally_add(struct set_tally *t, int64_t set, int64_t n)
{
	if (set >= 0 && set < sq_tally_dense) {
		if ((size_t)set >= t->ndense) {
			size_t want = t->ndense ? 2 * t->ndense : 64;
			while (want <= (size_t)set)
				want *= 2;
			if (want > (size_t)sq_tally_dense)
				want = (size_t)sq_tally_dense;
			int64_t *d = realloc(t->dense, want * sizeof(*d));
			if (!d)
				return -1;
			memset(d + t->ndense, 0, (want - t->ndense) * sizeof(*d));
			t->dense = d;
			t->ndense = want;
		}
		t->dense[set] += n;
		return 0;
	}
	size_t lo = store__set_place(t->v, t->n, set);
	if (lo < t->n && t->v[lo].set == set) {
		t->v[lo].count += n;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 32;
		void *v = realloc(t->v, cap * sizeof(*t->v));
		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	memmove(&t->v[lo + 1], &t->v[lo], (t->n - lo) * sizeof(*t->v));
	t->v[lo].set = set;
	t->v[lo].count = n;
	t->n++;
	return 0;
}

static void tally_reset(struct set_tally *t)
{
	if (t->ndense)
		memset(t->dense, 0, t->ndense * sizeof(*t->dense));
	t->n = 0;
}

static void tally_free(struct set_tally *t)
{
	free(t->dense);
	free(t->v);
}

/* The k-th pair of t in set order (k < t->ndense + t->n), its set in *set. */
static int64_t tally_at(const struct set_tally *t, size_t k, int64_t *set)
{
	if (k < t->ndense) {
		*set = (int64_t)k;
		return t->dense[k];
	}
	*set = t->v[k - t->ndense].set;
	return t->v[k - t->ndense].count;
}

/* Step st (bound) to its end, adding (column 0, column 1) to t: the set
** and a count. */
static enum relto_err tally_rows(struct sq_conn *c, sqlite3_stmt *st, struct set_tally *t, char *err)
{
	int r;
	enum relto_err rc = RELTO_OK;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
		if (tally_add(t, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)))
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(c->db, "withheld count", err);
	sqlite3_reset(st);
	return rc;
}

/* Can the rows a merge does not walk be counted by block (count_blocks)?
** block_counts holds no types or spec versions, and no version but the
** first and the last. */
static int blocks_fit(const struct sq_conn *c, const struct store_query *q)
{
	return c->count_shift >= 0 && !q->ntypes && !q->nspec_versions && !q->nids &&
	       (q->versions.all || !q->versions.nat);
}

/* COUNT_REST for qa (b's query, or a copy of it with other bounds), the
** rows dated before stop, added to t. */
static enum relto_err count_rest(struct sq_conn *c, const struct query_binds *b, const struct store_query *qa,
                                 int64_t stop, struct set_tally *t, char *err)
{
	struct buf sql;
	buf_init(&sql, 65536);
	sqlite3_stmt *st = NULL;
	enum relto_err rc = query_sql(qa, 0, COUNT_REST, &sql);
	if (rc)
		rc = relto_seterr(err, RELTO_EINTERNAL, "query text over its cap");
	if (!rc)
		rc = sq_stmt(c, sql.data, &st, err);
	if (!rc) {
		struct query_binds ba = *b;
		ba.q = qa;
		bind_query(st, &ba, NULL, NULL);
		sqlite3_bind_int64(st, 14, stop);
		rc = tally_rows(c, st, t, err);
	}
	buf_free(&sql);
	return rc;
}

/* Run a statement without rows (BEGIN, COMMIT) from the statement cache:
** sqlite3_exec would parse it on every page. */
static enum relto_err run_stmt(struct sq_conn *c, const char *sql, char *err)
{
	sqlite3_stmt *st = NULL;
	enum relto_err rc = sq_stmt(c, sql, &st, err);
	if (!rc && sqlite3_step(st) != SQLITE_DONE)
		rc = sq_err(c->db, "withheld count", err);
	if (st)
		sqlite3_reset(st);
	return rc;
}

/* The end of a count's read transaction when it began one (own_txn): rc,
** or COMMIT's error when rc is RELTO_OK. */
static enum relto_err end_count(struct sq_conn *c, int own_txn, enum relto_err rc, char *err)
{
	if (own_txn) {
		char cerr[RELTO_ERRBUF_SIZE];
		enum relto_err crc = run_stmt(c, "COMMIT", rc ? cerr : err);
		if (!rc)
			rc = crc;
	}
	return rc;
}

/* Which versions a query asks for, as block_tally and sq_picks_count take
** it: 0 all, 1 first, 2 last, -1 first and last, -2 none (only versions
** at given times, which neither counts). */
static int versions_pick(const struct store_versions *v)
{
	return v->all ? 0 : v->first && v->last ? -1 : v->first ? 1 : v->last ? 2 : -2;
}

static int tally_some(void *ctx, int64_t set, int64_t n)
{
	return tally_add(ctx, set, n);
}

static int tally_less(void *ctx, int64_t set, int64_t n)
{
	return tally_add(ctx, set, -n);
}

/* A block's entries into a tally: the sets not released, and the count
** of the versions asked for (pick: versions_pick). */
struct block_tally {
	struct set_tally *t;
	const struct released_bits *bits;
	int pick;
};

static enum relto_err block_add(void *ctx, int64_t set, const int64_t n[4], char *err)
{
	struct block_tally *bt = ctx;
	if (released(bt->bits, set) || bt->pick == -2)
		return RELTO_OK;
	int64_t k = bt->pick >= 0 ? n[bt->pick] : n[1] + n[2] - n[3];
	return tally_add(bt->t, set, k) ? relto_seterr(err, RELTO_ENOMEM, "out of memory") : RELTO_OK;
}

/* The rows with seq after .. before (both out), counted with sign. */
struct row_scan {
	int64_t after, before, sign;
};

/* *lo: the seq of the last row of q's collection at or before its cursor
** and added_after (-1: none, or neither is given; rows have seq 1 on):
** the rows q may give are those after it. */
static enum relto_err seq_before(struct sq_conn *c, const struct store_query *q, int64_t *lo, char *err)
{
	enum relto_err rc = RELTO_OK;
	*lo = -1;
	if (q->has_cursor || q->has_added_after) {
		int64_t d = q->has_added_after ? q->added_after : INT64_MIN, s = INT64_MAX;
		if (q->has_cursor && (q->after_date_added > d || (q->after_date_added == d && q->after_seq < s))) {
			d = q->after_date_added;
			s = q->after_seq;
		}
		sqlite3_stmt *st = NULL;
		if (!(rc = sq_stmt(c, "SELECT seq FROM objects WHERE coll = ?1 AND (date_added, seq) <= (?2, ?3)"
		                      " ORDER BY date_added DESC, seq DESC LIMIT 1", &st, err))) {
			sqlite3_bind_int64(st, 1, q->coll);
			sqlite3_bind_int64(st, 2, d);
			sqlite3_bind_int64(st, 3, s);
			int r = sqlite3_step(st);
			if (r == SQLITE_ROW)
				*lo = sqlite3_column_int64(st, 0);
			else if (r != SQLITE_DONE)
				rc = sq_err(c->db, "query start", err);
			sqlite3_reset(st);
		}
	}
	return rc;
}

/* The rows of the sets not released, not the partner's, the version asked
** for, after lo (seq_before) and before the page's stop (a date, and the
** seq of that row; INT64_MAX both: to the end), counted into t as
** COUNT_REST counts them.  In a SQLite store seq and date_added rise
** together (both are store-wide and next_date_added gives each put dates
** after every stored one), so the range is a range of seq: its whole
** blocks are read from block_counts (a row per block and submitter), its
** two ends (at most half a block each) from the rows by seq.  The cost is
** per block, not per row: a partner that receives 1% of a collection no
** longer pays for the 99% its page spans (docs/BENCHMARKS.md). */
static enum relto_err count_blocks(struct sq_conn *c, const struct query_binds *b, int64_t lo, int64_t stop,
                                   int64_t stop_seq, struct set_tally *t, char *err)
{
	const struct store_query *q = b->q;
	int shift = c->count_shift;
	enum relto_err rc = RELTO_OK;
	/* Blocks wholly inside (lo, stop_seq): first .. last.  Each end
	** around them, a part of one block, is counted from the rows by seq
	** (NOT INDEXED, or SQLite takes objects_sets for coll = ?1 and reads
	** the whole collection: 166M instructions a page), or, when it holds
	** more than half its block, as the whole block from block_counts less
	** the rest of the block from the rows: at most half a block of rows
	** either way (~2k instructions a row).  No block fits: the range from
	** the rows. */
	int64_t size = (int64_t)1 << shift;
	int64_t first = (lo >> shift) + 1, last = (stop_seq >> shift) - 1;
	struct row_scan scan[2];
	int nscan = 0;
	if (first > last) {
		scan[nscan++] = (struct row_scan){lo, stop_seq, 1};
	} else {
		int64_t low = (first << shift) - 1 - lo; /* rows of the low end: lo+1 .. first*size-1 */
		if (2 * low > size) {
			first--;
			scan[nscan++] = (struct row_scan){(first << shift) - 1, lo + 1, -1};
		} else if (low > 0) {
			scan[nscan++] = (struct row_scan){lo, first << shift, 1};
		}
		if (stop_seq != INT64_MAX) {
			int64_t high = stop_seq - ((last + 1) << shift); /* (last+1)*size .. stop_seq-1 */
			if (2 * high > size) {
				last++;
				scan[nscan++] = (struct row_scan){stop_seq - 1, (last + 1) << shift, -1};
			} else if (high > 0) {
				scan[nscan++] = (struct row_scan){((last + 1) << shift) - 1, stop_seq, 1};
			}
		}
	}
	/* One snapshot for the blocks and the rows: a row put or deleted
	** between them would skew a difference (the walks before had theirs:
	** what they passed is counted already). */
	int own_txn = !rc && sqlite3_get_autocommit(c->db);
	if (own_txn)
		rc = run_stmt(c, "BEGIN", err);
	struct buf sql;
	buf_init(&sql, 4096);
	sqlite3_stmt *st = NULL;
	/* The ends from the rows' map (pick_sqlite.c) where it holds them: a
	** few instructions a row, where SQLite reads each row. */
	struct sq_pick_call pc = {.conn = c, .coll = q->coll, .partner = b->call.partner};
	int have_map = !rc && nscan && c->picks && sq_pick_walks && !sq_picks_view(&pc);
	for (int k = 0; !rc && k < nscan; k++) {
		if (scan[k].after + 1 >= scan[k].before)
			continue; /* empty */
		if (have_map && scan[k].before - 1 <= pc.end) {
			if (sq_picks_count(&pc, scan[k].after, scan[k].before, versions_pick(&q->versions),
			                   scan[k].sign > 0 ? tally_some : tally_less, t))
				rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
			continue;
		}
		if (!st && !(rc = buf_puts(&sql, "SELECT o.marking_set, ?18 FROM objects o NOT INDEXED WHERE o.seq > ?16"
		                                 " AND o.seq < ?17 AND o.coll = ?1 AND o.posted_by <> ?11"
		                                 " AND NOT relto_released(?10, o.marking_set)")) &&
		    !(rc = version_sql(&sql, &q->versions, 0)))
			rc = sq_stmt(c, sql.data, &st, err);
		if (rc)
			break;
		sqlite3_bind_int64(st, 1, q->coll);
		sqlite3_bind_pointer(st, 10, (void *)&b->bits, RELEASED_BITS, NULL);
		sqlite3_bind_text(st, 11, q->vis.originator ? q->vis.originator : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 16, scan[k].after);
		sqlite3_bind_int64(st, 17, scan[k].before);
		sqlite3_bind_int64(st, 18, scan[k].sign);
		rc = tally_rows(c, st, t, err);
	}
	sq_picks_done(&pc);
	buf_free(&sql);
	if (!rc && first <= last) {
		struct block_tally bt = {t, &b->bits, versions_pick(&q->versions)};
		rc = sq_counts_read(c, q->coll, first, last, q->vis.originator ? q->vis.originator : "", block_add, &bt, err);
		int64_t set;
		for (size_t k = 0; !rc && k < t->ndense + t->n; k++)
			if (tally_at(t, k, &set) < 0)
				rc = RELTO_ESTORE; /* a block's counts under the rows it holds */
		if (rc == RELTO_ESTORE) {
			/* A list that does not decode, or counts that do not add up:
			** count the rows. */
			tally_reset(t);
			rc = count_rest(c, b, q, stop, t, err);
		}
	}
	return end_count(c, own_txn, rc, err);
}

/* Whether a listed walk's count (sq_picks_count_listed) can count q's
** withheld rows: no filter the lists do not hold (under match[type],
** count_typed counts). */
static int lists_fit(const struct store_query *q)
{
	return !q->ntypes && !q->nspec_versions && !q->nids && (q->versions.all || !q->versions.nat);
}

/* Whether count_typed can count q's withheld rows: a filter by type and
** none that the rows' map does not hold (block_counts holds no types). */
static int types_fit(const struct sq_conn *c, const struct store_query *q)
{
	return q->ntypes && !q->nspec_versions && !q->nids && (q->versions.all || !q->versions.nat) && c->picks &&
	       sq_pick_walks;
}

/* What count_blocks counts, under a filter by type (types_fit), from the
** rows' map, which numbers each row's type: a few instructions a row of
** the range, where COUNT_REST read every row of the sets not released to
** learn its type (80 ms for the last page of a partner that receives 1%
** of 100,000 objects).  *counted: 0 when the map cannot tell (none, or a
** row without a type number), and t is left empty. */
static enum relto_err count_typed(struct sq_conn *c, const struct query_binds *b, int64_t lo, int64_t stop_seq,
                                  struct set_tally *t, int *counted, char *err)
{
	const struct store_query *q = b->q;
	*counted = 0;
	int own_txn = sqlite3_get_autocommit(c->db);
	enum relto_err rc = own_txn ? run_stmt(c, "BEGIN", err) : RELTO_OK;
	struct sq_pick_call pc = {.conn = c, .coll = q->coll, .partner = b->call.partner, .type_names = q->types,
	                          .ntype_names = q->ntypes};
	sqlite3_stmt *st = NULL;
	/* To the end: the end of this snapshot (the map can be ahead of it). */
	if (!rc && stop_seq == INT64_MAX && !(rc = sq_stmt(c, "SELECT coalesce(max(seq), 0) FROM objects", &st, err))) {
		if (sqlite3_step(st) == SQLITE_ROW)
			stop_seq = sqlite3_column_int64(st, 0) + 1;
		else
			rc = sq_err(c->db, "withheld count", err);
		sqlite3_reset(st);
	}
	if (!rc && !sq_picks_view(&pc)) {
		int r = stop_seq - 1 <= pc.end
		                ? sq_picks_count(&pc, lo, stop_seq, versions_pick(&q->versions), tally_some, t)
		                : -2;
		if (r == -1)
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
		else if (r == -2)
			tally_reset(t);
		else
			*counted = 1;
	}
	sq_picks_done(&pc);
	return end_count(c, own_txn, rc, err);
}

/* A walk per released set (sets: distinct, nsets of them) of the others'
** rows and one of the partner's own rows, merged by date; or with
** `picked` one walk of the rows in every released set and the partner's
** own (WALK_PICKED): the others' rows of the sets not released are never
** read.  For the audit trail, the rows a walk passes over are noted and
** counted when the merge passes their date; those of the sets not
** released are counted after, up to where the page stops: by block
** (count_blocks), under match[type] from the rows' map (count_typed), or,
** under other filters block_counts does not hold, set by set from
** objects_sets's entries and the rows (COUNT_REST). */
enum merge_how {
	MERGE_SETS,   /* a walk per released set (sets) and the partner's own rows */
	MERGE_PICKED, /* the picked walk */
	MERGE_LISTED, /* the picked walk of the released sets' rows (sets) and the partner's own, from the map's lists */
	MERGE_TYPES,  /* a walk per type asked for (q->types, distinct): nothing to count after */
};

static enum relto_err query_merged(struct sq_conn *c, const struct query_binds *b, const int64_t *sets,
                                   size_t nsets, enum merge_how how, int *no_map, int with_raw, store_row_fn fn,
                                   void *ctx, char *err)
{
	const struct store_query *q = b->q;
	struct walk w[MERGE_WALKS];
	int listed = how == MERGE_LISTED, picked = how == MERGE_PICKED || listed, by_types = how == MERGE_TYPES;
	size_t nreleased = nsets;
	/* The picked walk gives the partner's own rows too (the map knows
	** their submitter): no walk of them apart; nor do the type walks
	** leave them out. */
	if (picked)
		nsets = 1;
	if (by_types)
		nsets = q->ntypes;
	size_t nw = picked || by_types ? nsets : nsets + 1;
	memset(w, 0, sizeof(w));
	struct buf set_sql, own_sql, hidden;
	buf_init(&set_sql, 65536);
	buf_init(&own_sql, 65536);
	struct picked_check check = {.b = b, .with_raw = with_raw, .notes = q->withheld ? &w[0].notes : NULL};
	buf_init(&hidden, (size_t)1 << 30); /* a picked row's hidden references (row_of) */
	/* lo: where the rows q may give start (seq_before), read once. */
	int64_t lo = -1;
	int have_lo = 0;
	struct sq_pick_call pick = {.conn = c, .coll = q->coll, .versions = versions_pick(&q->versions),
	                            .by_date = q->versions.nat && !q->versions.all,
	                            .partner = b->call.partner, .type_names = q->types, .ntype_names = q->ntypes,
	                            .listed = listed, .listed_sets = sets, .nlisted = listed ? nreleased : 0};
	/* The set walks' calls of relto_of_types, under match[type]: the
	** first ntyped (not zeroed whole: a call is ~0.6 KB). */
	struct sq_pick_call typed[MERGE_WALKS - 1];
	size_t ntyped = 0;
	enum relto_err rc = picked ? seq_before(c, q, &lo, err) : RELTO_OK;
	have_lo = picked;
	pick.after = lo;
	/* What the picked walk passes over, counted as it goes: when the page
	** fills, that is the count after the walk (count_blocks, count_typed)
	** made without reading the map or block_counts again. */
	struct sq_pick_passed passed;
	int tally_walk = picked && !listed && q->withheld && (blocks_fit(c, q) || types_fit(c, q));
	if (tally_walk) {
		sq_picks_passed_init(&passed);
		pick.passed = &passed;
	}
	/* The rows the map decides are not visible (their references fail),
	** counted as the filter in SQL would note them: all, or, when the
	** page fills, those before the row before the last (none for a page
	** of one: see the loop below), as they were at that row
	** (refused_at_stop, by the place of each set in refused.touched).
	** Under a filter the walk does not know (ids, spec versions), the
	** filter in SQL sees them. */
	struct sq_pick_passed refused;
	uint32_t refused_at_stop[SQ_PASSED_SETS];
	size_t refused_stop_sets = 0;
	if (picked && q->withheld) {
		sq_picks_passed_init(&refused);
		pick.refused = &refused;
		pick.refused_defer = q->nids || q->nspec_versions;
	}
	/* The walk of the partner's own rows goes first (the last of w): when
	** it finds none, the set walks need not leave them out (a string
	** compare per row, 3% of a sparse partner's page). */
	int own_walk = how == MERGE_SETS;
	if (!rc && own_walk && query_sql(q, with_raw, WALK_OWN, &own_sql))
		rc = relto_seterr(err, RELTO_EINTERNAL, "query text over its cap");
	if (!rc && own_walk && !(rc = sq_stmt(c, own_sql.data, &w[nsets].st, err))) {
		bind_query(w[nsets].st, b, q->withheld ? &w[nsets].notes : NULL, WITHHELD_NOTES);
		rc = walk_step(c, &w[nsets], err);
	}
	enum walk_kind kind = picked ? WALK_PICKED : by_types ? WALK_TYPE : w[nsets].live ? WALK_SET_OTHERS : WALK_SET;
	if (!rc && query_sql(q, with_raw, kind, &set_sql))
		rc = relto_seterr(err, RELTO_EINTERNAL, "query text over its cap");
	/* One statement per walk: copies of the same SQL are told apart in
	** the statement cache by their copy number. */
	for (size_t i = 0; !rc && i < nsets; i++) {
		rc = sq_stmt_copy(c, set_sql.data, (int)i, &w[i].st, err);
		if (!rc) {
			bind_query(w[i].st, b, q->withheld ? &w[i].notes : NULL, WITHHELD_NOTES);
			if (picked) {
				sqlite3_bind_pointer(w[i].st, 16, &pick, SQ_PICK_CALL, NULL);
			} else if (by_types) {
				sqlite3_bind_text(w[i].st, 13, q->types[i], -1, SQLITE_STATIC);
			} else {
				sqlite3_bind_int64(w[i].st, 13, sets[i]);
				typed[i] = (struct sq_pick_call){.conn = c, .coll = q->coll, .partner = b->call.partner,
				                                 .type_names = q->types, .ntype_names = q->ntypes};
				ntyped = i + 1;
				sqlite3_bind_pointer(w[i].st, 16, &typed[i], SQ_PICK_CALL, NULL);
			}
			rc = picked ? picked_step(c, &w[i], &check, &pick, err) : walk_step(c, &w[i], err);
			/* No map (a store past its range, out of memory): nothing
			** is given yet, and the caller walks the collection. */
			if (rc && picked && i == 0 && !pick.map)
				*no_map = 1;
		}
	}
	size_t given = 0;
	int64_t stop = INT64_MAX; /* the rows of the page are before this date */
	int64_t stop_seq = INT64_MAX; /* and before this row */
	while (!rc) {
		size_t next = nw;
		for (size_t i = 0; i < nw; i++)
			if (w[i].live && (next == nw || w[i].date_added < w[next].date_added))
				next = i;
		if (next == nw)
			break;
		given++;
		if (q->withheld && given < q->limit)
			count_notes(w, nw, w[next].date_added, q->withheld);
		if (given + 1 == q->limit) {
			stop = w[next].date_added;
			stop_seq = sqlite3_column_int64(w[next].st, 0);
			if (tally_walk)
				passed.on = 0; /* the walk is at this row: what it passed over is before it */
			for (size_t k = 0; picked && q->withheld && k < refused.ntouched; k++)
				refused_at_stop[k] = refused.n[refused.touched[k]];
			refused_stop_sets = picked && q->withheld ? refused.ntouched : 0;
		} else if (given == q->limit && q->limit == 1) {
			stop = INT64_MIN;
		}
		int failed = 0;
		struct store_row row = row_of(w[next].st, b, with_raw, picked ? &pick : NULL, &hidden, &failed);
		rc = failed ? relto_seterr(err, RELTO_ENOMEM, "cannot read what a row refers to") : fn(ctx, &row);
		if (!rc && given == q->limit)
			break;
		if (!rc)
			rc = picked ? picked_step(c, &w[next], &check, &pick, err) : walk_step(c, &w[next], err);
	}
	if (!rc && q->withheld && given < q->limit) {
		count_notes(w, nw, INT64_MAX, q->withheld); /* every walk went to its end */
		stop = INT64_MAX;
		stop_seq = INT64_MAX;
	}
	for (size_t i = 0; i < nw; i++) {
		if (w[i].st)
			sqlite3_reset(w[i].st);
		free(w[i].notes.v);
	}
	if (check.st)
		sqlite3_reset(check.st);
	for (size_t k = 0; !rc && picked && q->withheld && k < (given < q->limit ? refused.ntouched : refused_stop_sets);
	     k++)
		store_withheld_add(q->withheld, refused.touched[k],
		                   given < q->limit ? refused.n[refused.touched[k]] : refused_at_stop[k]);
	/* A page the picked walk filled: what it passed over up to the row
	** before the last. */
	int walk_counted = !rc && tally_walk && stop != INT64_MIN && stop != INT64_MAX && !passed.broken;
	if (walk_counted) {
		/* In set order, as the counts after the walk give them. */
		for (size_t k = 1; k < passed.ntouched; k++)
			for (size_t j = k; j > 0 && passed.touched[j - 1] > passed.touched[j]; j--) {
				uint16_t x = passed.touched[j];
				passed.touched[j] = passed.touched[j - 1];
				passed.touched[j - 1] = x;
			}
		for (size_t k = 0; k < passed.ntouched; k++)
			store_withheld_add(q->withheld, passed.touched[k], passed.n[passed.touched[k]]);
	}
	/* The type walks read every row the filter lets through: what they
	** passed over is in their notes. */
	if (!rc && q->withheld && stop != INT64_MIN && !by_types && !walk_counted) {
		struct set_tally t = {0};
		int counted = 0;
		if ((blocks_fit(c, q) || types_fit(c, q)) && !have_lo)
			rc = seq_before(c, q, &lo, err);
		/* A listed walk's: from the lists, a set at a time. */
		if (!rc && listed && lists_fit(q)) {
			int r = sq_picks_count_listed(&pick, lo, stop_seq, versions_pick(&q->versions), tally_some, &t);
			if (r == -1)
				rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
			else if (r == -2)
				tally_reset(&t);
			else
				counted = 1;
		}
		if (!rc && !counted && !blocks_fit(c, q) && types_fit(c, q))
			rc = count_typed(c, b, lo, stop_seq, &t, &counted, err);
		if (!rc && !counted)
			rc = blocks_fit(c, q) ? count_blocks(c, b, lo, stop, stop_seq, &t, err)
			                      : count_rest(c, b, q, stop, &t, err);
		/* In set order, as one COUNT_REST's GROUP BY gives them. */
		for (size_t k = 0; !rc && k < t.ndense + t.n; k++) {
			int64_t set, n = tally_at(&t, k, &set);
			if (n)
				store_withheld_add(q->withheld, set, n);
		}
		tally_free(&t);
	}
	sq_picks_done(&pick);
	for (size_t i = 0; i < ntyped; i++)
		sq_picks_done(&typed[i]);
	buf_free(&set_sql);
	buf_free(&own_sql);
	buf_free(&hidden);
	return rc;
}

/* The distinct released sets of vis into out (at most max): how many, or
** max + 1 when there are more. */
static size_t distinct_sets(const struct store_visibility *vis, int64_t *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < vis->nsets; i++) {
		size_t j = 0;
		while (j < n && out[j] != vis->sets[i])
			j++;
		if (j < n)
			continue;
		if (n == max)
			return max + 1;
		out[n++] = vis->sets[i];
	}
	return n;
}

/* Whether q's types, several, can be walked one by one (MERGE_TYPES):
** distinct (a type twice would give its rows twice), and a walk each. */
static int types_walkable(const struct store_query *q)
{
	if (q->ntypes < 2 || q->ntypes > MERGE_WALKS || q->nids)
		return 0;
	for (size_t i = 0; i < q->ntypes; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(q->types[i], q->types[j]) == 0)
				return 0;
	return 1;
}

enum relto_err sq_query(struct store_conn *base, const struct store_query *q, int with_raw,
                        store_row_fn fn, void *ctx, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	if (!q->limit)
		return RELTO_OK;
	struct query_binds b = {.q = q};
	for (int i = 0; i < 4; i++)
		buf_init(&b.lists[i], 1u << 20);
	enum relto_err rc = q->vis.on ? bits_of(q->vis.sets, q->vis.nsets, &b.bits) : RELTO_OK;
	sq_refs_query(c->refs);
	b.call = (struct ref_call){.refs = c->refs, .coll = q->coll,
	                           .partner = {b.bits.bits, b.bits.n, q->vis.originator ? q->vis.originator : ""}};
	if (rc)
		rc = relto_seterr(err, rc, "out of memory");
	else if (fill_lists(q, b.lists)) /* the lists are capped by the query parser */
		rc = relto_seterr(err, RELTO_EINTERNAL, "query lists over their cap");
	/* A partner's page: few released sets are walked apart, more are
	** picked from the rows' map, but under match[id] (the ids find their
	** rows), under match[type] when the types asked for are rare (under
	** 1/32 of the rows): their index finds them, where picking would pass
	** over most of the collection; and in a collection of under 1/100 of
	** the store's rows, where it would pass over the others' rows. */
	int64_t sets[MERGE_WALKS - 1];
	size_t max = q->vis.set_walks < MERGE_WALKS - 1 ? q->vis.set_walks : MERGE_WALKS - 1;
	size_t nsets = q->vis.on && !q->nids && max ? distinct_sets(&q->vis, sets, max) : max + 1;
	int picked = nsets > max && q->vis.on && !q->nids && c->picks && sq_pick_walks &&
	             sq_picks_coll_dense(c, q->coll) &&
	             (!q->ntypes || sq_picks_types_common(c, q->coll, q->types, q->ntypes));
	/* Else, under match[type] with several types, a walk of each type on
	** objects_type, merged by date: "type IN (...)" walked every row by
	** date, a full scan when the types have few rows (one type is asked
	** with "=", which walks objects_type alone: query_sql). */
	int by_types = nsets > max && !picked && types_walkable(q);
	/* Few released sets: their rows (and the partner's own) from the
	** map's lists of rows by set, decided in C; without a map, a walk
	** of each set in SQL. */
	int listed = nsets <= max && q->vis.on && !q->nids && c->picks && sq_pick_walks;
	int no_map = 0;
	if (!rc && (nsets <= max || picked))
		rc = query_merged(c, &b, sets, nsets, listed ? MERGE_LISTED : picked ? MERGE_PICKED : MERGE_SETS, &no_map,
		                  with_raw, fn, ctx, err);
	else if (!rc && by_types)
		rc = query_merged(c, &b, sets, 0, MERGE_TYPES, &no_map, with_raw, fn, ctx, err);
	if (no_map) {
		if (err)
			err[0] = '\0';
		rc = RELTO_OK;
	}
	if (no_map && listed) {
		no_map = 0;
		rc = query_merged(c, &b, sets, nsets, MERGE_SETS, &no_map, with_raw, fn, ctx, err);
	}
	if (!rc && nsets > max && (!picked || no_map) && !by_types)
		rc = query_walk(c, &b, with_raw, fn, ctx, err);
	for (int i = 0; i < 4; i++)
		buf_free(&b.lists[i]);
	free(b.bits.bits);
	return rc;
}

/* After a delete, mark the remaining first and last versions of id
** (their counts in block_counts out as they were, in as they are). */
static enum relto_err refresh_flags(struct sq_conn *c, int64_t coll, const char *id, char *err)
{
	static const char *const sql[2] = {
		"SELECT coll, seq, marking_set, posted_by, is_first, is_last FROM objects WHERE coll = ?1 AND id = ?2",
		"UPDATE objects SET"
		" is_first = (version = (SELECT min(version) FROM objects WHERE coll = ?1 AND id = ?2)),"
		" is_last = (version = (SELECT max(version) FROM objects WHERE coll = ?1 AND id = ?2))"
		" WHERE coll = ?1 AND id = ?2 RETURNING coll, seq, marking_set, posted_by, is_first, is_last"};
	enum relto_err rc = RELTO_OK;
	for (int k = 0; !rc && k < 2; k++) {
		sqlite3_stmt *st = NULL;
		if (!(rc = sq_stmt(c, sql[k], &st, err))) {
			sqlite3_bind_int64(st, 1, coll);
			sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
			rc = sq_counts_rows(c, st, k ? 1 : -1, NULL, err);
		}
	}
	return rc;
}

/* Run one statement of a delete: ?1 coll, ?2 id, ?7 spec versions, ?9
** version timestamps (the lists as JSON, empty when unused). */
static enum relto_err delete_step(struct sq_conn *c, const char *sql, int64_t coll, const char *id,
                                  const struct buf *specs, const struct buf *ats,
                                  const struct store_visibility *vis, struct released_bits *bits,
                                  size_t *changes, char *err)
{
	sqlite3_stmt *st = NULL;
	enum relto_err rc = sq_stmt(c, sql, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	/* The cache may hold what an earlier delete in this transaction
	** removed: it starts again. */
	sq_refs_forget(c->refs);
	struct ref_call call = {.refs = c->refs, .coll = coll};
	if (vis && vis->on) {
		call.partner = (struct sq_refs_partner){bits->bits, bits->n, vis->originator ? vis->originator : ""};
		sqlite3_bind_pointer(st, 10, bits, RELEASED_BITS, NULL);
		sqlite3_bind_text(st, 11, call.partner.originator, -1, SQLITE_STATIC);
		sqlite3_bind_pointer(st, 15, &call, REF_CALL, NULL);
	}
	if (specs->len)
		sqlite3_bind_text(st, 7, specs->data, (int)specs->len, SQLITE_STATIC);
	if (ats->len)
		sqlite3_bind_text(st, 9, ats->data, (int)ats->len, SQLITE_STATIC);
	return sq_counts_rows(c, st, -1, changes, err);
}

enum relto_err sq_delete(struct store_conn *base, int64_t coll, const char *id,
                                const struct store_versions *v, const char *const *spec_versions,
                                size_t nspec_versions, const struct store_visibility *vis, size_t *deleted,
                                char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	struct buf sel, sql, specs, ats;
	struct released_bits bits = {0};
	int visible = vis && vis->on;
	buf_init(&sel, 4096);
	buf_init(&sql, 8192);
	buf_init(&specs, 1u << 16);
	buf_init(&ats, 1u << 16);
	/* Select the rows first, then delete by seq: the version clause
	** compares a row with its siblings, which must not vanish midway. */
	enum relto_err rc = buf_puts(&sel, "SELECT o.seq FROM objects o WHERE o.coll = ?1 AND o.id = ?2");
	if (!rc && nspec_versions)
		rc = buf_puts(&sel, " AND o.spec_version IN (SELECT value FROM json_each(?7))");
	if (!rc && visible)
		rc = buf_puts(&sel, " AND " ROW_VISIBLE("o"));
	if (!rc)
		rc = version_sql(&sel, v, visible);
	if (!rc && visible)
		rc = bits_of(vis->sets, vis->nsets, &bits);
	if (!rc && nspec_versions)
		rc = json_list(&specs, spec_versions, nspec_versions);
	if (!rc && !v->all && v->nat)
		rc = int_list(&ats, v->at, v->nat);
	if (rc)
		rc = relto_seterr(err, rc, "delete query too large");
	*deleted = 0;
	if (!rc)
		rc = sq_exec(c->db, "BEGIN IMMEDIATE", err);
	if (!rc && !(rc = buf_printf(&sql, "DELETE FROM objects WHERE seq IN (%s)"
	                                   " RETURNING coll, seq, marking_set, posted_by, is_first, is_last", sel.data)))
		rc = delete_step(c, sql.data, coll, id, &specs, &ats, vis, &bits, deleted, err);
	if (!rc && *deleted)
		rc = refresh_flags(c, coll, id, err);
	/* The rows' maps of every process read the store again (pick_sqlite.c). */
	if (!rc && *deleted)
		rc = sq_exec(c->db, "INSERT INTO meta(key, value) VALUES('deletes', 1)"
		                    " ON CONFLICT(key) DO UPDATE SET value = value + 1", err);
	if (!rc)
		rc = sq_counts_flush(c, err);
	sq_counts_reset(&c->counts);
	rc = sq_end_tx(c, rc, err);
	buf_free(&sel);
	buf_free(&sql);
	buf_free(&specs);
	buf_free(&ats);
	free(bits.bits);
	return rc;
}

