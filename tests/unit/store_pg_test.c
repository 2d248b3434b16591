/*
** store_pg_test.c: what only the PostgreSQL backend (src/store/store_pg.c)
** does: its URLs, errors that never show a password, refusing a schema
** newer than the code, a lost connection (RELTO_ESTORE, then a new
** session), statistics taken right after a large write, several writers
** at once (date_added strictly increasing, one audit chain), and watching
** for other processes' changes (LISTEN / NOTIFY: what is announced, to
** whom, only on commit, after a lost connection).  The store's behaviour
** itself is store_test.c's, run on both backends.
**
** Needs RELTO_TEST_PG (a URI of a database the tests may empty;
** tests/pg/run starts a throwaway server and sets it); without it, every
** test is skipped.
*/
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "store/store.h"

static const char *pg_url;

/* Run sql on a connection of the test's own.  0 or -1. */
static int sql(const char *text)
{
	PGconn *db = PQconnectdb(pg_url);
	PGresult *res = PQstatus(db) == CONNECTION_OK ? PQexec(db, text) : NULL;
	int ok = res && (PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK);
	if (!ok)
		fprintf(stderr, "  SQL failed: %s: %s", text, PQerrorMessage(db));
	PQclear(res);
	PQfinish(db);
	return ok ? 0 : -1;
}

/* End every session relto has open on the database (the server's view
** of a network failure or a restart). */
static int drop_sessions(void)
{
	return sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
	           " AND pid <> pg_backend_pid() AND application_name = 'relto'");
}

/* pg_url with its password replaced by `password` (into out). */
static void with_password(const char *password, char *out, size_t size)
{
	const char *at = strchr(pg_url, '@'), *user = strstr(pg_url, "://");
	const char *colon = user ? strchr(user + 3, ':') : NULL;
	if (!at || !colon || colon > at) {
		snprintf(out, size, "%s", pg_url);
		return;
	}
	snprintf(out, size, "%.*s:%s%s", (int)(colon - pg_url), pg_url, password, at);
}

static void test_urls(void)
{
	struct store *s = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(store_open("pg:host=x", &s, err) == RELTO_ESTORE && strstr(err, "unknown scheme") != NULL);
	err[0] = '\0';
	CHECK(store_open("postgresql:host=x", &s, err) == RELTO_ESTORE);
	CHECK(strstr(err, "postgresql://[user[:password]@]") != NULL);
	/* A misspelt scheme names only the scheme, never what follows. */
	err[0] = '\0';
	CHECK(store_open("postgresq://relto:Sekr1t@localhost/x", &s, err) == RELTO_ESTORE);
	CHECK(strstr(err, "'postgresq:'") != NULL && strstr(err, "Sekr1t") == NULL);
	CHECK(s == NULL);

	/* "postgres://" is the same backend. */
	char alt[512];
	snprintf(alt, sizeof(alt), "postgres%s", strchr(pg_url, ':'));
	CHECK(store_open(alt, &s, err) == RELTO_OK);
	store_close(s);
	s = NULL;
	CHECK(store_open(pg_url, &s, err) == RELTO_OK);
	store_close(s);
}

static void test_password_never_shown(void)
{
	struct store *s = NULL;
	char url[512], err[RELTO_ERRBUF_SIZE] = "";
	with_password("Wr0ngPassw0rd", url, sizeof(url));
	CHECK(store_open(url, &s, err) == RELTO_ESTORE);
	CHECK(strstr(err, "postgresql: cannot connect") != NULL && strstr(err, "relto_test") != NULL);
	CHECK(strstr(err, "Wr0ngPassw0rd") == NULL);
	/* A malformed URI: libpq quotes the piece it cannot read. */
	err[0] = '\0';
	CHECK(store_open("postgresql://relto:Sekr1t%zz@127.0.0.1:1/x", &s, err) == RELTO_ESTORE);
	CHECK(err[0] && strstr(err, "Sekr1t") == NULL);
	err[0] = '\0';
	CHECK(store_open("postgresql://relto@127.0.0.1:1/x?password=Sekr1t%zz", &s, err) == RELTO_ESTORE);
	CHECK(err[0] && strstr(err, "Sekr1t") == NULL);
	/* Nobody listens there. */
	err[0] = '\0';
	CHECK(store_open("postgresql://relto:Sekr1t@127.0.0.1:1/x?connect_timeout=2", &s, err) == RELTO_ESTORE);
	CHECK(strstr(err, "cannot connect") != NULL && strstr(err, "Sekr1t") == NULL);
	CHECK(s == NULL);
}

