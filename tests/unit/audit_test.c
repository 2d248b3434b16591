/*
** audit_test.c: unit tests for the audit trail (src/audit/audit.h,
** docs/audit.md), each on a store of its own in a fresh /tmp directory:
** the key file (created 0600, reloaded, its public text, a public key
** file, garbage and missing files); record bodies (valid JSON once seq and
** prev are added, every field with its value, reasons that need escaping,
** a NULL list); released lists and their hash; a chain of records made by
** audit_append_now, checked by audit_verify, audit_status and audit_each
** (and by this file, record by record); each kind of tampering the docs
** name, done with sqlite3 on STORE.audit, found at the right record; the
** group-commit writer under four submitting threads; audit_submit_wait;
** checkpoints the writer signs on its own.
*/
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
static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* The store at p and everything beside it. */
static void remove_store(const char *p)
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
static struct store *fresh_store(const char *name, char *p, size_t size)
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

static int write_file(const char *p, const char *text)
{
	FILE *f = fopen(p, "wb");
	if (!f)
		return -1;
	size_t n = fwrite(text, 1, strlen(text), f);
	return fclose(f) == 0 && n == strlen(text) ? 0 : -1;
}

/* The signing key every chain is made with (dir/signing.key). */
static int signing_key(struct audit_key *k)
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
static struct audit_key public_of(const struct audit_key *k)
{
	struct audit_key pub;
	memset(&pub, 0, sizeof(pub));
	memcpy(pub.pk, k->pk, sizeof(pub.pk));
	return pub;
}

static void hash_of(const void *p, size_t n, unsigned char out[AUDIT_HASH_LEN])
{
	crypto_hash_sha256(out, p, n);
}

static void hex_of(const unsigned char h[AUDIT_HASH_LEN], char out[2 * AUDIT_HASH_LEN + 1])
{
	sodium_bin2hex(out, 2 * AUDIT_HASH_LEN + 1, h, AUDIT_HASH_LEN);
}

/* ---- SQL on STORE.audit, with h256(x) = SHA-256 of x (the trail's hash) ---- */

static void sql_h256(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	unsigned char h[AUDIT_HASH_LEN];
	const void *p = sqlite3_value_blob(argv[0]);
	hash_of(p ? p : "", (size_t)sqlite3_value_bytes(argv[0]), h);
	sqlite3_result_blob(ctx, h, AUDIT_HASH_LEN, SQLITE_TRANSIENT);
}

static sqlite3 *trail_db(const char *store_path)
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
static int trail_sql(const char *store_path, const char *sql)
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
static int64_t trail_int(const char *store_path, const char *sql)
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

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	l->n = 0;
}

/* The records of the store at store_path, one string per line. */
static int records_read(const char *store_path, struct lines *l)
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
static int records_write(const char *store_path, const struct lines *l)
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
static int line_replace(struct lines *l, size_t seq, const char *from, const char *to)
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
static void line_hash_hex(const struct lines *l, size_t seq, char out[65])
{
	unsigned char h[AUDIT_HASH_LEN];
	crypto_hash_sha256(h, (const unsigned char *)l->v[seq - 1], strlen(l->v[seq - 1]));
	sodium_bin2hex(out, 65, h, AUDIT_HASH_LEN);
}

/* ---- bodies ---- */

/* body wrapped as the writer wraps it (as record 1), parsed; NULL if it is
** not valid JSON. */
static json_t *wrapped(const char *body, size_t len)
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

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The record's time: the timestamp text ts_format makes, which parses
** back to exactly us. */
static int jat_is(const json_t *o, int64_t us)
{
	const char *t = jstr(o, "at");
	int64_t v = -1;
	if (!t || strlen(t) != 27 || ts_parse(t, strlen(t), &v, NULL) != RELTO_OK || v != us) {
		fprintf(stderr, "  at is %s, not %lld us\n", t ? t : "(not a string)", (long long)us);
		return 0;
	}
	return 1;
}

static int jint_is(const json_t *o, const char *k, json_int_t v)
{
	const json_t *x = json_object_get(o, k);
	return json_is_integer(x) && json_integer_value(x) == v;
}

/* What every read record of the tests withheld, and its reasons' list. */
static const struct audit_withheld read_withheld[] = {{"policy line 9: not on the REL TO list", 2},
                                                      {"classified above the partner's clearance", 1}};
static struct audit_list read_reasons;

