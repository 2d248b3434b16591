/*
** pick_int.h: the rows' map's layout, shared by pick_sqlite.c (the map's
** upkeep, the virtual table relto_picked that walks it, and the counts
** from it) and pick_refs.c (objects and references as numbers, and the
** decisions a picked walk takes from them).  Only those two include it.
*/
#ifndef RELTO_PICK_INT_H
#define RELTO_PICK_INT_H

#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include "sqlite_int.h"

/* seq s is entry s % CHUNK of chunk s / CHUNK; CHUNKS chunks: seq values
** up to 2^32 (a store past that walks without the map). */
#define CHUNK_BITS 16
#define CHUNK ((int64_t)1 << CHUNK_BITS)
#define CHUNKS ((size_t)1 << 16)

/* An entry: collection (bits 63-48, 0: no row), submitter (47-34, a
** number of struct sq_picks's who), is_first (33), is_last (32), refers
** to nothing (31: nreq + nopt is 0), marking set (30-0).  A store whose
** values do not fit walks without the map. */
#define E_COLL(e) ((e) >> 48)
#define E_WHO(e) ((int)((e) >> 34 & 0x3fff))
#define E_FIRST(e) ((int)((e) >> 33 & 1))
#define E_LAST(e) ((int)((e) >> 32 & 1))
#define E_PLAIN(e) ((int)((e) >> 31 & 1))
#define E_SET(e) ((int64_t)((e) & 0x7fffffffu))
#define MAX_COLL 0xffff
#define MAX_WHO 0x3fff
#define MAX_SET 0x7fffffff
#define FLAGS ((uint64_t)3 << 32)

/* Beside each entry, its row's type, numbered from 1 (struct sq_picks's
** types: the number is one more than the table's); 0 when the store has
** more than TYPES_MAX types, then counts under a filter by type are not
** made from the map. */
#define TYPES_MAX 255

/* Objects by (collection, id), numbered 0, 1, 2 ... as first met, found
** by hash; only whoever fills a map uses it.  Keys (obj_key) are kept end
** to end in blocks of KEY_BLOCK bytes, each after its length in 2 bytes,
** none across two blocks: a key's place is a 32-bit offset. */
#define KEY_BLOCK ((size_t)1 << 20)
#define KEY_MAX 1024
struct obj_names {
	uint32_t *slots;          /* number + 1, 0: free; open addressing */
	uint32_t *hashes;         /* each slot's hash, low 32 bits: probes compare it first */
	size_t nslots;
	uint32_t *at;             /* by number: where its key starts */
	size_t n, cap;
	unsigned char **blocks;   /* nblocks blocks of keys, the last used up to `used` */
	size_t nblocks;
	size_t used;
	/* The hash is SipHash under a key of the map's own: ids are the
	** submitters' to choose, and ids made to meet in one slot would turn
	** every lookup into a walk of the table. */
	unsigned char hash_key[crypto_shorthash_KEYBYTES];
	int last;                 /* the number last found (-1: none): a whole read meets an object's versions in a row */
};

/* pick_lists.c: the rows of each (collection, marking set) and of each
** (collection, submitter) by seq, found by key (open addressing, written
** only by whoever fills the map, read under the picks' lock); a set's
** list with its rows' is_first and is_last bits.  The lists of a
** collection's sets are chained from its SEQ_LIST_COLL entry. */
enum { SEQ_LIST_SET = 0, SEQ_LIST_WHO = 1, SEQ_LIST_COLL = 2 };
struct seq_list;
struct seq_lists {
	struct seq_list **slots;
	size_t nslots, n;
	size_t memory;            /* bytes allocated for lists (seq_lists_memory) */
};

