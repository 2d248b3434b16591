/*
** sqlite_int.h: what the SQLite backend's files share (store_sqlite.c for
** the schema, writes, rules and credentials; query_sqlite.c for reading
** and deleting objects, with refs_sqlite.c; trail_sqlite.c for the audit
** trail).  Only
** src/store/ includes it, and the unit tests of the checkpointer.
*/
#ifndef RELTO_SQLITE_INT_H
#define RELTO_SQLITE_INT_H

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include "store_int.h"

struct buf;

/* Prepared statements kept per connection (sq_stmt). */
#define SQ_STMT_CACHE 96

struct sq_stmt {
	char *sql;
	uint64_t hash;   /* of sql and copy: most lookups compare this only */
	int copy;        /* sq_stmt_copy */
	sqlite3_stmt *st;
	uint64_t used;   /* for LRU eviction */
};

/* counts_sqlite.c: changes to block_counts a write transaction has made
** and not yet written, sorted by key. */
struct count_delta;
struct sq_counts {
	struct count_delta *v;
	size_t n, cap;
};

struct sq_conn {
	struct store_conn base; /* first: store.c chains these */
	sqlite3 *db;
	struct sq_stmt cache[SQ_STMT_CACHE];
	uint64_t tick;
	/* store_heads: what this connection last read, and the
	** database's data_version when it read it. */
	int64_t heads_data_version;
	int heads_valid;               /* 0: read them again */
	struct store_heads heads;
	struct sq_refs *refs;          /* refs_sqlite.c */
	int count_shift;               /* block_counts's blocks: 2^shift seq values (-1: none) */
	struct sq_counts counts;       /* block_counts's pending changes */
	struct sq_picks *picks;        /* pick_sqlite.c: the store handle's map */
	unsigned picks_data_version;   /* the data version the map was last checked at */
	int picks_seen;                /* 0: check it at the next walk */
	unsigned picks_installs;       /* the map's installs when last checked */
	int64_t picks_snap_max;        /* the highest seq of the snapshot it was last checked at */
};

/* A prepared statement for sql from the connection's cache, reset and
** with its bindings cleared; the least recently used entry that is not
** being stepped makes room.  RELTO_OK; RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err sq_stmt(struct sq_conn *c, const char *sql, sqlite3_stmt **out, char *err);
/* The same with a copy number: copies of one SQL text are different
** statements, which can be stepped at the same time (a merge's walks). */
enum relto_err sq_stmt_copy(struct sq_conn *c, const char *sql, int copy, sqlite3_stmt **out, char *err);
/* Run a cached statement that binds ?1 = coll and ?2 = id and returns no
** rows.  RELTO_OK; RELTO_ESTORE (err names `what`). */
enum relto_err sq_run_coll_id(struct sq_conn *c, const char *sql, int64_t coll, const char *id,
                              const char *what, char *err);
/* End the connection's write transaction: COMMIT when rc is RELTO_OK,
** else ROLLBACK; the first failure is returned. */
enum relto_err sq_end_tx(struct sq_conn *c, enum relto_err rc, char *err);

/* query_sqlite.c: the SQL functions the visibility filter uses, made on
** each connection (SQLITE_OK or SQLite's code), and the store's object
** reads and deletes (store.h's store_query and store_delete). */
int sq_functions(sqlite3 *db);
enum relto_err sq_query(struct store_conn *base, const struct store_query *q, int with_raw,
                        store_row_fn fn, void *ctx, char *err);
enum relto_err sq_delete(struct store_conn *base, int64_t coll, const char *id,
                         const struct store_versions *v, const char *const *spec_versions,
                         size_t nspec_versions, const struct store_visibility *vis, size_t *deleted,
                         char *err);