static const struct audit_list *reasons_of_reads(void)
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
static enum relto_err read_body_of(struct buf *b, const char *partner, int64_t at, const unsigned char *list,
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

static enum relto_err read_body(struct buf *b, const char *partner, int64_t at, const unsigned char *list,
                                size_t released)
{
	return read_body_of(b, partner, at, list, released, 1);
}

/* ---- 1. keys ---- */

static void test_keys(void)
{
	char p[128], pubp[128], bad[128], missing[128], err[RELTO_ERRBUF_SIZE];
	struct audit_key k, k2, pub, other;
	struct stat sb;
	path_of(p, sizeof(p), "k1.key");
	path_of(pubp, sizeof(pubp), "k1.pub");
	path_of(bad, sizeof(bad), "bad.key");
	path_of(missing, sizeof(missing), "no-such.key");
	unlink(p);
	unlink(missing);

	/* Created: mode 0600, a secret, and the same key when loaded again. */
	err[0] = '\0';
	CHECK(audit_key_load(p, 1, &k, err) == RELTO_OK);
	CHECK(k.has_secret);
	CHECK(stat(p, &sb) == 0);
	CHECK((sb.st_mode & 07777) == 0600);
	CHECK(audit_key_load(p, 0, &k2, err) == RELTO_OK);
	CHECK(k2.has_secret);
	CHECK(memcmp(k.pk, k2.pk, 32) == 0);
	CHECK(memcmp(k.sk, k2.sk, 64) == 0);
	CHECK(audit_key_load(p, 1, &k2, err) == RELTO_OK); /* create: an existing file is kept */
	CHECK(memcmp(k.pk, k2.pk, 32) == 0);
	/* The secret signs for the public key. */
	unsigned char sig[64];
	crypto_sign_detached(sig, NULL, (const unsigned char *)"m", 1, k.sk);
	CHECK(crypto_sign_verify_detached(sig, (const unsigned char *)"m", 1, k.pk) == 0);

	/* Two created keys differ. */
	char p2[128];
	path_of(p2, sizeof(p2), "k2.key");
	unlink(p2);
	CHECK(audit_key_load(p2, 1, &other, err) == RELTO_OK);
	CHECK(memcmp(other.pk, k.pk, 32) != 0);

	/* The public text: "ed25519:" + 64 hex digits + newline. */
	char text[128];
	memset(text, 'X', sizeof(text));
	audit_pubkey_text(&k, text, sizeof(text));
	CHECK(strncmp(text, "ed25519:", 8) == 0);
	CHECK(strlen(text) == 8 + 64 + 1);
	CHECK(text[8 + 64] == '\n');
	unsigned char pk[32];
	size_t pklen = 0;
	CHECK(sodium_hex2bin(pk, sizeof(pk), text + 8, 64, NULL, &pklen, NULL) == 0 && pklen == 32);
	CHECK(memcmp(pk, k.pk, 32) == 0);
	/* 80 bytes are enough. */
	char small[80];
	audit_pubkey_text(&k, small, sizeof(small));
	CHECK_STR(small, text);

	/* A public key file: the same key, no secret. */
	CHECK(write_file(pubp, text) == 0);
	memset(&pub, 0xAA, sizeof(pub));
	CHECK(audit_pubkey_load(pubp, &pub, err) == RELTO_OK);
	CHECK(memcmp(pub.pk, k.pk, 32) == 0);
	CHECK(!pub.has_secret);
	static const unsigned char zeros[64];
	CHECK(memcmp(pub.sk, zeros, 64) == 0);
	/* The key file itself will do as a public key file. */
	CHECK(audit_pubkey_load(p, &pub, err) == RELTO_OK);
	CHECK(memcmp(pub.pk, k.pk, 32) == 0);

	/* Garbage: RELTO_EINVAL naming the file, for both loaders. */
	CHECK(write_file(bad, "this is not a key\n") == 0);
	err[0] = '\0';
	CHECK(audit_key_load(bad, 0, &k2, err) == RELTO_EINVAL);
	CHECK(strstr(err, bad) != NULL);
	err[0] = '\0';
	CHECK(audit_key_load(bad, 1, &k2, err) == RELTO_EINVAL); /* never overwritten */
	CHECK(strstr(err, bad) != NULL);
	err[0] = '\0';
	CHECK(audit_pubkey_load(bad, &pub, err) == RELTO_EINVAL);
	CHECK(strstr(err, bad) != NULL);
	CHECK(write_file(bad, "ed25519:0123\n") == 0); /* too short */
	err[0] = '\0';
	CHECK(audit_pubkey_load(bad, &pub, err) == RELTO_EINVAL);
	CHECK(strstr(err, bad) != NULL);

	/* Missing, without create: RELTO_ENOTFOUND, and nothing created. */
	err[0] = '\0';
	CHECK(audit_key_load(missing, 0, &k2, err) == RELTO_ENOTFOUND);
	CHECK(access(missing, F_OK) != 0);
	err[0] = '\0';
	CHECK(audit_pubkey_load(missing, &pub, err) == RELTO_ENOTFOUND);

	/* Wiping forgets the secret. */
	audit_key_wipe(&k2);
	CHECK(memcmp(k2.sk, zeros, 64) == 0);
	audit_key_wipe(&k);
	audit_key_wipe(&other);
	unlink(p);
	unlink(p2);
	unlink(pubp);
	unlink(bad);
}

/* ---- 2. bodies ---- */

static void test_body_read(void)
{
	struct buf b;
	unsigned char list[AUDIT_HASH_LEN];
	char hex[65];
	for (int i = 0; i < AUDIT_HASH_LEN; i++)
		list[i] = (unsigned char)(i * 7 + 1);
	hex_of(list, hex);
	static const struct audit_withheld wh[] = {
		{"policy line 9: not on the REL TO list", 3},
		{"a \"quoted\" \\back\\slash\\ reason", 1},
		{"classé ☃ 日本 \xF0\x9F\x94\x92", 2},
		{"tab\there, newline\nthere", 5},
	};
	struct audit_read r = {
		.at = INT64_C(1700000000123456), .type = "read", .partner = "kor \"admin\"",
		.credential = "cert:AB12CD34", .request_id = "req.1_-x", .method = "GET",
		.path = "/taxii2/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/",
		.query = "match[type]=indicator&limit=2&next=a\\b\"c", .status = 200, .policy_version = 12,
		.posture_version = 34, .snapshot = UINT64_C(123456789012), .released = 17, .list = list,
		.withheld = wh, .nwithheld = 4,
	};
	buf_init(&b, 1 << 16);
	CHECK(audit_body_read(&b, &r) == RELTO_OK);
	CHECK(b.data && strncmp(b.data, "\"at\":", 5) == 0);
	CHECK(strlen(b.data) == b.len);
	json_t *j = wrapped(b.data, b.len);
	CHECK(j);
	CHECK(json_is_object(j));
	CHECK(jint_is(j, "seq", 1));
	CHECK(jat_is(j, INT64_C(1700000000123456)));
	CHECK_STR(jstr(j, "type"), "read");
	CHECK_STR(jstr(j, "partner"), "kor \"admin\"");
	CHECK_STR(jstr(j, "credential"), "cert:AB12CD34");
	CHECK_STR(jstr(j, "request_id"), "req.1_-x");
	CHECK_STR(jstr(j, "method"), "GET");
	CHECK_STR(jstr(j, "path"), "/taxii2/api1/collections/91a7b528-80eb-42ed-a74d-c6fbd5a26116/objects/");
	CHECK_STR(jstr(j, "query"), "match[type]=indicator&limit=2&next=a\\b\"c");
	CHECK(jint_is(j, "status", 200));
	CHECK(jint_is(j, "policy_version", 12));
	CHECK(jint_is(j, "posture_version", 34));
	CHECK(jint_is(j, "snapshot", INT64_C(123456789012)));
	json_t *rel = json_object_get(j, "released");
	CHECK(json_is_object(rel));
	CHECK(jint_is(rel, "count", 17));
	CHECK_STR(jstr(rel, "list"), hex);
	/* Withheld: the hash of the list of reasons, and the counts in its order. */
	json_t *w = json_object_get(j, "withheld");
	CHECK(json_is_object(w));
	CHECK(json_object_size(w) == 2);
	struct buf rl;
	buf_init(&rl, 1 << 16);
	CHECK(audit_reasons_list(&rl, wh, 4) == RELTO_OK);
	unsigned char rh[AUDIT_HASH_LEN];
	char rhex[65];
	audit_list_hash(rl.data, rl.len, rh);
	hex_of(rh, rhex);
	CHECK_STR(jstr(w, "reasons"), rhex);
	json_t *counts = json_object_get(w, "counts");
	CHECK(json_is_array(counts) && json_array_size(counts) == 4);
	json_t *texts = json_loadb(rl.data, rl.len, JSON_REJECT_DUPLICATES, NULL);
	CHECK(json_is_array(texts) && json_array_size(texts) == 4);
	for (size_t i = 0; i < 4; i++) {
		CHECK(json_integer_value(json_array_get(counts, i)) == wh[i].n);
		CHECK_STR(json_string_value(json_array_get(texts, i)), wh[i].reason);
	}
	json_decref(texts);
	CHECK_STR(jstr(j, "prev"), ZERO64);
	json_decref(j);
	/* The reasons' hash given (made once for a cached answer): the same body. */
	struct buf again;
	buf_init(&again, 1 << 16);
	r.reasons = rh;
	CHECK(audit_body_read(&again, &r) == RELTO_OK);
	CHECK(again.len == b.len && memcmp(again.data, b.data, b.len) == 0);
	r.reasons = NULL;
	buf_free(&again);
	buf_free(&rl);

	/* A NULL list, nothing withheld, an empty query, a delete. */
	struct audit_read d = {
		.at = 5, .type = "delete", .partner = "p", .credential = "tk_1", .request_id = "r",
		.method = "DELETE", .path = "/x/", .query = "", .status = 404, .list = NULL,
	};
	buf_reset(&b);
	CHECK(audit_body_read(&b, &d) == RELTO_OK);
	j = wrapped(b.data, b.len);
	CHECK(j);
	CHECK_STR(jstr(j, "type"), "delete");
	CHECK_STR(jstr(j, "query"), "");
	CHECK(jint_is(j, "status", 404));
	CHECK(jint_is(j, "snapshot", 0));
	rel = json_object_get(j, "released");
	CHECK(json_is_object(rel));
	CHECK(jint_is(rel, "count", 0));
	CHECK(json_is_null(json_object_get(rel, "list")));
	w = json_object_get(j, "withheld");
	CHECK(json_is_object(w) && json_object_size(w) == 0);
	json_decref(j);

	/* Past the buffer's cap: RELTO_ETOOBIG. */
	struct buf tiny;
	buf_init(&tiny, 32);
	CHECK(audit_body_read(&tiny, &r) == RELTO_ETOOBIG);
	buf_free(&tiny);
	buf_free(&b);
}

static void test_body_admin(void)
{
	struct buf b;
	unsigned char digest[AUDIT_HASH_LEN];
	char hex[65];
	hash_of("new posture", 11, digest);
	hex_of(digest, hex);
	struct audit_admin a = {
		.at = INT64_C(1700000000000001), .partner = "cli", .credential = "os:root",
		.action = "posture.change", .subject = "kor", .author = "J. \"Ops\" Müller", .version = 42,
		.reason = "ticket #12: \"urgent\" \\ débloquer ☃\n", .digest = digest,
	};
	buf_init(&b, 1 << 16);
	CHECK(audit_body_admin(&b, &a) == RELTO_OK);
	CHECK(b.data && strncmp(b.data, "\"at\":", 5) == 0);
	json_t *j = wrapped(b.data, b.len);
	CHECK(j);
	CHECK(jat_is(j, INT64_C(1700000000000001)));
	CHECK_STR(jstr(j, "type"), "admin");
	CHECK_STR(jstr(j, "partner"), "cli");
	CHECK_STR(jstr(j, "credential"), "os:root");
	CHECK_STR(jstr(j, "action"), "posture.change");
	CHECK_STR(jstr(j, "subject"), "kor");
	CHECK_STR(jstr(j, "author"), "J. \"Ops\" Müller");
	CHECK(jint_is(j, "version", 42));
	CHECK_STR(jstr(j, "reason"), "ticket #12: \"urgent\" \\ débloquer ☃\n");
	CHECK_STR(jstr(j, "digest"), hex);
	json_decref(j);

	/* No digest, no author (NULL: ""), empty subject and reason, no version. */
	struct audit_admin c = {
		.at = 1, .partner = "admin", .credential = "config:admin", .action = "credential.revoke",
		.subject = "", .author = NULL, .version = 0, .reason = "", .digest = NULL,
	};
	buf_reset(&b);
	CHECK(audit_body_admin(&b, &c) == RELTO_OK);
	j = wrapped(b.data, b.len);
	CHECK(j);
	CHECK_STR(jstr(j, "type"), "admin");
	CHECK_STR(jstr(j, "action"), "credential.revoke");
	CHECK_STR(jstr(j, "subject"), "");
	CHECK_STR(jstr(j, "author"), "");
	CHECK_STR(jstr(j, "reason"), "");
	CHECK(jint_is(j, "version", 0));
	CHECK(json_is_null(json_object_get(j, "digest")));
	json_decref(j);

	struct buf tiny;
	buf_init(&tiny, 16);
	CHECK(audit_body_admin(&tiny, &a) == RELTO_ETOOBIG);
	buf_free(&tiny);
	buf_free(&b);
}

/* ---- 3. lists ---- */

/* The list of n entries built with audit_list_add, finished as the
** writer's callers finish it. */
static enum relto_err build_list(struct buf *b, const char *const *ids, const char *const *versions, size_t n)
{
	enum relto_err rc = RELTO_OK;
	buf_reset(b);
	for (size_t i = 0; !rc && i < n; i++)
		rc = audit_list_add(b, ids[i], versions[i]);
	return rc;
}

static void test_lists(void)
{
	static const char want[] = "[[\"a--1\",\"2024-01-01T00:00:00.000Z\"],[\"b--2\",\"x\"]]";
	static const char *const ids[] = {"a--1", "b--2"}, *const vers[] = {V1, "x"};
	struct buf b;
	unsigned char h[AUDIT_HASH_LEN], w[AUDIT_HASH_LEN];
	buf_init(&b, 1 << 16);
	CHECK(build_list(&b, ids, vers, 2) == RELTO_OK);
	CHECK_STR(b.data, want);
	CHECK(b.len == strlen(want));
	audit_list_hash(b.data, b.len, h);
	hash_of(want, strlen(want), w);
	CHECK(memcmp(h, w, AUDIT_HASH_LEN) == 0);

	/* A JSON array of [id, version] pairs. */
	json_error_t je;
	json_t *j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
	CHECK(j && json_is_array(j) && json_array_size(j) == 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *e = json_array_get(j, i);
		CHECK(json_is_array(e) && json_array_size(e) == 2);
		CHECK_STR(json_string_value(json_array_get(e, 0)), ids[i]);
		CHECK_STR(json_string_value(json_array_get(e, 1)), vers[i]);
	}
	json_decref(j);

	/* One entry; characters that need escaping; a different list hashes differently. */
	static const char *const id1[] = {"c--\"3\\"}, *const v1[] = {"t\u00e9"};
	CHECK(build_list(&b, id1, v1, 1) == RELTO_OK);
	j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
	CHECK(j && json_is_array(j) && json_array_size(j) == 1);
	CHECK_STR(json_string_value(json_array_get(json_array_get(j, 0), 0)), "c--\"3\\");
	CHECK_STR(json_string_value(json_array_get(json_array_get(j, 0), 1)), "t\u00e9");
	json_decref(j);
	unsigned char h1[AUDIT_HASH_LEN];
	audit_list_hash(b.data, b.len, h1);
	CHECK(memcmp(h1, h, AUDIT_HASH_LEN) != 0);

	/* Ids are checked eight bytes at a time: a byte that needs escaping
	** (or is not ASCII) at any place of a long id, around the edges of
	** those eight-byte words, still comes out escaped and as it was. */
	static const char awkward[] = {'"', '\\', '\n', 0x1f, 0x7f, (char)0xc3};
	for (size_t k = 0; k < sizeof(awkward); k++) {
		for (size_t at = 0; at < 21; at++) {
			char id[32], ver[] = "2024-01-01T00:00:00.000Z";
			memset(id, 'a', 21);
			id[21] = '\0';
			id[at] = awkward[k];
			if (awkward[k] == (char)0xc3) /* with its continuation: valid UTF-8 */
				id[at + 1] = (char)0xa9;
			static const char *one[1], *onev[1];
			one[0] = id;
			onev[0] = ver;
			CHECK(build_list(&b, one, onev, 1) == RELTO_OK);
			j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
			CHECK(j != NULL);
			CHECK_STR(json_string_value(json_array_get(json_array_get(j, 0), 0)), id);
			json_decref(j);
		}
	}

	/* Past the cap: RELTO_ETOOBIG. */
	struct buf tiny;
	buf_init(&tiny, 8);
	CHECK(audit_list_add(&tiny, "a--1", V1) == RELTO_ETOOBIG);
	buf_free(&tiny);
	buf_free(&b);
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

static void seen_init(struct seen *s)
{
	memset(s, 0, sizeof(*s));
	s->chained = 1;
}

/* Checks each record itself: it parses, seq is its seq, its hash is the
** hash of its bytes, and (when records come one after another) prev is the
** hash of the one before. */
static enum relto_err collect(void *ctx, int64_t seq, const char *body, const char *list, const char *reasons,
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
static int64_t verify(struct store *st, const struct audit_key *keys, size_t nkeys, struct buf *rep)
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
static int names_first(const struct buf *rep, int64_t seq)
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
static struct store *make_chain(const char *name, char *p, size_t size, const struct audit_key *k)
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

static void test_chain(void)
{
	struct audit_key k, pub;
	char p[128], err[RELTO_ERRBUF_SIZE] = "";
	struct buf rep;
	CHECK(signing_key(&k) == 0);
	pub = public_of(&k);
	struct store *st = make_chain("chain.db", p, sizeof(p), &k);
	CHECK(st);

	/* Intact, with the key and with none. */
	int64_t bad = verify(st, &pub, 1, &rep);
	if (bad != 0)
		fprintf(stderr, "  report:\n%s\n", rep.data ? rep.data : "");
	CHECK(bad == 0);
	CHECK(rep.data && strstr(rep.data, "intact") && !strcasestr(rep.data, "not intact"));
	buf_free(&rep);
	CHECK(verify(st, NULL, 0, &rep) == 0);
	buf_free(&rep);
	CHECK(verify(st, &k, 1, &rep) == 0); /* a key with its secret is a key too */
	buf_free(&rep);

	/* Status: ten records, the newest checkpoint signs record 10. */
	struct audit_status s;
	memset(&s, 0xFF, sizeof(s));
	CHECK(audit_status(st, &pub, &s, err) == RELTO_OK);
	CHECK(s.records == CHAIN);
	CHECK(s.checkpoints >= 1 && s.checkpoints <= CHAIN);
	CHECK(s.checkpoint_seq == CHAIN);
	CHECK(s.checkpoint_at > 0);
	CHECK(s.checkpoint_valid == 1);
	/* Another key does not validate it. */
	struct audit_key k2;
	char p2[128];
	path_of(p2, sizeof(p2), "other.key");
	unlink(p2);
	CHECK(audit_key_load(p2, 1, &k2, err) == RELTO_OK);
	struct audit_key pub2 = public_of(&k2);
	CHECK(audit_status(st, &pub2, &s, err) == RELTO_OK);
	CHECK(s.records == CHAIN);
	CHECK(s.checkpoint_valid == 0);
	unlink(p2);

	/* Every record, in order, each checked by collect(). */
	struct audit_filter f;
	static struct seen seen;
	memset(&f, 0, sizeof(f));
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == CHAIN);
	for (int i = 0; i < CHAIN; i++)
		CHECK(seen.seq[i] == i + 1);
	CHECK(!seen.bad);
	CHECK(seen.chained);
	CHECK(seen.with_list == 0);
	/* The records file holds exactly those. */
	struct lines l;
	CHECK(records_read(p, &l) == 0 && l.n == CHAIN);
	lines_free(&l);

	/* One partner's records only. */
	f.partner = "jpn";
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == CHAIN / 2);
	for (int i = 0; i < CHAIN / 2; i++) {
		CHECK(seen.seq[i] == 2 * (i + 1));
		CHECK_STR(seen.partner[i], "jpn");
	}
	CHECK(!seen.bad);
	f.partner = "nobody";
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == 0);

	/* Decisions: all ten are reads that withheld something; none is admin. */
	memset(&f, 0, sizeof(f));
	f.decision = "admin";
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == 0);
	f.decision = "withheld";
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == CHAIN);

	/* Appending again continues the chain. */
	struct buf b;
	buf_init(&b, 1 << 16);
	CHECK(read_body(&b, "kor", AT0, NULL, 0) == RELTO_OK);
	CHECK(audit_append_now(st, &k, b.data, b.len, NULL, err) == RELTO_OK); /* its reasons are stored already */
	buf_free(&b);
	CHECK(audit_status(st, &pub, &s, err) == RELTO_OK);
	CHECK(s.records == CHAIN + 1 && s.checkpoint_seq == CHAIN + 1 && s.checkpoint_valid == 1);
	CHECK(verify(st, &pub, 1, &rep) == 0);
	buf_free(&rep);

	/* Reopened, the trail is the same. */
	store_close(st);
	st = NULL;
	CHECK(store_open(p, &st, err) == RELTO_OK);
	CHECK(audit_status(st, &pub, &s, err) == RELTO_OK);
	CHECK(s.records == CHAIN + 1 && s.checkpoint_valid == 1);
	CHECK(verify(st, &pub, 1, &rep) == 0);
	buf_free(&rep);
	store_close(st);
	remove_store(p);
}