struct pick_map {
	atomic_int refs;
	_Atomic int64_t max;      /* entries 1 .. max are set */
	int64_t deletes;          /* meta's `deletes` when it was read */
	_Atomic uint64_t **chunks; /* CHUNKS pointers, each NULL or CHUNK entries */
	unsigned char **types;    /* CHUNKS pointers, each NULL or CHUNK type numbers (set with chunks) */
	_Atomic int64_t type_rows[TYPES_MAX + 1]; /* rows put, by type number */
	_Atomic int64_t rows;     /* rows put */
	_Atomic uint32_t *coll_rows; /* MAX_COLL + 1 counts: rows put, by collection */
	/* Rows put by collection (below COLL_TYPES) and type number: what a
	** page under match[type] would pick from (sq_picks_types_common).
	** Read and grown under the picks' lock, or before the map is put in
	** force; ncoll_types collections have a row. */
	uint32_t (*coll_type_rows)[TYPES_MAX + 1];
	size_t ncoll_types;
	/* What the rows refer to, resolved to numbers, so that a walk decides
	** a row with references in C (pick_decide), as the filter in SQL
	** would by refs_sqlite.c's rule.  Objects, each (collection, id) a
	** row has or a reference names, are numbered by `objs` (written only
	** by whoever fills the map: p->lock, or before it is put in force).
	** heads[k]: the seq of the last row put of object k (0: none yet);
	** prevs[seq]: the row of seq's object put before it (0: none), so a
	** walk finds every version of an object, and skips those past its
	** snapshot.  lists[seq]: where seq's references start in ref_blocks (0:
	** it refers to nothing; LIST_UNKNOWN: the walk cannot tell, the
	** filter in SQL decides): a count, then per reference its object's
	** number times two, plus one when required.  Written before the row
	** is published (max), never after, but for heads (atomic).  A row's
	** object number and version tell the walk whether a later (earlier)
	** version of its object is visible (pick_refs.c, other_visible), as
	** sq_refs_other_visible tells the filter in SQL. */
	struct obj_names objs;
	_Atomic uint32_t **heads;  /* OBJ_CHUNKS pointers, each NULL or CHUNK heads */
	uint32_t **prevs;          /* CHUNKS pointers, set with chunks */
	uint32_t **lists;          /* CHUNKS pointers, set with chunks */
	uint32_t **objects;        /* CHUNKS pointers: the number of each row's object */
	int64_t **versions;        /* CHUNKS pointers: each row's objects.version */
	uint32_t **ref_blocks;     /* REF_BLOCKS pointers, each NULL or REF_BLOCK entries */
	uint64_t refs_used;        /* entries of refs used (from 1: 0 is "none") */
	struct seq_lists seq_lists; /* the rows 1 .. max by set and by submitter */
	/* Odd while the map's owner changes flags or adds rows, bumped before
	** and after: a count from the lists' flag bits (sq_picks_count_listed)
	** is the walk's snapshot's only when no change began or ended meanwhile
	** and the map holds no row past the snapshot. */
	_Atomic uint64_t changes;
};

/* Object numbers (2^31, a reference's entry is twice one), their heads in
** chunks of CHUNK; references in blocks of REF_BLOCK entries (a row's
** list does not straddle two: a longer one is LIST_UNKNOWN). */
#define OBJ_MAX ((size_t)1 << 31)
#define OBJ_CHUNKS (OBJ_MAX >> CHUNK_BITS)
#define REF_BLOCK ((uint64_t)1 << 16)
#define REF_BLOCKS ((size_t)1 << 16)
#define REF_LIST_MAX SQ_PICK_REFS_MAX
#define LIST_UNKNOWN UINT32_MAX

/* Collections whose rows the map counts by type; a store with more
** numbers asks the store-wide counts. */
#define COLL_TYPES 1024

/* Row seq's entry (0: none). */
static inline uint64_t map_get(const struct pick_map *m, int64_t seq)
{
	_Atomic uint64_t *ch = m->chunks[seq >> CHUNK_BITS];
	return ch ? atomic_load_explicit(&ch[seq & (CHUNK - 1)], memory_order_relaxed) : 0;
}

