/*
** sqlite_int.h: what the SQLite backend's files share (store_sqlite.c for
** objects and rules, trail_sqlite.c for the audit trail).  Only src/store/
** includes it.
*/
#ifndef RELTO_SQLITE_INT_H
#define RELTO_SQLITE_INT_H

#include <sqlite3.h>
#include "store_int.h"

/* Open path (creating it) in WAL mode with synchronous=FULL and a busy
** timeout.  RELTO_OK and *out; RELTO_ESTORE. */
enum relto_err sq_open_db(const char *path, sqlite3 **out, char *err);
/* Run sql (several statements allowed).  RELTO_OK; RELTO_ESTORE. */
enum relto_err sq_exec(sqlite3 *db, const char *sql, char *err);
/* RELTO_ESTORE with "sqlite: what: SQLite's message". */
enum relto_err sq_err(sqlite3 *db, const char *what, char *err);

/* The audit trail of the store at path (its own file, path + ".audit"). */
enum relto_err sq_trail_open(void *state, struct store_trail **out, char *err);
/* The store's path (state is the backend's). */
const char *sq_state_path(void *state);

#endif