/* An empty trail is intact and has no records. */
static void test_empty(void)
{
	struct audit_key k, pub;
	char p[128], err[RELTO_ERRBUF_SIZE] = "";
	struct buf rep;
	CHECK(signing_key(&k) == 0);
	pub = public_of(&k);
	struct store *st = fresh_store("empty.db", p, sizeof(p));
	CHECK(st);
	CHECK(verify(st, &pub, 1, &rep) == 0);
	buf_free(&rep);
	struct audit_status s;
	CHECK(audit_status(st, &pub, &s, err) == RELTO_OK);
	CHECK(s.records == 0 && s.checkpoints == 0 && s.checkpoint_at == 0);
	struct audit_filter f;
	static struct seen seen;
	memset(&f, 0, sizeof(f));
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == 0);
	store_close(st);
	remove_store(p);
}

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

/* ---- 6. the writer, under four threads ---- */

#define NTHREADS 4
#define PER_THREAD 250
#define NLISTS 5
#define NRECORDS (NTHREADS * PER_THREAD)

struct slot {
	atomic_int calls;
	atomic_int rc;
};

static struct slot slots[NRECORDS];
static atomic_int done_total;
static char *bodies[NRECORDS];
static size_t body_lens[NRECORDS];
static int list_of[NRECORDS]; /* -1: none */
static struct buf lists[NLISTS];

