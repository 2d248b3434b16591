/*
** config.c: read and check relto's YAML configuration (see config.h and
** docs/configuration.md).  Every check that can fail names the line.
*/
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "config.h"
#include "../store/store.h"
#include "yconf.h"
#include "../util/buf.h"

/* Copy a required or optional scalar.  required: absent is an error. */
static enum relto_err get_str(const struct yconf *y, int map, const char *key, int required,
                              const char *where, char **out, char *err)
{
	int n = yconf_get(y, map, key);
	*out = NULL;
	if (!n) {
		if (required)
			return yconf_error(y, map, err, RELTO_EINVAL, "%s: '%s' is required", where, key);
		return RELTO_OK;
	}
	const char *s = yconf_str(y, n);
	if (!s)
		return yconf_error(y, n, err, RELTO_EINVAL, "%s: '%s' must be a single value", where, key);
	if (required && !*s)
		return yconf_error(y, n, err, RELTO_EINVAL, "%s: '%s' must not be empty", where, key);
	*out = strdup(s);
	return *out ? RELTO_OK : relto_seterr(err, RELTO_ENOMEM, "out of memory");
}

/* A positive integer within [lo, hi]; absent keeps *out. */
static enum relto_err get_uint(const struct yconf *y, int map, const char *key,
                               unsigned long long lo, unsigned long long hi,
                               unsigned long long *out, char *err)
{
	int n = yconf_get(y, map, key);
	if (!n)
		return RELTO_OK;
	const char *s = yconf_str(y, n);
	char *end = NULL;
	errno = 0;
	unsigned long long v = s && isdigit((unsigned char)*s) ? strtoull(s, &end, 10) : 0;
	if (!s || !end || *end || errno || v < lo || v > hi)
		return yconf_error(y, n, err, RELTO_EINVAL, "'%s' must be a whole number from %llu to %llu",
		                   key, lo, hi);
	*out = v;
	return RELTO_OK;
}

