/*
** cmd_rules.c: the commands that read and change the releasability rules
** kept in the store (docs/admin.md): `relto posture import|change|log|
** show|diff`, `relto policy apply|log|show|diff` and `relto whatif`.
** They work on the store directly; a server running on the same store
** applies a committed change before the next request it starts.
*/
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "../admin/admin.h"
#include "../admin/change.h"
#include "../admin/diff.h"
#include "../posture/posture.h"
#include "../util/buf.h"
#include "../util/ts.h"

static const char posture_usage[] =
	"usage: relto posture change CHANGE... --author NAME --reason TEXT (-c CONFIG | --demo [--db PATH]) [--json]\n"
	"       relto posture import FILE --author NAME --reason TEXT (-c CONFIG | --demo [--db PATH] | --db PATH)\n"
	"       relto posture log|show [VERSION]|diff V1 V2 (-c CONFIG | --demo [--db PATH] | --db PATH)\n"
	"change: apply CHANGEs to the posture in force and keep the result as the next version;\n"
	"        prints the version and the impact report (what each partner gains and loses).\n"
	"import: check FILE (docs/posture.md) and keep it as the next version.\n"
	"log:    every stored version: number, time, author, reason.\n"
	"show:   print a version (default: the one in force; 0: the configured file).\n"
	"diff:   what changed between two versions.\n"
	"CHANGE: --remove-equipment PARTNER/OPERATOR/SEGMENT/VENDOR\n"
	"        --add-equipment PARTNER/OPERATOR/SEGMENT/VENDOR[@YYYY-MM-DD]\n"
	"        --set-deadline PARTNER/OPERATOR/SEGMENT/VENDOR@(YYYY-MM-DD|none)\n"
	"        --vendor-risk VENDOR=RISK     --changes FILE (a JSON list of operations)\n"
	"Any error refuses the whole change; nothing is stored.  docs/admin.md has the details.\n";

static const char policy_rules_usage[] =
	"usage: relto policy apply FILE --author NAME --reason TEXT (-c CONFIG | --demo [--db PATH]) [--json]\n"
	"       relto policy log|show [VERSION]|diff V1 V2 (-c CONFIG | --demo [--db PATH] | --db PATH)\n"
	"apply: check FILE and keep it as the next policy version; prints the impact report.\n";

static const char whatif_usage[] =
	"usage: relto whatif CHANGE... (-c CONFIG | --demo [--db PATH]) [--json] [--by-set]\n"
	"What would the change do?  The impact report for every partner (objects gained,\n"
	"lost and served differently, by collection, level and rule); nothing is stored.\n"
	"CHANGE: the posture changes of `relto posture change`, and\n"
	"        --posture FILE (replace the posture)   --policy FILE (replace the policy)\n"
	"--by-set: count by marking set (fast at any size; does not follow references).\n"
	"--json:   the report as JSON (docs/admin.md).\n";

struct opts {
	const char *usage;
	const char *config, *db, *author, *reason, *posture_file, *policy_file;
	int demo, json, by_set;
	json_t *changes;
	int nargs;
	char **args;
};

static int usage_of(const struct opts *o, int ok)
{
	fputs(o->usage, ok ? stdout : stderr);
	return ok ? 0 : EXIT_USAGE;
}

