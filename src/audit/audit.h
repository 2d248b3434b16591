/*
** audit.h: the tamper-evident audit trail (docs/audit.md).
**
** One record per answer that released or withheld objects, and one per
** admin change.  A record is a JSON text (its exact bytes are what is
** hashed); records form a hash chain: each carries the SHA-256 hash of the
** previous one ("prev"), and its own hash is SHA-256 of its bytes.
** The (id, version) pairs an answer released are kept once per distinct
** list ("released.list" is the list's hash), so a page sent to many
** partners, or many times, is stored once.  Checkpoints sign (seq, hash,
** time) of the newest record with the server's Ed25519 key, whose secret
** lives in a key file outside the store.
**
** Writing is batched by one writer thread (group commit).  Durability
** "disk" (audit_open): requests hand over a record and are told when the
** batch holding it is fsynced; the HTTP layer sends the answer only then.
** Durability "os" (audit_open_journaled, the default): a request copies
** its record into its process's journal, which the OS keeps if the
** process dies, and sends at once; the writer moves the journal into the
** trail.  Either way no answer waits for an fsync of its own, and an
** answer that was fully sent is in the trail (or, after a crash, in a
** journal that the next start moves there).
**
** Threading: audit_submit from any thread; the rest from one thread.
** Errors: enum relto_err, err says why (RELTO_ESTORE for the store,
** RELTO_EINVAL for a bad key file, RELTO_ENOTFOUND for a missing one).
*/
#ifndef RELTO_AUDIT_H
#define RELTO_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"
#include "../store/store.h"
#include "../util/buf.h"

#define AUDIT_HASH_LEN 32

/* ---- the signing key ---- */

struct audit_key {
	unsigned char pk[32];
	unsigned char sk[64];     /* zero when only the public key is known */
	int has_secret;
};

/* Load the key file at path, creating it (mode 0600, a new random key)
** when create is set and it does not exist.  RELTO_OK; RELTO_ENOTFOUND;
** RELTO_EINVAL ("path: not a relto audit key"); RELTO_EINTERNAL. */
enum relto_err audit_key_load(const char *path, int create, struct audit_key *out, char *err);
/* A public key file as `relto audit pubkey` writes it, or the key file
** itself.  RELTO_OK; RELTO_ENOTFOUND; RELTO_EINVAL. */
enum relto_err audit_pubkey_load(const char *path, struct audit_key *out, char *err);
/* "ed25519:<64 hex digits>\n" into out (at least 80 bytes). */
void audit_pubkey_text(const struct audit_key *k, char *out, size_t size);
void audit_key_wipe(struct audit_key *k);

/* ---- records ---- */

/* What a TAXII answer released and withheld. */
struct audit_withheld {
	const char *reason;       /* e.g. "policy line 9: not on the REL TO list" */
	int64_t n;
};

struct audit_read {
	int64_t at;               /* µs, when the answer was made */
	const char *type;         /* "read" or "delete" */
	const char *partner, *credential, *request_id;
	const char *method, *path, *query; /* query: "" when none */
	unsigned status;
	int64_t policy_version, posture_version;
	uint64_t snapshot;
	size_t released;          /* objects or entries in the answer */
	const unsigned char *list; /* hash of the released list, NULL when none */
	int list_by_entries;      /* it hashes its entries (audit_entries_hash);
	                          ** 0: its text (older trails, tests) */
	const struct audit_withheld *withheld;
	size_t nwithheld;
	/* Hash of the reasons list (audit_reasons_list) of withheld[], or NULL
	** to have audit_body_read make it (a cached answer hashes it once). */
	const unsigned char *reasons;
};

/* An admin change. */
struct audit_admin {
	int64_t at;
	const char *partner;      /* the admin login, or "cli" */
	const char *credential;   /* or the OS user for the CLI ("os:NAME") */
	const char *action;       /* "posture.change", "policy.apply", "credential.add", ... */
	const char *subject;      /* what it applies to (a partner, a credential id), "" */
	const char *author;       /* who the change names as its author, "" (NULL: "") */
	int64_t version;          /* the rules version it made, 0 when none */
	const char *reason;       /* as given by the author, "" */
	const unsigned char *digest; /* SHA-256 of the new document, NULL */
};

