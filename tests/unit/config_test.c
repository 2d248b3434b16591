/*
** config_test.c: unit tests for src/config/config.c and yconf.c: a full
** configuration read back field by field, the defaults, every refusal
** with the exact `name:line: ` it must name, and the lookups (root,
** collection by id or alias across roots, partner, UUID shape).
*/
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "config/config.h"
#include "config/yconf.h"

#define H "\"$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA\""

static const char full[] =
	"server:\n"                                            /* 1 */
	"  listen: 0.0.0.0:9443\n"
	"  threads: 4\n"
	"  title: Test hub\n"
	"  description: A hub for tests\n"                     /* 5 */
	"  contact: soc@example.org\n"
	"database: sqlite:/tmp/x.db\n"
	"limits:\n"
	"  max_content_length: 2048\n"
	"  max_objects_per_envelope: 7\n"                      /* 10 */
	"  default_page_size: 20\n"
	"  max_page_size: 30\n"
	"  max_connections: 9\n"
	"  connection_timeout: 5\n"
	"  page_cache_bytes: 0\n"                              /* 15 */
	"partners:\n"
	"  - id: usa\n"
	"    name: United States\n"
	"    role: admin\n"
	"    password_hash: " H "\n"                           /* 20 */
	"  - id: kor\n"
	"    password_hash: " H "\n"
	"  - id: gbr_2-x\n"
	"    role: partner\n"
	"    password_hash: " H "\n"                           /* 25 */
	"api_roots:\n"
	"  - path: hub\n"
	"    title: Hub\n"
	"    description: The hub root\n"
	"    collections:\n"                                   /* 30 */
	"      - id: 91a7b528-80eb-42ed-a74d-c6fbd5a26116\n"
	"        alias: intel\n"
	"        title: Intel\n"
	"        description: Shared intel\n"
	"        read: \"*\"\n"                                /* 35 */
	"        write: [usa, kor]\n"
	"      - id: 11111111-2222-4333-8444-555555555555\n"
	"        title: Private\n"
	"        read: [kor]\n"
	"  - path: second\n"                                   /* 40 */
	"    title: Second\n"
	"    collections:\n"
	"      - id: AAAAAAAA-2222-4333-8444-666666666666\n"
	"        alias: intel\n"
	"        title: Other intel\n"                         /* 45 */
	"        read: [gbr_2-x, \"*\"]\n";

static enum relto_err load(const char *text, struct relto_config **c, char *err)
{
	*c = NULL;
	err[0] = '\0';
	return config_load_text("t.yaml", text, strlen(text), c, err);
}

