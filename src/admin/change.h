/*
** change.h: posture change documents (docs/admin.md "Change documents"):
** a JSON list of operations (remove-equipment, add-equipment,
** set-deadline, add-operator, remove-operator, set-vendor, remove-vendor,
** set-partner, remove-partner) applied in order to a posture document,
** giving the next posture document; and the CLI's shorthand flags for the
** common operations.
**
** A change is all or nothing: every operation is checked against the
** posture as the operations before it left it, then the whole result is
** checked by posture_load(); the first error refuses the whole list.
** Errors name the operation ("changes[1]: unknown vendor 'hauwei'") or,
** for the result, the loader's place ("after the changes: partners[6]...").
**
** Threading: pure functions, no shared state.  Errors: enum relto_err;
** on failure OUT parameters are untouched and err (RELTO_ERRBUF_SIZE
** bytes, NULL allowed) says why.
*/
#ifndef RELTO_ADMIN_CHANGE_H
#define RELTO_ADMIN_CHANGE_H

#include <jansson.h>
#include <stddef.h>
#include "../relto.h"

/* The "source" that add-equipment and set-partner (adding a partner)
** write when the operation gives none: the posture format requires one,
** and the CLI flags have no room for it.  The version's author and
** reason in the store say who and why. */
#define ADMIN_DEFAULT_SOURCE "posture change (no source given)"

/* Apply changes (a JSON list of operation objects; borrowed, not changed)
** to the posture document posture_json (len bytes, relto-posture/1; it
** must itself pass posture_load).  Key order is kept; new objects get the
** key order of docs/posture.md.  The result is serialized with two-space
** indentation and a trailing newline.
**   RELTO_OK: *out is the new document, NUL-terminated, malloc'd; the
**     caller frees it.
**   RELTO_EINVAL: the posture in force does not load ("posture in force:
**     ..."), changes is not a non-empty list ("changes: ..."), an operation
**     is wrong ("changes[N]: ..."), or the result does not load ("after
**     the changes: PATH: ...").
**   RELTO_ENOMEM.
** On failure *out is untouched. */
enum relto_err admin_posture_change(const char *posture_json, size_t len, const json_t *changes,
                                    char **out, char *err);

/* Turn one CLI flag and its argument into an operation object appended to
** changes (a JSON list; the new element is owned by it).  flag is the
** flag's name with or without the leading "--":
**   remove-equipment PARTNER/OPERATOR/SEGMENT/VENDOR
**   add-equipment    PARTNER/OPERATOR/SEGMENT/VENDOR[@YYYY-MM-DD]
**   set-deadline     PARTNER/OPERATOR/SEGMENT/VENDOR@YYYY-MM-DD  (or @none)
**   vendor-risk      VENDOR=RISK   (a set-vendor operation with risk)
** Operator names may contain spaces but not '/'.  Only the syntax is
** checked here; names are checked when the change is applied.
** RELTO_EINVAL with err "--FLAG: expected ..., got 'ARG'" (or naming the
** bad date, or the unknown flag); RELTO_ENOMEM.  On failure changes is
** unchanged. */
enum relto_err admin_change_from_flag(const char *flag, const char *arg, json_t *changes,
                                      char *err);

#endif
