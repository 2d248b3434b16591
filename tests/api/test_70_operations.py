"""Operations: the `relto` command itself (config errors, import), and
durability: an object acknowledged in a status resource survives SIGKILL.

These start their own relto processes beside the shared demo server.
"""

import atexit
import json
import os
import re
import sqlite3
import urllib.parse
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import harness as H

ATTACK_ICS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "attack",
                          "ics-attack.json")


def run_relto(*args, stdin=None, timeout=60, cwd=None):
    p = H.run_relto(args, input=stdin, capture_output=True, timeout=timeout,
                       cwd=cwd)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def hash_password(pw):
    rc, out, err = run_relto("hash-password", stdin=(pw + "\n").encode())
    H.eq(rc, 0, "hash-password exit status (%s)" % err)
    H.check(out.startswith("$argon2id$"), "hash-password printed %r" % out)
    return out.strip()


def tempdir(prefix):
    """A temporary directory removed when the run ends."""
    d = tempfile.mkdtemp(prefix=prefix)
    TEMP_DIRS.append(d)
    return d


TEMP_DIRS = []
atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in TEMP_DIRS])


def write(dirname, name, text):
    path = os.path.join(dirname, name)
    with open(path, "w") as f:
        f.write(text)
    return path


GOOD_CONFIG = """\
server:
  plain_http: true
  listen: 127.0.0.1:{port}
  title: test hub
database: {dir}/t.db
limits:
  max_page_size: 50
partners:
  - id: alice
    password_hash: "%(alice)s"
  - id: bob
    password_hash: "%(bob)s"
api_roots:
  - path: r1
    title: Root one
    collections:
      - id: 11111111-2222-4333-8444-555555555555
        alias: shared
        title: Shared
        read: "*"
        write: [alice]
      - id: 11111111-2222-4333-8444-666666666666
        alias: private
        title: Alice only
        read: [alice]
"""

# (config text, the line the error must name, a word the message must contain)
BAD_CONFIGS = [
    ("server:\n  listen: 127.0.0.1:99999\n", 2, "port"),
    ("server:\n  listen: 127.0.0.1:8000\n  bogus: 1\n", 3, "unknown key 'bogus'"),
    ("database: x.db\npartners:\n  - id: Alice\n    password_hash: \"$argon2id$x\"\n", 3, "partner id"),
    ("database: x.db\npartners:\n  - id: a\n    password_hash: plain\n", 4, "Argon2id"),
    ("database: x.db\npartners:\n  - id: a\n    password_hash: \"$argon2id$x\"\napi_roots:\n"
     "  - path: r\n    title: t\n    collections:\n      - id: not-a-uuid\n        title: c\n", 9, "UUID"),
    ("database: x.db\npartners:\n  - id: a\n    password_hash: \"$argon2id$x\"\napi_roots:\n"
     "  - path: r\n    title: t\n    collections:\n      - id: 11111111-2222-4333-8444-555555555555\n"
     "        title: c\n        read: [nobody]\n", 11, "unknown partner 'nobody'"),
    ("database: x.db\nlimits:\n  default_page_size: 0\n", 3, "default_page_size"),
    ("server: [unclosed\n", 2, ""),
    ("database: x.db\n", 1, "'partners' is required"),
]


def test_config_errors_name_file_and_line():
    d = tempdir("relto-cfg-")
    for i, (text, line, word) in enumerate(BAD_CONFIGS):
        path = write(d, "bad%d.yaml" % i, text)
        rc, out, err = run_relto("serve", "-c", path, timeout=20)
        first = err.strip().split("\n")[0] if err.strip() else ""
        H.eq(rc, 2, "exit status for bad config %d (%s)" % (i, first))
        H.check(first.startswith("%s:%d:" % (path, line)),
                "config %d: expected '%s:%d: ...', got %r" % (i, path, line, first))
        H.check(word in first, "config %d: message %r lacks %r" % (i, first, word))


def test_missing_config_file_is_a_usage_error():
    rc, out, err = run_relto("serve", "-c", "/nonexistent/relto.yaml")
    H.eq(rc, 2, "exit status")
    H.check("/nonexistent/relto.yaml" in err, "message names the file: %r" % err)


def test_every_command_has_help():
    for cmd in ("serve", "demo", "import", "hash-password", "policy", "posture", "db"):
        rc, out, err = run_relto(cmd, "--help")
        H.eq(rc, 0, "%s --help exit status" % cmd)
        H.check(out.startswith("usage: relto " + cmd), "%s --help output %r" % (cmd, out[:80]))
    rc, out, err = run_relto("--version")
    H.check(rc == 0 and out.startswith("relto "), "--version: %r" % out)
    rc, out, err = run_relto("no-such-command")
    H.eq(rc, 2, "unknown command exit status")


