/*
** server.c: the HTTP front: libmicrohttpd setup, per-request state,
** authentication, routing to the TAXII handlers, and sending answers.
**
** Request life: the first access-handler call only allocates the
** request's state (answering then would make libmicrohttpd 0.9.75 close
** the connection, DESIGN.md); body chunks are appended to a buffer capped
** at max_content_length; the last call routes, authenticates, runs the
** handler and queues the answer.  The state is freed in the
** request-completed callback, which also runs when a client goes away.
*/
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <sodium.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "server.h"
#include "http.h"
#include "pagecache.h"
#include "metrics.h"
#include "ratelimit.h"
#include "request.h"
#include "watch.h"
#include "../admin/api.h"
#include "../admin/console.h"
#include "../policy/policy.h"
#include "../release/redact.h"
#include "../release/impact.h"
#include "../release/release.h"
#include "../release/rules.h"
#include "../taxii/taxii.h"
#include "../util/log.h"

#define MAX_PARAMS 64
#define MAX_SEGMENTS 8
#define RELTO_MHD_POOL (96 * 1024) /* see start_daemon */



struct conn_state {
	struct buf body;
	int too_big;
	int64_t started;
	struct qparam params[MAX_PARAMS];
	size_t nparams;
	int too_many_params;
	/* An answer suspended until its audit record is durable (send_audited);
	** the writer thread sets audit_rc and audited, then resumes. */
	struct pagecache_entry *pending;
	unsigned pending_status;
	_Atomic int audited;
	enum relto_err audit_rc;
	struct MHD_Connection *conn;
	struct server *srv;
};

/* Per-connection state: who the client certificate of a TLS connection
** says the client is, worked out once per connection (verifying a chain
** on every request would cost far more than the request). */
struct conn_ident {
	int done;
	int partner; /* CERT_NONE, CERT_REFUSED, or an index into cfg->partners */
	char fingerprint[17]; /* the certificate's SHA-256, first 16 hex digits */
};

#define CERT_NONE (-1)    /* no client certificate presented */
#define CERT_REFUSED (-2) /* one that does not verify, or is nobody's */

typedef enum relto_err (*handler_fn)(struct req *r);

/* ---- answers ---- */

/* Build the libmicrohttpd response for r's answer (taking r->out).
** NULL when out of memory. */
static struct MHD_Response *make_response(struct req *r, unsigned status, int is_json)
{
	size_t len = r->out.len;
	char *data = buf_steal(&r->out);
	struct MHD_Response *resp = data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE)
	                                 : MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(data);
		return NULL;
	}
	if (is_json)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->media_type ? r->media_type : TAXII_MEDIA_TYPE);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->csp) {
		MHD_add_response_header(resp, "Content-Security-Policy", r->csp);
		MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	}
	if (r->date_first[0]) {
		MHD_add_response_header(resp, "X-TAXII-Date-Added-First", r->date_first);
		MHD_add_response_header(resp, "X-TAXII-Date-Added-Last", r->date_last);
	}
	if (status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Basic realm=\"relto\", charset=\"UTF-8\"");
	if (status == 405 && r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	if (status == 429) {
		char secs[16];
		snprintf(secs, sizeof(secs), "%u", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
	}
	r->sent = len;
	return resp;
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, struct req *r, unsigned status,
                                   int is_json)
{
	struct MHD_Response *resp = make_response(r, status, is_json);
	if (!resp)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The page cache key: the partner, the path and every query parameter.
** (With releasability the partner's decision class will replace its id,
** so partners who may see the same objects share entries.) */
static void page_key(const struct req *r, const char *url, const struct conn_state *cs,
                     unsigned char key[PAGECACHE_KEY_LEN])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, PAGECACHE_KEY_LEN);
	crypto_generichash_update(&st, (const unsigned char *)r->who->id, strlen(r->who->id) + 1);
	crypto_generichash_update(&st, (const unsigned char *)url, strlen(url) + 1);
	for (size_t i = 0; i < cs->nparams; i++) {
		const char *v = cs->params[i].value ? cs->params[i].value : "";
		crypto_generichash_update(&st, (const unsigned char *)cs->params[i].key, strlen(cs->params[i].key) + 1);
		crypto_generichash_update(&st, (const unsigned char *)v, strlen(v) + 1);
	}
	crypto_generichash_final(&st, key, PAGECACHE_KEY_LEN);
}

static int is_page(handler_fn h)
{
	return h == taxii_objects_get || h == taxii_manifest || h == taxii_object_get || h == taxii_versions;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, struct req *r, unsigned status)
{
	r->status = status;
	r->date_first[0] = r->date_last[0] = '\0';
	if (http_error_body(&r->out, status, r->err))
		buf_reset(&r->out);
	return send_answer(conn, r, status, 1);
}

/* Answer with the error for code; fmt (if err is still empty) says why. */
static enum MHD_Result fail(struct MHD_Connection *conn, struct req *r, enum relto_err code,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static enum MHD_Result fail(struct MHD_Connection *conn, struct req *r, enum relto_err code,
                            const char *fmt, ...)
{
	if (fmt && !r->err[0]) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->err, sizeof(r->err), fmt, ap);
		va_end(ap);
	}
	return send_error(conn, r, http_status_of(code));
}

/* ---- routing ---- */

struct route {
	handler_fn get, post, del, put;
	const char *allow;       /* when set: the methods there are, for a 405 */
	char *seg[MAX_SEGMENTS]; /* the path's segments (handlers may keep pointers) */
};

/* Split path ("/a/b/") into segments; 0 segments for "/".  Returns -1 for
** a path that does not end with '/' or has empty or too many segments. */
static int split_path(char *path, char *seg[MAX_SEGMENTS])
{
	size_t len = strlen(path);
	if (len == 0 || path[0] != '/' || path[len - 1] != '/')
		return -1;
	int n = 0;
	char *p = path + 1;
	while (*p) {
		char *slash = strchr(p, '/');
		if (slash == p || n == MAX_SEGMENTS)
			return -1;
		*slash = '\0';
		seg[n++] = p;
		p = slash + 1;
	}
	return n;
}

