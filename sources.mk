# sources.mk: the one list of relto's sources, read by the Makefile.
# LIB_SRCS is everything but the command line; the unit tests link it.

LIB_SRCS = \
	src/core/err.c \
	src/util/buf.c \
	src/util/ts.c \
	src/util/log.c \
	src/util/text.c \
	src/util/intern.c \
	src/jsonh/jsonh.c \
	src/stix/stix.c \
	src/stix/envelope.c \
	src/stix/refs.c \
	src/demo/gen.c \
	src/demo/gen_stix.c \
	src/demo/gen_words.c \
	src/marking/marking.c \
	src/marking/marking_read.c \
	src/posture/posture.c \
	src/admin/change.c \
	src/admin/diff.c \
	src/config/yconf.c \
	src/config/config.c \
	src/store/store.c \
	src/store/store_sqlite.c \
	src/store/query_sqlite.c \
	src/store/refs_sqlite.c \
	src/store/pick_refs.c \
	src/store/pick_lists.c \
	src/store/pick_sqlite.c \
	src/store/counts_sqlite.c \
	src/store/trail_sqlite.c \
	src/store/pg_link.c \
	src/store/schema_pg.c \
	src/store/store_pg.c \
	src/store/trail_pg.c \
	src/store/watch_pg.c \
	src/audit/entry.c \
	src/audit/audit.c \
	src/audit/verify.c \
	src/auth/auth.c \
	src/ingest/ingest.c \
	src/ingest/overlay.c \
	src/release/redact.c \
	src/release/release.c \
	src/release/impact.c \
	src/release/rules.c \
	src/taxii/query.c \
	src/taxii/cursor.c \
	src/admin/admin.c \
	src/admin/api.c \
	src/admin/console.c \
	src/http/server.c \
	src/http/reply.c \
	src/http/negotiate.c \
	src/http/pagecache.c \
	src/http/ratelimit.c \
	src/http/metrics.c \
	src/http/watch.c \
	src/taxii/discovery.c \
	src/taxii/collections.c \
	src/taxii/objects.c \
	src/policy/policy.c \
	src/policy/lexer.c \
	src/policy/parser.c \
	src/policy/names.c \
	src/policy/check.c \
	src/policy/eval.c \
	src/policy/explain.c \
	src/policy/ptest.c

CLI_SRCS = \
	src/cli/main.c \
	src/cli/cmd_serve.c \
	src/cli/cmd_import.c \
	src/cli/cmd_demo.c \
	src/cli/cmd_misc.c \
	src/cli/cmd_policy.c \
	src/cli/cmd_rules.c \
	src/cli/cmd_credential.c \
	src/cli/cmd_audit.c \
	src/cli/cmd_db.c \
	src/cli/hub.c

# Files embedded into the binary (tools/embed.c turns each into a C array).
EMBED_FILES = src/demo/posture.json src/demo/relto.policy \
	src/console/index.html src/console/console.css src/console/console.js
