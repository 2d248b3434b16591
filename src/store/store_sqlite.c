/*
** store_sqlite.c: the SQLite backend of the store interface (store.h).
**
** One database file in WAL mode with synchronous=FULL: a transaction that
** returned is on disk, so an object acknowledged in a status resource
** survives a crash or power loss.  Readers never block the writer nor
** each other.  Writers serialize with BEGIN IMMEDIATE and wait on
** busy_timeout, which also covers `relto import` running beside a server.
**
** Statements are prepared once per connection and kept in a small cache
** keyed by their SQL text; list filters (match[id], ...) are bound as one
** JSON array read with json_each(), so every list length shares a
** statement.
*/
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store_int.h"
#include "sqlite_int.h"
#include "../util/buf.h"
#include "../util/ts.h"

/* 7: every delete bumps meta's `deletes` (the rows' maps rely on it,
** pick_sqlite.c); nothing to migrate, but a relto of version 6, which
** deletes without it, no longer opens the store. */
#define SCHEMA_VERSION 7

/* The checkpointer.  SQLite copies the WAL back into the database in
** the thread of the commit that takes it past wal_autocheckpoint: that
** POST paid for writing 64 MB and fsyncing the database (its latency,
** and at a million objects a third of bench/run's ingest figure).  A
** thread of the process does it instead: each connection's WAL hook,
** called after every commit with the WAL's size in pages, wakes it past
** sq_checkpoint_pages (64 MB), and it runs a PASSIVE checkpoint on a connection of
** its own, which waits for no reader and no writer.  Should it fall
** behind, a commit past four times that checkpoints as before. */
int sq_checkpoint_pages = 16384;
atomic_ulong sq_background_checkpoints;

struct checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int due, stop;
	sqlite3 *db;
};

struct sq_state {
	char *path;
	struct checkpointer ck;
	int ck_running;
	struct sq_picks *picks;   /* pick_sqlite.c, shared by the connections */
};

