/*
** trail_sqlite.c: the audit trail's storage beside a SQLite store (store.h,
** "the audit trail's storage").
**
** Two files of their own beside the store:
**   STORE.audit-records  the records, one JSON text per line, in seq order,
**                        appended and never rewritten;
**   STORE.audit          a SQLite database (WAL, synchronous=FULL): the
**                        trail's head (newest seq, its hash, and how many
**                        bytes of the records file are committed), a mark
**                        per appended batch (its first seq and offset, to
**                        start a reading anywhere), the lists records name,
**                        the journals' progress, and the checkpoints.
** Records go to a plain file because SQLite would write each of them twice
** (its WAL, then the database) and index it; appending is the one write a
** record needs (docs/BENCHMARKS.md measures what that saved).
**
** Appending is one SQLite transaction, which serializes writers (BEGIN
** IMMEDIATE, in any process) and makes a batch official: the batch is
** written at the committed end of the records file and fsynced, then the
** head moves past it in the same transaction as the batch's lists, marks,
** checkpoints and journal progress.  Bytes past the committed end (a
** writer that died, or whose commit failed, between the two steps) are
** not part of the trail: readers stop at the head's size and the next
** writer cuts them off.  So a batch is either wholly in the trail or not
** at all, and a journal replayed after a crash adds each record once.
**
** Nothing here knows what a record means beyond the few fields it is
** selected by, which it reads from the record's own text.
*/
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sqlite_int.h"
#include "../util/text.h"
#include "../util/buf.h"
#include "../util/ts.h"

struct sq_trail {
	struct store_trail base; /* first */
	sqlite3 *db;
	sqlite3_stmt *head, *set_head, *add_mark, *add_list, *add_cp;
	int fd;                  /* the records file */
	char *records_path;
	/* The append store_trail_begin began. */
	int64_t committed;       /* the records file's committed size */
	int64_t first_seq, last_seq;
	unsigned char last_hash[STORE_HASH_LEN];
	struct buf pending;      /* the batch's lines */
};

static const char trail_schema[] =
	"CREATE TABLE IF NOT EXISTS head(one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL,"
	" hash BLOB NOT NULL, size INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS marks(seq INTEGER PRIMARY KEY, offset INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS lists(hash BLOB PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS journals(name TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS checkpoints(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, hash BLOB NOT NULL,"
	" pubkey BLOB NOT NULL, sig BLOB NOT NULL);";

static const struct store_trail_ops sq_trail_ops;

static void tr_close(struct store_trail *base)
{
	struct sq_trail *t = (struct sq_trail *)base;
	sqlite3_finalize(t->head);
	sqlite3_finalize(t->set_head);
	sqlite3_finalize(t->add_mark);
	sqlite3_finalize(t->add_list);
	sqlite3_finalize(t->add_cp);
	sqlite3_close(t->db);
	if (t->fd >= 0)
		close(t->fd);
	free(t->records_path);
	buf_free(&t->pending);
	free(t);
}

static enum relto_err prepare(struct sq_trail *t, const char *sql, sqlite3_stmt **out, char *err)
{
	if (sqlite3_prepare_v2(t->db, sql, -1, out, NULL) != SQLITE_OK)
		return sq_err(t->db, "audit trail", err);
	return RELTO_OK;
}

/* Run a prepared statement that returns no rows to its end. */
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

/* The head: newest seq and hash, committed size (zeros: an empty trail). */
static enum relto_err read_head(struct sq_trail *t, int64_t *seq, unsigned char hash[STORE_HASH_LEN], int64_t *size,
                                char *err)
{
	*seq = *size = 0;
	memset(hash, 0, STORE_HASH_LEN);
	int r = sqlite3_step(t->head);
	enum relto_err rc = RELTO_OK;
	if (r == SQLITE_ROW) {
		*seq = sqlite3_column_int64(t->head, 0);
		copy_blob(hash, STORE_HASH_LEN, t->head, 1);
		*size = sqlite3_column_int64(t->head, 2);
	} else if (r != SQLITE_DONE) {
		rc = sq_err(t->db, "audit trail head", err);
	}
	sqlite3_reset(t->head);
	return rc;
}

