#!/usr/bin/env python3
"""The server on PostgreSQL answers as on SQLite (issue 7).

Run by tests/pg/run (RELTO_TEST_PG: a database of a throwaway cluster):

    tests/pg/run python3 tests/pg/server_test.py [--build DIR]

The same generated hub (build/bench/gen: objects with TLP, classification,
REL TO and granular markings, reports with object_refs, relationships,
sightings, several versions; partners of narrow and wide clearance) is
imported into a SQLite store and into the PostgreSQL database, and
`relto serve` runs on each with the same configuration (audit trail on,
durability disk).  Then, as every partner: full crawls of the collection
(objects, manifest) by `next`, filters, objects by id (released and
withheld), versions, a POST and its status; the answers must be the same
on both backends: status, objects and `more` byte for byte, the
[id, version] pairs of manifests, and what the audit trails recorded of
the crawls (released lists, withheld counts by reason).  What legitimately differs is left
out: `next` tokens (keyed by each store's own secret), date_added values
and X-TAXII-Date-Added headers (the time each import ran).  Then a
second process on the PostgreSQL database: `next` tokens and rules
changes work across the two, and each hears of the other's changes
(LISTEN/NOTIFY): a posture change is applied without a request, and a
posted object is in the other's cached page before the entry expires.
Finally `relto audit verify` must find each trail intact.  The last line is
"pg-server: N passed, M failed".
"""
import base64
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLL = "6b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ACCEPT = "application/taxii+json;version=2.1"
PASSWORD = "bench-password"
passed = failed = 0   # tests (groups of checks), as the other suites count
current = None        # the test running: [name, failures]


def begin(name):
    """Start a test: the checks until the next begin() or finish()."""
    global current
    finish()
    current = [name, 0]


def finish():
    global current, passed, failed
    if current:
        if current[1]:
            failed += 1
            print("FAIL %s" % current[0], flush=True)
        else:
            passed += 1
            print("ok   %s" % current[0], flush=True)
    current = None


def check(ok, what):
    if not ok:
        print("  %s" % what, flush=True)
        if current:
            current[1] += 1
        else:
            begin(what)
            current[1] += 1
            finish()
    return ok


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, user, path, query="", method="GET", body=None):
    """(status, parsed JSON or None, raw body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    auth = base64.b64encode(("%s:%s" % (user, PASSWORD)).encode()).decode()
    headers = {"Authorization": "Basic " + auth, "Accept": ACCEPT}
    if body is not None:
        headers["Content-Type"] = ACCEPT
    conn.request(method, path + ("?" + query if query else ""), body=body, headers=headers)
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = None
    return r.status, doc, raw


class Served:
    """relto serve on one database (a file or a PostgreSQL URL)."""

    def __init__(self, relto, work, name, database, template, key=None):
        self.port = free_port()
        self.name = name
        self.cfg = os.path.join(work, name + ".yaml")
        text = template.replace("{PORT}", str(self.port))
        text = "\n".join('database: "%s"' % database if ln.startswith("database:") else ln
                         for ln in text.split("\n"))
        # Processes on one database share one signing key (docs/scaling.md).
        text += "\naudit:\n  key: %s\n  durability: disk\n" % (key or os.path.join(work, name + ".audit-key"))
        with open(self.cfg, "w") as f:
            f.write(text)
        self.relto = relto
        self.log_path = os.path.join(work, name + ".log")
        self.log = open(self.log_path, "w")
        self.proc = None

    def cli(self, *args):
        return subprocess.run([self.relto] + list(args), capture_output=True, text=True, timeout=300)

    def start(self):
        self.proc = subprocess.Popen([self.relto, "serve", "-c", self.cfg], stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, _, _ = get(self.port, "admin", "/taxii2/")
                if status == 200:
                    return True
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        return False

    def log_lines(self):
        with open(self.log_path) as f:
            return f.read().splitlines()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode if self.proc else None


def crawl(port, user, kind, query):
    """Every page of a crawl by `next`: [(status, page without `next`)]."""
    pages, q = [], query
    for _ in range(10000):
        status, doc, raw = get(port, user, "/hub/collections/%s/%s/" % (COLL, kind), q)
        if status != 200 or not isinstance(doc, dict):
            pages.append((status, raw[:200]))
            return pages
        if kind == "manifest":
            # date_added is the import's time on each store.
            doc["objects"] = [[o.get("id"), o.get("version")] for o in doc.get("objects", [])]
        nxt = doc.pop("next", None)
        pages.append((status, doc))
        if not doc.get("more"):
            return pages
        q = query + ("&" if query else "") + "next=" + urllib.parse.quote(nxt or "", safe="")
    return pages


def reads(s):
    """The read records of s's audit trail, oldest first, as (partner, path,
    query without its `next` token, status, released, withheld)."""
    r = s.cli("audit", "export", "-c", s.cfg)
    out = []
    for line in r.stdout.splitlines():
        rec = json.loads(line)
        if rec.get("type") == "read":
            query = "&".join(p for p in (rec.get("query") or "").split("&") if not p.startswith("next="))
            out.append((rec.get("partner"), rec.get("path"), query, rec.get("status"), rec.get("released"),
                        rec.get("withheld")))
    return out


def ids_received(port, user):
    """The ids a full crawl of the collection gives user."""
    pages = crawl(port, user, "objects", "limit=1000")
    return {o["id"] for st, p in pages if st == 200 for o in p.get("objects", [])}


def admin_post(port, path, doc):
    """(status, parsed JSON or None, raw body) of an admin API POST."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    auth = base64.b64encode(("admin:%s" % PASSWORD).encode()).decode()
    conn.request("POST", path, body=json.dumps(doc), headers={
        "Accept": "application/json", "Content-Type": "application/json", "Authorization": "Basic " + auth})
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    return resp.status, parsed, raw


