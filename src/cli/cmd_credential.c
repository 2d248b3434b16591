/*
** cmd_credential.c: `relto credential add|rotate|revoke|list`: passwords
** and API tokens kept in the store as Argon2id hashes (never the secret).
** A running server on the same store loads a change before the next
** request it starts, so a revoked credential fails on its next use.
*/
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "../util/ts.h"

static const char credential_usage[] =
	"usage: relto credential add PARTNER (--password | --token) [--note TEXT] (-c CONFIG | --demo [--db PATH])\n"
	"       relto credential rotate ID (-c CONFIG | --demo [--db PATH] | --db PATH)\n"
	"       relto credential revoke ID (-c CONFIG | --demo [--db PATH] | --db PATH)\n"
	"       relto credential list (-c CONFIG | --demo [--db PATH] | --db PATH)\n"
	"add --password: read a password (terminal without echo, or a line of standard input);\n"
	"                it replaces the partner's configured password_hash while in force.\n"
	"add --token:    make an API token (HTTP Authorization: Bearer TOKEN), printed once.\n"
	"rotate:         a new secret for credential ID (a new password is read; a new token printed);\n"
	"                the old one is revoked in the same transaction.\n"
	"revoke:         ID stops working; config:PARTNER revokes the configured password.\n"
	"list:           every credential: id, partner, kind, created, revoked, note (never a hash).\n";

static int usage(int ok)
{
	fputs(credential_usage, ok ? stdout : stderr);
	return ok ? 0 : EXIT_USAGE;
}

/* Make the secret for a new credential of kind (reading or generating
** it) and its hash; prints a new token.  Returns 0 or an exit status. */
static int new_secret(const char *kind, const char *id, char hash[AUTH_HASH_SIZE])
{
	if (strcmp(kind, "password") == 0)
		return cli_read_password_hash("relto credential", hash);
	char token[AUTH_TOKEN_SIZE], err[RELTO_ERRBUF_SIZE] = "";
	auth_new_token(id, token);
	enum relto_err rc = auth_hash_password(token, strlen(token), hash, err);
	if (rc) {
		fprintf(stderr, "relto credential: %s\n", err);
		explicit_bzero(token, sizeof(token));
		return 1;
	}
	printf("token: %s\n", token);
	explicit_bzero(token, sizeof(token));
	return 0;
}

struct found {
	const char *id;
	char kind[16], partner[80];
	int in_force;
};

static enum relto_err find_one(void *ctx, const struct store_credential *cr)
{
	struct found *f = ctx;
	if (strcmp(cr->id, f->id) == 0) {
		snprintf(f->kind, sizeof(f->kind), "%s", cr->kind);
		snprintf(f->partner, sizeof(f->partner), "%s", cr->partner);
		f->in_force = !cr->revoked;
	}
	return RELTO_OK;
}

static enum relto_err print_one(void *ctx, const struct store_credential *cr)
{
	char created[TS_BUFSIZE], revoked[TS_BUFSIZE];
	(void)ctx;
	printf("%-20s %-12s %-9s %-28s %-28s %s\n", cr->id, cr->partner, cr->kind,
	       cr->created ? ts_format(cr->created, created) : "(configuration)",
	       cr->revoked ? ts_format(cr->revoked, revoked) : "in force", cr->note);
	return RELTO_OK;
}

static int add(struct cli_hub *h, const char *partner, const char *kind, const char *note)
{
	char err[RELTO_ERRBUF_SIZE] = "", id[32], hash[AUTH_HASH_SIZE];
	if (h->cfg && config_find_partner(h->cfg, partner) < 0) {
		fprintf(stderr, "relto credential: no partner '%s' in the configuration\n", partner);
		return EXIT_USAGE;
	}
	auth_new_id(strcmp(kind, "password") == 0 ? "pw" : "tk", id);
	int st = new_secret(kind, id, hash);
	if (st)
		return st;
	struct store_credential cr = {.id = id, .partner = (char *)partner, .kind = (char *)kind, .hash = hash,
	                              .note = (char *)(note ? note : "")};
	enum relto_err rc = store_credential_put(h->c, &cr, NULL, err);
	if (rc) {
		fprintf(stderr, "relto credential add: %s\n", err);
		return cli_exit_code(rc);
	}
	printf("credential %s added: %s for %s\n", id, kind, partner);
	cli_audit_admin(h, "credential.add", id, "", 0, note, NULL);
	return 0;
}

