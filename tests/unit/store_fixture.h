/*
** store_fixture.h: an empty store of its own for each unit test that
** needs one (store_test.c, ingest_test.c, walks_test.c, checkpoint_test.c,
** open_test.c), and the temporary directory it lives in (fix_make_dir).
** The includer defines STORE_FIXTURE_PATH (the database file, a char
** array fix_make_dir fills before the first test) and STORE_FIXTURE_URL
** (what store_open is given: the path itself or "sqlite:" + path)
** before including this file.
**
** With RELTO_TEST_PG set to a PostgreSQL URI (tests/pg/run sets it), the
** same tests run on that database instead: each starts by emptying every
** table of the database's current schema but schema_version (so use a
** database of its own for the tests), where SQLite's start from a deleted
** file.
*/
#ifndef RELTO_STORE_FIXTURE_H
#define RELTO_STORE_FIXTURE_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store/store.h"

struct fix {
	struct store *s;
	struct store_conn *c;
	int64_t coll;
};

/* The PostgreSQL URI the tests run on, or NULL for SQLite. */
static inline const char *fix_pg(void)
{
	const char *u = getenv("RELTO_TEST_PG");
	return u && *u ? u : NULL;
}

/* What store_open is given for the fixture's store. */
static inline const char *fix_url(void)
{
	return fix_pg() ? fix_pg() : STORE_FIXTURE_URL;
}

/* For a test program that runs on SQLite only: under RELTO_TEST_PG,
** print its "0 passed" line and return 1 (the caller exits 0). */
static __attribute__((unused)) int fix_sqlite_only(const char *file)
{
	if (!fix_pg())
		return 0;
	printf("unit %s: 0 passed, 0 failed (SQLite only)\n", file);
	return 1;
}

/* Make the test program's directory /tmp/relto-NAME-XXXXXX into made
** and put the store's file in it (STORE_FIXTURE_PATH = MADE/t.db).  0,
** or -1 after saying why. */
static __attribute__((unused)) int fix_make_dir(char *made, size_t size, const char *name)
{
	snprintf(made, size, "/tmp/relto-%s-XXXXXX", name);
	if (!mkdtemp(made)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(STORE_FIXTURE_PATH, sizeof(STORE_FIXTURE_PATH), "%s/t.db", made);
	return 0;
}

/* The prefix of the backend's error messages. */
static inline const char *fix_err_prefix(void)
{
	return fix_pg() ? "postgresql: " : "sqlite: ";
}

/* Empty every relto table (TRUNCATE, numbering restarted); a database
** without the tables yet is fine.  0 or -1 (the reason on stderr). */
static int empty_pg(const char *uri)
{
	PGconn *db = PQconnectdb(uri);
	int ok = PQstatus(db) == CONNECTION_OK;
	PGresult *res = NULL;
	if (ok) {
		/* One statement: a DO block builds the TRUNCATE from the catalog. */
		res = PQexec(db, "SET client_min_messages = warning; DO $$ DECLARE t text; BEGIN"
		                 " SELECT string_agg(quote_ident(tablename), ', ') INTO t FROM pg_tables"
		                 " WHERE schemaname = current_schema() AND tablename <> 'schema_version';"
		                 " IF t IS NOT NULL THEN EXECUTE 'TRUNCATE ' || t || ' RESTART IDENTITY'; END IF; END $$");
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	}
	if (!ok)
		fprintf(stderr, "  emptying the test database: %s", PQerrorMessage(db));
	PQclear(res);
	PQfinish(db);
	return ok ? 0 : -1;
}

static void remove_files(void)
{
	/* The store, its WAL files, and the audit trail's files beside it. */
	static const char *const tails[] = {"", "-wal", "-shm", ".audit", ".audit-wal", ".audit-shm",
	                                    ".audit-records"};
	char p[sizeof(STORE_FIXTURE_PATH) + 16];
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", STORE_FIXTURE_PATH, tails[i]);
		unlink(p);
	}
}

/* Run sql on the fixture's database directly (not through relto), the
** store closed.  0 or -1 (the reason on stderr). */
static __attribute__((unused)) int sql_on_store(const char *sql)
{
	if (fix_pg()) {
		PGconn *db = PQconnectdb(fix_pg());
		PGresult *res = PQstatus(db) == CONNECTION_OK ? PQexec(db, sql) : NULL;
		int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "  %s: %s", sql, PQerrorMessage(db));
		PQclear(res);
		PQfinish(db);
		return ok ? 0 : -1;
	}
	sqlite3 *db = NULL;
	char *msg = NULL;
	int ok = sqlite3_open(STORE_FIXTURE_PATH, &db) == SQLITE_OK && sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK;
	if (!ok)
		fprintf(stderr, "  %s: %s\n", sql, msg ? msg : db ? sqlite3_errmsg(db) : "cannot open");
	sqlite3_free(msg);
	sqlite3_close(db);
	return ok ? 0 : -1;
}

/* Every test starts from an empty store, with one collection. */
static int fix_open(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	remove_files();
	if (fix_pg() && empty_pg(fix_pg()))
		return -1;
	char err[RELTO_ERRBUF_SIZE] = "";
	if (store_open(fix_url(), &f->s, err) || store_conn_get(f->s, &f->c, err)) {
		fprintf(stderr, "  fix_open: %s\n", err);
		return -1;
	}
	return store_collection(f->c, "91a7b528-80eb-42ed-a74d-c6fbd5a26116", &f->coll, NULL) ? -1 : 0;
}

static __attribute__((unused)) void fix_close(struct fix *f)
{
	store_conn_put(f->s, f->c);
	store_close(f->s);
	remove_files();
}

#endif
