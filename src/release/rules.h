/*
** rules.h: the releasability rules as one value: the policy and the
** posture, each as the text it was read from, compiled, and with its
** version (0: the file named in the configuration, or the demo's
** built-in one; 1, 2, ...: versions kept in the store, table `rules`).
**
** A stored version always wins over the file: rules_current() starts
** from the files and replaces each document with its latest stored
** version.  Changes never edit a value in place: rules_with() makes a new
** one with one document replaced, compiled and checked, so the rules in
** force are swapped whole or not at all.
**
** Threading: a struct rules is read-only once made and may be shared.
** Ownership: rules_free() frees it all; NULL is a no-op.
*/
#ifndef RELTO_RULES_H
#define RELTO_RULES_H

#include <stdint.h>
#include "../relto.h"
#include "../store/store.h"

struct policy;
struct posture;

enum rules_kind { RULES_POLICY = 0, RULES_POSTURE = 1 };

struct rules_doc {
	char *name;               /* for messages: a path, "(stored posture v3)" */
	char *text;               /* NUL-terminated */
	size_t len;
	int64_t version;
};

struct rules {
	struct rules_doc doc[2];  /* [RULES_POLICY], [RULES_POSTURE] */
	struct policy *policy;
	struct posture *posture;
};

/* "policy" or "posture": the store's kind names. */
const char *rules_kind_name(enum rules_kind k);

/* Compile a policy text and load a posture text (version 0).  RELTO_OK
** and *out; RELTO_EINVAL ("name:line:col: message"); RELTO_ENOMEM. */
enum relto_err rules_from_texts(const char *policy_name, const char *policy, size_t policy_len,
                                const char *posture_name, const char *posture, size_t posture_len,
                                struct rules **out, char *err);
/* The same from two files.  RELTO_ENOTFOUND when one cannot be read. */
enum relto_err rules_from_files(const char *policy_path, const char *posture_path, struct rules **out, char *err);

/* A new value: r with document k replaced by text (len bytes), named
** name, at version.  RELTO_OK and *out; RELTO_EINVAL; RELTO_ENOMEM. */
enum relto_err rules_with(const struct rules *r, enum rules_kind k, const char *name, const char *text,
                          size_t len, int64_t version, struct rules **out, char *err);

/* The rules in force: files, with each document replaced by its latest
** stored version when the store has one.  RELTO_OK and *out;
** RELTO_EINVAL (a stored version that no longer compiles); RELTO_ESTORE. */
enum relto_err rules_current(struct store_conn *c, const struct rules *files, struct rules **out, char *err);

/* The text of version v of document k (0: files'), with who stored it
** and why in *meta (empty strings for version 0).  RELTO_OK; RELTO_ENOTFOUND;
** RELTO_ESTORE. */
enum relto_err rules_version(struct store_conn *c, const struct rules *files, enum rules_kind k, int64_t v,
                             struct store_rules *meta, char *err);

void rules_free(struct rules *r);

#endif
