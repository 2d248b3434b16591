/*
** audit_tamper_test.c: unit tests of `relto audit verify` against a
** tampered trail (docs/audit.md), each on a chain of its own made by
** audit_append_now: each kind of tampering the docs name, done to the
** records file (STORE.audit-records) or with sqlite3 on STORE.audit, found
** at the right record; bytes past the trail's head (a writer that died
** before committing) and a file cut below it; a trail of the older layout
** (records in a table) moved into the file; checkpoints forged or signed
** by another key.
*/
#include "audit_fixture.h"

/* ---- 5. tampering ---- */

/* How a test tampers with a trail (the store's path): 0 when done. */
typedef int (*tamper_fn)(const char *store_path);

/* Make a chain, close it, tamper with it, reopen and verify with the
** signing key's public half.  bad_seq, or -1 when something failed. */
static int64_t tampered_by(const char *name, tamper_fn tamper, struct buf *rep)
{
	struct audit_key k;
	char p[128], err[RELTO_ERRBUF_SIZE] = "";
	buf_init(rep, 1);
	if (signing_key(&k) != 0)
		return -1;
	struct audit_key pub = public_of(&k);
	struct store *st = make_chain(name, p, sizeof(p), &k);
	if (!st)
		return -1;
	/* Intact before. */
	int64_t bad = verify(st, &pub, 1, rep);
	buf_free(rep);
	store_close(st);
	if (bad != 0 || tamper(p) != 0) {
		fprintf(stderr, "  could not tamper with %s\n", p);
		return -1;
	}
	if (store_open(p, &st, err) != RELTO_OK) {
		fprintf(stderr, "  reopen: %s\n", err);
		return -1;
	}
	bad = verify(st, &pub, 1, rep);
	store_close(st);
	remove_store(p);
	return bad;
}

/* The same, with SQL run on the trail's database. */
static const char *tamper_sql_text;
static int tamper_sql(const char *store_path)
{
	return trail_sql(store_path, tamper_sql_text);
}

static int64_t tampered(const char *name, const char *sql, struct buf *rep)
{
	tamper_sql_text = sql;
	return tampered_by(name, tamper_sql, rep);
}

static int change_record_5(const char *p)
{
	struct lines l;
	int rc = records_read(p, &l) || line_replace(&l, 5, "\"partner\":\"kor\"", "\"partner\":\"usa\"") ||
	         records_write(p, &l) ? -1 : 0;
	lines_free(&l);
	return rc;
}

static void test_tamper_body(void)
{
	struct buf rep;
	int64_t bad = tampered_by("t-body.db", change_record_5, &rep);
	CHECK(bad == 5);
	CHECK(names_first(&rep, 5));
	CHECK(strcasestr(rep.data, "not intact") != NULL);
	buf_free(&rep);
}

/* Record 4 changed, and record 5 linked to the changed one (covering the
** tracks one record further): the checkpoint signed when record 4 was
** the newest finds it. */
static int change_record_4_relinked(const char *p)
{
	struct lines l;
	char old_hex[65], new_hex[65];
	int rc = records_read(p, &l);
	if (!rc) {
		line_hash_hex(&l, 4, old_hex);
		rc = line_replace(&l, 4, "\"status\":200", "\"status\":404");
	}
	if (!rc) {
		line_hash_hex(&l, 4, new_hex);
		rc = line_replace(&l, 5, old_hex, new_hex) || records_write(p, &l);
	}
	lines_free(&l);
	return rc ? -1 : 0;
}

static void test_tamper_body_rehashed(void)
{
	struct buf rep;
	int64_t bad = tampered_by("t-rehash.db", change_record_4_relinked, &rep);
	CHECK(bad == 4);
	CHECK(names_first(&rep, 4));
	buf_free(&rep);
}

static int delete_record_6(const char *p)
{
	struct lines l;
	int rc = records_read(p, &l) || l.n < 6 ? -1 : 0;
	if (!rc) {
		free(l.v[5]);
		memmove(&l.v[5], &l.v[6], (l.n - 6) * sizeof(l.v[0]));
		l.n--;
		rc = records_write(p, &l);
	}
	lines_free(&l);
	return rc;
}

static void test_tamper_delete(void)
{
	struct buf rep;
	int64_t bad = tampered_by("t-delete.db", delete_record_6, &rep);
	CHECK(bad == 6);
	CHECK(names_first(&rep, 6));
	CHECK(strstr(rep.data, "record 6: missing") != NULL);
	buf_free(&rep);
}

static int swap_records_3_4(const char *p)
{
	struct lines l;
	int rc = records_read(p, &l) || l.n < 4 ? -1 : 0;
	if (!rc) {
		char *x = l.v[2];
		l.v[2] = l.v[3];
		l.v[3] = x;
		rc = records_write(p, &l);
	}
	lines_free(&l);
	return rc;
}

