/*
** cmd_misc.c: what the subcommands share (signals, exit codes) and the
** small `hash-password` command.
*/
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "cli.h"
#include "../auth/auth.h"

void cli_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int cli_wait_for_signal(void)
{
	sigset_t set;
	int sig = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	return sig;
}

int cli_exit_code(enum relto_err rc)
{
	return rc == RELTO_OK ? 0 : rc == RELTO_EINVAL ? EXIT_USAGE : 1;
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
		fputs("relto hash-password: no password given\n", stderr);
		return EXIT_USAGE;
	}
	pass[strcspn(pass, "\r\n")] = '\0';
	if (strlen(pass) < 8) {
		explicit_bzero(pass, sizeof(pass));
		fputs("relto hash-password: use at least 8 characters\n", stderr);
		return EXIT_USAGE;
	}
	char hash[AUTH_HASH_SIZE], err[RELTO_ERRBUF_SIZE] = "";
	enum relto_err rc = auth_hash_password(pass, strlen(pass), hash, err);
	explicit_bzero(pass, sizeof(pass));
	if (rc) {
		fprintf(stderr, "relto hash-password: %s\n", err);
		return 1;
	}
	printf("%s\n", hash);
	return 0;
}
