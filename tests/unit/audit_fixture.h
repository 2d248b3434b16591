/*
** audit_fixture.h: what the audit trail's unit tests share (audit_test.c,
** audit_tamper_test.c): stores in a fresh /tmp directory, the signing
** key, SQL on a trail's database and edits of its records file, record
** bodies, reading a trail back record by record, and a chain of records
** made by audit_append_now.  The includer calls fixture_start() before
** its first test and fixture_cleanup() after its last.
*/
#ifndef RELTO_AUDIT_FIXTURE_H
#define RELTO_AUDIT_FIXTURE_H

/* Each test file uses some of these helpers. */
#define MAYBE_UNUSED __attribute__((unused))

#include <dirent.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "test.h"
#include "audit/audit.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/ts.h"

static char dir[64];

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"
#define V1 "2024-01-01T00:00:00.000Z"
#define AT0 INT64_C(1704067200000000) /* 2024-01-01T00:00:00Z in µs */

/* ---- files ---- */

/* dir/name into out. */
static MAYBE_UNUSED void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* The store at p and everything beside it. */
static MAYBE_UNUSED void remove_store(const char *p)
{
	static const char *const tails[] = {"", "-wal", "-shm", "-journal", ".audit", ".audit-wal",
	                                    ".audit-shm", ".audit-journal", ".audit-records"};
	char q[256];
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		snprintf(q, sizeof(q), "%s%s", p, tails[i]);
		unlink(q);
	}
}

/* A fresh, empty store at dir/name (its path into p). */
static MAYBE_UNUSED struct store *fresh_store(const char *name, char *p, size_t size)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	struct store *st = NULL;
	path_of(p, size, name);
	remove_store(p);
	if (store_open(p, &st, err) != RELTO_OK) {
		fprintf(stderr, "  store_open %s: %s\n", p, err);
		return NULL;
	}
	return st;
}

static MAYBE_UNUSED int write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(text, 1, strlen(text), f);
	return fclose(f) == 0 && n == strlen(text) ? 0 : -1;
}

/* The signing key every chain is made with (dir/signing.key). */
static MAYBE_UNUSED int signing_key(struct audit_key *k)
{
	char p[128], err[RELTO_ERRBUF_SIZE] = "";
	path_of(p, sizeof(p), "signing.key");
	if (audit_key_load(p, 1, k, err) != RELTO_OK || !k->has_secret) {
		fprintf(stderr, "  signing key: %s\n", err);
		return -1;
	}
	return 0;
}

/* The public half of k alone. */
static MAYBE_UNUSED struct audit_key public_of(const struct audit_key *k)
{
	struct audit_key pub;
	memset(&pub, 0, sizeof(pub));
	memcpy(pub.pk, k->pk, sizeof(pub.pk));
	return pub;
}

static MAYBE_UNUSED void hash_of(const void *p, size_t n, unsigned char out[AUDIT_HASH_LEN])
{
	crypto_hash_sha256(out, p, n);
}

static MAYBE_UNUSED void hex_of(const unsigned char h[AUDIT_HASH_LEN], char out[2 * AUDIT_HASH_LEN + 1])
{
	sodium_bin2hex(out, 2 * AUDIT_HASH_LEN + 1, h, AUDIT_HASH_LEN);
}

/* ---- SQL on STORE.audit, with h256(x) = SHA-256 of x (the trail's hash) ---- */

