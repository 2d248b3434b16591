/*
** audit.c: records, the key, and the writer thread of the audit trail
** (audit.h).  Checking the trail is in verify.c.
*/
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>
#include "audit.h"
#include "audit_int.h"
#include "entry.h"
#include "../util/le.h"
#include "../util/ts.h"

/* ---- text ---- */

void audit__hex(const unsigned char *p, size_t n, char *out)
{
	/* Hashes, not secrets: no need for sodium_bin2hex's constant time. */
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* ---- the key ---- */

#define KEY_HEADER "relto audit signing key (Ed25519): keep it secret, outside the store\n"
#define KEY_SECRET "ed25519-secret:"
#define KEY_PUBLIC "ed25519:"

void audit_key_wipe(struct audit_key *k)
{
	sodium_memzero(k, sizeof(*k));
}

void audit_pubkey_text(const struct audit_key *k, char *out, size_t size)
{
	char hex[65];
	audit__hex(k->pk, sizeof(k->pk), hex);
	snprintf(out, size, KEY_PUBLIC "%s\n", hex);
}

/* Read a key text: the secret form (the key file) or the public one. */
static enum relto_err parse_key(const char *path, const char *text, struct audit_key *out, char *err)
{
	memset(out, 0, sizeof(*out));
	const char *s = strstr(text, KEY_SECRET);
	size_t used = 0;
	if (s && sodium_hex2bin(out->sk, sizeof(out->sk), s + strlen(KEY_SECRET), 128, NULL, &used, NULL) == 0 &&
	    used == sizeof(out->sk)) {
		crypto_sign_ed25519_sk_to_pk(out->pk, out->sk);
		out->has_secret = 1;
		return RELTO_OK;
	}
	const char *p = strstr(text, KEY_PUBLIC);
	if (!s && p && (p == text || p[-1] == '\n') &&
	    sodium_hex2bin(out->pk, sizeof(out->pk), p + strlen(KEY_PUBLIC), 64, NULL, &used, NULL) == 0 &&
	    used == sizeof(out->pk))
		return RELTO_OK;
	audit_key_wipe(out);
	return relto_seterr(err, RELTO_EINVAL, "%s: not a relto audit key (expected a line \"" KEY_PUBLIC
	                                       "<64 hex digits>\" or a key file relto made)", path);
}

static enum relto_err read_small(const char *path, char *text, size_t size, char *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return relto_seterr(err, errno == ENOENT ? RELTO_ENOTFOUND : RELTO_EINVAL, "%s: %s", path,
		                    strerror(errno));
	ssize_t n = read(fd, text, size - 1);
	close(fd);
	if (n < 0)
		return relto_seterr(err, RELTO_EINVAL, "%s: %s", path, strerror(errno));
	text[n] = '\0';
	return RELTO_OK;
}

static enum relto_err create_key(const char *path, char *err)
{
	unsigned char pk[32], sk[64];
	crypto_sign_keypair(pk, sk);
	char text[sizeof(KEY_HEADER) + sizeof(KEY_SECRET) + 130];
	char hex[129];
	audit__hex(sk, sizeof(sk), hex);
	int len = snprintf(text, sizeof(text), KEY_HEADER KEY_SECRET "%s\n", hex);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(hex, sizeof(hex));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		sodium_memzero(text, sizeof(text));
		if (errno == EEXIST)
			return RELTO_OK; /* another process made it first: use that one */
		return relto_seterr(err, RELTO_EINTERNAL, "%s: cannot create the audit key: %s", path, strerror(errno));
	}
	int ok = write(fd, text, (size_t)len) == len && fsync(fd) == 0;
	sodium_memzero(text, sizeof(text));
	close(fd);
	if (!ok) {
		unlink(path);
		return relto_seterr(err, RELTO_EINTERNAL, "%s: cannot write the audit key", path);
	}
	return RELTO_OK;
}

enum relto_err audit_key_load(const char *path, int create, struct audit_key *out, char *err)
{
	char text[1024];
	enum relto_err rc = read_small(path, text, sizeof(text), err);
	if (rc == RELTO_ENOTFOUND && create) {
		if (err)
			err[0] = '\0';
		rc = create_key(path, err);
		if (!rc)
			rc = read_small(path, text, sizeof(text), err);
	}
	if (!rc)
		rc = parse_key(path, text, out, err);
	if (!rc && !out->has_secret) {
		audit_key_wipe(out);
		rc = relto_seterr(err, RELTO_EINVAL, "%s: a public key, not the signing key", path);
	}
	sodium_memzero(text, sizeof(text));
	return rc;
}

enum relto_err audit_pubkey_load(const char *path, struct audit_key *out, char *err)
{
	char text[1024];
	enum relto_err rc = read_small(path, text, sizeof(text), err);
	if (!rc)
		rc = parse_key(path, text, out, err);
	sodium_memzero(text, sizeof(text));
	/* Only the public half is wanted here. */
	sodium_memzero(out->sk, sizeof(out->sk));
	out->has_secret = 0;
	return rc;
}

void audit__checkpoint_message(int64_t seq, int64_t at, const unsigned char hash[AUDIT_HASH_LEN],
                               unsigned char out[AUDIT_CP_MSG_LEN])
{
	static const char tag[] = "relto-audit-checkpoint-v1";
	memcpy(out, tag, sizeof(tag) - 1);
	size_t o = sizeof(tag) - 1;
	for (int i = 7; i >= 0; i--)
		out[o++] = (unsigned char)((uint64_t)seq >> (i * 8));
	for (int i = 7; i >= 0; i--)
		out[o++] = (unsigned char)((uint64_t)at >> (i * 8));
	memcpy(out + o, hash, AUDIT_HASH_LEN);
}

/* ---- records ---- */

/* Append ,"name":"text" for each of n (name, text) pairs (NULL text: ""),
** stopping at the first failure. */
static enum relto_err put_fields(struct buf *b, const char *const *pairs, size_t n)
{
	enum relto_err rc = RELTO_OK;
	for (size_t i = 0; !rc && i < n; i++) {
		rc = buf_puts(b, ",\"");
		if (!rc)
			rc = buf_puts(b, pairs[2 * i]);
		if (!rc)
			rc = buf_puts(b, "\":");
		if (!rc)
			rc = entry_put_text(b, pairs[2 * i + 1] ? pairs[2 * i + 1] : "");
	}
	return rc;
}

