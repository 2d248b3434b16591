/*
** cmd_posture.c: `relto posture import|log|show`: the posture kept in the
** store, one version per change, each with its author, time and reason.
** A running server applies a new version within two seconds (its
** periodic refresh), and a stored posture wins over the configured file.
*/
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "../config/config.h"
#include "../posture/posture.h"
#include "../util/buf.h"
#include "../util/ts.h"

static const char posture_usage[] =
	"usage: relto posture import FILE --author NAME --reason TEXT (-c CONFIG | --db PATH)\n"
	"       relto posture log (-c CONFIG | --db PATH)\n"
	"       relto posture show [VERSION] (-c CONFIG | --db PATH)\n"
	"import: check FILE (docs/posture.md) and keep it as the next posture version;\n"
	"        a file with any error is refused (file:line:col: message) and nothing changes.\n"
	"log:    every version: number, time, author, reason.\n"
	"show:   print a version (default: the latest).\n"
	"The store is the configuration's database, or PATH (the demo's is relto-demo.db).\n";

static int usage(int ok)
{
	fputs(posture_usage, ok ? stdout : stderr);
	return ok ? 0 : EXIT_USAGE;
}

static enum relto_err print_version(void *ctx, const struct store_rules *r)
{
	char when[TS_BUFSIZE];
	(void)ctx;
	printf("v%-4lld %s  %-16s %s\n", (long long)r->version, ts_format(r->at, when), r->author, r->reason);
	return RELTO_OK;
}

static int import(struct store_conn *c, const char *file, const char *author, const char *reason)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	struct buf text;
	buf_init(&text, 16u << 20);
	struct posture *pos = NULL;
	int64_t version = 0;
	enum relto_err rc = buf_read_file(&text, file, err);
	if (!rc)
		rc = posture_load(file, text.data ? text.data : "", text.len, &pos, err);
	if (!rc)
		rc = store_rules_put(c, "posture", author, reason, text.data, &version, err);
	posture_free(pos);
	buf_free(&text);
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return rc == RELTO_EINVAL || rc == RELTO_ENOTFOUND ? EXIT_USAGE : 1;
	}
	printf("posture version %lld stored (%s: %s)\n", (long long)version, author, reason);
	return 0;
}

static int run(const char *verb, struct store_conn *c, int argc, char **argv, const char *author,
               const char *reason)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	if (strcmp(verb, "import") == 0) {
		if (argc != 1 || !author || !reason || !*author || !*reason)
			return usage(0);
		return import(c, argv[0], author, reason);
	}
	if (strcmp(verb, "log") == 0 && argc == 0) {
		enum relto_err rc = store_rules_log(c, "posture", print_version, NULL, err);
		if (rc)
			fprintf(stderr, "relto posture log: %s\n", err);
		return rc ? 1 : 0;
	}
	if (strcmp(verb, "show") == 0 && argc <= 1) {
		struct store_rules r = {0};
		enum relto_err rc = store_rules_get(c, "posture", argc ? strtoll(argv[0], NULL, 10) : 0, &r, err);
		if (!rc)
			fputs(r.body, stdout);
		else
			fprintf(stderr, "relto posture show: %s\n", err);
		store_rules_clear(&r);
		return rc ? 1 : 0;
	}
	return usage(0);
}

int cmd_posture(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"author", required_argument, NULL, 'a'},
	                                     {"reason", required_argument, NULL, 'r'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0, 0, 0, 0}};
	const char *config = NULL, *db = NULL, *author = NULL, *reason = NULL;
	int c;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(argc >= 2);
	const char *verb = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'a': author = optarg; break;
		case 'r': reason = optarg; break;
		case 'h': return usage(1);
		default: return usage(0);
		}
	}
	if (!config == !db)
		return usage(0);
	char err[RELTO_ERRBUF_SIZE] = "";
	struct relto_config *cfg = NULL;
	if (config && config_load_file(config, &cfg, err)) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	struct store *st = NULL;
	struct store_conn *sc = NULL;
	int status = 1;
	enum relto_err rc = store_open(cfg ? cfg->database : db, &st, err);
	if (!rc)
		rc = store_conn_get(st, &sc, err);
	if (rc)
		fprintf(stderr, "relto posture: %s\n", err);
	else
		status = run(verb, sc, argc - optind, argv + optind, author, reason);
	store_conn_put(st, sc);
	store_close(st);
	config_free(cfg);
	return status;
}