static MAYBE_UNUSED void sql_h256(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	unsigned char h[AUDIT_HASH_LEN];
	const void *p = sqlite3_value_blob(argv[0]);
	hash_of(p ? p : "", (size_t)sqlite3_value_bytes(argv[0]), h);
	sqlite3_result_blob(ctx, h, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
}

static MAYBE_UNUSED sqlite3 *trail_db(const char *store_path)
{
	char p[256];
	sqlite3 *db = NULL;
	snprintf(p, sizeof(p), "%s.audit", store_path);
	if (sqlite3_open_v2(p, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "  cannot open %s\n", p);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000);
	sqlite3_create_function(db, "h256", 1, SQLITE_UTF8, NULL, sql_h256, NULL, NULL);
	return db;
}

/* Run sql on the trail of the store at store_path.  0 on success. */
static MAYBE_UNUSED int trail_sql(const char *store_path, const char *sql)
{
	sqlite3 *db = trail_db(store_path);
	if (!db)
		return -1;
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fprintf(stderr, "  SQL failed: %s: %s\n", sql, msg ? msg : "?");
	sqlite3_free(msg);
	/* Every statement must have changed something. */
	int changed = sqlite3_total_changes(db);
	sqlite3_close(db);
	if (rc == SQLITE_OK && changed == 0)
		fprintf(stderr, "  SQL changed nothing: %s\n", sql);
	return rc == SQLITE_OK && changed > 0 ? 0 : -1;
}

/* The one integer sql selects from the trail; -1 on failure. */
static MAYBE_UNUSED int64_t trail_int(const char *store_path, const char *sql)
{
	sqlite3 *db = trail_db(store_path);
	if (!db)
		return -1;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		fprintf(stderr, "  SQL failed: %s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* ---- the records file (STORE.audit-records: one record per line) ---- */

#define MAX_LINES 4096

struct lines {
	char *v[MAX_LINES];
	size_t n;
};

static MAYBE_UNUSED void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* The records of the store at store_path, one string per line. */
static MAYBE_UNUSED int records_read(const char *store_path, struct lines *l)
{
	char p[256];
	snprintf(p, sizeof(p), "%s.audit-records", store_path);
	FILE *f = fopen(p, "rb");
	l->n = 0;
	if (!f)
		return -1;
	char *line = NULL;
	size_t room = 0;
	ssize_t n;
	while (l->n < MAX_LINES && (n = getline(&line, &room, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		l->v[l->n++] = strdup(line);
	}
	free(line);
	fclose(f);
	return 0;
}

/* Write l back as the store's records (each line ends with a line break). */
static MAYBE_UNUSED int records_write(const char *store_path, const struct lines *l)
{
	char p[256];
	snprintf(p, sizeof(p), "%s.audit-records", store_path);
	FILE *f = fopen(p, "wb");
	if (!f)
		return -1;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s\n", l->v[i]);
	return fclose(f) == 0 ? 0 : -1;
}

/* Replace the first `from` in line seq (1-based) by `to`; -1 if absent. */
static MAYBE_UNUSED int line_replace(struct lines *l, size_t seq, const char *from, const char *to)
{
	char *at = seq >= 1 && seq <= l->n ? strstr(l->v[seq - 1], from) : NULL;
	if (!at)
		return -1;
	size_t len = strlen(l->v[seq - 1]) - strlen(from) + strlen(to);
	char *out = malloc(len + 1);
	snprintf(out, len + 1, "%.*s%s%s", (int)(at - l->v[seq - 1]), l->v[seq - 1], to, at + strlen(from));
	free(l->v[seq - 1]);
	l->v[seq - 1] = out;
	return 0;
}

/* The SHA-256 of line seq, as 64 hex digits. */
static MAYBE_UNUSED void line_hash_hex(const struct lines *l, size_t seq, char out[65])
{
	unsigned char h[AUDIT_HASH_LEN];
	crypto_hash_sha256(h, (const unsigned char *)l->v[seq - 1], strlen(l->v[seq - 1]));
	sodium_bin2hex(out, 65, h, AUDIT_HASH_LEN);
}

/* ---- bodies ---- */

/* body wrapped as the writer wraps it (as record 1), parsed; NULL if it is
** not valid JSON. */
static MAYBE_UNUSED json_t *wrapped(const char *body, size_t len)
{
	struct buf w;
	buf_init(&w, 1 << 20);
	buf_puts(&w, "{\"seq\":1,");
	buf_append(&w, body, len);
	buf_puts(&w, ",\"prev\":\"" ZERO64 "\"}");
	json_error_t je;
	json_t *j = json_loadb(w.data, w.len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		fprintf(stderr, "  not JSON (%s at %d): %s\n", je.text, je.position, w.data);
	buf_free(&w);
	return j;
}

static MAYBE_UNUSED const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The record's time: the timestamp text ts_format makes, which parses
** back to exactly us. */
static MAYBE_UNUSED int jat_is(const json_t *o, int64_t us)
{
	const char *t = jstr(o, "at");
	int64_t v = -1;
	if (!t || strlen(t) != 27 || ts_parse(t, strlen(t), &v, NULL) != RELTO_OK || v != us) {
		fprintf(stderr, "  at is %s, not %lld us\n", t ? t : "(not a string)", (long long)us);
		return 0;
	}
	return 1;
}

static MAYBE_UNUSED int jint_is(const json_t *o, const char *k, json_int_t v)
{
	const json_t *x = json_object_get(o, k);
	return json_is_integer(x) && json_integer_value(x) == v;
}

/* What every read record of the tests withheld, and its reasons' list. */
static MAYBE_UNUSED const struct audit_withheld read_withheld[] = {{"policy line 9: not on the REL TO list", 2},
                                                      {"classified above the partner's clearance", 1}};
static MAYBE_UNUSED struct audit_list read_reasons;

static MAYBE_UNUSED const struct audit_list *reasons_of_reads(void)
{
	static struct buf b;
	if (!b.len) {
		buf_init(&b, 1 << 16);
		if (audit_reasons_list(&b, read_withheld, 2) != RELTO_OK)
			return NULL;
		read_reasons.text = b.data;
		read_reasons.len = b.len;
		audit_list_hash(b.data, b.len, read_reasons.hash);
	}
	return &read_reasons;
}

/* A read record's body: partner, at, optionally a released list hash, and
** what it withheld (read_withheld, or nothing). */
static MAYBE_UNUSED enum relto_err read_body_of(struct buf *b, const char *partner, int64_t at, const unsigned char *list,
                                   size_t released, int withheld)
{
	struct audit_read r = {
		.at = at, .type = "read", .partner = partner, .credential = "config:x",
		.request_id = "req-1", .method = "GET", .path = "/taxii2/api1/collections/c/objects/",
		.query = "limit=10", .status = 200, .policy_version = 3, .posture_version = 4,
		.snapshot = 7, .released = released, .list = list, .withheld = read_withheld,
		.nwithheld = withheld ? 2 : 0,
	};
	buf_reset(b);
	return audit_body_read(b, &r);
}

static MAYBE_UNUSED enum relto_err read_body(struct buf *b, const char *partner, int64_t at, const unsigned char *list,
                                size_t released)
{
	return read_body_of(b, partner, at, list, released, 1);
}

/* ---- reading the trail back ---- */

struct seen {
	int64_t n;
	int64_t seq[2048];
	char partner[2048][8];
	int64_t with_list;
	int64_t with_reasons;
	unsigned char prev[AUDIT_HASH_LEN]; /* the last record's hash */
	int64_t last_seq;
	int chained;      /* 1 while every record seen was seq+1 and linked to the one before */
	int bad;          /* a record that did not parse or match its hash */
};

static MAYBE_UNUSED void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	s->chained = 1;
}

/* Checks each record itself: it parses, seq is its seq, its hash is the
** hash of its bytes, and (when records come one after another) prev is the
** hash of the one before. */
static MAYBE_UNUSED enum relto_err collect(void *ctx, int64_t seq, const char *body, const char *list, const char *reasons,
                              const unsigned char hash[AUDIT_HASH_LEN])
{
	struct seen *s = ctx;
	unsigned char h[AUDIT_HASH_LEN];
	char want_prev[65];
	hash_of(body, strlen(body), h);
	if (memcmp(h, hash, AUDIT_HASH_LEN) != 0) {
		fprintf(stderr, "  record %lld: hash is not the hash of its body\n", (long long)seq);
		s->bad = 1;
	}
	char head[32];
	snprintf(head, sizeof(head), "{\"seq\":%lld,", (long long)seq);
	if (strncmp(body, head, strlen(head)) != 0) {
		fprintf(stderr, "  record %lld does not start with %s: %.60s\n", (long long)seq, head, body);
		s->bad = 1;
	}
	json_error_t je;
	json_t *j = json_loads(body, JSON_REJECT_DUPLICATES, &je);
	if (!j || !jint_is(j, "seq", seq) || !jstr(j, "prev") || strlen(jstr(j, "prev")) != 64) {
		fprintf(stderr, "  record %lld is not a JSON record: %s\n", (long long)seq, body);
		s->bad = 1;
	} else {
		if (s->last_seq == seq - 1) {
			if (seq == 1)
				memcpy(want_prev, ZERO64, 65);
			else
				hex_of(s->prev, want_prev);
			if (strcmp(jstr(j, "prev"), want_prev) != 0)
				s->chained = 0;
		} else {
			s->chained = 0;
		}
		/* A record naming a list comes with it, and the list has that hash. */
		const char *lh = jstr(json_object_get(j, "released"), "list");
		if (lh) {
			unsigned char got[AUDIT_HASH_LEN];
			char ghex[65];
			if (!list) {
				fprintf(stderr, "  record %lld names list %s but none came\n", (long long)seq, lh);
				s->bad = 1;
			} else {
				audit_list_hash(list, strlen(list), got);
				hex_of(got, ghex);
				if (strcmp(ghex, lh) != 0) {
					fprintf(stderr, "  record %lld: its list does not hash to %s\n", (long long)seq, lh);
					s->bad = 1;
				}
				s->with_list++;
			}
		} else if (list) {
			fprintf(stderr, "  record %lld names no list but one came\n", (long long)seq);
			s->bad = 1;
		}
		/* Withheld counts name their reasons' list, which comes too. */
		const char *rh = jstr(json_object_get(j, "withheld"), "reasons");
		if (rh) {
			unsigned char got[AUDIT_HASH_LEN];
			char ghex[65] = "";
			if (reasons) {
				audit_list_hash(reasons, strlen(reasons), got);
				hex_of(got, ghex);
			}
			if (strcmp(ghex, rh) != 0) {
				fprintf(stderr, "  record %lld: its reasons did not come, or do not hash to %s\n", (long long)seq, rh);
				s->bad = 1;
			}
			s->with_reasons++;
		} else if (reasons) {
			fprintf(stderr, "  record %lld names no reasons but a list came\n", (long long)seq);
			s->bad = 1;
		}
		if (s->n < 2048) {
			const char *p = jstr(j, "partner");
			snprintf(s->partner[s->n], sizeof(s->partner[0]), "%s", p ? p : "");
		}
	}
	json_decref(j);
	if (s->n < 2048)
		s->seq[s->n] = seq;
	s->n++;
	s->last_seq = seq;
	memcpy(s->prev, hash, AUDIT_HASH_LEN);
	return RELTO_OK;
}

/* audit_verify with keys; the report into rep (caller frees). */
static MAYBE_UNUSED int64_t verify(struct store *st, const struct audit_key *keys, size_t nkeys, struct buf *rep)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	int64_t bad = -1;
	buf_init(rep, 1 << 20);
	enum relto_err rc = audit_verify(st, keys, nkeys, rep, &bad, err);
	if (rc != RELTO_OK) {
		fprintf(stderr, "  audit_verify: %s: %s\n", relto_strerror(rc), err);
		return -1;
	}
	return bad;
}

/* The report's first line names record seq. */
static MAYBE_UNUSED int names_first(const struct buf *rep, int64_t seq)
{
	char head[40];
	snprintf(head, sizeof(head), "record %lld:", (long long)seq);
	if (rep->data && strncmp(rep->data, head, strlen(head)) == 0)
		return 1;
	fprintf(stderr, "  report does not start with \"%s\":\n%s\n", head, rep->data ? rep->data : "(empty)");
	return 0;
}

/* ---- 4. a chain made by audit_append_now ---- */

#define CHAIN 10

/* A fresh store at dir/name with CHAIN records appended one by one (odd
** seqs by "kor", even by "jpn"), signed by k. */
static MAYBE_UNUSED struct store *make_chain(const char *name, char *p, size_t size, const struct audit_key *k)
{
	struct store *st = fresh_store(name, p, size);
	struct buf b;
	char err[RELTO_ERRBUF_SIZE] = "";
	buf_init(&b, 1 << 16);
	for (int i = 1; st && i <= CHAIN; i++) {
		if (read_body(&b, i % 2 ? "kor" : "jpn", AT0 + i * INT64_C(1000000), NULL, 0) != RELTO_OK ||
		    audit_append_now(st, k, b.data, b.len, reasons_of_reads(), err) != RELTO_OK) {
			fprintf(stderr, "  append %d: %s\n", i, err);
			store_close(st);
			st = NULL;
		}
	}
	buf_free(&b);
	return st;
}


/* Before the first test: libsodium, and a fresh directory named
** /tmp/PREFIX-XXXXXX into `dir`.  0, or -1 after saying why. */
static MAYBE_UNUSED int fixture_start(const char *prefix)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return -1;
	}
	snprintf(dir, sizeof(dir), "/tmp/%s-XXXXXX", prefix);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

/* Remove every file of the test directory, then the directory. */
static MAYBE_UNUSED void fixture_cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char p[sizeof(dir) + sizeof(de->d_name) + 2];
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

#endif