/* refs_sqlite.c: whether an object a row refers to is visible to a
** partner (the rule of query_sqlite.c's filter), from a cache of each
** (collection, id)'s versions kept per connection until the database
** changes.  sq_refs_visible: 1, 0, or -1 when it cannot be told (out of
** memory, a store error). */
struct sq_refs;
struct sq_refs_partner {
	const unsigned char *bits; /* released marking sets: bit s for set s */
	int64_t nsets;             /* sets 0 .. nsets-1 have a bit */
	const char *originator;    /* the partner: its own objects are visible */
};
/* Is set's bit on in bits (sets 0 .. nsets-1 have one)?  The one test of
** a partner's released marking sets, wherever the SQLite backend asks. */
static inline int sq_set_released(const unsigned char *bits, int64_t nsets, int64_t set)
{
	return bits && set >= 0 && set < nsets && (bits[set / 8] >> (set % 8) & 1);
}
struct sq_refs *sq_refs_new(struct sq_conn *c);
void sq_refs_free(struct sq_refs *r);
/* Empty the cache (a delete's steps read what the one before changed,
** within one transaction). */
void sq_refs_forget(struct sq_refs *r);
/* A query begins: the cache checks the database's data version at its
** first use in it (in the query's read transaction), not at every use. */
void sq_refs_query(struct sq_refs *r);
int sq_refs_visible(struct sq_refs *r, const struct sq_refs_partner *p, int64_t coll, const char *id);
/* A row's references as objects.ref_list holds them (appended to out;
** nothing for none).  RELTO_OK; RELTO_ENOMEM, RELTO_ETOOBIG. */
enum relto_err sq_ref_list(struct buf *out, const struct store_ref *refs, size_t n);
/* The next reference of a ref_list at *p (before end): 1, with *id (in
** place, NUL-terminated) and *required (1 or 0); 0 at the end; -1 when
** the bytes are not a ref_list. */
int sq_ref_next(const unsigned char **p, const unsigned char *end, const char **id, int *required);
/* The filter's rule for a row's ref_list (len bytes): every required
** reference visible and, if it names optional ones, one of those.  1, 0,
** or -1 (as sq_refs_visible, or list is not a ref_list). */
int sq_refs_list_visible(struct sq_refs *r, const struct sq_refs_partner *p, int64_t coll, const void *list,
                         size_t len);
/* Whether a version of (coll, id) later than `version` (later = 1), or
** earlier (later = 0), is visible by the filter's rule for a row: the
** partner's own, or a released set and its ref_list passing.  1, 0, -1. */
int sq_refs_other_visible(struct sq_refs *r, const struct sq_refs_partner *p, int64_t coll, const char *id,
                          int64_t version, int later);
/* Append the JSON array of the optional references of list that are not
** visible (in their order) to out.  0, or -1. */
int sq_refs_hidden(struct sq_refs *r, const struct sq_refs_partner *p, int64_t coll, const void *list, size_t len,
                   struct buf *out);
/* Append the JSON array of the optional references of list whose place
** (from 0) is marked in mask (bit i % 8 of byte i / 8), in their order, to
** out: the hidden ones, as the rows' map decided them.  0, or -1. */
int sq_refs_marked(const void *list, size_t len, const void *mask, size_t mask_len, struct buf *out);

