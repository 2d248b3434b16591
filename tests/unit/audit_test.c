/*
** audit_test.c: unit tests for the audit trail (src/audit/audit.h,
** docs/audit.md), each on a store of its own in a fresh /tmp directory:
** the key file (created 0600, reloaded, its public text, a public key
** file, garbage and missing files); record bodies (valid JSON once seq and
** prev are added, every field with its value, reasons that need escaping,
** a NULL list, withheld reasons by hash); released lists and their hash; a
** chain of records made by audit_append_now, checked by audit_verify,
** audit_status and audit_each (and by this file, record by record); the
** group-commit writer under four submitting threads; audit_submit_wait;
** checkpoints the writer signs on its own; a journaled writer killed and
** recovered.  Tampering: audit_tamper_test.c.
*/
#include "audit_fixture.h"
#include "audit/entry.h"

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

/* audit_reasons_hashed keeps the last list it made: it must give each
** list's own text and hash, whatever came before, texts compared (the
** same address with other text in it is another list). */
static void test_reasons_hashed(void)
{
	char a[64] = "policy line 3: not on REL TO", b[64] = "policy line 9: sharing suspended";
	struct audit_withheld one[] = {{a, 3}}, two[] = {{a, 1}, {b, 2}}, swapped[] = {{b, 2}, {a, 1}};
	struct {
		const struct audit_withheld *w;
		size_t n;
	} seq[] = {{one, 1}, {one, 1}, {two, 2}, {swapped, 2}, {two, 2}, {one, 1}};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct buf want, got;
		buf_init(&want, 1u << 16);
		buf_init(&got, 1u << 16);
		unsigned char want_hash[AUDIT_HASH_LEN], got_hash[AUDIT_HASH_LEN];
		CHECK(audit_reasons_list(&want, seq[i].w, seq[i].n) == RELTO_OK);
		audit_list_hash(want.data, want.len, want_hash);
		CHECK(buf_puts(&got, "x") == RELTO_OK); /* appended after what the buffer holds */
		CHECK(audit_reasons_hashed(&got, seq[i].w, seq[i].n, got_hash) == RELTO_OK);
		CHECK(got.len == want.len + 1 && memcmp(got.data + 1, want.data, want.len) == 0);
		CHECK(memcmp(got_hash, want_hash, AUDIT_HASH_LEN) == 0);
		buf_free(&want);
		buf_free(&got);
	}
	/* The same address, another text. */
	struct buf first, second;
	buf_init(&first, 1u << 16);
	buf_init(&second, 1u << 16);
	unsigned char h1[AUDIT_HASH_LEN], h2[AUDIT_HASH_LEN];
	CHECK(audit_reasons_hashed(&first, one, 1, h1) == RELTO_OK);
	a[0] = 'P';
	CHECK(audit_reasons_hashed(&second, one, 1, h2) == RELTO_OK);
	CHECK(memcmp(h1, h2, AUDIT_HASH_LEN) != 0);
	CHECK(second.data && strstr(second.data, "Policy line 3"));
	buf_free(&first);
	buf_free(&second);
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

/* Add the entry of (id, version) to the list text in b, which stays a
** JSON array (entry_text; the lists of records without "list_by" are
** hashed by this text, audit_list_hash). */
static enum relto_err list_add(struct buf *b, const char *id, const char *version)
{
	size_t was = b->len;
	if (was)
		b->data[--b->len] = '\0';
	enum relto_err rc = buf_putc(b, was ? ',' : '[');
	if (!rc)
		rc = entry_text(b, id, strlen(id), version, strlen(version));
	if (!rc)
		rc = buf_putc(b, ']');
	if (rc && b->data) {
		b->len = was;
		b->data[was] = '\0';
		if (was)
			b->data[was - 1] = ']';
	}
	return rc;
}

/* The list of n entries built with list_add. */
static enum relto_err build_list(struct buf *b, const char *const *ids, const char *const *versions, size_t n)
{
	enum relto_err rc = RELTO_OK;
	buf_reset(b);
	for (size_t i = 0; !rc && i < n; i++)
		rc = list_add(b, ids[i], versions[i]);
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
	** those eight-byte words, still comes out escaped and as it was.
	** Short ones (under a word) and long ones; in the id and in the
	** version. */
	static const char awkward[] = {'"', '\\', '\n', 0x1f, 0x7f, (char)0xc3};
	for (size_t k = 0; k < sizeof(awkward); k++) {
		for (size_t len = 3; len <= 21; len += 6) {
			for (size_t at = 0; at < len; at++) {
				char id[32], ver[32];
				memset(id, 'a', len);
				id[len] = '\0';
				memcpy(ver, id, len + 1);
				char *odd = at % 2 ? ver : id;
				odd[at] = awkward[k];
				if (awkward[k] == (char)0xc3) {
					/* With its continuation: valid UTF-8 (one byte longer when last). */
					odd[at + 1] = (char)0xa9;
					if (at + 1 == len)
						odd[at + 2] = '\0';
				}
				static const char *one[1], *onev[1];
				one[0] = id;
				onev[0] = ver;
				CHECK(build_list(&b, one, onev, 1) == RELTO_OK);
				j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
				CHECK(j != NULL);
				CHECK_STR(json_string_value(json_array_get(json_array_get(j, 0), 0)), id);
				CHECK_STR(json_string_value(json_array_get(json_array_get(j, 0), 1)), ver);
				json_decref(j);
			}
		}
	}