/* Resolve the URL into handlers and the request's root/collection/ids.
** RELTO_ENOTFOUND (err set) when nothing is there for this partner. */
static enum relto_err route(struct req *r, char *path, struct route *out)
{
	memset(out, 0, sizeof(*out));
	char **seg = out->seg;
	int n = split_path(path, seg);
	if (n >= 1 && strcmp(seg[0], "admin") == 0) {
		struct admin_route ar;
		enum relto_err rc = admin_route(r, seg + 1, n - 1, &ar);
		out->get = ar.get;
		out->post = ar.post;
		out->put = ar.put;
		out->allow = ar.allow;
		return rc;
	}
	if (n < 0)
		return relto_seterr(r->err, RELTO_ENOTFOUND,
		                    "no such resource (TAXII 2.1 paths end with '/', e.g. /taxii2/)");
	if (n == 1 && strcmp(seg[0], "taxii2") == 0) {
		out->get = taxii_discovery;
		return RELTO_OK;
	}
	if (n >= 1)
		r->root = config_find_root(r->srv->cfg, seg[0]);
	if (!r->root)
		return relto_seterr(r->err, RELTO_ENOTFOUND, "no such API root or resource");
	if (n == 1) {
		out->get = taxii_api_root;
		return RELTO_OK;
	}
	if (n == 3 && strcmp(seg[1], "status") == 0) {
		r->status_id = seg[2];
		out->get = taxii_status;
		return RELTO_OK;
	}
	if (strcmp(seg[1], "collections") != 0)
		return relto_seterr(r->err, RELTO_ENOTFOUND, "no such resource");
	if (n == 2) {
		out->get = taxii_collections;
		return RELTO_OK;
	}
	r->coll = config_find_collection(r->root, seg[2]);
	if (!r->coll || (!taxii_can_read(r->coll, r->partner) && !taxii_can_write(r->coll, r->partner)))
		return relto_seterr(r->err, RELTO_ENOTFOUND, "no such collection");
	if (n == 3)
		out->get = taxii_collection;
	else if (n == 4 && strcmp(seg[3], "objects") == 0)
		out->get = taxii_objects_get, out->post = taxii_objects_post;
	else if (n == 4 && strcmp(seg[3], "manifest") == 0)
		out->get = taxii_manifest;
	else if (n == 5 && strcmp(seg[3], "objects") == 0)
		out->get = taxii_object_get, out->del = taxii_object_delete;
	else if (n == 6 && strcmp(seg[3], "objects") == 0 && strcmp(seg[5], "versions") == 0)
		out->get = taxii_versions;
	else
		return relto_seterr(r->err, RELTO_ENOTFOUND, "no such resource");
	if (n >= 5) {
		r->object_id = seg[4];
		if (!taxii_is_stix_id(r->object_id))
			return relto_seterr(r->err, RELTO_ENOTFOUND, "no object '%.100s' here: not a STIX identifier",
			                    r->object_id);
	}
	return RELTO_OK;
}

/* ---- authentication ---- */

/* Which partner the connection's client certificate is: verified against
** tls.client_ca, then matched by SHA-256 fingerprint or subject DN. */
static int cert_partner(const struct server *s, struct MHD_Connection *conn, char fp[17])
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	gnutls_session_t sess = info ? (gnutls_session_t)info->tls_session : NULL;
	unsigned n = 0, status = 0;
	const gnutls_datum_t *chain = sess ? gnutls_certificate_get_peers(sess, &n) : NULL;
	if (!chain || !n)
		return CERT_NONE;
	if (gnutls_certificate_verify_peers2(sess, &status) < 0 || status != 0)
		return CERT_REFUSED;
	unsigned char sha[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	crypto_hash_sha256(sha, chain[0].data, chain[0].size);
	sodium_bin2hex(hex, sizeof(hex), sha, sizeof(sha));
	snprintf(fp, 17, "%.16s", hex);
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t dn = {NULL, 0};
	if (gnutls_x509_crt_init(&crt) == 0 && gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) == 0)
		gnutls_x509_crt_get_dn3(crt, &dn, 0);
	int found = CERT_REFUSED;
	const struct relto_config *c = s->cfg;
	for (size_t p = 0; p < c->npartners && found == CERT_REFUSED; p++) {
		for (size_t i = 0; i < c->partners[p].ncert_fingerprints; i++)
			if (strcmp(c->partners[p].cert_fingerprints[i], hex) == 0)
				found = (int)p;
		for (size_t i = 0; dn.data && i < c->partners[p].ncert_subjects; i++)
			if (strcmp(c->partners[p].cert_subjects[i], (const char *)dn.data) == 0)
				found = (int)p;
	}
	gnutls_free(dn.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return found;
}

/* The connection's certificate identity, worked out on its first request. */
static int connection_cert(const struct server *s, struct MHD_Connection *conn, char fp[17])
{
	fp[0] = '\0';
	if (!s->cfg->tls.client_ca)
		return CERT_NONE;
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_ident *id = info ? info->socket_context : NULL;
	if (!id)
		return cert_partner(s, conn, fp);
	if (!id->done) {
		id->partner = cert_partner(s, conn, id->fingerprint);
		id->done = 1;
	}
	memcpy(fp, id->fingerprint, 17);
	return id->partner;
}

/* HTTP Basic (RFC 7617), read here rather than by libmicrohttpd so that
** the scheme is matched case-insensitively and the decoded credentials
** keep their exact length: "usa:demo-usa\0" must not pass as
** "usa:demo-usa". */
static int basic_partner(struct server *s, struct MHD_Connection *conn, int *presented, char token_id[32])
{
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	unsigned char decoded[512];
	size_t len = 0;
	int partner = -1;
	*presented = h != NULL;
	/* "Bearer" (RFC 6750) or "Token" (what the OASIS taxii2-client's
	** TokenAuth, and OpenCTI's TAXII connector through it, send). */
	int bearer = h && strncasecmp(h, "Bearer ", 7) == 0, token = h && strncasecmp(h, "Token ", 6) == 0;
	if (bearer || token) {
		const char *tok = h + (bearer ? 7 : 6);
		while (*tok == ' ')
			tok++;
		if (auth_check_token(s->auth, tok, strlen(tok), &partner) != RELTO_OK)
			partner = -1;
		/* relto_<id>_<secret>: the id names the credential in the audit. */
		else if (strlen(tok) > 6)
			snprintf(token_id, 32, "%.*s", (int)strcspn(tok + 6, "_"), tok + 6);
	} else if (h && strncasecmp(h, "Basic ", 6) == 0) {
		const char *b64 = h + 6;
		while (*b64 == ' ')
			b64++;
		size_t blen = strcspn(b64, " \t");
		if (b64[blen + strspn(b64 + blen, " \t")] == '\0' &&
		    sodium_base642bin(decoded, sizeof(decoded), b64, blen, NULL, &len, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) == 0) {
			const unsigned char *colon = memchr(decoded, ':', len);
			if (colon && !memchr(decoded, '\0', len) &&
			    auth_check(s->auth, (const char *)decoded, (size_t)(colon - decoded), (const char *)colon + 1,
			               len - (size_t)(colon - decoded) - 1, &partner) != RELTO_OK)
				partner = -1;
		}
	}
	sodium_memzero(decoded, sizeof(decoded));
	return partner;
}