/* pick_sqlite.c: the map of every row's collection, submitter, flags,
** marking set, type, object, version and references by seq, one per store
** handle (sq_picks_new: NULL when out of memory), and the virtual table
** relto_picked(call) over it (sq_picks_module, on each connection:
** SQLITE_OK or SQLite's code): the seq, rising, of the rows of call->coll
** after call->after whose marking set call->partner may receive or that
** it submitted (of the types asked for), from the map brought up to date
** with call->conn's read transaction (which the walk's first step sets in
** call->map, with the snapshot's highest seq in call->end and the
** partner's submitter number in call->who), less those the map decides
** the filter in SQL would turn down (their references, or not the
** version asked for: counted into call->refused as the filter would note
** them).  query_sqlite.c (WALK_PICKED) reads only those rows.  Of the row
** the walk is on, call->at_decided says whether the map decided it (else
** the filter in SQL must check it), and sq_picks_row what it hides.
**
** sq_picks_view sets call->map, end and who as a walk's first step does
** (0), for a count without a walk; -1 when there is no map.
** sq_picks_count hands add(ctx, set, n) the count, by set, of the rows of
** call->coll with seq in (after, before) (at most call->end) that the
** walk did not pick and are not the partner's own, of the versions `pick`
** asks for (0 all, 1 first, 2 last, -1 first or last, -2 none), and with
** call->types, of the types it holds: 0, or -1 when the call has no map or
** add fails, -2 when a row in the range has no type number (the store has
** more types than the map numbers): count from the rows instead.  Under
** a filter by type (call->type_names), the walk passes over the rows of
** other types too (a row without a type number is picked: SQL's test of
** o.type decides it).  sq_picks_types_common: 1 when coll's rows of the
** types named are at least 1/sq_pick_types_rare (32; tests change it) of
** the map's rows (all collections': a picked walk passes over them all),
** so that picking them costs less than walking them by their index; 0
** when not, or there is no map yet (it then has the map read, as a
** picked walk would).  The SQL function relto_of_types(call, seq) (with the
** module) tells a set walk, from the map, which rows are not of the types
** call->type_names asks for.  sq_picks_done drops the call's map. */
struct sq_picks;
struct pick_map;
#define SQ_PICK_CALL "relto_pick_call"
/* The most references of a row the map holds (a row with more is decided
** by the filter in SQL). */
#define SQ_PICK_REFS_MAX 4096
/* The most sets a listed walk merges. */
#define SQ_LISTED_MAX 16
struct sq_pick_call {
	struct sq_conn *conn;
	int64_t coll, after;
	int versions;              /* the versions asked for, as sq_picks_count's pick */
	int by_date;               /* and versions asked for by date (the filter in SQL decides those) */
	struct sq_refs_partner partner;
	struct pick_map *map;      /* set by the walk */
	int64_t end;
	int who;
	/* A filter by type (ntype_names 0: none): sq_picks_view numbers the
	** names into type_bits and points types at them (NULL: no filter). */
	const char *const *type_names;
	size_t ntype_names;
	const unsigned char *types;
	unsigned char type_bits[32];
	int viewed;                /* relto_of_types has viewed the map */
	struct sq_pick_passed *passed; /* the walk counts what it passes over into it, or NULL */
	/* A listed walk (listed 1): the rows of the released sets
	** listed_sets (nlisted of them, distinct, at most SQ_LISTED_MAX) and
	** the partner's own, from the map's lists of rows by set and by
	** submitter (pick_lists.c), where a walk reads every seq: for a
	** partner that may receive few sets.  It passes over nothing, so
	** counts nothing into `passed` (sq_picks_count_listed counts). */
	int listed;
	const int64_t *listed_sets;
	size_t nlisted;
	/* The rows the map decides are not visible (by their references):
	** counted into refused (NULL: not counted), or, with refused_defer,
	** given to the filter in SQL. */
	struct sq_pick_passed *refused;
	int refused_defer;
	/* The row the walk is on (at: its seq), as the map decided it, and
	** the optional references it hides (bit i: the i-th of its ref_list;
	** mask_len 0: none; the walk's, valid while it is on the row).  Set
	** by the walk. */
	int64_t at;
	int at_decided;
	size_t mask_len;
	const unsigned char *mask;
};
/* The rows a picked walk passes over (in the call's collection, neither
** in a released set nor the partner's, a version and type asked for),
** counted by marking set while `on`: the page's withheld rows up to
** where the caller turns it off, at no cost but a count, where a count
** after the walk read the map or block_counts again.  broken: a row
** could not be counted here (its set at or past SQ_PASSED_SETS, or no
** type number under a filter by type). */
#define SQ_PASSED_SETS 1024
struct sq_pick_passed {
	int on, broken;
	size_t ntouched;
	uint16_t touched[SQ_PASSED_SETS]; /* the sets counted, each once, in the order met */
	uint32_t n[SQ_PASSED_SETS];
};
/* Start p: counting, nothing counted. */
void sq_picks_passed_init(struct sq_pick_passed *p);
/* Of row seq, a row the walk of call gave: whether the partner submitted
** it (1, else 0) in *own, and whether it refers to anything in *refers
** (when not, it hides no reference); when the map decided it, the mask
** of the optional references it hides (*mask_len 0: none; sq_refs_marked
** reads it), else *mask NULL: the references are to be decided
** (sq_refs_hidden). */
void sq_picks_row(const struct sq_pick_call *call, int64_t seq, int *own, int *refers, const unsigned char **mask,
                  size_t *mask_len);
/* 0: partners' pages walk the collection instead (tests compare both). */
extern int sq_pick_walks;
/* 1: a whole read of the store runs in the walk that needs it, instead of
** on the loader thread while walks go without the map (tests). */
extern int sq_picks_inline;
extern int64_t sq_pick_types_rare;
/* A collection's rows are picked from the map when they are at least
** 1/sq_pick_coll_sparse (100; tests change it) of the store's
** (sq_picks_coll_dense: 1 also when there is no map yet); else a page
** passes over the other collections' rows in seq order, ~12 instructions
** each, where reading the collection's rows by date through the SQL
** filter costs ~1k more a row than picking it (docs/BENCHMARKS.md). */
extern int64_t sq_pick_coll_sparse;
int sq_picks_coll_dense(struct sq_conn *c, int64_t coll);
/* The map of the store at path; sq_picks_wait waits for a whole read
** under way (tests; sq_picks_free does). */
struct sq_picks *sq_picks_new(const char *path);
void sq_picks_wait(struct sq_picks *p);
void sq_picks_free(struct sq_picks *p);
/* The bytes p's map in force has allocated (0: none; bench/map_read). */
size_t sq_picks_memory(struct sq_picks *p);
int sq_picks_module(sqlite3 *db);
int sq_picks_count(const struct sq_pick_call *call, int64_t after, int64_t before, int pick,
                   int (*add)(void *ctx, int64_t set, int64_t n), void *ctx);