/* Parse argv from index `first`; returns -1 when parsed, else an exit status. */
static int parse(struct opts *o, int argc, char **argv, int first)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},   {"demo", no_argument, NULL, 'D'},
		{"db", required_argument, NULL, 'd'},       {"author", required_argument, NULL, 'a'},
		{"reason", required_argument, NULL, 'r'},   {"json", no_argument, NULL, 'j'},
		{"by-set", no_argument, NULL, 'b'},         {"posture", required_argument, NULL, 'P'},
		{"policy", required_argument, NULL, 'L'},   {"changes", required_argument, NULL, 'C'},
		{"remove-equipment", required_argument, NULL, 1}, {"add-equipment", required_argument, NULL, 2},
		{"set-deadline", required_argument, NULL, 3},     {"vendor-risk", required_argument, NULL, 4},
		{"help", no_argument, NULL, 'h'},           {0, 0, 0, 0}};
	static const char *const flags[] = {"", "remove-equipment", "add-equipment", "set-deadline", "vendor-risk"};
	char err[RELTO_ERRBUF_SIZE] = "";
	int c;
	optind = first;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'D': o->demo = 1; break;
		case 'd': o->db = optarg; break;
		case 'a': o->author = optarg; break;
		case 'r': o->reason = optarg; break;
		case 'j': o->json = 1; break;
		case 'b': o->by_set = 1; break;
		case 'P': o->posture_file = optarg; break;
		case 'L': o->policy_file = optarg; break;
		case 'h': return usage_of(o, 1);
		case 'C': {
			json_error_t je;
			json_t *list = json_load_file(optarg, JSON_REJECT_DUPLICATES, &je);
			if (!list || !json_is_array(list)) {
				if (list)
					fprintf(stderr, "%s: expected a JSON list of change operations\n", optarg);
				else
					fprintf(stderr, "%s:%d:%d: %s\n", optarg, je.line, je.column, je.text);
				json_decref(list);
				return EXIT_USAGE;
			}
			json_array_extend(o->changes, list);
			json_decref(list);
			break;
		}
		case 1: case 2: case 3: case 4:
			if (admin_change_from_flag(flags[c], optarg, o->changes, err)) {
				fprintf(stderr, "%s\n", err);
				return EXIT_USAGE;
			}
			break;
		default: return usage_of(o, 0);
		}
	}
	o->nargs = argc - optind;
	o->args = argv + optind;
	return -1;
}

/* ---- reading versions ---- */

static enum relto_err print_version(void *ctx, const struct store_rules *r)
{
	char when[TS_BUFSIZE];
	(void)ctx;
	printf("v%-4lld %s  %-16s %s\n", (long long)r->version, ts_format(r->at, when), r->author, r->reason);
	return RELTO_OK;
}

static int parse_version(const char *s, int64_t *v)
{
	char *end;
	long long n = strtoll(s, &end, 10);
	if (!*s || *end || n < 0) {
		fprintf(stderr, "relto: '%s' is not a version number\n", s);
		return EXIT_USAGE;
	}
	*v = n;
	return -1;
}

static int read_verb(const char *verb, enum rules_kind k, const struct opts *o)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	struct cli_hub h;
	int64_t v1 = 0, v2 = 0;
	int st = -1;
	if (strcmp(verb, "log") == 0 && o->nargs != 0)
		return usage_of(o, 0);
	if (strcmp(verb, "show") == 0 && (o->nargs > 1 || (o->nargs == 1 && (st = parse_version(o->args[0], &v1)) >= 0)))
		return st >= 0 ? st : usage_of(o, 0);
	if (strcmp(verb, "diff") == 0 &&
	    (o->nargs != 2 || (st = parse_version(o->args[0], &v1)) >= 0 || (st = parse_version(o->args[1], &v2)) >= 0))
		return st >= 0 ? st : usage_of(o, 0);
	enum relto_err rc = cli_hub_open(o->config, o->demo, o->db, 0, &h, err);
	if (rc) {
		fprintf(stderr, "relto %s %s: %s\n", rules_kind_name(k), verb, err);
		return cli_exit_code(rc);
	}
	struct buf out;
	buf_init(&out, 64u << 20);
	if (strcmp(verb, "log") == 0) {
		rc = store_rules_log(h.c, rules_kind_name(k), print_version, NULL, err);
	} else if (strcmp(verb, "show") == 0) {
		struct store_rules r = {0};
		struct rules *cur = NULL;
		/* No version: the one in force (a stored one wins over the file). */
		if (o->nargs == 0 && h.files && !(rc = rules_current(h.c, h.files, &cur, err)))
			v1 = cur->doc[k].version;
		else if (o->nargs == 0 && !h.files) {
			struct store_heads heads;
			if (!(rc = store_heads(h.c, &heads, err)))
				v1 = k == RULES_POLICY ? heads.policy : heads.posture;
		}
		rules_free(cur);
		if (!rc)
			rc = rules_version(h.c, h.files, k, v1, &r, err);
		if (!rc)
			rc = buf_puts(&out, r.body);
		store_rules_clear(&r);
	} else {
		struct store_rules a = {0}, b = {0};
		rc = rules_version(h.c, h.files, k, v1, &a, err);
		if (!rc)
			rc = rules_version(h.c, h.files, k, v2, &b, err);
		if (!rc && k == RULES_POSTURE)
			rc = admin_posture_diff(a.body, strlen(a.body), b.body, strlen(b.body), &out, err);
		else if (!rc)
			rc = admin_text_diff(a.body, strlen(a.body), b.body, strlen(b.body), &out);
		if (!rc && !out.len)
			rc = buf_printf(&out, "versions %lld and %lld are the same\n", (long long)v1, (long long)v2);
		store_rules_clear(&a);
		store_rules_clear(&b);
	}
	if (out.len)
		fwrite(out.data, 1, out.len, stdout);
	if (rc)
		fprintf(stderr, "relto %s %s: %s\n", rules_kind_name(k), verb, err);
	buf_free(&out);
	cli_hub_close(&h);
	return rc ? (rc == RELTO_ENOTFOUND ? 1 : cli_exit_code(rc)) : 0;
}