static void test_full(void)
{
	struct relto_config *c;
	char err[RELTO_ERRBUF_SIZE];
	enum relto_err rc = load(full, &c, err);
	if (rc)
		fprintf(stderr, "  %s\n", err);
	CHECK(rc == RELTO_OK);
	CHECK_STR(c->source, "t.yaml");
	CHECK_STR(c->listen_host, "0.0.0.0");
	CHECK(c->listen_port == 9443 && c->threads == 4);
	CHECK_STR(c->title, "Test hub");
	CHECK_STR(c->description, "A hub for tests");
	CHECK_STR(c->contact, "soc@example.org");
	CHECK_STR(c->database, "sqlite:/tmp/x.db");
	CHECK(c->limits.max_content_length == 2048 && c->limits.max_objects_per_envelope == 7);
	CHECK(c->limits.default_page_size == 20 && c->limits.max_page_size == 30);
	CHECK(c->limits.max_connections == 9 && c->limits.connection_timeout == 5);
	CHECK(c->limits.page_cache_bytes == 0);

	CHECK(c->npartners == 3);
	CHECK_STR(c->partners[0].id, "usa");
	CHECK_STR(c->partners[0].name, "United States");
	CHECK(c->partners[0].role == ROLE_ADMIN);
	CHECK_STR(c->partners[0].password_hash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
	CHECK(c->partners[1].name == NULL && c->partners[1].role == ROLE_PARTNER);
	CHECK_STR(c->partners[2].id, "gbr_2-x");
	CHECK(c->partners[2].role == ROLE_PARTNER);

	CHECK(c->nroots == 2);
	const struct api_root *r = &c->roots[0];
	CHECK_STR(r->path, "hub");
	CHECK_STR(r->title, "Hub");
	CHECK_STR(r->description, "The hub root");
	CHECK(r->ncollections == 2);
	const struct collection *col = &r->collections[0];
	CHECK_STR(col->id, "91a7b528-80eb-42ed-a74d-c6fbd5a26116");
	CHECK_STR(col->alias, "intel");
	CHECK_STR(col->title, "Intel");
	CHECK_STR(col->description, "Shared intel");
	CHECK(col->can_read[0] && col->can_read[1] && col->can_read[2]);
	CHECK(col->can_write[0] && col->can_write[1] && !col->can_write[2]);
	CHECK(col->store_id == 0);
	col = &r->collections[1];
	CHECK(col->alias == NULL && col->description == NULL);
	CHECK(!col->can_read[0] && col->can_read[1] && !col->can_read[2]);
	CHECK(!col->can_write[0] && !col->can_write[1] && !col->can_write[2]);
	r = &c->roots[1];
	CHECK(r->description == NULL && r->ncollections == 1);
	col = &r->collections[0];
	CHECK_STR(col->id, "AAAAAAAA-2222-4333-8444-666666666666");
	CHECK(col->can_read[0] && col->can_read[1] && col->can_read[2]); /* "*" in a list */
	config_free(c);
	config_free(NULL);
}

static const char minimal[] =
	"database: x.db\n"
	"partners:\n"
	"  - id: a\n"
	"    password_hash: " H "\n"
	"api_roots:\n"
	"  - path: r\n"
	"    title: R\n";

static void test_defaults(void)
{
	struct relto_config *c;
	char err[RELTO_ERRBUF_SIZE];
	CHECK(load(minimal, &c, err) == RELTO_OK);
	CHECK_STR(c->listen_host, "127.0.0.1");
	CHECK(c->listen_port == 8021 && c->threads == 0);
	CHECK(c->title == NULL && c->description == NULL && c->contact == NULL);
	CHECK(c->limits.max_content_length == 16u << 20);
	CHECK(c->limits.max_objects_per_envelope == 10000);
	CHECK(c->limits.default_page_size == 100 && c->limits.max_page_size == 1000);
	CHECK(c->limits.max_connections == 1024 && c->limits.connection_timeout == 30);
	CHECK(c->limits.page_cache_bytes == 64u << 20);
	CHECK(c->nroots == 1 && c->roots[0].ncollections == 0 && c->roots[0].collections == NULL);
	config_free(c);
}

/* The audit key and journals live beside a database file; a database on a
** server has none, and its URL (which may hold a password) never becomes
** a path. */
static void test_audit_paths(void)
{
	struct relto_config *c;
	char err[RELTO_ERRBUF_SIZE], out[256];
	CHECK(load(minimal, &c, err) == RELTO_OK);
	CHECK(config_audit_key_path(c, out, sizeof(out)) && strcmp(out, "x.db.audit-key") == 0);
	CHECK(config_audit_journal_prefix(c, out, sizeof(out)) && strcmp(out, "x.db.audit-journal-") == 0);
	config_free(c);
	/* The minimal configuration on a server's database, with and without audit.key. */
	static const char server_db[] = "database: \"postgresql://relto:secret@db.example/relto\"\n";
	static const char key[] = "audit:\n  key: /etc/relto/audit.key\n";
	char pg[1024], pg_key[1024];
	snprintf(pg, sizeof(pg), "%s%s", server_db, strchr(minimal, '\n') + 1);
	snprintf(pg_key, sizeof(pg_key), "%s%s%s", server_db, key, strchr(minimal, '\n') + 1);
	CHECK(load(pg, &c, err) == RELTO_OK);
	snprintf(out, sizeof(out), "untouched");
	CHECK(!config_audit_key_path(c, out, sizeof(out)));
	CHECK(!config_audit_journal_prefix(c, out, sizeof(out)));
	CHECK(strstr(out, "secret") == NULL);
	config_free(c);
	CHECK(load(pg_key, &c, err) == RELTO_OK);
	CHECK(config_audit_key_path(c, out, sizeof(out)) && strcmp(out, "/etc/relto/audit.key") == 0);
	config_free(c);
}

struct listen_case {
	const char *listen, *host;
	unsigned port;
};

static const struct listen_case listens[] = {
	{ "127.0.0.1:8000", "127.0.0.1", 8000 },
	{ "\"[::1]:8443\"", "::1", 8443 },
	{ "\"[::]:1\"", "::", 1 },
	{ "\":65535\"", "127.0.0.1", 65535 },
	{ "9000", "127.0.0.1", 9000 },
	{ "localhost:80", "localhost", 80 },
};

static void test_listen_forms(void)
{
	for (size_t i = 0; i < sizeof(listens) / sizeof(listens[0]); i++) {
		char text[512], err[RELTO_ERRBUF_SIZE];
		snprintf(text, sizeof(text), "server:\n  listen: %s\n%s", listens[i].listen, minimal);
		struct relto_config *c;
		enum relto_err rc = load(text, &c, err);
		if (rc)
			fprintf(stderr, "  case %zu: %s\n", i, err);
		CHECK(rc == RELTO_OK);
		CHECK_STR(c->listen_host, listens[i].host);
		CHECK(c->listen_port == listens[i].port);
		config_free(c);
	}
}

/* Only max_page_size given and lower than the default: the default
** follows it down; given both, default > max is an error (below). */
static void test_page_size_rules(void)
{
	struct relto_config *c;
	char err[RELTO_ERRBUF_SIZE], text[512];
	snprintf(text, sizeof(text), "limits:\n  max_page_size: 50\n%s", minimal);
	CHECK(load(text, &c, err) == RELTO_OK);
	CHECK(c->limits.default_page_size == 50 && c->limits.max_page_size == 50);
	config_free(c);
	snprintf(text, sizeof(text), "limits:\n  max_page_size: 5000\n%s", minimal);
	CHECK(load(text, &c, err) == RELTO_OK);
	CHECK(c->limits.default_page_size == 100 && c->limits.max_page_size == 5000);
	config_free(c);
	snprintf(text, sizeof(text), "limits:\n  default_page_size: 7\n  max_page_size: 7\n%s", minimal);
	CHECK(load(text, &c, err) == RELTO_OK);
	CHECK(c->limits.default_page_size == 7 && c->limits.max_page_size == 7);
	config_free(c);
}

/* Pieces for the error table: P is one good partner, R one good root. */
#define DB "database: x.db\n"
#define P "partners:\n  - id: a\n    password_hash: " H "\n"          /* 3 lines */
#define P2 P "  - id: b\n    password_hash: " H "\n"                  /* 5 lines */
#define R "api_roots:\n  - path: r\n    title: R\n"                    /* 3 lines */
#define RC "api_roots:\n  - path: r\n    title: R\n    collections:\n" /* 4 lines */
#define U1 "11111111-2222-4333-8444-555555555555"
#define U2 "11111111-2222-4333-8444-666666666666"

struct bad_case {
	const char *text;
	const char *prefix; /* the message starts with this ("t.yaml:N: ...") */
	const char *word;   /* and contains this */
};

static const struct bad_case bad[] = {
	/* Unknown keys, at every level. */
	{ "bogus: 1\n" DB P R, "t.yaml:1: ", "unknown key 'bogus' in the top level" },
	{ DB "server:\n  listen: 127.0.0.1:8000\n  bogus: 1\n" P R, "t.yaml:4: ", "unknown key 'bogus' in server" },
	{ DB "limits:\n  max_page_size: 10\n  page: 1\n" P R, "t.yaml:4: ", "unknown key 'page' in limits" },
	{ DB P "    nmae: x\n" R, "t.yaml:5: ", "unknown key 'nmae' in partner" },
	{ DB P R "    descr: x\n", "t.yaml:8: ", "unknown key 'descr' in api root" },
	{ DB P RC "      - id: " U1 "\n        title: C\n        reed: \"*\"\n", "t.yaml:11: ",
	  "unknown key 'reed' in collection" },
	/* Structure. */
	{ "- a\n- b\n", "t.yaml:1: ", "the top level must be a mapping" },
	{ DB "server: 5\n" P R, "t.yaml:2: ", "server must be a mapping" },
	{ DB R, "t.yaml:1: ", "'partners' is required" },
	{ DB P, "t.yaml:1: ", "'api_roots' is required" },
	{ DB "partners: []\n" R, "t.yaml:2: ", "'partners' must be a non-empty list" },
	{ DB "partners: usa\n" R, "t.yaml:2: ", "'partners' must be a non-empty list" },
	{ P R, "t.yaml:1: ", "config: 'database' is required" },
	{ "database: \"\"\n" P R, "t.yaml:1: ", "'database' must not be empty" },
	{ "database: [a]\n" P R, "t.yaml:1: ", "'database' must be a single value" },
	{ DB P "api_roots:\n  - path: r\n    title: R\n    collections: x\n", "t.yaml:8: ", "'collections' must be a list" },
	/* Listen and numbers. */
	{ DB "server:\n  listen: 127.0.0.1:99999\n" P R, "t.yaml:3: ", "port must be 1..65535 in '127.0.0.1:99999'" },
	{ DB "server:\n  listen: 127.0.0.1:0\n" P R, "t.yaml:3: ", "port must be 1..65535" },
	{ DB "server:\n  listen: \"127.0.0.1:\"\n" P R, "t.yaml:3: ", "port must be 1..65535" },
	{ DB "server:\n  listen: 127.0.0.1:80x\n" P R, "t.yaml:3: ", "port must be 1..65535" },
	{ DB "server:\n  listen: \"127.0.0.1:-1\"\n" P R, "t.yaml:3: ", "port must be 1..65535" },
	{ DB "server:\n  listen: [a]\n" P R, "t.yaml:3: ", "'listen' must be host:port" },
	{ DB "server:\n  threads: 0\n" P R, "t.yaml:3: ", "'threads' must be a whole number from 1 to 256" },
	{ DB "server:\n  threads: 257\n" P R, "t.yaml:3: ", "'threads'" },
	{ DB "server:\n  threads: -1\n" P R, "t.yaml:3: ", "'threads'" },
	{ DB "server:\n  threads: 2x\n" P R, "t.yaml:3: ", "'threads'" },
	{ DB "limits:\n  default_page_size: 0\n" P R, "t.yaml:3: ", "'default_page_size' must be a whole number from 1" },
	{ DB "limits:\n  max_content_length: 1023\n" P R, "t.yaml:3: ", "'max_content_length'" },
	{ DB "limits:\n  connection_timeout: 3601\n" P R, "t.yaml:3: ", "'connection_timeout'" },
	{ DB "limits:\n  page_cache_bytes: -1\n" P R, "t.yaml:3: ", "'page_cache_bytes' must be a whole number from 0" },
	{ DB "limits:\n  max_objects_per_envelope: 99999999999999999999999\n" P R, "t.yaml:3: ",
	  "'max_objects_per_envelope'" },
	{ DB "limits:\n  default_page_size: 500\n  max_page_size: 100\n" P R, "t.yaml:3: ",
	  "default_page_size (500) exceeds max_page_size (100)" },
	{ DB "limits:\n  default_page_size: 2000\n" P R, "t.yaml:3: ", "default_page_size (2000) exceeds max_page_size (1000)" },
	/* Partners. */
	{ DB "partners:\n  - id: Alice\n    password_hash: " H "\n" R, "t.yaml:3: ", "partner id 'Alice' must be" },
	{ DB "partners:\n  - id: a b\n    password_hash: " H "\n" R, "t.yaml:3: ", "partner id 'a b'" },
	{ DB "partners:\n  - id: \"\"\n    password_hash: " H "\n" R, "t.yaml:3: ", "'id' must not be empty" },
	{ DB "partners:\n  - id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    password_hash: " H "\n" R,
	  "t.yaml:3: ", "must be 1-64 characters" },
	{ DB P "  - id: a\n    password_hash: " H "\n" R, "t.yaml:5: ", "partner 'a' is defined twice" },
	{ DB "partners:\n  - id: a\n    password_hash: plain\n" R, "t.yaml:4: ", "password_hash must be an Argon2id hash" },
	{ DB "partners:\n  - id: a\n    password_hash: \"$argon2i$v=19$x\"\n" R, "t.yaml:4: ", "Argon2id" },
	{ DB "partners:\n  - id: a\n    name: A\n" R, "t.yaml:3: ", "partner 'a': 'password_hash' is required" },
	/* TLS and client certificates. */
	{ DB "server:\n  tls:\n    certificate: c.pem\n" P R, "t.yaml:4: ", "tls: 'key' is required" },
	{ DB "server:\n  tls: yes\n" P R, "t.yaml:3: ", "'tls' must be a map" },
	{ DB "server:\n  tls:\n    certificate: c.pem\n    key: k.pem\n    ca: x\n" P R, "t.yaml:6: ",
	  "unknown key 'ca'" },
	{ DB "server:\n  plain_http: true\n  tls:\n    certificate: c.pem\n    key: k.pem\n" P R, "t.yaml:3: ",
	  "exclude each other" },
	{ DB "server:\n  plain_http: yes\n" P R, "t.yaml:3: ", "'plain_http' must be true or false" },
	{ DB "server:\n  tls:\n    certificate: /nonexistent/c.pem\n    key: /nonexistent/k.pem\n" P R, "t.yaml:4: ",
	  "tls: cannot read certificate '/nonexistent/c.pem'" },
	{ DB "partners:\n  - id: a\n    auth: certificate\n" R, "t.yaml:3: ",
	  "certificate authentication needs certificate_fingerprints or certificate_subjects" },
	{ DB "partners:\n  - id: a\n    auth: token\n" R, "t.yaml:4: ", "auth must be 'password', 'certificate'" },
	{ DB "partners:\n  - id: a\n    certificate_fingerprints: [\"sha256:00\"]\n" R, "t.yaml:4: ",
	  "a certificate fingerprint is 'sha256:' and 64 hex digits" },
	{ DB "partners:\n  - id: a\n    certificate_subjects: [\"CN=a\"]\n" R, "t.yaml:3: ",
	  "partner 'a' authenticates by client certificate: server.tls.client_ca is required" },
	{ DB "partners:\n  - id: a\n    auth: certificate+password\n    certificate_subjects: [\"CN=a\"]\n" R,
	  "t.yaml:3: ", "partner 'a': 'password_hash' is required" },
	{ DB "limits:\n  burst: 10\n" P R, "t.yaml:3: ", "'burst' needs a 'rate'" },
	{ DB "partners:\n  - password_hash: " H "\n" R, "t.yaml:3: ", "partner: 'id' is required" },
	{ DB P "    role: root\n" R, "t.yaml:5: ", "role must be 'partner' or 'admin', not 'root'" },
	{ DB P "    role: Admin\n" R, "t.yaml:5: ", "not 'Admin'" },
	/* Collections. */
	{ DB P RC "      - id: not-a-uuid\n        title: C\n", "t.yaml:9: ", "collection id 'not-a-uuid' must be a UUID" },
	{ DB P RC "      - id: 11111111-2222-4333-8444-55555555555\n        title: C\n", "t.yaml:9: ", "must be a UUID" },
	{ DB P RC "      - id: 11111111x2222-4333-8444-555555555555\n        title: C\n", "t.yaml:9: ", "must be a UUID" },
	{ DB P RC "      - id: " U1 "\n", "t.yaml:9: ", "collection: 'title' is required" },
	{ DB P RC "      - id: " U1 "\n        title: C\n        alias: Intel\n", "t.yaml:11: ", "alias 'Intel' must be" },
	{ DB P RC "      - id: " U1 "\n        title: C\n        alias: " U2 "\n", "t.yaml:11: ", "and not a UUID" },
	{ DB P RC "      - id: " U1 "\n        title: C\n        alias: x\n      - id: " U2 "\n        title: D\n"
	  "        alias: x\n", "t.yaml:14: ", "alias 'x' is used twice in API root 'r'" },
	{ DB P RC "      - id: " U1 "\n        title: C\n        read: [nobody]\n", "t.yaml:11: ",
	  "'read': unknown partner 'nobody'" },
	{ DB P RC "      - id: " U1 "\n        title: C\n        read: [a]\n        write:\n          - a\n          - zed\n",
	  "t.yaml:14: ", "'write': unknown partner 'zed'" },
	{ DB P RC "      - id: " U1 "\n        title: C\n        read: everyone\n", "t.yaml:11: ",
	  "'read' must be a list of partner ids or \"*\"" },
	{ DB P RC "      - id: " U1 "\n        title: C\n        write: [[a]]\n", "t.yaml:11: ", "unknown partner '?'" },
	/* The same collection in two roots (also when spelled in another case). */
	{ DB P RC "      - id: " U1 "\n        title: C\n  - path: s\n    title: S\n    collections:\n"
	  "      - id: " U1 "\n        title: D\n", "t.yaml:14: ", "collection '" U1 "' is defined twice" },
	{ DB P RC "      - id: " U1 "\n        title: C\n  - path: s\n    title: S\n    collections:\n"
	  "      - id: 11111111-2222-4333-8444-555555555555\n        title: D\n", "t.yaml:14: ", "is defined twice" },
	/* API roots. */
	{ DB P R "  - path: r\n    title: R2\n", "t.yaml:8: ", "API root 'r' is defined twice" },
	{ DB P "api_roots:\n  - path: taxii2\n    title: T\n", "t.yaml:6: ", "(not 'taxii2' or 'admin')" },
	/* /admin/ is the admin API's. */
	{ DB P "api_roots:\n  - path: admin\n    title: T\n", "t.yaml:6: ", "API root path 'admin' must be" },
	{ DB P "api_roots:\n  - path: a/b\n    title: T\n", "t.yaml:6: ", "API root path 'a/b' must be one segment" },
	{ DB P "api_roots:\n  - path: Hub\n    title: T\n", "t.yaml:6: ", "API root path 'Hub'" },
	{ DB P "api_roots:\n  - path: r\n", "t.yaml:6: ", "api root: 'title' is required" },
	/* YAML itself. */
	{ "server: [unclosed\n", "t.yaml:2:", "" },
	{ "a: b\n  c: d\n", "t.yaml:2:", "" },
	{ "key: \"unterminated\n", "t.yaml:", "" },
	{ "a: 1\na: 2\n\tb: 3\n", "t.yaml:3:", "" },
	{ "", "t.yaml:1: ", "the file is empty" },
	{ "# only a comment\n\n", "t.yaml:1: ", "the file is empty" },
};

static void test_errors(void)
{
	size_t failed = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct relto_config *c = (struct relto_config *)&bad; /* must stay untouched */
		char err[RELTO_ERRBUF_SIZE] = "";
		enum relto_err rc = config_load_text("t.yaml", bad[i].text, strlen(bad[i].text), &c, err);
		int ok = rc == RELTO_EINVAL && strncmp(err, bad[i].prefix, strlen(bad[i].prefix)) == 0 &&
		         strstr(err, bad[i].word) != NULL && c == (struct relto_config *)&bad;
		if (!ok) {
			fprintf(stderr, "  case %zu: rc %d: %s\n    want %s...%s\n", i, rc, err, bad[i].prefix,
			        bad[i].word);
			if (rc == RELTO_OK)
				config_free(c);
			failed++;
		}
	}
	CHECK(failed == 0);
}