static void test_tamper_swap(void)
{
	struct buf rep;
	int64_t bad = tampered_by("t-swap.db", swap_records_3_4, &rep);
	CHECK(bad == 3);
	CHECK(names_first(&rep, 3));
	CHECK(strstr(rep.data, "reordered") != NULL);
	buf_free(&rep);
}

/* Records 9 and 10 cut off, and the head moved back to record 8, as one
** who can write the trail would: the newest checkpoint (record 10) finds
** it.  Cutting the file alone, the head finds it. */
static int cut_after_8(const char *p, int move_head)
{
	struct lines l;
	char hex[65], sql[512];
	int rc = records_read(p, &l) || l.n != CHAIN ? -1 : 0;
	size_t size = 0;
	for (size_t i = 0; !rc && i < 8; i++)
		size += strlen(l.v[i]) + 1;
	if (!rc) {
		line_hash_hex(&l, 8, hex);
		for (size_t i = 8; i < l.n; i++)
			free(l.v[i]);
		l.n = 8;
		rc = records_write(p, &l);
	}
	lines_free(&l);
	if (!rc && move_head) {
		snprintf(sql, sizeof(sql), "UPDATE head SET seq = 8, hash = X'%s', size = %zu", hex, size);
		rc = trail_sql(p, sql);
	}
	return rc;
}

static int cut_after_8_with_head(const char *p)
{
	return cut_after_8(p, 1);
}

static int cut_after_8_file_only(const char *p)
{
	return cut_after_8(p, 0);
}

static void test_tamper_truncate(void)
{
	struct buf rep;
	/* The newest checkpoint signs record 10; cut the trail after record 8. */
	int64_t bad = tampered_by("t-trunc.db", cut_after_8_with_head, &rep);
	CHECK(bad == CHAIN - 1);
	CHECK(names_first(&rep, CHAIN - 1));
	buf_free(&rep);
	bad = tampered_by("t-trunc2.db", cut_after_8_file_only, &rep);
	CHECK(bad == CHAIN - 1);
	CHECK(names_first(&rep, CHAIN - 1));
	buf_free(&rep);
}

/* The newest record changed: no record links to it, but the head and the
** checkpoint hold its hash. */
static int change_record_10(const char *p)
{
	struct lines l;
	int rc = records_read(p, &l) || line_replace(&l, 10, "\"status\":200", "\"status\":403") ||
	         records_write(p, &l) ? -1 : 0;
	lines_free(&l);
	return rc;
}

static void test_tamper_newest(void)
{
	struct buf rep;
	int64_t bad = tampered_by("t-newest.db", change_record_10, &rep);
	CHECK(bad == CHAIN);
	CHECK(names_first(&rep, CHAIN));
	buf_free(&rep);
}

/* The records file past the trail's head: what a writer left that died
** between writing its batch and committing it is not in the trail, and
** the next append cuts it off; a file cut below the head stops appending. */
static void test_records_file(void)
{
	struct audit_key k, pub;
	char p[128], rp[160], err[RELTO_ERRBUF_SIZE] = "";
	struct buf rep, b;
	CHECK(signing_key(&k) == 0);
	pub = public_of(&k);
	struct store *st = make_chain("rfile.db", p, sizeof(p), &k);
	CHECK(st);
	store_close(st);
	snprintf(rp, sizeof(rp), "%s.audit-records", p);
	struct stat sb;
	CHECK(stat(rp, &sb) == 0);
	off_t committed = sb.st_size;
	FILE *f = fopen(rp, "ab");
	CHECK(f && fputs("{\"seq\":11,\"half a batch", f) >= 0 && fclose(f) == 0);
	CHECK(store_open(p, &st, err) == RELTO_OK);
	CHECK(verify(st, &pub, 1, &rep) == 0);
	buf_free(&rep);
	buf_init(&b, 1 << 16);
	CHECK(read_body(&b, "kor", AT0 + 99, NULL, 0) == RELTO_OK);
	CHECK(audit_append_now(st, &k, b.data, b.len, NULL, err) == RELTO_OK);
	CHECK(verify(st, &pub, 1, &rep) == 0);
	CHECK(rep.data && strstr(rep.data, "11 records"));
	buf_free(&rep);
	struct lines l;
	CHECK(records_read(p, &l) == 0 && l.n == CHAIN + 1 && strncmp(l.v[CHAIN], "{\"seq\":11,\"at\"", 14) == 0);
	lines_free(&l);
	/* Cut below what the trail holds: nothing more is appended. */
	CHECK(truncate(rp, committed - 10) == 0);
	err[0] = '\0';
	CHECK(audit_append_now(st, &k, b.data, b.len, NULL, err) == RELTO_ESTORE);
	CHECK(strstr(err, "shorter") != NULL);
	CHECK(verify(st, &pub, 1, &rep) > 0);
	buf_free(&rep);
	buf_free(&b);
	store_close(st);
	remove_store(p);
}