/* Who is asking: a password (HTTP Basic), a client certificate, or both,
** as each partner's `auth` requires.  Every refusal says the same, so it
** never tells which part was wrong or whether a login exists. */
static enum relto_err authenticate(struct server *s, struct MHD_Connection *conn, struct req *r)
{
	int presented = 0;
	char fp[17], token_id[32] = "";
	int cert = connection_cert(s, conn, fp);
	int pass = cert == CERT_REFUSED ? -1 : basic_partner(s, conn, &presented, token_id);
	int who = -1;
	if (cert == CERT_REFUSED)
		who = -1;                 /* an unknown or invalid certificate is refused outright */
	else if (presented)
		who = pass >= 0 && (cert == CERT_NONE || cert == pass) &&
		      (!(s->cfg->partners[pass].auth & AUTH_CERTIFICATE) || cert == pass) ? pass : -1;
	else if (cert >= 0 && s->cfg->partners[cert].auth == AUTH_CERTIFICATE)
		who = cert;
	if (who < 0)
		return relto_seterr(r->err, RELTO_EUNAUTH, "valid credentials are required (HTTP Basic or a Bearer token%s)",
		                    s->cfg->tls.client_ca ? " and/or a client certificate" : "");
	r->partner = who;
	r->who = &s->cfg->partners[who];
	/* Which credential it was, for the audit trail (never the secret). */
	char pw[32] = "";
	if (presented && !token_id[0])
		auth_password_id(s->auth, who, pw, sizeof(pw));
	const char *first = token_id[0] ? token_id : pw;
	snprintf(r->credential, sizeof(r->credential), "%s%s%s%s", first, first[0] && cert >= 0 ? "+" : "",
	         cert >= 0 ? "cert:" : "", cert >= 0 ? fp : "");
	return RELTO_OK;
}

/* ---- the request itself ---- */

static enum MHD_Result collect_param(void *ctx, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct conn_state *cs = ctx;
	(void)kind;
	if (cs->nparams == MAX_PARAMS) {
		cs->too_many_params = 1;
		return MHD_NO;
	}
	cs->params[cs->nparams].key = key;
	cs->params[cs->nparams].value = value;
	cs->nparams++;
	return MHD_YES;
}

static handler_fn pick(const struct route *rt, const char *method, struct req *r)
{
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		if (rt->get)
			return rt->get;
	} else if (strcmp(method, "POST") == 0) {
		if (rt->post)
			return rt->post;
	} else if (strcmp(method, "DELETE") == 0) {
		if (rt->del)
			return rt->del;
	} else if (strcmp(method, "PUT") == 0) {
		if (rt->put)
			return rt->put;
	}
	r->allow = rt->allow ? rt->allow : rt->post ? "GET, HEAD, POST" : rt->del ? "GET, HEAD, DELETE" : "GET, HEAD";
	snprintf(r->err, sizeof(r->err), "method %.20s is not allowed here (allowed: %s)", method, r->allow);
	return NULL;
}

static void hide_failure(struct req *r, const char *method, const char *url, enum relto_err rc)
{
	if (rc == RELTO_ESTORE)
		metrics_store_error(r->srv->metrics);
	/* Details stay in the log: they may name internals. */
	log_line(LOG_ERROR, "msg=\"request failed\" method=%s path=\"%.200s\" error=%s detail=\"%s\"", method, url,
	         relto_strerror(rc), r->err);
	snprintf(r->err, sizeof(r->err), "the server could not complete the request; try again later");
}

struct withheld_ctx {
	struct buf *out;
	int first;
};

static enum relto_err withheld_sample(void *ctx, const char *partner, int line, const char *rule, int64_t n)
{
	struct withheld_ctx *w = ctx;
	enum relto_err rc = metrics_withheld_sample(w->out, w->first, partner, line, rule, n);
	w->first = 0;
	return rc;
}

static enum metrics_endpoint endpoint_of(handler_fn h, int admin)
{
	static const struct {
		handler_fn h;
		enum metrics_endpoint ep;
	} map[] = {
		{taxii_discovery, EP_M_DISCOVERY}, {taxii_api_root, EP_M_API_ROOT}, {taxii_status, EP_M_STATUS},
		{taxii_collections, EP_M_COLLECTIONS}, {taxii_collection, EP_M_COLLECTION},
		{taxii_objects_get, EP_M_OBJECTS_GET}, {taxii_objects_post, EP_M_OBJECTS_POST},
		{taxii_object_get, EP_M_OBJECT_GET}, {taxii_object_delete, EP_M_OBJECT_DELETE},
		{taxii_manifest, EP_M_MANIFEST}, {taxii_versions, EP_M_VERSIONS},
	};
	if (admin)
		return EP_M_ADMIN;
	for (size_t i = 0; h && i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].h == h)
			return map[i].ep;
	return EP_M_OTHER;
}

static int is_admin_path(const char *url)
{
	return strncmp(url, "/admin/", 7) == 0 || strcmp(url, "/admin") == 0;
}

/* The operator console's files (admin/console.h): admin role, GET only. */
static enum MHD_Result serve_console(struct MHD_Connection *conn, struct req *r, const char *method,
                                     const char *url)
{
	r->endpoint = EP_M_ADMIN;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		r->allow = "GET, HEAD";
		snprintf(r->err, sizeof(r->err), "method %.20s is not allowed here (allowed: %s)", method, r->allow);
		return send_error(conn, r, 405);
	}
	enum relto_err rc = console_serve(r, url);
	return rc ? fail(conn, r, rc, NULL) : send_answer(conn, r, r->status, 1);
}

/* ---- answers that wait for their audit record ---- */

static void answer_audit_free(void *p)
{
	struct answer_audit *a = p;
	audit_entries_free(&a->list);
	free(a->reasons);
	free(a);
}

/* Move r's audit summary to the heap (for a page-cache entry), hashing
** its lists once.  NULL when out of memory. */
static struct answer_audit *answer_audit_take(struct req *r)
{
	struct answer_audit *a = malloc(sizeof(*a));
	if (!a)
		return NULL;
	*a = r->audit;
	audit_entries_init(&r->audit.list, r->audit.list.text.cap);
	a->hashed = a->list.n > 0;
	if (a->hashed)
		audit_entries_hash(&a->list, a->list_hash);
	a->reasons = NULL;
	a->reasons_len = 0;
	if (a->nwithheld) {
		struct audit_withheld w[ANSWER_REASONS];
		for (size_t i = 0; i < a->nwithheld; i++)
			w[i] = (struct audit_withheld){.reason = a->withheld[i].reason, .n = a->withheld[i].n};
		struct buf b;
		buf_init(&b, 1u << 20);
		if (audit_reasons_hashed(&b, w, a->nwithheld, a->reasons_hash)) {
			buf_free(&b);
			answer_audit_free(a);
			return NULL;
		}
		a->reasons_len = b.len;
		a->reasons = buf_steal(&b);
	}
	return a;
}

static char request_prefix[17]; /* set once (pthread_once), then only read */

static void new_request_prefix(void)
{
	unsigned char rnd[8];
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(request_prefix, sizeof(request_prefix), rnd, sizeof(rnd));
}