/* ,"name":"HEX" or ,"name":null. */
static enum relto_err put_hash(struct buf *b, const char *name, const unsigned char *hash)
{
	char hex[AUDIT_HASH_LEN * 2 + 1];
	enum relto_err rc = buf_puts(b, ",\"");
	if (!rc)
		rc = buf_puts(b, name);
	if (!rc && !hash)
		return buf_puts(b, "\":null");
	audit__hex(hash, AUDIT_HASH_LEN, hex);
	if (!rc)
		rc = buf_puts(b, "\":\"");
	if (!rc)
		rc = buf_puts(b, hex);
	return rc ? rc : buf_putc(b, '"');
}

/* ,"name":N: numbers without printf (every answer makes a record). */
static enum relto_err put_number(struct buf *b, const char *name, long long v)
{
	enum relto_err rc = buf_puts(b, ",\"");
	if (!rc)
		rc = buf_puts(b, name);
	if (!rc)
		rc = buf_puts(b, "\":");
	return rc ? rc : buf_put_i64(b, v);
}

enum relto_err audit_body_read(struct buf *b, const struct audit_read *r)
{
	char at[TS_BUFSIZE];
	const char *const fields[] = {"type", r->type, "partner", r->partner, "credential", r->credential,
	                              "request_id", r->request_id, "method", r->method, "path", r->path,
	                              "query", r->query};
	enum relto_err rc = buf_puts(b, "\"at\":\"");
	if (!rc)
		rc = buf_puts(b, ts_format(r->at, at));
	if (!rc)
		rc = buf_putc(b, '"');
	if (!rc)
		rc = put_fields(b, fields, sizeof(fields) / sizeof(fields[0]) / 2);
	if (!rc)
		rc = put_number(b, "status", (long long)r->status);
	if (!rc)
		rc = put_number(b, "policy_version", (long long)r->policy_version);
	if (!rc)
		rc = put_number(b, "posture_version", (long long)r->posture_version);
	/* The snapshot is a counter, far below 2^63. */
	if (!rc)
		rc = put_number(b, "snapshot", (long long)r->snapshot);
	if (!rc)
		rc = buf_puts(b, ",\"released\":{\"count\":");
	if (!rc)
		rc = buf_put_i64(b, (long long)r->released);
	if (!rc)
		rc = put_hash(b, "list", r->list);
	if (!rc && r->list && r->list_by_entries)
		rc = buf_puts(b, ",\"list_by\":\"entries\"");
	if (!rc)
		rc = buf_puts(b, "},\"withheld\":{");
	if (!rc && r->nwithheld) {
		unsigned char made[AUDIT_HASH_LEN];
		const unsigned char *reasons = r->reasons;
		if (!reasons) {
			struct buf list;
			buf_init(&list, b->cap);
			rc = audit_reasons_hashed(&list, r->withheld, r->nwithheld, made);
			buf_free(&list);
			reasons = made;
		}
		char hex[AUDIT_HASH_LEN * 2 + 1];
		audit__hex(reasons, AUDIT_HASH_LEN, hex);
		if (!rc)
			rc = buf_puts(b, "\"reasons\":\"");
		if (!rc)
			rc = buf_puts(b, hex);
		if (!rc)
			rc = buf_puts(b, "\",\"counts\":[");
		for (size_t i = 0; !rc && i < r->nwithheld; i++) {
			if (i)
				rc = buf_putc(b, ',');
			if (!rc)
				rc = buf_put_i64(b, (long long)r->withheld[i].n);
		}
		if (!rc)
			rc = buf_putc(b, ']');
	}
	if (!rc)
		rc = buf_putc(b, '}');
	return rc;
}

enum relto_err audit_reasons_list(struct buf *b, const struct audit_withheld *w, size_t n)
{
	const char **texts = malloc((n ? n : 1) * sizeof(*texts));
	if (!texts)
		return RELTO_ENOMEM;
	for (size_t i = 0; i < n; i++)
		texts[i] = w[i].reason;
	enum relto_err rc = entry_put_texts(b, texts, n);
	free(texts);
	return rc;
}

/* The last reasons list made (audit_reasons_hashed): its reasons end to
** end, each with its NUL, the list, and its hash.  Keyed by the texts,
** not by their addresses: a decision cache rebuilt can put other texts
** at the same ones. */
static struct {
	pthread_mutex_t lock;
	struct buf key, list;
	size_t n;
	int kept;                 /* key, list, n and hash are one list's */
	unsigned char hash[AUDIT_HASH_LEN];
} last_reasons = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int same_reasons(const struct buf *key, size_t kn, const struct audit_withheld *w, size_t n)
{
	if (kn != n)
		return 0;
	const char *k = key->data, *end = key->data + key->len;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(w[i].reason) + 1;
		if ((size_t)(end - k) < len || memcmp(k, w[i].reason, len) != 0)
			return 0;
		k += len;
	}
	return k == end;
}

enum relto_err audit_reasons_hashed(struct buf *b, const struct audit_withheld *w, size_t n,
                                    unsigned char hash[AUDIT_HASH_LEN])
{
	pthread_mutex_lock(&last_reasons.lock);
	if (last_reasons.kept && same_reasons(&last_reasons.key, last_reasons.n, w, n)) {
		enum relto_err rc = buf_append(b, last_reasons.list.data, last_reasons.list.len);
		if (!rc)
			memcpy(hash, last_reasons.hash, AUDIT_HASH_LEN);
		pthread_mutex_unlock(&last_reasons.lock);
		return rc;
	}
	pthread_mutex_unlock(&last_reasons.lock);
	size_t start = b->len;
	enum relto_err rc = audit_reasons_list(b, w, n);
	if (rc)
		return rc;
	audit_list_hash(b->data + start, b->len - start, hash);
	/* Kept for the next answer; an answer made is right whether or not
	** it could be kept. */
	pthread_mutex_lock(&last_reasons.lock);
	struct buf *key = &last_reasons.key, *list = &last_reasons.list;
	if (!key->cap) {
		buf_init(key, (size_t)1 << 20);
		buf_init(list, (size_t)1 << 20);
	}
	buf_reset(key);
	buf_reset(list);
	enum relto_err failed = buf_append(list, b->data + start, b->len - start);
	for (size_t i = 0; !failed && i < n; i++)
		failed = buf_append(key, w[i].reason, strlen(w[i].reason) + 1);
	last_reasons.kept = !failed;
	last_reasons.n = n;
	memcpy(last_reasons.hash, hash, AUDIT_HASH_LEN);
	pthread_mutex_unlock(&last_reasons.lock);
	return RELTO_OK;
}

