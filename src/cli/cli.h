/*
** cli.h: the `relto` command's subcommands and what they share.
** Exit status: 0 success; 1 the work failed (store, network, bad data);
** 2 the command line or configuration is wrong.  Messages go to stderr.
*/
#ifndef RELTO_CLI_H
#define RELTO_CLI_H

#include "../relto.h"
#include "../auth/auth.h"
#include "../http/server.h"
#include "../ingest/ingest.h"

#define EXIT_USAGE 2

int cmd_serve(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_hash_password(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_posture(int argc, char **argv);
int cmd_whatif(int argc, char **argv);
/* `relto policy apply|log|show|diff` (cmd_rules.c), for cmd_policy. */
int cli_policy_rules(int argc, char **argv);

/* The demo's configuration (passwords not hashed: not for serving) with
** the database at db, and its built-in policy and posture as the
** configured files (release/rules.h; cfg may be NULL when only the rules
** are wanted).  RELTO_OK and both set; else neither. */
struct rules;
enum relto_err cli_demo_rules(const char *db, struct relto_config **cfg, struct rules **files, char *err);

/* Serve until SIGINT or SIGTERM, refreshing the decision cache every two
** seconds (marking sets written by other processes; rules changes apply
** at once, server_sync).  On SIGHUP, reload the policy and posture
** files (when the configuration names them; stored versions still win);
** a reload with an error is logged and the rules in force stay.  Returns
** the signal. */
int cli_serve_until_signal(struct server *srv);

/* Block SIGINT/SIGTERM (call before any thread starts, so every thread
** inherits the mask; cli_serve_until_signal then waits for them). */
void cli_block_signals(void);

/* Import the files into collection coll (store key) as partner posted_by,
** marked by the overlay ov when not NULL (ingest/overlay.h), printing a
** summary per file (and a progress bar when stderr is a terminal).
** quiet: only errors.  Returns 0 when every file was read
** and stored (rejected objects do not count as failure), else 1. */
struct overlay;
int cli_import_files(struct store *st, int64_t coll, const char *posted_by, char **files, int nfiles,
                     const struct overlay *ov, int quiet);

/* The exit status for an error code: EINVAL (bad input) is 2, others 1. */
int cli_exit_code(enum relto_err rc);

/* The file beside the --db database named by its file + suffix ("the
** audit key"), into out: 1.  0 when the database is not a file (a
** PostgreSQL URL, never copied: it may hold a password) or the path
** does not fit. */
int cli_beside_db(const char *db, const char *suffix, char *out, size_t size);

/* Read a password (from the terminal without echo, or one line of
** standard input; at least 8 characters) and hash it with Argon2id into
** hash (AUTH_HASH_SIZE).  The password is wiped.  Returns 0, or an exit
** status after printing why, prefixed with cmd. */
int cli_read_password_hash(const char *cmd, char hash[AUTH_HASH_SIZE]);

/* What a command that works on a hub's store opens: the configuration
** (NULL with --db alone), its policy and posture files as rules (NULL
** without), the store and one connection, the collections mapped. */
struct cli_hub {
	struct relto_config *cfg;
	struct rules *files;
	struct store *st;
	struct store_conn *c;
	const char *db;           /* the store's path when there is no configuration */
};
/* Open from -c CONFIG, --demo [--db PATH] or --db PATH (exactly one way;
** need_rules: not --db alone, and the configuration must name a policy).
** RELTO_OK; RELTO_EINVAL (err says what to give); other codes from the
** configuration and the store.  On failure h is empty. */
enum relto_err cli_hub_open(const char *config, int demo, const char *db, int need_rules, struct cli_hub *h,
                            char *err);
void cli_hub_close(struct cli_hub *h);

/* Record an admin change made from the command line in the audit trail
** (partner "cli", credential "os:USER"): action, what it applies to, the
** author it names, the version it made (0: none), the author's reason, and the new document
** (its digest is recorded; NULL: none).  Signs a checkpoint when the
** server's key file is readable.  Prints a warning and returns 1 when the
** trail cannot be written (the change itself is already stored). */
int cli_audit_admin(const struct cli_hub *h, const char *action, const char *subject, const char *author,
                    int64_t version, const char *reason, const char *document);

int cmd_credential(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_audit(int argc, char **argv);

#endif
