/*
** cmd_audit.c: `relto audit verify|show|export|who-got|pubkey`: checking
** and reading the audit trail (docs/audit.md).  They read the store, so
** they work beside a running server.
*/
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "../audit/audit.h"
#include "../util/ts.h"

static const char audit_usage[] =
	"usage: relto audit verify [--pubkey FILE]... HUB\n"
	"       relto audit show [FILTERS] HUB\n"
	"       relto audit export [FILTERS] HUB\n"
	"       relto audit who-got OBJECT_ID HUB\n"
	"       relto audit pubkey HUB\n"
	"       relto audit keygen HUB\n"
	"HUB:     -c CONFIG | --demo [--db PATH] | --db PATH\n"
	"FILTERS: --partner ID  --object ID  --since TIME  --until TIME\n"
	"         --decision released|withheld|admin  --limit N\n"
	"verify:  check every record, link, released list and checkpoint; exit 0 when\n"
	"         the trail is intact, 1 when not (the first line names the first bad record).\n"
	"         Checkpoints are checked with the --pubkey files given, else with the\n"
	"         server's own key file.\n"
	"show:    one line per record.  export: JSON Lines (docs/audit.md).\n"
	"who-got: every release of OBJECT_ID: time, partner, version, record.\n"
	"pubkey:  print the public key checkpoints are signed with.\n"
	"keygen:  create the signing key (audit.key) if there is none, and print its public\n"
	"         key; for an installation where the server may not write that directory\n"
	"         (run it as root, then give the relto group read access).  Opens no store.\n";

static int usage(int ok)
{
	fputs(audit_usage, ok ? stdout : stderr);
	return ok ? 0 : EXIT_USAGE;
}

struct opts {
	const char *config, *db;
	int demo;
	const char *pubkeys[8];
	int npubkeys;
	struct audit_filter f;
};

/* The key file of the hub: the configuration's, or beside --db. */
static int key_path(const struct cli_hub *h, const struct opts *o, char *out, size_t size)
{
	if (h->cfg)
		return config_audit_key_path(h->cfg, out, size);
	return cli_beside_db(o->db, ".audit-key", out, size);
}

static int fail(const char *what, enum relto_err rc, const char *err)
{
	fprintf(stderr, "relto audit %s: %s\n", what, err[0] ? err : relto_strerror(rc));
	return cli_exit_code(rc);
}

static int verify(struct cli_hub *h, const struct opts *o)
{
	char err[RELTO_ERRBUF_SIZE] = "", path[4096];
	struct audit_key keys[8];
	size_t nkeys = 0;
	enum relto_err rc = RELTO_OK;
	for (int i = 0; i < o->npubkeys && !rc; i++)
		rc = audit_pubkey_load(o->pubkeys[i], &keys[nkeys++], err);
	if (!rc && !o->npubkeys && key_path(h, o, path, sizeof(path))) {
		rc = audit_pubkey_load(path, &keys[0], err);
		if (rc == RELTO_ENOTFOUND) {
			fprintf(stderr, "relto audit verify: no key file %s: checkpoints are checked against the keys they "
			                "name only; give --pubkey FILE\n", path);
			rc = RELTO_OK;
			err[0] = '\0';
		} else if (!rc) {
			nkeys = 1;
		}
	}
	if (rc)
		return fail("verify", rc, err);
	struct buf out;
	buf_init(&out, 1u << 20);
	int64_t bad = 0;
	rc = audit_verify(h->st, keys, nkeys, &out, &bad, err);
	if (!rc)
		fputs(out.data ? out.data : "", stdout);
	buf_free(&out);
	if (rc)
		return fail("verify", rc, err);
	return bad ? 1 : 0;
}

