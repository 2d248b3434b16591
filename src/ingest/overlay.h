/*
** overlay.h: a marking overlay for `relto import --mark`, so an operator
** can try relto on data they know (the MITRE ATT&CK bundles, which carry
** only a copyright statement) with the markings a sharing programme would
** put on it.
**
** A rule is "[SELECTOR=]MARKING":
**   MARKING   TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT, TLP:RED
**             (the TLP 2.0 marking definitions), or a classification
**             banner as a CAPCO-style statement: "SECRET//REL TO USA, FVEY",
**             "CONFIDENTIAL", "TOP SECRET//NOFORN" (docs/markings.md);
**   SELECTOR  an object type ("attack-pattern"), or "N%" (that share of
**             the objects, chosen by a hash of their id, so the same
**             objects every time); none: every object.
** The first rule that selects an object adds its marking to the object's
** object_marking_refs (rules are tried in order; objects no rule selects,
** and marking definitions themselves, are left as they are).  A banner
** becomes a statement marking-definition object whose id is derived from
** its text, added to the output once.
**
** Marked objects are re-serialized (Jansson): the overlay is an explicit
** rewrite at import, not a change to what relto stores otherwise.
** Threading: an overlay is read-only once built.  Ownership:
** overlay_free frees it; NULL is a no-op.
*/
#ifndef RELTO_OVERLAY_H
#define RELTO_OVERLAY_H

#include <stddef.h>
#include "../relto.h"

struct overlay;

/* Append the rule spec to *ov (created when NULL).  RELTO_OK; RELTO_EINVAL
** (err says what is wrong with the rule); RELTO_ENOMEM. */
enum relto_err overlay_add(struct overlay **ov, const char *spec, char *err);
void overlay_free(struct overlay *ov);

/* Apply ov to a STIX bundle or TAXII envelope (len bytes): *out is a
** TAXII envelope (malloc'd, *outlen bytes) with the overlay's marking
** definitions first, then every object, marked as the rules say.
** *marked counts the objects that got a marking.  RELTO_OK; RELTO_EINVAL
** (not JSON, or no "objects" list); RELTO_ENOMEM. */
enum relto_err overlay_apply(const struct overlay *ov, const char *body, size_t len, char **out, size_t *outlen,
                             size_t *marked, char *err);

#endif