int config_is_uuid(const char *s)
{
	static const int dash[] = {8, 13, 18, 23};
	if (strlen(s) != 36)
		return 0;
	for (int i = 0, d = 0; i < 36; i++) {
		if (d < 4 && i == dash[d]) {
			if (s[i] != '-')
				return 0;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

static int is_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
	return 1;
}

/* "host:port", "[v6]:port" or ":port"/"port" (loopback). */
static enum relto_err parse_listen(struct relto_config *c, const struct yconf *y, int node, char *err)
{
	const char *s = yconf_str(y, node);
	if (!s)
		return yconf_error(y, node, err, RELTO_EINVAL, "'listen' must be host:port");
	const char *colon = strrchr(s, ':');
	const char *port = colon ? colon + 1 : s;
	char host[128] = "127.0.0.1";
	if (colon) {
		size_t hl = (size_t)(colon - s);
		if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
			s++;
			hl -= 2;
		}
		if (hl >= sizeof(host))
			return yconf_error(y, node, err, RELTO_EINVAL, "'listen': host too long");
		if (hl) {
			memcpy(host, s, hl);
			host[hl] = '\0';
		}
	}
	char *end = NULL;
	long p = isdigit((unsigned char)*port) ? strtol(port, &end, 10) : 0;
	if (!end || *end || p < 1 || p > 65535)
		return yconf_error(y, node, err, RELTO_EINVAL, "'listen': port must be 1..65535 in '%s'",
		                   yconf_str(y, node));
	c->listen_port = (uint16_t)p;
	c->listen_host = strdup(host);
	return c->listen_host ? RELTO_OK : relto_seterr(err, RELTO_ENOMEM, "out of memory");
}

/* A list of non-empty strings (or one string); absent: none. */
static enum relto_err get_str_list(const struct yconf *y, int map, const char *key, const char *where, char ***out,
                                   size_t *n, char *err)
{
	int node = yconf_get(y, map, key);
	*out = NULL;
	*n = 0;
	if (!node)
		return RELTO_OK;
	size_t len = yconf_is_seq(y, node) ? yconf_seq_len(y, node) : 1;
	if (!yconf_is_seq(y, node) && !yconf_str(y, node))
		return yconf_error(y, node, err, RELTO_EINVAL, "%s: '%s' must be a list of strings", where, key);
	if (!(*out = calloc(len + 1, sizeof(char *))))
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		int item = yconf_is_seq(y, node) ? yconf_seq_at(y, node, i) : node;
		const char *s = yconf_str(y, item);
		if (!s || !*s)
			return yconf_error(y, item, err, RELTO_EINVAL, "%s: '%s' must be a list of non-empty strings", where,
			                   key);
		if (!((*out)[i] = strdup(s)))
			return relto_seterr(err, RELTO_ENOMEM, "out of memory");
		(*n)++;
	}
	return RELTO_OK;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static enum relto_err load_tls(struct relto_config *c, const struct yconf *y, int map, char *err)
{
	static const char *const keys[] = {"certificate", "key", "client_ca", NULL};
	enum relto_err rc = yconf_is_map(y, map) ? yconf_check_keys(y, map, "tls", keys, err)
	                    : yconf_error(y, map, err, RELTO_EINVAL, "'tls' must be a map (certificate, key, client_ca)");
	if (!rc)
		rc = get_str(y, map, "certificate", 1, "tls", &c->tls.certificate, err);
	if (!rc)
		rc = get_str(y, map, "key", 1, "tls", &c->tls.key, err);
	if (!rc)
		rc = get_str(y, map, "client_ca", 0, "tls", &c->tls.client_ca, err);
	/* Said here, with the line, rather than when the server starts. */
	const char *const keys_files[] = {"certificate", "key", "client_ca"};
	const char *files[] = {c->tls.certificate, c->tls.key, c->tls.client_ca};
	for (int i = 0; !rc && i < 3; i++)
		if (files[i] && access(files[i], R_OK) != 0)
			rc = yconf_error(y, yconf_get(y, map, keys_files[i]), err, RELTO_EINVAL, "tls: cannot read %s '%s': %s",
			                 keys_files[i], files[i], strerror(errno));
	return rc;
}

static enum relto_err get_bool(const struct yconf *y, int map, const char *key, int *out, char *err)
{
	int n = yconf_get(y, map, key);
	if (!n)
		return RELTO_OK;
	const char *s = yconf_str(y, n);
	if (s && strcmp(s, "true") == 0)
		*out = 1;
	else if (s && strcmp(s, "false") == 0)
		*out = 0;
	else
		return yconf_error(y, n, err, RELTO_EINVAL, "'%s' must be true or false", key);
	return RELTO_OK;
}

static enum relto_err load_server(struct relto_config *c, const struct yconf *y, int map, char *err)
{
	static const char *const keys[] = {"listen", "threads", "title", "description", "contact", "tls",
	                                   "plain_http", NULL};
	enum relto_err rc = yconf_check_keys(y, map, "server", keys, err);
	unsigned long long threads = 0;
	int listen = yconf_get(y, map, "listen");
	if (!rc)
		rc = listen ? parse_listen(c, y, listen, err) : RELTO_OK;
	if (!rc)
		rc = get_uint(y, map, "threads", 1, 256, &threads, err);
	c->threads = (unsigned)threads;
	if (!rc)
		rc = get_str(y, map, "title", 0, "server", &c->title, err);
	if (!rc)
		rc = get_str(y, map, "description", 0, "server", &c->description, err);
	if (!rc)
		rc = get_str(y, map, "contact", 0, "server", &c->contact, err);
	int tls = yconf_get(y, map, "tls");
	if (!rc)
		rc = get_bool(y, map, "plain_http", &c->plain_http, err);
	if (!rc && tls && c->plain_http)
		rc = yconf_error(y, yconf_get(y, map, "plain_http"), err, RELTO_EINVAL,
		                 "'plain_http: true' and 'tls' exclude each other");
	if (!rc && tls)
		rc = load_tls(c, y, tls, err);
	c->server_line = yconf_line(y, map);
	return rc;
}

static enum relto_err load_limits(struct relto_config *c, const struct yconf *y, int map, char *err)
{
	static const char *const keys[] = {"max_content_length", "max_objects_per_envelope",
	                                   "default_page_size", "max_page_size",
	                                   "max_connections", "max_connections_per_ip", "connection_timeout",
	                                   "page_cache_bytes", "rate", "burst", NULL};
	unsigned long long objs = c->limits.max_objects_per_envelope;
	unsigned long long body = c->limits.max_content_length, def = c->limits.default_page_size;
	unsigned long long max = c->limits.max_page_size, conns = c->limits.max_connections;
	unsigned long long tmo = c->limits.connection_timeout;
	unsigned long long cache = c->limits.page_cache_bytes;
	unsigned long long per_ip = 0, rate = 0, burst = 0;
	enum relto_err rc = yconf_check_keys(y, map, "limits", keys, err);
	if (!rc)
		rc = get_uint(y, map, "max_connections_per_ip", 0, 1000000, &per_ip, err);
	if (!rc)
		rc = get_uint(y, map, "rate", 0, 10000000, &rate, err);
	if (!rc)
		rc = get_uint(y, map, "burst", 1, 100000000, &burst, err);
	if (!rc && yconf_get(y, map, "burst") && !rate)
		rc = yconf_error(y, yconf_get(y, map, "burst"), err, RELTO_EINVAL, "'burst' needs a 'rate'");
	c->limits.max_connections_per_ip = (unsigned)per_ip;
	c->limits.rate = (unsigned)rate;
	c->limits.burst = (unsigned)(burst ? burst : rate * 2);
	if (!rc)
		rc = get_uint(y, map, "max_content_length", 1024, 1ull << 31, &body, err);
	if (!rc)
		rc = get_uint(y, map, "max_objects_per_envelope", 1, 1000000, &objs, err);
	if (!rc)
		rc = get_uint(y, map, "default_page_size", 1, 100000, &def, err);
	if (!rc)
		rc = get_uint(y, map, "max_page_size", 1, 100000, &max, err);
	if (!rc)
		rc = get_uint(y, map, "max_connections", 1, 1000000, &conns, err);
	if (!rc)
		rc = get_uint(y, map, "connection_timeout", 1, 3600, &tmo, err);
	if (!rc)
		rc = get_uint(y, map, "page_cache_bytes", 0, 1ull << 40, &cache, err);
	if (!rc && def > max && !yconf_get(y, map, "default_page_size"))
		def = max; /* only the cap was set: the default follows it down */
	if (!rc && def > max)
		rc = yconf_error(y, map, err, RELTO_EINVAL, "default_page_size (%llu) exceeds max_page_size (%llu)",
		                 def, max);
	c->limits.max_content_length = (size_t)body;
	c->limits.max_objects_per_envelope = (size_t)objs;
	c->limits.default_page_size = (size_t)def;
	c->limits.max_page_size = (size_t)max;
	c->limits.max_connections = (unsigned)conns;
	c->limits.connection_timeout = (unsigned)tmo;
	c->limits.page_cache_bytes = (size_t)cache;
	return rc;
}

static enum relto_err load_audit(struct relto_config *c, const struct yconf *y, int map, char *err)
{
	static const char *const keys[] = {"enabled", "key", "checkpoint_seconds", "durability", "journals", NULL};
	unsigned long long every = c->audit.checkpoint_seconds;
	enum relto_err rc = yconf_is_map(y, map) ? yconf_check_keys(y, map, "audit", keys, err)
	                    : yconf_error(y, map, err, RELTO_EINVAL, "'audit' must be a map (enabled, key, checkpoint_seconds, durability, journals)");
	if (!rc)
		rc = get_bool(y, map, "enabled", &c->audit.enabled, err);
	if (!rc)
		rc = get_str(y, map, "key", 0, "audit", &c->audit.key, err);
	if (!rc)
		rc = get_str(y, map, "journals", 0, "audit", &c->audit.journals, err);
	if (!rc)
		rc = get_uint(y, map, "checkpoint_seconds", 1, 86400, &every, err);
	c->audit.checkpoint_seconds = (unsigned)every;
	int d = yconf_get(y, map, "durability");
	const char *v = d ? yconf_str(y, d) : NULL;
	if (!rc && d && (!v || (strcmp(v, "os") != 0 && strcmp(v, "disk") != 0)))
		rc = yconf_error(y, d, err, RELTO_EINVAL, "audit: 'durability' must be os or disk");
	if (!rc && v)
		c->audit.durability = strcmp(v, "disk") == 0 ? AUDIT_SYNC_DISK : AUDIT_SYNC_OS;
	return rc;
}

/* The database's file + suffix into out; 0 when the database is not a
** file (a server's URL, never copied: it may hold a password) or it does
** not fit. */
static int beside_database(const struct relto_config *c, const char *suffix, char *out, size_t size)
{
	char db[4096];
	if (!store_file_of(c->database, db, sizeof(db)))
		return 0;
	int n = snprintf(out, size, "%s%s", db, suffix);
	return n > 0 && (size_t)n < size;
}

int config_audit_journal_prefix(const struct relto_config *c, char *out, size_t size)
{
	if (!c->audit.journals)
		return beside_database(c, ".audit-journal-", out, size);
	int n = snprintf(out, size, "%s/audit-journal-", c->audit.journals);
	return n > 0 && (size_t)n < size;
}

int config_audit_key_path(const struct relto_config *c, char *out, size_t size)
{
	if (!c->audit.key)
		return beside_database(c, ".audit-key", out, size);
	int n = snprintf(out, size, "%s", c->audit.key);
	return n > 0 && (size_t)n < size;
}

/* "sha256:AB:CD:..." or 64 hex digits, in place, to 64 lower-case hex
** digits; 0 if it is neither. */
static int normalize_fingerprint(char *s)
{
	const char *in = strncasecmp(s, "sha256:", 7) == 0 ? s + 7 : s;
	char hex[CONFIG_FINGERPRINT_LEN + 1];
	size_t n = 0;
	for (; *in; in++) {
		if (*in == ':')
			continue;
		if (!isxdigit((unsigned char)*in) || n == CONFIG_FINGERPRINT_LEN)
			return 0;
		hex[n++] = (char)tolower((unsigned char)*in);
	}
	if (n != CONFIG_FINGERPRINT_LEN)
		return 0;
	hex[n] = '\0';
	memcpy(s, hex, n + 1);
	return 1;
}

static enum relto_err load_partner(struct relto_config *c, const struct yconf *y, int map,
                                   struct partner *p, char *err)
{
	static const char *const keys[] = {"id", "name", "role", "password_hash", "auth", "certificate_fingerprints",
	                                   "certificate_subjects", NULL};
	char *role = NULL, *auth = NULL;
	enum relto_err rc = yconf_check_keys(y, map, "partner", keys, err);
	if (!rc)
		rc = get_str(y, map, "id", 1, "partner", &p->id, err);
	if (!rc && !is_name(p->id, 64))
		rc = yconf_error(y, yconf_get(y, map, "id"), err, RELTO_EINVAL,
		                 "partner id '%s' must be 1-64 characters of a-z, 0-9, '-', '_'", p->id);
	if (!rc && config_find_partner(c, p->id) >= 0)
		rc = yconf_error(y, yconf_get(y, map, "id"), err, RELTO_EINVAL, "partner '%s' is defined twice", p->id);
	if (!rc)
		rc = get_str(y, map, "name", 0, "partner", &p->name, err);
	if (!rc)
		rc = get_str(y, map, "password_hash", 0, "partner", &p->password_hash, err);
	if (!rc)
		rc = get_str_list(y, map, "certificate_fingerprints", "partner", &p->cert_fingerprints,
		                  &p->ncert_fingerprints, err);
	for (size_t i = 0; !rc && i < p->ncert_fingerprints; i++)
		rc = normalize_fingerprint(p->cert_fingerprints[i])
		     ? RELTO_OK
		     : yconf_error(y, yconf_get(y, map, "certificate_fingerprints"), err, RELTO_EINVAL,
		                   "partner '%s': a certificate fingerprint is 'sha256:' and 64 hex digits (colons allowed)",
		                   p->id);
	if (!rc)
		rc = get_str_list(y, map, "certificate_subjects", "partner", &p->cert_subjects, &p->ncert_subjects, err);
	int certs = p->ncert_fingerprints || p->ncert_subjects;
	if (!rc)
		rc = get_str(y, map, "auth", 0, "partner", &auth, err);
	if (!rc && auth && strcmp(auth, "password") != 0 && strcmp(auth, "certificate") != 0 &&
	    strcmp(auth, "certificate+password") != 0)
		rc = yconf_error(y, yconf_get(y, map, "auth"), err, RELTO_EINVAL,
		                 "auth must be 'password', 'certificate' or 'certificate+password', not '%s'", auth);
	p->auth = !auth ? (p->password_hash || !certs ? AUTH_PASSWORD : AUTH_CERTIFICATE)
	          : strcmp(auth, "password") == 0 ? AUTH_PASSWORD
	          : strcmp(auth, "certificate") == 0 ? AUTH_CERTIFICATE : AUTH_BOTH;
	free(auth);
	if (!rc && (p->auth & AUTH_CERTIFICATE) && !certs)
		rc = yconf_error(y, map, err, RELTO_EINVAL,
		                 "partner '%s': certificate authentication needs certificate_fingerprints or "
		                 "certificate_subjects", p->id);
	if (!rc && (p->auth & AUTH_PASSWORD) && !p->password_hash)
		rc = yconf_error(y, map, err, RELTO_EINVAL, "partner '%s': 'password_hash' is required", p->id);
	if (!rc && p->password_hash && strncmp(p->password_hash, "$argon2id$", 10) != 0)
		rc = yconf_error(y, yconf_get(y, map, "password_hash"), err, RELTO_EINVAL,
		                 "partner '%s': password_hash must be an Argon2id hash ('relto hash-password' makes one)",
		                 p->id);
	if (!rc)
		rc = get_str(y, map, "role", 0, "partner", &role, err);
	if (!rc && role && strcmp(role, "admin") != 0 && strcmp(role, "partner") != 0)
		rc = yconf_error(y, yconf_get(y, map, "role"), err, RELTO_EINVAL,
		                 "role must be 'partner' or 'admin', not '%s'", role);
	p->role = role && strcmp(role, "admin") == 0 ? ROLE_ADMIN : ROLE_PARTNER;
	free(role);
	return rc;
}

/* read:/write: a list of partner ids, or "*" for every partner. */
static enum relto_err load_access(const struct relto_config *c, const struct yconf *y, int map,
                                  const char *key, unsigned char *bits, char *err)
{
	int n = yconf_get(y, map, key);
	if (!n)
		return RELTO_OK;
	const char *all = yconf_str(y, n);
	if (all && strcmp(all, "*") == 0) {
		memset(bits, 1, c->npartners);
		return RELTO_OK;
	}
	if (!yconf_is_seq(y, n))
		return yconf_error(y, n, err, RELTO_EINVAL, "'%s' must be a list of partner ids or \"*\"", key);
	for (size_t i = 0; i < yconf_seq_len(y, n); i++) {
		int item = yconf_seq_at(y, n, i);
		const char *id = yconf_str(y, item);
		if (id && strcmp(id, "*") == 0) {
			memset(bits, 1, c->npartners);
			continue;
		}
		int p = id ? config_find_partner(c, id) : -1;
		if (p < 0)
			return yconf_error(y, item, err, RELTO_EINVAL, "'%s': unknown partner '%s'", key,
			                   id ? id : "?");
		bits[p] = 1;
	}
	return RELTO_OK;
}

static enum relto_err load_collection(const struct relto_config *c, const struct api_root *r,
                                      const struct yconf *y, int map, struct collection *col, char *err)
{
	static const char *const keys[] = {"id", "alias", "title", "description", "default_level", "read", "write", NULL};
	enum relto_err rc = yconf_check_keys(y, map, "collection", keys, err);
	col->can_read = calloc(c->npartners + 1, 1);
	col->can_write = calloc(c->npartners + 1, 1);
	if (!col->can_read || !col->can_write)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (!rc)
		rc = get_str(y, map, "id", 1, "collection", &col->id, err);
	if (!rc && !config_is_uuid(col->id))
		rc = yconf_error(y, yconf_get(y, map, "id"), err, RELTO_EINVAL,
		                 "collection id '%s' must be a UUID", col->id);
	if (!rc && (config_find_collection_any(c, col->id, NULL) || config_find_collection(r, col->id)))
		rc = yconf_error(y, yconf_get(y, map, "id"), err, RELTO_EINVAL,
		                 "collection '%s' is defined twice", col->id);
	if (!rc)
		rc = get_str(y, map, "alias", 0, "collection", &col->alias, err);
	if (!rc && col->alias && (!is_name(col->alias, 64) || config_is_uuid(col->alias)))
		rc = yconf_error(y, yconf_get(y, map, "alias"), err, RELTO_EINVAL,
		                 "alias '%s' must be 1-64 characters of a-z, 0-9, '-', '_' and not a UUID", col->alias);
	if (!rc && col->alias && config_find_collection(r, col->alias))
		rc = yconf_error(y, yconf_get(y, map, "alias"), err, RELTO_EINVAL,
		                 "alias '%s' is used twice in API root '%s'", col->alias, r->path);
	if (!rc)
		rc = get_str(y, map, "title", 1, "collection", &col->title, err);
	if (!rc)
		rc = get_str(y, map, "description", 0, "collection", &col->description, err);
	if (!rc)
		rc = get_str(y, map, "default_level", 0, "collection", &col->default_level, err);
	if (!rc && !col->default_level && !(col->default_level = strdup("UNCLASSIFIED")))
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (!rc)
		rc = load_access(c, y, map, "read", col->can_read, err);
	if (!rc)
		rc = load_access(c, y, map, "write", col->can_write, err);
	return rc;
}

static enum relto_err load_root(struct relto_config *c, const struct yconf *y, int map,
                                struct api_root *r, char *err)
{
	static const char *const keys[] = {"path", "title", "description", "collections", NULL};
	enum relto_err rc = yconf_check_keys(y, map, "api root", keys, err);
	if (!rc)
		rc = get_str(y, map, "path", 1, "api root", &r->path, err);
	if (!rc && (!is_name(r->path, 64) || strcmp(r->path, "taxii2") == 0 || strcmp(r->path, "admin") == 0))
		rc = yconf_error(y, yconf_get(y, map, "path"), err, RELTO_EINVAL,
		                 "API root path '%s' must be one segment of a-z, 0-9, '-', '_' (not 'taxii2' or 'admin')",
		                 r->path);
	if (!rc && config_find_root(c, r->path))
		rc = yconf_error(y, yconf_get(y, map, "path"), err, RELTO_EINVAL,
		                 "API root '%s' is defined twice", r->path);
	if (!rc)
		rc = get_str(y, map, "title", 1, "api root", &r->title, err);
	if (!rc)
		rc = get_str(y, map, "description", 0, "api root", &r->description, err);
	int cols = yconf_get(y, map, "collections");
	if (!rc && cols && !yconf_is_seq(y, cols))
		rc = yconf_error(y, cols, err, RELTO_EINVAL, "'collections' must be a list");
	size_t n = yconf_seq_len(y, cols);
	if (!rc && n && !(r->collections = calloc(n, sizeof(*r->collections))))
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < n; i++) {
		rc = load_collection(c, r, y, yconf_seq_at(y, cols, i), &r->collections[i], err);
		r->ncollections++;
	}
	return rc;
}