/* Called by the audit writer when the batch holding the record is
** durable (or failed): the connection resumes and on_request sends. */
static void audit_done(void *ctx, enum relto_err rc)
{
	struct conn_state *cs = ctx;
	struct server *s = cs->srv;
	struct MHD_Connection *conn = cs->conn;
	cs->audit_rc = rc;
	atomic_store(&cs->audited, 1);
	/* After this, cs may be freed at any moment: it is not touched again. */
	MHD_resume_connection(conn);
	atomic_fetch_sub(&s->audit_waiting, 1);
}

/* The request's id: its X-Request-ID when that is 1-64 characters of
** [A-Za-z0-9._-], else one made here: a random prefix drawn once per
** process and a counter (no system call per request). */
static void request_id(struct MHD_Connection *conn, char out[65])
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static _Atomic uint64_t counter;
	const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-ID");
	size_t n = h ? strlen(h) : 0;
	if (n >= 1 && n <= 64 && strspn(h, ok) == n) {
		memcpy(out, h, n + 1);
		return;
	}
	pthread_once(&once, new_request_prefix);
	snprintf(out, 65, "%s-%llu", request_prefix, (unsigned long long)atomic_fetch_add(&counter, 1) + 1);
}

/* Send e's answer (status) once its audit record is written: with
** durability "os", once audit_record copied it into the journal (then at
** once); with "disk", the record is queued and the connection suspended
** until its batch is committed: audit_done resumes it and on_request
** queues the answer.  Either way a record that cannot be written stops
** the answer (503).  Takes e over. */
static enum MHD_Result send_audited(struct server *s, struct MHD_Connection *conn, struct conn_state *cs,
                                    struct req *r, const char *url, struct pagecache_entry *e, unsigned status)
{
	const struct answer_audit *aa = e->tag.audit;
	struct buf body, query;
	buf_init(&body, 1u << 20);
	buf_init(&query, 1u << 20);
	char rid[65];
	request_id(conn, rid);
	enum relto_err rc = RELTO_OK;
	for (size_t i = 0; i < cs->nparams && !rc; i++)
		rc = buf_printf(&query, "%s%s=%s", i ? "&" : "", cs->params[i].key,
		                cs->params[i].value ? cs->params[i].value : "");
	struct audit_withheld w[ANSWER_REASONS];
	size_t nw = aa ? aa->nwithheld : 0;
	for (size_t i = 0; i < nw; i++)
		w[i] = (struct audit_withheld){.reason = aa->withheld[i].reason, .n = aa->withheld[i].n};
	struct audit_read ar = {
		.at = ts_now(),
		.type = strcmp(r->method, "DELETE") == 0 ? "delete" : "read",
		.partner = r->who->id,
		.credential = r->credential,
		.request_id = rid,
		.method = r->method,
		.path = url,
		.query = query.data ? query.data : "",
		.status = status,
		.policy_version = atomic_load(&s->in_force_policy),
		.posture_version = atomic_load(&s->in_force_posture),
		.snapshot = r->snapshot,
		.released = status == 200 ? r->served : 0,
		.list = aa && aa->hashed ? aa->list_hash : NULL,
		.list_by_entries = 1,
		.withheld = w,
		.nwithheld = nw,
		.reasons = nw ? aa->reasons_hash : NULL,
	};
	/* The lists the record names, by the hashes made with the answer. */
	struct audit_list released = {0}, reasons = {0};
	if (aa && aa->hashed) {
		released = (struct audit_list){.text = aa->list.text.data, .len = aa->list.text.len};
		memcpy(released.hash, aa->list_hash, AUDIT_HASH_LEN);
	}
	if (nw) {
		reasons = (struct audit_list){.text = aa->reasons, .len = aa->reasons_len};
		memcpy(reasons.hash, aa->reasons_hash, AUDIT_HASH_LEN);
	}
	if (!rc)
		rc = audit_body_read(&body, &ar);
	buf_free(&query);
	if (s->cfg->audit.durability == AUDIT_SYNC_OS) {
		/* In the journal (the OS holds it) before the answer goes out. */
		char err[RELTO_ERRBUF_SIZE] = "";
		if (!rc)
			rc = audit_record(s->audit, body.data, body.len, released.text ? &released : NULL,
			                  nw ? &reasons : NULL, err);
		buf_free(&body);
		if (rc) {
			log_line(LOG_ERROR, "msg=\"answer not sent: not recorded\" error=\"%s\"", err);
			pagecache_drop(s->pages, e);
			buf_reset(&r->out);
			return fail(conn, r, RELTO_ESTORE, "the server cannot record this answer in its audit trail; "
			                                   "nothing was sent; try again later");
		}
		enum MHD_Result ret = MHD_queue_response(conn, status, e->resp);
		pagecache_drop(s->pages, e);
		return ret;
	}
	/* Counted before `stopping` is read (server_stop does the reverse),
	** so a stop never misses an answer about to be suspended. */
	atomic_fetch_add(&s->audit_waiting, 1);
	if (rc || atomic_load(&s->stopping)) {
		atomic_fetch_sub(&s->audit_waiting, 1);
		buf_free(&body);
		pagecache_drop(s->pages, e);
		buf_reset(&r->out);
		return fail(conn, r, rc ? RELTO_EINTERNAL : RELTO_ESTORE, "%s",
		            rc ? "the audit record does not fit" : "the server is stopping; try again");
	}
	cs->pending = e;
	cs->pending_status = status;
	cs->conn = conn;
	cs->srv = s;
	atomic_store(&cs->audited, 0);
	MHD_suspend_connection(conn);
	audit_submit_lists(s->audit, body.data, body.len, released.text ? &released : NULL, nw ? &reasons : NULL,
	                   audit_done, cs);
	buf_free(&body);
	return MHD_YES;
}

/* r's answer (status, body in r->out) as a page-cache entry, with what it
** released and withheld when r was audited.  NULL when out of memory. */
static struct pagecache_entry *answer_entry(struct req *r, unsigned status)
{
	struct pagecache_tag tag = {.snapshot = r->snapshot, .served = r->served, .audit_free = answer_audit_free};
	if (r->want_audit && !(tag.audit = answer_audit_take(r)))
		return NULL;
	struct MHD_Response *resp = make_response(r, status, 1);
	struct pagecache_entry *e = resp ? pagecache_entry_new(resp, r->sent, &tag) : NULL;
	if (!e) {
		if (resp)
			MHD_destroy_response(resp);
		if (tag.audit)
			answer_audit_free(tag.audit);
	}
	return e;
}

/* r's answer (status, body in r->out), recorded in the audit trail first. */
static enum MHD_Result answer_audited(struct server *s, struct MHD_Connection *conn, struct conn_state *cs,
                                      struct req *r, const char *url, unsigned status)
{
	struct pagecache_entry *e = answer_entry(r, status);
	return e ? send_audited(s, conn, cs, r, url, e, status) : MHD_NO;
}