/* Whether entry e is of a version `pick` asks for (versions_pick in
** query_sqlite.c: 0 all, 1 first, 2 last, -1 first or last, -2 none). */
static inline int wanted(int pick, uint64_t e)
{
	return pick == 0 ? 1 : pick == 1 ? E_FIRST(e) : pick == 2 ? E_LAST(e) : pick == -1 ? E_FIRST(e) || E_LAST(e) : 0;
}

/* pick_refs.c, for whoever fills a map (p->lock, or before it is put in
** force): row seq, of object (coll, id) and that version, linked into its
** object's chain (pick_link), and its references (list, len bytes, nreq
** and nopt its counts) numbered (pick_refs: LIST_UNKNOWN when the list
** does not match its counts or is too long).  0, or -1 when out of memory
** or past the map's range.  pick_names_free frees a map's dictionary;
** pick_names_memory: the bytes it has allocated. */
int pick_link(struct pick_map *m, int64_t seq, int64_t coll, const char *id, int64_t version);
int pick_refs(struct pick_map *m, int64_t seq, int64_t coll, const void *list, size_t len, int64_t nreq,
              int64_t nopt);
void pick_names_free(struct obj_names *o);
size_t pick_names_memory(const struct obj_names *o);

/* pick_refs.c, for a walk (call->map, end and who set): row seq's
** references (a count, then the entries; NULL when the map does not hold
** them); whether a row of seq's object lies past the walk's snapshot
** (then the map's flags of its rows may be ahead of the snapshot's); and
** the decision of a picked row (entry e), with the optional references
** it hides marked in mask (bit i: the list's i-th) and *hidden set when
** any is: */
enum pick_decision {
	PICK_DEFER = -1,   /* the filter in SQL decides */
	PICK_REFUSED = 0,  /* not visible (its references fail) */
	PICK_VISIBLE = 1,  /* visible, and a version the call asks for */
	PICK_UNWANTED = 2, /* visible, not a version the call asks for */
};
const uint32_t *pick_refs_of(const struct pick_map *m, int64_t seq);
int pick_ahead(const struct sq_pick_call *call, int64_t seq);
enum pick_decision pick_decide(const struct sq_pick_call *call, int64_t seq, uint64_t e, unsigned char *mask,
                               int *hidden);

/* pick_lists.c.  For whoever fills a map: seq_lists_add puts the rows
** from .. to (in seq order, after every row listed) into their lists (0,
** -1 when out of memory); seq_list_flags puts row seq's flags (entry e)
** beside it in its set's list.  For a walk (under the picks' lock, which
** keeps the lists' table still): seq_list_find, the list of (coll, kind,
** value) (NULL: none) and its length in *n, the positions a walk may read
** without the lock after; seq_list_sets and seq_list_next, the lists of
** coll's sets one after another, each one's length in *n.  Without the
** lock: seq_list_value, a list's set (submitter); below a length so
** given: seq_list_at, the seq at a position;
** seq_list_lower, the first position whose seq is at least seq (n when
** none); seq_list_count, how many of positions i .. j-1 are of a version
** `pick` asks for (as wanted() takes it: set lists only). */
int seq_lists_add(struct pick_map *m, int64_t from, int64_t to);
void seq_list_flags(struct pick_map *m, int64_t seq, uint64_t e);
void seq_lists_free(struct seq_lists *s);
size_t seq_lists_memory(const struct seq_lists *s);
const struct seq_list *seq_list_find(const struct seq_lists *s, int64_t coll, int kind, int64_t value, size_t *n);
const struct seq_list *seq_list_sets(const struct seq_lists *s, int64_t coll, size_t *n);
const struct seq_list *seq_list_next(const struct seq_list *l, size_t *n);
int64_t seq_list_value(const struct seq_list *l);
uint32_t seq_list_at(const struct seq_list *l, size_t pos);
size_t seq_list_lower(const struct seq_list *l, size_t n, int64_t seq);
size_t seq_list_count(const struct seq_list *l, size_t i, size_t j, int pick);

#endif
