/*
** cmd_db.c: `relto db migrate`: create or bring the store's schema up to
** the version this relto knows (opening a store does the same; this says
** so, and fails when the database is newer), for an operator who wants it
** done before starting servers (several processes on one PostgreSQL
** database: docs/scaling.md).
*/
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "../config/config.h"
#include "../store/store.h"

static int usage(int ok)
{
	fputs("usage: relto db migrate (-c FILE | --db PATH|URL)\n"
	      "Creates the store's tables if the database has none, brings an older\n"
	      "schema up to this relto's version, and prints the version.  A database\n"
	      "whose schema is newer than this relto knows is an error (exit 1).\n",
	      ok ? stdout : stderr);
	return ok ? 0 : EXIT_USAGE;
}

int cmd_db(int argc, char **argv)
{
	if (argc < 2)
		return usage(0);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(1);
	if (strcmp(argv[1], "migrate") != 0) {
		fprintf(stderr, "relto db: unknown subcommand '%s'\n", argv[1]);
		return usage(0);
	}
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *db = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'h': return usage(1);
		default: return usage(0);
		}
	}
	if (optind != argc - 1 || !!config == !!db)
		return usage(0);
	char err[RELTO_ERRBUF_SIZE] = "", shown[1024];
	struct cli_hub h;
	enum relto_err rc = cli_hub_open(config, 0, db, 0, &h, err);
	int64_t version = 0, known = 0;
	if (!rc)
		rc = store_schema(h.c, &version, &known, err);
	if (!rc) {
		store_url_shown(h.cfg ? h.cfg->database : db, shown, sizeof(shown));
		printf("%s: schema version %lld, up to date (this relto's: %lld)\n", shown, (long long)version,
		       (long long)known);
	} else {
		fprintf(stderr, "relto db migrate: %s\n", err);
	}
	cli_hub_close(&h);
	return cli_exit_code(rc);
}