/* The answer waiting in cs, now that its record is durable (or not). */
static enum MHD_Result send_pending(struct server *s, struct MHD_Connection *conn, struct conn_state *cs)
{
	struct pagecache_entry *e = cs->pending;
	cs->pending = NULL;
	enum MHD_Result ret;
	if (cs->audit_rc == RELTO_OK) {
		ret = MHD_queue_response(conn, cs->pending_status, e->resp);
	} else {
		/* Fail closed: what cannot be recorded is not sent. */
		struct req r = {.srv = s, .method = "GET", .partner = -1};
		buf_init(&r.out, 4096);
		ret = fail(conn, &r, RELTO_ESTORE, "the server cannot record this answer in its audit trail; nothing was "
		                                   "sent; try again later");
		buf_free(&r.out);
	}
	pagecache_drop(s->pages, e);
	return ret;
}

/* A request once it has a store connection and the rules and credentials
** in force are the latest (handle). */
static enum MHD_Result handle_synced(struct server *s, struct MHD_Connection *conn, const char *url,
                                     const char *method, struct conn_state *cs, struct req *r)
{
	char path[4096];
	enum relto_err rc;
	int admin = is_admin_path(url);
	/* Liveness for load balancers and orchestrators: no credentials, and
	** nothing but "the store answers" (the sync above just read it). */
	if (strcmp(url, "/healthz") == 0 && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
		r->endpoint = EP_M_HEALTH;
		r->media_type = "application/json";
		r->status = 200;
		return buf_puts(&r->out, "{\"status\":\"ok\"}") ? MHD_NO : send_answer(conn, r, 200, 1);
	}
	if ((rc = authenticate(s, conn, r)))
		return fail(conn, r, rc, NULL);
	if (strcmp(url, "/metrics") == 0) {
		r->endpoint = EP_M_METRICS;
		if (r->who->role != ROLE_ADMIN)
			return fail(conn, r, RELTO_EDENIED, "the metrics are for logins with the admin role");
		uint64_t snap = 0;
		if (s->release) {
			const struct release_snapshot *cur = release_get(s->release);
			snap = cur->id;
			release_put(s->release, cur);
		}
		if (metrics_render(s->metrics, atomic_load(&s->in_force_policy), atomic_load(&s->in_force_posture), snap,
		                   &r->out))
			return fail(conn, r, RELTO_ENOMEM, "the metrics do not fit");
		if (s->release) {
			struct withheld_ctx w = {.out = &r->out, .first = 1};
			pthread_mutex_lock(&s->rules_lock);
			struct impact_rules now = {.policy = s->rules->policy, .posture = s->rules->posture};
			rc = impact_withheld_each(s->cfg, r->sc, &now, withheld_sample, &w, r->err);
			pthread_mutex_unlock(&s->rules_lock);
			if (rc) {
				hide_failure(r, method, url, rc);
				return send_error(conn, r, http_status_of(rc));
			}
		}
		r->media_type = "text/plain; version=0.0.4; charset=utf-8";
		r->status = 200;
		return send_answer(conn, r, 200, 1);
	}
	if (!ratelimit_take(s->rates, r->partner, ts_now(), &r->retry_after))
		return fail(conn, r, RELTO_ERATE, "more than %u requests per second (bursts of %u) from %s; retry in %u s",
		            s->cfg->limits.rate, s->cfg->limits.burst, r->who->id, r->retry_after);
	if (admin && r->who->role != ROLE_ADMIN)
		return fail(conn, r, RELTO_EDENIED, "the admin API is for logins with the admin role");
	if (console_is_path(url))
		return r->who->role == ROLE_ADMIN ? serve_console(conn, r, method, url)
		                                  : fail(conn, r, RELTO_EDENIED, "the console is for logins with the admin role");
	if (cs->too_big)
		return fail(conn, r, RELTO_ETOOBIG, "the request body is larger than max_content_length (%zu bytes)",
		            s->cfg->limits.max_content_length);
	if (strlen(url) >= sizeof(path) - 1)
		return fail(conn, r, RELTO_ENOTFOUND, "the URL is too long");
	/* Admin paths may omit the final '/' (TAXII paths may not). */
	size_t ulen = strlen(url);
	memcpy(path, url, ulen + 1);
	if (admin && path[ulen - 1] != '/')
		memcpy(path + ulen, "/", 2);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_param, cs);
	if (cs->too_many_params)
		return fail(conn, r, RELTO_EINVAL, "more than %d query parameters", MAX_PARAMS);
	r->params = cs->params;
	r->nparams = cs->nparams;

	struct route rt;
	if ((rc = route(r, path, &rt)))
		return fail(conn, r, rc, NULL);
	handler_fn h = pick(&rt, method, r);
	r->endpoint = endpoint_of(h, admin);
	if (!h)
		return send_error(conn, r, 405);
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	if (admin ? !http_accept_json(accept) : !http_accept_ok(accept))
		return fail(conn, r, RELTO_ENOTACCEPT, "this server answers with %s; the Accept header does not allow it",
		            admin ? "application/json" : TAXII_MEDIA_TYPE);
	if (admin && (rt.post == h || rt.put == h)) {
		r->content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (!http_content_type_json(r->content_type))
			return fail(conn, r, RELTO_EMEDIATYPE, "the body must be application/json, not '%.100s'",
			            r->content_type ? r->content_type : "(no Content-Type)");
		r->body = cs->body.data ? cs->body.data : "";
		r->body_len = cs->body.len;
	}
	if (h == taxii_objects_post) {
		r->content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (!http_content_type_ok(r->content_type))
			return fail(conn, r, RELTO_EMEDIATYPE, "the body must be %s, not '%.100s'", TAXII_MEDIA_TYPE,
			            r->content_type ? r->content_type : "(no Content-Type)");
		r->body = cs->body.data ? cs->body.data : "";
		r->body_len = cs->body.len;
	}
	unsigned char key[PAGECACHE_KEY_LEN];
	enum MHD_Result ret;
	uint64_t gen = atomic_load(&s->generation);
	if (is_page(h)) {
		page_key(r, url, cs, key);
		struct pagecache_entry *e = pagecache_take(s->pages, key, gen);
		if (e) {
			r->status = 200;
			r->snapshot = e->tag.snapshot;
			r->served = e->tag.served;
			r->cached = 1;
			if (s->audit)
				return send_audited(s, conn, cs, r, url, e, 200);
			ret = MHD_queue_response(conn, 200, e->resp);
			pagecache_drop(s->pages, e);
			return ret;
		}
	}
	r->want_audit = s->audit && (is_page(h) || h == taxii_object_delete);
	rc = h(r);
	if (!rc && (h == taxii_objects_post || h == taxii_object_delete))
		atomic_fetch_add(&s->generation, 1);
	if (rc == RELTO_ESTORE || rc == RELTO_EINTERNAL || rc == RELTO_ENOMEM)
		hide_failure(r, method, url, rc);
	/* A 404 of an object endpoint may hide withheld objects: recorded. */
	if (rc == RELTO_ENOTFOUND && r->want_audit) {
		r->status = 404;
		r->served = 0;
		r->date_first[0] = r->date_last[0] = '\0';
		buf_reset(&r->out);
		if (http_error_body(&r->out, 404, r->err))
			buf_reset(&r->out);
		return answer_audited(s, conn, cs, r, url, 404);
	}
	if (rc)
		return send_error(conn, r, http_status_of(rc));
	if (r->want_audit && h == taxii_object_delete)
		return answer_audited(s, conn, cs, r, url, r->status);
	if (!is_page(h) || r->status != 200)
		return send_answer(conn, r, r->status, 1);
	struct pagecache_entry *e = answer_entry(r, 200);
	if (!e)
		return MHD_NO;
	pagecache_put(s->pages, key, gen, e);
	if (s->audit)
		return send_audited(s, conn, cs, r, url, e, 200);
	ret = MHD_queue_response(conn, 200, e->resp);
	pagecache_drop(s->pages, e);
	return ret;
}

