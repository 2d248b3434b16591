/*
** admin.h: changing the releasability rules, whatever the transport
** (the admin API in admin/api.c, the CLI in cli/): prepare a change (the
** new rules, compiled and checked, and its impact report), then commit it
** (a new stored version, only if the version it was made against is still
** the latest).  What-if is prepare without commit.  The caller puts the
** committed rules in force (a server: server_apply_rules; the CLI:
** running servers pick the new version up before their next request).
**
** Threading: none of its own; the caller serializes changes.
*/
#ifndef RELTO_ADMIN_H
#define RELTO_ADMIN_H

#include "../relto.h"
#include "../config/config.h"
#include "../release/impact.h"
#include "../release/rules.h"
#include "../store/store.h"

/* The new rules: cur with document k replaced by texts[k] wherever
** texts[k] is not NULL (lens[k] bytes), compiled and checked (a policy
** must still declare every collection's default level), and what they
** would change (impact.h; exact or by marking set).  Changed documents
** get version -1 (hypothetical) until admin_commit.  cfg may be NULL
** (no configuration: the change is checked, *impact is NULL).
** RELTO_OK, *next and *impact; RELTO_EINVAL ("name:line:col: message");
** RELTO_ESTORE; RELTO_ENOMEM.  Nothing is stored. */
enum relto_err admin_prepare(const struct relto_config *cfg, struct store_conn *c, const struct rules *cur,
                             const char *const texts[2], const size_t lens[2], int exact, struct rules **next,
                             struct impact_report **impact, char *err);

/* Store the document of next whose version is -1 (one only: two would
** not be one transaction) as a new version (author, reason), only if
** cur's version of it is still the latest
** stored (RELTO_ECONFLICT otherwise: someone changed it meanwhile), and
** give next and impact (may be NULL) the number.  RELTO_OK; RELTO_EINVAL
** (empty author or reason); RELTO_ECONFLICT; RELTO_ESTORE. */
enum relto_err admin_commit(struct store_conn *c, const struct rules *cur, struct rules *next,
                            struct impact_report *impact, const char *author, const char *reason, char *err);

#endif