/* The body of a record without its first field (seq) and its last one
** (prev), which the writer adds: `"at":...` up to, not including, the
** closing brace.  RELTO_OK; RELTO_ETOOBIG (b's cap). */
enum relto_err audit_body_read(struct buf *b, const struct audit_read *r);
enum relto_err audit_body_admin(struct buf *b, const struct audit_admin *a);

/* The withheld reasons of a record, as the trail keeps them: the texts
** once, as a list `["reason",...]` stored under its hash like a released
** list (they repeat from answer to answer, and are most of a record's
** bytes otherwise); the record holds that hash and the counts, in the
** same order: "withheld":{"reasons":"HASH","counts":[N,...]}.  Appends
** the list to b: RELTO_OK; RELTO_ETOOBIG (b as it was); RELTO_ENOMEM. */
enum relto_err audit_reasons_list(struct buf *b, const struct audit_withheld *w, size_t n);
/* The same, and its hash (audit_list_hash) in hash.  The last list made
** is kept, by its texts, and given again without hashing: answers
** withhold for the same reasons from page to page (a page's hash of them
** was 1.3% of a partner's uncached page).  Thread-safe. */
enum relto_err audit_reasons_hashed(struct buf *b, const struct audit_withheld *w, size_t n,
                                    unsigned char hash[AUDIT_HASH_LEN]);

/* A list a record names by its hash: released pairs or withheld reasons. */
struct audit_list {
	const char *text;
	size_t len;
	unsigned char hash[AUDIT_HASH_LEN];
};

/* A released list being made (entry.h): its text `[["id","version"],...]`,
** a complete JSON array after every addition, and its entries' hashes,
** which hash to the list's hash (audit_entries_hash; the record says so:
** audit_read.list_by_entries).  Add each entry as the store keeps it
** (its hash, then its text: audit_entries_add; RELTO_EINVAL when it is
** not one), or make it from the id and version, il and vl bytes
** (audit_entries_add_pair).  RELTO_OK; RELTO_ETOOBIG (the list as it
** was). */
struct audit_entries {
	struct buf text, hashes;
	size_t n;
};
void audit_entries_init(struct audit_entries *e, size_t cap);
void audit_entries_reset(struct audit_entries *e);
void audit_entries_free(struct audit_entries *e);
enum relto_err audit_entries_add(struct audit_entries *e, const void *entry, size_t len);
enum relto_err audit_entries_add_pair(struct audit_entries *e, const char *id, size_t il, const char *version,
                                      size_t vl);
void audit_entries_hash(const struct audit_entries *e, unsigned char out[AUDIT_HASH_LEN]);
/* The hash of a list by its text: withheld reasons, and the released
** lists of records made before entries were kept (without "list_by"). */
void audit_list_hash(const char *list, size_t len, unsigned char out[AUDIT_HASH_LEN]);
/* The trail's hash (SHA-256) of len bytes at p: records, lists, documents. */
void audit_hash(const void *p, size_t len, unsigned char out[AUDIT_HASH_LEN]);

/* ---- the writer ---- */

struct audit;

/* Called once per submitted record, from the writer thread, when the batch
** holding it is durable (RELTO_OK) or could not be written. */
typedef void (*audit_done_fn)(void *ctx, enum relto_err rc);

/* Start the writer on store st with key (copied), signing a checkpoint at
** most every checkpoint_us when there are new records, and when closed.
** RELTO_OK; RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err audit_open(struct store *st, const struct audit_key *key, int64_t checkpoint_us,
                          struct audit **out, char *err);
/* Durability "os": like audit_open, and records go through a journal of
** this process's own (a new file journal_prefix + random hex, locked
** while the process lives): audit_record writes each record there before
** it returns, so an answer sent after it is recorded even if the process
** is killed the next moment (the OS holds the file); the writer moves
** the journal into the trail in batches, and truncates it.  Journals left
** by processes that died are moved into the trail first (audit_recover).
** A power cut can lose what the trail had not committed yet (a few ms of
** records: the trail's own commits are fsynced).  RELTO_OK; RELTO_ESTORE;
** RELTO_ENOMEM. */
enum relto_err audit_open_journaled(struct store *st, const struct audit_key *key, int64_t checkpoint_us,
                                    const char *journal_prefix, struct audit **out, char *err);
