/*
** trail_sqlite.c: the audit trail's storage on SQLite (store.h, "the audit
** trail's storage").
**
** A database file of its own beside the store (STORE.audit), in WAL mode
** with synchronous=FULL: a commit that returned is on disk.  Keeping it
** apart means its many small commits never wait for an ingest holding the
** store's write lock, and never look to the store's readers like a change
** (store_heads reads the store's data_version).  Writers serialize with
** BEGIN IMMEDIATE, and the newest record is read inside that transaction,
** so writers in several processes still make one chain.
**
** Nothing here knows what a record means: the columns other than body are
** copies the audit module makes for selecting, and `relto audit verify`
** checks that they agree with the body.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite_int.h"
#include "../util/buf.h"

struct sq_trail {
	struct store_trail base; /* first */
	sqlite3 *db;
	sqlite3_stmt *head, *add, *add_list, *add_cp;
};

static const char trail_schema[] =
	"CREATE TABLE IF NOT EXISTS records(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, type TEXT NOT NULL,"
	" partner TEXT NOT NULL, list BLOB, body TEXT NOT NULL, hash BLOB NOT NULL);"
	/* No index: selections (partner, time, type, object) are walks in seq
	** order, which is also time order, for the CLI; an index would be paid
	** on every answer. */
	"CREATE TABLE IF NOT EXISTS lists(hash BLOB PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS journals(name TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS checkpoints(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, hash BLOB NOT NULL,"
	" pubkey BLOB NOT NULL, sig BLOB NOT NULL);";

static const struct store_trail_ops sq_trail_ops;

static void tr_close(struct store_trail *base)
{
	struct sq_trail *t = (struct sq_trail *)base;
	sqlite3_finalize(t->head);
	sqlite3_finalize(t->add);
	sqlite3_finalize(t->add_list);
	sqlite3_finalize(t->add_cp);
	sqlite3_close(t->db);
	free(t);
}

static enum relto_err prepare(struct sq_trail *t, const char *sql, sqlite3_stmt **out, char *err)
{
	if (sqlite3_prepare_v2(t->db, sql, -1, out, NULL) != SQLITE_OK)
		return sq_err(t->db, "audit trail", err);
	return RELTO_OK;
}

enum relto_err sq_trail_open(void *state, struct store_trail **out, char *err)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s.audit", sq_state_path(state)) >= (int)sizeof(path))
		return relto_seterr(err, RELTO_ESTORE, "sqlite: the audit trail's path is too long");
	struct sq_trail *t = calloc(1, sizeof(*t));
	if (!t)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	t->base.ops = &sq_trail_ops;
	enum relto_err rc = sq_open_db(path, &t->db, err);
	if (!rc)
		rc = sq_exec(t->db, trail_schema, err);
	if (!rc)
		rc = prepare(t, "SELECT seq, hash FROM records ORDER BY seq DESC LIMIT 1", &t->head, err);
	if (!rc)
		rc = prepare(t, "INSERT INTO records(seq, at, type, partner, list, body, hash) VALUES(?,?,?,?,?,?,?)",
		             &t->add, err);
	if (!rc)
		rc = prepare(t, "INSERT OR IGNORE INTO lists(hash, body) VALUES(?,?)", &t->add_list, err);
	if (!rc)
		rc = prepare(t, "INSERT OR IGNORE INTO checkpoints(seq, at, hash, pubkey, sig) VALUES(?,?,?,?,?)", &t->add_cp, err);
	if (rc) {
		tr_close(&t->base);
		return rc;
	}
	*out = &t->base;
	return RELTO_OK;
}

