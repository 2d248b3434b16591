/*
** pick_sqlite.c: the SQLite backend's map of every row by seq (its
** collection, marking set, submitter, first/last flags, whether it refers
** to anything, type; its object, version and references, as numbers),
** and the virtual table relto_picked that walks it: the rows of one
** collection a partner may receive, in seq order, decided in C, without
** reading from SQLite the rows it passes over.
**
** Why: a partner's page walked the collection by date and read every row
** to test its markings, so a partner that receives half a collection paid
** for twice the rows of an unfiltered page; and the rows that refer to
** something were then tested in SQL, by string ids, ~300 instructions a
** reference (docs/BENCHMARKS.md).  A row's collection, marking set,
** submitter, object, version, references and type never change once it
** is stored (objects are immutable versions; only is_first and is_last
** are updated), so they are kept here: nine bytes a row for the walk's
** bit test, 20 more for deciding references and versions, and each
** object's id once (pick_int.h).  The walk decides each row it picks by
** the filter's rule (pick_refs.c, pick_decide: markings, references two
** levels deep, the version asked for) and SQLite reads only the rows it
** gives (query_sqlite.c, WALK_PICKED); the few it cannot decide (a list
** it does not hold, versions asked for by date) it gives for the filter
** in SQL to check (query_sqlite.c, PICKED_CHECK).  The rows it passes over are counted
** for the audit trail from the map too (sq_picks_count, and the walk's
** own tallies), as the other walks count them, and, by the rows' type,
** those a sparse partner's page passes over under match[type] (which
** block_counts cannot count).  A partner that may receive few sets is
** walked from the map's lists of rows by set and by submitter
** (pick_lists.c: the listed walk), so that it passes over none of the
** rows it may not receive, and those are counted from the same lists, a
** set at a time (sq_picks_count_listed).
**
** One map per store handle, shared by its connections.  It is brought up
** to date inside the walk's read transaction (xFilter), when the
** connection's data version (SQLITE_FCNTL_DATA_VERSION) has moved since
** it last looked, or another map was put in force since:
**  - rows are only ever added with a seq above every stored one, so new
**    rows are those above the map's highest seq, read by seq; and the
**    flags of the earlier versions of their objects are read again;
**  - a delete bumps meta's `deletes` in its own transaction (sq_delete,
**    schema version 7), and a store whose `deletes` is above the map's is
**    read again whole, into a new map (a deleted highest seq can be used
**    again by the next insert, with another set).
** Walks read the map without a lock: an entry at or below the highest
** seq a walk saw when it started is never written again but for its
** flags (one atomic word) and its object's chain head (an atomic word,
** written after the row it names), and a map read again whole is a new
** map, the old one freed when its last walk ends.  So the map a walk is
** given has every row of the walk's snapshot as the snapshot has it,
** except that it can be ahead: rows the snapshot does not have (which the
** walk does not pick, nor count among an object's versions: it knows its
** snapshot's highest seq), and flags a later version cleared (is_last,
** is_first go from 1 to 0 only, until a delete): the walk decides such a
** row's version from the versions in its snapshot.  A snapshot older
** than a delete the map has seen gets no map (its walk goes without).
*/
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "pick_int.h"
#include "../util/intern.h"

struct sq_picks {
	pthread_mutex_t lock;
	struct pick_map *map;     /* the current one, one reference held */
	int loading;              /* the store is being read whole */
	unsigned installs;        /* maps put in force so far (map_current) */
	int broken;               /* the store does not fit a map: walks go without */
	char *path;               /* the store, for the loader's own connection */
	pthread_t loader;         /* reads the store whole (loader_main) */
	int loader_joinable;
	/* Submitters and types, numbered, only ever added to (under
	** who_lock, which a whole read takes without `lock`), found by hash:
	** a store's rows name every partner that ever posted. */
	pthread_mutex_t who_lock;
	struct intern who;
	struct intern types;
};

/* Free m and all it holds (any of its arrays may be NULL). */
static void map_free(struct pick_map *m)
{
	for (size_t i = 0; i < CHUNKS; i++) {
		free(m->chunks ? m->chunks[i] : NULL);
		free(m->types ? m->types[i] : NULL);
		free(m->prevs ? m->prevs[i] : NULL);
		free(m->lists ? m->lists[i] : NULL);
		free(m->objects ? m->objects[i] : NULL);
		free(m->versions ? m->versions[i] : NULL);
	}
	for (size_t i = 0; m->heads && i < OBJ_CHUNKS; i++)
		free((void *)m->heads[i]);
	for (size_t i = 0; m->ref_blocks && i < REF_BLOCKS; i++)
		free(m->ref_blocks[i]);
	free(m->chunks);
	free(m->types);
	free(m->heads);
	free(m->prevs);
	free(m->lists);
	free(m->objects);
	free(m->versions);
	free(m->ref_blocks);
	pick_names_free(&m->objs);
	seq_lists_free(&m->seq_lists);
	free((void *)m->coll_rows);
	free(m->coll_type_rows);
	free(m);
}

static struct pick_map *map_new(int64_t deletes)
{
	struct pick_map *m = calloc(1, sizeof(*m));
	if (m && (!(m->chunks = calloc(CHUNKS, sizeof(*m->chunks))) || !(m->types = calloc(CHUNKS, sizeof(*m->types))) ||
	          !(m->coll_rows = calloc((size_t)MAX_COLL + 1, sizeof(*m->coll_rows))) ||
	          !(m->heads = calloc(OBJ_CHUNKS, sizeof(*m->heads))) || !(m->prevs = calloc(CHUNKS, sizeof(*m->prevs))) ||
	          !(m->lists = calloc(CHUNKS, sizeof(*m->lists))) || !(m->objects = calloc(CHUNKS, sizeof(*m->objects))) ||
	          !(m->versions = calloc(CHUNKS, sizeof(*m->versions))) ||
	          !(m->ref_blocks = calloc(REF_BLOCKS, sizeof(*m->ref_blocks))))) {
		map_free(m);
		m = NULL;
	}
	if (m) {
		atomic_init(&m->refs, 1);
		atomic_init(&m->max, 0);
		m->deletes = deletes;
		m->refs_used = 1;
		m->objs.last = -1;
		randombytes_buf(m->objs.hash_key, sizeof(m->objs.hash_key));
	}
	return m;
}

static void map_unref(struct pick_map *m)
{
	if (m && atomic_fetch_sub(&m->refs, 1) == 1)
		map_free(m);
}

/* The number of submitter `by`, the last one looked up kept: rows come
** in runs of one submitter.  -1 past MAX_WHO or out of memory. */
struct who_cache {
	int who;  /* -1: none kept */
	char by[128];
};