static enum relto_err load_list(struct relto_config *c, const struct yconf *y, int root,
                                const char *key, char *err)
{
	int seq = yconf_get(y, root, key);
	if (!seq)
		return yconf_error(y, root, err, RELTO_EINVAL, "'%s' is required", key);
	size_t n = yconf_seq_len(y, seq);
	if (!yconf_is_seq(y, seq) || n == 0)
		return yconf_error(y, seq, err, RELTO_EINVAL, "'%s' must be a non-empty list", key);
	int partners = strcmp(key, "partners") == 0;
	void *arr = calloc(n, partners ? sizeof(struct partner) : sizeof(struct api_root));
	if (!arr)
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (partners)
		c->partners = arr;
	else
		c->roots = arr;
	enum relto_err rc = RELTO_OK;
	for (size_t i = 0; !rc && i < n; i++) {
		int item = yconf_seq_at(y, seq, i);
		if (partners) {
			rc = load_partner(c, y, item, &c->partners[i], err);
			c->npartners++;
		} else {
			rc = load_root(c, y, item, &c->roots[i], err);
			c->nroots++;
		}
	}
	return rc;
}

static enum relto_err load_doc(struct relto_config *c, const struct yconf *y, char *err)
{
	static const char *const keys[] = {"server", "database", "policy", "posture", "limits", "audit",
	                                   "partners", "api_roots", NULL};
	int root = yconf_root(y);
	enum relto_err rc = yconf_check_keys(y, root, "the top level", keys, err);
	int n;
	if (!rc && (n = yconf_get(y, root, "server")))
		rc = load_server(c, y, n, err);
	if (!rc && !c->listen_host && !(c->listen_host = strdup("127.0.0.1")))
		rc = relto_seterr(err, RELTO_ENOMEM, "out of memory");
	if (!rc && !c->listen_port)
		c->listen_port = 8021;
	if (!rc)
		rc = get_str(y, root, "database", 1, "config", &c->database, err);
	if (!rc)
		rc = get_str(y, root, "policy", 0, "config", &c->policy, err);
	if (!rc)
		rc = get_str(y, root, "posture", 0, "config", &c->posture, err);
	if (!rc && !c->policy != !c->posture)
		rc = yconf_error(y, yconf_get(y, root, c->policy ? "policy" : "posture"), err, RELTO_EINVAL,
		                 "'policy' and 'posture' go together: give both or neither");
	if (!rc && (n = yconf_get(y, root, "limits")))
		rc = load_limits(c, y, n, err);
	if (!rc && (n = yconf_get(y, root, "audit")))
		rc = load_audit(c, y, n, err);
	if (!rc)
		rc = load_list(c, y, root, "partners", err);
	if (!rc)
		rc = load_list(c, y, root, "api_roots", err);
	for (size_t i = 0; !rc && i < c->npartners; i++)
		if ((c->partners[i].auth & AUTH_CERTIFICATE) && !c->tls.client_ca)
			rc = yconf_error(y, yconf_get(y, root, "partners"), err, RELTO_EINVAL,
			                 "partner '%s' authenticates by client certificate: server.tls.client_ca is required",
			                 c->partners[i].id);
	return rc;
}

