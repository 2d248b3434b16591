/*
** intern_test.c: unit tests for src/util/intern.c, the numbered table of
** strings: numbers in order of arrival, the same number for the same
** string however often it comes, every name still found after the table
** grows many times, the cap refused without a change, and an empty
** (zeroed) table finding nothing.
*/
#include <stdio.h>
#include <string.h>
#include "test.h"
#include "util/intern.h"

static void test_empty(void)
{
	struct intern t = {0};
	CHECK(intern_find(&t, "p1") == -1);
	CHECK(intern_find(&t, "") == -1);
	intern_free(&t);
}

static void test_numbers_in_order(void)
{
	struct intern t = {0};
	CHECK(intern_of(&t, "hub", 10) == 0);
	CHECK(intern_of(&t, "p1", 10) == 1);
	CHECK(intern_of(&t, "hub", 10) == 0);
	CHECK(intern_of(&t, "", 10) == 2);
	CHECK(intern_find(&t, "p1") == 1);
	CHECK(intern_find(&t, "p2") == -1);
	CHECK(t.n == 3 && strcmp(t.v[1], "p1") == 0);
	intern_free(&t);
	CHECK(t.n == 0 && intern_find(&t, "hub") == -1);
}

/* 5,000 names: the slots are made again a few times; each keeps its
** number, and names that differ only at their end are told apart. */
static void test_growth(void)
{
	struct intern t = {0};
	char name[32];
	int ok = 1;
	for (int i = 0; ok && i < 5000; i++) {
		snprintf(name, sizeof(name), "partner-%d", i);
		ok = intern_of(&t, name, 100000) == i;
	}
	for (int i = 0; ok && i < 5000; i++) {
		snprintf(name, sizeof(name), "partner-%d", i);
		ok = intern_find(&t, name) == i && intern_of(&t, name, 100000) == i;
	}
	CHECK(ok);
	CHECK(t.n == 5000 && 2 * t.n <= t.nslots);
	CHECK(intern_find(&t, "partner-5000") == -1);
	intern_free(&t);
}

static void test_cap(void)
{
	struct intern t = {0};
	CHECK(intern_of(&t, "a", 2) == 0);
	CHECK(intern_of(&t, "b", 2) == 1);
	CHECK(intern_of(&t, "c", 2) == -1);
	CHECK(t.n == 2 && intern_find(&t, "c") == -1);
	CHECK(intern_of(&t, "a", 2) == 0); /* a name it holds still comes back */
	intern_free(&t);
}

int main(void)
{
	RUN(test_empty);
	RUN(test_numbers_in_order);
	RUN(test_growth);
	RUN(test_cap);
	return TEST_DONE();
}