/* Run a prepared insert to its end. */
static enum relto_err run(struct sq_trail *t, sqlite3_stmt *st, const char *what, char *err)
{
	int r = sqlite3_step(st);
	enum relto_err rc = r == SQLITE_DONE ? RELTO_OK : sq_err(t->db, what, err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static void copy_blob(unsigned char *dst, size_t n, sqlite3_stmt *st, int col)
{
	memset(dst, 0, n);
	const void *p = sqlite3_column_blob(st, col);
	size_t len = (size_t)sqlite3_column_bytes(st, col);
	if (p)
		memcpy(dst, p, len < n ? len : n);
}

static enum relto_err tr_begin(struct store_trail *base, int64_t *seq, unsigned char hash[STORE_HASH_LEN],
                               char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	enum relto_err rc = sq_exec(t->db, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	*seq = 0;
	memset(hash, 0, STORE_HASH_LEN);
	int r = sqlite3_step(t->head);
	if (r == SQLITE_ROW) {
		*seq = sqlite3_column_int64(t->head, 0);
		copy_blob(hash, STORE_HASH_LEN, t->head, 1);
	} else if (r != SQLITE_DONE) {
		rc = sq_err(t->db, "audit trail head", err);
	}
	sqlite3_reset(t->head);
	if (rc)
		sq_exec(t->db, "ROLLBACK", NULL);
	return rc;
}

static enum relto_err tr_add(struct store_trail *base, const struct store_trail_record *r, char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	if (r->len > INT32_MAX)
		return relto_seterr(err, RELTO_ETOOBIG, "an audit record over 2 GiB");
	sqlite3_bind_int64(t->add, 1, r->seq);
	sqlite3_bind_int64(t->add, 2, r->at);
	sqlite3_bind_text(t->add, 3, r->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(t->add, 4, r->partner, -1, SQLITE_STATIC);
	if (r->has_list)
		sqlite3_bind_blob(t->add, 5, r->list, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(t->add, 6, r->body, (int)r->len, SQLITE_STATIC);
	sqlite3_bind_blob(t->add, 7, r->hash, STORE_HASH_LEN, SQLITE_STATIC);
	return run(t, t->add, "audit record", err);
}

static enum relto_err tr_add_list(struct store_trail *base, const unsigned char hash[STORE_HASH_LEN],
                                  const char *body, size_t len, char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	if (len > INT32_MAX)
		return relto_seterr(err, RELTO_ETOOBIG, "a released list over 2 GiB");
	sqlite3_bind_blob(t->add_list, 1, hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_text(t->add_list, 2, body, (int)len, SQLITE_STATIC);
	return run(t, t->add_list, "audit list", err);
}

static enum relto_err tr_add_checkpoint(struct store_trail *base, const struct store_trail_checkpoint *cp,
                                        char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	sqlite3_bind_int64(t->add_cp, 1, cp->seq);
	sqlite3_bind_int64(t->add_cp, 2, cp->at);
	sqlite3_bind_blob(t->add_cp, 3, cp->hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(t->add_cp, 4, cp->pubkey, sizeof(cp->pubkey), SQLITE_STATIC);
	sqlite3_bind_blob(t->add_cp, 5, cp->sig, sizeof(cp->sig), SQLITE_STATIC);
	return run(t, t->add_cp, "audit checkpoint", err);
}

static enum relto_err tr_end(struct store_trail *base, enum relto_err rc, char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	if (!rc)
		return sq_exec(t->db, "COMMIT", err);
	sq_exec(t->db, "ROLLBACK", NULL);
	return rc;
}

static enum relto_err tr_records(struct store_trail *base, const struct store_trail_select *sel,
                                 store_trail_fn fn, void *ctx, char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	struct buf sql;
	buf_init(&sql, 4096);
	enum relto_err rc = buf_puts(&sql, "SELECT seq, at, type, partner, list, body, hash FROM records WHERE seq >= ?1");
	if (!rc && sel->partner)
		rc = buf_puts(&sql, " AND partner = ?2");
	if (!rc && sel->type)
		rc = buf_puts(&sql, " AND type = ?3");
	if (!rc && sel->since)
		rc = buf_puts(&sql, " AND at >= ?4");
	if (!rc && sel->until)
		rc = buf_puts(&sql, " AND at <= ?5");
	/* The lists holding the text are found once (an IN list SQLite
	** builds before the walk), not per record. */
	if (!rc && sel->list_contains)
		rc = buf_puts(&sql, " AND list IN (SELECT hash FROM lists WHERE instr(body, ?6) > 0)");
	if (!rc && sel->where_json && strcmp(sel->where_json, "released") == 0)
		rc = buf_puts(&sql, " AND json_extract(body, '$.released.count') > 0");
	if (!rc && sel->where_json && strcmp(sel->where_json, "withheld") == 0)
		rc = buf_puts(&sql, " AND json_extract(body, '$.withheld') <> '{}'");
	if (!rc)
		rc = buf_puts(&sql, " ORDER BY seq");
	if (!rc && sel->limit > 0)
		rc = buf_printf(&sql, " LIMIT %lld", (long long)sel->limit);
	sqlite3_stmt *st = NULL;
	if (!rc && sqlite3_prepare_v2(t->db, sql.data, -1, &st, NULL) != SQLITE_OK)
		rc = sq_err(t->db, "audit records", err);
	buf_free(&sql);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, sel->from_seq);
	if (sel->partner)
		sqlite3_bind_text(st, 2, sel->partner, -1, SQLITE_STATIC);
	if (sel->type)
		sqlite3_bind_text(st, 3, sel->type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, sel->since);
	sqlite3_bind_int64(st, 5, sel->until);
	if (sel->list_contains)
		sqlite3_bind_text(st, 6, sel->list_contains, -1, SQLITE_STATIC);
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_trail_record rec = {
			.seq = sqlite3_column_int64(st, 0),
			.at = sqlite3_column_int64(st, 1),
			.type = (const char *)sqlite3_column_text(st, 2),
			.partner = (const char *)sqlite3_column_text(st, 3),
			.has_list = sqlite3_column_type(st, 4) != SQLITE_NULL,
		};
		copy_blob(rec.list, STORE_HASH_LEN, st, 4);
		rec.body = (const char *)sqlite3_column_text(st, 5);
		rec.len = (size_t)sqlite3_column_bytes(st, 5);
		/* A hash column of the wrong size (tampering) must not read as a
		** hash that happens to match: it is zeros, and bad. */
		if (sqlite3_column_bytes(st, 6) == STORE_HASH_LEN)
			copy_blob(rec.hash, STORE_HASH_LEN, st, 6);
		else
			memset(rec.hash, 0, STORE_HASH_LEN);
		if (!rec.type)
			rec.type = "";
		if (!rec.partner)
			rec.partner = "";
		if (!rec.body)
			rec.body = "";
		rc = fn(ctx, &rec);
	}
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(t->db, "audit records", err);
	sqlite3_finalize(st);
	return rc;
}

static enum relto_err tr_list(struct store_trail *base, const unsigned char hash[STORE_HASH_LEN], char **body,
                              size_t *len, char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(t->db, "SELECT body FROM lists WHERE hash = ?", -1, &st, NULL) != SQLITE_OK)
		return sq_err(t->db, "audit list", err);
	sqlite3_bind_blob(st, 1, hash, STORE_HASH_LEN, SQLITE_STATIC);
	enum relto_err rc = RELTO_OK;
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		const char *p = (const char *)sqlite3_column_text(st, 0);
		*body = malloc(n + 1);
		if (!*body) {
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
		} else {
			if (n)
				memcpy(*body, p, n);
			(*body)[n] = '\0';
			*len = n;
		}
	} else if (r == SQLITE_DONE) {
		rc = relto_seterr(err, RELTO_ENOTFOUND, "no such released list");
	} else {
		rc = sq_err(t->db, "audit list", err);
	}
	sqlite3_finalize(st);
	return rc;
}

static enum relto_err tr_checkpoints(struct store_trail *base, store_checkpoint_fn fn, void *ctx, char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(t->db, "SELECT seq, at, hash, pubkey, sig FROM checkpoints ORDER BY seq", -1, &st,
	                       NULL) != SQLITE_OK)
		return sq_err(t->db, "audit checkpoints", err);
	enum relto_err rc = RELTO_OK;
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_trail_checkpoint cp = {.seq = sqlite3_column_int64(st, 0), .at = sqlite3_column_int64(st, 1)};
		copy_blob(cp.hash, sizeof(cp.hash), st, 2);
		copy_blob(cp.pubkey, sizeof(cp.pubkey), st, 3);
		copy_blob(cp.sig, sizeof(cp.sig), st, 4);
		rc = fn(ctx, &cp);
	}
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(t->db, "audit checkpoints", err);
	sqlite3_finalize(st);
	return rc;
}

static enum relto_err tr_journal_get(struct store_trail *base, const char *name, int64_t *last, char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(t->db, "SELECT last FROM journals WHERE name = ?", -1, &st, NULL) != SQLITE_OK)
		return sq_err(t->db, "audit journals", err);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	*last = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	enum relto_err rc = r == SQLITE_ROW || r == SQLITE_DONE ? RELTO_OK : sq_err(t->db, "audit journals", err);
	sqlite3_finalize(st);
	return rc;
}

static enum relto_err tr_journal_put(struct store_trail *base, const char *name, int64_t last, char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(t->db, "INSERT OR REPLACE INTO journals(name, last) VALUES(?, ?)", -1, &st, NULL) !=
	    SQLITE_OK)
		return sq_err(t->db, "audit journals", err);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, last);
	enum relto_err rc = sqlite3_step(st) == SQLITE_DONE ? RELTO_OK : sq_err(t->db, "audit journals", err);
	sqlite3_finalize(st);
	return rc;
}

static const struct store_trail_ops sq_trail_ops = {
	.close = tr_close,
	.begin = tr_begin,
	.add = tr_add,
	.add_list = tr_add_list,
	.add_checkpoint = tr_add_checkpoint,
	.end = tr_end,
	.records = tr_records,
	.list = tr_list,
	.checkpoints = tr_checkpoints,
	.journal_get = tr_journal_get,
	.journal_put = tr_journal_put,
};