/* The same collection twice in one API root must be refused just as it is
** across roots (header: "a UUID, unique on the server"). */
static void test_duplicate_collection_same_root(void)
{
	static const char *const texts[] = {
		DB P RC "      - id: " U1 "\n        title: C\n      - id: " U1 "\n        title: D\n",
		DB P RC "      - id: " U1 "\n        title: C\n      - id: 11111111-2222-4333-8444-555555555555\n"
		"        title: D\n",
	};
	for (size_t i = 0; i < 2; i++) {
		struct relto_config *c = NULL;
		char err[RELTO_ERRBUF_SIZE] = "";
		enum relto_err rc = config_load_text("t.yaml", texts[i], strlen(texts[i]), &c, err);
		if (rc == RELTO_OK) {
			fprintf(stderr, "  case %zu: accepted, root 'r' has %zu collections with id %s\n", i,
			        c->roots[0].ncollections, c->roots[0].collections[1].id);
			config_free(c);
		}
		CHECK(rc == RELTO_EINVAL);
		CHECK(strncmp(err, "t.yaml:11: ", 11) == 0);
		CHECK(strstr(err, "is defined twice") != NULL);
	}
}

static void test_load_file(void)
{
	struct relto_config *c = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(config_load_file("/nonexistent/relto.yaml", &c, err) == RELTO_ENOTFOUND);
	CHECK(strstr(err, "/nonexistent/relto.yaml") != NULL);
	CHECK(c == NULL);
}

