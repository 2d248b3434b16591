/*
** entry.h: text as the audit trail writes it, and the entry of one object
** version in a released list (docs/audit.md).
**
** An entry is the JSON text ["id","version"] (the version as the object
** wrote it, or the server's timestamp for an unversioned object); a
** released list is its entries in order, "[" e1 "," e2 ... "]", and its
** hash is the SHA-256 of the SHA-256 of each entry, one after another.
** The store keeps each row's entry with it (its hash, then its text:
** entry_make), made once at ingest, so that an audited answer names its
** list by hashing 32 bytes per object instead of re-encoding and hashing
** every id and version it sends.
**
** A leaf module (buf and GnuTLS only): the store includes it.  Pure
** functions, thread-safe.
*/
#ifndef RELTO_ENTRY_H
#define RELTO_ENTRY_H

#include <stddef.h>
#include "../relto.h"
#include "../util/buf.h"

#define ENTRY_HASH_LEN 32

/* s as a JSON string, as the trail writes text: printable ASCII as it
** is, the rest escaped as JSON requires; bytes that are not UTF-8 become
** U+FFFD, so a record is valid JSON whatever a client sent.  RELTO_OK;
** RELTO_ETOOBIG (b's cap; b as it was). */
enum relto_err entry_put_text(struct buf *b, const char *s);

/* texts[0..n) as a JSON array of strings, each as entry_put_text writes
** it: ["a","b"].  RELTO_OK; RELTO_ETOOBIG (b as it was). */
enum relto_err entry_put_texts(struct buf *b, const char *const *texts, size_t n);

/* Append the entry of (id, version), il and vl bytes (NUL-terminated),
** to b: its text alone (entry_text), or its SHA-256 and then its text,
** as the store keeps it (entry_make).  RELTO_OK; RELTO_ETOOBIG (b as it
** was). */
enum relto_err entry_text(struct buf *b, const char *id, size_t il, const char *version, size_t vl);
enum relto_err entry_make(struct buf *b, const char *id, size_t il, const char *version, size_t vl);

/* The SHA-256 of n bytes at p. */
void entry_sha256(const void *p, size_t n, unsigned char out[ENTRY_HASH_LEN]);

/* Whether text (len bytes) is a released list exactly as relto writes
** one ("[" entries joined by "," "]", each as entry_text makes it from
** the id and version it holds); if so, *count gets its entries and hash
** its hash (SHA-256 over its entries' SHA-256).  0 when it is not
** (malformed, or not written that way). */
int entry_list_check(const char *text, size_t len, size_t *count, unsigned char hash[ENTRY_HASH_LEN]);

#endif
