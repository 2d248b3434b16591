/*
** store_fixture.h: an empty SQLite store of its own for each unit test
** that needs one (store_test.c, ingest_test.c).  The includer defines
** STORE_FIXTURE_PATH (the database file, a char array it fills before the
** first test) and STORE_FIXTURE_URL (what store_open is given: the path
** itself or "sqlite:" + path) before including this file.
*/
#ifndef RELTO_STORE_FIXTURE_H
#define RELTO_STORE_FIXTURE_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "store/store.h"

struct fix {
	struct store *s;
	struct store_conn *c;
	int64_t coll;
};

static void remove_files(void)
{
	char p[sizeof(STORE_FIXTURE_PATH) + 8];
	unlink(STORE_FIXTURE_PATH);
	snprintf(p, sizeof(p), "%s-wal", STORE_FIXTURE_PATH);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", STORE_FIXTURE_PATH);
	unlink(p);
}

/* Every test starts from an empty store file, with one collection. */
static int fix_open(struct fix *f)
{
	memset(f, 0, sizeof(*f));
	remove_files();
	if (store_open(STORE_FIXTURE_URL, &f->s, NULL) || store_conn_get(f->s, &f->c, NULL))
		return -1;
	return store_collection(f->c, "91a7b528-80eb-42ed-a74d-c6fbd5a26116", &f->coll, NULL) ? -1 : 0;
}

static void fix_close(struct fix *f)
{
	store_conn_put(f->s, f->c);
	store_close(f->s);
	remove_files();
}

#endif