enum relto_err audit_body_admin(struct buf *b, const struct audit_admin *a)
{
	char at[TS_BUFSIZE];
	const char *const fields[] = {"type", "admin", "partner", a->partner, "credential", a->credential,
	                              "action", a->action, "subject", a->subject, "author", a->author};
	enum relto_err rc = buf_printf(b, "\"at\":\"%s\"", ts_format(a->at, at));
	if (!rc)
		rc = put_fields(b, fields, sizeof(fields) / sizeof(fields[0]) / 2);
	if (!rc)
		rc = buf_printf(b, ",\"version\":%lld", (long long)a->version);
	if (!rc)
		rc = put_fields(b, (const char *const[]){"reason", a->reason}, 1);
	if (!rc)
		rc = put_hash(b, "digest", a->digest);
	return rc;
}

void audit_entries_init(struct audit_entries *e, size_t cap)
{
	buf_init(&e->text, cap);
	buf_init(&e->hashes, cap);
	e->n = 0;
}

void audit_entries_reset(struct audit_entries *e)
{
	buf_reset(&e->text);
	buf_reset(&e->hashes);
	e->n = 0;
}

void audit_entries_free(struct audit_entries *e)
{
	buf_free(&e->text);
	buf_free(&e->hashes);
	e->n = 0;
}

enum relto_err audit_entries_add(struct audit_entries *e, const void *entry, size_t len)
{
	const char *p = entry;
	if (len < ENTRY_HASH_LEN + 2 || p[ENTRY_HASH_LEN] != '[' || p[len - 1] != ']')
		return RELTO_EINVAL;
	/* Once per object of every audited answer: room made once, then
	** copied.  The text stays a complete JSON array: its closing bracket
	** is written over and put back after the entry. */
	size_t tl = len - ENTRY_HASH_LEN;
	enum relto_err rc = buf_reserve(&e->text, tl + 2);
	if (!rc)
		rc = buf_reserve(&e->hashes, ENTRY_HASH_LEN);
	if (rc)
		return rc;
	char *d = e->text.data;
	size_t at = e->text.len ? e->text.len - 1 : 0;
	d[at++] = e->text.len ? ',' : '[';
	memcpy(d + at, p + ENTRY_HASH_LEN, tl);
	at += tl;
	d[at++] = ']';
	d[at] = '\0';
	e->text.len = at;
	memcpy(e->hashes.data + e->hashes.len, p, ENTRY_HASH_LEN);
	e->hashes.len += ENTRY_HASH_LEN;
	e->hashes.data[e->hashes.len] = '\0';
	e->n++;
	return RELTO_OK;
}

enum relto_err audit_entries_add_pair(struct audit_entries *e, const char *id, size_t il, const char *version,
                                      size_t vl)
{
	struct buf one;
	buf_init(&one, e->text.cap);
	enum relto_err rc = entry_make(&one, id, il, version, vl);
	if (!rc)
		rc = audit_entries_add(e, one.data, one.len);
	buf_free(&one);
	return rc;
}

void audit_entries_hash(const struct audit_entries *e, unsigned char out[AUDIT_HASH_LEN])
{
	entry_sha256(e->hashes.data ? e->hashes.data : "", e->hashes.len, out);
}

void audit_hash(const void *p, size_t len, unsigned char out[AUDIT_HASH_LEN])
{
	/* SHA-256 through GnuTLS (nettle), which uses the CPU's SHA
	** instructions: 4.2 µs for a released list of 100 objects here, where
	** BLAKE2b (libsodium) takes 11.3 (docs/BENCHMARKS.md). */
	gnutls_hash_fast(GNUTLS_DIG_SHA256, p, len, out);
}

void audit_list_hash(const char *list, size_t len, unsigned char out[AUDIT_HASH_LEN])
{
	audit_hash(list, len, out);
}

/* The columns a record is selected by, read from the start of a body made
** by audit_body_* ("at":"TS","type":"T","partner":"P",...): the fast
** way, for the plain ids of every request. */
static enum relto_err scan_columns(const char *body, size_t len, int64_t *at, char type[AUDIT_TYPE_MAX], char partner[AUDIT_PARTNER_MAX])
{
	const char *end = body + len, *p = body;
	if (len < 8 || strncmp(p, "\"at\":\"", 6) != 0)
		return RELTO_EINVAL;
	p += 6;
	const char *q = memchr(p, '"', (size_t)(end - p));
	if (!q || ts_parse(p, (size_t)(q - p), at, NULL))
		return RELTO_EINVAL;
	p = q + 1;
	struct {
		const char *key;
		char *out;
		size_t size;
	} f[2] = {{",\"type\":\"", type, AUDIT_TYPE_MAX}, {",\"partner\":\"", partner, AUDIT_PARTNER_MAX}};
	for (int i = 0; i < 2; i++) {
		size_t k = strlen(f[i].key);
		if ((size_t)(end - p) < k || strncmp(p, f[i].key, k) != 0)
			return RELTO_EINVAL;
		p += k;
		q = memchr(p, '"', (size_t)(end - p));
		if (!q || (size_t)(q - p) >= f[i].size || memchr(p, '\\', (size_t)(q - p)))
			return RELTO_EINVAL;
		memcpy(f[i].out, p, (size_t)(q - p));
		f[i].out[q - p] = '\0';
		p = q + 1;
	}
	return RELTO_OK;
}