int sq_picks_view(struct sq_pick_call *call);
/* What sq_picks_count counts (the call viewed, without a filter by type),
** from the map's lists of rows by set: two binary searches and a bit count
** a set not released, where sq_picks_count reads every row of the range.
** 0; -1 when add fails or memory runs out; -2 when the call has a filter
** by type, or the lists cannot tell this snapshot's flags (the map ahead
** of it, or changed meanwhile), or the partner has rows in a set past
** 1023: count otherwise. */
int sq_picks_count_listed(const struct sq_pick_call *call, int64_t after, int64_t before, int pick,
                          int (*add)(void *ctx, int64_t set, int64_t n), void *ctx);
int sq_picks_types_common(struct sq_conn *c, int64_t coll, const char *const *names, size_t n);
void sq_picks_done(struct sq_pick_call *call);

/* counts_sqlite.c: block_counts, the rows of each block of 2^shift seq
** values by collection, submitter and marking set (schema version 6).
** sq_counts_schema makes it (filling it from the rows when the table is
** new) in migrate's transaction; sq_counts_shift: the store's shift, or
** -1 when it has none.
**
** Every write of objects adds each row it inserts or deletes (sign +1 /
** -1, with its flags) and, for a row whose is_first or is_last changes,
** its old flags (-1) and new (+1); then, in the same transaction,
** sq_counts_flush writes the sums and empties the pending changes
** (sq_counts_reset when the transaction is rolled back).  sq_counts_row:
** 0, or -1 out of memory.  sq_counts_rows adds the rows of a statement
** returning (coll, seq, marking_set, posted_by, is_first, is_last), steps
** it to its end and resets it; *rows (if not NULL) how many.
**
** sq_counts_read calls fn for each (set, counts) of the blocks first ..
** last of coll, but those of submitter not_of (NULL: none left out); n:
** rows, first, last, first-and-last versions.  A set comes once per block
** and submitter.  RELTO_ESTORE when a list does not decode (a damaged
** store: count the rows instead), or fn's code. */
enum relto_err sq_counts_schema(sqlite3 *db, char *err);
int sq_counts_shift(sqlite3 *db);
int sq_counts_row(struct sq_counts *p, int shift, int64_t coll, int64_t seq, int64_t set, const char *posted_by,
                  int sign, int is_first, int is_last);
enum relto_err sq_counts_rows(struct sq_conn *c, sqlite3_stmt *st, int sign, size_t *rows, char *err);
enum relto_err sq_counts_flush(struct sq_conn *c, char *err);
void sq_counts_reset(struct sq_counts *p);
void sq_counts_free(struct sq_counts *p);
typedef enum relto_err (*sq_count_fn)(void *ctx, int64_t set, const int64_t n[4], char *err);
enum relto_err sq_counts_read(struct sq_conn *c, int64_t coll, int64_t first, int64_t last, const char *not_of,
                              sq_count_fn fn, void *ctx, char *err);

/* The store's checkpointer thread (store_sqlite.c): it copies the WAL
** into the database once a commit leaves it this many pages long (64 MB;
** tests lower it), and counts the checkpoints it made. */
extern int sq_checkpoint_pages;
extern atomic_ulong sq_background_checkpoints;
/* The size of block_counts's blocks a new store is made with: 2^shift
** consecutive seq values (9; tests lower it). */
extern int sq_count_block_shift;
/* Marking sets under this are tallied in an array, the others sorted
** (query_sqlite.c); tests lower it to reach the sorted path. */
extern int sq_tally_dense;

/* Open path (creating it) in WAL mode with synchronous=FULL and a busy
** timeout.  RELTO_OK and *out; RELTO_ESTORE. */
enum relto_err sq_open_db(const char *path, sqlite3 **out, char *err);
/* Run sql (several statements allowed).  RELTO_OK; RELTO_ESTORE. */
enum relto_err sq_exec(sqlite3 *db, const char *sql, char *err);
/* RELTO_ESTORE with "sqlite: what: SQLite's message". */
enum relto_err sq_err(sqlite3 *db, const char *what, char *err);

/* The audit trail of the store at path (its own file, path + ".audit"). */
enum relto_err sq_trail_open(void *state, struct store_trail **out, char *err);
/* The store's path (state is the backend's). */
const char *sq_state_path(void *state);

#endif
