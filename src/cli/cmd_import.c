/*
** cmd_import.c: `relto import`: load STIX 2.1 bundles or TAXII envelopes
** into a collection through the same validation as POST.
*/
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "../config/config.h"
#include "../ingest/overlay.h"

#define IMPORT_BATCH 5000 /* objects per transaction */
#define SHOW_REJECTS 20   /* reasons printed per file */

struct import_ctx {
	const char *file;
	int quiet, tty;
	size_t shown;
};

static void on_result(void *ctx, size_t index, const char *id, const char *version,
                      enum ingest_outcome outcome, const char *message)
{
	struct import_ctx *ic = ctx;
	if (outcome != INGEST_REJECTED || ic->shown++ >= SHOW_REJECTS)
		return;
	fprintf(stderr, "%s%s: objects[%zu] %s: rejected: %s\n", ic->tty ? "\r\033[K" : "", ic->file, index, id,
	        message);
}

static void on_progress(void *ctx, size_t done, size_t total)
{
	struct import_ctx *ic = ctx;
	if (!ic->tty || ic->quiet || !total)
		return;
	int pct = (int)(done * 100 / total);
	char bar[41];
	memset(bar, '#', (size_t)(pct * 40 / 100));
	memset(bar + pct * 40 / 100, '.', (size_t)(40 - pct * 40 / 100));
	bar[40] = '\0';
	fprintf(stderr, "\r%s [%s] %3d%%", ic->file, bar, pct);
}

static int import_one(struct store_conn *c, int64_t coll, const char *posted_by, const char *file,
                      const struct overlay *ov, int quiet)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	int fd = open(file, O_RDONLY);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0) {
		fprintf(stderr, "relto import: %s: cannot open: %m\n", file);
		if (fd >= 0)
			close(fd);
		return 1;
	}
	/* Map rather than read: a bundle of a million objects is not copied. */
	void *map = sb.st_size ? mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "relto import: %s: %s\n", file, sb.st_size ? "cannot map the file" : "the file is empty");
		return 1;
	}
	struct import_ctx ic = {.file = file, .quiet = quiet, .tty = isatty(STDERR_FILENO)};
	struct ingest_opts opts = {.batch = IMPORT_BATCH, .posted_by = posted_by, .progress = on_progress};
	struct ingest_stats st = {0};
	char *marked_body = NULL;
	size_t marked_len = 0, marked = 0;
	enum relto_err rc = ov ? overlay_apply(ov, map, (size_t)sb.st_size, &marked_body, &marked_len, &marked, err)
	                       : RELTO_OK;
	if (!rc)
		rc = ingest_body(c, coll, marked_body ? marked_body : map, marked_body ? marked_len : (size_t)sb.st_size,
		                 &opts, on_result, &ic, &st, err);
	free(marked_body);
	munmap(map, (size_t)sb.st_size);
	if (!rc && ov && !quiet)
		printf("%s: the overlay marked %zu objects\n", file, marked);
	if (ic.tty && !quiet)
		fputs("\r\033[K", stderr);
	if (ic.shown > SHOW_REJECTS)
		fprintf(stderr, "%s: ... and %zu more rejected\n", file, ic.shown - SHOW_REJECTS);
	if (rc) {
		fprintf(stderr, "relto import: %s: %s (added %zu before stopping)\n", file, err, st.added);
		return 1;
	}
	if (!quiet)
		printf("%s: %zu objects: %zu added, %zu duplicates, %zu rejected\n", file, st.total, st.added,
		       st.duplicates, st.rejected);
	return 0;
}

int cli_import_files(struct store *st, int64_t coll, const char *posted_by, char **files, int nfiles,
                     const struct overlay *ov, int quiet)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	struct store_conn *c = NULL;
	if (store_conn_get(st, &c, err)) {
		fprintf(stderr, "relto import: %s\n", err);
		return 1;
	}
	int failed = 0;
	for (int i = 0; i < nfiles; i++)
		failed |= import_one(c, coll, posted_by, files[i], ov, quiet);
	store_conn_put(st, c);
	return failed;
}

static const char import_usage[] =
	"usage: relto import (-c FILE | --db PATH) --collection ID [--as PARTNER] [--mark RULE]... FILE...\n"
	"Load STIX 2.1 bundles or TAXII 2.1 envelopes into a collection.  Every\n"
	"object is validated as on POST; the same (id, version) twice is a\n"
	"duplicate, not an error.  Prints a summary per file: added, duplicates,\n"
	"rejected with reasons.  Safe to run beside a running server.\n"
	"  -c, --config FILE    take the database and collections from this config\n"
	"      --mark RULE      add a marking to the objects a rule selects, e.g.\n"
	"                       --mark 'attack-pattern=SECRET//REL TO USA, FVEY' --mark '30%=TLP:AMBER'\n"
	"                       --mark TLP:GREEN   (first matching rule wins; docs/markings.md)\n"
	"      --db PATH        or name the database directly (ID must then be a UUID)\n"
	"  -C, --collection ID  collection id (or, with -c, its alias)\n"
	"      --as PARTNER     record this partner as the submitter (default: import)\n"
	"  -q, --quiet          print only errors\n";

int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"collection", required_argument, NULL, 'C'},
	                                     {"as", required_argument, NULL, 'a'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"mark", required_argument, NULL, 'm'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0, 0, 0, 0}};
	const char *config = NULL, *db = NULL, *coll_name = NULL, *as = "import";
	int quiet = 0, c;
	struct overlay *ov = NULL;
	char oerr[RELTO_ERRBUF_SIZE] = "";
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:C:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': db = optarg; break;
		case 'C': coll_name = optarg; break;
		case 'a': as = optarg; break;
		case 'q': quiet = 1; break;
		case 'm':
			if (overlay_add(&ov, optarg, oerr)) {
				fprintf(stderr, "relto import: %s\n", oerr);
				overlay_free(ov);
				return EXIT_USAGE;
			}
			break;
		default:
			overlay_free(ov);
			fputs(import_usage, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : EXIT_USAGE;
		}
	}
	if (!coll_name || (!config == !db) || optind == argc) {
		fputs(import_usage, stderr);
		return EXIT_USAGE;
	}
	char err[RELTO_ERRBUF_SIZE] = "";
	struct relto_config *cfg = NULL;
	const char *uuid = coll_name;
	if (config) {
		if (config_load_file(config, &cfg, err)) {
			fprintf(stderr, "%s\n", err);
			return EXIT_USAGE;
		}
		const struct collection *col = config_find_collection_any(cfg, coll_name, NULL);
		if (!col) {
			fprintf(stderr, "relto import: %s has no collection '%s'\n", config, coll_name);
			config_free(cfg);
			return EXIT_USAGE;
		}
		uuid = col->id;
		db = cfg->database;
	} else if (!config_is_uuid(coll_name)) {
		fprintf(stderr, "relto import: with --db, --collection must be a collection UUID\n");
		return EXIT_USAGE;
	}
	struct store *st = NULL;
	struct store_conn *sc = NULL;
	int64_t coll = 0;
	enum relto_err rc = store_open(db, &st, err);
	if (!rc && !(rc = store_conn_get(st, &sc, err)))
		rc = store_collection(sc, uuid, &coll, err);
	store_conn_put(st, sc);
	int status = 1;
	if (rc)
		fprintf(stderr, "relto import: %s\n", err);
	else
		status = cli_import_files(st, coll, as, argv + optind, argc - optind, ov, quiet);
	store_close(st);
	config_free(cfg);
	return status;
}
