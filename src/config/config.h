/*
** config.h: relto's configuration: where to listen, which database, the
** API roots and their collections, the partners and their credentials, and
** the limits.  Read from a YAML file; every error is `file:line: message`
** and a config with any error is refused whole (the server does not start).
** The format is documented in docs/configuration.md.
**
** Threading: built once at start, then read-only and shared by all threads.
** Ownership: config_free() frees everything; config_free(NULL) is a no-op.
*/
#ifndef RELTO_CONFIG_H
#define RELTO_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "../relto.h"

enum partner_role { ROLE_PARTNER = 0, ROLE_ADMIN = 1 };

/* What a partner must present (partner.auth): a password (HTTP Basic, or
** a stored API token), a client certificate, or both. */
enum partner_auth { AUTH_PASSWORD = 1, AUTH_CERTIFICATE = 2, AUTH_BOTH = 3 };

#define CONFIG_FINGERPRINT_LEN 64 /* SHA-256 of a certificate's DER, lower-case hex */

struct partner {
	char *id;            /* login name and partner id, [a-z0-9_-] */
	char *name;
	char *password_hash; /* Argon2id string ($argon2id$...), never a secret; NULL: none configured */
	enum partner_role role;
	enum partner_auth auth;
	/* Client certificates that are this partner (mutual TLS): SHA-256
	** fingerprints (64 lower-case hex digits) and subject DNs as GnuTLS
	** writes them ("CN=kor.example,O=..."). */
	char **cert_fingerprints;
	size_t ncert_fingerprints;
	char **cert_subjects;
	size_t ncert_subjects;
};

/* TLS (libmicrohttpd with GnuTLS): TLS 1.2 and 1.3 only, AEAD ciphers. */
struct tls_config {
	char *certificate;   /* PEM certificate chain file; NULL: no TLS */
	char *key;           /* PEM private key file */
	char *client_ca;     /* PEM CA bundle that signs partners' client
	                        certificates; NULL: none are asked for */
};

struct collection {
	char *id;            /* UUID */
	char *alias;         /* NULL or unique within the API root */
	char *title;
	char *description;   /* may be NULL */
	char *default_level; /* the level of objects without a classification
	                        marking; "UNCLASSIFIED" unless configured */
	/* can_read[i] / can_write[i]: may partner i (index into
	** config.partners) read / write here. */
	unsigned char *can_read;
	unsigned char *can_write;
	int64_t store_id;    /* the store's key for it, set at server start */
};

struct api_root {
	char *path;          /* one URL segment, e.g. "hub" (served at /hub/) */
	char *title;
	char *description;
	struct collection *collections;
	size_t ncollections;
};

struct limits {
	size_t max_content_length;  /* largest request body, bytes */
	size_t max_objects_per_envelope; /* objects in one POST */
	size_t default_page_size;   /* objects per page when no limit= */
	size_t max_page_size;       /* larger limit= values are lowered to this */
	unsigned max_connections;
	unsigned max_connections_per_ip; /* 0: no per-address limit */
	unsigned connection_timeout; /* seconds of inactivity before a close */
	/* Per-partner request rate (a token bucket): rate requests/s on
	** average, bursts of up to burst; rate 0: unlimited.  Over it: 429
	** with Retry-After. */
	unsigned rate, burst;
	size_t page_cache_bytes;    /* finished pages kept in memory; 0 = none */
};

/* The audit trail (docs/audit.md). */
struct audit_config {
	int enabled;                /* default 1 */
	char *key;                  /* the signing key file; NULL: DATABASE.audit-key */
	/* The directory of this machine's journals (durability os); NULL:
	** beside the database file.  Required for a database on a server. */
	char *journals;
	unsigned checkpoint_seconds; /* at most this long between checkpoints (default 1) */
	/* When an answer may go out: AUDIT_SYNC_OS (default) once its record
	** is written to the OS (a journal; survives a crash of relto), or
	** AUDIT_SYNC_DISK once the batch holding it is fsynced (survives a
	** power cut too, at a cost: docs/BENCHMARKS.md). */
	enum { AUDIT_SYNC_OS = 0, AUDIT_SYNC_DISK = 1 } durability;
};

struct relto_config {
	char *source;        /* file name, for messages */
	char *listen_host;   /* "127.0.0.1", "::1", "0.0.0.0" */
	uint16_t listen_port;
	unsigned threads;    /* worker threads; 0 = number of cores */
	char *database;      /* store URL or path */
	struct tls_config tls;
	int plain_http;      /* serving without TLS was asked for explicitly */
	int server_line;     /* line of the server section (1 when absent), for messages */
	/* Releasability: the policy file and the posture file.  Both or
	** neither; without them every reader of a collection receives all
	** of it (and the server says so when it starts). */
	char *policy;
	char *posture;
	char *title, *description, *contact;
	struct limits limits;
	struct audit_config audit;
	struct partner *partners;
	size_t npartners;
	struct api_root *roots;
	size_t nroots;
};

/* Parse and check a config file.  RELTO_OK and *out; RELTO_EINVAL with
** err = "file:line: message"; RELTO_ENOTFOUND if unreadable; RELTO_ENOMEM. */
enum relto_err config_load_file(const char *path, struct relto_config **out, char *err);
/* The same from text in memory (the demo builds its config this way). */
enum relto_err config_load_text(const char *name, const char *text, size_t len,
                                struct relto_config **out, char *err);
void config_free(struct relto_config *c);

/* May this configuration serve?  It needs server.tls, or plain_http:
** true said explicitly.  RELTO_OK; RELTO_EINVAL with "file:line: ...". */
enum relto_err config_check_serving(const struct relto_config *c, char *err);

/* The audit key file: audit.key, or the database file + ".audit-key".
** Writes at most size bytes; 0 when it does not fit, or when audit.key
** is not set and the database is not a file (a PostgreSQL URL). */
int config_audit_key_path(const struct relto_config *c, char *out, size_t size);
/* The prefix of the audit journals' file names: audit.journals +
** "/audit-journal-", or the database file + ".audit-journal-".  0 when it
** does not fit, or without audit.journals when the database is not a
** file (durability "os" needs one; "disk" needs no journal). */
int config_audit_journal_prefix(const struct relto_config *c, char *out, size_t size);

/* Lookups over the loaded config; NULL / -1 when absent. */
const struct api_root *config_find_root(const struct relto_config *c, const char *path);
/* By id or alias within root. */
struct collection *config_find_collection(const struct api_root *r, const char *id_or_alias);
/* Across every root, by id or alias; *root_out (may be NULL) gets its root. */
struct collection *config_find_collection_any(const struct relto_config *c, const char *id_or_alias,
                                              const struct api_root **root_out);
int config_find_partner(const struct relto_config *c, const char *id);

/* Is s a UUID in 8-4-4-4-12 hex form (any case)? */
int config_is_uuid(const char *s);

#endif