/* Every request: a store connection, then the rules and credentials
** committed by anyone apply before it is authenticated or decided, and
** before the page cache is consulted (a change bumps the generation). */
static enum MHD_Result handle(struct server *s, struct MHD_Connection *conn, const char *url,
                              const char *method, struct conn_state *cs, struct req *r)
{
	if (is_admin_path(url) || console_is_path(url))
		r->media_type = "application/json"; /* errors; the console sets its files' own */
	enum relto_err rc = store_conn_get(s->store, &r->sc, r->err);
	if (!rc)
		rc = server_sync(s, r->sc, r->err);
	enum MHD_Result ret;
	if (rc) {
		hide_failure(r, method, url, rc);
		ret = send_error(conn, r, http_status_of(rc));
	} else {
		ret = handle_synced(s, conn, url, method, cs, r);
	}
	store_conn_put(s->store, r->sc);
	r->sc = NULL;
	return ret;
}

/* Checks made before any body is read.  Answering on this first call
** also closes the connection, which is wanted for these: a declared body
** over the limit, or a transfer coding libmicrohttpd cannot frame (it
** would wait for a body it can never delimit). */
static enum MHD_Result early_check(struct server *s, struct MHD_Connection *conn, const char *method)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	enum relto_err code = RELTO_OK;
	if (cl && strtoull(cl, NULL, 10) > s->cfg->limits.max_content_length)
		code = RELTO_ETOOBIG;
	else if (te && strcasecmp(te, "chunked") != 0)
		code = RELTO_EINVAL;
	if (!code)
		return MHD_YES;
	struct req r = {.srv = s, .method = method, .partner = -1};
	buf_init(&r.out, 4096);
	enum MHD_Result ret = code == RELTO_ETOOBIG
		? fail(conn, &r, code, "the request body is larger than max_content_length (%zu bytes)",
		       s->cfg->limits.max_content_length)
		: fail(conn, &r, code, "Transfer-Encoding '%.40s' is not supported (use chunked or Content-Length)", te);
	buf_free(&r.out);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct server *s = cls;
	struct conn_state *cs = *con_cls;
	(void)version;
	if (!cs) {
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return MHD_NO;
		buf_init(&cs->body, s->cfg->limits.max_content_length);
		cs->started = ts_now();
		*con_cls = cs;
		return early_check(s, conn, method);
	}
	if (cs->pending) {
		/* Resumed: the audit record is durable, or could not be written. */
		return atomic_load(&cs->audited) ? send_pending(s, conn, cs) : MHD_YES;
	}
	if (*upload_data_size) {
		/* Past the cap, keep reading (and dropping) so the client gets
		** its 413 instead of a reset connection. */
		if (!cs->too_big && buf_append(&cs->body, upload_data, *upload_data_size) != RELTO_OK) {
			cs->too_big = 1;
			buf_free(&cs->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	struct req r = {.srv = s, .method = method, .partner = -1, .endpoint = EP_M_OTHER};
	buf_init(&r.out, (size_t)1 << 31);
	audit_entries_init(&r.audit.list, 64u << 20);
	enum MHD_Result ret = handle(s, conn, url, method, cs, &r);
	audit_entries_free(&r.audit.list);
	metrics_request(s->metrics, (enum metrics_endpoint)r.endpoint, r.status, ts_now() - cs->started, r.partner,
	                r.status == 200 ? r.served : 0, r.cached);
	if (s->log_requests)
		log_line(LOG_INFO, "method=%s path=\"%.200s\" status=%u partner=%s snapshot=%llu us=%lld", method, url,
		         r.status, r.who ? r.who->id : "-", (unsigned long long)r.snapshot,
		         (long long)(ts_now() - cs->started));
	buf_free(&r.out);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *con_cls;
	struct server *s = cls;
	(void)conn;
	(void)toe;
	if (!cs)
		return;
	pagecache_drop(s->pages, cs->pending);
	buf_free(&cs->body);
	free(cs);
	*con_cls = NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decoding of the path and the query (libmicrohttpd's unescape
** hook), like the default except that %00 stays as written: a NUL would
** cut the C string and make "/hub/collections/%00/" read as
** "/hub/collections/".  Left encoded, it matches no route and no valid
** parameter value, so it is refused like any other bad input. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	char *w = s;
	for (const char *r = s; *r; r++) {
		int hi, lo;
		if (r[0] == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 && (hi || lo)) {
			*w++ = (char)(hi << 4 | lo);
			r += 2;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_line(LOG_WARN, "msg=\"libmicrohttpd: %s\"", msg);
}

enum relto_err server_map_collections(struct relto_config *cfg, struct store_conn *c, char *err)
{
	enum relto_err rc = RELTO_OK;
	for (size_t i = 0; !rc && i < cfg->nroots; i++)
		for (size_t j = 0; !rc && j < cfg->roots[i].ncollections; j++) {
			struct collection *col = &cfg->roots[i].collections[j];
			rc = store_collection(c, col->id, &col->store_id, err);
		}
	return rc;
}

static enum relto_err map_collections(struct server *s, char *err)
{
	struct store_conn *c = NULL;
	enum relto_err rc = store_conn_get(s->store, &c, err);
	if (!rc)
		rc = store_secret(c, "cursor", s->cursor_key, err);
	if (!rc)
		rc = server_map_collections(s->cfg, c, err);
	store_conn_put(s->store, c);
	return rc;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)conn;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED)
		*socket_context = calloc(1, sizeof(struct conn_ident));
	else {
		free(*socket_context);
		*socket_context = NULL;
	}
}

/* Read a whole PEM file for libmicrohttpd (which takes PEM text). */
static enum relto_err read_pem(const char *path, const char *what, char **out, char *err)
{
	struct buf b;
	buf_init(&b, 1u << 20);
	enum relto_err rc = buf_read_file(&b, path, NULL);
	if (rc || !b.data) {
		buf_free(&b);
		return relto_seterr(err, RELTO_EINVAL, "tls: cannot read the %s '%s'", what, path);
	}
	*out = buf_steal(&b);
	return RELTO_OK;
}

/* TLS 1.2 and 1.3 only, AEAD ciphers with forward secrecy. */
#define RELTO_TLS_PRIORITIES                                                                                   \
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:" \
	"-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:+DHE-RSA:-RSA"

static enum relto_err start_daemon(struct server *s, char *err)
{
	const struct relto_config *c = s->cfg;
	struct sockaddr_in6 a6 = {0};
	struct sockaddr_in a4 = {0};
	struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (s->audit && c->audit.durability == AUDIT_SYNC_DISK)
		flags |= MHD_ALLOW_SUSPEND_RESUME;
	enum relto_err rc = config_check_serving(c, err);
	if (rc)
		return rc;
	if (c->tls.certificate && !MHD_is_feature_supported(MHD_FEATURE_TLS))
		return relto_seterr(err, RELTO_EINTERNAL, "this libmicrohttpd was built without TLS");
	if (inet_pton(AF_INET6, c->listen_host, &a6.sin6_addr) == 1) {
		a6.sin6_family = AF_INET6;
		a6.sin6_port = htons(c->listen_port);
		sa = (struct sockaddr *)&a6;
		flags |= MHD_USE_IPv6;
	} else if (inet_pton(AF_INET, c->listen_host, &a4.sin_addr) == 1) {
		a4.sin_family = AF_INET;
		a4.sin_port = htons(c->listen_port);
		sa = (struct sockaddr *)&a4;
	} else {
		return relto_seterr(err, RELTO_EINVAL, "listen: '%s' is not an IPv4 or IPv6 address", c->listen_host);
	}
	unsigned threads = c->threads ? c->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	if (c->tls.certificate) {
		flags |= MHD_USE_TLS;
		rc = read_pem(c->tls.certificate, "certificate", &s->tls_cert, err);
		if (!rc)
			rc = read_pem(c->tls.key, "key", &s->tls_key, err);
		if (!rc && c->tls.client_ca)
			rc = read_pem(c->tls.client_ca, "client CA", &s->tls_trust, err);
		if (rc)
			return rc;
	}
	struct MHD_OptionItem tls[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
		{MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)RELTO_TLS_PRIORITIES},
		{s->tls_trust ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, s->tls_trust},
		{MHD_OPTION_END, 0, NULL},
	};
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, c->listen_port, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s, /* first, so it sees every message */
		MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, c->limits.max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->limits.max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, c->limits.connection_timeout,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape, s,
		/* Room for long URLs (a match[id] list of a thousand ids) and
		** headers, so that relto, not the HTTP layer, answers them with a
		** TAXII error.  libmicrohttpd clears the pool between requests,
		** so its size costs time on every request: measured 14.5 us per
		** small request at 32 KiB, 15.7 at 128 KiB, 20 at 256 KiB. */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)RELTO_MHD_POOL,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
		MHD_OPTION_ARRAY, c->tls.certificate ? tls : tls + 4,
		MHD_OPTION_END);
	if (!d)
		return relto_seterr(err, RELTO_EINTERNAL, "cannot listen on %s port %u (in use, not allowed, or the TLS "
		                    "certificate and key do not load: see the log)", c->listen_host, c->listen_port);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : c->listen_port;
	s->daemon = d;
	return RELTO_OK;
}

