/*
** bench/auth.c: what authentication costs a request (issue 6: a
** Basic-authenticated page within 5% of the same page without
** authentication, and a wrong password still paying the full Argon2id
** check).
**
** Times auth_check() for a password verified before (the per-request
** cost once the credential is remembered: a keyed BLAKE2b digest and a
** table lookup), for the first use of a credential, for a wrong password
** and for an unknown login (both must cost a full Argon2id verification).
** Compare the first figure with the time of a page (bench/page-vs-nginx:
** tens of microseconds per request).  `make bench` builds it;
** `build/bench/auth` runs it.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "auth/auth.h"
#include "config/config.h"
#include "util/buf.h"
#include "util/ts.h"

_Noreturn static void die(const char *what, const char *err)
{
	fprintf(stderr, "bench auth: %s: %s\n", what, err);
	exit(1);
}

static double per_call_us(struct auth *a, const char *user, const char *pass, int n, int want_ok)
{
	int p = -1;
	int64_t t0 = ts_now();
	for (int i = 0; i < n; i++)
		if ((auth_check(a, user, strlen(user), pass, strlen(pass), &p) == RELTO_OK) != want_ok)
			die("check", "unexpected result");
	return (double)(ts_now() - t0) / n;
}

int main(void)
{
	char err[RELTO_ERRBUF_SIZE] = "", hash[AUTH_HASH_SIZE];
	if (auth_hash_password("correct horse", 13, hash, err))
		die("hash", err);
	struct buf b;
	buf_init(&b, 1u << 16);
	buf_printf(&b, "database: x.db\nserver:\n  plain_http: true\npartners:\n  - id: kor\n    password_hash: \"%s\"\n"
	               "api_roots:\n  - path: r\n    title: r\n", hash);
	struct relto_config *cfg;
	struct auth *a;
	if (config_load_text("(bench)", b.data, b.len, &cfg, err) || auth_new(cfg, &a, err))
		die("setup", err);
	double first = per_call_us(a, "kor", "correct horse", 1, 1);
	double cached = per_call_us(a, "kor", "correct horse", 1000000, 1);
	double wrong = per_call_us(a, "kor", "wrong horse", 5, 0);
	double unknown = per_call_us(a, "nobody", "correct horse", 5, 0);
	printf("auth_check: remembered credential %.3f us per request; first use %.1f ms; "
	       "wrong password %.1f ms; unknown login %.1f ms\n",
	       cached, first / 1000.0, wrong / 1000.0, unknown / 1000.0);
	auth_free(a);
	config_free(cfg);
	buf_free(&b);
	return 0;
}
