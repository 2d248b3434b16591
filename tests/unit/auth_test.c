/*
** auth_test.c: unit tests for src/auth/auth.c: Argon2id hashes made by
** auth_hash_password verify; wrong passwords, unknown users and names
** that are a prefix or an extension of a real one are refused; lengths,
** not NULs, bound user and password; a verified credential is cached
** (and only a verified one) until auth_flush().
**
** Argon2id costs tens of milliseconds per call, so the partners' hashes
** are made once in main() and shared.
*/
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "auth/auth.h"

static char hash_usa[AUTH_HASH_SIZE], hash_kor[AUTH_HASH_SIZE], hash_nul[AUTH_HASH_SIZE];
static struct partner partners[3];
static struct relto_config cfg;

/* Partner 0 "usa" (password "usa-secret"), 1 "kor" ("kor-secret"),
** 2 "nul" ("ab\0cd", five bytes). */
static void reset_config(void)
{
	partners[0] = (struct partner){.id = "usa", .password_hash = hash_usa};
	partners[1] = (struct partner){.id = "kor", .password_hash = hash_kor};
	partners[2] = (struct partner){.id = "nul", .password_hash = hash_nul};
	cfg = (struct relto_config){.partners = partners, .npartners = 3};
}

static enum relto_err check(struct auth *a, const char *user, const char *pass, int *p)
{
	return auth_check(a, user, strlen(user), pass, strlen(pass), p);
}

static void test_hash(void)
{
	char h[AUTH_HASH_SIZE];
	CHECK(auth_hash_password("usa-secret", 10, h, NULL) == RELTO_OK);
	CHECK(strncmp(h, "$argon2id$", 10) == 0 && strncmp(hash_usa, "$argon2id$", 10) == 0);
	CHECK(strlen(h) < AUTH_HASH_SIZE);
	CHECK(strcmp(h, hash_usa) != 0); /* salted */
}

static void test_check(void)
{
	reset_config();
	struct auth *a = NULL;
	CHECK(auth_new(&cfg, &a, NULL) == RELTO_OK);
	int p = -1;
	CHECK(check(a, "usa", "usa-secret", &p) == RELTO_OK && p == 0);
	CHECK(check(a, "kor", "kor-secret", &p) == RELTO_OK && p == 1);
	/* Each partner's own password only. */
	p = 42;
	CHECK(check(a, "usa", "kor-secret", &p) == RELTO_EUNAUTH);
	CHECK(check(a, "usa", "usa-secre", &p) == RELTO_EUNAUTH);
	CHECK(p == 42); /* untouched on failure */
	auth_free(a);
	auth_free(NULL);
}

/* Names are compared whole: a prefix, an extension, another case, or an
** empty name is nobody, whatever the password. */
static void test_unknown_users(void)
{
	reset_config();
	struct auth *a = NULL;
	CHECK(auth_new(&cfg, &a, NULL) == RELTO_OK);
	int p = 42;
	static const char *const users[] = {"us", "usaa", "USA"};
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		CHECK(check(a, users[i], "usa-secret", &p) == RELTO_EUNAUTH);
	/* The name given with its length: "usa" inside a longer buffer. */
	CHECK(auth_check(a, "usaa", 3, "usa-secret", 10, &p) == RELTO_OK && p == 0);
	CHECK(auth_check(a, "usa\0", 4, "usa-secret", 10, &p) == RELTO_EUNAUTH);
	auth_free(a);
}

/* The password is its length's bytes, NULs included; nothing past len is
** read (heap copies of exactly len bytes, so ASan would see it). */
static void test_lengths(void)
{
	reset_config();
	struct auth *a = NULL;
	CHECK(auth_new(&cfg, &a, NULL) == RELTO_OK);
	int p = -1;
	CHECK(auth_check(a, "nul", 3, "ab\0cd", 5, &p) == RELTO_OK && p == 2);
	CHECK(auth_check(a, "nul", 3, "ab", 2, &p) == RELTO_EUNAUTH);
	CHECK(auth_check(a, "nul", 3, "ab\0ce", 5, &p) == RELTO_EUNAUTH);
	char *user = malloc(3), *pass = malloc(10);
	CHECK(user && pass);
	memcpy(user, "kor", 3);
	memcpy(pass, "kor-secret", 10);
	enum relto_err rc = auth_check(a, user, 3, pass, 10, &p);
	enum relto_err again = auth_check(a, user, 3, pass, 10, &p); /* cached */
	free(user);
	free(pass);
	CHECK(rc == RELTO_OK && again == RELTO_OK && p == 1);
	/* ("kor", "kor-secret") and ("korkor-", "secret")-style splits differ. */
	CHECK(auth_check(a, "kork", 4, "or-secret", 9, &p) == RELTO_EUNAUTH);
	auth_free(a);
}

/* A verified credential is remembered: it keeps working after the hash in
** the config changes, until auth_flush(); a failed one is not. */
static void test_cache_and_flush(void)
{
	reset_config();
	struct auth *a = NULL;
	CHECK(auth_new(&cfg, &a, NULL) == RELTO_OK);
	int p = -1;
	CHECK(check(a, "usa", "usa-secret", &p) == RELTO_OK && p == 0);
	partners[0].password_hash = hash_kor; /* rotate usa's password to "kor-secret" */
	p = -1;
	CHECK(check(a, "usa", "usa-secret", &p) == RELTO_OK && p == 0); /* from the cache */
	CHECK(check(a, "kor", "kor-secret", &p) == RELTO_OK && p == 1);
	auth_flush(a);
	CHECK(check(a, "usa", "usa-secret", &p) == RELTO_EUNAUTH);  /* forgotten */
	CHECK(check(a, "usa", "kor-secret", &p) == RELTO_OK && p == 0);
	/* A failure is not remembered: once the hash allows it, it works. */
	CHECK(check(a, "kor", "usa-secret", &p) == RELTO_EUNAUTH);
	partners[1].password_hash = hash_usa;
	CHECK(check(a, "kor", "usa-secret", &p) == RELTO_OK && p == 1);
	auth_free(a);
	reset_config();
}

int main(void)
{
	if (auth_hash_password("usa-secret", 10, hash_usa, NULL) ||
	    auth_hash_password("kor-secret", 10, hash_kor, NULL) ||
	    auth_hash_password("ab\0cd", 5, hash_nul, NULL)) {
		fprintf(stderr, "cannot hash\n");
		return 1;
	}
	RUN(test_hash);
	RUN(test_check);
	RUN(test_unknown_users);
	RUN(test_lengths);
	RUN(test_cache_and_flush);
	return TEST_DONE();
}