enum relto_err server_rebuild(struct server *s, struct store_conn *c, char *err)
{
	if (!s->release)
		return RELTO_OK;
	enum relto_err rc = release_rebuild(s->release, c, err);
	/* After the swap: a request that sees the new generation also sees
	** the new decisions, so no page cached under old ones is served. */
	if (!rc) {
		atomic_fetch_add(&s->generation, 1);
		metrics_rebuild(s->metrics);
	}
	return rc;
}

enum relto_err server_apply_rules(struct server *s, struct store_conn *c, struct rules *next, char *err)
{
	const struct policy *old_pol = NULL;
	const struct posture *old_pos = NULL;
	enum relto_err rc = release_set_rules(s->release, c, next->policy, next->posture, &old_pol, &old_pos, err);
	if (rc) {
		rules_free(next);
		return rc;
	}
	/* No snapshot refers to the old policy or posture; readers of
	** s->rules hold rules_lock, which the caller holds. */
	struct rules *old = s->rules;
	s->rules = next;
	atomic_store(&s->in_force_policy, next->doc[RULES_POLICY].version);
	atomic_store(&s->in_force_posture, next->doc[RULES_POSTURE].version);
	atomic_fetch_add(&s->generation, 1);
	metrics_rebuild(s->metrics);
	rules_free(old);
	log_line(LOG_INFO, "msg=\"rules in force\" policy_version=%lld posture_version=%lld",
	         (long long)next->doc[RULES_POLICY].version, (long long)next->doc[RULES_POSTURE].version);
	return RELTO_OK;
}

/* Apply the stored versions if they are not the ones in force; the
** caller holds rules_lock. */
static enum relto_err sync_locked(struct server *s, struct store_conn *c, const struct store_heads *h,
                                  char *err)
{
	if (h->policy == s->rules->doc[RULES_POLICY].version && h->posture == s->rules->doc[RULES_POSTURE].version)
		return RELTO_OK;
	/* A version that failed once (it no longer compiles with this relto,
	** say) is not retried on every request; a newer one is. */
	if (h->policy == s->refused.policy && h->posture == s->refused.posture)
		return RELTO_OK;
	struct rules *next = NULL;
	enum relto_err rc = rules_current(c, s->files, &next, err);
	if (!rc)
		rc = server_apply_rules(s, c, next, err);
	if (rc == RELTO_EINVAL) {
		s->refused = *h;
		log_line(LOG_ERROR, "msg=\"stored rules refused; the rules in force stay\" detail=\"%s\"", err);
	}
	return rc;
}

static enum relto_err sync_credentials(struct server *s, struct store_conn *c, int64_t version, char *err)
{
	enum relto_err rc = RELTO_OK;
	pthread_mutex_lock(&s->rules_lock);
	if (version != atomic_load(&s->in_force_credentials) && !(rc = auth_load_stored(s->auth, c, err))) {
		atomic_store(&s->in_force_credentials, version);
		log_line(LOG_INFO, "msg=\"credentials reloaded\" changes=%lld", (long long)version);
	}
	pthread_mutex_unlock(&s->rules_lock);
	return rc;
}

