/*
** cmd_serve.c: `relto serve -c FILE`: run the server from a config file.
*/
#include <getopt.h>
#include <stdio.h>
#include "cli.h"
#include "../store/store.h"
#include "../release/rules.h"
#include "../util/log.h"

static const char serve_usage[] =
	"usage: relto serve -c FILE [--quiet]\n"
	"Run the TAXII 2.1 server described by the configuration FILE\n"
	"(docs/configuration.md).  A configuration with any error is refused\n"
	"with file:line: message and exit status 2.  Stops on SIGINT or SIGTERM.\n"
	"  -c, --config FILE   the configuration file (required)\n"
	"  -q, --quiet         no log line per request\n";

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0, 0, 0, 0}};
	const char *path = NULL;
	int quiet = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:qh", opts, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'q')
			quiet = 1;
		else {
			fputs(serve_usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : EXIT_USAGE;
		}
	}
	if (!path || optind != argc) {
		fputs(serve_usage, stderr);
		return EXIT_USAGE;
	}
	char err[RELTO_ERRBUF_SIZE] = "";
	struct relto_config *cfg = NULL;
	struct store *st = NULL;
	struct server *srv = NULL;
	enum relto_err rc = config_load_file(path, &cfg, err);
	if (!rc && (rc = config_check_serving(cfg, err)))
		config_free(cfg);
	if (rc) {
		fprintf(stderr, "%s\n", err);
		return rc == RELTO_ENOTFOUND ? EXIT_USAGE : cli_exit_code(rc);
	}
	struct rules *files = NULL;
	if (cfg->policy && (rc = rules_from_files(cfg->policy, cfg->posture, &files, err))) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
		return EXIT_USAGE;
	}
	cli_block_signals();
	rc = store_open(cfg->database, &st, err);
	if (!rc)
		rc = server_start(cfg, st, files, &srv, err);
	else
		rules_free(files);
	if (rc) {
		fprintf(stderr, "relto serve: %s\n", err);
		store_close(st);
		config_free(cfg);
		return cli_exit_code(rc);
	}
	srv->log_requests = !quiet;
	char shown[1024];
	store_url_shown(cfg->database, shown, sizeof(shown)); /* never a password */
	log_line(LOG_INFO, "msg=\"listening\" url=%s://%s:%u/taxii2/ database=\"%s\"%s",
	         cfg->tls.certificate ? "https" : "http", cfg->listen_host, srv->port, shown,
	         cfg->tls.client_ca ? " client_certificates=requested" : "");
	if (!cfg->policy)
		log_line(LOG_WARN, "msg=\"no policy configured: every reader of a collection receives all of it\"");
	int sig = cli_serve_until_signal(srv);
	log_line(LOG_INFO, "msg=\"stopping\" signal=%d", sig);
	server_stop(srv);
	store_close(st);
	config_free(cfg);
	return 0;
}