static void *checkpoint_main(void *arg)
{
	struct checkpointer *ck = arg;
	pthread_mutex_lock(&ck->lock);
	while (!ck->stop) {
		if (!ck->due) {
			pthread_cond_wait(&ck->wake, &ck->lock);
			continue;
		}
		ck->due = 0;
		pthread_mutex_unlock(&ck->lock);
		/* SQLITE_BUSY (another process checkpoints) is fine: it will do. */
		if (sqlite3_wal_checkpoint_v2(ck->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) == SQLITE_OK)
			atomic_fetch_add(&sq_background_checkpoints, 1);
		pthread_mutex_lock(&ck->lock);
	}
	pthread_mutex_unlock(&ck->lock);
	return NULL;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct checkpointer *ck = arg;
	if (pages >= 4 * sq_checkpoint_pages) {
		(void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	} else if (pages >= sq_checkpoint_pages) {
		pthread_mutex_lock(&ck->lock);
		ck->due = 1;
		pthread_cond_signal(&ck->wake);
		pthread_mutex_unlock(&ck->lock);
	}
	return SQLITE_OK;
}

static enum relto_err checkpointer_start(struct sq_state *s, char *err)
{
	struct checkpointer *ck = &s->ck;
	enum relto_err rc = sq_open_db(s->path, &ck->db, err);
	if (rc)
		return rc;
	pthread_mutex_init(&ck->lock, NULL);
	pthread_cond_init(&ck->wake, NULL);
	if (pthread_create(&ck->thread, NULL, checkpoint_main, ck) != 0) {
		pthread_mutex_destroy(&ck->lock);
		pthread_cond_destroy(&ck->wake);
		sqlite3_close(ck->db);
		return relto_seterr(err, RELTO_ESTORE, "sqlite: cannot start the checkpoint thread");
	}
	s->ck_running = 1;
	return RELTO_OK;
}

static void checkpointer_stop(struct sq_state *s)
{
	struct checkpointer *ck = &s->ck;
	if (!s->ck_running)
		return;
	pthread_mutex_lock(&ck->lock);
	ck->stop = 1;
	pthread_cond_signal(&ck->wake);
	pthread_mutex_unlock(&ck->lock);
	pthread_join(ck->thread, NULL);
	pthread_mutex_destroy(&ck->lock);
	pthread_cond_destroy(&ck->wake);
	sqlite3_close(ck->db);
	s->ck_running = 0;
}


/* The schema as a new database gets it (version 6, with block_counts:
** counts_sqlite.c).
** Older databases are brought to it by upgrade_to_2() and upgrade_to_3(),
** to version 4 by the indexes it adds (objects_sets, objects_posted),
** which `CREATE INDEX IF NOT EXISTS` below makes, by upgrade_to_5(), and
** to version 6 by sq_counts_schema().
**
** Each index is written on every insert, and an index keyed by the
** object's id (random) dirties a page of its own per object: past what
** the cache holds, that page is read, written to the WAL and written
** again at the checkpoint.  So there is one: objects_visible, keyed
** (coll, id, version), which every lookup by id uses (lookups across
** collections go through the collections table).  (coll, id, version)
** is unique without an index of its own: store_put checks it
** (place_version, unversioned_exists) in its BEGIN IMMEDIATE
** transaction, which no other writer, in any process, can interleave
** with. */
static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS collections(num INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE);"
	"CREATE TABLE IF NOT EXISTS marking_sets(num INTEGER PRIMARY KEY, canon TEXT NOT NULL UNIQUE);"
	"INSERT OR IGNORE INTO marking_sets(num, canon) VALUES(0, '');"
	"CREATE TABLE IF NOT EXISTS objects("
	" seq INTEGER PRIMARY KEY,"          /* arrival order */
	" coll INTEGER NOT NULL,"
	" id TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" version INTEGER NOT NULL,"         /* µs: modified, created, or date_added */
	" version_text TEXT,"                /* NULL: unversioned (SCO) */
	" spec_version TEXT NOT NULL,"
	" date_added INTEGER NOT NULL,"      /* µs, strictly increasing */
	" marking_set INTEGER NOT NULL,"
	" created_by_ref TEXT NOT NULL,"
	" posted_by TEXT NOT NULL,"
	" is_first INTEGER NOT NULL,"        /* the earliest version of its id */
	" is_last INTEGER NOT NULL,"         /* the latest version of its id */
	" nreq INTEGER NOT NULL,"            /* its required references (in ref_list) */
	" nopt INTEGER NOT NULL,"            /* its optional references */
	/* What it refers to (refs_sqlite.c: sq_ref_list), NULL for nothing:
	** read with the row by the visibility filter (upgrade_to_5). */
	" ref_list BLOB,"
	/* Its entry in a released list (audit/entry.h), made at ingest; before
	** raw, so that reading it does not walk raw's overflow pages (version
	** 1 databases have it last: upgrade_to_2). */
	" entry BLOB NOT NULL,"
	" raw BLOB NOT NULL);"
	"CREATE INDEX IF NOT EXISTS objects_added ON objects(coll, date_added);"
	"CREATE INDEX IF NOT EXISTS objects_type ON objects(coll, type, date_added);"
	/* The walks of a partner that may receive few marking sets: each
	** released set by date, and its own rows (query_sqlite.c); the rows of
	** the other sets are counted for the audit trail from block_counts (and
	** from objects_sets's entries alone under a filter by type). */
	"CREATE INDEX IF NOT EXISTS objects_sets ON objects(coll, marking_set, date_added, posted_by, is_last, is_first);"
	"CREATE INDEX IF NOT EXISTS objects_posted ON objects(coll, posted_by, date_added);"
	/* Finds every row by (coll, id, version), and covers "is some
	** version of this id visible" without reading rows. */
	"CREATE INDEX IF NOT EXISTS objects_visible ON objects(coll, id, version, marking_set, posted_by, nreq, nopt);"
	/* The impact report's grouped count, read from the index alone. */
	"CREATE INDEX IF NOT EXISTS objects_latest_sets ON objects(coll, marking_set, posted_by) WHERE is_last;"
	"CREATE TABLE IF NOT EXISTS rules(kind TEXT NOT NULL, version INTEGER NOT NULL,"
	" author TEXT NOT NULL, at INTEGER NOT NULL, reason TEXT NOT NULL, body TEXT NOT NULL,"
	" PRIMARY KEY(kind, version)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS credentials(id TEXT PRIMARY KEY, partner TEXT NOT NULL, kind TEXT NOT NULL,"
	" hash TEXT NOT NULL, note TEXT NOT NULL, created INTEGER NOT NULL, revoked INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS status(id TEXT PRIMARY KEY, partner TEXT NOT NULL,"
	" created INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS status_created ON status(created);";

enum relto_err sq_err(sqlite3 *db, const char *what, char *err)
{
	return relto_seterr(err, RELTO_ESTORE, "sqlite: %s: %s", what, db ? sqlite3_errmsg(db) : "no database");
}

enum relto_err sq_exec(sqlite3 *db, const char *sql, char *err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		relto_seterr(err, RELTO_ESTORE, "sqlite: %s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return RELTO_ESTORE;
	}
	return RELTO_OK;
}

/* End the write transaction the caller began: commit if rc is RELTO_OK,
** else roll back and keep rc. */
enum relto_err sq_end_tx(struct sq_conn *c, enum relto_err rc, char *err)
{
	if (!rc)
		return sq_exec(c->db, "COMMIT", err);
	sq_exec(c->db, "ROLLBACK", NULL);
	return rc;
}

enum relto_err sq_open_db(const char *path, sqlite3 **out, char *err)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		enum relto_err rc = relto_seterr(err, RELTO_ESTORE, "sqlite: cannot open '%s': %s", path,
		                                 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, 10000);
	/* A checkpoint every 64 MB of WAL rather than SQLite's 4 MB: each
	** one writes every page the WAL holds and fsyncs the database, and a
	** POST of 1,000 objects fills 4 MB alone; pages written again
	** between checkpoints (the ends of the date-ordered indexes, the
	** table's last pages) are then written to the database once.  At a
	** million objects: 7,600-9,200 objects/s through POST before,
	** 23,500-24,100 after (with the index change of schema version 3;
	** docs/BENCHMARKS.md).  The store's own connections leave it to the
	** checkpointer thread (below).
	**
	** journal_mode=WAL answers SQLITE_BUSY at once, without the busy
	** handler, while another process makes the same new database a WAL
	** one: tried again, every 10 ms for as long as the busy timeout would
	** wait (two servers started at once on a store whose audit trail did
	** not exist yet: one stopped with "database is locked", 2 starts in
	** 29; open_test.c's test_first_opens_race). */
	enum relto_err rc;
	for (int waited = 0;; waited += 10) {
		rc = sq_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		                 "PRAGMA foreign_keys=OFF; PRAGMA cache_size=-16000;"
		                 "PRAGMA mmap_size=268435456; PRAGMA wal_autocheckpoint=16384;", err);
		if (!rc || sqlite3_errcode(db) != SQLITE_BUSY || waited >= 10000)
			break;
		sqlite3_sleep(10);
	}
	if (rc) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return RELTO_OK;
}

/* Version 1 to 2: every row gets its entry (audit/entry.h).  ALTER TABLE
** adds the column last, after raw (a new database has it before); the
** rows are read and written a thousand at a time, by seq. */
static enum relto_err upgrade_to_2(sqlite3 *db, char *err)
{
	enum relto_err rc = sq_exec(db, "ALTER TABLE objects ADD COLUMN entry BLOB", err);
	sqlite3_stmt *get = NULL, *put = NULL;
	if (!rc && (sqlite3_prepare_v2(db, "SELECT seq, id, version_text, version FROM objects WHERE seq > ?1"
	                                   " ORDER BY seq LIMIT 1000", -1, &get, NULL) ||
	            sqlite3_prepare_v2(db, "UPDATE objects SET entry = ?2 WHERE seq = ?1", -1, &put, NULL)))
		rc = sq_err(db, "schema version 2", err);
	struct buf entries;
	buf_init(&entries, (size_t)1 << 30);
	int64_t seqs[1000], after = 0;
	size_t n = 1;
	while (!rc && n) {
		/* A batch read, then written: no update under an open scan. */
		size_t offsets[1001];
		n = 0;
		buf_reset(&entries);
		sqlite3_bind_int64(get, 1, after);
		int r = SQLITE_DONE;
		while (!rc && (r = sqlite3_step(get)) == SQLITE_ROW) {
			seqs[n] = sqlite3_column_int64(get, 0);
			offsets[n] = entries.len;
			rc = store__entry(&entries, (const char *)sqlite3_column_text(get, 1),
			                  (const char *)sqlite3_column_text(get, 2), sqlite3_column_int64(get, 3));
			n++;
		}
		if (!rc && r != SQLITE_DONE)
			rc = sq_err(db, "schema version 2", err);
		sqlite3_reset(get);
		offsets[n] = entries.len;
		for (size_t i = 0; !rc && i < n; i++) {
			sqlite3_bind_int64(put, 1, seqs[i]);
			sqlite3_bind_blob(put, 2, entries.data + offsets[i], (int)(offsets[i + 1] - offsets[i]), SQLITE_STATIC);
			if (sqlite3_step(put) != SQLITE_DONE)
				rc = sq_err(db, "schema version 2", err);
			sqlite3_reset(put);
		}
		if (n)
			after = seqs[n - 1];
	}
	buf_free(&entries);
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	return rc;
}