static void test_newer_schema_refused(void)
{
	struct store *s = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(store_open(pg_url, &s, err) == RELTO_OK); /* the schema exists */
	struct store_conn *c = NULL;
	int64_t version = 0, known = 0;
	CHECK(store_conn_get(s, &c, NULL) == RELTO_OK && store_schema(c, &version, &known, NULL) == RELTO_OK);
	store_conn_put(s, c);
	store_close(s);
	s = NULL;
	CHECK(sql("UPDATE schema_version SET version = 999") == 0);
	enum relto_err rc = store_open(pg_url, &s, err);
	char back[64];
	snprintf(back, sizeof(back), "UPDATE schema_version SET version = %lld", (long long)version);
	CHECK(sql(back) == 0);
	CHECK(rc == RELTO_ESTORE && s == NULL);
	CHECK(strstr(err, "schema version 999, newer than this relto") != NULL);
	CHECK(store_open(pg_url, &s, NULL) == RELTO_OK);
	store_close(s);
}

/* A store on the test database, a connection, and the collection uuid's
** key.  0, or -1 (what failed is on stderr, the rest NULL or 0). */
static int open_collection(const char *uuid, struct store **s, struct store_conn **c, int64_t *coll)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	*s = NULL;
	*c = NULL;
	*coll = 0;
	if (store_open(pg_url, s, err) || store_conn_get(*s, c, err) || store_collection(*c, uuid, coll, err)) {
		fprintf(stderr, "  open_collection: %s\n", err);
		return -1;
	}
	return 0;
}

static void test_lost_connection(void)
{
	struct store *s;
	struct store_conn *c;
	int64_t coll, n = -1;
	CHECK(open_collection("11111111-2222-4333-8444-000000000099", &s, &c, &coll) == 0);
	CHECK(store_count(c, coll, &n, NULL) == RELTO_OK);
	int64_t before = n;

	/* The session ends under a read: RELTO_ESTORE, then a new session. */
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(drop_sessions() == 0);
	CHECK(store_count(c, coll, &n, err) == RELTO_ESTORE);
	CHECK(strncmp(err, "postgresql: ", 12) == 0);
	CHECK(store_count(c, coll, &n, NULL) == RELTO_OK && n == before);

	/* Under a write: nothing of it stays. */
	struct store_new o = {.id = "indicator--11111111-2222-4333-8444-000000000099", .type = "indicator",
	                      .spec_version = "2.1", .has_version = 1, .version = 1, .version_text = "x",
	                      .marking_canon = "", .created_by_ref = "", .raw = "{}", .raw_len = 2};
	enum store_put_result r;
	CHECK(drop_sessions() == 0);
	CHECK(store_put(c, coll, "kor", &o, 1, &r, NULL, NULL) == RELTO_ESTORE);
	CHECK(store_count(c, coll, &n, NULL) == RELTO_OK && n == before);
	CHECK(store_put(c, coll, "kor", &o, 1, &r, NULL, NULL) == RELTO_OK);

	/* The audit trail's connection too. */
	struct store_trail *t = NULL;
	int64_t seq;
	unsigned char hash[STORE_HASH_LEN];
	CHECK(store_trail_open(s, &t, NULL) == RELTO_OK);
	CHECK(drop_sessions() == 0);
	enum relto_err first = store_trail_begin(t, &seq, hash, NULL);
	if (!first)
		store_trail_end(t, RELTO_OK, NULL);
	enum relto_err second = store_trail_begin(t, &seq, hash, NULL);
	if (!second)
		second = store_trail_end(t, RELTO_OK, NULL);
	store_trail_close(t);
	CHECK(first == RELTO_ESTORE && second == RELTO_OK);

	/* A server that went away for good: still an error, never a crash. */
	store_conn_put(s, c);
	store_close(s);
}