static void test_lookups(void)
{
	struct relto_config *c;
	char err[RELTO_ERRBUF_SIZE];
	CHECK(load(full, &c, err) == RELTO_OK);
	const struct api_root *hub = config_find_root(c, "hub"), *second = config_find_root(c, "second");
	CHECK(hub == &c->roots[0] && second == &c->roots[1]);
	CHECK(config_find_root(c, "Hub") == NULL && config_find_root(c, "") == NULL);
	CHECK(config_find_root(c, "taxii2") == NULL);

	/* Within a root: by id (any case) or by alias (exact). */
	CHECK(config_find_collection(hub, "intel") == &hub->collections[0]);
	CHECK(config_find_collection(hub, "91a7b528-80eb-42ed-a74d-c6fbd5a26116") == &hub->collections[0]);
	CHECK(config_find_collection(hub, "91A7B528-80EB-42ED-A74D-C6FBD5A26116") == &hub->collections[0]);
	CHECK(config_find_collection(hub, U1) == &hub->collections[1]);
	CHECK(config_find_collection(hub, "INTEL") == NULL);
	CHECK(config_find_collection(hub, "AAAAAAAA-2222-4333-8444-666666666666") == NULL);
	CHECK(config_find_collection(second, "aaaaaaaa-2222-4333-8444-666666666666") == &second->collections[0]);
	CHECK(config_find_collection(second, "intel") == &second->collections[0]); /* aliases are per root */

	/* Across roots. */
	const struct api_root *where = NULL;
	CHECK(config_find_collection_any(c, "aaaaaaaa-2222-4333-8444-666666666666", &where) == &second->collections[0]);
	CHECK(where == second);
	CHECK(config_find_collection_any(c, U1, &where) == &hub->collections[1] && where == hub);
	CHECK(config_find_collection_any(c, "intel", NULL) == &hub->collections[0]); /* first root wins */
	where = hub;
	CHECK(config_find_collection_any(c, "11111111-2222-4333-8444-000000000000", &where) == NULL);
	CHECK(where == hub); /* untouched when absent */

	CHECK(config_find_partner(c, "usa") == 0 && config_find_partner(c, "kor") == 1);
	CHECK(config_find_partner(c, "gbr_2-x") == 2);
	CHECK(config_find_partner(c, "USA") == -1 && config_find_partner(c, "us") == -1);
	CHECK(config_find_partner(c, "") == -1);
	config_free(c);
}