/* The same for any body audit_body_* made (a partner or type with escapes
** or too long for the fast way): parsed.  RELTO_EINVAL for anything else. */
static enum relto_err body_columns(const char *body, size_t len, int64_t *at, char type[AUDIT_TYPE_MAX], char partner[AUDIT_PARTNER_MAX])
{
	if (!scan_columns(body, len, at, type, partner))
		return RELTO_OK;
	struct buf whole;
	buf_init(&whole, len + 2);
	enum relto_err rc = buf_putc(&whole, '{');
	if (!rc)
		rc = buf_append(&whole, body, len);
	if (!rc)
		rc = buf_putc(&whole, '}');
	json_t *v = rc ? NULL : json_loadb(whole.data, whole.len, JSON_REJECT_DUPLICATES, NULL);
	buf_free(&whole);
	json_t *a = json_object_get(v, "at"), *t = json_object_get(v, "type"), *p = json_object_get(v, "partner");
	rc = json_is_string(a) && json_is_string(t) && json_is_string(p) &&
	     !ts_parse(json_string_value(a), json_string_length(a), at, NULL) ? RELTO_OK : RELTO_EINVAL;
	if (!rc) {
		/* Columns are for selecting; the body keeps the whole text. */
		snprintf(type, AUDIT_TYPE_MAX, "%s", json_string_value(t));
		snprintf(partner, AUDIT_PARTNER_MAX, "%s", json_string_value(p));
	}
	json_decref(v);
	return rc;
}

/* ---- appending ---- */

struct item {
	struct item *next;
	char *body;
	size_t len;
	char *list;               /* NULL: none (or, when hashed, one the trail holds) */
	size_t list_len;
	int hashed;               /* list_hash is known */
	unsigned char list_hash[AUDIT_HASH_LEN];
	int64_t n;                /* its entry in the journal, 0: none */
	audit_done_fn done;
	void *ctx;
};

#define SEEN_SLOTS 4096 /* released lists known to be stored, by hash */

struct audit {
	struct store *st;
	struct audit_key key;
	int64_t checkpoint_us;
	struct store_trail *trail;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct item *head, **tail;
	int stopping;
	/* Released lists known to be in the trail, by hash: marked by the
	** writer after a commit, read by audit_record (so a journal entry
	** need not carry a list the trail holds).  Under lock. */
	unsigned char (*seen)[AUDIT_HASH_LEN];
	/* Lists whose text this process put in its journal (audit_record):
	** the trail will hold them before any later entry.  Under lock. */
	unsigned char (*sent)[AUDIT_HASH_LEN];
	/* Durability "os" (audit_open_journaled): this process's journal. */
	int journal;              /* its descriptor, -1: none */
	unsigned char *jmap;      /* the file, mapped (JOURNAL_SIZE bytes) */
	char *journal_name;       /* its file name (the trail's journals table) */
	char *journal_path;
	enum relto_err last_rc;   /* of the writer's last commit */
	int64_t journal_n;        /* entries written so far (under lock) */
	int writer_idle;          /* the writer waits for work: wake it (under lock) */
	pthread_cond_t drained;   /* the journal was truncated */
	size_t journal_bytes;     /* its size (under lock) */
};

static size_t seen_slot(const unsigned char *hash)
{
	return (hash[0] | (size_t)hash[1] << 8) % SEEN_SLOTS;
}

/* One transaction: the items in order, then a checkpoint when sign_now
** says so (or when the key has its secret and force_checkpoint is set).
** seen (may be NULL) skips lists known to be stored; the lists written
** are marked in it only once the commit succeeded. */
static enum relto_err append(struct store_trail *t, struct item *items, const struct audit_key *key,
                             int checkpoint, unsigned char (*seen)[AUDIT_HASH_LEN], pthread_mutex_t *seen_lock,
                             const char *journal, int64_t *last_seq, char *err)
{
	int64_t seq;
	unsigned char prev[AUDIT_HASH_LEN];
	enum relto_err rc = store_trail_begin(t, &seq, prev, err);
	if (rc)
		return rc;
	struct buf body;
	buf_init(&body, (size_t)1 << 30);
	int64_t journal_last = 0;
	size_t nlists = 0;
	unsigned char (*written)[AUDIT_HASH_LEN] = NULL;
	for (struct item *it = items; it; it = it->next)
		nlists += it->list != NULL;
	if (nlists && !(written = malloc(nlists * sizeof(*written))))
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	nlists = 0;
	for (struct item *it = items; !rc && it; it = it->next) {
		if (it->n > journal_last)
			journal_last = it->n;
		unsigned char list_hash[AUDIT_HASH_LEN];
		if (it->list || it->hashed) {
			if (it->hashed)
				memcpy(list_hash, it->list_hash, AUDIT_HASH_LEN);
			else
				audit_list_hash(it->list, it->list_len, list_hash);
			/* A list the trail holds is not written again (a journal entry
			** without its list names one the trail held already). */
			int known = 0;
			if (seen && seen_lock) {
				pthread_mutex_lock(seen_lock);
				known = memcmp(seen[seen_slot(list_hash)], list_hash, AUDIT_HASH_LEN) == 0;
				pthread_mutex_unlock(seen_lock);
			}
			if (!known && it->list) {
				rc = store_trail_add_list(t, list_hash, it->list, it->list_len, err);
				memcpy(written[nlists++], list_hash, AUDIT_HASH_LEN);
			}
		}
		if (rc || !it->len)
			continue; /* an item with no body only brings a list */
		struct store_trail_record rec = {.seq = ++seq, .has_list = it->list || it->hashed};
		if (rec.has_list)
			memcpy(rec.list, list_hash, AUDIT_HASH_LEN);
		char type[AUDIT_TYPE_MAX], partner[AUDIT_PARTNER_MAX], prev_hex[AUDIT_HASH_LEN * 2 + 1];
		if (body_columns(it->body, it->len, &rec.at, type, partner)) {
			rc = relto_seterr(err, RELTO_EINTERNAL, "an audit record that audit_body_* did not make");
			break;
		}
		rec.type = type;
		rec.partner = partner;
		audit__hex(prev, AUDIT_HASH_LEN, prev_hex);
		buf_reset(&body);
		rc = buf_puts(&body, "{\"seq\":");
		if (!rc)
			rc = buf_put_i64(&body, (long long)rec.seq);
		if (!rc)
			rc = buf_putc(&body, ',');
		if (!rc)
			rc = buf_append(&body, it->body, it->len);
		if (!rc)
			rc = buf_puts(&body, ",\"prev\":\"");
		if (!rc)
			rc = buf_puts(&body, prev_hex);
		if (!rc)
			rc = buf_puts(&body, "\"}");
		if (rc) {
			rc = relto_seterr(err, rc, "an audit record too large");
			break;
		}
		rec.body = body.data;
		rec.len = body.len;
		audit_hash(body.data, body.len, rec.hash);
		rc = store_trail_add(t, &rec, err);
		memcpy(prev, rec.hash, AUDIT_HASH_LEN);
	}
	buf_free(&body);
	/* How far this process's journal is in the trail: in the same
	** transaction, so a replay after a crash neither loses nor repeats. */
	if (!rc && journal && journal_last)
		rc = store_trail_journal_put(t, journal, journal_last, err);
	if (!rc && checkpoint && key->has_secret && seq > 0) {
		struct store_trail_checkpoint cp = {.seq = seq, .at = ts_now()};
		unsigned char msg[AUDIT_CP_MSG_LEN];
		memcpy(cp.hash, prev, AUDIT_HASH_LEN);
		memcpy(cp.pubkey, key->pk, sizeof(cp.pubkey));
		audit__checkpoint_message(cp.seq, cp.at, cp.hash, msg);
		crypto_sign_detached(cp.sig, NULL, msg, sizeof(msg), key->sk);
		rc = store_trail_add_checkpoint(t, &cp, err);
	}
	rc = store_trail_end(t, rc, err);
	if (!rc && seen && seen_lock) {
		pthread_mutex_lock(seen_lock);
		for (size_t i = 0; i < nlists; i++)
			memcpy(seen[seen_slot(written[i])], written[i], AUDIT_HASH_LEN);
		pthread_mutex_unlock(seen_lock);
	}
	free(written);
	if (!rc && last_seq)
		*last_seq = seq;
	return rc;
}