enum relto_err config_load_text(const char *name, const char *text, size_t len,
                                struct relto_config **out, char *err)
{
	struct yconf *y = NULL;
	enum relto_err rc = yconf_load(name, text, len, &y, err);
	if (rc)
		return rc;
	struct relto_config *c = calloc(1, sizeof(*c));
	if (!c || !(c->source = strdup(name))) {
		free(c);
		yconf_free(y);
		return relto_seterr(err, RELTO_ENOMEM, "out of memory");
	}
	c->limits.max_content_length = 16u << 20;
	c->limits.max_objects_per_envelope = 10000;
	c->limits.default_page_size = 100;
	c->limits.max_page_size = 1000;
	c->limits.max_connections = 1024;
	c->limits.connection_timeout = 30;
	c->limits.page_cache_bytes = 64u << 20;
	c->audit.enabled = 1;
	c->audit.checkpoint_seconds = 1;
	rc = load_doc(c, y, err);
	yconf_free(y);
	if (rc) {
		config_free(c);
		return rc;
	}
	*out = c;
	return RELTO_OK;
}

enum relto_err config_load_file(const char *path, struct relto_config **out, char *err)
{
	struct buf b;
	buf_init(&b, 16u << 20);
	enum relto_err rc = buf_read_file(&b, path, err);
	if (!rc)
		rc = config_load_text(path, b.data ? b.data : "", b.len, out, err);
	buf_free(&b);
	return rc;
}

