/*
** taxii.h: the TAXII 2.1 resources (sections 4 and 5 of the
** specification), one handler each.  Each takes a request the http layer
** has routed and authenticated, and fills its answer (see request.h).
**
** Access rules, common to every collection endpoint: a collection the
** partner can neither read nor write does not exist for it (404); reading
** needs can_read and writing can_write (403 otherwise, as the partner
** knows the collection exists); DELETE needs both (section 5.7).
*/
#ifndef RELTO_TAXII_H
#define RELTO_TAXII_H

#include "../http/request.h"

enum relto_err taxii_discovery(struct req *r);
enum relto_err taxii_api_root(struct req *r);
enum relto_err taxii_status(struct req *r);
enum relto_err taxii_collections(struct req *r);
enum relto_err taxii_collection(struct req *r);
enum relto_err taxii_objects_get(struct req *r);
enum relto_err taxii_objects_post(struct req *r);
enum relto_err taxii_manifest(struct req *r);
enum relto_err taxii_object_get(struct req *r);
enum relto_err taxii_object_delete(struct req *r);
enum relto_err taxii_versions(struct req *r);

/* The key a status resource is kept under for its owner: the API root
** and the partner that posted ("hub/kor"), so nobody else can read it. */
void taxii_status_owner(const struct req *r, char *out, size_t size);

/* Can partner p read / write collection c? */
int taxii_can_read(const struct collection *c, int p);
int taxii_can_write(const struct collection *c, int p);

#endif