static void free_items(struct item *it, enum relto_err rc)
{
	while (it) {
		struct item *next = it->next;
		if (it->done)
			it->done(it->ctx, rc);
		free(it);
		it = next;
	}
}

#define BATCH_MAX 2048

/* Journaled: nobody waits for a commit, so the writer gathers this long
** (or BATCH_MAX records) before one, and starts the journal over when all
** of it is in the trail.  The journal is a file of JOURNAL_SIZE bytes,
** allocated at start and mapped: a record is copied into it, with no
** system call.  Under load the queue is rarely empty, so past half of it
** the writer stops gathering, and a record that does not fit waits (a
** few ms) for the writer to drain the queue. */
#define JOURNAL_GATHER_US 50000
#define JOURNAL_SIZE ((size_t)32 << 20)

static void *writer(void *arg)
{
	struct audit *a = arg;
	/* The writer's own: when it last signed, and the newest record it
	** wrote that no checkpoint covers yet. */
	int64_t last_checkpoint_at = ts_now(), unsigned_seq = 0;
	pthread_mutex_lock(&a->lock);
	for (;;) {
		int64_t now = ts_now();
		int due = unsigned_seq && now - last_checkpoint_at >= a->checkpoint_us;
		if (!a->head && !a->stopping && !due) {
			a->writer_idle = 1;
			if (unsigned_seq) {
				/* Sleep until the checkpoint is due. */
				int64_t until = last_checkpoint_at + a->checkpoint_us;
				struct timespec ts = {.tv_sec = (time_t)(until / 1000000),
				                      .tv_nsec = (long)(until % 1000000) * 1000};
				pthread_cond_timedwait(&a->wake, &a->lock, &ts);
			} else {
				pthread_cond_wait(&a->wake, &a->lock);
			}
			a->writer_idle = 0;
			continue;
		}
		if (a->journal >= 0 && a->head && !a->stopping && a->journal_bytes < JOURNAL_SIZE / 2) {
			/* Every record is in the journal already: gather. */
			int64_t until = now + JOURNAL_GATHER_US;
			struct timespec ts = {.tv_sec = (time_t)(until / 1000000), .tv_nsec = (long)(until % 1000000) * 1000};
			while (!a->stopping && a->journal_bytes < JOURNAL_SIZE / 2 &&
			       pthread_cond_timedwait(&a->wake, &a->lock, &ts) == 0)
				;
		}
		/* Take what is queued, at most BATCH_MAX, never ending on an item
		** that only brings a list for the record after it. */
		struct item *batch = a->head, *last = NULL;
		size_t n = 0;
		for (struct item *it = a->head; it && (n < BATCH_MAX || !last->len); it = it->next, n++)
			last = it;
		if (last) {
			a->head = last->next;
			last->next = NULL;
			if (!a->head)
				a->tail = &a->head;
		}
		/* Stopping with nothing left: a last checkpoint over whatever the
		** trail holds (also a tail a crash left unsigned), then out. */
		int final = a->stopping && !a->head;
		pthread_mutex_unlock(&a->lock);

		int sign = due || final;
		char err[RELTO_ERRBUF_SIZE] = "";
		int64_t seq = 0;
		enum relto_err rc = append(a->trail, batch, &a->key, sign, a->seen, &a->lock, a->journal_name, &seq, err);
		if (rc)
			fprintf(stderr, "relto: the audit trail cannot be written: %s\n", err);
		a->last_rc = rc;
		if (sign)
			last_checkpoint_at = ts_now(); /* after a failure too: retried later, not in a loop */
		if (!rc)
			unsigned_seq = sign ? 0 : batch ? seq : unsigned_seq;
		if (rc && a->journal >= 0 && batch && !final) {
			/* The journal holds them: try again, in order, a little later
			** (they must not be lost, nor the journal truncated past them). */
			pthread_mutex_lock(&a->lock);
			last->next = a->head;
			a->head = batch;
			if (a->tail == &a->head)
				a->tail = &last->next;
			pthread_mutex_unlock(&a->lock);
			usleep(100000);
			pthread_mutex_lock(&a->lock);
			continue;
		}
		free_items(batch, rc);
		if (final)
			return NULL;
		pthread_mutex_lock(&a->lock);
		/* Everything written to the journal is in the trail now (entries
		** are queued as they are written, under this lock): start it over.
		** What it held stays until overwritten; a recovery skips entries
		** the trail has (their numbers are not above its mark). */
		if (!rc && a->journal >= 0 && !a->head && a->journal_bytes) {
			a->journal_bytes = 0;
			pthread_cond_broadcast(&a->drained);
		}
	}
}

static void audit_close_unstarted(struct audit *a);

