/*
** checkpoint_test.c: the SQLite store's checkpointer thread
** (src/store/store_sqlite.c).  Commits leave the WAL to it: once a
** commit leaves the WAL past sq_checkpoint_pages (lowered here to 64
** pages), the thread copies it back into the database, and goes on doing
** so as writes go on; every object written is still there afterwards,
** through the store and after reopening it.  SQLite only.
*/
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test.h"
#include "store/sqlite_int.h"
#include "store/store.h"

static char dir[64], path[128], url[160];

#define STORE_FIXTURE_PATH path
#define STORE_FIXTURE_URL url
#include "store_fixture.h"

#define PER_BATCH 20

/* Put batch number b: PER_BATCH indicators of about 8 KB each. */
static int put_batch(struct fix *f, int b)
{
	static char raw[8192], ids[PER_BATCH][80];
	memset(raw, 'x', sizeof(raw));
	raw[0] = '{';
	raw[sizeof(raw) - 1] = '}';
	struct store_new o[PER_BATCH];
	for (int i = 0; i < PER_BATCH; i++) {
		snprintf(ids[i], sizeof(ids[i]), "indicator--00000000-0000-4000-8000-%06d%06d", b, i);
		o[i] = (struct store_new){.id = ids[i], .type = "indicator", .spec_version = "2.1", .has_version = 1,
		                          .version = 1577836800000000, .version_text = "2020-01-01T00:00:00.000Z",
		                          .marking_canon = "", .created_by_ref = "", .raw = raw, .raw_len = sizeof(raw)};
	}
	enum store_put_result res[PER_BATCH];
	return store_put(f->c, f->coll, "hub", o, PER_BATCH, res, NULL, NULL) == RELTO_OK ? 0 : -1;
}

static void test_background_checkpoints(void)
{
	sq_checkpoint_pages = 64;
	struct fix f;
	CHECK(fix_open(&f) == 0);
	unsigned long start = atomic_load(&sq_background_checkpoints);
	/* Each batch adds some 40 pages to the WAL: the thread is woken
	** within two, and has run before many more. */
	int b = 0;
	while (b < 500 && atomic_load(&sq_background_checkpoints) == start)
		CHECK(put_batch(&f, b++) == 0);
	CHECK(atomic_load(&sq_background_checkpoints) > start);
	/* It goes on as writes go on. */
	unsigned long first = atomic_load(&sq_background_checkpoints);
	for (int i = 0; i < 500 && atomic_load(&sq_background_checkpoints) < first + 3; i++)
		CHECK(put_batch(&f, b++) == 0);
	CHECK(atomic_load(&sq_background_checkpoints) >= first + 3);
	int64_t n = -1;
	CHECK(store_count(f.c, f.coll, &n, NULL) == RELTO_OK && n == (int64_t)b * PER_BATCH);
	/* Closed (the thread stopped and joined) and opened again: all there. */
	store_conn_put(f.s, f.c);
	store_close(f.s);
	CHECK(store_open(url, &f.s, NULL) == RELTO_OK);
	CHECK(store_conn_get(f.s, &f.c, NULL) == RELTO_OK);
	n = -1;
	CHECK(store_count(f.c, f.coll, &n, NULL) == RELTO_OK && n == (int64_t)b * PER_BATCH);
	fix_close(&f);
	sq_checkpoint_pages = 16384;
}

int main(void)
{
	if (fix_sqlite_only(__FILE__))
		return 0;
	if (fix_make_dir(dir, sizeof(dir), "ckpt"))
		return 1;
	snprintf(url, sizeof(url), "sqlite:%s", path);
	RUN(test_background_checkpoints);
	remove_files();
	rmdir(dir);
	return TEST_DONE();
}
