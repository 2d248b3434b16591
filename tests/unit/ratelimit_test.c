/*
** ratelimit_test.c: the per-partner token bucket, with times given.
*/
#include "test.h"
#include "http/ratelimit.h"

#define S INT64_C(1000000)

static void test_unlimited(void)
{
	struct ratelimit *rl;
	unsigned retry = 0;
	CHECK(ratelimit_new(2, 0, 0, &rl) == RELTO_OK);
	for (int i = 0; i < 10000; i++)
		CHECK(ratelimit_take(rl, 0, S, &retry));
	ratelimit_free(rl);
}

static void test_burst_then_rate(void)
{
	struct ratelimit *rl;
	unsigned retry = 0;
	CHECK(ratelimit_new(2, 10, 5, &rl) == RELTO_OK);
	for (int i = 0; i < 5; i++)
		CHECK(ratelimit_take(rl, 0, 100 * S, &retry));
	CHECK(!ratelimit_take(rl, 0, 100 * S, &retry));
	CHECK(retry == 1);
	/* The other partner has its own bucket. */
	CHECK(ratelimit_take(rl, 1, 100 * S, &retry));
	/* 0.1 s later one token is back, not two. */
	CHECK(ratelimit_take(rl, 0, 100 * S + S / 10, &retry));
	CHECK(!ratelimit_take(rl, 0, 100 * S + S / 10, &retry));
	/* Ten seconds later the bucket is full again, but not fuller. */
	for (int i = 0; i < 5; i++)
		CHECK(ratelimit_take(rl, 0, 110 * S, &retry));
	CHECK(!ratelimit_take(rl, 0, 110 * S, &retry));
	ratelimit_free(rl);
}

static void test_slow_rate_retry_after(void)
{
	struct ratelimit *rl;
	unsigned retry = 0;
	CHECK(ratelimit_new(1, 1, 1, &rl) == RELTO_OK);
	CHECK(ratelimit_take(rl, 0, 5 * S, &retry));
	CHECK(!ratelimit_take(rl, 0, 5 * S, &retry));
	CHECK(retry >= 1 && retry <= 2);
	/* Unknown partners (-1: before authentication) are not limited here. */
	CHECK(ratelimit_take(rl, -1, 5 * S, &retry));
	CHECK(ratelimit_take(rl, 7, 5 * S, &retry));
	ratelimit_free(rl);
}

int main(void)
{
	RUN(test_unlimited);
	RUN(test_burst_then_rate);
	RUN(test_slow_rate_retry_after);
	return TEST_DONE();
}
