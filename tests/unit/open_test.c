/*
** open_test.c: opening a SQLite store (src/store/store_sqlite.c): a
** store whose schema is current opens, and reads its secrets and
** collections, without the write lock, so it opens while another
** process writes; what an open puts back when part of the schema is
** missing; a damaged secret is an error; processes that create the same
** new store at once all open it.  SQLite only.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "store/store.h"

static char dir[64], path[128], url[160];

#define STORE_FIXTURE_PATH path
#define STORE_FIXTURE_URL url
#include "store_fixture.h"

/* The number of rows sql (a count) finds in the fixture's database, or -1. */
static int count_on_store(const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;
	if (sqlite3_open(path, &db) == SQLITE_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Opening a current store takes no write lock (schema_current, secrets
** and collections read first): it opens, and reads its secrets and known
** collections, while another process holds the write lock.  A store
** missing part of its schema still gets it back on open.  SQLite only. */
static void test_open_while_written(void)
{
	struct fix f;
	CHECK(fix_open(&f) == 0);
	unsigned char k1[STORE_SECRET_LEN], k2[STORE_SECRET_LEN];
	CHECK(store_secret(f.c, "cursor", k1, NULL) == RELTO_OK);
	int64_t coll = f.coll, again = -1;
	store_conn_put(f.s, f.c);
	store_close(f.s);

	sqlite3 *writer = NULL;
	CHECK(sqlite3_open(path, &writer) == SQLITE_OK);
	CHECK(sqlite3_exec(writer, "BEGIN IMMEDIATE; INSERT INTO meta(key, value) VALUES('held', 1)", NULL, NULL,
	                   NULL) == SQLITE_OK);
	struct store *s = NULL;
	struct store_conn *c = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(store_open(fix_url(), &s, err) == RELTO_OK);
	if (*err)
		fprintf(stderr, "  store_open with the write lock held elsewhere: %s\n", err);
	CHECK(s && store_conn_get(s, &c, err) == RELTO_OK);
	CHECK(c && store_secret(c, "cursor", k2, err) == RELTO_OK && memcmp(k1, k2, sizeof(k1)) == 0);
	CHECK(c && store_collection(c, "91a7b528-80eb-42ed-a74d-c6fbd5a26116", &again, err) == RELTO_OK &&
	      again == coll);
	if (c)
		store_conn_put(s, c);
	store_close(s);
	CHECK(sqlite3_exec(writer, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(writer);

	/* What an open puts back: an index, marking set 0, the block size,
	** the block counts. */
	CHECK(sql_on_store("DROP INDEX objects_posted") == 0);
	CHECK(store_open(fix_url(), &s, err) == RELTO_OK);
	store_close(s);
	CHECK(count_on_store("SELECT count(*) FROM sqlite_schema WHERE name = 'objects_posted'") == 1);
	CHECK(sql_on_store("DELETE FROM marking_sets WHERE num = 0; DELETE FROM meta WHERE key = 'count_block_shift'") ==
	      0);
	CHECK(store_open(fix_url(), &s, err) == RELTO_OK);
	store_close(s);
	CHECK(count_on_store("SELECT count(*) FROM marking_sets WHERE num = 0 AND canon = ''") == 1);
	CHECK(count_on_store("SELECT count(*) FROM meta WHERE key = 'count_block_shift'") == 1);
	CHECK(sql_on_store("DROP TABLE block_counts") == 0);
	CHECK(store_open(fix_url(), &s, err) == RELTO_OK);
	store_close(s);
	CHECK(count_on_store("SELECT count(*) FROM sqlite_schema WHERE name = 'block_counts'") == 1);
	/* A damaged secret is an error, never a short key. */
	CHECK(sql_on_store("UPDATE meta SET value = x'010203' WHERE key = 'secret:cursor'") == 0);
	CHECK(store_open(fix_url(), &s, err) == RELTO_OK && store_conn_get(s, &c, err) == RELTO_OK);
	err[0] = '\0';
	CHECK(store_secret(c, "cursor", k2, err) == RELTO_ESTORE && strstr(err, "wrong size") != NULL);
	store_conn_put(s, c);
	store_close(s);
	remove_files();
}

/* Processes opening the same new store at once (two servers started
** together, whose audit trail did not exist yet): each opens it.  SQLite
** answered one of them "database is locked" at once, without waiting, in
** PRAGMA journal_mode=WAL: 61-79 of this test's 400 opens (ROUNDS of
** KIDS) failed this way in three runs before sq_open_db tried again. */
static void test_first_opens_race(void)
{
	enum { ROUNDS = 100, KIDS = 4 };
	int failed = 0;
	for (int r = 0; r < ROUNDS; r++) {
		remove_files();
		int go[2];
		CHECK(pipe(go) == 0);
		for (int k = 0; k < KIDS; k++) {
			pid_t pid = fork();
			if (pid == 0) {
				char c, err[RELTO_ERRBUF_SIZE] = "";
				close(go[1]);
				struct store *s = NULL;
				int rc = read(go[0], &c, 1) < 0 ? -1 : (int)store_open(url, &s, err);
				if (rc)
					fprintf(stderr, "  round %d: %s\n", r, err);
				store_close(s);
				_exit(rc ? 1 : 0);
			}
			CHECK(pid > 0);
		}
		close(go[0]);
		close(go[1]); /* every child reads its end of file at once */
		int st;
		while (wait(&st) > 0)
			failed += !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	CHECK(failed == 0);
	remove_files();
}

int main(void)
{
	if (fix_sqlite_only(__FILE__))
		return 0;
	if (fix_make_dir(dir, sizeof(dir), "open"))
		return 1;
	snprintf(url, sizeof(url), "sqlite:%s", path);
	RUN(test_open_while_written);
	RUN(test_first_opens_race);
	remove_files();
	rmdir(dir);
	return TEST_DONE();
}