/* The number query `text` answers (one row, one column); -1 when it fails. */
static long long sql_value(const char *text)
{
	PGconn *db = PQconnectdb(pg_url);
	PGresult *res = PQstatus(db) == CONNECTION_OK ? PQexec(db, text) : NULL;
	int ok = res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	long long v = ok ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : -1;
	PQclear(res);
	PQfinish(db);
	return v;
}

/* n indicators (ids from `from` on) in one write. */
static enum relto_err put_many(struct store_conn *c, int64_t coll, int from, int n)
{
	static char ids[200][80];
	struct store_new o[200];
	enum store_put_result r[200];
	for (int i = 0; i < n && i < 200; i++) {
		snprintf(ids[i], sizeof(ids[i]), "indicator--11111111-2222-4333-8444-%012d", from + i);
		o[i] = (struct store_new){.id = ids[i], .type = "indicator", .spec_version = "2.1", .has_version = 1,
		                          .version = 1, .version_text = "x", .marking_canon = "", .created_by_ref = "",
		                          .raw = "{}", .raw_len = 2};
	}
	return store_put(c, coll, "kor", o, (size_t)n, r, NULL, NULL);
}

/* A write that adds a tenth of the rows the statistics were taken over
** (and at least 50) analyzes objects and refs at once, so the filtered
** queries' generic plans are not made without statistics; a smaller
** one leaves that to autovacuum. */
static void test_statistics_after_bulk_write(void)
{
	const char *analyzed = "SELECT pg_stat_get_analyze_count('objects'::regclass)"
	                       " + pg_stat_get_analyze_count('refs'::regclass)";
	/* Autovacuum kept out, so that no ANALYZE of its own is skipped for it. */
	CHECK(sql("ALTER TABLE objects SET (autovacuum_enabled = false)") == 0);
	CHECK(sql("ALTER TABLE refs SET (autovacuum_enabled = false)") == 0);
	CHECK(sql("DELETE FROM objects") == 0 && sql("DELETE FROM refs") == 0 && sql("ANALYZE objects, refs") == 0);
	struct store *s;
	struct store_conn *c;
	int64_t coll;
	CHECK(open_collection("11111111-2222-4333-8444-000000000055", &s, &c, &coll) == 0);
	long long before = sql_value(analyzed);
	CHECK(before >= 2);
	CHECK(put_many(c, coll, 0, 49) == RELTO_OK); /* under 50 rows */
	CHECK(sql_value(analyzed) == before);
	CHECK(put_many(c, coll, 100, 60) == RELTO_OK); /* 60 rows over 49: both tables analyzed */
	CHECK(sql_value(analyzed) == before + 2);
	CHECK(sql_value("SELECT reltuples::bigint FROM pg_class WHERE oid = 'objects'::regclass") == 109);
	CHECK(put_many(c, coll, 200, 50) == RELTO_OK); /* 50 over 109 */
	CHECK(sql_value(analyzed) == before + 4);
	for (int i = 0; i < 4; i++)
		CHECK(put_many(c, coll, 300 + 100 * i, 100) == RELTO_OK);
	CHECK(sql_value(analyzed) == before + 12); /* each a tenth or more of 159, 259, 359, 459 */
	CHECK(put_many(c, coll, 800, 50) == RELTO_OK); /* under a tenth of 559 */
	CHECK(sql_value(analyzed) == before + 12);
	store_conn_put(s, c);
	store_close(s);
	CHECK(sql("ALTER TABLE objects RESET (autovacuum_enabled)") == 0);
	CHECK(sql("ALTER TABLE refs RESET (autovacuum_enabled)") == 0);
}

/* ---- several writers at once ---- */

#define WRITERS 4
#define BATCHES 25

struct writer {
	int n;
	enum relto_err rc;
	char err[RELTO_ERRBUF_SIZE];
};