/* ---- changing ---- */

static int print_report(const struct impact_report *r, int json)
{
	struct buf out;
	buf_init(&out, 256u << 20);
	enum relto_err rc = json ? impact_json(r, &out) : impact_table(r, &out);
	if (!rc && json)
		rc = buf_putc(&out, '\n');
	if (!rc)
		fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	return rc ? 1 : 0;
}

static enum relto_err read_text(const char *path, char **text, size_t *len, char *err)
{
	struct buf b;
	buf_init(&b, 16u << 20);
	enum relto_err rc = buf_read_file(&b, path, err);
	if (!rc && !b.data)
		rc = buf_puts(&b, "");
	if (rc) {
		buf_free(&b);
		return rc;
	}
	*len = b.len;
	*text = buf_steal(&b);
	return RELTO_OK;
}

/* The new documents the options ask for, against the rules in force:
** texts[k] NULL when document k stays.  The caller frees texts[]. */
static enum relto_err proposed(const struct opts *o, const struct rules *cur, char *texts[2], size_t lens[2],
                               char *err)
{
	enum relto_err rc = RELTO_OK;
	if (o->policy_file)
		rc = read_text(o->policy_file, &texts[RULES_POLICY], &lens[RULES_POLICY], err);
	if (!rc && o->posture_file)
		rc = read_text(o->posture_file, &texts[RULES_POSTURE], &lens[RULES_POSTURE], err);
	if (!rc && json_array_size(o->changes)) {
		const char *base = texts[RULES_POSTURE] ? texts[RULES_POSTURE] : cur->doc[RULES_POSTURE].text;
		size_t blen = texts[RULES_POSTURE] ? lens[RULES_POSTURE] : cur->doc[RULES_POSTURE].len;
		char *changed = NULL;
		rc = admin_posture_change(base, blen, o->changes, &changed, err);
		if (!rc) {
			free(texts[RULES_POSTURE]);
			texts[RULES_POSTURE] = changed;
			lens[RULES_POSTURE] = strlen(changed);
		}
	}
	if (!rc && !texts[0] && !texts[1])
		rc = relto_seterr(err, RELTO_EINVAL, "no change given");
	return rc;
}

/* whatif (commit 0) or change/import/apply (commit 1). */
static int change_verb(const char *what, const struct opts *o, int commit)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	if (commit && (!o->author || !*o->author || !o->reason || !*o->reason)) {
		fprintf(stderr, "relto %s: --author and --reason are required\n", what);
		return EXIT_USAGE;
	}
	struct cli_hub h;
	enum relto_err rc = cli_hub_open(o->config, o->demo, o->db, 1, &h, err);
	if (rc) {
		fprintf(stderr, "relto %s: %s\n", what, err);
		return cli_exit_code(rc);
	}
	struct rules *cur = NULL, *next = NULL;
	struct impact_report *impact = NULL;
	char *texts[2] = {NULL, NULL};
	size_t lens[2] = {0, 0};
	rc = rules_current(h.c, h.files, &cur, err);
	if (!rc)
		rc = proposed(o, cur, texts, lens, err);
	if (!rc)
		rc = admin_prepare(h.cfg, h.c, cur, (const char *const *)texts, lens, !o->by_set, &next, &impact, err);
	if (!rc && commit)
		rc = admin_commit(h.c, cur, next, impact, o->author, o->reason, err);
	int status = rc ? cli_exit_code(rc) : 0;
	if (rc) {
		fprintf(stderr, "relto %s: %s\n", what, err);
	} else {
		for (int k = 0; commit && k < 2; k++)
			if (texts[k] && !o->json)
				printf("%s version %lld stored (%s: %s)\n", rules_kind_name((enum rules_kind)k),
				       (long long)next->doc[k].version, o->author, o->reason);
		for (int k = 0; commit && k < 2; k++)
			if (texts[k])
				cli_audit_admin(&h, k == RULES_POLICY ? "policy.apply" : strcmp(what, "posture import") == 0
				                ? "posture.import" : "posture.change", "", o->author, next->doc[k].version, o->reason,
				                next->doc[k].text);
		status = print_report(impact, o->json);
	}
	free(texts[0]);
	free(texts[1]);
	impact_free(impact);
	rules_free(next);
	rules_free(cur);
	cli_hub_close(&h);
	return status;
}