static int who_of(struct sq_picks *p, struct who_cache *wc, const char *by)
{
	if (wc->who >= 0 && strcmp(by, wc->by) == 0)
		return wc->who;
	pthread_mutex_lock(&p->who_lock);
	int who = intern_of(&p->who, by, MAX_WHO + 1);
	pthread_mutex_unlock(&p->who_lock);
	size_t len = strlen(by);
	wc->who = who >= 0 && len < sizeof(wc->by) ? who : -1;
	if (wc->who >= 0)
		memcpy(wc->by, by, len + 1);
	return who;
}

/* The number of the type of the object `id` (its type, "--", a UUID:
** stix.c checks it at ingest), the last one looked up kept: rows come in
** runs of one type.  0 when it has none (past TYPES_MAX types, out of
** memory, an id without "--"). */
struct type_cache {
	int type; /* -1: none kept */
	size_t len;
	char name[256];
};

static int type_of(struct sq_picks *p, struct type_cache *tc, const char *id)
{
	const char *dash = strstr(id, "--");
	size_t len = dash ? (size_t)(dash - id) : 0;
	if (len == 0 || len >= sizeof(tc->name))
		return 0;
	if (tc->type >= 0 && tc->len == len && memcmp(tc->name, id, len) == 0)
		return tc->type;
	memcpy(tc->name, id, len);
	tc->name[len] = '\0';
	tc->len = len;
	pthread_mutex_lock(&p->who_lock);
	int k = intern_of(&p->types, tc->name, TYPES_MAX);
	pthread_mutex_unlock(&p->who_lock);
	tc->type = k < 0 ? 0 : k + 1;
	return tc->type;
}

/* Row seq's entry (and type number) into m.  0; -1 when a value does not
** fit the map or memory runs out. */
static int map_put(struct pick_map *m, int64_t seq, int64_t coll, int64_t set, int who, int type, int first,
                   int last, int plain)
{
	if (seq < 1 || seq >= (int64_t)(CHUNKS << CHUNK_BITS) || coll < 1 || coll > MAX_COLL || set < 0 ||
	    set > MAX_SET || who < 0)
		return -1;
	if (coll < COLL_TYPES && (size_t)coll >= m->ncoll_types) {
		size_t n = m->ncoll_types ? 2 * m->ncoll_types : 8;
		while (n <= (size_t)coll)
			n *= 2;
		if (n > COLL_TYPES)
			n = COLL_TYPES;
		void *grown = realloc(m->coll_type_rows, n * sizeof(*m->coll_type_rows));
		if (!grown)
			return -1;
		m->coll_type_rows = grown;
		memset(m->coll_type_rows + m->ncoll_types, 0, (n - m->ncoll_types) * sizeof(*m->coll_type_rows));
		m->ncoll_types = n;
	}
	_Atomic uint64_t **ch = &m->chunks[seq >> CHUNK_BITS];
	unsigned char **tch = &m->types[seq >> CHUNK_BITS];
	if (!*tch && !(*tch = calloc((size_t)CHUNK, 1)))
		return -1;
	if (!*ch && !(*ch = calloc((size_t)CHUNK, sizeof(**ch))))
		return -1;
	(*tch)[seq & (CHUNK - 1)] = (unsigned char)type;
	atomic_fetch_add_explicit(&m->type_rows[type], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->coll_rows[coll], 1, memory_order_relaxed);
	if (coll < COLL_TYPES)
		m->coll_type_rows[coll][type]++;
	atomic_fetch_add_explicit(&m->rows, 1, memory_order_relaxed);
	atomic_store_explicit(&(*ch)[seq & (CHUNK - 1)],
	                      (uint64_t)coll << 48 | (uint64_t)who << 34 | (uint64_t)(first != 0) << 33 |
	                              (uint64_t)(last != 0) << 32 | (uint64_t)(plain != 0) << 31 | (uint64_t)set,
	                      memory_order_relaxed);
	return 0;
}

/* Put the rows of st (seq, coll, marking_set, posted_by, is_first,
** is_last, nreq + nopt, id, nreq, nopt, ref_list, version; any order)
** into m; with `flags_only`, only the
** flags (is_first, is_last) of entries m has.  The new max is published at
** the end (rows above the old one are unseen until then).  0; -1 when a
** value does not fit the map or memory runs out; SQLite's error code. */
static int map_fill(struct sq_picks *p, struct pick_map *m, sqlite3_stmt *st, int flags_only)
{
	int64_t max = atomic_load(&m->max);
	struct who_cache wc = {.who = -1};
	struct type_cache tc = {.type = -1};
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		int first = sqlite3_column_int(st, 4) != 0, last = sqlite3_column_int(st, 5) != 0;
		if (flags_only) {
			uint64_t e = seq >= 1 && seq <= max ? map_get(m, seq) : 0;
			if (E_COLL(e)) {
				e = (e & ~FLAGS) | (uint64_t)first << 33 | (uint64_t)last << 32;
				atomic_store_explicit(&m->chunks[seq >> CHUNK_BITS][seq & (CHUNK - 1)], e, memory_order_relaxed);
				seq_list_flags(m, seq, e);
			}
			continue;
		}
		const char *by = (const char *)sqlite3_column_text(st, 3);
		const char *id = (const char *)sqlite3_column_text(st, 7);
		int64_t coll = sqlite3_column_int64(st, 1);
		int plain = sqlite3_column_int64(st, 6) == 0;
		if (!by || !id ||
		    map_put(m, seq, coll, sqlite3_column_int64(st, 2), who_of(p, &wc, by), type_of(p, &tc, id), first,
		            last, plain) ||
		    pick_link(m, seq, coll, id, sqlite3_column_int64(st, 11)) ||
		    (!plain && pick_refs(m, seq, coll, sqlite3_column_blob(st, 10), (size_t)sqlite3_column_bytes(st, 10),
		                        sqlite3_column_int64(st, 8), sqlite3_column_int64(st, 9))))
			return -1;
		if (seq > max)
			max = seq;
	}
	if (r != SQLITE_DONE)
		return r;
	atomic_store(&m->max, max);
	return 0;
}

int sq_picks_inline = 0;
int64_t sq_pick_types_rare = 32;
int64_t sq_pick_coll_sparse = 100;

struct sq_picks *sq_picks_new(const char *path)
{
	if (sodium_init() < 0) /* the maps' hash keys (randombytes_buf) */
		return NULL;
	struct sq_picks *p = calloc(1, sizeof(*p));
	if (p && !(p->path = strdup(path))) {
		free(p);
		return NULL;
	}
	if (p && pthread_mutex_init(&p->lock, NULL)) {
		free(p->path);
		free(p);
		return NULL;
	}
	if (p && pthread_mutex_init(&p->who_lock, NULL)) {
		pthread_mutex_destroy(&p->lock);
		free(p->path);
		free(p);
		return NULL;
	}
	return p;
}

