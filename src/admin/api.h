/*
** api.h: the admin API (docs/admin.md): JSON over the TAXII listener,
** under /admin/, for logins with the admin role.  Reading and changing the
** posture (whole or by change operations) and the policy, their versions
** and diffs, the partners and the vendor registry, and what-if.
**
** Every change runs under the server's rules lock: prepared against the
** rules in force, committed to the store only if nobody changed them
** meanwhile (409 otherwise), then put in force before the answer is sent,
** so every request that starts after a 200 is decided by the new rules.
**
** The http layer authenticates, checks the role, caps the body, and
** sends what a handler leaves in the request (request.h), with media
** type application/json.
*/
#ifndef RELTO_ADMIN_API_H
#define RELTO_ADMIN_API_H

#include "../relto.h"
#include "../http/request.h"

typedef enum relto_err (*admin_handler)(struct req *r);

struct admin_route {
	admin_handler get, post, put;
	const char *allow;        /* the methods there are, for a 405 */
};

/* Resolve the path segments after "admin" (n may be 0).  RELTO_OK and
** *out; RELTO_ENOTFOUND (err set) when there is no such resource.  The
** segments must outlive the request (r keeps pointers to them). */
enum relto_err admin_route(struct req *r, char *const *seg, int n, struct admin_route *out);

#endif
