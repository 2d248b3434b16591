/*
** yconf.h: read a YAML file (or string) with libyaml into a document whose
** every node knows its line, so that configuration errors can say
** `file:line: message` for meaning as well as for syntax.
**
** Nodes are small integers (libyaml's node ids); 0 means "no node".
** Scalars are returned as libyaml keeps them (NUL-terminated UTF-8).
** Threading: a document belongs to one thread.  Ownership: strings and
** nodes live as long as the document; yconf_free(NULL) is a no-op.
*/
#ifndef RELTO_YCONF_H
#define RELTO_YCONF_H

#include <stddef.h>
#include "../relto.h"

struct yconf;

/* Load text (len bytes) read from `name` (used in messages only).
** RELTO_OK and *out; RELTO_EINVAL with err = "name:line:col: problem";
** RELTO_ENOMEM. */
enum relto_err yconf_load(const char *name, const char *text, size_t len,
                          struct yconf **out, char *err);
void yconf_free(struct yconf *y);

const char *yconf_name(const struct yconf *y);
int yconf_root(const struct yconf *y);
int yconf_line(const struct yconf *y, int node);
int yconf_is_map(const struct yconf *y, int node);
int yconf_is_seq(const struct yconf *y, int node);
/* The scalar's text, or NULL if node is not a scalar. */
const char *yconf_str(const struct yconf *y, int node);
/* The value under key in map node, or 0 if absent (or node not a map). */
int yconf_get(const struct yconf *y, int map, const char *key);
/* Sequence length and items (0 for a non-sequence). */
size_t yconf_seq_len(const struct yconf *y, int seq);
int yconf_seq_at(const struct yconf *y, int seq, size_t i);

/* Each key of map must be one of `allowed` (NULL-terminated).  RELTO_OK;
** RELTO_EINVAL: "file:line: unknown key 'x' in <where> (expected one of: ...)". */
enum relto_err yconf_check_keys(const struct yconf *y, int map, const char *where,
                                const char *const *allowed, char *err);

/* Report a problem at node: "file:line: <formatted>".  Returns code. */
enum relto_err yconf_error(const struct yconf *y, int node, char *err,
                           enum relto_err code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