void config_free(struct relto_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->npartners; i++) {
		free(c->partners[i].id);
		free(c->partners[i].name);
		free(c->partners[i].password_hash);
		free_list(c->partners[i].cert_fingerprints, c->partners[i].ncert_fingerprints);
		free_list(c->partners[i].cert_subjects, c->partners[i].ncert_subjects);
	}
	free(c->partners);
	free(c->audit.key);
	free(c->audit.journals);
	for (size_t i = 0; i < c->nroots; i++) {
		struct api_root *r = &c->roots[i];
		for (size_t j = 0; j < r->ncollections; j++) {
			struct collection *col = &r->collections[j];
			free(col->id);
			free(col->alias);
			free(col->title);
			free(col->description);
			free(col->default_level);
			free(col->can_read);
			free(col->can_write);
		}
		free(r->collections);
		free(r->path);
		free(r->title);
		free(r->description);
	}
	free(c->roots);
	free(c->source);
	free(c->listen_host);
	free(c->database);
	free(c->tls.certificate);
	free(c->tls.key);
	free(c->tls.client_ca);
	free(c->policy);
	free(c->posture);
	free(c->title);
	free(c->description);
	free(c->contact);
	free(c);
}

enum relto_err config_check_serving(const struct relto_config *c, char *err)
{
	if (c->tls.certificate || c->plain_http)
		return RELTO_OK;
	return relto_seterr(err, RELTO_EINVAL, "%s:%d: no server.tls: give tls (certificate, key), or 'plain_http: true' "
	                    "to serve without TLS", c->source, c->server_line ? c->server_line : 1);
}