static int rotate(struct cli_hub *h, const char *old)
{
	char err[RELTO_ERRBUF_SIZE] = "", id[32], hash[AUTH_HASH_SIZE];
	struct found f = {.id = old};
	enum relto_err rc = store_credentials(h->c, find_one, &f, err);
	if (!rc && (!f.kind[0] || !f.in_force || strncmp(old, "config:", 7) == 0))
		rc = relto_seterr(err, RELTO_ENOTFOUND, "no stored credential '%s' in force (a configured password is "
		                  "replaced with 'add --password', then 'revoke config:PARTNER')", old);
	if (rc) {
		fprintf(stderr, "relto credential rotate: %s\n", err);
		return rc == RELTO_ENOTFOUND ? EXIT_USAGE : cli_exit_code(rc);
	}
	auth_new_id(strcmp(f.kind, "password") == 0 ? "pw" : "tk", id);
	int st = new_secret(f.kind, id, hash);
	if (st)
		return st;
	struct store_credential cr = {.id = id, .partner = f.partner, .kind = f.kind, .hash = hash,
	                              .note = "rotated"};
	if ((rc = store_credential_put(h->c, &cr, old, err))) {
		fprintf(stderr, "relto credential rotate: %s\n", err);
		return cli_exit_code(rc);
	}
	printf("credential %s replaces %s (%s for %s); %s is revoked\n", id, old, f.kind, f.partner, old);
	char what[80];
	snprintf(what, sizeof(what), "%s (replaces %s)", id, old);
	cli_audit_admin(h, "credential.rotate", what, "", 0, "", NULL);
	return 0;
}

static int revoke(struct cli_hub *h, const char *id)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	const char *partner = strncmp(id, "config:", 7) == 0 ? id + 7 : NULL;
	if (partner && h->cfg && config_find_partner(h->cfg, partner) < 0) {
		fprintf(stderr, "relto credential revoke: no partner '%s' in the configuration\n", partner);
		return EXIT_USAGE;
	}
	enum relto_err rc = store_credential_revoke(h->c, id, partner, err);
	if (rc) {
		fprintf(stderr, "relto credential revoke: %s\n", err);
		return rc == RELTO_ENOTFOUND ? EXIT_USAGE : cli_exit_code(rc);
	}
	printf("credential %s revoked\n", id);
	cli_audit_admin(h, "credential.revoke", id, "", 0, "", NULL);
	return 0;
}

int cmd_credential(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
	                                     {"demo", no_argument, NULL, 'D'},
	                                     {"db", required_argument, NULL, 'd'},
	                                     {"password", no_argument, NULL, 'p'},
	                                     {"token", no_argument, NULL, 't'},
	                                     {"note", required_argument, NULL, 'n'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {0, 0, 0, 0}};
	const char *config = NULL, *db = NULL, *note = NULL;
	int demo = 0, password = 0, token = 0, c;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return usage(argc >= 2);
	const char *verb = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'D': demo = 1; break;
		case 'd': db = optarg; break;
		case 'p': password = 1; break;
		case 't': token = 1; break;
		case 'n': note = optarg; break;
		case 'h': return usage(1);
		default: return usage(0);
		}
	}
	int nargs = argc - optind;
	int is_add = strcmp(verb, "add") == 0;
	if (!((is_add && nargs == 1 && password + token == 1) ||
	      ((strcmp(verb, "rotate") == 0 || strcmp(verb, "revoke") == 0) && nargs == 1 && !password && !token) ||
	      (strcmp(verb, "list") == 0 && nargs == 0 && !password && !token)))
		return usage(0);
	if (is_add && !config && !demo) {
		fputs("relto credential add: give -c CONFIG or --demo (the partner must be a login there)\n", stderr);
		return EXIT_USAGE;
	}
	char err[RELTO_ERRBUF_SIZE] = "";
	struct cli_hub h;
	enum relto_err rc = cli_hub_open(config, demo, db, 0, &h, err);
	if (rc) {
		fprintf(stderr, "relto credential: %s\n", err);
		return cli_exit_code(rc);
	}
	int st;
	if (is_add)
		st = add(&h, argv[optind], password ? "password" : "token", note);
	else if (strcmp(verb, "rotate") == 0)
		st = rotate(&h, argv[optind]);
	else if (strcmp(verb, "revoke") == 0)
		st = revoke(&h, argv[optind]);
	else {
		printf("%-20s %-12s %-9s %-28s %-28s %s\n", "id", "partner", "kind", "created", "revoked", "note");
		rc = store_credentials(h.c, print_one, NULL, err);
		if (rc)
			fprintf(stderr, "relto credential list: %s\n", err);
		st = rc ? 1 : 0;
	}
	cli_hub_close(&h);
	return st;
}