/* Version 2 to 3: the indexes on (coll, id, version) and on id go; every
** lookup uses objects_visible (see schema). */
static enum relto_err upgrade_to_3(sqlite3 *db, char *err)
{
	return sq_exec(db, "DROP INDEX IF EXISTS objects_version; DROP INDEX IF EXISTS objects_id;", err);
}

/* Version 4 to 5: what a row refers to moves from the refs table (a row
** per reference, keyed by seq) into the row (objects.ref_list), which
** the filter reads with the row instead of probing refs_seq for it.
** ALTER TABLE adds the column last, after raw: a row whose raw overflows
** its page reads the overflow to get there (a new database has it
** before). */
static enum relto_err upgrade_to_5(sqlite3 *db, char *err)
{
	sqlite3_stmt *get = NULL, *put = NULL;
	int has_refs = 0, has_column = 0;
	if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'refs'),"
	                           " (SELECT count(*) FROM pragma_table_info('objects') WHERE name = 'ref_list')",
	                       -1, &get, NULL) != SQLITE_OK || sqlite3_step(get) != SQLITE_ROW) {
		sqlite3_finalize(get);
		return sq_err(db, "schema version 5", err);
	}
	has_refs = sqlite3_column_int(get, 0);
	has_column = sqlite3_column_int(get, 1);
	sqlite3_finalize(get);
	get = NULL;
	enum relto_err rc = has_column ? RELTO_OK : sq_exec(db, "ALTER TABLE objects ADD COLUMN ref_list BLOB", err);
	if (rc || !has_refs)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT seq, ref, required FROM refs ORDER BY seq, rowid", -1, &get, NULL) ||
	    sqlite3_prepare_v2(db, "UPDATE objects SET ref_list = ?2 WHERE seq = ?1", -1, &put, NULL))
		rc = sq_err(db, "schema version 5", err);
	/* A row's references are consecutive: write each row's list when the
	** next row's begin (objects is not the table being read). */
	struct buf list;
	buf_init(&list, (size_t)1 << 30);
	int64_t seq = -1;
	int r = SQLITE_DONE;
	while (!rc) {
		r = sqlite3_step(get);
		int64_t next = r == SQLITE_ROW ? sqlite3_column_int64(get, 0) : -1;
		if (seq >= 0 && next != seq) {
			sqlite3_bind_int64(put, 1, seq);
			sqlite3_bind_blob(put, 2, list.data, (int)list.len, SQLITE_STATIC);
			if (sqlite3_step(put) != SQLITE_DONE)
				rc = sq_err(db, "schema version 5", err);
			sqlite3_reset(put);
			buf_reset(&list);
		}
		if (r != SQLITE_ROW)
			break;
		seq = next;
		const char *ref = (const char *)sqlite3_column_text(get, 1);
		struct store_ref one = {ref ? ref : "", sqlite3_column_int(get, 2)};
		if (!rc && sq_ref_list(&list, &one, 1))
			rc = relto_seterr(err, RELTO_ENOMEM, "schema version 5: out of memory");
	}
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(db, "schema version 5", err);
	buf_free(&list);
	sqlite3_finalize(get);
	sqlite3_finalize(put);
	return rc ? rc : sq_exec(db, "DROP TABLE refs", err);
}