/* ---- the journal (durability "os") ----
**
** Each entry: "RJ1\n", its number n (8 bytes), the lengths of its body
** and list (4 bytes each), a flag (1: the list's hash follows; with no
** list text, the trail holds the list), the hash (32 bytes), the body,
** the list, and a trailer ("RJ1e", 4 zero bytes, n again): a torn last
** entry (a crash during its write) lacks its trailer and is ignored.  (No
** checksum: the OS either has the bytes or not; from the trail on, the
** hash chain protects them.)  Numbers are little-endian. */

#define JOURNAL_HEAD 56
#define JOURNAL_SUM 16

/* Parse the entries of a journal (len bytes) and call fn for each whole
** one; stops at the first that is not. */
static enum relto_err journal_each(const unsigned char *p, size_t len,
                                   enum relto_err (*fn)(void *ctx, struct item *it), void *ctx)
{
	size_t at = 0;
	while (len - at >= JOURNAL_HEAD + JOURNAL_SUM && memcmp(p + at, "RJ1\n", 4) == 0) {
		const unsigned char *e = p + at;
		size_t blen = (size_t)le_get(e + 12, 4), llen = (size_t)le_get(e + 16, 4);
		size_t total = JOURNAL_HEAD + blen + llen + JOURNAL_SUM;
		if (total > len - at)
			break;
		const unsigned char *tail = e + total - JOURNAL_SUM;
		if (memcmp(tail, "RJ1e\0\0\0\0", 8) != 0 || memcmp(tail + 8, e + 4, 8) != 0)
			break;
		struct item it = {.body = (char *)e + JOURNAL_HEAD, .len = blen, .n = (int64_t)le_get(e + 4, 8),
		                  .hashed = e[20] & 1};
		if (llen) {
			it.list = (char *)e + JOURNAL_HEAD + blen;
			it.list_len = llen;
		}
		if (it.hashed)
			memcpy(it.list_hash, e + 24, AUDIT_HASH_LEN);
		enum relto_err rc = fn(ctx, &it);
		if (rc)
			return rc;
		at += total;
	}
	return RELTO_OK;
}

struct replay {
	int64_t last;             /* entries up to this one are in the trail */
	struct item *head, **tail;
};

static enum relto_err keep_entry(void *ctx, struct item *it)
{
	struct replay *r = ctx;
	if (it->n <= r->last)
		return RELTO_OK;
	struct item *copy = malloc(sizeof(*copy));
	if (!copy)
		return RELTO_ENOMEM;
	*copy = *it;
	copy->next = NULL;
	*r->tail = copy;
	r->tail = &copy->next;
	return RELTO_OK;
}