/* `relto posture import FILE --db PATH`: no configuration, so no rules
** to compare with: check the file and store it. */
static int import_bare(const struct opts *o)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	struct cli_hub h;
	char *text = NULL;
	size_t len = 0;
	struct posture *pos = NULL;
	int64_t version = 0;
	enum relto_err rc = cli_hub_open(o->config, o->demo, o->db, 0, &h, err);
	if (!rc)
		rc = read_text(o->args[0], &text, &len, err);
	if (!rc)
		rc = posture_load(o->args[0], text, len, &pos, err);
	if (!rc)
		rc = store_rules_put(h.c, "posture", o->author, o->reason, text, -1, &version, err);
	if (rc)
		fprintf(stderr, "relto posture import: %s\n", err);
	else
		printf("posture version %lld stored (%s: %s)\n", (long long)version, o->author, o->reason);
	if (!rc)
		cli_audit_admin(&h, "posture.import", "", o->author, version, o->reason, text);
	posture_free(pos);
	free(text);
	if (h.st)
		cli_hub_close(&h);
	return rc ? cli_exit_code(rc) : 0;
}

static int run_rules(enum rules_kind k, int argc, char **argv, struct opts *o)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage_of(o, argc >= 2);
	const char *verb = argv[1];
	int st = parse(o, argc, argv, 2);
	if (st >= 0)
		return st;
	if (strcmp(verb, "log") == 0 || strcmp(verb, "show") == 0 || strcmp(verb, "diff") == 0)
		return read_verb(verb, k, o);
	if (o->posture_file || o->policy_file || (k == RULES_POLICY && json_array_size(o->changes)))
		return usage_of(o, 0);
	if (k == RULES_POSTURE && strcmp(verb, "change") == 0 && !o->nargs)
		return json_array_size(o->changes) ? change_verb("posture change", o, 1) : usage_of(o, 0);
	if (json_array_size(o->changes) || o->nargs != 1)
		return usage_of(o, 0);
	if (k == RULES_POSTURE && strcmp(verb, "import") == 0) {
		if (!o->config && !o->demo) {
			if (!o->author || !*o->author || !o->reason || !*o->reason)
				return usage_of(o, 0);
			return import_bare(o);
		}
		o->posture_file = o->args[0];
		return change_verb("posture import", o, 1);
	}
	if (k == RULES_POLICY && strcmp(verb, "apply") == 0) {
		o->policy_file = o->args[0];
		return change_verb("policy apply", o, 1);
	}
	return usage_of(o, 0);
}

int cmd_posture(int argc, char **argv)
{
	struct opts o = {.usage = posture_usage, .changes = json_array()};
	int st = o.changes ? run_rules(RULES_POSTURE, argc, argv, &o) : 1;
	json_decref(o.changes);
	return st;
}

int cli_policy_rules(int argc, char **argv)
{
	struct opts o = {.usage = policy_rules_usage, .changes = json_array()};
	int st = o.changes ? run_rules(RULES_POLICY, argc, argv, &o) : 1;
	json_decref(o.changes);
	return st;
}

int cmd_whatif(int argc, char **argv)
{
	struct opts o = {.usage = whatif_usage, .changes = json_array()};
	int st = o.changes ? parse(&o, argc, argv, 1) : 1;
	if (st < 0)
		st = o.nargs || o.author || o.reason ? usage_of(&o, 0) : change_verb("whatif", &o, 0);
	json_decref(o.changes);
	return st;
}
