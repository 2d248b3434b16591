/*
** test.h: the smallest unit-test harness that does the job.  A test is a
** void function; CHECK stops it at the first failure and says where.
** main() runs each with RUN() and ends with TEST_DONE(), which prints
** "unit <file>: N passed, M failed" (tests/run sums these lines) and
** returns non-zero if anything failed.  Assertion macros are the one
** place relto's style allows a macro to hide a `return`.
*/
#ifndef RELTO_TEST_H
#define RELTO_TEST_H

#include <stdio.h>
#include <string.h>

static int test_passed, test_failed, test_current_failed;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			        __LINE__, #cond);                            \
			test_current_failed = 1;                             \
			return;                                              \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *check_a_ = (a), *check_b_ = (b);                 \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_)) {  \
			fprintf(stderr, "%s:%d: CHECK_STR failed: %s == %s\n  got:  %s\n  want: %s\n", \
			        __FILE__, __LINE__, #a, #b,                  \
			        check_a_ ? check_a_ : "(null)",              \
			        check_b_ ? check_b_ : "(null)");             \
			test_current_failed = 1;                             \
			return;                                              \
		}                                                            \
	} while (0)

#define RUN(fn)                                                              \
	do {                                                                 \
		test_current_failed = 0;                                     \
		fn();                                                        \
		if (test_current_failed) {                                   \
			test_failed++;                                       \
			fprintf(stderr, "FAIL %s\n", #fn);                   \
		} else {                                                     \
			test_passed++;                                       \
		}                                                            \
	} while (0)

#define TEST_DONE()                                                          \
	(printf("unit %s: %d passed, %d failed\n", __FILE__, test_passed,    \
	        test_failed),                                                \
	 test_failed ? 1 : 0)

#endif