/* A trail written before records had a file of their own (a `records`
** table) is moved into the file when opened, and verifies as before. */
static void test_records_table_moved(void)
{
	struct audit_key k, pub;
	char p[128], err[RELTO_ERRBUF_SIZE] = "";
	struct buf rep;
	CHECK(signing_key(&k) == 0);
	pub = public_of(&k);
	struct store *st = make_chain("moved.db", p, sizeof(p), &k);
	CHECK(st);
	store_close(st);
	/* The older layout: the same records in a table, no head, no marks. */
	struct lines l;
	CHECK(records_read(p, &l) == 0 && l.n == CHAIN);
	sqlite3 *db = trail_db(p);
	CHECK(db);
	CHECK(sqlite3_exec(db, "DROP TABLE head; DROP TABLE marks;"
	                       "CREATE TABLE records(seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, type TEXT NOT NULL,"
	                       " partner TEXT NOT NULL, list BLOB, body TEXT NOT NULL, hash BLOB NOT NULL);",
	                   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_stmt *ins = NULL;
	CHECK(sqlite3_prepare_v2(db, "INSERT INTO records VALUES(?, ?, 'read', ?, NULL, ?, h256(?4))", -1, &ins, NULL) ==
	      SQLITE_OK);
	for (size_t i = 0; i < l.n; i++) {
		sqlite3_bind_int64(ins, 1, (int64_t)i + 1);
		sqlite3_bind_int64(ins, 2, AT0 + ((int64_t)i + 1) * INT64_C(1000000));
		sqlite3_bind_text(ins, 3, (i + 1) % 2 ? "kor" : "jpn", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 4, l.v[i], -1, SQLITE_STATIC);
		CHECK(sqlite3_step(ins) == SQLITE_DONE);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	sqlite3_close(db);
	lines_free(&l);
	char rp[160];
	snprintf(rp, sizeof(rp), "%s.audit-records", p);
	CHECK(unlink(rp) == 0);
	CHECK(store_open(p, &st, err) == RELTO_OK);
	CHECK(verify(st, &pub, 1, &rep) == 0);
	CHECK(rep.data && strstr(rep.data, "10 records"));
	buf_free(&rep);
	store_close(st);
	CHECK(trail_int(p, "SELECT count(*) FROM sqlite_master WHERE name = 'records'") == 0);
	CHECK(records_read(p, &l) == 0 && l.n == CHAIN);
	lines_free(&l);
	remove_store(p);
}

static void test_tamper_checkpoint_sig(void)
{
	struct buf rep;
	int64_t bad = tampered("t-sig.db",
	                       "UPDATE checkpoints SET sig = h256(sig) || h256(h256(sig))"
	                       " WHERE seq = (SELECT max(seq) FROM checkpoints)",
	                       &rep);
	CHECK(bad > 0);
	buf_free(&rep);
}

static void test_tamper_checkpoint_hash(void)
{
	struct buf rep;
	/* A checkpoint that signs a hash the trail does not hold. */
	int64_t bad = tampered("t-cphash.db",
	                       "UPDATE checkpoints SET hash = h256(hash) WHERE seq = (SELECT max(seq) FROM checkpoints)",
	                       &rep);
	CHECK(bad > 0);
	buf_free(&rep);
}

static void test_other_pubkey(void)
{
	struct audit_key k, k2;
	char p[128], p2[128], err[RELTO_ERRBUF_SIZE] = "";
	struct buf rep;
	CHECK(signing_key(&k) == 0);
	path_of(p2, sizeof(p2), "stranger.key");
	unlink(p2);
	CHECK(audit_key_load(p2, 1, &k2, err) == RELTO_OK);
	unlink(p2);
	struct audit_key pub2 = public_of(&k2), pub = public_of(&k);
	struct store *st = make_chain("t-key.db", p, sizeof(p), &k);
	CHECK(st);
	int64_t bad = verify(st, &pub2, 1, &rep);
	if (bad == 0)
		fprintf(stderr, "  report:\n%s\n", rep.data ? rep.data : "");
	CHECK(bad != 0 && bad != -1);
	buf_free(&rep);
	/* The right key among several will do. */
	struct audit_key both[2] = {pub2, pub};
	CHECK(verify(st, both, 2, &rep) == 0);
	buf_free(&rep);
	store_close(st);
	remove_store(p);
}

int main(void)
{
	if (fixture_start("relto-audit-t") != 0)
		return 1;
	RUN(test_tamper_body);
	RUN(test_tamper_body_rehashed);
	RUN(test_tamper_delete);
	RUN(test_tamper_swap);
	RUN(test_tamper_truncate);
	RUN(test_tamper_newest);
	RUN(test_records_file);
	RUN(test_records_table_moved);
	RUN(test_tamper_checkpoint_sig);
	RUN(test_tamper_checkpoint_hash);
	RUN(test_other_pubkey);
	fixture_cleanup();
	return TEST_DONE();
}