/* The schema is current: version SCHEMA_VERSION, each table and index
** schema[] names ("IF NOT EXISTS name"), block_counts with its block
** size, and marking set 0.  Read without the write lock (a WAL reader
** waits for no writer), so that opening a current store, which every
** server start and CLI command does, never waits behind another
** process's write transaction for a migration with nothing to do: past
** SQLite's busy timeout that wait ended in "database is locked". */
static int schema_current(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int current = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	if (!current)
		return 0;
	current = sqlite3_prepare_v2(db, "SELECT (SELECT value FROM meta WHERE key = 'schema_version'),"
	                                 " (SELECT value FROM meta WHERE key = 'count_block_shift'),"
	                                 " (SELECT count(*) FROM marking_sets WHERE num = 0 AND canon = '')",
	                             -1, &st, NULL) == SQLITE_OK &&
	          sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER &&
	          sqlite3_column_int64(st, 0) == SCHEMA_VERSION && sqlite3_column_type(st, 1) == SQLITE_INTEGER &&
	          sqlite3_column_int64(st, 1) >= 0 && sqlite3_column_int64(st, 1) <= 30 &&
	          sqlite3_column_int(st, 2) == 1;
	sqlite3_finalize(st);
	st = NULL;
	if (current && sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_schema WHERE name = ?1", -1, &st, NULL))
		current = 0;
	static const char mark[] = "IF NOT EXISTS ";
	for (const char *p = schema; current && (p = strstr(p, mark)); ) {
		p += sizeof(mark) - 1;
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_0123456789");
		sqlite3_reset(st);
		current = sqlite3_bind_text(st, 1, p, (int)n, SQLITE_STATIC) == SQLITE_OK &&
		          sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
	}
	if (current) {
		sqlite3_reset(st);
		current = sqlite3_bind_text(st, 1, "block_counts", -1, SQLITE_STATIC) == SQLITE_OK &&
		          sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
	}
	sqlite3_finalize(st);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return current;
}

/* Create the schema of a new database, or bring an older one to
** SCHEMA_VERSION, in one transaction; refuse a newer one.  Nothing to
** do (schema_current) takes no write lock. */
static enum relto_err migrate(sqlite3 *db, char *err)
{
	if (schema_current(db))
		return RELTO_OK;
	enum relto_err rc = sq_exec(db, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	rc = sq_exec(db, "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;", err);
	sqlite3_stmt *st = NULL;
	int version = 0; /* 0: a new database */
	if (!rc && sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='schema_version'", -1, &st, NULL))
		rc = sq_err(db, "schema version", err);
	if (!rc && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (!rc && version > SCHEMA_VERSION)
		rc = relto_seterr(err, RELTO_ESTORE, "sqlite: the database has schema version %d, newer than this relto (%d)",
		                  version, SCHEMA_VERSION);
	/* Every table and index IF NOT EXISTS: also what a database made by
	** an earlier relto of the same version may lack. */
	if (!rc)
		rc = sq_exec(db, schema, err);
	if (!rc && version == 1)
		rc = upgrade_to_2(db, err);
	if (!rc && version >= 1 && version < 3)
		rc = upgrade_to_3(db, err);
	if (!rc && version >= 1 && version < 5)
		rc = upgrade_to_5(db, err);
	if (!rc)
		rc = sq_counts_schema(db, err);
	if (!rc && version < SCHEMA_VERSION) {
		char sql[128];
		snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', %d)",
		         SCHEMA_VERSION);
		rc = sq_exec(db, sql, err);
	}
	if (rc) {
		sq_exec(db, "ROLLBACK", NULL);
		return rc;
	}
	return sq_exec(db, "COMMIT", err);
}

static enum relto_err sq_open(const char *target, void **state, char *err)
{
	if (!*target)
		return relto_seterr(err, RELTO_ESTORE, "sqlite: empty database path");
	/* Memory statistics put a global mutex on every allocation SQLite
	** makes; relto never reads them.  (Harmless no-op if SQLite was
	** already initialized, e.g. by a second store in the same process.) */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3 *db = NULL;
	enum relto_err rc = sq_open_db(target, &db, err);
	if (!rc)
		rc = migrate(db, err);
	sqlite3_close(db);
	if (rc)
		return rc;
	struct sq_state *s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(target)) || !(s->picks = sq_picks_new(target))) {
		if (s)
			free(s->path);
		free(s);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	if ((rc = checkpointer_start(s, err))) {
		sq_picks_free(s->picks);
		free(s->path);
		free(s);
		return rc;
	}
	*state = s;
	return RELTO_OK;
}

const char *sq_state_path(void *state)
{
	return ((struct sq_state *)state)->path;
}

static void sq_close(void *state)
{
	struct sq_state *s = state;
	if (s) {
		checkpointer_stop(s);
		sq_picks_free(s->picks);
		free(s->path);
	}
	free(s);
}


static enum relto_err sq_conn_open(void *state, struct store_conn **out, char *err)
{
	struct sq_state *s = state;
	struct sq_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	enum relto_err rc = sq_open_db(s->path, &c->db, err);
	if (rc) {
		free(c);
		return rc;
	}
	if (sq_functions(c->db) != SQLITE_OK || sq_picks_module(c->db) != SQLITE_OK) {
		rc = sq_err(c->db, "function", err);
		sqlite3_close(c->db);
		free(c);
		return rc;
	}
	sqlite3_wal_hook(c->db, wal_hook, &s->ck); /* in place of wal_autocheckpoint */
	c->count_shift = sq_counts_shift(c->db);
	c->picks = s->picks;
	if (!(c->refs = sq_refs_new(c))) {
		sqlite3_close(c->db);
		free(c);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	*out = &c->base;
	return RELTO_OK;
}

static void sq_conn_close(struct store_conn *base)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sq_refs_free(c->refs);
	sq_counts_free(&c->counts);
	for (int i = 0; i < SQ_STMT_CACHE; i++) {
		sqlite3_finalize(c->cache[i].st);
		free(c->cache[i].sql);
	}
	sqlite3_close(c->db);
	free(c);
}

/* A hash of a statement's text, eight bytes at a time: the cache
** compares texts (several KB, with long common prefixes) only when
** hashes match. */
static uint64_t sql_hash(const char *sql)
{
	size_t len = strlen(sql), i = 0;
	uint64_t h = (uint64_t)len * 0x9e3779b97f4a7c15u;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, sql + i, 8);
		h = (h ^ w) * 0x100000001b3u;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char)sql[i]) * 0x100000001b3u;
	return h;
}

enum relto_err sq_stmt(struct sq_conn *c, const char *sql, sqlite3_stmt **out, char *err)
{
	return sq_stmt_copy(c, sql, 0, out, err);
}

enum relto_err sq_stmt_copy(struct sq_conn *c, const char *sql, int copy, sqlite3_stmt **out, char *err)
{
	uint64_t hash = sql_hash(sql) + (uint64_t)copy;
	int victim = -1;
	for (int i = 0; i < SQ_STMT_CACHE; i++) {
		struct sq_stmt *e = &c->cache[i];
		if (e->sql && e->hash == hash && e->copy == copy && strcmp(e->sql, sql) == 0) {
			e->used = ++c->tick;
			sqlite3_reset(e->st);
			sqlite3_clear_bindings(e->st);
			*out = e->st;
			return RELTO_OK;
		}
		/* A statement being stepped (one of a merge's walks) stays. */
		if ((victim < 0 || e->used < c->cache[victim].used) && !(e->st && sqlite3_stmt_busy(e->st)))
			victim = i;
	}
	if (victim < 0)
		return relto_seterr(err, RELTO_ESTORE, "sqlite: every cached statement is in use");
	struct sq_stmt *e = &c->cache[victim];
	sqlite3_finalize(e->st);
	free(e->sql);
	e->st = NULL;
	e->sql = NULL;
	e->used = 0;
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &e->st, NULL) != SQLITE_OK)
		return sq_err(c->db, "prepare", err);
	if (!(e->sql = strdup(sql))) {
		sqlite3_finalize(e->st);
		e->st = NULL;
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	e->hash = hash;
	e->copy = copy;
	e->used = ++c->tick;
	*out = e->st;
	return RELTO_OK;
}

enum relto_err sq_run_coll_id(struct sq_conn *c, const char *sql, int64_t coll, const char *id,
                                  const char *what, char *err)
{
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, sql, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? RELTO_OK : sq_err(c->db, what, err);
}