/* Move what the journal at path (name: its file name) holds beyond what
** the trail has into the trail, then remove it.  The journal's owner is
** gone: its lock could be taken. */
static enum relto_err replay(struct store_trail *t, int fd, const char *path, const char *name, char *err)
{
	struct stat sb;
	if (fstat(fd, &sb) != 0)
		return relto_seterr(err, RELTO_EINTERNAL, "%s: %s", path, strerror(errno));
	size_t len = (size_t)sb.st_size;
	unsigned char *p = malloc(len ? len : 1);
	if (!p)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	size_t got = 0;
	while (got < len) {
		ssize_t r = pread(fd, p + got, len - got, (off_t)got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	struct replay r = {.tail = &r.head};
	enum relto_err rc = store_trail_journal_get(t, name, &r.last, err);
	if (!rc)
		rc = journal_each(p, got, keep_entry, &r);
	if (rc == RELTO_ENOMEM)
		relto_seterr(err, rc, "out of memory");
	/* In batches, each its own transaction with the journal's progress. */
	struct item *it = r.head;
	while (!rc && it) {
		struct item *first = it, *end = it;
		for (size_t n = 1; n < BATCH_MAX && end->next; n++)
			end = end->next;
		it = end->next;
		end->next = NULL;
		rc = append(t, first, &(struct audit_key){0}, 0, NULL, NULL, name, NULL, err);
		end->next = it;
	}
	while (r.head) {
		struct item *next = r.head->next;
		free(r.head);
		r.head = next;
	}
	free(p);
	if (!rc && unlink(path) != 0)
		rc = relto_seterr(err, RELTO_EINTERNAL, "%s: %s", path, strerror(errno));
	return rc;
}

enum relto_err audit_recover(struct store *st, const char *prefix, size_t *recovered, char *err)
{
	*recovered = 0;
	char dir[4096];
	const char *slash = strrchr(prefix, '/');
	const char *base = slash ? slash + 1 : prefix;
	int n = slash ? snprintf(dir, sizeof(dir), "%.*s", (int)(slash - prefix), prefix) : snprintf(dir, sizeof(dir), ".");
	if (n <= 0 || (size_t)n >= sizeof(dir))
		return relto_seterr(err, RELTO_EINVAL, "audit journal: the path is too long");
	if (!dir[0])
		snprintf(dir, sizeof(dir), "/");
	DIR *d = opendir(dir);
	if (!d)
		return RELTO_OK; /* no directory, no journals */
	struct store_trail *t = NULL;
	enum relto_err rc = RELTO_OK;
	struct dirent *de;
	while (!rc && (de = readdir(d))) {
		if (strncmp(de->d_name, base, strlen(base)) != 0)
			continue;
		char path[8192];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		int fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* A live process holds its journal's lock: leave it alone. */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			if (!t)
				rc = store_trail_open(st, &t, err);
			if (!rc)
				rc = replay(t, fd, path, de->d_name, err);
			if (!rc)
				(*recovered)++;
		}
		close(fd);
	}
	closedir(d);
	store_trail_close(t);
	return rc;
}

static enum relto_err open_common(struct store *st, const struct audit_key *key, int64_t checkpoint_us,
                                  const char *journal_prefix, struct audit **out, char *err)
{
	struct audit *a = calloc(1, sizeof(*a));
	if (!a || !(a->seen = calloc(SEEN_SLOTS, AUDIT_HASH_LEN)) || !(a->sent = calloc(SEEN_SLOTS, AUDIT_HASH_LEN))) {
		if (a)
			free(a->seen);
		free(a);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	a->st = st;
	a->key = *key;
	a->checkpoint_us = checkpoint_us > 0 ? checkpoint_us : 1000000;
	a->tail = &a->head;
	a->journal = -1;
	enum relto_err rc = RELTO_OK;
	if (journal_prefix) {
		/* This process's journal: a new file, locked while it lives. */
		unsigned char rnd[8];
		char hex[17], path[4096];
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		if (snprintf(path, sizeof(path), "%s%s", journal_prefix, hex) >= (int)sizeof(path))
			rc = relto_seterr(err, RELTO_EINVAL, "audit journal: the path is too long");
		if (!rc && (a->journal = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
			rc = relto_seterr(err, RELTO_ESTORE, "%s: cannot create the audit journal: %s", path, strerror(errno));
		if (!rc && flock(a->journal, LOCK_EX | LOCK_NB) != 0)
			rc = relto_seterr(err, RELTO_ESTORE, "%s: cannot lock the audit journal: %s", path, strerror(errno));
		/* Its blocks are allocated now: a full disk is an error at start,
		** never a SIGBUS when a record is copied in. */
		int e = rc ? 0 : posix_fallocate(a->journal, 0, (off_t)JOURNAL_SIZE);
		if (e)
			rc = relto_seterr(err, RELTO_ESTORE, "%s: cannot allocate the audit journal: %s", path, strerror(e));
		if (!rc && (a->jmap = mmap(NULL, JOURNAL_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, a->journal, 0)) ==
		               MAP_FAILED) {
			a->jmap = NULL;
			rc = relto_seterr(err, RELTO_ESTORE, "%s: cannot map the audit journal: %s", path, strerror(errno));
		}
		const char *slash = strrchr(path, '/');
		if (!rc && !(a->journal_name = strdup(slash ? slash + 1 : path)))
			rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
		if (rc && a->journal >= 0) {
			if (a->jmap)
				munmap(a->jmap, JOURNAL_SIZE);
			a->jmap = NULL;
			close(a->journal);
			a->journal = -1;
			unlink(path);
		}
		if (!rc)
			a->journal_path = strdup(path);
	}
	if (!rc)
		rc = store_trail_open(st, &a->trail, err);
	if (rc) {
		if (a->journal >= 0) {
			munmap(a->jmap, JOURNAL_SIZE);
			close(a->journal);
			unlink(a->journal_path);
		}
		free(a->journal_path);
		free(a->journal_name);
		audit_key_wipe(&a->key);
		free(a->seen);
		free(a->sent);
		free(a);
		return rc;
	}
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	pthread_cond_init(&a->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&a->drained, NULL);
	if (pthread_create(&a->thread, NULL, writer, a) != 0) {
		a->stopping = 1;
		audit_close_unstarted(a);
		return relto_seterr(err, RELTO_EINTERNAL, "cannot start the audit writer");
	}
	*out = a;
	return RELTO_OK;
}

enum relto_err audit_open(struct store *st, const struct audit_key *key, int64_t checkpoint_us,
                          struct audit **out, char *err)
{
	return open_common(st, key, checkpoint_us, NULL, out, err);
}

enum relto_err audit_open_journaled(struct store *st, const struct audit_key *key, int64_t checkpoint_us,
                                    const char *journal_prefix, struct audit **out, char *err)
{
	size_t recovered = 0;
	enum relto_err rc = audit_recover(st, journal_prefix, &recovered, err);
	return rc ? rc : open_common(st, key, checkpoint_us, journal_prefix, out, err);
}

/* Copy one entry into the mapped journal and queue it: a record (body)
** naming a list by its hash (list_hash, may be NULL), with the list's text
** when the trail may not have it yet; or (len 0) only a list.  Under
** a->lock, which it may wait on while the writer drains a full journal.
** The entry's order in the journal is its order in the queue. */
static enum relto_err journal_put(struct audit *a, const char *body, size_t len, const char *list, size_t list_len,
                                  const unsigned char *list_hash, char *err)
{
	size_t total = JOURNAL_HEAD + len + (list ? list_len : 0) + JOURNAL_SUM;
	if (total > JOURNAL_SIZE)
		return relto_seterr(err, RELTO_ETOOBIG, "an audit record larger than the journal (%zu bytes)", total);
	while (a->journal_bytes + total > JOURNAL_SIZE && !a->stopping) {
		pthread_cond_signal(&a->wake);
		pthread_cond_wait(&a->drained, &a->lock);
	}
	if (a->journal_bytes + total > JOURNAL_SIZE)
		return relto_seterr(err, RELTO_ESTORE, "the audit journal is full and the server is stopping");
	struct item *it = malloc(sizeof(*it));
	if (!it)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	/* The trailer goes last: a copy cut short by a crash has none, and is
	** not an entry. */
	unsigned char *e = a->jmap + a->journal_bytes;
	memset(e, 0, JOURNAL_HEAD);
	memcpy(e, "RJ1\n", 4);
	le_put(e + 4, (uint64_t)(a->journal_n + 1), 8);
	le_put(e + 12, len, 4);
	le_put(e + 16, list ? list_len : 0, 4);
	if (list_hash) {
		e[20] = 1;
		memcpy(e + 24, list_hash, AUDIT_HASH_LEN);
	}
	if (len)
		memcpy(e + JOURNAL_HEAD, body, len);
	if (list)
		memcpy(e + JOURNAL_HEAD + len, list, list_len);
	memcpy(e + total - JOURNAL_SUM, "RJ1e\0\0\0\0", 8);
	memcpy(e + total - JOURNAL_SUM + 8, e + 4, 8);
	a->journal_bytes += total;
	/* The entry stays in the map until the writer has it in the trail. */
	*it = (struct item){.body = (char *)e + JOURNAL_HEAD, .len = len, .n = ++a->journal_n,
	                    .hashed = list_hash != NULL};
	if (list) {
		it->list = (char *)e + JOURNAL_HEAD + len;
		it->list_len = list_len;
	}
	if (list_hash)
		memcpy(it->list_hash, list_hash, AUDIT_HASH_LEN);
	*a->tail = it;
	a->tail = &it->next;
	return RELTO_OK;
}

/* Whether the text of list l must travel with a record: not when the
** trail holds it (seen) or an earlier journal entry carries it (sent),
** which the trail will hold first.  Under a->lock. */
static int list_needed(struct audit *a, const struct audit_list *l)
{
	size_t slot = seen_slot(l->hash);
	return memcmp(a->seen[slot], l->hash, AUDIT_HASH_LEN) != 0 && memcmp(a->sent[slot], l->hash, AUDIT_HASH_LEN) != 0;
}

enum relto_err audit_record(struct audit *a, const char *body, size_t len, const struct audit_list *released,
                            const struct audit_list *reasons, char *err)
{
	if (a->journal < 0)
		return relto_seterr(err, RELTO_EINTERNAL, "audit_record needs a journaled trail");
	pthread_mutex_lock(&a->lock);
	/* The withheld reasons first, as an entry of their own when their
	** text must travel; then the record, with the released list's text
	** only when it must.  Both copied before the answer goes out. */
	enum relto_err rc = RELTO_OK;
	if (reasons && list_needed(a, reasons)) {
		rc = journal_put(a, NULL, 0, reasons->text, reasons->len, reasons->hash, err);
		if (!rc)
			memcpy(a->sent[seen_slot(reasons->hash)], reasons->hash, AUDIT_HASH_LEN);
	}
	int with_list = released && list_needed(a, released);
	if (!rc)
		rc = journal_put(a, body, len, with_list ? released->text : NULL, with_list ? released->len : 0,
		                 released ? released->hash : NULL, err);
	if (!rc && with_list)
		memcpy(a->sent[seen_slot(released->hash)], released->hash, AUDIT_HASH_LEN);
	if (!rc && a->writer_idle)
		pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

/* Free a (its writer stopped, or never started).  The journal goes when
** all it held is in the trail; otherwise it stays for the next start. */
static void audit_close_unstarted(struct audit *a)
{
	int all_in = !a->head && a->last_rc == RELTO_OK;
	free_items(a->head, RELTO_ESTORE);
	if (a->journal >= 0) {
		munmap(a->jmap, JOURNAL_SIZE);
		if (all_in)
			unlink(a->journal_path);
		close(a->journal);
	}
	free(a->journal_path);
	free(a->journal_name);
	store_trail_close(a->trail);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->wake);
	pthread_cond_destroy(&a->drained);
	audit_key_wipe(&a->key);
	free(a->seen);
	free(a->sent);
	free(a);
}

void audit_close(struct audit *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stopping = 1;
	pthread_cond_signal(&a->wake);
	pthread_cond_broadcast(&a->drained);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	audit_close_unstarted(a);
}

/* A copy of one item: a body (len 0: none) and a list's text and/or
** hash (NULL: none).  NULL when out of memory. */
static struct item *item_copy(const char *body, size_t len, const char *list, size_t list_len,
                              const unsigned char *list_hash, audit_done_fn done, void *ctx)
{
	struct item *it = malloc(sizeof(*it) + len + (list ? list_len : 0) + 2);
	if (!it)
		return NULL;
	*it = (struct item){.body = (char *)(it + 1), .len = len, .hashed = list_hash != NULL, .done = done,
	                    .ctx = ctx};
	if (len)
		memcpy(it->body, body, len);
	it->body[len] = '\0';
	if (it->hashed)
		memcpy(it->list_hash, list_hash, AUDIT_HASH_LEN);
	if (list) {
		it->list = it->body + len + 1;
		memcpy(it->list, list, list_len);
		it->list[list_len] = '\0';
		it->list_len = list_len;
	}
	return it;
}

/* Queue first..last (linked) at once, so that nothing comes between them. */
static void queue_items(struct audit *a, struct item *first, struct item *last)
{
	pthread_mutex_lock(&a->lock);
	*a->tail = first;
	a->tail = &last->next;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->lock);
}

void audit_submit(struct audit *a, const char *body, size_t len, audit_done_fn done, void *ctx)
{
	struct item *it = item_copy(body, len, NULL, 0, NULL, done, ctx);
	if (it)
		queue_items(a, it, it);
	else if (done)
		done(ctx, RELTO_ENOMEM);
}

void audit_submit_lists(struct audit *a, const char *body, size_t len, const struct audit_list *released,
                        const struct audit_list *reasons, audit_done_fn done, void *ctx)
{
	/* The reasons, unless the trail holds them, as an item of their own
	** just ahead of the record's (the writer never splits the two between
	** batches): if storing them fails, so does the record. */
	pthread_mutex_lock(&a->lock);
	int send_reasons = reasons && memcmp(a->seen[seen_slot(reasons->hash)], reasons->hash, AUDIT_HASH_LEN) != 0;
	pthread_mutex_unlock(&a->lock);
	struct item *rec = item_copy(body, len, released ? released->text : NULL, released ? released->len : 0,
	                             released ? released->hash : NULL, done, ctx);
	struct item *first = rec;
	if (rec && send_reasons) {
		first = item_copy(NULL, 0, reasons->text, reasons->len, reasons->hash, NULL, NULL);
		if (first)
			first->next = rec;
		else
			free(rec);
	}
	if (first)
		queue_items(a, first, rec);
	else if (done)
		done(ctx, RELTO_ENOMEM);
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	enum relto_err rc;
};

static void wake_waiter(void *ctx, enum relto_err rc)
{
	struct waiter *w = ctx;
	pthread_mutex_lock(&w->lock);
	w->done = 1;
	w->rc = rc;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

enum relto_err audit_submit_wait(struct audit *a, const char *body, size_t len, char *err)
{
	struct waiter w = {.done = 0};
	pthread_mutex_init(&w.lock, NULL);
	pthread_cond_init(&w.cond, NULL);
	audit_submit(a, body, len, wake_waiter, &w);
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	pthread_mutex_destroy(&w.lock);
	pthread_cond_destroy(&w.cond);
	if (w.rc)
		return relto_seterr(err, w.rc, "the audit trail cannot be written (the server log says why)");
	return RELTO_OK;
}

enum relto_err audit_append_now(struct store *st, const struct audit_key *key, const char *body, size_t len,
                                const struct audit_list *reasons, char *err)
{
	struct store_trail *t = NULL;
	enum relto_err rc = store_trail_open(st, &t, err);
	if (rc)
		return rc;
	struct item it = {.body = (char *)body, .len = len};
	struct item with = {.list = reasons ? (char *)reasons->text : NULL, .list_len = reasons ? reasons->len : 0,
	                    .hashed = 1, .next = &it};
	if (reasons)
		memcpy(with.list_hash, reasons->hash, AUDIT_HASH_LEN);
	rc = append(t, reasons ? &with : &it, key, 1, NULL, NULL, NULL, NULL, err);
	store_trail_close(t);
	return rc;
}