/* One "process": a store of its own, batches of two objects. */
static void *write_batches(void *arg)
{
	struct writer *w = arg;
	struct store *s = NULL;
	struct store_conn *c = NULL;
	int64_t coll = 0;
	w->rc = store_open(pg_url, &s, w->err);
	if (!w->rc)
		w->rc = store_conn_get(s, &c, w->err);
	if (!w->rc)
		w->rc = store_collection(c, "11111111-2222-4333-8444-000000000077", &coll, w->err);
	for (int i = 0; !w->rc && i < BATCHES; i++) {
		char id[2][80];
		struct store_new o[2];
		for (int k = 0; k < 2; k++) {
			snprintf(id[k], sizeof(id[k]), "indicator--11111111-2222-4333-8444-%06d%06d", w->n, i * 2 + k);
			o[k] = (struct store_new){.id = id[k], .type = "indicator", .spec_version = "2.1", .has_version = 1,
			                          .version = 1, .version_text = "x", .marking_canon = "",
			                          .created_by_ref = "", .raw = "{}", .raw_len = 2};
		}
		enum store_put_result r[2];
		w->rc = store_put(c, coll, "kor", o, 2, r, NULL, w->err);
	}
	store_conn_put(s, c);
	store_close(s);
	return NULL;
}

struct walked {
	int64_t n, last_date, last_seq;
	int ordered;
};

static enum relto_err check_order(void *ctx, const struct store_row *row)
{
	struct walked *w = ctx;
	if (w->n && (row->date_added <= w->last_date || row->seq <= w->last_seq))
		w->ordered = 0;
	w->last_date = row->date_added;
	w->last_seq = row->seq;
	w->n++;
	return RELTO_OK;
}

static void test_concurrent_writers(void)
{
	CHECK(sql("DELETE FROM objects") == 0);
	pthread_t th[WRITERS];
	struct writer w[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].n = i;
		CHECK(pthread_create(&th[i], NULL, write_batches, &w[i]) == 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < WRITERS; i++) {
		if (w[i].rc)
			fprintf(stderr, "  writer %d: %s\n", i, w[i].err);
		CHECK(w[i].rc == RELTO_OK);
	}
	struct store *s;
	struct store_conn *c;
	int64_t coll;
	CHECK(open_collection("11111111-2222-4333-8444-000000000077", &s, &c, &coll) == 0);
	struct store_query q = {.coll = coll, .limit = 100000, .versions.all = 1};
	struct walked wk = {.ordered = 1};
	enum relto_err rc = store_query(c, &q, 0, check_order, &wk, NULL);
	store_conn_put(s, c);
	store_close(s);
	CHECK(rc == RELTO_OK && wk.n == WRITERS * BATCHES * 2 && wk.ordered);
}

/* Several trail writers, each on its own connection: one chain. */
static void *append_records(void *arg)
{
	struct writer *w = arg;
	struct store *s = NULL;
	struct store_trail *t = NULL;
	w->rc = store_open(pg_url, &s, w->err);
	if (!w->rc)
		w->rc = store_trail_open(s, &t, w->err);
	for (int i = 0; !w->rc && i < BATCHES; i++) {
		int64_t seq;
		unsigned char prev[STORE_HASH_LEN];
		w->rc = store_trail_begin(t, &seq, prev, w->err);
		if (w->rc)
			break;
		struct store_trail_record r = {.seq = seq + 1, .at = 1, .type = "read", .partner = "p", .body = "{}",
		                               .len = 2};
		/* Each record's hash is its predecessor's plus one: a chain. */
		memcpy(r.hash, prev, STORE_HASH_LEN);
		r.hash[0]++;
		w->rc = store_trail_end(t, store_trail_add(t, &r, w->err), w->err);
	}
	store_trail_close(t);
	store_close(s);
	return NULL;
}

static enum relto_err check_chain(void *ctx, const struct store_trail_record *r)
{
	struct walked *w = ctx;
	if (r->seq != w->n + 1 || r->hash[0] != (unsigned char)(w->n + 1))
		w->ordered = 0;
	w->n++;
	return RELTO_OK;
}