def test_serve_with_custom_config():
    cfg = GOOD_CONFIG % {"alice": hash_password("alice-secret"), "bob": hash_password("bob-secret")}
    srv = H.start_custom_server(H.RELTO, cfg)
    try:
        r = H.request("GET", "/r1/collections/", user="bob", password="bob-secret", server=srv)
        H.eq(r.status, 200, "bob lists collections")
        ids = [c["id"] for c in r.json.get("collections", [])]
        H.eq(ids, ["11111111-2222-4333-8444-555555555555"], "bob sees only the shared collection")
        r = H.request("GET", "/r1/collections/private/", user="bob", password="bob-secret", server=srv)
        H.eq(r.status, 404, "a collection bob may not read or write does not exist for him")
        r = H.request("GET", "/r1/collections/private/", user="alice", password="alice-secret", server=srv)
        H.eq(r.status, 200, "alice reads her collection by alias")
        r = H.request("GET", "/r1/collections/shared/objects/", params={"limit": "100000"}, user="alice",
                      password="alice-secret", server=srv)
        H.eq(r.status, 200, "a limit over max_page_size is lowered, not refused")
        r = H.request("GET", "/r1/", user="alice", password="bob-secret", server=srv)
        H.eq(r.status, 401, "alice with bob's password")
    finally:
        srv.cleanup()


def test_serve_starts_while_another_process_writes():
    """A store whose schema is current opens without taking the write lock:
    `relto serve` starts and answers while another process holds it (an
    operator's sqlite3 shell, a long maintenance transaction) instead of
    waiting behind it and, after SQLite's 10 s busy timeout, stopping with
    "database is locked".  SQLite only (PostgreSQL has no such lock)."""
    if H.PG_URL:
        raise H.Skip("SQLite's write lock")
    cfg = GOOD_CONFIG % {"alice": hash_password("alice-secret"), "bob": hash_password("bob-secret")}
    srv = H.start_custom_server(H.RELTO, cfg)
    con = None
    try:
        srv.stop()
        con = sqlite3.connect(os.path.join(srv.dir, "t.db"), isolation_level=None)
        con.execute("BEGIN IMMEDIATE")
        con.execute("INSERT INTO meta(key, value) VALUES('held', 1)")
        srv.start()
        r = H.request("GET", "/r1/collections/shared/objects/", user="bob", password="bob-secret", server=srv)
        H.eq(r.status, 200, "objects read while another process holds the write lock")
        H.eq(r.json.get("objects", []), [], "the shared collection is empty")
    finally:
        if con is not None:
            con.execute("ROLLBACK")
            con.close()
        srv.cleanup()


