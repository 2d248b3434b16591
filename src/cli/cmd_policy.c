/*
** cmd_policy.c: `relto policy check|test|explain`: the policy author's
** tools.  check reads a policy and lists every error; test runs the
** expected decisions written next to it; explain says what one partner
** receives of one stored object, and why.
*/
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "../store/store.h"
#include "../config/config.h"
#include "../policy/policy.h"
#include "../posture/posture.h"
#include "../release/release.h"
#include "../release/rules.h"
#include "../util/buf.h"

static const char policy_usage[] =
	"usage: relto policy check POLICY\n"
	"       relto policy test POLICY [TESTS] --posture FILE\n"
	"       relto policy explain --partner ID --object ID (-c CONFIG | --demo [--db PATH])\n"
	"       relto policy apply FILE --author NAME --reason TEXT (-c CONFIG | --demo [--db PATH]) [--json]\n"
	"       relto policy log|show [VERSION]|diff V1 V2 (-c CONFIG | --demo [--db PATH] | --db PATH)\n"
	"check:   print every error in POLICY as file:line:col: message (exit 2 if any).\n"
	"test:    run the expectations in TESTS (default POLICY.test) against POLICY and\n"
	"         the posture FILE; exit 1 if any fails.  Format: docs/policy.md.\n"
	"explain: what partner ID receives of the stored object ID, and every reason,\n"
	"         with the rules in force (stored versions win over the configured files).\n"
	"apply:   check FILE, keep it as the next policy version, print the impact report.\n"
	"log, show, diff: the stored versions (0 is the configured file); docs/admin.md.\n";

static int usage(int ok)
{
	fputs(policy_usage, ok ? stdout : stderr);
	return ok ? 0 : EXIT_USAGE;
}

static int check(const char *path)
{
	struct buf text, diag;
	char err[RELTO_ERRBUF_SIZE] = "";
	buf_init(&text, 16u << 20);
	buf_init(&diag, 1u << 20);
	int errors = 0;
	enum relto_err rc = buf_read_file(&text, path, err);
	if (!rc)
		rc = policy_check(path, text.data ? text.data : "", text.len, &diag, &errors);
	if (err[0])
		fprintf(stderr, "%s\n", err);
	if (diag.len)
		fputs(diag.data, stderr);
	if (!rc)
		printf("%s: ok\n", path);
	buf_free(&text);
	buf_free(&diag);
	return rc ? EXIT_USAGE : 0;
}

static int test(const char *policy_path, const char *tests_path, const char *posture_path)
{
	char err[RELTO_ERRBUF_SIZE] = "", deflt[4096];
	if (!tests_path) {
		snprintf(deflt, sizeof(deflt), "%s.test", policy_path);
		tests_path = deflt;
	}
	struct rules *rules = NULL;
	struct buf text, report;
	buf_init(&text, 16u << 20);
	buf_init(&report, 16u << 20);
	int failures = 0;
	enum relto_err rc = rules_from_files(policy_path, posture_path, &rules, err);
	if (!rc)
		rc = buf_read_file(&text, tests_path, err);
	if (!rc)
		rc = policy_test_run(rules->policy, rules->posture, tests_path, text.data ? text.data : "", text.len,
		                     &report, &failures, err);
	if (report.len)
		fputs(report.data, stdout);
	if (rc)
		fprintf(stderr, "%s\n", err);
	rules_free(rules);
	buf_free(&text);
	buf_free(&report);
	return rc ? EXIT_USAGE : failures ? 1 : 0;
}

struct found {
	struct release *rl;
	struct store_conn *c;
	const struct relto_config *cfg;
	const char *partner;
	struct buf *out;
	int n;
	char *err;
};

static enum relto_err explain_one(void *ctx, int64_t coll, const char *posted_by, const char *raw, size_t len)
{
	struct found *f = ctx;
	int p = config_find_partner(f->cfg, f->partner);
	for (size_t i = 0; i < f->cfg->nroots; i++)
		for (size_t j = 0; j < f->cfg->roots[i].ncollections; j++) {
			const struct collection *col = &f->cfg->roots[i].collections[j];
			if (col->store_id != coll)
				continue;
			f->n++;
			enum relto_err rc = release_explain(f->rl, f->c, f->partner, col, raw, len, posted_by, f->out, f->err);
			if (!rc && p >= 0 && !col->can_read[p])
				rc = buf_printf(f->out, "note: %s may not read collection %s at all\n", f->partner, col->id);
			if (!rc)
				rc = buf_putc(f->out, '\n');
			if (rc)
				return rc;
		}
	return RELTO_OK;
}