static void test_concurrent_trail(void)
{
	CHECK(sql("DELETE FROM audit_records") == 0);
	pthread_t th[WRITERS];
	struct writer w[WRITERS];
	for (int i = 0; i < WRITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		CHECK(pthread_create(&th[i], NULL, append_records, &w[i]) == 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < WRITERS; i++) {
		if (w[i].rc)
			fprintf(stderr, "  trail writer %d: %s\n", i, w[i].err);
		CHECK(w[i].rc == RELTO_OK);
	}
	struct store *s = NULL;
	struct store_trail *t = NULL;
	CHECK(store_open(pg_url, &s, NULL) == RELTO_OK);
	CHECK(store_trail_open(s, &t, NULL) == RELTO_OK);
	struct walked wk = {.ordered = 1};
	enum relto_err rc = store_trail_records(t, &(struct store_trail_select){0}, check_chain, &wk, NULL);
	store_trail_close(t);
	store_close(s);
	CHECK(rc == RELTO_OK && wk.n == WRITERS * BATCHES && wk.ordered);
}

/* ---- watching for other processes' changes ---- */

/* Poll and read w for up to 5 s, until every bit of want was reported;
** *got: every bit reported meanwhile.  0, or -1 on timeout. */
static int wait_changes(struct store_watch *w, unsigned want, unsigned *got)
{
	*got = 0;
	for (int i = 0; i < 100 && (*got & want) != want; i++) {
		struct pollfd p = {.fd = store_watch_fd(w), .events = POLLIN};
		int t = store_watch_timeout_ms(w);
		poll(&p, 1, t >= 0 && t < 50 ? t : 50); /* fd -1: just the wait */
		unsigned changed = 0;
		if (store_watch_read(w, &changed, NULL) == RELTO_OK)
			*got |= changed;
	}
	return (*got & want) == want ? 0 : -1;
}

static struct store_new watch_object(const char *id)
{
	return (struct store_new){.id = id, .type = "indicator", .spec_version = "2.1", .has_version = 1,
	                          .version = 1, .version_text = "x", .marking_canon = "", .created_by_ref = "",
	                          .raw = "{}", .raw_len = 2};
}

/* Two stores on the database: `mine` (watched) and `other` (another
** process).  Announcements arrive in commit order, so once a later
** change is reported, an earlier one that was announced would have been
** reported too: that is how the test sees what is not announced. */
static void test_watch(void)
{
	struct store *mine = NULL, *other = NULL;
	struct store_conn *cm = NULL, *co = NULL;
	struct store_watch *w = NULL;
	CHECK(store_open(pg_url, &mine, NULL) == RELTO_OK && store_open(pg_url, &other, NULL) == RELTO_OK);
	CHECK(store_conn_get(mine, &cm, NULL) == RELTO_OK && store_conn_get(other, &co, NULL) == RELTO_OK);
	int64_t coll = 0, v = 0;
	CHECK(store_collection(co, "11111111-2222-4333-8444-000000000055", &coll, NULL) == RELTO_OK);
	CHECK(store_watch_open(mine, &w, NULL) == RELTO_OK);
	CHECK(store_watch_fd(w) >= 0 && store_watch_timeout_ms(w) == -1);
	unsigned got = 1;
	struct pollfd p = {.fd = store_watch_fd(w), .events = POLLIN};
	CHECK(poll(&p, 1, 0) == 0 && store_watch_read(w, &got, NULL) == RELTO_OK && got == 0);

	/* A rules change another store commits: the descriptor becomes
	** readable, and read says "rules". */
	CHECK(store_rules_put(co, "posture", "ann", "watch", "{}", -1, &v, NULL) == RELTO_OK);
	CHECK(poll(&p, 1, 5000) == 1);
	CHECK(wait_changes(w, STORE_CHANGED_RULES, &got) == 0 && got == STORE_CHANGED_RULES);

	/* Left out: this store's own change, and one that rolled back. */
	struct store_credential cr = {.id = "tk_watch1", .partner = "p1", .kind = "token", .hash = "x", .note = ""};
	CHECK(store_credential_put(cm, &cr, NULL, NULL) == RELTO_OK);
	CHECK(store_credential_revoke(co, "tk_nosuch", NULL, NULL) == RELTO_ENOTFOUND);
	CHECK(store_rules_put(cm, "policy", "ann", "mine", "allow", -1, &v, NULL) == RELTO_OK);
	struct store_new o = watch_object("indicator--11111111-2222-4333-8444-000000000055");
	enum store_put_result r;
	CHECK(store_put(co, coll, "p1", &o, 1, &r, NULL, NULL) == RELTO_OK && r == STORE_ADDED);
	CHECK(wait_changes(w, STORE_CHANGED_OBJECTS, &got) == 0 && got == STORE_CHANGED_OBJECTS);

	/* A batch of duplicates changes nothing; credentials and a delete do. */
	CHECK(store_put(co, coll, "p1", &o, 1, &r, NULL, NULL) == RELTO_OK && r == STORE_DUPLICATE);
	CHECK(store_credential_revoke(co, "tk_watch1", NULL, NULL) == RELTO_OK);
	CHECK(wait_changes(w, STORE_CHANGED_CREDENTIALS, &got) == 0 && got == STORE_CHANGED_CREDENTIALS);
	size_t deleted = 0;
	struct store_versions all = {.all = 1};
	CHECK(store_delete(co, coll, o.id, &all, NULL, 0, NULL, &deleted, NULL) == RELTO_OK && deleted == 1);
	CHECK(wait_changes(w, STORE_CHANGED_OBJECTS, &got) == 0 && got == STORE_CHANGED_OBJECTS);

	/* A kind this relto does not know (a newer relto's): anything. */
	CHECK(sql("NOTIFY relto_changes, 'schemas 0123456789abcdef'") == 0);
	CHECK(wait_changes(w, STORE_CHANGED_ALL, &got) == 0);

	/* The connection lost: said once, then a reconnect after a pause,
	** which reports everything (what was announced meanwhile is lost). */
	CHECK(drop_sessions() == 0);
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = RELTO_OK;
	for (int i = 0; i < 50 && rc == RELTO_OK; i++) {
		p.fd = store_watch_fd(w);
		poll(&p, 1, 100);
		rc = store_watch_read(w, &got, err);
	}
	CHECK(rc == RELTO_ESTORE && got == 0 && strncmp(err, "postgresql: watching for changes: ", 34) == 0);
	CHECK(store_watch_fd(w) == -1 && store_watch_timeout_ms(w) >= 0 && store_watch_timeout_ms(w) <= 101);
	/* (co's session ended too: its first call says so, the next reconnects.) */
	if (store_rules_put(co, "posture", "ann", "while away", "{}", -1, &v, NULL) != RELTO_OK)
		CHECK(store_rules_put(co, "posture", "ann", "while away", "{}", -1, &v, NULL) == RELTO_OK);
	CHECK(wait_changes(w, STORE_CHANGED_ALL, &got) == 0 && store_watch_fd(w) >= 0);
	CHECK(store_rules_put(co, "posture", "ann", "back", "{}", -1, &v, NULL) == RELTO_OK);
	CHECK(wait_changes(w, STORE_CHANGED_RULES, &got) == 0 && got == STORE_CHANGED_RULES);

	store_watch_close(w);
	store_conn_put(mine, cm);
	store_conn_put(other, co);
	store_close(mine);
	store_close(other);
}

int main(void)
{
	pg_url = getenv("RELTO_TEST_PG");
	if (!pg_url || !*pg_url) {
		fprintf(stderr, "store_pg_test: skipped: RELTO_TEST_PG is not set (tests/pg/run sets it)\n");
		return TEST_DONE();
	}
	RUN(test_urls);
	RUN(test_password_never_shown);
	RUN(test_newer_schema_refused);
	RUN(test_lost_connection);
	RUN(test_statistics_after_bulk_write);
	RUN(test_concurrent_writers);
	RUN(test_concurrent_trail);
	RUN(test_watch);
	return TEST_DONE();
}