def bundle(objects):
    return json.dumps({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": objects})


def indicator(i, modified="2024-01-01T00:00:00.000Z"):
    return {"type": "indicator", "spec_version": "2.1",
            "id": "indicator--%s" % uuid.UUID(int=i + 1000, version=4),
            "created": "2024-01-01T00:00:00.000Z", "modified": modified,
            "pattern": "[ipv4-addr:value = '198.51.100.%d']" % (i % 250), "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z"}


def test_import_reports_added_duplicates_rejected():
    d = tempdir("relto-import-")
    db = os.path.join(d, "i.db")
    coll = "11111111-2222-4333-8444-777777777777"
    good = [indicator(i) for i in range(5)]
    bad = {"type": "indicator", "id": "indicator--nope"}
    path = write(d, "b.json", bundle(good + [good[0], bad]))
    rc, out, err = run_relto("import", "--db", db, "--collection", coll, path)
    H.eq(rc, 0, "import exit status (%s)" % err)
    H.check("7 objects: 5 added, 1 duplicates, 1 rejected" in out, "summary: %r" % out)
    H.check("indicator--nope" in err and "rejected" in err, "the rejected object and why: %r" % err)
    rc, out, err = run_relto("import", "--db", db, "--collection", coll, path)
    H.check("7 objects: 0 added, 6 duplicates, 1 rejected" in out, "second import: %r" % out)
    path2 = write(d, "broken.json", '{"objects": [ {"type": "x"} ')
    rc, out, err = run_relto("import", "--db", db, "--collection", coll, path2)
    H.eq(rc, 1, "a malformed file fails the import")
    H.check("broken.json" in err and "line" in err, "the error says where: %r" % err)
    rc, out, err = run_relto("import", "--db", db, "--collection", "intel", path)
    H.eq(rc, 2, "with --db the collection must be a UUID")


def test_db_migrate():
    """`relto db migrate --db PATH` creates the schema of a new store and
    says its version; again, it is up to date; a store whose schema is
    newer than this relto is refused (exit 1, saying so) and left as it was."""
    d = tempdir("relto-migrate-")
    db = os.path.join(d, "m.db")
    # On PostgreSQL the store is shown as its URL without the password.
    shown = db
    if H.PG_URL:
        u = urllib.parse.urlsplit(H.store_url(db))
        shown = "%s://%s:%d%s" % (u.scheme, u.hostname, u.port, u.path)
    for what in ("a new store", "the same store again"):
        rc, out, err = run_relto("db", "migrate", "--db", db)
        H.eq(rc, 0, "relto db migrate on %s (%s)" % (what, err))
        H.check(re.match(r"^%s: schema version \d+, up to date" % re.escape(shown), out),
                "relto db migrate on %s: %r" % (what, out))
    if H.PG_URL:
        H.pg_sql(db, "UPDATE schema_version SET version = 99")
    else:
        con = sqlite3.connect(db)
        con.execute("UPDATE meta SET value = 99 WHERE key = 'schema_version'")
        con.commit()
        con.close()
    rc, out, err = run_relto("db", "migrate", "--db", db)
    H.eq(rc, 1, "relto db migrate on a store with a newer schema")
    H.check("newer" in err and "99" in err, "the error says the schema is newer: %r" % err)
    if H.PG_URL:
        newer = int(H.pg_sql(db, "SELECT version FROM schema_version")[0][0])
    else:
        con = sqlite3.connect(db)
        newer = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        con.close()
    H.eq(newer, 99, "the newer store is left as it was")
    rc, out, err = run_relto("db", "migrate")
    H.eq(rc, 2, "relto db migrate without -c or --db")


def test_import_attack_bundle():
    if not os.path.exists(ATTACK_ICS):
        raise H.Skip("no ../shared/data/attack (only in the development tree)")
    d = tempdir("relto-import-")
    rc, out, err = run_relto("import", "--db", os.path.join(d, "a.db"), "--collection",
                             "11111111-2222-4333-8444-888888888888", ATTACK_ICS, timeout=300)
    H.eq(rc, 0, "import exit status (%s)" % err[-500:])
    H.check("1826 objects: 1826 added, 0 duplicates, 0 rejected" in out, "summary: %r" % out)


def _post_loop(srv, acked, stop, errors):
    """POST envelopes of 200 new objects until stopped; record acknowledged ids."""
    n = 0
    while not stop.is_set():
        objs = [indicator(10_000_000 + n + i) for i in range(200)]
        n += 200
        body = json.dumps({"objects": objs}).encode()
        try:
            r = H.request("POST", H.coll_path("reference", "objects/"), user="usa", server=srv,
                          body=body, timeout=10, checks=False)
        except Exception as e:  # noqa: BLE001 - the server is being killed
            errors.append(repr(e))
            return
        if r.status == 202 and r.json:
            for s in r.json.get("successes", []):
                acked.add(s["id"])


def test_sigkill_during_post_loses_no_acknowledged_object():
    srv = H.Server(H.RELTO, ["demo", "--quiet", "--listen", "127.0.0.1:{port}", "--db", "{dir}/k.db"],
                   name="relto-kill").start()
    try:
        acked, stop, errors = set(), threading.Event(), []
        t = threading.Thread(target=_post_loop, args=(srv, acked, stop, errors))
        t.start()
        time.sleep(2.0)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait()
        stop.set()
        t.join(30)
        H.check(len(acked) >= 200, "some envelopes were acknowledged before the kill (%d)" % len(acked))
        srv.proc = None
        srv.start()
        stored, params = set(), {"limit": "1000"}
        while True:
            r = H.request("GET", H.coll_path("reference", "manifest/"), params=params, server=srv)
            H.eq(r.status, 200, "manifest after restart")
            stored.update(rec["id"] for rec in r.json.get("objects", []))
            if not r.json.get("more"):
                break
            params = {"limit": "1000", "next": r.json["next"]}
        lost = acked - stored
        H.check(not lost, "%d acknowledged objects lost after SIGKILL, e.g. %s" % (len(lost), sorted(lost)[:3]))
    finally:
        srv.cleanup()