void sq_picks_wait(struct sq_picks *p)
{
	pthread_mutex_lock(&p->lock);
	int joinable = p->loader_joinable;
	p->loader_joinable = 0;
	pthread_mutex_unlock(&p->lock);
	if (joinable)
		pthread_join(p->loader, NULL);
}

void sq_picks_free(struct sq_picks *p)
{
	if (!p)
		return;
	sq_picks_wait(p);
	free(p->path);
	map_unref(p->map);
	intern_free(&p->who);
	intern_free(&p->types);
	pthread_mutex_destroy(&p->who_lock);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* The rows of st (seq, coll, marking_set, posted_by, id, nreq + nopt, version;
** ordered by coll, id, version) into m, each one's is_first and is_last
** told by its neighbours: a row is the first version of its object when
** the row before it is of another object, the last when the row after it
** is.  0; -1 when a value does not fit the map or memory runs out;
** SQLite's error code. */
static int map_fill_ordered(struct sq_picks *p, struct pick_map *m, sqlite3_stmt *st)
{
	struct who_cache wc = {.who = -1};
	struct type_cache tc = {.type = -1};
	struct row {
		int64_t seq, coll, set;
		int who, type, first, plain;
	} prev = {0};
	struct buf prev_id; /* the object of prev */
	buf_init(&prev_id, 1u << 20);
	int64_t max = 0;
	int r, have_prev = 0, failed = 0;
	while (!failed && (r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *by = (const char *)sqlite3_column_text(st, 3);
		const char *id = (const char *)sqlite3_column_text(st, 4);
		if (!id) {
			failed = 1;
			break;
		}
		struct row row = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
		                  by ? who_of(p, &wc, by) : -1, type_of(p, &tc, id), 1, sqlite3_column_int64(st, 5) == 0};
		size_t len = (size_t)sqlite3_column_bytes(st, 4);
		/* Its chain link now: only its entry waits for the next row (its
		** flags). */
		if (pick_link(m, row.seq, row.coll, id, sqlite3_column_int64(st, 6))) {
			failed = 1;
			break;
		}
		if (have_prev) {
			row.first = prev.coll != row.coll || prev_id.len != len || memcmp(prev_id.data, id, len) != 0;
			failed = map_put(m, prev.seq, prev.coll, prev.set, prev.who, prev.type, prev.first, row.first,
			                 prev.plain) != 0;
		}
		prev_id.len = 0;
		failed = failed || buf_append(&prev_id, id, len) != RELTO_OK;
		prev = row;
		have_prev = 1;
		if (row.seq > max)
			max = row.seq;
	}
	buf_free(&prev_id);
	if (failed)
		return -1;
	if (r != SQLITE_DONE)
		return r;
	if (have_prev && map_put(m, prev.seq, prev.coll, prev.set, prev.who, prev.type, prev.first, 1, prev.plain))
		return -1;
	atomic_store(&m->max, max);
	return 0;
}

/* The whole store into a new map, in db's read transaction; NULL when
** it does not fit, memory runs out or the store cannot be read.  From
** objects_visible's entries, which hold all but the flags (told by the
** order): no row is read. */
static struct pick_map *read_whole(struct sq_picks *p, sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int64_t deletes = -1;
	if (sqlite3_prepare_v2(db, "SELECT coalesce((SELECT value FROM meta WHERE key = 'deletes'), 0)", -1, &st,
	                       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		deletes = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	struct pick_map *m = deletes >= 0 ? map_new(deletes) : NULL;
	st = NULL;
	int failed = !m ||
	             sqlite3_prepare_v2(db, "SELECT seq, coll, marking_set, posted_by, id, nreq + nopt, version"
	                                    " FROM objects INDEXED BY objects_visible ORDER BY coll, id, version",
	                                -1, &st, NULL) != SQLITE_OK ||
	             map_fill_ordered(p, m, st);
	sqlite3_finalize(st);
	/* Then what the rows that refer to something refer to: from the rows
	** (one pass over the table), every object numbered by now. */
	st = NULL;
	failed = failed ||
	         sqlite3_prepare_v2(db, "SELECT seq, coll, nreq, nopt, ref_list FROM objects WHERE nreq + nopt > 0", -1,
	                            &st, NULL) != SQLITE_OK;
	int r = SQLITE_DONE;
	while (!failed && (r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		failed = seq < 1 || seq > atomic_load(&m->max) || !m->lists[seq >> CHUNK_BITS] ||
		         pick_refs(m, seq, sqlite3_column_int64(st, 1), sqlite3_column_blob(st, 4),
		                  (size_t)sqlite3_column_bytes(st, 4), sqlite3_column_int64(st, 2),
		                  sqlite3_column_int64(st, 3));
	}
	failed = failed || r != SQLITE_DONE;
	sqlite3_finalize(st);
	/* The rows by set and by submitter, in seq order. */
	failed = failed || seq_lists_add(m, 1, atomic_load(&m->max));
	if (failed) {
		map_unref(m);
		m = NULL;
	}
	return m;
}

/* Put a whole read's map in force (p locked), or, when the read failed,
** give the map up: the walks go without it from then on. */
static struct pick_map *map_install(struct sq_picks *p, struct pick_map *m)
{
	p->loading = 0;
	p->installs++;
	map_unref(p->map);
	p->map = m;
	p->broken = m == NULL;
	return m;
}

/* The loader: reads the store whole on a connection of its own, in one
** read transaction, while the walks go without the map (a million rows
** take 0.3-0.6 s, the first partner page after a start or a delete
** would have waited for them). */
static void *loader_main(void *arg)
{
	struct sq_picks *p = arg;
	sqlite3 *db = NULL;
	struct pick_map *m = NULL;
	/* Each page of objects_sets is read once: a small page cache, so that
	** the thread's memory (kept by its malloc arena) stays small. */
	if (sq_open_db(p->path, &db, NULL) == RELTO_OK && sq_exec(db, "PRAGMA cache_size=-1024", NULL) == RELTO_OK &&
	    sq_exec(db, "BEGIN", NULL) == RELTO_OK) {
		m = read_whole(p, db);
		sq_exec(db, "COMMIT", NULL);
	}
	sqlite3_close(db);
	pthread_mutex_lock(&p->lock);
	map_install(p, m);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Run one of the map's reads (binding ?1 to after) into m.  0 or not. */
static int fill_from(struct sq_conn *c, struct pick_map *m, const char *sql, int64_t after, int flags_only)
{
	sqlite3_stmt *st = NULL;
	if (sq_stmt(c, sql, &st, NULL) != RELTO_OK)
		return -1;
	sqlite3_bind_int64(st, 1, after);
	int r = map_fill(c->picks, m, st, flags_only);
	sqlite3_reset(st);
	return r;
}

/* Bring p's map up to date with c's read transaction (p locked): the rows
** above its max, and the flags of the versions of their objects that
** were stored before (a new version makes the one before it no longer the
** last); or, when the store has had deletes the map has not seen, start
** the loader, which reads the store whole into a new map (with
** sq_picks_inline, c reads it, with p unlocked meanwhile).  A map ahead of
** c's snapshot (same deletes, a higher max) serves it as it is; one that
** has seen deletes c's snapshot has not is not used.  The snapshot's
** highest seq in *snap_max (walks ignore the rows above it: the versions
** of an object a reference names are the snapshot's).  The map, or NULL:
** none yet, none for this snapshot, or none at all. */
static struct pick_map *map_update(struct sq_conn *c, int64_t *snap_max)
{
	struct sq_picks *p = c->picks;
	struct pick_map *m = p->map;
	sqlite3_stmt *st = NULL;
	int64_t max = -1, deletes = 0;
	if (sq_stmt(c, "SELECT (SELECT max(seq) FROM objects), (SELECT value FROM meta WHERE key = 'deletes')", &st,
	            NULL) == RELTO_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			max = sqlite3_column_int64(st, 0); /* 0 for an empty store */
			deletes = sqlite3_column_int64(st, 1);
		}
		sqlite3_reset(st);
	}
	if (max < 0)
		return NULL; /* the store cannot be read: the map stays as it is */
	*snap_max = max;
	if (m && m->deletes > deletes)
		return NULL; /* c's snapshot is older than a delete the map has seen */
	if (m && m->deletes == deletes) {
		int64_t old = atomic_load(&m->max);
		if (old >= max)
			return m; /* ahead of an older snapshot than the last walk's, or current */
		/* Flags first: the new rows are not visible to walks until
		** map_fill publishes the new max.  `changes` odd meanwhile
		** (sq_picks_count_listed; a seqlock's fences: the writes
		** after the first bump, the second after the writes). */
		atomic_fetch_add_explicit(&m->changes, 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		int failed = fill_from(c, m, "SELECT o.seq, NULL, NULL, NULL, o.is_first, o.is_last"
		                             " FROM objects n CROSS JOIN objects o INDEXED BY objects_visible"
		                             " WHERE n.seq > ?1 AND NOT (n.is_first AND n.is_last)"
		                             " AND o.coll = n.coll AND o.id = n.id AND o.seq <= ?1", old, 1) ||
		             fill_from(c, m, "SELECT seq, coll, marking_set, posted_by, is_first, is_last, nreq + nopt, id,"
		                             " nreq, nopt, ref_list, version FROM objects WHERE seq > ?1", old, 0) ||
		             seq_lists_add(m, old + 1, atomic_load(&m->max));
		atomic_fetch_add_explicit(&m->changes, 1, memory_order_release);
		if (!failed)
			return m;
	} else if (p->loading) {
		return NULL;
	} else if (sq_picks_inline) {
		p->loading = 1;
		pthread_mutex_unlock(&p->lock);
		struct pick_map *n = read_whole(p, c->db);
		pthread_mutex_lock(&p->lock);
		return map_install(p, n);
	} else {
		/* The loader before it is done (loading is 0): joined at once. */
		if (p->loader_joinable)
			pthread_join(p->loader, NULL);
		p->loader_joinable = 0;
		p->loading = 1;
		if (pthread_create(&p->loader, NULL, loader_main, p) == 0) {
			p->loader_joinable = 1;
			return NULL;
		}
		p->loading = 0;
	}
	/* A map that could not take the store's changes (values past its
	** range, out of memory, a store error) is not used again: the walks
	** go without it from then on. */
	map_unref(p->map);
	p->map = NULL;
	p->broken = 1;
	return NULL;
}

/* The map as up to date as c's read transaction, one reference taken, and
** the number of submitter `by` in *who (-1: it submitted nothing); NULL
** when there is none (out of memory, a store error, values past the
** map's range).  The map it gives was checked against c's snapshot (same
** `deletes`, its max at or below the snapshot's, the rows above added):
** since then it can only have moved ahead.  So a map another connection
** put in force (a whole read, whose snapshot may be older than c's) is
** checked again, as a change of c's data version is. */
static struct pick_map *map_current(struct sq_conn *c, const char *by, int *who)
{
	struct sq_picks *p = c->picks;
	unsigned dv = 0;
	if (!p || sqlite3_file_control(c->db, "main", SQLITE_FCNTL_DATA_VERSION, &dv) != SQLITE_OK)
		return NULL;
	pthread_mutex_lock(&p->lock);
	struct pick_map *m = p->broken ? NULL : p->map;
	if (!p->broken &&
	    (!m || !c->picks_seen || dv != c->picks_data_version || p->installs != c->picks_installs)) {
		m = map_update(c, &c->picks_snap_max);
		c->picks_seen = m != NULL;
		c->picks_data_version = dv;
		c->picks_installs = p->installs;
	}
	if (m)
		atomic_fetch_add(&m->refs, 1);
	pthread_mutex_unlock(&p->lock);
	if (m) {
		pthread_mutex_lock(&p->who_lock);
		*who = intern_find(&p->who, by);
		pthread_mutex_unlock(&p->who_lock);
	}
	return m;
}

/* The virtual table relto_picked(call): column seq, hidden column call
** (a pointer to struct sq_pick_call).  Rows the map decides are not
** visible, or not versions asked for, are not given (but as refuse()
** says); of the row the cursor is on, the call holds the decision
** (call->at, at_decided: 0 when the map leaves it to the filter in SQL)
** and the references the served copy leaves out (sq_picks_row). */
enum { PICK_SEQ, PICK_CALL };

struct pick_cursor {
	sqlite3_vtab_cursor base;
	struct sq_pick_call *call;
	int64_t seq;
	unsigned char mask[REF_LIST_MAX / 8]; /* call->mask */
	/* A listed walk's lists (the released sets', the partner's own),
	** each at position i of the n it may read, head its seq there
	** (INT64_MAX past its end). */
	struct listed {
		const struct seq_list *l;
		size_t i, n;
		int64_t head;
	} lists[SQ_LISTED_MAX + 1];
	size_t nlists;
};

static int pick_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                        char **err)
{
	(void)aux;
	(void)argc;
	(void)argv;
	(void)err;
	int r = sqlite3_declare_vtab(db, "CREATE TABLE x(seq INTEGER, call HIDDEN)");
	if (r != SQLITE_OK)
		return r;
	sqlite3_vtab *t = sqlite3_malloc(sizeof(*t));
	if (!t)
		return SQLITE_NOMEM;
	memset(t, 0, sizeof(*t));
	*out = t;
	return SQLITE_OK;
}

static int pick_disconnect(sqlite3_vtab *t)
{
	sqlite3_free(t);
	return SQLITE_OK;
}

static int pick_best_index(sqlite3_vtab *t, sqlite3_index_info *info)
{
	(void)t;
	int call = -1;
	for (int i = 0; i < info->nConstraint; i++)
		if (info->aConstraint[i].iColumn == PICK_CALL && info->aConstraint[i].op == SQLITE_INDEX_CONSTRAINT_EQ) {
			if (!info->aConstraint[i].usable)
				return SQLITE_CONSTRAINT;
			call = i;
		}
	if (call < 0)
		return SQLITE_CONSTRAINT; /* relto_picked() without its call */
	info->aConstraintUsage[call].argvIndex = 1;
	info->aConstraintUsage[call].omit = 1;
	info->orderByConsumed = info->nOrderBy == 1 && info->aOrderBy[0].iColumn == PICK_SEQ && !info->aOrderBy[0].desc;
	info->estimatedCost = 100;
	info->estimatedRows = 100;
	return SQLITE_OK;
}

static int pick_open(sqlite3_vtab *t, sqlite3_vtab_cursor **out)
{
	(void)t;
	struct pick_cursor *cur = sqlite3_malloc(sizeof(*cur));
	if (!cur)
		return SQLITE_NOMEM;
	memset(cur, 0, sizeof(*cur));
	*out = &cur->base;
	return SQLITE_OK;
}

static int pick_close(sqlite3_vtab_cursor *base)
{
	sqlite3_free(base);
	return SQLITE_OK;
}

void sq_picks_passed_init(struct sq_pick_passed *p)
{
	p->on = 1;
	p->broken = 0;
	p->ntouched = 0;
	memset(p->n, 0, sizeof(p->n));
}

/* One row of `set` into p (set below SQ_PASSED_SETS). */
static inline void passed_add(struct sq_pick_passed *p, int64_t set)
{
	if (p->n[set]++ == 0)
		p->touched[p->ntouched++] = (uint16_t)set;
}

/* Count entry e (its type number t; 0: none) as passed over, when it is a
** version the call asks for (sq_picks_count's test). */
static void pass_over(struct sq_pick_passed *p, uint64_t e, unsigned t, int typed, uint64_t need, int all)
{
	if (!(all || (e & need)))
		return;
	int64_t set = E_SET(e);
	if ((typed && t == 0) || set >= SQ_PASSED_SETS) {
		p->broken = 1;
		return;
	}
	passed_add(p, set);
}

/* Row seq (entry e), which the map decides is not visible: 1 when the
** walk may pass over it, counted into call->refused (if not NULL) when
** the filter in SQL would note it (query_sqlite.c's relto_withheld: a
** version asked for by the snapshot's flags); 0 when the filter must see
** it: a row the tally cannot hold, versions asked for by date, or flags
** that may be behind the snapshot's (the map's are cleared, never set,
** past it: a version the map says is asked for is one the snapshot says
** is, and when no row of its object is past the snapshot, the map's
** flags are the snapshot's). */
static int refuse(const struct sq_pick_call *call, int64_t seq, uint64_t e)
{
	struct sq_pick_passed *rf = call->refused;
	if (call->refused_defer)
		return 0;
	if (!rf)
		return 1;
	int64_t set = E_SET(e);
	if (!wanted(call->versions, e))
		return !call->by_date && call->versions != -2 &&
		       !pick_ahead(call, seq);
	if (set >= SQ_PASSED_SETS)
		return 0;
	passed_add(rf, set);
	return 1;
}

/* Row seq (entry e, type number t; 0: none), of the call's collection,
** in a released set or the partner's own, of a type asked for (or
** without a number): 1 when the walk gives it (the cursor and the call
** put on it), 0 when it passes over it.  Inlined into both walks: a call
** from the walk of every seq cost a narrow partner's page 0.4%. */
__attribute__((always_inline)) static inline int pick_take(struct pick_cursor *cur, int64_t seq, uint64_t e,
                                                           unsigned t)
{
	struct sq_pick_call *call = cur->call;
	/* The partner's own rows, and those that refer to nothing, of a
	** version asked for by their flags (most rows): visible, without the
	** call. */
	int hidden = 0;
	enum pick_decision d = (E_WHO(e) == call->who || E_PLAIN(e)) && wanted(call->versions, e)
	                               ? PICK_VISIBLE
	                               : pick_decide(call, seq, e, cur->mask, &hidden);
	/* A row without a type number under a filter by type: SQL's test of
	** its type decides whether it is counted. */
	if (d == PICK_UNWANTED || (d == PICK_REFUSED && !(call->types && t == 0) && refuse(call, seq, e)))
		return 0;
	cur->seq = seq;
	call->at = seq;
	call->at_decided = d == PICK_VISIBLE;
	call->mask = cur->mask;
	call->mask_len = 0;
	if (call->at_decided && hidden)
		call->mask_len = (pick_refs_of(call->map, seq)[0] + 7) / 8;
	return 1;
}

/* From seq on, the first row of the call's collection in a released set
** or the partner's own, of a type asked for (or without a type number) if
** types are (a chunk at a time: a partner that receives little passes
** over many); the rows passed over counted into call->passed while it is
** on. */
static void pick_seek(struct pick_cursor *cur)
{
	struct sq_pick_call *call = cur->call;
	const struct pick_map *m = call->map;
	uint64_t coll = (uint64_t)call->coll;
	const unsigned char *want = call->types;
	struct sq_pick_passed *passed = call->passed && call->passed->on ? call->passed : NULL;
	int pick = call->versions;
	uint64_t need = pick == 1 ? (uint64_t)1 << 33 : pick == 2 ? (uint64_t)1 << 32 : pick == -1 ? FLAGS : 0;
	/* In locals: the compiler reads them again after each atomic load. */
	const unsigned char *bits = call->partner.bits;
	int64_t nsets = call->partner.nsets, end = call->end;
	int who = call->who;
	int64_t seq = cur->seq;
	while (seq <= end) {
		_Atomic uint64_t *ch = m->chunks[seq >> CHUNK_BITS];
		const unsigned char *types = m->types[seq >> CHUNK_BITS];
		int64_t stop = (seq | (CHUNK - 1)) < end ? seq | (CHUNK - 1) : end;
		for (; ch && seq <= stop; seq++) {
			uint64_t e = atomic_load_explicit(&ch[seq & (CHUNK - 1)], memory_order_relaxed);
			unsigned t = want ? types[seq & (CHUNK - 1)] : 0;
			if ((t && !(want[t >> 3] >> (t & 7) & 1)) || E_COLL(e) != coll)
				continue;
			if (sq_set_released(bits, nsets, E_SET(e)) || E_WHO(e) == who) {
				if (pick_take(cur, seq, e, t))
					return;
				continue;
			}
			if (passed)
				pass_over(passed, e, t, want != NULL, need, pick == 0);
		}
		seq = stop + 1;
	}
	cur->seq = seq;
}

/* pick_seek of a listed walk: the lists merged by seq (a row in two, a
** released set's and the partner's own, given once). */
static void pick_seek_listed(struct pick_cursor *cur)
{
	struct sq_pick_call *call = cur->call;
	const struct pick_map *m = call->map;
	const unsigned char *want = call->types;
	for (;;) {
		int64_t seq = INT64_MAX;
		for (size_t k = 0; k < cur->nlists; k++)
			if (cur->lists[k].head < seq)
				seq = cur->lists[k].head;
		if (seq > call->end) {
			cur->seq = call->end + 1;
			return;
		}
		for (size_t k = 0; k < cur->nlists; k++) {
			struct listed *li = &cur->lists[k];
			if (li->head == seq)
				li->head = ++li->i < li->n ? seq_list_at(li->l, li->i) : INT64_MAX;
		}
		unsigned t = want ? m->types[seq >> CHUNK_BITS][seq & (CHUNK - 1)] : 0;
		if (t && !(want[t >> 3] >> (t & 7) & 1))
			continue;
		if (pick_take(cur, seq, map_get(m, seq), t))
			return;
	}
}

/* A listed walk's lists, read from the call's map under the picks' lock
** (which keeps its table still), each from the first row after `after`. */
static void listed_start(struct pick_cursor *cur, int64_t after)
{
	struct sq_pick_call *call = cur->call;
	const struct seq_lists *lists = &call->map->seq_lists;
	struct sq_picks *p = call->conn->picks;
	cur->nlists = 0;
	pthread_mutex_lock(&p->lock);
	for (size_t k = 0; k <= call->nlisted && k <= SQ_LISTED_MAX; k++) {
		struct listed *li = &cur->lists[cur->nlists];
		li->l = k < call->nlisted ? seq_list_find(lists, call->coll, SEQ_LIST_SET, call->listed_sets[k], &li->n)
		        : call->who >= 0 ? seq_list_find(lists, call->coll, SEQ_LIST_WHO, call->who, &li->n)
		                         : NULL;
		if (li->l)
			cur->nlists++;
	}
	pthread_mutex_unlock(&p->lock);
	for (size_t k = 0; k < cur->nlists; k++) {
		struct listed *li = &cur->lists[k];
		li->i = seq_list_lower(li->l, li->n, after + 1);
		li->head = li->i < li->n ? seq_list_at(li->l, li->i) : INT64_MAX;
	}
}

static int pick_filter(sqlite3_vtab_cursor *base, int idx, const char *idx_str, int argc, sqlite3_value **argv)
{
	(void)idx;
	(void)idx_str;
	struct pick_cursor *cur = (struct pick_cursor *)base;
	struct sq_pick_call *call = argc > 0 ? sqlite3_value_pointer(argv[0], SQ_PICK_CALL) : NULL;
	cur->call = call;
	if (!call || !call->conn) {
		base->pVtab->zErrMsg = sqlite3_mprintf("relto_picked: no call");
		return SQLITE_ERROR;
	}
	if (sq_picks_view(call)) {
		base->pVtab->zErrMsg = sqlite3_mprintf("relto_picked: the rows' map cannot be read");
		return SQLITE_ERROR;
	}
	if (call->listed && call->nlisted > SQ_LISTED_MAX) {
		base->pVtab->zErrMsg = sqlite3_mprintf("relto_picked: more sets than a listed walk merges");
		return SQLITE_ERROR;
	}
	cur->seq = call->after < 0 ? 1 : call->after + 1;
	if (call->listed) {
		listed_start(cur, cur->seq - 1);
		pick_seek_listed(cur);
	} else {
		pick_seek(cur);
	}
	return SQLITE_OK;
}

static int pick_next(sqlite3_vtab_cursor *base)
{
	struct pick_cursor *cur = (struct pick_cursor *)base;
	cur->seq++;
	if (cur->call->listed)
		pick_seek_listed(cur);
	else
		pick_seek(cur);
	return SQLITE_OK;
}

static int pick_eof(sqlite3_vtab_cursor *base)
{
	struct pick_cursor *cur = (struct pick_cursor *)base;
	return cur->seq > cur->call->end;
}

static int pick_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col)
{
	struct pick_cursor *cur = (struct pick_cursor *)base;
	if (col == PICK_SEQ)
		sqlite3_result_int64(ctx, cur->seq);
	else
		sqlite3_result_null(ctx);
	return SQLITE_OK;
}

static int pick_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid)
{
	*rowid = ((struct pick_cursor *)base)->seq;
	return SQLITE_OK;
}

static const sqlite3_module pick_module = {
	.iVersion = 0,
	.xConnect = pick_connect,
	.xBestIndex = pick_best_index,
	.xDisconnect = pick_disconnect,
	.xOpen = pick_open,
	.xClose = pick_close,
	.xFilter = pick_filter,
	.xNext = pick_next,
	.xEof = pick_eof,
	.xColumn = pick_column,
	.xRowid = pick_rowid,
};

/* relto_of_types(call, seq): 0 when row seq is, by the map, of none of
** the types call asks for; else 1 (of one, or the map cannot tell: none
** for this snapshot, seq past it, a row without a type number).  The map
** is viewed at the call's first row, inside the statement's read
** transaction (so it holds that snapshot's rows: sq_picks_view).  SQLite
** tests a term on index columns (seq, the rowid, is in every index)
** before it reads the row, so a set walk under match[type] passes over
** the rows of other types without reading them. */
static void of_types_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	struct sq_pick_call *call = sqlite3_value_pointer(argv[0], SQ_PICK_CALL);
	int64_t seq = sqlite3_value_int64(argv[1]);
	if (call && !call->viewed) {
		call->viewed = 1;
		if (!sq_pick_walks || sq_picks_view(call))
			sq_picks_done(call);
	}
	const struct pick_map *m = call ? call->map : NULL;
	const unsigned char *types = m && call->types && seq >= 1 && seq <= call->end ? m->types[seq >> CHUNK_BITS] : NULL;
	unsigned t = types ? types[seq & (CHUNK - 1)] : 0;
	sqlite3_result_int(ctx, t == 0 || (call->types[t >> 3] >> (t & 7) & 1));
}

int sq_picks_module(sqlite3 *db)
{
	int r = sqlite3_create_module(db, "relto_picked", &pick_module, NULL);
	return r != SQLITE_OK ? r
	                      : sqlite3_create_function(db, "relto_of_types", 2, SQLITE_UTF8 | SQLITE_INNOCUOUS, NULL,
	                                                of_types_fn, NULL, NULL);
}

int sq_picks_view(struct sq_pick_call *call)
{
	map_unref(call->map);
	if (!(call->map = map_current(call->conn, call->partner.originator, &call->who)))
		return -1;
	/* The map can be ahead of the snapshot; the rows past it are not the
	** walk's (picked, or as versions a reference finds). */
	call->end = atomic_load(&call->map->max);
	if (call->end > call->conn->picks_snap_max)
		call->end = call->conn->picks_snap_max;
	/* The types asked for, numbered now: a type first met in this
	** snapshot's rows has its number by now. */
	call->types = NULL;
	if (call->ntype_names) {
		struct sq_picks *p = call->conn->picks;
		memset(call->type_bits, 0, sizeof(call->type_bits));
		pthread_mutex_lock(&p->who_lock);
		for (size_t i = 0; i < call->ntype_names; i++) {
			int k = intern_find(&p->types, call->type_names[i]);
			if (k >= 0 && k < TYPES_MAX)
				call->type_bits[(k + 1) >> 3] |= (unsigned char)(1u << ((k + 1) & 7));
		}
		pthread_mutex_unlock(&p->who_lock);
		call->types = call->type_bits;
	}
	return 0;
}

void sq_picks_row(const struct sq_pick_call *call, int64_t seq, int *own, int *refers, const unsigned char **mask,
                  size_t *mask_len)
{
	uint64_t e = map_get(call->map, seq);
	*own = E_WHO(e) == call->who;
	*refers = !E_PLAIN(e);
	*mask = NULL;
	*mask_len = 0;
	if (call->at == seq && call->at_decided) {
		*mask = call->mask;
		*mask_len = call->mask_len;
	}
}

int sq_picks_coll_dense(struct sq_conn *c, int64_t coll)
{
	struct sq_picks *p = c->picks;
	if (!p || coll < 1 || coll > MAX_COLL)
		return 1; /* no map, or none for this collection: the walk finds out */
	pthread_mutex_lock(&p->lock);
	const struct pick_map *m = p->broken ? NULL : p->map;
	int dense = !m || (int64_t)atomic_load_explicit(&m->coll_rows[coll], memory_order_relaxed) * sq_pick_coll_sparse >=
	                          atomic_load_explicit(&m->rows, memory_order_relaxed);
	pthread_mutex_unlock(&p->lock);
	return dense;
}

int sq_picks_types_common(struct sq_conn *c, int64_t coll, const char *const *names, size_t n)
{
	struct sq_picks *p = c->picks;
	if (!p)
		return 0;
	/* No map yet: have it read (by the loader, while this page walks the
	** types' index), or pages under match[type] would never pick if no
	** other page had it read. */
	pthread_mutex_lock(&p->lock);
	int none = !p->map && !p->broken && !p->loading;
	pthread_mutex_unlock(&p->lock);
	int who;
	if (none)
		map_unref(map_current(c, "", &who));
	int64_t rows = 0, of = 0;
	pthread_mutex_lock(&p->lock);
	const struct pick_map *m = p->broken ? NULL : p->map;
	if (m) {
		rows = atomic_load_explicit(&m->rows, memory_order_relaxed);
		/* The collection's rows of those types (none when it has no
		** row), or, past COLL_TYPES, every collection's. */
		int by_coll = coll >= 1 && coll < COLL_TYPES;
		const uint32_t *counts = by_coll && (size_t)coll < m->ncoll_types ? m->coll_type_rows[coll] : NULL;
		pthread_mutex_lock(&p->who_lock);
		for (size_t i = 0; i < n; i++) {
			int k = intern_find(&p->types, names[i]);
			if (k < 0 || k >= TYPES_MAX)
				continue;
			of += counts ? counts[k + 1]
			              : by_coll ? 0 : atomic_load_explicit(&m->type_rows[k + 1], memory_order_relaxed);
		}
		pthread_mutex_unlock(&p->who_lock);
	}
	pthread_mutex_unlock(&p->lock);
	return rows > 0 && of * sq_pick_types_rare >= rows;
}

void sq_picks_done(struct sq_pick_call *call)
{
	map_unref(call->map);
	call->map = NULL;
}

int sq_picks_count(const struct sq_pick_call *call, int64_t after, int64_t before, int pick,
                   int (*add)(void *ctx, int64_t set, int64_t n), void *ctx)
{
	const struct pick_map *m = call->map;
	if (!m)
		return -1;
	/* Sets under LOCAL_SETS are counted here and handed on once each: a
	** call per row was most of the count's cost.  In locals, not a struct
	** sq_pick_passed (passed_add): its count of touched sets in memory
	** cost a sparse partner's empty page under match[type] 2.6%. */
	enum { LOCAL_SETS = SQ_PASSED_SETS };
	uint32_t local[LOCAL_SETS];
	uint16_t touched[LOCAL_SETS]; /* the sets counted in local, once each (the hand-on reads only them) */
	size_t ntouched = 0;
	memset(local, 0, sizeof(local));
	uint64_t coll = (uint64_t)call->coll;
	/* wanted(pick, e) as a test of e's flag bits: `need` any of them, or
	** `all`; pick -2 (none) has neither. */
	uint64_t need = pick == 1 ? (uint64_t)1 << 33 : pick == 2 ? (uint64_t)1 << 32 : pick == -1 ? FLAGS : 0;
	int all = pick == 0;
	int64_t last = before - 1 < call->end ? before - 1 : call->end;
	/* In locals: the compiler reads them again after each atomic load. */
	const unsigned char *want = call->types;
	/* keep[t]: a row of type number t may be counted (0: not numbered,
	** told apart after). */
	unsigned char keep[TYPES_MAX + 1];
	for (unsigned t = 0; want && t <= TYPES_MAX; t++)
		keep[t] = t == 0 || (want[t >> 3] >> (t & 7) & 1);
	const unsigned char *bits = call->partner.bits;
	int64_t nsets = call->partner.nsets;
	int who = call->who;
	/* A chunk at a time (a sparse partner's range spans most of a
	** collection): 17-28 instructions a row (callgrind, bench/gen's p3). */
	for (int64_t seq = after < 0 ? 1 : after + 1; seq <= last;) {
		int64_t stop = (seq | (CHUNK - 1)) < last ? seq | (CHUNK - 1) : last;
		_Atomic uint64_t *ch = m->chunks[seq >> CHUNK_BITS];
		const unsigned char *types = m->types[seq >> CHUNK_BITS];
		for (; ch && seq <= stop; seq++) {
			/* The type first: a byte, where most rows of a sparse
			** partner's range are of other types. */
			if (want && !keep[types[seq & (CHUNK - 1)]])
				continue;
			uint64_t e = atomic_load_explicit(&ch[seq & (CHUNK - 1)], memory_order_relaxed);
			if (E_COLL(e) != coll || !(all || (e & need)))
				continue;
			if (want && types[seq & (CHUNK - 1)] == 0)
				return -2;
			if (E_WHO(e) == who || sq_set_released(bits, nsets, E_SET(e)))
				continue;
			int64_t set = E_SET(e);
			if (set < LOCAL_SETS) {
				if (local[set]++ == 0)
					touched[ntouched++] = (uint16_t)set;
			} else if (add(ctx, set, 1)) {
				return -1;
			}
		}
		seq = stop + 1;
	}
	for (size_t i = 0; i < ntouched; i++)
		if (add(ctx, touched[i], local[touched[i]]))
			return -1;
	return 0;
}

int sq_picks_count_listed(const struct sq_pick_call *call, int64_t after, int64_t before, int pick,
                          int (*add)(void *ctx, int64_t set, int64_t n), void *ctx)
{
	struct pick_map *m = call->map;
	/* Under a filter by type, the rows of the range are read one by one
	** either way: a walk of the map's entries reads them in order
	** (sq_picks_count), twice as fast as through the lists. */
	if (!m || call->ntype_names)
		return -2;
	uint64_t changes = atomic_load_explicit(&m->changes, memory_order_acquire);
	if (changes & 1)
		return -2;
	int64_t last = before - 1 < call->end ? before - 1 : call->end;
	/* The collection's set lists, and the partner's own, as they are now
	** (under the lock: its table may grow meanwhile). */
	struct counted {
		const struct seq_list *l;
		size_t n;
		int64_t count;
	} *v = NULL;
	size_t nv = 0, cap = 0, own_n = 0;
	int failed = 0;
	struct sq_picks *p = call->conn->picks;
	pthread_mutex_lock(&p->lock);
	const struct seq_list *own = call->who >= 0
	                                     ? seq_list_find(&m->seq_lists, call->coll, SEQ_LIST_WHO, call->who, &own_n)
	                                     : NULL;
	size_t n;
	for (const struct seq_list *l = seq_list_sets(&m->seq_lists, call->coll, &n); l && !failed;
	     l = seq_list_next(l, &n)) {
		if (sq_set_released(call->partner.bits, call->partner.nsets, seq_list_value(l)))
			continue;
		if (nv == cap) {
			cap = cap ? 2 * cap : 64;
			struct counted *grown = realloc(v, cap * sizeof(*v));
			failed = !grown;
			if (grown)
				v = grown;
		}
		if (!failed)
			v[nv++] = (struct counted){l, n, 0};
	}
	pthread_mutex_unlock(&p->lock);
	if (failed) {
		free(v);
		return -1;
	}
	/* Each set's rows in the range, of the versions asked for, by their
	** flag bits. */
	for (size_t k = 0; k < nv; k++)
		v[k].count = (int64_t)seq_list_count(v[k].l, seq_list_lower(v[k].l, v[k].n, after + 1),
		                                     seq_list_lower(v[k].l, v[k].n, last + 1), pick);
	/* Less the partner's own rows among them (by set, under
	** SQ_PASSED_SETS: else counted otherwise). */
	struct sq_pick_passed less;
	less.ntouched = 0;
	int r = 0;
	if (own) {
		sq_picks_passed_init(&less);
		size_t i = seq_list_lower(own, own_n, after + 1), j = seq_list_lower(own, own_n, last + 1);
		for (; i < j && !r; i++) {
			uint64_t e = map_get(m, seq_list_at(own, i));
			int64_t set = E_SET(e);
			if (sq_set_released(call->partner.bits, call->partner.nsets, set) || !wanted(pick, e))
				continue;
			if (set >= SQ_PASSED_SETS) {
				r = -2;
				break;
			}
			passed_add(&less, set);
		}
	}
	/* The lists told this snapshot's flags only if the map held no row
	** past it and did not change meanwhile (the reads above before the
	** second look at `changes`). */
	atomic_thread_fence(memory_order_acquire);
	if (!r && (atomic_load_explicit(&m->changes, memory_order_relaxed) != changes ||
	           atomic_load(&m->max) > call->end))
		r = -2;
	for (size_t k = 0; k < nv && !r; k++)
		if (v[k].count && add(ctx, seq_list_value(v[k].l), v[k].count))
			r = -1;
	for (size_t k = 0; k < less.ntouched && !r; k++)
		if (add(ctx, less.touched[k], -(int64_t)less.n[less.touched[k]]))
			r = -1;
	free(v);
	return r;
}

size_t sq_picks_memory(struct sq_picks *p)
{
	pthread_mutex_lock(&p->lock);
	const struct pick_map *m = p->map;
	size_t n = 0;
	if (m) {
		/* Per chunk of rows: entry 8, type 1, prev 4, list 4, object 4,
		** version 8 bytes a row. */
		for (size_t i = 0; i < CHUNKS; i++)
			n += (m->chunks[i] ? 8 : 0) + (m->types[i] ? 1 : 0) + (m->prevs[i] ? 4 : 0) + (m->lists[i] ? 4 : 0) +
			     (m->objects[i] ? 4 : 0) + (m->versions[i] ? 8 : 0);
		n *= (size_t)CHUNK;
		for (size_t i = 0; i < OBJ_CHUNKS; i++)
			n += m->heads[i] ? (size_t)CHUNK * 4 : 0;
		for (size_t i = 0; i < REF_BLOCKS; i++)
			n += m->ref_blocks[i] ? (size_t)REF_BLOCK * 4 : 0;
		n += CHUNKS * 8 * 6 + OBJ_CHUNKS * 8 + REF_BLOCKS * 8 + ((size_t)MAX_COLL + 1) * 4 +
		     m->ncoll_types * sizeof(*m->coll_type_rows) + pick_names_memory(&m->objs) +
		     seq_lists_memory(&m->seq_lists);
	}
	pthread_mutex_unlock(&p->lock);
	return n;
}