static int explain(const char *config, int demo, const char *db, const char *partner, const char *object)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	struct relto_config *cfg = NULL;
	struct rules *files = NULL, *rules = NULL;
	enum relto_err rc;
	if (demo) {
		rc = cli_demo_rules(db ? db : "relto-demo.db", &cfg, &files, err);
	} else if (!(rc = config_load_file(config, &cfg, err))) {
		if (!cfg->policy)
			rc = relto_seterr(err, RELTO_EINVAL, "%s names no policy and posture", config);
		else
			rc = rules_from_files(cfg->policy, cfg->posture, &files, err);
	}
	if (rc) {
		fprintf(stderr, "relto policy explain: %s\n", err);
		config_free(cfg);
		return EXIT_USAGE;
	}
	struct store *st = NULL;
	struct store_conn *c = NULL;
	struct release *rl = NULL;
	struct buf out;
	buf_init(&out, 1u << 20);
	struct found f = {.cfg = cfg, .partner = partner, .out = &out, .err = err};
	rc = store_open(cfg->database, &st, err);
	if (!rc)
		rc = store_conn_get(st, &c, err);
	if (!rc)
		rc = server_map_collections(cfg, c, err);
	if (!rc) /* the rules in force: stored versions win over the files */
		rc = rules_current(c, files, &rules, err);
	if (!rc)
		rc = release_new(cfg, rules->policy, rules->posture, c, &rl, err);
	f.rl = rl;
	f.c = c;
	if (!rc)
		rc = store_find_object(c, object, explain_one, &f, err);
	if (!rc && !f.n) {
		char shown[1024];
		store_url_shown(cfg->database, shown, sizeof(shown)); /* never a password */
		rc = relto_seterr(err, RELTO_ENOTFOUND, "no object %s in %s", object, shown);
	}
	if (out.len)
		fputs(out.data, stdout);
	if (rc)
		fprintf(stderr, "relto policy explain: %s\n", err);
	release_free(rl);
	store_conn_put(st, c);
	store_close(st);
	rules_free(rules);
	rules_free(files);
	config_free(cfg);
	buf_free(&out);
	return rc ? cli_exit_code(rc) : 0;
}

int cmd_policy(int argc, char **argv)
{
	static const struct option opts[] = {{"posture", required_argument, NULL, 'P'},
	                                     {"partner", required_argument, NULL, 'p'},
	                                     {"object", required_argument, NULL, 'o'},
	                                     {"config", required_argument, NULL, 'c'},
	                                     {"demo", no_argument, NULL, 'D'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0, 0, 0, 0}};
	const char *posture = NULL, *partner = NULL, *object = NULL, *config = NULL, *db = NULL;
	int demo = 0, c;
	if (argc < 2)
		return usage(0);
	const char *verb = argv[1];
	if (strcmp(verb, "apply") == 0 || strcmp(verb, "log") == 0 || strcmp(verb, "show") == 0 ||
	    strcmp(verb, "diff") == 0)
		return cli_policy_rules(argc, argv);
	optind = 2;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'P': posture = optarg; break;
		case 'p': partner = optarg; break;
		case 'o': object = optarg; break;
		case 'c': config = optarg; break;
		case 'D': demo = 1; break;
		case 'd': db = optarg; break;
		case 'h': return usage(1);
		default: return usage(0);
		}
	}
	int nargs = argc - optind;
	if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0)
		return usage(1);
	if (strcmp(verb, "check") == 0 && nargs == 1)
		return check(argv[optind]);
	if (strcmp(verb, "test") == 0 && (nargs == 1 || nargs == 2) && posture)
		return test(argv[optind], nargs == 2 ? argv[optind + 1] : NULL, posture);
	if (strcmp(verb, "explain") == 0 && !nargs && partner && object && (!config != !demo))
		return explain(config, demo, db, partner, object);
	return usage(0);
}