const struct api_root *config_find_root(const struct relto_config *c, const char *path)
{
	for (size_t i = 0; i < c->nroots; i++)
		if (c->roots[i].path && strcmp(c->roots[i].path, path) == 0)
			return &c->roots[i];
	return NULL;
}

struct collection *config_find_collection(const struct api_root *r, const char *id_or_alias)
{
	for (size_t i = 0; i < r->ncollections; i++) {
		struct collection *col = &r->collections[i];
		if ((col->id && strcasecmp(col->id, id_or_alias) == 0) ||
		    (col->alias && strcmp(col->alias, id_or_alias) == 0))
			return col;
	}
	return NULL;
}

struct collection *config_find_collection_any(const struct relto_config *c, const char *id_or_alias,
                                              const struct api_root **root_out)
{
	for (size_t i = 0; i < c->nroots; i++) {
		struct collection *col = config_find_collection(&c->roots[i], id_or_alias);
		if (col) {
			if (root_out)
				*root_out = &c->roots[i];
			return col;
		}
	}
	return NULL;
}

int config_find_partner(const struct relto_config *c, const char *id)
{
	for (size_t i = 0; i < c->npartners; i++)
		if (c->partners[i].id && strcmp(c->partners[i].id, id) == 0)
			return (int)i;
	return -1;
}