static void test_is_uuid(void)
{
	CHECK(config_is_uuid(U1));
	CHECK(config_is_uuid("91A7B528-80eb-42ED-a74d-C6FBD5A26116"));
	CHECK(config_is_uuid("00000000-0000-0000-0000-000000000000"));
	CHECK(!config_is_uuid(""));
	CHECK(!config_is_uuid("11111111-2222-4333-8444-55555555555"));
	CHECK(!config_is_uuid("11111111-2222-4333-8444-5555555555555"));
	CHECK(!config_is_uuid("111111112-222-4333-8444-555555555555"));
	CHECK(!config_is_uuid("11111111-2222-4333-8444-55555555555g"));
	CHECK(!config_is_uuid("{1111111-2222-4333-8444-555555555555"));
	CHECK(!config_is_uuid("11111111-2222-4333-8444_555555555555"));
	CHECK(!config_is_uuid("indicator--11111111-2222-4333-8444-555555555555"));
}

/* yconf directly: lines, kinds, missing nodes. */
static void test_yconf(void)
{
	const char *text = "a: 1\nlist:\n  - x\n  - y\nmap:\n  k: v\n";
	struct yconf *y = NULL;
	char err[RELTO_ERRBUF_SIZE] = "";
	CHECK(yconf_load("y.yaml", text, strlen(text), &y, err) == RELTO_OK);
	int root = yconf_root(y);
	CHECK(yconf_is_map(y, root) && !yconf_is_seq(y, root));
	CHECK_STR(yconf_name(y), "y.yaml");
	CHECK_STR(yconf_str(y, yconf_get(y, root, "a")), "1");
	CHECK(yconf_line(y, yconf_get(y, root, "a")) == 1);
	int list = yconf_get(y, root, "list");
	CHECK(yconf_is_seq(y, list) && yconf_seq_len(y, list) == 2);
	CHECK_STR(yconf_str(y, yconf_seq_at(y, list, 1)), "y");
	CHECK(yconf_line(y, yconf_seq_at(y, list, 1)) == 4);
	CHECK(yconf_seq_at(y, list, 2) == 0);
	CHECK(yconf_str(y, list) == NULL);
	int map = yconf_get(y, root, "map");
	CHECK(yconf_get(y, map, "k") && yconf_get(y, map, "missing") == 0);
	CHECK(yconf_get(y, list, "k") == 0 && yconf_seq_len(y, map) == 0);
	CHECK(yconf_line(y, 0) == 0 && yconf_str(y, 0) == NULL && !yconf_is_map(y, 0));
	CHECK(yconf_error(y, yconf_get(y, map, "k"), err, RELTO_ENOTFOUND, "x=%d", 5) == RELTO_ENOTFOUND);
	CHECK_STR(err, "y.yaml:6: x=5");
	yconf_free(y);
	yconf_free(NULL);
}

int main(void)
{
	RUN(test_full);
	RUN(test_defaults);
	RUN(test_audit_paths);
	RUN(test_listen_forms);
	RUN(test_page_size_rules);
	RUN(test_errors);
	RUN(test_duplicate_collection_same_root);
	RUN(test_load_file);
	RUN(test_lookups);
	RUN(test_is_uuid);
	RUN(test_yconf);
	return TEST_DONE();
}