static enum relto_err file_err(struct sq_trail *t, const char *what, char *err)
{
	return relto_seterr(err, RELTO_ESTORE, "%s: cannot %s: %s", t->records_path, what, strerror(errno));
}

/* Write n bytes at off, all of them. */
static enum relto_err write_at(struct sq_trail *t, const char *p, size_t n, int64_t off, char *err)
{
	while (n) {
		ssize_t w = pwrite(t->fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return file_err(t, "write the audit records", err);
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return RELTO_OK;
}

/* Put the batch in t->pending at the committed end of the records file,
** on disk.  The transaction that moves the head past it is still open. */
static enum relto_err write_batch(struct sq_trail *t, char *err)
{
	struct stat sb;
	if (fstat(t->fd, &sb) != 0)
		return file_err(t, "stat the audit records", err);
	if ((int64_t)sb.st_size < t->committed)
		return relto_seterr(err, RELTO_ESTORE,
		                    "%s: the audit records file is shorter (%lld bytes) than the trail says (%lld): "
		                    "it was cut; run `relto audit verify`",
		                    t->records_path, (long long)sb.st_size, (long long)t->committed);
	/* What a writer left past the committed end is not in the trail. */
	if ((int64_t)sb.st_size > t->committed && ftruncate(t->fd, (off_t)t->committed) != 0)
		return file_err(t, "cut uncommitted audit records", err);
	enum relto_err rc = write_at(t, t->pending.data, t->pending.len, t->committed, err);
	if (!rc && fdatasync(t->fd) != 0)
		rc = file_err(t, "sync the audit records", err);
	return rc;
}

/* ---- moving a trail of the older layout (records in a table) ---- */

/* A trail written before records moved to their own file kept them in a
** `records` table: they are moved into the (empty) records file once, in
** one transaction with the head.  A crash midway leaves the table, and the
** move starts over. */
static enum relto_err move_records_table(struct sq_trail *t, char *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(t->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'records'", -1, &st,
	                       NULL) != SQLITE_OK)
		return sq_err(t->db, "audit trail", err);
	int exists = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (!exists)
		return RELTO_OK;
	enum relto_err rc = sq_exec(t->db, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(t->db, "SELECT seq, body, hash FROM records ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
		rc = sq_err(t->db, "audit records", err);
	struct buf chunk;
	buf_init(&chunk, (size_t)1 << 30);
	int64_t size = 0, seq = 0, n = 0;
	unsigned char hash[STORE_HASH_LEN] = {0};
	if (!rc && ftruncate(t->fd, 0) != 0)
		rc = file_err(t, "start the audit records over", err);
	int r = SQLITE_DONE;
	while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		copy_blob(hash, STORE_HASH_LEN, st, 2);
		if (n++ % 4096 == 0) {
			sqlite3_bind_int64(t->add_mark, 1, seq);
			sqlite3_bind_int64(t->add_mark, 2, size + (int64_t)chunk.len);
			rc = run(t, t->add_mark, "audit marks", err);
		}
		const char *body = (const char *)sqlite3_column_text(st, 1);
		if (!rc)
			rc = buf_append(&chunk, body ? body : "", (size_t)sqlite3_column_bytes(st, 1));
		if (!rc)
			rc = buf_putc(&chunk, '\n');
		if (!rc && chunk.len >= (1u << 20)) {
			rc = write_at(t, chunk.data, chunk.len, size, err);
			size += (int64_t)chunk.len;
			buf_reset(&chunk);
		}
	}
	if (!rc && r != SQLITE_DONE)
		rc = sq_err(t->db, "audit records", err);
	sqlite3_finalize(st);
	if (!rc && chunk.len) {
		rc = write_at(t, chunk.data, chunk.len, size, err);
		size += (int64_t)chunk.len;
	}
	buf_free(&chunk);
	if (!rc && fdatasync(t->fd) != 0)
		rc = file_err(t, "sync the audit records", err);
	if (!rc && seq) {
		sqlite3_bind_int64(t->set_head, 1, seq);
		sqlite3_bind_blob(t->set_head, 2, hash, STORE_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(t->set_head, 3, size);
		rc = run(t, t->set_head, "audit trail head", err);
	}
	if (!rc)
		rc = sq_exec(t->db, "DROP TABLE records", err);
	if (!rc)
		return sq_exec(t->db, "COMMIT", err);
	sq_exec(t->db, "ROLLBACK", NULL);
	return rc;
}

enum relto_err sq_trail_open(void *state, struct store_trail **out, char *err)
{
	char path[4096], records[4096];
	const char *store = sq_state_path(state);
	if (snprintf(path, sizeof(path), "%s.audit", store) >= (int)sizeof(path) ||
	    snprintf(records, sizeof(records), "%s.audit-records", store) >= (int)sizeof(records))
		return relto_seterr(err, RELTO_ESTORE, "sqlite: the audit trail's path is too long");
	struct sq_trail *t = calloc(1, sizeof(*t));
	if (!t)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	t->base.ops = &sq_trail_ops;
	t->fd = -1;
	buf_init(&t->pending, (size_t)1 << 30);
	enum relto_err rc = (t->records_path = strdup(records)) ? RELTO_OK : relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (!rc)
		rc = sq_open_db(path, &t->db, err);
	if (!rc)
		rc = sq_exec(t->db, trail_schema, err);
	if (!rc && (t->fd = open(records, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		rc = file_err(t, "open the audit records", err);
	if (!rc)
		rc = prepare(t, "SELECT seq, hash, size FROM head", &t->head, err);
	if (!rc)
		rc = prepare(t, "INSERT OR REPLACE INTO head(one, seq, hash, size) VALUES(1, ?, ?, ?)", &t->set_head, err);
	if (!rc)
		rc = prepare(t, "INSERT OR REPLACE INTO marks(seq, offset) VALUES(?, ?)", &t->add_mark, err);
	if (!rc)
		rc = prepare(t, "INSERT OR IGNORE INTO lists(hash, body) VALUES(?,?)", &t->add_list, err);
	if (!rc)
		rc = prepare(t, "INSERT OR IGNORE INTO checkpoints(seq, at, hash, pubkey, sig) VALUES(?,?,?,?,?)", &t->add_cp, err);
	if (!rc)
		rc = move_records_table(t, err);
	if (rc) {
		tr_close(&t->base);
		return rc;
	}
	*out = &t->base;
	return RELTO_OK;
}

static enum relto_err tr_begin(struct store_trail *base, int64_t *seq, unsigned char hash[STORE_HASH_LEN],
                               char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	enum relto_err rc = sq_exec(t->db, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	rc = read_head(t, seq, hash, &t->committed, err);
	if (rc) {
		sq_exec(t->db, "ROLLBACK", NULL);
		return rc;
	}
	t->first_seq = 0;
	t->last_seq = *seq;
	memcpy(t->last_hash, hash, STORE_HASH_LEN);
	buf_reset(&t->pending);
	return RELTO_OK;
}

static enum relto_err tr_add(struct store_trail *base, const struct store_trail_record *r, char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	/* A record is one line: JSON texts as audit_body_* writes them have
	** no line break (one inside a string is escaped). */
	if (memchr(r->body, '\n', r->len))
		return relto_seterr(err, RELTO_EINVAL, "an audit record with a line break");
	if (r->seq != t->last_seq + 1)
		return relto_seterr(err, RELTO_EINTERNAL, "audit record %lld after record %lld", (long long)r->seq,
		                    (long long)t->last_seq);
	enum relto_err rc = buf_append(&t->pending, r->body, r->len);
	if (!rc)
		rc = buf_putc(&t->pending, '\n');
	if (rc)
		return relto_seterr(err, rc, "an audit batch over 1 GiB");
	if (!t->first_seq)
		t->first_seq = r->seq;
	t->last_seq = r->seq;
	memcpy(t->last_hash, r->hash, STORE_HASH_LEN);
	return RELTO_OK;
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
	if (!rc && t->pending.len) {
		rc = write_batch(t, err);
		if (!rc) {
			sqlite3_bind_int64(t->set_head, 1, t->last_seq);
			sqlite3_bind_blob(t->set_head, 2, t->last_hash, STORE_HASH_LEN, SQLITE_STATIC);
			sqlite3_bind_int64(t->set_head, 3, t->committed + (int64_t)t->pending.len);
			rc = run(t, t->set_head, "audit trail head", err);
		}
		if (!rc) {
			sqlite3_bind_int64(t->add_mark, 1, t->first_seq);
			sqlite3_bind_int64(t->add_mark, 2, t->committed);
			rc = run(t, t->add_mark, "audit marks", err);
		}
	}
	buf_reset(&t->pending);
	if (!rc)
		return sq_exec(t->db, "COMMIT", err);
	sq_exec(t->db, "ROLLBACK", NULL);
	return rc;
}

static enum relto_err tr_head(struct store_trail *base, int64_t *seq, unsigned char hash[STORE_HASH_LEN], char *err)
{
	int64_t size;
	return read_head((struct sq_trail *)base, seq, hash, &size, err);
}

/* ---- reading ---- */

/* What a record is selected by, read from its text. */
struct fields {
	char type[64], partner[256];
	int64_t released;         /* released.count */
	int withheld;             /* withheld anything */
};

/* Fill rec's seq, at, type, partner and released list, and f, from the
** record's text; 0 when it is not a relto record (then only its text). */
static int record_fields(const char *body, size_t len, struct store_trail_record *rec, struct fields *f)
{
	json_t *v = json_loadb(body, len, 0, NULL);
	json_t *seq = json_object_get(v, "seq"), *rel = json_object_get(v, "released");
	json_t *wh = json_object_get(v, "withheld");
	const char *at = json_string_value(json_object_get(v, "at"));
	const char *type = json_string_value(json_object_get(v, "type"));
	const char *partner = json_string_value(json_object_get(v, "partner"));
	const char *list = json_string_value(json_object_get(rel, "list"));
	int ok = json_is_integer(seq);
	if (ok) {
		rec->seq = json_integer_value(seq);
		if (!at || ts_parse(at, strlen(at), &rec->at, NULL))
			rec->at = 0;
		snprintf(f->type, sizeof(f->type), "%s", type ? type : "");
		snprintf(f->partner, sizeof(f->partner), "%s", partner ? partner : "");
		f->released = json_integer_value(json_object_get(rel, "count"));
		f->withheld = json_is_object(wh) && json_object_size(wh) > 0;
		rec->has_list = list && strlen(list) == STORE_HASH_LEN * 2;
		for (size_t i = 0; rec->has_list && i < STORE_HASH_LEN; i++) {
			int hi = text_hex_digit(list[2 * i]), lo = text_hex_digit(list[2 * i + 1]);
			rec->has_list = hi >= 0 && lo >= 0;
			rec->list[i] = (unsigned char)(hi << 4 | lo);
		}
	}
	json_decref(v);
	return ok;
}

/* The lists whose text holds sel->list_contains: the only ones a record
** may name to be selected. */
struct hashes {
	unsigned char (*v)[STORE_HASH_LEN];
	size_t n;
};

static enum relto_err lists_containing(struct sq_trail *t, const char *text, struct hashes *out, char *err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(t->db, "SELECT hash FROM lists WHERE instr(body, ?) > 0", -1, &st, NULL) != SQLITE_OK)
		return sq_err(t->db, "audit lists", err);
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	enum relto_err rc = RELTO_OK;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		void *grown = realloc(out->v, (out->n + 1) * STORE_HASH_LEN);
		if (!grown) {
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
			break;
		}
		out->v = grown;
		copy_blob(out->v[out->n++], STORE_HASH_LEN, st, 0);
	}
	sqlite3_finalize(st);
	return rc;
}

static int selected(const struct store_trail_select *sel, const struct store_trail_record *r, const struct fields *f,
                    const struct hashes *lists)
{
	if (r->seq < sel->from_seq || (sel->partner && strcmp(f->partner, sel->partner) != 0) ||
	    (sel->type && strcmp(f->type, sel->type) != 0) || (sel->since && r->at < sel->since) ||
	    (sel->until && r->at > sel->until))
		return 0;
	if (sel->where_json && strcmp(sel->where_json, "released") == 0 && f->released <= 0)
		return 0;
	if (sel->where_json && strcmp(sel->where_json, "withheld") == 0 && !f->withheld)
		return 0;
	if (sel->list_contains) {
		int found = 0;
		for (size_t i = 0; r->has_list && i < lists->n && !found; i++)
			found = memcmp(lists->v[i], r->list, STORE_HASH_LEN) == 0;
		return found;
	}
	return 1;
}

/* Where a reading from seq from may start (a batch's mark), and the
** committed size, seen together.  *lists: those holding list_contains. */
static enum relto_err reading_bounds(struct sq_trail *t, const struct store_trail_select *sel, int64_t *start,
                                     int64_t *size, struct hashes *lists, char *err)
{
	int64_t head_seq;
	unsigned char head_hash[STORE_HASH_LEN];
	*start = 0;
	enum relto_err rc = sq_exec(t->db, "BEGIN", err);
	if (rc)
		return rc;
	rc = read_head(t, &head_seq, head_hash, size, err);
	if (!rc && sel->from_seq > 1) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(t->db, "SELECT offset FROM marks WHERE seq <= ? ORDER BY seq DESC LIMIT 1", -1, &st,
		                       NULL) != SQLITE_OK)
			rc = sq_err(t->db, "audit marks", err);
		sqlite3_bind_int64(st, 1, sel->from_seq);
		if (!rc && sqlite3_step(st) == SQLITE_ROW)
			*start = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (!rc && sel->list_contains)
		rc = lists_containing(t, sel->list_contains, lists, err);
	sq_exec(t->db, "COMMIT", NULL);
	if (*start < 0 || *start > *size)
		*start = 0; /* a mark that makes no sense: read it all */
	return rc;
}

static enum relto_err tr_records(struct store_trail *base, const struct store_trail_select *sel,
                                 store_trail_fn fn, void *ctx, char *err)
{
	struct sq_trail *t = (struct sq_trail *)base;
	int64_t start, size;
	struct hashes lists = {0};
	enum relto_err rc = reading_bounds(t, sel, &start, &size, &lists, err);
	FILE *f = rc ? NULL : fopen(t->records_path, "rb");
	if (!rc && (!f || fseeko(f, (off_t)start, SEEK_SET) != 0))
		rc = file_err(t, "read the audit records", err);
	/* Filters need a record's fields; a plain walk (verify) needs its seq. */
	int filtered = sel->partner || sel->type || sel->since || sel->until || sel->where_json || sel->list_contains;
	char *line = NULL;
	size_t room = 0;
	int64_t off = start, prev_seq = 0, yielded = 0;
	while (!rc && off < size && (sel->limit <= 0 || yielded < sel->limit)) {
		ssize_t n = getline(&line, &room, f);
		if (n <= 0)
			break; /* cut short: `verify` finds the records missing (the head names them) */
		/* Past the committed end: a batch not in the trail (yet). */
		if (n > size - off)
			n = (ssize_t)(size - off);
		off += n;
		size_t len = (size_t)n;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else
			line[len] = '\0';
		struct store_trail_record rec = {.body = line, .len = len, .type = "", .partner = ""};
		struct fields fl;
		memset(&fl, 0, sizeof(fl));
		/* A record's seq is the one it holds (a line that is not a relto
		** record stands where the next would). */
		long long seq;
		char comma;
		if (filtered) {
			if (!record_fields(line, len, &rec, &fl))
				rec.seq = prev_seq + 1;
			rec.type = fl.type;
			rec.partner = fl.partner;
		} else {
			rec.seq = sscanf(line, "{\"seq\":%lld%c", &seq, &comma) == 2 && comma == ',' ? seq : prev_seq + 1;
		}
		prev_seq = rec.seq;
		if (rec.seq >= sel->from_seq && (!filtered || selected(sel, &rec, &fl, &lists))) {
			rc = fn(ctx, &rec);
			yielded++;
		}
	}
	free(line);
	if (f)
		fclose(f);
	free(lists.v);
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
	.head = tr_head,
	.records = tr_records,
	.list = tr_list,
	.checkpoints = tr_checkpoints,
	.journal_get = tr_journal_get,
	.journal_put = tr_journal_put,
};