/* Read what SELECT sql (one text parameter) finds: a secret's bytes
** (secret != NULL) or an integer (*num).  *found: 0 for no row. */
static enum relto_err read_one(struct sq_conn *c, const char *sql, const char *param, unsigned char *secret,
                               int64_t *num, int *found, const char *what, char *err)
{
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, sql, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(st);
	*found = r == SQLITE_ROW;
	if (r == SQLITE_ROW && secret && sqlite3_column_bytes(st, 0) == STORE_SECRET_LEN)
		memcpy(secret, sqlite3_column_blob(st, 0), STORE_SECRET_LEN);
	else if (r == SQLITE_ROW && !secret)
		*num = sqlite3_column_int64(st, 0);
	else if (r == SQLITE_ROW)
		rc = relto_seterr(err, RELTO_ESTORE, "sqlite: %s: the stored value has the wrong size", what);
	else if (r != SQLITE_DONE)
		rc = sq_err(c->db, what, err);
	sqlite3_reset(st);
	return rc;
}

/* Run INSERT OR IGNORE sql with a text ?1 and, if blob, a blob ?2. */
static enum relto_err insert_absent(struct sq_conn *c, const char *sql, const char *param, const void *blob,
                                    int blob_len, const char *what, char *err)
{
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, sql, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
	if (blob)
		sqlite3_bind_blob(st, 2, blob, blob_len, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_err(c->db, what, err);
	sqlite3_reset(st);
	return rc;
}

/* Secrets and collections are read first and inserted only when absent
** (INSERT OR IGNORE, then read again: two processes racing agree on the
** winner): every start reads them, and a read takes no write lock, so a
** start never waits behind another process's write transaction. */
static enum relto_err sq_secret(struct store_conn *base, const char *name,
                                unsigned char out[STORE_SECRET_LEN], char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	static const char get[] = "SELECT value FROM meta WHERE key = ?1";
	char key[96];
	snprintf(key, sizeof(key), "secret:%s", name);
	int found = 0;
	enum relto_err rc = read_one(c, get, key, out, NULL, &found, "secret", err);
	if (rc || found)
		return rc;
	unsigned char fresh[STORE_SECRET_LEN];
	randombytes_buf(fresh, sizeof(fresh));
	rc = insert_absent(c, "INSERT OR IGNORE INTO meta(key, value) VALUES(?1, ?2)", key, fresh, sizeof(fresh),
	                   "secret", err);
	sodium_memzero(fresh, sizeof(fresh));
	if (!rc)
		rc = read_one(c, get, key, out, NULL, &found, "secret", err);
	return rc || found ? rc : relto_seterr(err, RELTO_ESTORE, "sqlite: secret: not stored");
}

static enum relto_err sq_collection(struct store_conn *base, const char *uuid, int64_t *out, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	static const char get[] = "SELECT num FROM collections WHERE uuid = lower(?1)";
	int found = 0;
	enum relto_err rc = read_one(c, get, uuid, NULL, out, &found, "collection", err);
	if (rc || found)
		return rc;
	rc = insert_absent(c, "INSERT OR IGNORE INTO collections(uuid) VALUES(lower(?1))", uuid, NULL, 0, "collection",
	                   err);
	if (!rc)
		rc = read_one(c, get, uuid, NULL, out, &found, "collection", err);
	return rc || found ? rc : relto_seterr(err, RELTO_ESTORE, "sqlite: collection: not stored");
}

/* The interned number of a canonical marking set, adding it if new. */
static enum relto_err intern_marking(struct sq_conn *c, const char *canon, int64_t *out, char *err)
{
	if (!canon || !*canon) {
		*out = 0;
		return RELTO_OK;
	}
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "INSERT OR IGNORE INTO marking_sets(canon) VALUES(?1)", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return sq_err(c->db, "marking set", err);
	if ((rc = sq_stmt(c, "SELECT num FROM marking_sets WHERE canon = ?1", &st, err)))
		return rc;
	sqlite3_bind_text(st, 1, canon, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = sq_err(c->db, "marking set", err);
	sqlite3_reset(st);
	return rc;
}

/* Within the write transaction: the first date_added for this batch,
** strictly after every earlier one even if the clock stepped back. */
static enum relto_err next_date_added(struct sq_conn *c, size_t n, int64_t *first, char *err)
{
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT value FROM meta WHERE key = 'last_date_added'", &st, err);
	if (rc)
		return rc;
	int64_t last = INT64_MIN, now = ts_now();
	if (sqlite3_step(st) == SQLITE_ROW)
		last = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	*first = now > last ? now : last + 1;
	if ((rc = sq_stmt(c, "INSERT OR REPLACE INTO meta(key, value) VALUES('last_date_added', ?1)", &st, err)))
		return rc;
	sqlite3_bind_int64(st, 1, *first + (int64_t)n - 1);
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? RELTO_OK : sq_err(c->db, "date_added", err);
}

/* Is an unversioned object (an SCO) with this id already stored? */
static enum relto_err unversioned_exists(struct sq_conn *c, int64_t coll, const char *id, int *yes, char *err)
{
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT 1 FROM objects WHERE coll = ?1 AND id = ?2 LIMIT 1", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	*yes = r == SQLITE_ROW;
	sqlite3_reset(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? RELTO_OK : sq_err(c->db, "lookup", err);
}

/* Clear is_first (which 0) or is_last (1) of the version of id that has
** it, and move that row's count in block_counts. */
static enum relto_err clear_flag(struct sq_conn *c, int64_t coll, const char *id, int which, char *err)
{
	static const char *const sql[2] = {
		"UPDATE objects SET is_first = 0 WHERE coll = ?1 AND id = ?2 AND is_first"
		" RETURNING coll, seq, marking_set, posted_by, 1, is_last",
		"UPDATE objects SET is_last = 0 WHERE coll = ?1 AND id = ?2 AND is_last"
		" RETURNING coll, seq, marking_set, posted_by, is_first, 1"};
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, sql[which], &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	int r;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		/* RETURNING gives the flag as it was (the literal 1) and the
		** other as it is: out goes the row as it was, in as it is. */
		int64_t seq = sqlite3_column_int64(st, 1), set = sqlite3_column_int64(st, 2);
		const char *who = (const char *)sqlite3_column_text(st, 3);
		int first = sqlite3_column_int(st, 4), last = sqlite3_column_int(st, 5);
		if (sq_counts_row(&c->counts, c->count_shift, coll, seq, set, who ? who : "", -1, first, last) ||
		    sq_counts_row(&c->counts, c->count_shift, coll, seq, set, who ? who : "", 1, which ? first : 0,
		                  which ? 0 : last))
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(c->db, "versions", err);
	sqlite3_reset(st);
	return rc;
}

/* Where does a new version of id fall among the stored ones?  Sets
** *is_first / *is_last for the new row and clears the flag of the row it
** displaces; *dup when this very version is stored already. */
static enum relto_err place_version(struct sq_conn *c, int64_t coll, const char *id, int64_t version,
                                    int *is_first, int *is_last, int *dup, char *err)
{
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT min(version), max(version), count(*),"
	                            " sum(version = ?3) FROM objects WHERE coll = ?1 AND id = ?2", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, version);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return sq_err(c->db, "versions", err);
	}
	int64_t lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1);
	int64_t n = sqlite3_column_int64(st, 2), same = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	*dup = same > 0;
	if (n == 0 || *dup)
		return RELTO_OK;
	*is_first = version < lo;
	*is_last = version > hi;
	if (*is_first || *is_last)
		return clear_flag(c, coll, id, *is_first ? 0 : 1, err);
	return RELTO_OK;
}

