/*
** main.c: the `relto` command: dispatch to a subcommand.
*/
#include <stdio.h>
#include <string.h>
#include "cli.h"

static const char usage[] =
	"usage: relto COMMAND [OPTIONS]\n"
	"\n"
	"relto is a TAXII 2.1 server that decides, object by object, what each\n"
	"partner may receive.\n"
	"\n"
	"commands:\n"
	"  serve -c FILE              run the server from a configuration file\n"
	"  demo [--listen ADDR] [--db PATH] [--import FILE...]\n"
	"                             run the demo hub (creates its database if missing)\n"
	"  import (-c FILE | --db PATH) --collection ID FILE...\n"
	"                             load STIX 2.1 bundles or TAXII envelopes\n"
	"  policy check|test|explain  check a policy, run its tests, explain a decision\n"
	"  policy apply|log|show|diff change the policy; its versions in the store\n"
	"  posture change|import|log|show|diff\n"
	"                             change partners' posture; its versions in the store\n"
	"  whatif CHANGE...           what a posture or policy change would do, per partner\n"
	"  credential add|rotate|revoke|list\n"
	"                             passwords and API tokens kept (hashed) in the store\n"
	"  audit verify|show|export|who-got|pubkey\n"
	"                             the tamper-evident record of every release (docs/audit.md)\n"
	"  db migrate (-c FILE | --db PATH|URL)\n"
	"                             create or bring up to date the store's schema\n"
	"  hash-password              read a password, print its Argon2id hash for a config\n"
	"  --version                  print the version\n"
	"\n"
	"Every command takes --help.  Exit status: 0 success, 1 failure, 2 usage or\n"
	"configuration error.  Documentation: docs/ in the source tree.\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("relto %s\n", RELTO_VERSION);
		return 0;
	}
	if (strcmp(cmd, "serve") == 0)
		return cmd_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "demo") == 0)
		return cmd_demo(argc - 1, argv + 1);
	if (strcmp(cmd, "import") == 0)
		return cmd_import(argc - 1, argv + 1);
	if (strcmp(cmd, "posture") == 0)
		return cmd_posture(argc - 1, argv + 1);
	if (strcmp(cmd, "audit") == 0)
		return cmd_audit(argc - 1, argv + 1);
	if (strcmp(cmd, "credential") == 0)
		return cmd_credential(argc - 1, argv + 1);
	if (strcmp(cmd, "db") == 0)
		return cmd_db(argc - 1, argv + 1);
	if (strcmp(cmd, "whatif") == 0)
		return cmd_whatif(argc - 1, argv + 1);
	if (strcmp(cmd, "policy") == 0)
		return cmd_policy(argc - 1, argv + 1);
	if (strcmp(cmd, "hash-password") == 0)
		return cmd_hash_password(argc - 1, argv + 1);
	fprintf(stderr, "relto: unknown command '%s'\n\n%s", cmd, usage);
	return EXIT_USAGE;
}
