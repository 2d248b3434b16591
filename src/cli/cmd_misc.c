/*
** cmd_misc.c: what the subcommands share (signals, exit codes) and the
** small `hash-password` command.
*/
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "../auth/auth.h"
#include "../release/rules.h"
#include "../store/store.h"
#include "../util/buf.h"
#include "../util/log.h"

void cli_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void reload(struct server *srv)
{
	char err[RELTO_ERRBUF_SIZE] = "";
	struct rules *files = NULL;
	const struct relto_config *cfg = srv->cfg;
	if (!cfg->policy) {
		log_line(LOG_WARN, "msg=\"SIGHUP: no policy and posture files to reload\"");
		return;
	}
	enum relto_err rc = rules_from_files(cfg->policy, cfg->posture, &files, err);
	if (!rc)
		rc = server_reload_files(srv, files, err); /* stored versions still win */
	if (rc)
		log_line(LOG_ERROR, "msg=\"reload refused; the rules in force stay\" detail=\"%s\"", err);
	else
		log_line(LOG_INFO, "msg=\"policy and posture reloaded\" policy=\"%s\" posture=\"%s\"",
		         cfg->policy, cfg->posture);
}

int cli_serve_until_signal(struct server *srv)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	for (;;) {
		struct timespec two = {.tv_sec = 2};
		int sig = sigtimedwait(&set, NULL, &two);
		char err[RELTO_ERRBUF_SIZE] = "";
		if (sig == SIGHUP) {
			reload(srv);
			continue;
		}
		if (sig > 0)
			return sig;
		if (server_refresh(srv, err))
			log_line(LOG_ERROR, "msg=\"decision cache refresh failed\" detail=\"%s\"", err);
	}
}

int cli_exit_code(enum relto_err rc)
{
	return rc == RELTO_OK ? 0 : rc == RELTO_EINVAL ? EXIT_USAGE : 1;
}

int cli_beside_db(const char *db, const char *suffix, char *out, size_t size)
{
	char file[4096];
	if (!store_file_of(db, file, sizeof(file)))
		return 0;
	int n = snprintf(out, size, "%s%s", file, suffix);
	return n > 0 && (size_t)n < size;
}

static const char hash_usage[] =
	"usage: relto hash-password\n"
	"Reads a password (from the terminal without echo, or one line of\n"
	"standard input) and prints its Argon2id hash, for password_hash in a\n"
	"configuration file.  The password itself is never stored.\n";

int cmd_hash_password(int argc, char **argv)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		fputs(hash_usage, c == 'h' ? stdout : stderr);
		return c == 'h' ? 0 : EXIT_USAGE;
	}
	char hash[AUTH_HASH_SIZE];
	int st = cli_read_password_hash("relto hash-password", hash);
	if (!st)
		printf("%s\n", hash);
	return st;
}

int cli_read_password_hash(const char *cmd, char hash[AUTH_HASH_SIZE])
{
	char pass[1024];
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	if (tty) {
		fputs("password: ", stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *got = fgets(pass, sizeof(pass), stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!got) {
		fprintf(stderr, "%s: no password given\n", cmd);
		return EXIT_USAGE;
	}
	pass[strcspn(pass, "\r\n")] = '\0';
	if (strlen(pass) < 8) {
		explicit_bzero(pass, sizeof(pass));
		fprintf(stderr, "%s: use at least 8 characters\n", cmd);
		return EXIT_USAGE;
	}
	char err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = auth_hash_password(pass, strlen(pass), hash, err);
	explicit_bzero(pass, sizeof(pass));
	if (rc) {
		fprintf(stderr, "%s: %s\n", cmd, err);
		return 1;
	}
	return 0;
}