static enum relto_err insert_one(struct sq_conn *c, int64_t coll, const char *posted_by,
                                 const struct store_new *o, int64_t date_added,
                                 int64_t *last_set_num, const char **last_set,
                                 enum store_put_result *result, char *err)
{
	enum relto_err rc = RELTO_OK;
	if (!o->has_version) {
		int dup = 0;
		if ((rc = unversioned_exists(c, coll, o->id, &dup, err)))
			return rc;
		if (dup) {
			*result = STORE_DUPLICATE;
			return RELTO_OK;
		}
	}
	/* Consecutive objects usually share markings: skip the lookup then. */
	if (!*last_set || strcmp(*last_set, o->marking_canon) != 0) {
		if ((rc = intern_marking(c, o->marking_canon, last_set_num, err)))
			return rc;
		*last_set = o->marking_canon;
	}
	int64_t version = o->has_version ? o->version : date_added;
	int is_first = 1, is_last = 1, dup = 0;
	if ((rc = place_version(c, coll, o->id, version, &is_first, &is_last, &dup, err)))
		return rc;
	if (dup) {
		*result = STORE_DUPLICATE;
		return RELTO_OK;
	}
	sqlite3_stmt *st;
	struct buf entry, refs;
	buf_init(&entry, (size_t)1 << 20);
	buf_init(&refs, (size_t)1 << 30);
	if (store__entry(&entry, o->id, o->has_version ? o->version_text : NULL, version))
		rc = relto_seterr(err, RELTO_ETOOBIG, "object %s: its audit entry is too long", o->id);
	if (!rc && sq_ref_list(&refs, o->refs, o->nrefs))
		rc = relto_seterr(err, RELTO_ENOMEM, "object %s: out of memory for its references", o->id);
	if (!rc)
		rc = sq_stmt(c, "INSERT INTO objects(coll, id, type, version, version_text, spec_version,"
		             " date_added, marking_set, created_by_ref, posted_by, is_first, is_last, nreq, nopt, entry, raw,"
		             " ref_list) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12, ?13, ?14, ?15, ?16, ?11, ?17)",
		             &st, err);
	if (rc) {
		buf_free(&entry);
		buf_free(&refs);
		return rc;
	}
	sqlite3_bind_int64(st, 1, coll);
	sqlite3_bind_text(st, 2, o->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, o->type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, version);
	if (o->has_version)
		sqlite3_bind_text(st, 5, o->version_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, o->spec_version, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, date_added);
	sqlite3_bind_int64(st, 8, *last_set_num);
	sqlite3_bind_text(st, 9, o->created_by_ref ? o->created_by_ref : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, posted_by, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, o->raw, (int)o->raw_len, SQLITE_STATIC);
	sqlite3_bind_int(st, 12, is_first);
	sqlite3_bind_int(st, 13, is_last);
	int nreq = 0;
	for (size_t i = 0; i < o->nrefs; i++)
		nreq += o->refs[i].required != 0;
	sqlite3_bind_int(st, 14, nreq);
	sqlite3_bind_int(st, 15, (int)o->nrefs - nreq);
	sqlite3_bind_blob(st, 16, entry.data, (int)entry.len, SQLITE_STATIC);
	if (refs.len)
		sqlite3_bind_blob(st, 17, refs.data, (int)refs.len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 17);
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	buf_free(&entry);
	buf_free(&refs);
	if (r != SQLITE_DONE)
		return sq_err(c->db, "insert", err);
	if (sq_counts_row(&c->counts, c->count_shift, coll, sqlite3_last_insert_rowid(c->db), *last_set_num,
	                  posted_by, 1, is_first, is_last))
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	*result = STORE_ADDED;
	return RELTO_OK;
}

static enum relto_err sq_put(struct store_conn *base, int64_t coll, const char *posted_by,
                             const struct store_new *objs, size_t n,
                             enum store_put_result *results, int64_t *date_added, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	for (size_t i = 0; i < n; i++)
		if (objs[i].raw_len > INT32_MAX)
			return relto_seterr(err, RELTO_ETOOBIG, "object %s is larger than 2 GiB", objs[i].id);
	enum relto_err rc = sq_exec(c->db, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	int64_t first = 0, set_num = 0;
	const char *set = NULL;
	rc = next_date_added(c, n, &first, err);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = insert_one(c, coll, posted_by, &objs[i], first + (int64_t)i, &set_num, &set,
		                &results[i], err);
		if (date_added)
			date_added[i] = first + (int64_t)i;
	}
	if (!rc)
		rc = sq_counts_flush(c, err);
	if (!rc)
		rc = sq_exec(c->db, "COMMIT", err);
	if (rc) {
		sq_counts_reset(&c->counts);
		sq_exec(c->db, "ROLLBACK", NULL);
	}
	return rc;
}

static enum relto_err sq_count(struct store_conn *base, int64_t coll, int64_t *out, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT count(*) FROM objects WHERE coll = ?1", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, coll);
	if (sqlite3_step(st) == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	else
		rc = sq_err(c->db, "count", err);
	sqlite3_reset(st);
	return rc;
}

static enum relto_err sq_marking_sets(struct store_conn *base, store_set_fn fn, void *ctx, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT num, canon FROM marking_sets ORDER BY num", &st, err);
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1));
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(c->db, "marking sets", err);
	if (st)
		sqlite3_reset(st);
	return rc;
}