static void on_done(void *ctx, enum relto_err rc)
{
	struct slot *s = ctx;
	atomic_store(&s->rc, (int)rc);
	atomic_fetch_add(&s->calls, 1);
	atomic_fetch_add(&done_total, 1);
}

struct worker {
	struct audit *a;
	int first;
};

static void *submitter(void *arg)
{
	struct worker *w = arg;
	for (int i = w->first; i < w->first + PER_THREAD; i++) {
		int l = list_of[i];
		struct audit_list released = {0};
		if (l >= 0) {
			released = (struct audit_list){.text = lists[l].data, .len = lists[l].len};
			audit_list_hash(lists[l].data, lists[l].len, released.hash);
		}
		audit_submit_lists(w->a, bodies[i], body_lens[i], l >= 0 ? &released : NULL, reasons_of_reads(), on_done,
		                   &slots[i]);
	}
	return NULL;
}

static void free_writer_data(void)
{
	for (int i = 0; i < NRECORDS; i++) {
		free(bodies[i]);
		bodies[i] = NULL;
	}
	for (int l = 0; l < NLISTS; l++)
		buf_free(&lists[l]);
}

static void test_writer(void)
{
	struct audit_key k, pub;
	char p[128], err[RELTO_ERRBUF_SIZE] = "";
	struct buf b, rep;
	unsigned char lh[NLISTS][AUDIT_HASH_LEN];
	int per_list[NLISTS] = {0};
	CHECK(signing_key(&k) == 0);
	pub = public_of(&k);

	/* Five distinct lists: each has its own indicator and a shared malware. */
	for (int l = 0; l < NLISTS; l++) {
		char id[80];
		snprintf(id, sizeof(id), "indicator--00000000-0000-4000-8000-00000000000%d", l);
		buf_init(&lists[l], 1 << 12);
		CHECK(audit_list_add(&lists[l], id, V1) == RELTO_OK);
		CHECK(audit_list_add(&lists[l], "malware--00000000-0000-4000-8000-0000000000ff", V1) == RELTO_OK);
		audit_list_hash(lists[l].data, lists[l].len, lh[l]);
	}
	/* The bodies, made here (the builders are for one thread). */
	buf_init(&b, 1 << 16);
	for (int i = 0; i < NRECORDS; i++) {
		static const char *const partners[NTHREADS] = {"p0", "p1", "p2", "p3"};
		list_of[i] = i % 3 == 0 ? (i / 3) % NLISTS : -1;
		if (list_of[i] >= 0)
			per_list[list_of[i]]++;
		CHECK(read_body(&b, partners[i / PER_THREAD], AT0 + i, list_of[i] >= 0 ? lh[list_of[i]] : NULL,
		                list_of[i] >= 0 ? 2 : 0) == RELTO_OK);
		body_lens[i] = b.len;
		bodies[i] = buf_steal(&b);
		CHECK(bodies[i]);
		atomic_init(&slots[i].calls, 0);
		atomic_init(&slots[i].rc, -1);
	}
	atomic_init(&done_total, 0);

	struct store *st = fresh_store("writer.db", p, sizeof(p));
	CHECK(st);
	struct audit *a = NULL;
	CHECK(audit_open(st, &k, 2000, &a, err) == RELTO_OK);
	CHECK(a);
	pthread_t th[NTHREADS];
	struct worker w[NTHREADS];
	for (int t = 0; t < NTHREADS; t++) {
		w[t].a = a;
		w[t].first = t * PER_THREAD;
		CHECK(pthread_create(&th[t], NULL, submitter, &w[t]) == 0);
	}
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	audit_close(a);

	/* Every record was told exactly once, and told it was written. */
	CHECK(atomic_load(&done_total) == NRECORDS);
	int wrong = 0;
	for (int i = 0; i < NRECORDS; i++)
		if (atomic_load(&slots[i].calls) != 1 || atomic_load(&slots[i].rc) != RELTO_OK)
			wrong++;
	CHECK(wrong == 0);

	/* The trail: intact, 1000 records, the last checkpoint signs the last. */
	int64_t bad = verify(st, &pub, 1, &rep);
	if (bad != 0)
		fprintf(stderr, "  report:\n%s\n", rep.data ? rep.data : "");
	CHECK(bad == 0);
	buf_free(&rep);
	struct audit_status s;
	CHECK(audit_status(st, &pub, &s, err) == RELTO_OK);
	CHECK(s.records == NRECORDS);
	CHECK(s.checkpoint_seq == NRECORDS);
	CHECK(s.checkpoint_valid == 1);
	CHECK(s.checkpoints >= 1);

	/* Read back: 1000 records, chained, each thread's in its own order. */
	struct audit_filter f;
	static struct seen seen;
	memset(&f, 0, sizeof(f));
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == NRECORDS);
	CHECK(!seen.bad);
	CHECK(seen.chained);
	CHECK(seen.with_list == NRECORDS / 3 + 1);
	/* One partner: PER_THREAD records. */
	f.partner = "p2";
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == PER_THREAD);
	CHECK(!seen.bad);
	/* Who got indicator 3: the records naming list 3; the malware: every list. */
	memset(&f, 0, sizeof(f));
	f.object = "indicator--00000000-0000-4000-8000-000000000003";
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == per_list[3]);
	CHECK(seen.with_list == per_list[3]);
	f.object = "malware--00000000-0000-4000-8000-0000000000ff";
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == NRECORDS / 3 + 1);
	f.object = "malware--00000000-0000-4000-8000-0000000000fe";
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == 0);
	store_close(st);

	/* Each distinct list is kept once. */
	CHECK(trail_int(p, "SELECT count(*) FROM lists") == NLISTS + 1 /* and the reasons */);
	struct lines recs;
	CHECK(records_read(p, &recs) == 0 && recs.n == NRECORDS);
	size_t with_list = 0;
	for (size_t i = 0; i < recs.n; i++)
		with_list += strstr(recs.v[i], ",\"list\":\"") != NULL;
	CHECK(with_list == NRECORDS / 3 + 1);

	/* A changed list is found: at the first record that names it.  (A
	** released list is a list of pairs; the reasons, of texts.) */
	sqlite3 *tdb = trail_db(p);
	sqlite3_stmt *q = NULL;
	char named[80] = "";
	if (tdb && sqlite3_prepare_v2(tdb, "SELECT lower(hex(hash)) FROM lists WHERE body LIKE '[[%' ORDER BY hash LIMIT 1",
	                              -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		snprintf(named, sizeof(named), "\"list\":\"%s\"", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(tdb);
	int64_t first = 0;
	for (size_t i = 0; named[0] && i < recs.n && !first; i++)
		if (strstr(recs.v[i], named))
			first = (int64_t)i + 1;
	lines_free(&recs);
	CHECK(first > 0);
	CHECK(trail_sql(p, "UPDATE lists SET body = replace(body, '\"indicator--', '\"indicator--x')"
	                   " WHERE hash = (SELECT hash FROM lists WHERE body LIKE '[[%' ORDER BY hash LIMIT 1)") == 0);
	CHECK(store_open(p, &st, err) == RELTO_OK);
	bad = verify(st, &pub, 1, &rep);
	if (bad != first)
		fprintf(stderr, "  changed list: bad_seq %lld, first record naming it %lld; report:\n%s\n",
		        (long long)bad, (long long)first, rep.data ? rep.data : "");
	CHECK(bad == first);
	buf_free(&rep);
	store_close(st);
	CHECK(trail_sql(p, "UPDATE lists SET body = replace(body, '\"indicator--x', '\"indicator--')") == 0);

	/* Changed withheld reasons are found at the first record counting by
	** them (every record here does): record 1. */
	CHECK(trail_sql(p, "UPDATE lists SET body = replace(body, 'REL TO', 'REL FROM') WHERE body LIKE '[\"%'") == 0);
	CHECK(store_open(p, &st, err) == RELTO_OK);
	bad = verify(st, &pub, 1, &rep);
	CHECK(bad == 1);
	CHECK(rep.data && strstr(rep.data, "record 1: its list of withheld reasons was changed"));
	buf_free(&rep);
	/* Deleted, they are missing. */
	store_close(st);
	CHECK(trail_sql(p, "DELETE FROM lists WHERE body LIKE '[\"%'") == 0);
	CHECK(store_open(p, &st, err) == RELTO_OK);
	bad = verify(st, &pub, 1, &rep);
	CHECK(bad == 1);
	CHECK(rep.data && strstr(rep.data, "record 1: its list of withheld reasons is missing"));
	buf_free(&rep);
	store_close(st);
	remove_store(p);
	free_writer_data();
}

/* ---- 7. audit_submit_wait ---- */

static void test_submit_wait(void)
{
	struct audit_key k, pub;
	char p[128], err[RELTO_ERRBUF_SIZE] = "";
	struct buf b, rep;
	CHECK(signing_key(&k) == 0);
	pub = public_of(&k);
	struct store *st = fresh_store("wait.db", p, sizeof(p));
	CHECK(st);
	struct audit *a = NULL;
	CHECK(audit_open(st, &k, INT64_C(60000000), &a, err) == RELTO_OK);

	buf_init(&b, 1 << 16);
	struct audit_admin ad = {
		.at = AT0, .partner = "admin", .credential = "config:admin", .action = "policy.apply",
		.subject = "", .version = 2, .reason = "weekly review", .digest = NULL,
	};
	CHECK(audit_body_admin(&b, &ad) == RELTO_OK);
	CHECK(audit_submit_wait(a, b.data, b.len, err) == RELTO_OK);

	/* Visible at once, while the writer still runs. */
	struct audit_filter f;
	static struct seen seen;
	memset(&f, 0, sizeof(f));
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == 1);
	CHECK(seen.seq[0] == 1);
	CHECK_STR(seen.partner[0], "admin");
	CHECK(!seen.bad && seen.chained);

	/* A second one (that names no list: audit_submit), and the admin filter. */
	CHECK(read_body_of(&b, "kor", AT0 + 1, NULL, 0, 0) == RELTO_OK);
	CHECK(audit_submit_wait(a, b.data, b.len, err) == RELTO_OK);
	f.decision = "admin";
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == 1 && seen.seq[0] == 1);
	memset(&f, 0, sizeof(f));
	seen_init(&seen);
	CHECK(audit_each(st, &f, collect, &seen, err) == RELTO_OK);
	CHECK(seen.n == 2 && seen.seq[1] == 2 && seen.chained);

	audit_close(a);
	buf_free(&b);
	/* Closing signed a checkpoint of the last record. */
	struct audit_status s;
	CHECK(audit_status(st, &pub, &s, err) == RELTO_OK);
	CHECK(s.records == 2 && s.checkpoint_seq == 2 && s.checkpoint_valid == 1);
	CHECK(verify(st, &pub, 1, &rep) == 0);
	buf_free(&rep);
	audit_close(NULL);
	store_close(st);
	remove_store(p);
}