	/* Past the cap: RELTO_ETOOBIG. */
	struct buf tiny;
	buf_init(&tiny, 8);
	CHECK(list_add(&tiny, "a--1", V1) == RELTO_ETOOBIG);
	buf_free(&tiny);
	buf_free(&b);
}

/* Released lists hashed by their entries (entry.h): made from the store's
** entries or from ids and versions, the same text and hash; the hash is
** SHA-256 over each entry's SHA-256; entry_list_check finds it again from
** the text alone, escapes included, and refuses any other spelling. */
static void test_entries_lists(void)
{
	static const char *const ids[] = {"a--1", "b--\"2\\", "c--\x01\xc3\xa9"}, *const vers[] = {V1, "x", "t"};
	static const char want[] = "[[\"a--1\",\"2024-01-01T00:00:00.000Z\"],[\"b--\\\"2\\\\\",\"x\"],"
	                           "[\"c--\\u0001\xc3\xa9\",\"t\"]]";
	struct audit_entries e, made;
	audit_entries_init(&e, 1 << 16);
	audit_entries_init(&made, 1 << 16);
	struct buf one, hashes;
	buf_init(&one, 1 << 16);
	buf_init(&hashes, 1 << 16);
	for (size_t i = 0; i < 3; i++) {
		CHECK(audit_entries_add_pair(&e, ids[i], strlen(ids[i]), vers[i], strlen(vers[i])) == RELTO_OK);
		buf_reset(&one);
		CHECK(entry_make(&one, ids[i], strlen(ids[i]), vers[i], strlen(vers[i])) == RELTO_OK);
		CHECK(audit_entries_add(&made, one.data, one.len) == RELTO_OK);
		unsigned char h[ENTRY_HASH_LEN];
		hash_of(one.data + ENTRY_HASH_LEN, one.len - ENTRY_HASH_LEN, h);
		CHECK(memcmp(one.data, h, ENTRY_HASH_LEN) == 0); /* an entry starts with its text's hash */
		CHECK(buf_append(&hashes, h, sizeof(h)) == RELTO_OK);
	}
	CHECK_STR(e.text.data, want);
	CHECK(e.n == 3 && made.n == 3 && made.text.len == e.text.len && memcmp(made.text.data, want, e.text.len) == 0);
	unsigned char h1[AUDIT_HASH_LEN], h2[AUDIT_HASH_LEN], w[AUDIT_HASH_LEN], found[AUDIT_HASH_LEN];
	audit_entries_hash(&e, h1);
	audit_entries_hash(&made, h2);
	hash_of(hashes.data, hashes.len, w);
	CHECK(memcmp(h1, w, AUDIT_HASH_LEN) == 0 && memcmp(h2, w, AUDIT_HASH_LEN) == 0);
	audit_list_hash(e.text.data, e.text.len, h2);
	CHECK(memcmp(h1, h2, AUDIT_HASH_LEN) != 0); /* not the text's hash */
	size_t n = 0;
	CHECK(entry_list_check(e.text.data, e.text.len, &n, found) && n == 3);
	CHECK(memcmp(found, w, AUDIT_HASH_LEN) == 0);
	/* The same JSON spelt otherwise is not a list relto wrote. */
	static const char *const other[] = {
		"[[\"a--1\", \"2024-01-01T00:00:00.000Z\"]]", "[[\"a--\\u0031\",\"x\"]]", "[[\"a--1\",\"x\",\"y\"]]",
		"[[\"a--1\",1]]", "{\"a\":1}", "[[\"a--1\",\"x\"]", "",
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		CHECK(!entry_list_check(other[i], strlen(other[i]), &n, found));
	CHECK(entry_list_check("[[\"a--1\",\"x\"]]", 14, &n, found) && n == 1);
	/* Not an entry: refused, the list unchanged. */
	CHECK(audit_entries_add(&e, "short", 5) == RELTO_EINVAL);
	CHECK(e.n == 3 && e.text.len == strlen(want));
	/* Past the cap: RELTO_ETOOBIG, the list as it was. */
	struct audit_entries tiny;
	audit_entries_init(&tiny, 60);
	CHECK(audit_entries_add_pair(&tiny, "a--1", 4, V1, strlen(V1)) == RELTO_ETOOBIG && tiny.n == 0);
	audit_entries_free(&tiny);
	audit_entries_free(&e);
	audit_entries_free(&made);
	buf_free(&one);
	buf_free(&hashes);
}

static void count_done(void *ctx, enum relto_err rc)
{
	if (rc == RELTO_OK)
		atomic_fetch_add((_Atomic int *)ctx, 1);
}

/* A trail whose records name lists hashed by their entries ("list_by":
** "entries") verifies; its list respelt (the same JSON) or changed is
** found at the first record naming it. */
static void test_entries_chain(void)
{
	struct audit_key k, pub;
	char p[128], err[RELTO_ERRBUF_SIZE] = "";
	CHECK(signing_key(&k) == 0);
	pub = public_of(&k);
	struct store *st = fresh_store("entries.db", p, sizeof(p));
	CHECK(st);
	if (!st)
		return;
	struct audit_entries e;
	audit_entries_init(&e, 1 << 16);
	CHECK(audit_entries_add_pair(&e, "indicator--1", 12, V1, strlen(V1)) == RELTO_OK);
	CHECK(audit_entries_add_pair(&e, "malware--2", 10, V1, strlen(V1)) == RELTO_OK);
	struct audit_list released = {.text = e.text.data, .len = e.text.len};
	audit_entries_hash(&e, released.hash);
	struct audit *a = NULL;
	CHECK(audit_open(st, &k, 2000, &a, err) == RELTO_OK);
	struct buf b, rep;
	buf_init(&b, 1 << 16);
	_Atomic int done = 0;
	for (int i = 1; a && i <= 3; i++) {
		struct audit_read r = {
			.at = AT0 + i, .type = "read", .partner = "kor", .credential = "config:kor", .request_id = "r",
			.method = "GET", .path = "/x/", .query = "", .status = 200, .released = i == 2 ? 0 : 2,
			.list = i == 2 ? NULL : released.hash, .list_by_entries = 1,
		};
		buf_reset(&b);
		CHECK(audit_body_read(&b, &r) == RELTO_OK);
		CHECK((strstr(b.data, "\"list_by\":\"entries\"") != NULL) == (i != 2));
		audit_submit_lists(a, b.data, b.len, i == 2 ? NULL : &released, NULL, count_done, (void *)&done);
	}
	audit_close(a);
	CHECK(atomic_load(&done) == 3);
	CHECK(verify(st, &pub, 1, &rep) == 0);
	buf_free(&rep);
	store_close(st);

	/* Respelt: a space after a comma; then another entry altogether. */
	static const char *const edits[] = {"[[\"indicator--1\", \"" V1 "\"],[\"malware--2\",\"" V1 "\"]]",
	                                    "[[\"indicator--9\",\"" V1 "\"],[\"malware--2\",\"" V1 "\"]]"};
	for (size_t i = 0; i < 2; i++) {
		char hex[2 * AUDIT_HASH_LEN + 1], sql[512];
		hex_of(released.hash, hex);
		snprintf(sql, sizeof(sql), "UPDATE lists SET body = '%s' WHERE hash = x'%s'", edits[i], hex);
		CHECK(trail_sql(p, sql) == 0);
		CHECK(store_open(p, &st, err) == RELTO_OK);
		CHECK(verify(st, &pub, 1, &rep) == 1);
		CHECK(names_first(&rep, 1));
		CHECK(rep.data && strstr(rep.data, i == 0 ? "not a list of entries as relto writes one"
		                                           : "does not match its hash") != NULL);
		buf_free(&rep);
		store_close(st);
	}
	buf_free(&b);
	audit_entries_free(&e);
	remove_store(p);
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
		CHECK(list_add(&lists[l], id, V1) == RELTO_OK);
		CHECK(list_add(&lists[l], "malware--00000000-0000-4000-8000-0000000000ff", V1) == RELTO_OK);
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
	/* The child opens the store itself, as another process would: a
	** process must not fork with the store open, since its threads (the
	** checkpointer) may hold locks at that instant that the child then
	** waits for forever (under ASan, the allocator's: CI hung here). */
	store_close(st);
	st = NULL;
	snprintf(prefix, sizeof(prefix), "%s.audit-journal-", p);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		struct audit *a = NULL;
		if (store_open(p, &st, err) != RELTO_OK)
			_exit(2);
		if (audit_open_journaled(st, &k, 1000000, prefix, &a, err) != RELTO_OK)
			_exit(2);
		struct buf b, list;
		buf_init(&b, 1u << 20);
		buf_init(&list, 1u << 20);
		list_add(&list, "indicator--1", V1);
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
	CHECK(store_open(p, &st, err) == RELTO_OK);
	if (!st)
		return;
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
	if (fixture_start("relto-audit") != 0)
		return 1;
	RUN(test_keys);
	RUN(test_body_read);
	RUN(test_reasons_hashed);
	RUN(test_body_admin);
	RUN(test_lists);
	RUN(test_entries_lists);
	RUN(test_entries_chain);
	RUN(test_empty);
	RUN(test_chain);
	RUN(test_writer);
	RUN(test_submit_wait);
	RUN(test_periodic_checkpoint);
	RUN(test_journal_crash);
	free_writer_data(); /* in case test_writer stopped early */
	fixture_cleanup();
	return TEST_DONE();
}