static enum relto_err sq_marking_definitions(struct store_conn *base, store_def_fn fn, void *ctx, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	/* An id range in each collection, so objects_visible (coll, id, ...)
	** finds them without a scan. */
	enum relto_err rc = sq_stmt(c, "SELECT o.id, o.raw FROM collections c CROSS JOIN objects o WHERE o.coll = c.num"
	                            " AND o.id >= 'marking-definition--' AND o.id < 'marking-definition-.' AND o.is_last"
	                            " ORDER BY o.seq", &st, err);
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_blob(st, 1),
		        (size_t)sqlite3_column_bytes(st, 1));
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(c->db, "marking definitions", err);
	if (st)
		sqlite3_reset(st);
	return rc;
}

static enum relto_err sq_find_object(struct store_conn *base, const char *id, store_found_fn fn, void *ctx,
                                     char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	/* The id in each collection: objects_visible (coll, id, ...). */
	enum relto_err rc = sq_stmt(c, "SELECT o.coll, o.posted_by, o.raw FROM collections c CROSS JOIN objects o"
	                            " WHERE o.coll = c.num AND o.id = ?1 AND o.is_last ORDER BY o.coll", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
		        sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2));
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(c->db, "find", err);
	sqlite3_reset(st);
	return rc;
}

static enum relto_err sq_rules_put(struct store_conn *base, const char *kind, const char *author,
                                   const char *reason, const char *body, int64_t expect, int64_t *version,
                                   char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	enum relto_err rc = sq_exec(c->db, "BEGIN IMMEDIATE", err);
	sqlite3_stmt *st = NULL;
	if (!rc && expect >= 0 &&
	    !(rc = sq_stmt(c, "SELECT coalesce(max(version), 0) FROM rules WHERE kind = ?1", &st, err))) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		int64_t latest = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
		sqlite3_reset(st);
		if (latest < 0)
			rc = sq_err(c->db, "rules", err);
		else if (latest != expect)
			rc = relto_seterr(err, RELTO_ECONFLICT,
			                  "the %s changed meanwhile: version %lld is the latest, this change was made "
			                  "against version %lld", kind, (long long)latest, (long long)expect);
	}
	if (!rc)
		rc = sq_stmt(c, "INSERT INTO rules(kind, version, author, at, reason, body)"
		             " SELECT ?1, coalesce(max(version), 0) + 1, ?2, ?3, ?4, ?5 FROM rules WHERE kind = ?1"
		             " RETURNING version", &st, err);
	if (!rc) {
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, author, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, ts_now());
		sqlite3_bind_text(st, 4, reason, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, body, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			*version = sqlite3_column_int64(st, 0);
		else
			rc = sq_err(c->db, "rules", err);
		while (!rc && sqlite3_step(st) == SQLITE_ROW)
			;
		sqlite3_reset(st);
	}
	rc = sq_end_tx(c, rc, err);
	c->heads_valid = 0;
	return rc;
}

static enum relto_err rules_row(sqlite3_stmt *st, int with_body, struct store_rules *out)
{
	memset(out, 0, sizeof(*out));
	out->version = sqlite3_column_int64(st, 0);
	out->at = sqlite3_column_int64(st, 2);
	out->author = strdup((const char *)sqlite3_column_text(st, 1));
	out->reason = strdup((const char *)sqlite3_column_text(st, 3));
	if (with_body)
		out->body = strdup((const char *)sqlite3_column_text(st, 4));
	if (!out->author || !out->reason || (with_body && !out->body)) {
		store_rules_clear(out);
		return RELTO_ENOMEM;
	}
	return RELTO_OK;
}

static enum relto_err sq_rules_get(struct store_conn *base, const char *kind, int64_t version,
                                   struct store_rules *out, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT version, author, at, reason, body FROM rules WHERE kind = ?1"
	                            " AND (?2 = 0 OR version = ?2) ORDER BY version DESC LIMIT 1", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		rc = rules_row(st, 1, out);
	else if (r == SQLITE_DONE)
		rc = relto_seterr(err, RELTO_ENOTFOUND, "no %s version%s in the store", kind, version ? " like that" : "");
	else
		rc = sq_err(c->db, "rules", err);
	sqlite3_reset(st);
	return rc;
}

static enum relto_err sq_rules_log(struct store_conn *base, const char *kind, store_rules_fn fn, void *ctx,
                                   char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT version, author, at, reason FROM rules WHERE kind = ?1 ORDER BY version",
	                         &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_rules row;
		rc = rules_row(st, 0, &row);
		if (!rc)
			rc = fn(ctx, &row);
		store_rules_clear(&row);
	}
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(c->db, "rules", err);
	sqlite3_reset(st);
	return rc;
}

static enum relto_err sq_heads(struct store_conn *base, struct store_heads *out, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "PRAGMA data_version", &st, err);
	if (rc)
		return rc;
	int64_t dv = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_reset(st);
	if (dv < 0)
		return sq_err(c->db, "data_version", err);
	/* data_version changes only when another connection commits; this
	** connection's own rules commits clear heads_valid (sq_rules_put). */
	if (c->heads_valid && dv == c->heads_data_version) {
		*out = c->heads;
		return RELTO_OK;
	}
	if ((rc = sq_stmt(c, "SELECT (SELECT coalesce(max(version), 0) FROM rules WHERE kind = 'posture'),"
	                  " (SELECT coalesce(max(version), 0) FROM rules WHERE kind = 'policy'),"
	                  " (SELECT coalesce(max(value), 0) FROM meta WHERE key = 'credentials_version')", &st, err)))
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW) {
		c->heads.posture = sqlite3_column_int64(st, 0);
		c->heads.policy = sqlite3_column_int64(st, 1);
		c->heads.credentials = sqlite3_column_int64(st, 2);
		c->heads_data_version = dv;
		c->heads_valid = 1;
		*out = c->heads;
	} else {
		rc = sq_err(c->db, "rules", err);
	}
	sqlite3_reset(st);
	return rc;
}

/* One more credential change (store_heads().credentials); inside the
** caller's transaction. */
static enum relto_err bump_credentials(struct sq_conn *c, char *err)
{
	return sq_exec(c->db, "INSERT INTO meta(key, value) VALUES('credentials_version', 1)"
	                   " ON CONFLICT(key) DO UPDATE SET value = value + 1", err);
}