static enum relto_err show_one(void *ctx, int64_t seq, const char *body, const char *list, const char *reasons,
                               const unsigned char hash[AUDIT_HASH_LEN])
{
	(void)ctx;
	(void)list;
	(void)hash;
	json_t *v = json_loads(body, 0, NULL);
	if (!json_is_object(v)) {
		printf("%-6lld (not a relto audit record)\n", (long long)seq);
		json_decref(v);
		return RELTO_OK;
	}
#define S(k) (json_string_value(json_object_get(v, k)) ? json_string_value(json_object_get(v, k)) : "")
	if (strcmp(S("type"), "admin") == 0) {
		printf("%-6lld %s admin  %-8s %s %s version %lld: %s\n", (long long)seq, S("at"), S("partner"), S("action"),
		       S("subject"), (long long)json_integer_value(json_object_get(v, "version")), S("reason"));
	} else {
		const char *q = S("query");
		printf("%-6lld %s %-6s %-8s %s %s%s%s %lld released=%lld", (long long)seq, S("at"), S("type"), S("partner"),
		       S("method"), S("path"), q[0] ? "?" : "", q, (long long)json_integer_value(json_object_get(v, "status")),
		       (long long)json_integer_value(json_object_get(json_object_get(v, "released"), "count")));
		json_t *wh = json_object_get(v, "withheld"), *counts = json_object_get(wh, "counts");
		if (json_is_array(counts)) {
			/* Counts by position in the trail's list of reasons. */
			json_t *texts = reasons ? json_loads(reasons, 0, NULL) : NULL, *n;
			size_t i;
			json_array_foreach(counts, i, n) {
				const char *text = json_string_value(json_array_get(texts, i));
				printf("%s%s: %lld", i ? "; " : " withheld: ", text ? text : "(reason missing from the trail)",
				       (long long)json_integer_value(n));
			}
			json_decref(texts);
		} else {
			const char *reason; /* a record written before reasons were kept once */
			json_t *n;
			int first = 1;
			json_object_foreach(wh, reason, n) {
				printf("%s%s: %lld", first ? " withheld: " : "; ", reason, (long long)json_integer_value(n));
				first = 0;
			}
		}
		putchar('\n');
	}
#undef S
	json_decref(v);
	return RELTO_OK;
}