/* The writer signs a checkpoint of new records within checkpoint_us,
** without being closed; closing, and a writer opened and closed with
** nothing new, leave the trail intact. */
static void test_periodic_checkpoint(void)
{
	struct audit_key k, pub;
	char p[128], err[RELTO_ERRBUF_SIZE] = "";
	struct buf b, rep;
	struct audit_status s;
	CHECK(signing_key(&k) == 0);
	pub = public_of(&k);
	struct store *st = fresh_store("periodic.db", p, sizeof(p));
	CHECK(st);
	struct audit *a = NULL;
	CHECK(audit_open(st, &k, 1000, &a, err) == RELTO_OK);
	buf_init(&b, 1 << 16);
	CHECK(read_body_of(&b, "kor", AT0, NULL, 0, 0) == RELTO_OK);
	CHECK(audit_submit_wait(a, b.data, b.len, err) == RELTO_OK);
	buf_free(&b);
	/* Signed within a few ms (allow 5 s for a loaded machine). */
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < 500 && s.checkpoint_seq != 1; i++) {
		usleep(10000);
		CHECK(audit_status(st, &pub, &s, err) == RELTO_OK);
	}
	CHECK(s.records == 1 && s.checkpoint_seq == 1 && s.checkpoint_valid == 1);
	audit_close(a);
	CHECK(audit_status(st, &pub, &s, err) == RELTO_OK);
	CHECK(s.records == 1 && s.checkpoint_seq == 1 && s.checkpoint_valid == 1);
	a = NULL;
	CHECK(audit_open(st, &k, 1000, &a, err) == RELTO_OK);
	audit_close(a);
	CHECK(audit_status(st, &pub, &s, err) == RELTO_OK);
	CHECK(s.records == 1 && s.checkpoint_seq == 1 && s.checkpoint_valid == 1);
	CHECK(verify(st, &pub, 1, &rep) == 0);
	buf_free(&rep);
	store_close(st);
	remove_store(p);
}