enum relto_err server_sync(struct server *s, struct store_conn *c, char *err)
{
	struct store_heads h;
	enum relto_err rc = store_heads(c, &h, err);
	if (rc)
		return rc;
	if (h.credentials != atomic_load(&s->in_force_credentials) && (rc = sync_credentials(s, c, h.credentials, err)))
		return rc;
	if (!s->release ||
	    (h.policy == atomic_load(&s->in_force_policy) && h.posture == atomic_load(&s->in_force_posture)))
		return RELTO_OK;
	pthread_mutex_lock(&s->rules_lock);
	rc = sync_locked(s, c, &h, err);
	pthread_mutex_unlock(&s->rules_lock);
	return rc == RELTO_EINVAL ? RELTO_OK : rc; /* refused: logged, old rules stay */
}

enum relto_err server_refresh(struct server *s, char *err)
{
	struct store_conn *c = NULL;
	int stale = 0;
	enum relto_err rc = store_conn_get(s->store, &c, err);
	if (!rc)
		rc = server_sync(s, c, err);
	if (!rc && s->release)
		rc = release_stale(s->release, c, &stale, err);
	if (!rc && stale)
		rc = server_rebuild(s, c, err);
	store_conn_put(s->store, c);
	return rc;
}

enum relto_err server_reload_files(struct server *s, struct rules *files, char *err)
{
	if (!s->release) {
		rules_free(files);
		return relto_seterr(err, RELTO_EINVAL, "the server was started without a policy");
	}
	struct store_conn *c = NULL;
	struct rules *next = NULL;
	pthread_mutex_lock(&s->rules_lock);
	enum relto_err rc = store_conn_get(s->store, &c, err);
	if (!rc)
		rc = rules_current(c, files, &next, err);
	if (!rc)
		rc = server_apply_rules(s, c, next, err);
	if (!rc) {
		rules_free(s->files);
		s->files = files;
		memset(&s->refused, 0, sizeof(s->refused));
	} else {
		rules_free(files);
	}
	pthread_mutex_unlock(&s->rules_lock);
	store_conn_put(s->store, c);
	return rc;
}

static enum relto_err start_release(struct server *s, char *err)
{
	struct store_conn *c = NULL;
	enum relto_err rc = store_conn_get(s->store, &c, err);
	if (!rc)
		rc = rules_current(c, s->files, &s->rules, err);
	if (!rc) {
		atomic_store(&s->in_force_policy, s->rules->doc[RULES_POLICY].version);
		atomic_store(&s->in_force_posture, s->rules->doc[RULES_POSTURE].version);
		rc = release_new(s->cfg, s->rules->policy, s->rules->posture, c, &s->release, err);
	}
	store_conn_put(s->store, c);
	return rc;
}

/* The audit writer, with the signing key (created on first start). */
static enum relto_err start_audit(struct server *s, char *err)
{
	char path[4096];
	struct audit_key key;
	if (!config_audit_key_path(s->cfg, path, sizeof(path)))
		return relto_seterr(err, RELTO_EINVAL, "audit.key: set it (the database is not a file beside which the "
		                                       "key could be kept), or the path is too long");
	enum relto_err rc = audit_key_load(path, 1, &key, err);
	if (rc)
		return rc;
	s->audit_pub = key;
	sodium_memzero(s->audit_pub.sk, sizeof(s->audit_pub.sk));
	s->audit_pub.has_secret = 0;
	int64_t every = (int64_t)s->cfg->audit.checkpoint_seconds * 1000000;
	char prefix[4096];
	if (s->cfg->audit.durability == AUDIT_SYNC_DISK)
		rc = audit_open(s->store, &key, every, &s->audit, err);
	else if (!config_audit_journal_prefix(s->cfg, prefix, sizeof(prefix)))
		rc = relto_seterr(err, RELTO_EINVAL, "audit.durability os keeps journals beside the database file: with a "
		                                     "database on a server, set audit.journals (a directory of this "
		                                     "machine) or audit.durability: disk (or the path is too long)");
	else
		rc = audit_open_journaled(s->store, &key, every, prefix, &s->audit, err);
	audit_key_wipe(&key);
	return rc;
}

enum relto_err server_start(struct relto_config *cfg, struct store *st, struct rules *files,
                            struct server **out, char *err)
{
	struct server *s = calloc(1, sizeof(*s));
	if (!s) {
		rules_free(files);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	s->cfg = cfg;
	s->store = st;
	s->files = files;
	pthread_mutex_init(&s->rules_lock, NULL);
	s->log_requests = 1;
	enum relto_err rc = metrics_new(cfg, &s->metrics) ? relto_seterr(err, RELTO_ENOMEM, "out of memory") : RELTO_OK;
	/* Listening first: whatever another process commits from here on is
	** announced to this one, after it has loaded what it serves too. */
	if (!rc)
		rc = watch_open(st, &s->watch, err);
	if (!rc)
		rc = map_collections(s, err);
	if (!rc && files)
		rc = start_release(s, err);
	if (!rc && redact_cache_new(16u << 20, &s->partials))
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (!rc)
		rc = auth_new(cfg, &s->auth, err);
	if (!rc) /* the stored credentials: loaded by the first sync */
		atomic_store(&s->in_force_credentials, -1);
	if (!rc)
		rc = server_refresh(s, err);
	if (!rc && pagecache_new(cfg->limits.page_cache_bytes, &s->pages))
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (!rc && ratelimit_new(cfg->npartners, cfg->limits.rate, cfg->limits.burst, &s->rates))
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (!rc && cfg->audit.enabled)
		rc = start_audit(s, err);

	if (!rc)
		rc = start_daemon(s, err);
	if (!rc)
		rc = watch_start(s->watch, s, err);
	if (rc) {
		server_stop(s);
		return rc;
	}
	*out = s;
	return RELTO_OK;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	/* Answers waiting for their audit record go out first: libmicrohttpd
	** must not stop with suspended connections.  New ones get a 503. */
	atomic_store(&s->stopping, 1);
	/* The watch's thread uses everything below: it stops first. */
	watch_close(s->watch);
	for (int i = 0; i < 30000 && atomic_load(&s->audit_waiting) > 0; i++)
		usleep(1000);
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	audit_close(s->audit);
	audit_key_wipe(&s->audit_pub);
	pagecache_free(s->pages);
	ratelimit_free(s->rates);
	metrics_free(s->metrics);
	release_free(s->release);
	redact_cache_free(s->partials);
	if (s->tls_key)
		sodium_memzero(s->tls_key, strlen(s->tls_key));
	free(s->tls_key);
	free(s->tls_cert);
	free(s->tls_trust);
	rules_free(s->rules);
	rules_free(s->files);
	pthread_mutex_destroy(&s->rules_lock);
	auth_free(s->auth);
	free(s);
}