/* Revoke id (which must be in force) inside the caller's transaction. */
static enum relto_err revoke_one(struct sq_conn *c, const char *id, char *err)
{
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "UPDATE credentials SET revoked = ?2 WHERE id = ?1 AND revoked = 0", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ts_now());
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = sq_err(c->db, "credentials", err);
	else if (!sqlite3_changes(c->db))
		rc = relto_seterr(err, RELTO_ENOTFOUND, "no credential '%.80s' in force", id);
	sqlite3_reset(st);
	return rc;
}

static enum relto_err sq_credential_put(struct store_conn *base, const struct store_credential *cr,
                                        const char *revoke_id, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_exec(c->db, "BEGIN IMMEDIATE", err);
	if (!rc && revoke_id)
		rc = revoke_one(c, revoke_id, err);
	if (!rc && !(rc = sq_stmt(c, "INSERT INTO credentials(id, partner, kind, hash, note, created, revoked)"
	                          " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", &st, err))) {
		sqlite3_bind_text(st, 1, cr->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, cr->partner, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, cr->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, cr->hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, cr->note ? cr->note : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, ts_now());
		sqlite3_bind_int64(st, 7, cr->revoked);
		int r = sqlite3_step(st);
		if (r == SQLITE_CONSTRAINT)
			rc = relto_seterr(err, RELTO_ECONFLICT, "credential '%.80s' exists already", cr->id);
		else if (r != SQLITE_DONE)
			rc = sq_err(c->db, "credentials", err);
		sqlite3_reset(st);
	}
	if (!rc)
		rc = bump_credentials(c, err);
	rc = sq_end_tx(c, rc, err);
	c->heads_valid = 0;
	return rc;
}

static enum relto_err sq_credential_revoke(struct store_conn *base, const char *id, const char *partner, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_exec(c->db, "BEGIN IMMEDIATE", err);
	/* A configured password has no row until it is revoked. */
	if (!rc && partner && !(rc = sq_stmt(c, "INSERT OR IGNORE INTO credentials(id, partner, kind, hash, note, created,"
	                                     " revoked) VALUES(?1, ?2, 'password', '', 'configured', 0, 0)", &st, err))) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, partner, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = sq_err(c->db, "credentials", err);
		sqlite3_reset(st);
	}
	if (!rc)
		rc = revoke_one(c, id, err);
	if (!rc)
		rc = bump_credentials(c, err);
	rc = sq_end_tx(c, rc, err);
	c->heads_valid = 0;
	return rc;
}

static enum relto_err sq_credentials(struct store_conn *base, store_credential_fn fn, void *ctx, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT id, partner, kind, hash, note, created, revoked FROM credentials"
	                            " ORDER BY created, id", &st, err);
	if (rc)
		return rc;
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_credential cr = {
			.id = (char *)sqlite3_column_text(st, 0), .partner = (char *)sqlite3_column_text(st, 1),
			.kind = (char *)sqlite3_column_text(st, 2), .hash = (char *)sqlite3_column_text(st, 3),
			.note = (char *)sqlite3_column_text(st, 4), .created = sqlite3_column_int64(st, 5),
			.revoked = sqlite3_column_int64(st, 6)};
		rc = fn(ctx, &cr);
	}
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(c->db, "credentials", err);
	sqlite3_reset(st);
	return rc;
}

static enum relto_err sq_set_counts(struct store_conn *base, store_setcount_fn fn, void *ctx, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT coll, marking_set, posted_by, count(*) FROM objects INDEXED BY"
	                            " objects_latest_sets WHERE is_last GROUP BY coll, marking_set, posted_by",
	                         &st, err);
	if (rc)
		return rc;
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
		rc = fn(ctx, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		        (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3));
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(c->db, "set counts", err);
	sqlite3_reset(st);
	return rc;
}

static enum relto_err sq_status_put(struct store_conn *base, const char *id, const char *partner,
                                    const char *json, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	/* Status resources are kept 7 days (TAXII asks for at least 24 h). */
	enum relto_err rc = sq_stmt(c, "DELETE FROM status WHERE created < ?1", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, ts_now() - 7 * 86400 * INT64_C(1000000));
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return sq_err(c->db, "status", err);
	if ((rc = sq_stmt(c, "INSERT OR REPLACE INTO status(id, partner, created, body) VALUES(?1, ?2, ?3, ?4)",
	               &st, err)))
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, partner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ts_now());
	sqlite3_bind_text(st, 4, json, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? RELTO_OK : sq_err(c->db, "status", err);
}

static enum relto_err sq_status_get(struct store_conn *base, const char *id, const char *partner,
                                    char **json, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT body FROM status WHERE id = ?1 AND partner = ?2", &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, partner, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*json = strdup((const char *)sqlite3_column_text(st, 0));
		if (!*json)
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	} else if (r == SQLITE_DONE) {
		rc = relto_seterr(err, RELTO_ENOTFOUND, "no status resource '%s'", id);
	} else {
		rc = sq_err(c->db, "status", err);
	}
	sqlite3_reset(st);
	return rc;
}

static enum relto_err sq_schema(struct store_conn *base, int64_t *version, int64_t *known, char *err)
{
	struct sq_conn *c = (struct sq_conn *)base;
	sqlite3_stmt *st;
	enum relto_err rc = sq_stmt(c, "SELECT value FROM meta WHERE key = 'schema_version'", &st, err);
	if (rc)
		return rc;
	int r = sqlite3_step(st);
	*version = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	*known = SCHEMA_VERSION;
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = sq_err(c->db, "schema version", err);
	sqlite3_reset(st);
	return rc;
}

const struct store_ops store_sqlite_ops = {
	.scheme = "sqlite",
	.schema = sq_schema,
	.open = sq_open,
	.close = sq_close,
	.conn_open = sq_conn_open,
	.conn_close = sq_conn_close,
	.secret = sq_secret,
	.collection = sq_collection,
	.put = sq_put,
	.query = sq_query,
	.del = sq_delete,
	.count = sq_count,
	.marking_sets = sq_marking_sets,
	.marking_definitions = sq_marking_definitions,
	.find_object = sq_find_object,
	.rules_put = sq_rules_put,
	.rules_get = sq_rules_get,
	.rules_log = sq_rules_log,
	.heads = sq_heads,
	.credential_put = sq_credential_put,
	.credential_revoke = sq_credential_revoke,
	.credentials = sq_credentials,
	.set_counts = sq_set_counts,
	.status_put = sq_status_put,
	.status_get = sq_status_get,
	.trail_open = sq_trail_open,
};