/* ---- journaled trails (durability "os") ---- */

struct counted {
	int64_t n;
	int dup;
	char last[64];
	unsigned char ids[2000];
};

static enum relto_err count_ids(void *ctx, int64_t seq, const char *body, const char *list, const char *reasons,
                                const unsigned char hash[AUDIT_HASH_LEN])
{
	struct counted *c = ctx;
	(void)seq;
	(void)list;
	(void)hash;
	const char *p = strstr(body, "\"request_id\":\"r-");
	int i = p ? (int)strtol(p + strlen("\"request_id\":\"r-"), NULL, 10) : -1;
	if (i >= 0 && i < 2000) {
		c->dup |= c->ids[i];
		c->ids[i] = 1;
	}
	c->n++;
	return RELTO_OK;
}

/* A child records 1000 answers through a journal and dies without closing
** (as a SIGKILL would leave it); recovery moves every one into the trail,
** once, in order, and the trail verifies.  A torn entry at the end of a
** journal (a crash during write) is ignored, and a second recovery finds
** nothing. */
static void test_journal_crash(void)
{
	char p[128], prefix[160], err[RELTO_ERRBUF_SIZE] = "";
	struct audit_key k;
	CHECK(signing_key(&k) == 0);
	struct store *st = fresh_store("journal.db", p, sizeof(p));
	CHECK(st != NULL);
	if (!st)
		return;
	snprintf(prefix, sizeof(prefix), "%s.audit-journal-", p);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct audit *a = NULL;
		if (audit_open_journaled(st, &k, 1000000, prefix, &a, err) != RELTO_OK)
			_exit(2);
		struct buf b, list;
		buf_init(&b, 1u << 20);
		buf_init(&list, 1u << 20);
		audit_list_add(&list, "indicator--1", V1);
		unsigned char lh[AUDIT_HASH_LEN];
		audit_list_hash(list.data, list.len, lh);
		for (int i = 0; i < 1000; i++) {
			char rid[32];
			snprintf(rid, sizeof(rid), "r-%d", i);
			/* Two in three withhold something, for one of two sets of reasons. */
			static const struct audit_withheld w1[] = {{"policy line 3: not on the REL TO list", 2}},
			                                   w2[] = {{"refers to an object that is withheld", 1}, {"x", 4}};
			const struct audit_withheld *w = i % 3 == 0 ? NULL : i % 3 == 1 ? w1 : w2;
			size_t nw = !w ? 0 : w == w1 ? 1 : 2;
			struct audit_read r = {.at = AT0 + i, .type = "read", .partner = "kor", .credential = "config:kor",
			                       .request_id = rid, .method = "GET", .path = "/x/", .query = "", .status = 200,
			                       .released = 1, .list = lh, .withheld = w, .nwithheld = nw};
			struct audit_list released = {.text = list.data, .len = list.len}, reasons = {0};
			memcpy(released.hash, lh, AUDIT_HASH_LEN);
			struct buf rl;
			buf_init(&rl, 1u << 16);
			if (nw && audit_reasons_list(&rl, w, nw))
				_exit(3);
			if (nw) {
				reasons = (struct audit_list){.text = rl.data, .len = rl.len};
				audit_list_hash(rl.data, rl.len, reasons.hash);
			}
			buf_reset(&b);
			if (audit_body_read(&b, &r) || audit_record(a, b.data, b.len, &released, nw ? &reasons : NULL, err))
				_exit(3);
			buf_free(&rl);
		}
		_exit(0); /* no audit_close: what a crash leaves */
	}
	int status = 0;
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* A torn entry after the last whole one. */
	DIR *d = opendir(dir);
	struct dirent *de;
	int journals = 0;
	while (d && (de = readdir(d)))
		if (strncmp(de->d_name, "journal.db.audit-journal-", 25) == 0) {
			char j[sizeof(dir) + sizeof(de->d_name) + 2];
			snprintf(j, sizeof(j), "%s/%s", dir, de->d_name);
			/* Right after the last whole entry (its trailer, "RJ1e",
			** then 4 zero bytes and its number): the start of one more. */
			FILE *f = fopen(j, "r+b");
			static char data[40u << 20];
			size_t n = f ? fread(data, 1, sizeof(data), f) : 0;
			size_t end = 0;
			for (size_t i = 0; i + 16 <= n; i++)
				if (memcmp(data + i, "RJ1e\0\0\0\0", 8) == 0)
					end = i + 16;
			if (f && end && fseek(f, (long)end, SEEK_SET) == 0)
				fwrite("RJ1\n\x07\0\0\0\0\0\0\0torn", 1, 16, f);
			CHECK(end > 0);
			if (f)
				fclose(f);
			journals++;
		}
	if (d)
		closedir(d);
	CHECK(journals == 1);
	size_t recovered = 0;
	CHECK(audit_recover(st, prefix, &recovered, err) == RELTO_OK);
	CHECK(recovered == 1);
	struct counted c = {0};
	struct audit_filter f = {0};
	CHECK(audit_each(st, &f, count_ids, &c, err) == RELTO_OK);
	if (c.n != 1000 || c.dup)
		fprintf(stderr, "  %lld records, dup %d\n", (long long)c.n, c.dup);
	CHECK(c.n == 1000 && !c.dup);
	struct buf rep;
	buf_init(&rep, 1u << 20);
	struct audit_key pub = public_of(&k);
	CHECK(verify(st, &pub, 1, &rep) == 0);
	buf_free(&rep);
	CHECK(audit_recover(st, prefix, &recovered, err) == RELTO_OK && recovered == 0);
	/* A journaled writer closed cleanly leaves no journal behind. */
	struct audit *a = NULL;
	CHECK(audit_open_journaled(st, &k, 1000000, prefix, &a, err) == RELTO_OK);
	audit_close(a);
	journals = 0;
	d = opendir(dir);
	while (d && (de = readdir(d)))
		journals += strncmp(de->d_name, "journal.db.audit-journal-", 25) == 0;
	if (d)
		closedir(d);
	CHECK(journals == 0);
	store_close(st);
	remove_store(p);
}

int main(void)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "sodium_init failed\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/relto-audit-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_keys);
	RUN(test_body_read);
	RUN(test_body_admin);
	RUN(test_lists);
	RUN(test_empty);
	RUN(test_chain);
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
	RUN(test_writer);
	RUN(test_submit_wait);
	RUN(test_periodic_checkpoint);
	RUN(test_journal_crash);
	free_writer_data(); /* in case test_writer stopped early */
	char p[128];
	path_of(p, sizeof(p), "signing.key");
	unlink(p);
	static const char *const stores[] = {"empty.db", "chain.db", "t-body.db", "t-rehash.db", "t-delete.db",
	                                     "t-swap.db", "t-trunc.db", "t-cols.db", "t-sig.db", "t-cphash.db", "t-key.db",
	                                     "writer.db", "wait.db", "periodic.db"};
	static const char *const files[] = {"k1.key", "k1.pub", "k2.key", "bad.key", "other.key", "stranger.key"};
	for (size_t i = 0; i < sizeof(stores) / sizeof(stores[0]); i++) {
		path_of(p, sizeof(p), stores[i]);
		remove_store(p);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path_of(p, sizeof(p), files[i]);
		unlink(p);
	}
	rmdir(dir);
	return TEST_DONE();
}