/* Record one answer in a journaled trail (body as audit_body_* made it;
** released and reasons: the lists its body names, NULL when none):
** written to the journal when this returns RELTO_OK (RELTO_ESTORE: not
** recorded; do not send the answer).  A list's text is copied only when
** the trail may not hold it yet. */
enum relto_err audit_record(struct audit *a, const char *body, size_t len, const struct audit_list *released,
                            const struct audit_list *reasons, char *err);
/* Move the journals of processes that are gone (files journal_prefix*
** whose lock can be taken) into the trail, and remove them; *recovered
** says how many.  RELTO_OK; RELTO_ESTORE. */
enum relto_err audit_recover(struct store *st, const char *journal_prefix, size_t *recovered, char *err);

/* Write what is queued, sign a last checkpoint, stop.  NULL ok. */
void audit_close(struct audit *a);

/* Queue a record that names no list (an admin change): body as made by
** audit_body_*, copied.  done is called exactly once (possibly before
** this returns, on RELTO_ENOMEM).  Never blocks on the disk. */
void audit_submit(struct audit *a, const char *body, size_t len, audit_done_fn done, void *ctx);
/* audit_submit for a record naming lists whose hashes are known already
** (a cached page is recorded many times): released and reasons as for
** audit_record (NULL when none). */
void audit_submit_lists(struct audit *a, const char *body, size_t len, const struct audit_list *released,
                        const struct audit_list *reasons, audit_done_fn done, void *ctx);
/* audit_submit and wait for the record to be durable (admin changes).
** RELTO_OK; RELTO_ESTORE; RELTO_ENOMEM. */
enum relto_err audit_submit_wait(struct audit *a, const char *body, size_t len, char *err);

/* Append one record now, in its own transaction, without a writer (the
** CLI, when it changes rules or credentials), with the list of withheld
** reasons its body names (NULL: none).  Signs a checkpoint when key has
** its secret.  RELTO_OK; RELTO_ESTORE. */
enum relto_err audit_append_now(struct store *st, const struct audit_key *key, const char *body, size_t len,
                                const struct audit_list *reasons, char *err);

/* ---- reading and checking ---- */

struct audit_status {
	int64_t records;          /* newest record's seq (0: none) */
	int64_t checkpoints;
	int64_t checkpoint_seq;   /* the newest checkpoint: the record it signs */
	int64_t checkpoint_at;    /* µs, 0 when none */
	int checkpoint_valid;     /* its signature verifies and it signs that record's hash */
};

/* The trail's size and its newest checkpoint, checked (the console).
** RELTO_OK; RELTO_ESTORE. */
enum relto_err audit_status(struct store *st, const struct audit_key *pub, struct audit_status *out, char *err);

/* Check the whole chain, every released list and every checkpoint (with
** the given public keys; none: checkpoints are checked for consistency
** with the records only).  Appends a report to out: one line per problem
** found (at most 20), the first naming the first bad record, then a
** summary.  *bad_seq is the first bad record's seq (0: the trail is
** intact).  RELTO_OK (even when tampering was found); RELTO_ESTORE. */
enum relto_err audit_verify(struct store *st, const struct audit_key *keys, size_t nkeys, struct buf *out,
                            int64_t *bad_seq, char *err);

/* What `relto audit show|export|who-got` select. */
struct audit_filter {
	const char *partner;      /* NULL: any */
	const char *object;       /* records that released this object id */
	int64_t since, until;     /* µs, 0: open */
	const char *decision;     /* "released", "withheld", "admin", NULL: any */
	int64_t limit;            /* 0: no limit */
};

/* Call fn for each matching record, oldest first: its body, its released
** list and its list of withheld reasons (each NULL when none, or when the
** trail lacks it: `verify` says so). */
typedef enum relto_err (*audit_record_fn)(void *ctx, int64_t seq, const char *body, const char *list,
                                          const char *reasons, const unsigned char hash[AUDIT_HASH_LEN]);
enum relto_err audit_each(struct store *st, const struct audit_filter *f, audit_record_fn fn, void *ctx,
                          char *err);

#endif