# The line a process logs for each batch of changes other processes
# announced (src/http/watch.c).
APPLIED = 'msg="applied a change by another process"'


def applied(served, kind):
    """The lines in which served says it applied kind announced by another process."""
    return [ln for ln in served.log_lines()
            if APPLIED in ln and re.search(r"changes=\S*\b%s\b" % kind, ln)]


def wait_for(cond, timeout):
    """cond()'s first true value within timeout seconds, else None."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() > deadline:
            return v or None
        time.sleep(0.02)


def announced_rules(a, b):
    """A posture change through a reaches b by its announcement: b applies
    it (logs its rules in force with the new version) without any request
    to b.  (b's 2-second refresh would apply it too, so what is required
    is b's line saying it applied a change announced by another process,
    with the new version in force.)  a leaves out its own announcement."""
    begin("a posture change through process a is applied by process b at once, without a request to b "
          "(LISTEN/NOTIFY)")
    change = {"reason": "pg test: announced to the other process", "changes": [
        {"op": "add-equipment", "partner": "p3", "operator": "Operator p3", "segment": "core",
         "vendor": "huawei"}]}
    status, doc, raw = admin_post(a.port, "/admin/posture/changes", change)
    if not check(status == 200 and doc and "version" in doc, "POST /admin/posture/changes through process a: %s %s"
                 % (status, raw[:300])):
        return
    v = doc["version"]
    now = re.compile(r"posture_version=%d\b" % v)
    line = wait_for(lambda: [ln for ln in applied(b, "rules") if now.search(ln)], 10)
    check(line, "within 10 s and without a request, process b logs that it applied the rules change "
          "announced by a, posture version %d in force; b's log ends:\n    %s"
          % (v, "\n    ".join(b.log_lines()[-5:])))
    check([ln for ln in b.log_lines() if 'msg="rules in force"' in ln and now.search(ln)],
          "process b logs its rules in force with posture version %d" % v)
    check(not [ln for ln in applied(a, "rules") if now.search(ln)],
          "process a does not apply its own change again as another process's")


def cache_hits(served):
    """relto_page_cache_hits_total of served (GET /metrics)."""
    status, _, raw = get(served.port, "admin", "/metrics")
    m = re.search(rb"^relto_page_cache_hits_total (\d+)$", raw, re.M) if status == 200 else None
    return int(m.group(1)) if m else -1


def announced_objects(a, b):
    """b's page cache is on (the default, entries live PAGECACHE_TTL_US,
    1 s): b answers a page, then again from its cache; an object posted
    through a that belongs on that page is in b's next answer once b has
    heard of it (its log says so), though the cached entry has not expired.
    Each try must finish within 0.9 s of the page being cached to tell
    anything (after 1 s it would have expired anyway); up to 3 tries."""
    begin("objects posted through process a are in process b's cached pages as soon as b hears of them, "
          "before the page cache's 1 s expiry (LISTEN/NOTIFY)")
    path = "/hub/collections/%s/objects/" % COLL
    known = "indicator--0b0b0b0b-1111-4222-8333-444455556666"  # posted earlier (main)
    for attempt in range(3):
        new = "indicator--0b0b0b0b-1111-4222-8333-4444555500%02d" % attempt
        query = "match[id]=%s,%s&limit=%d" % (known, new, 10 + attempt)  # a page of its own
        t0 = time.time()
        s1, d1, _ = get(b.port, "hub", path, query)
        hits = cache_hits(b)
        s2, d2, _ = get(b.port, "hub", path, query)
        if not check(s1 == 200 and d1 == d2 and cache_hits(b) == hits + 1
                     and [o["id"] for o in d1.get("objects", [])] == [known],
                     "process b answers the page (%s, %s), the second time from its cache" % (s1, s2)):
            return
        heard = len(applied(b, "objects"))
        obj = {"type": "indicator", "spec_version": "2.1", "id": new,
               "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
               "name": "announced", "pattern": "[ipv4-addr:value = '198.51.100.8']", "pattern_type": "stix",
               "valid_from": "2026-01-02T00:00:00Z"}
        status, doc, raw = get(a.port, "hub", path, method="POST", body=json.dumps({"objects": [obj]}))
        if not check(status == 202 and doc and doc.get("success_count") == 1,
                     "POST through process a: %s %s" % (status, raw[:200])):
            return
        if not check(wait_for(lambda: len(applied(b, "objects")) > heard, 10),
                     "within 10 s, process b logs that it applied the objects announced by a"):
            return
        s3, d3, _ = get(b.port, "hub", path, query)
        elapsed = time.time() - t0
        ids = [o["id"] for o in d3.get("objects", [])] if isinstance(d3, dict) else []
        if elapsed < 0.9 or new not in ids:
            check(s3 == 200 and ids == [known, new], "%.2f s after b cached the page, after b heard of the new "
                  "object, b's page holds %r" % (elapsed, ids))
            return
        print("  (try %d took %.2f s: the entry might have expired; again)" % (attempt + 1, elapsed), flush=True)
    check(False, "three tries each took 0.9 s or more: too slow to tell a cache emptied from one expired")


def two_processes(relto, work, url, template, a):
    """A second process (b) on the same database.  p2 (wide clearance) reads
    through b, so b has its decisions (and its page cache) in place; then a
    posture change through a's admin API puts high-risk equipment in p2's
    core network.  b's next answer to p2 must already withhold what the
    policy now withholds: the same as a (which made the change) answers."""
    begin("two processes on one database: `next` tokens and status ids work across them, and a posture "
          "change through one applies to the other's next request")
    b = Served(relto, work, "pg-b", url, template, key=os.path.join(work, a.name + ".audit-key"))
    if not check(b.start(), "a second relto serve on the same PostgreSQL database starts"):
        return
    try:
        # A client load-balanced between processes: each page from the
        # other process, following the `next` tokens the other one made.
        alternating, q, port = [], "limit=100", a.port
        for _ in range(1000):
            status, doc, _ = get(port, "p3", "/hub/collections/%s/objects/" % COLL, q)
            if not check(status == 200 and isinstance(doc, dict), "p3 page from port %d: %s" % (port, status)):
                break
            alternating += [o["id"] for o in doc.get("objects", [])]
            if not doc.get("more"):
                break
            q = "limit=100&next=" + urllib.parse.quote(doc["next"], safe="")
            port = b.port if port == a.port else a.port
        whole = [o["id"] for st, p in crawl(a.port, "p3", "objects", "limit=100") if st == 200
                 for o in p.get("objects", [])]
        check(alternating == whole, "a crawl whose pages alternate between the processes (%d objects) is the "
              "crawl of one process (%d)" % (len(alternating), len(whole)))
        # A POST through one process, its status read through the other.
        obj = {"type": "indicator", "spec_version": "2.1", "id": "indicator--0c0c0c0c-1111-4222-8333-444455556666",
               "created": "2026-01-02T00:00:00.000Z", "modified": "2026-01-02T00:00:00.000Z",
               "pattern": "[ipv4-addr:value = '198.51.100.8']", "pattern_type": "stix",
               "valid_from": "2026-01-02T00:00:00Z"}
        status, doc, raw = get(a.port, "hub", "/hub/collections/%s/objects/" % COLL, method="POST",
                               body=json.dumps({"objects": [obj]}))
        sid = doc.get("id") if status == 202 and doc else None
        check(sid, "POST through process a: %s %s" % (status, raw[:200]))
        status, st_b, _ = get(b.port, "hub", "/hub/status/%s/" % sid)
        status_a, st_a, _ = get(a.port, "hub", "/hub/status/%s/" % sid)
        check(status == 200 and status_a == 200 and st_b == st_a and st_b.get("success_count") == 1,
              "the status of a POST through process a, read through process b: %s %r" % (status, st_b))
        status, _, _ = get(b.port, "p2", "/hub/status/%s/" % sid)
        check(status == 404, "another partner asks process b for that status: %s (404: it is hub's)" % status)
        before = ids_received(b.port, "p2")
        check(before == ids_received(a.port, "p2"), "p2 receives the same from both processes before the change")
        change = {"reason": "pg test: high-risk core equipment at p2", "changes": [
            {"op": "add-equipment", "partner": "p2", "operator": "Operator p2", "segment": "core",
             "vendor": "huawei"}]}
        status, _, body = admin_post(a.port, "/admin/posture/changes", change)
        check(status == 200, "POST /admin/posture/changes through process a: %s %s" % (status, body[:300]))
        after_b, after_a = ids_received(b.port, "p2"), ids_received(a.port, "p2")
        check(after_b == after_a, "after the change, process b gives p2 what process a gives: %d against %d objects"
              % (len(after_b), len(after_a)))
        check(after_b < before, "after the change p2 receives fewer objects (%d, before %d)"
              % (len(after_b), len(before)))
        announced_rules(a, b)
        announced_objects(a, b)
    finally:
        check(b.stop() == 0, "the second process stops cleanly")


def main():
    build = "build"
    if len(sys.argv) > 2 and sys.argv[1] == "--build":
        build = sys.argv[2]
    relto = os.path.join(TOP, build, "relto")
    gen = os.path.join(TOP, build, "bench", "gen")
    url = os.environ.get("RELTO_TEST_PG")
    if not url:
        print("pg-server: skipped: RELTO_TEST_PG is not set (tests/pg/run sets it)", file=sys.stderr)
        print("pg-server: 0 passed, 0 failed")
        return 0
    for exe in (relto, gen):
        if not check(os.access(exe, os.X_OK), "%s is built (make %s)" % (exe, "bench" if exe == gen else "")):
            print("pg-server: %d passed, %d failed" % (passed, failed))
            return 1
    begin("relto db migrate, then import the same hub into SQLite and PostgreSQL, and serve both")
    work = tempfile.mkdtemp(prefix="relto-pg-server-")
    subprocess.run([gen, "objects", "3000", work], check=True, capture_output=True)
    subprocess.run([gen, "hub", "12", work], check=True, capture_output=True)
    with open(os.path.join(work, "relto.yaml")) as f:
        template = f.read()
    lite = Served(relto, work, "sqlite", os.path.join(work, "lite.db"), template)
    pg = Served(relto, work, "pg", url, template)
    objects = sorted(os.path.join(work, f) for f in os.listdir(work) if f.startswith("objects-"))
    for s in (lite, pg):
        r = s.cli("db", "migrate", "-c", s.cfg)
        check(r.returncode == 0 and re.search(r"schema version (\d+), up to date \(this relto's: \1\)", r.stdout)
              and (urllib.parse.urlsplit(url).password or "") not in r.stdout + r.stderr,
              "relto db migrate on %s: %s %s" % (s.name, r.stdout.strip()[-200:], r.stderr.strip()[-200:]))
        r = s.cli("import", "-q", "-c", s.cfg, "--collection", "bench", "--as", "hub", *objects)
        check(r.returncode == 0, "relto import into %s: %s" % (s.name, r.stderr.strip()[-300:]))
        check(s.start(), "relto serve on %s starts" % s.name)
    try:
        users = ["admin", "hub", "p1", "p2", "p3", "p7"]
        seen = {}
        for user in users:
            begin("crawls as %s: the same pages on both backends" % user)
            for kind, query in (("objects", "limit=100"), ("objects", "limit=37&match[type]=indicator"),
                                ("objects", "limit=25&match[type]=report,marking-definition,report"),
                                ("objects", "limit=50&match[version]=all"),
                                ("objects", "limit=50&match[version]=first"),
                                ("manifest", "limit=200"), ("objects", "limit=1000")):
                a, b = crawl(lite.port, user, kind, query), crawl(pg.port, user, kind, query)
                same = a == b
                if not same:
                    for i, (x, y) in enumerate(zip(a, b)):
                        if x != y:
                            print("  %s %s?%s page %d differs:\n    sqlite %s\n    pg     %s"
                                  % (user, kind, query, i, json.dumps(x)[:400], json.dumps(y)[:400]))
                            break
                check(same, "%s: crawl of %s?%s: %d pages on SQLite, %d on PostgreSQL, the same"
                      % (user, kind, query, len(a), len(b)))
                if query == "limit=1000":
                    seen[user] = sum(len(p[1].get("objects", [])) for p in b if isinstance(p[1], dict))
        # The pages compared are filtered: the narrow partner sees less.
        begin("the policy filters: p1 (narrow) receives fewer objects than the admin")
        check(0 < seen.get("p1", 0) < seen.get("admin", 0), "objects received: %r" % seen)
        # What each page of those crawls released and withheld, as each
        # trail recorded it: the same [id, version] lists (by hash) and the
        # same withheld counts, by reason (in the order of their marking sets).
        begin("the audit trails of the crawls: the same releases and withheld counts on both backends")
        ta, tb = reads(lite), reads(pg)
        differ = [(x, y) for x, y in zip(ta, tb) if x != y]
        for x, y in differ[:1]:
            print("  first record that differs:\n    sqlite %s\n    pg     %s" % (json.dumps(x)[:400], json.dumps(y)[:400]))
        check(ta and len(ta) == len(tb) and not differ, "%d read records on SQLite, %d on PostgreSQL, %d differ"
              % (len(ta), len(tb), len(differ)))
        check(any(x[5] for x in ta), "some pages withheld objects")
        # Objects by id and their versions, released or withheld: the
        # admin's ids, asked for by each partner.
        _, doc, _ = get(lite.port, "admin", "/hub/collections/%s/objects/" % COLL, "limit=60")
        ids = [o["id"] for o in doc.get("objects", [])]
        for user in users:
            begin("objects by id and versions as %s: the same answers on both backends" % user)
            for oid in ids:
                for sub in ("", "versions/"):
                    path = "/hub/collections/%s/objects/%s/%s" % (COLL, oid, sub)
                    sa, da, _ = get(lite.port, user, path)
                    sb, db, _ = get(pg.port, user, path)
                    check((sa, da) == (sb, db), "%s GET %s: %s on SQLite, %s on PostgreSQL" % (user, path, sa, sb))
        # A POST, its status, and the object read back (as hub, who may write).
        obj = {"type": "indicator", "spec_version": "2.1",
               "id": "indicator--0b0b0b0b-1111-4222-8333-444455556666",
               "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
               "name": "pg", "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
               "valid_from": "2026-01-01T00:00:00Z"}
        envelope = json.dumps({"objects": [obj]})
        for s in (lite, pg):
            begin("POST, its status, and the object read back, on %s" % s.name)
            status, doc, raw = get(s.port, "hub", "/hub/collections/%s/objects/" % COLL, method="POST",
                                   body=envelope)
            check(status == 202 and doc and doc.get("success_count") == 1,
                  "POST on %s: %s %s" % (s.name, status, raw[:200]))
            sid = doc.get("id") if doc else None
            status, st, _ = get(s.port, "hub", "/hub/status/%s/" % sid)
            check(status == 200 and st and st.get("status") == "complete", "status on %s: %s" % (s.name, status))
            status, doc, _ = get(s.port, "p2", "/hub/collections/%s/objects/%s/" % (COLL, obj["id"]))
            check(status == 200 and doc and doc["objects"][0]["id"] == obj["id"],
                  "the posted object read back on %s: %s" % (s.name, status))
        two_processes(relto, work, url, template, pg)
    finally:
        begin("both servers stop cleanly")
        for s in (lite, pg):
            check(s.stop() == 0, "relto serve on %s stops cleanly" % s.name)
    # The database URL's password is never logged.
    begin("the PostgreSQL password is in no log line")
    password = urllib.parse.urlsplit(url).password or ""
    with open(os.path.join(work, "pg.log")) as f:
        log = f.read()
    check(password and password not in log and "listening" in log,
          "the server's log holds the password, or was not written: %s" % log[:300])
    for s in (lite, pg):
        begin("relto audit verify on %s: intact" % s.name)
        r = s.cli("audit", "verify", "-c", s.cfg)
        check(r.returncode == 0 and "intact" in r.stdout,
              "relto audit verify on %s: %s %s" % (s.name, r.stdout.strip()[-200:], r.stderr.strip()[-200:]))
    finish()
    if not failed:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("(files kept in %s)" % work)
    print("pg-server: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
