/*
** request.h: one HTTP request as the TAXII handlers see it: who asked,
** what the URL named, the query parameters and body, a store connection,
** and where to put the answer.  The http layer fills it (routing,
** authentication, content negotiation) and sends what the handler left
** in it; handlers never see libmicrohttpd.
**
** A handler returns RELTO_OK after setting status and out (and any
** X-TAXII-Date-Added-* values), or an error code with err filled; the
** http layer then answers with a TAXII error resource (http/reply.c).
*/
#ifndef RELTO_REQUEST_H
#define RELTO_REQUEST_H

#include "../relto.h"
#include "../util/buf.h"
#include "../util/ts.h"
#include "../taxii/query.h"
#include "server.h"
#include "../audit/audit.h"

/* What an answer released and withheld, for its audit record (docs/
** audit.md).  A cached page keeps a copy, so that a page served again is
** recorded the same. */
#define ANSWER_REASONS 8
struct answer_audit {
	int on;                      /* the handler filled what follows */
	struct audit_entries list;   /* [["id","version"],...]; none: nothing released */
	int hashed;                  /* list_hash is list's (set once the answer is made) */
	unsigned char list_hash[AUDIT_HASH_LEN];
	size_t nwithheld;
	struct {
		char reason[160];
		int64_t n;
	} withheld[ANSWER_REASONS];
	/* The reasons list (audit_reasons_list) and its hash, made once with
	** list_hash when nwithheld > 0. */
	char *reasons;
	size_t reasons_len;
	unsigned char reasons_hash[AUDIT_HASH_LEN];
};

struct req {
	struct server *srv;
	const char *method;          /* "GET", "POST", "DELETE" (HEAD is GET) */
	int partner;                 /* index into srv->cfg->partners */
	const struct partner *who;
	/* From the URL; NULL when the route has no such part. */
	const struct api_root *root;
	struct collection *coll;
	const char *object_id;
	const char *status_id;
	const struct qparam *params;
	size_t nparams;
	const char *body;            /* POST body (not NUL-terminated) */
	size_t body_len;
	const char *content_type;    /* POST Content-Type, NULL if none */
	char *const *admin_seg;      /* the path after /admin/ (admin/api.h) */
	int admin_nseg;
	const char *media_type;      /* of the answer; NULL: TAXII's */
	const char *csp;             /* Content-Security-Policy of the answer (with X-Frame-Options: DENY); NULL: none */
	struct store_conn *sc;       /* borrowed for the request */
	uint64_t snapshot;           /* the decision snapshot used (0: none), for the log */
	size_t served;               /* objects or entries in the answer, for metrics */
	int cached;                  /* answered from the page cache */
	int endpoint;                /* enum metrics_endpoint */
	int want_audit;              /* the handler should fill audit */
	char credential[64];         /* which credential authenticated, for the audit */
	struct answer_audit audit;
	/* The answer. */
	unsigned status;
	struct buf out;
	char date_first[TS_BUFSIZE]; /* "" = no X-TAXII-Date-Added-First */
	char date_last[TS_BUFSIZE];
	const char *allow;           /* for a 405: the methods that are */
	unsigned retry_after;        /* for a 429: seconds */
	size_t sent;                 /* body bytes of the answer */
	char err[RELTO_ERRBUF_SIZE];
};

/* The TAXII media type relto speaks. */
#define TAXII_MEDIA_TYPE "application/taxii+json;version=2.1"
#define STIX_MEDIA_TYPE "application/stix+json;version=2.1"

#endif