static enum relto_err export_one(void *ctx, int64_t seq, const char *body, const char *list, const char *reasons,
                                 const unsigned char hash[AUDIT_HASH_LEN])
{
	(void)ctx;
	(void)seq;
	char hex[AUDIT_HASH_LEN * 2 + 1];
	size_t len = strlen(body);
	for (size_t i = 0; i < AUDIT_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
	/* The record's own fields, then its hash, what it released and the
	** texts of the reasons its withheld counts are by. */
	if (len && body[len - 1] == '}')
		len--;
	printf("%.*s,\"hash\":\"%s\"%s%s%s%s}\n", (int)len, body, hex, list ? ",\"objects\":" : "", list ? list : "",
	       reasons ? ",\"withheld_reasons\":" : "", reasons ? reasons : "");
	return ferror(stdout) ? RELTO_EINTERNAL : RELTO_OK;
}

struct who {
	const char *id;
	size_t found;
};

static enum relto_err who_one(void *ctx, int64_t seq, const char *body, const char *list, const char *reasons,
                              const unsigned char hash[AUDIT_HASH_LEN])
{
	struct who *w = ctx;
	(void)hash;
	(void)reasons;
	json_t *v = json_loads(body, 0, NULL), *l = list ? json_loads(list, 0, NULL) : NULL;
	json_t *pair;
	size_t i;
	const char *at = json_string_value(json_object_get(v, "at")), *who = json_string_value(json_object_get(v, "partner"));
	json_array_foreach(l, i, pair) {
		const char *id = json_string_value(json_array_get(pair, 0)), *ver = json_string_value(json_array_get(pair, 1));
		if (id && strcmp(id, w->id) == 0) {
			printf("%s  %-8s version %s  (record %lld, %s)\n", at ? at : "?", who ? who : "?", ver ? ver : "?",
			       (long long)seq, json_string_value(json_object_get(v, "path")) ? json_string_value(json_object_get(v, "path")) : "");
			w->found++;
		}
	}
	json_decref(l);
	json_decref(v);
	return RELTO_OK;
}

/* `relto audit keygen`: the configuration only, never the store (run as
** root, opening the store would create root-owned files). */
static int keygen(const struct opts *o)
{
	char err[RELTO_ERRBUF_SIZE] = "", path[4096], text[100];
	struct relto_config *cfg = NULL;
	enum relto_err rc = RELTO_OK;
	int n;
	if (!!o->config + !!o->db + (o->demo && !o->db) != 1) {
		fputs("relto audit keygen: give -c CONFIG, --demo [--db PATH] or --db PATH\n", stderr);
		return EXIT_USAGE;
	}
	if (o->config)
		rc = config_load_file(o->config, &cfg, err);
	if (!rc)
		n = cfg ? config_audit_key_path(cfg, path, sizeof(path))
		        : cli_beside_db(o->db ? o->db : "relto-demo.db", ".audit-key", path, sizeof(path));
	if (!rc && !n)
		rc = relto_seterr(err, RELTO_EINVAL, "audit.key: set it (the database is not a file beside which the key "
		                                     "could be kept), or the path is too long");
	int existed = !rc && access(path, F_OK) == 0;
	struct audit_key k;
	if (!rc)
		rc = audit_key_load(path, 1, &k, err);
	config_free(cfg);
	if (rc)
		return fail("keygen", rc, err);
	audit_pubkey_text(&k, text, sizeof(text));
	audit_key_wipe(&k);
	fputs(text, stdout);
	fprintf(stderr, "relto audit keygen: %s %s (mode 0600: give the server's user read access)\n", path,
	        existed ? "exists already" : "created");
	return 0;
}

int cmd_audit(int argc, char **argv)
{
	if (argc < 2)
		return usage(0);
	const char *sub = argv[1];
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)
		return usage(1);
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"demo", no_argument, NULL, 'D'},
		{"db", required_argument, NULL, 'd'},     {"pubkey", required_argument, NULL, 'k'},
		{"partner", required_argument, NULL, 'p'}, {"object", required_argument, NULL, 'o'},
		{"since", required_argument, NULL, 's'},  {"until", required_argument, NULL, 'u'},
		{"decision", required_argument, NULL, 'x'}, {"limit", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	char err[RELTO_ERRBUF_SIZE] = "";
	int c;
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o.config = optarg; break;
		case 'D': o.demo = 1; break;
		case 'd': o.db = optarg; break;
		case 'k':
			if (o.npubkeys == 8) {
				fputs("relto audit: at most 8 --pubkey files\n", stderr);
				return EXIT_USAGE;
			}
			o.pubkeys[o.npubkeys++] = optarg;
			break;
		case 'p': o.f.partner = optarg; break;
		case 'o': o.f.object = optarg; break;
		case 's':
		case 'u':
			if (ts_parse(optarg, strlen(optarg), c == 's' ? &o.f.since : &o.f.until, err)) {
				fprintf(stderr, "relto audit: --%s: %s\n", c == 's' ? "since" : "until", err);
				return EXIT_USAGE;
			}
			break;
		case 'x': o.f.decision = optarg; break;
		case 'l': o.f.limit = strtoll(optarg, NULL, 10); break;
		case 'h': return usage(1);
		default: return usage(0);
		}
	}
	int rest = argc - 1 - optind;
	char **args = argv + 1 + optind;
	int who_got = strcmp(sub, "who-got") == 0;
	if (rest != who_got)
		return usage(0);
	if (who_got)
		o.f.object = args[0];
	if (strcmp(sub, "verify") && strcmp(sub, "show") && strcmp(sub, "export") && !who_got &&
	    strcmp(sub, "pubkey") && strcmp(sub, "keygen"))
		return usage(0);
	if (strcmp(sub, "keygen") == 0)
		return keygen(&o);
	if (o.f.decision && strcmp(o.f.decision, "released") && strcmp(o.f.decision, "withheld") &&
	    strcmp(o.f.decision, "admin")) {
		fprintf(stderr, "relto audit: --decision: expected released, withheld or admin, not '%s'\n", o.f.decision);
		return EXIT_USAGE;
	}
	struct cli_hub h;
	enum relto_err rc = cli_hub_open(o.config, o.demo, o.db, 0, &h, err);
	if (rc) {
		fprintf(stderr, "relto audit: %s\n", err);
		return rc == RELTO_EINVAL ? EXIT_USAGE : cli_exit_code(rc);
	}
	/* Journals left by servers that died hold records of answers they
	** sent: they belong in the trail before it is read. */
	char prefix[4096];
	int have_prefix = h.cfg ? config_audit_journal_prefix(h.cfg, prefix, sizeof(prefix))
	                        : cli_beside_db(o.db, ".audit-journal-", prefix, sizeof(prefix));
	size_t recovered = 0;
	if (have_prefix && strcmp(sub, "pubkey") != 0 && (rc = audit_recover(h.st, prefix, &recovered, err))) {
		fprintf(stderr, "relto audit: %s\n", err);
		cli_hub_close(&h);
		return cli_exit_code(rc);
	}
	if (recovered)
		fprintf(stderr, "relto audit: moved %zu journal%s left by a server that stopped into the trail\n", recovered,
		        recovered == 1 ? "" : "s");
	int status = 0;
	if (strcmp(sub, "verify") == 0) {
		status = verify(&h, &o);
	} else if (strcmp(sub, "pubkey") == 0) {
		char path[4096], text[100];
		struct audit_key k;
		rc = key_path(&h, &o, path, sizeof(path)) ? audit_pubkey_load(path, &k, err) : RELTO_EINVAL;
		if (!rc) {
			audit_pubkey_text(&k, text, sizeof(text));
			fputs(text, stdout);
		}
		status = rc ? fail("pubkey", rc, err) : 0;
	} else if (who_got) {
		struct who w = {.id = o.f.object};
		rc = audit_each(h.st, &o.f, who_one, &w, err);
		if (!rc && !w.found)
			fprintf(stderr, "relto audit who-got: no release of %s in the trail\n", w.id);
		status = rc ? fail("who-got", rc, err) : 0;
	} else {
		int show = strcmp(sub, "show") == 0;
		rc = audit_each(h.st, &o.f, show ? show_one : export_one, NULL, err);
		status = rc ? fail(sub, rc, err) : 0;
	}
	cli_hub_close(&h);
	return status;
}
