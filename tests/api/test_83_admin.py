"""The admin API, the CLI and the impact report of docs/admin.md.

Each test starts its own `relto demo` on its own database in a temporary
directory.  The admin API answers application/json (not the TAXII media
type), so its requests go through admin() below, which checks the rules
docs/admin.md sets for every /admin/ answer, instead of H.request (whose
check_response demands the TAXII media type).

The key check (test_whatif_then_apply_matches_what_kor_receives): the
counts of the impact report are what a partner actually receives.  kor's
objects are counted by crawling the objects endpoint of every collection
kor may read (default parameters, distinct ids per collection), before and
after the change; the difference must be the report's per-collection
"gained" and "lost".
"""

import http.client
import json
import os
import re
import socket
import subprocess

import harness as H

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
POSTURE_FILE = os.path.join(TOP, "src", "demo", "posture.json")
POLICY_FILE = os.path.join(TOP, "src", "demo", "relto.policy")

JSON_MT = "application/json"
# The demo's logins other than the administrator (docs/admin.md: the report
# lists every partner login of the configuration; administrators are left out).
REPORT_LOGINS = ["usa", "gbr", "aus", "can", "nzl", "jpn", "kor", "deu"]
# Collections kor may read (read "*" in the demo configuration).
KOR_READS = ["intel", "telecom", "reference"]
KOR_SWAP = {"op": "remove-equipment", "partner": "kor", "operator": "LG Uplus",
            "segment": "ran", "vendor": "huawei"}
KOR_SWAP_FLAG = "kor/LG Uplus/ran/huawei"
LEVELS = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP_SECRET"]
ACS = "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce"
TS_RE = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def start_server(name="relto-admin"):
    """A `relto demo` on a fresh database in its own temporary directory."""
    srv = H.Server(H.RELTO, ["demo", "--quiet", "--listen", "127.0.0.1:{port}",
                             "--db", os.path.join("{dir}", "admin.db")], name=name)
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    srv.db = os.path.join(srv.dir, "admin.db")
    return srv


class Answer:
    def __init__(self, method, path, status, headers, body, doc):
        self.method, self.path = method, path
        self.status, self.headers, self.body, self.json = status, headers, body, doc

    def describe(self):
        return "%s %s -> %d %s" % (self.method, self.path, self.status,
                                   self.body[:500].decode("utf-8", "replace"))


def admin(srv, method, path, body=None, user="admin", password=None, content_type=JSON_MT,
          timeout=60):
    """One request to the admin API on a fresh connection, with the checks
    docs/admin.md makes for every /admin/ answer: never 5xx; Content-Type
    application/json; the body strict JSON; errors in the TAXII error shape
    (title, description, http_status matching the status); 401 with
    WWW-Authenticate.  body: bytes/str sent as is, anything else as JSON."""
    hdrs = {"Accept": JSON_MT}
    if user is not None:
        hdrs["Authorization"] = H.basic(user, password if password is not None
                                        else H.PASSWORDS.get(user, "x"))
    data = None
    if body is not None:
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = json.dumps(body).encode("utf-8")
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        hdrs["Content-Length"] = str(len(data))
    conn = H._connection(srv.scheme, "127.0.0.1", srv.port, timeout)
    try:
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
    except socket.timeout:
        H.fail("%s %s: no answer within %d s" % (method, path, timeout))
    except (ConnectionError, http.client.HTTPException, OSError) as e:
        H.fail("%s %s: connection failed: %r (server crashed?)" % (method, path, e))
    finally:
        conn.close()
    a = Answer(method, path, resp.status, resp.msg, raw, H.parse_json(raw))
    H.check(a.status < 500, "5xx: " + a.describe())
    ct = (a.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    H.eq(ct, JSON_MT, "Content-Type of %s %s (docs/admin.md: every /admin/ path answers "
         "application/json)" % (method, path))
    H.check(a.json is not None, "answer is not strict JSON: " + a.describe())
    if a.status >= 400:
        H.check(isinstance(a.json, dict), "error is not a JSON object: " + a.describe())
        d = a.json
        H.check(isinstance(d.get("title"), str) and d["title"],
                "error without a string title: " + a.describe())
        H.check(isinstance(d.get("description"), str),
                "error without a string description: " + a.describe())
        H.check(str(d.get("http_status")) == str(a.status),
                "error http_status does not match the status: " + a.describe())
    if a.status == 401:
        H.check(a.headers.get("WWW-Authenticate"), "401 without WWW-Authenticate: " + a.describe())
    return a


def admin_ok(srv, method, path, body=None, **kw):
    a = admin(srv, method, path, body, **kw)
    H.check(a.status == 200, "expected 200: " + a.describe())
    H.check(isinstance(a.json, dict), "expected a JSON object: " + a.describe())
    return a.json


def admin_err(srv, method, path, body, status, *needles, **kw):
    """Expect `status`; every needle must occur in the error's description."""
    a = admin(srv, method, path, body, **kw)
    H.check(a.status == status, "expected %d: %s" % (status, a.describe()))
    desc = a.json.get("description", "")
    for n in needles:
        H.check(n in desc, "%s %s: the description should contain %r: %r"
                % (method, path, n, desc))
    return a


def relto(*args, timeout=120):
    p = H.run_relto(args, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def versions_in_force(srv):
    d = admin_ok(srv, "GET", "/admin/")
    return d["posture"]["version"], d["policy"]["version"]


def crawl_ids(srv, user, coll, endpoint="objects/"):
    """Distinct ids `user` receives from a collection (default parameters,
    following next); for the manifest, the (id, version) records."""
    out, params = set(), {"limit": "1000"}
    for _ in range(1000):
        r = H.request("GET", H.coll_path(coll, endpoint), params=params, user=user, server=srv)
        H.eq(r.status, 200, "GET %s %s as %s" % (coll, endpoint, user))
        for o in r.json.get("objects", []):
            out.add(o["id"] if endpoint == "objects/" else (o["id"], o["version"]))
        if not r.json.get("more"):
            return out
        H.check(r.json.get("next"), "more=true without next")
        params = {"limit": "1000", "next": r.json["next"]}
    H.fail("pagination of %s did not end" % coll)


def received(srv, user="kor", colls=KOR_READS):
    return {c: crawl_ids(srv, user, c) for c in colls}


def file_posture():
    with open(POSTURE_FILE) as f:
        return json.load(f)


def posture_without_kor_huawei():
    p = file_posture()
    kor = next(x for x in p["partners"] if x["id"] == "kor")
    lgu = next(o for o in kor["operators"] if o["name"] == "LG Uplus")
    lgu["segments"]["ran"] = [e for e in lgu["segments"]["ran"] if e["vendor"] != "huawei"]
    return p


def policy_text():
    with open(POLICY_FILE) as f:
        return f.read()


def statement_lines(text, first_words):
    """1-based line range of the statement whose first line starts with
    first_words (continuation lines are indented)."""
    lines = text.split("\n")
    for i, l in enumerate(lines):
        if l.startswith(first_words):
            j = i + 1
            while j < len(lines) and lines[j].startswith((" ", "\t")) and lines[j].strip():
                j += 1
            return i + 1, j        # lines i+1 .. j (1-based, inclusive)
    H.fail("no statement starting %r in the demo policy" % first_words)


RAN_CAP = "cap CONFIDENTIAL when partner.networks.ran"
CORE_CAP = "cap UNCLASSIFIED when partner.networks.core"


def commented_out(text, first_words):
    """The policy with one statement turned into comments (line numbers kept)."""
    a, b = statement_lines(text, first_words)
    lines = text.split("\n")
    for k in range(a - 1, b):
        lines[k] = "# " + lines[k]
    return "\n".join(lines)


def by_partner(report):
    return {p["partner"]: p for p in report["partners"]}


def check_report(report, before, after, exact=True, what="impact report"):
    """The shape docs/admin.md gives the report, and its internal sums."""
    H.check(isinstance(report, dict), "%s is not an object: %r" % (what, report))
    H.eq(report.get("exact"), exact, what + ": exact")
    H.eq(report.get("before"), {"posture": before[0], "policy": before[1]}, what + ": before")
    H.eq(report.get("after"), {"posture": after[0], "policy": after[1]}, what + ": after")
    parts = report.get("partners")
    H.check(isinstance(parts, list), what + ": partners is not a list")
    names = [p.get("partner") for p in parts]
    H.eq(sorted(names), sorted(REPORT_LOGINS),
         what + ": one entry for each partner login of the configuration, no administrator")
    for p in parts:
        w = "%s: partner %s" % (what, p.get("partner"))
        for k in ("gained", "lost", "changed"):
            H.check(isinstance(p.get(k), int) and not isinstance(p.get(k), bool) and p[k] >= 0,
                    "%s: %s is not a non-negative integer: %r" % (w, k, p.get(k)))
        for lst, key in (("collections", "collection"), ("levels", "level")):
            H.check(isinstance(p.get(lst), list), "%s: %s is not a list" % (w, lst))
            for e in p[lst]:
                H.check(isinstance(e.get(key), str), "%s: %s entry without %s: %r" % (w, lst, key, e))
                H.check(any(e.get(k) for k in ("gained", "lost", "changed")),
                        "%s: %s lists an entry with no non-zero count: %r" % (w, lst, e))
            H.eq(len({e[key] for e in p[lst]}), len(p[lst]), w + ": duplicate " + lst + " entries")
        for e in p["levels"]:
            H.check(e["level"] in LEVELS, "%s: unknown level %r" % (w, e["level"]))
        # An object counts once per collection; levels are by object in each
        # collection too, so both sums give the partner's totals.
        for k in ("gained", "lost", "changed"):
            H.eq(sum(e.get(k, 0) for e in p["collections"]), p[k], w + ": sum of collections' " + k)
            H.eq(sum(e.get(k, 0) for e in p["levels"]), p[k], w + ": sum of levels' " + k)
        H.check(isinstance(p.get("rules"), list), w + ": rules is not a list")
        for r in p["rules"]:
            H.check(r.get("effect") in ("gained", "lost", "changed"), "%s: rule effect %r" % (w, r))
            H.check(isinstance(r.get("rule"), str) and r["rule"], "%s: rule without text: %r" % (w, r))
            H.check(isinstance(r.get("objects"), int) and r["objects"] > 0,
                    "%s: rule without a positive object count: %r" % (w, r))
        if p["gained"]:
            H.check(any(r["effect"] == "gained" for r in p["rules"]),
                    w + ": gains objects but no rule says why: %r" % p["rules"])
        if p["lost"]:
            H.check(any(r["effect"] == "lost" for r in p["rules"]),
                    w + ": loses objects but no rule says why: %r" % p["rules"])
    return by_partner(report)


def level_entry(p, level):
    for e in p["levels"]:
        if e["level"] == level:
            return e
    return {"level": level, "gained": 0, "lost": 0, "changed": 0}


def coll_entry(p, alias):
    cid = H.COLLECTIONS[alias]
    for e in p["collections"]:
        if e["collection"] == cid:
            return e
    return {"collection": cid, "gained": 0, "lost": 0, "changed": 0}


def check_rule(p, effect, words, policy, first_words, what):
    """p has a rule with this effect whose text contains words and whose line
    lies within the statement of the policy starting with first_words."""
    a, b = statement_lines(policy, first_words)
    hits = [r for r in p["rules"] if r["effect"] == effect and words in r["rule"]]
    H.check(hits, "%s: no %r rule naming %r among %r" % (what, effect, words, p["rules"]))
    H.check(any(isinstance(r.get("line"), int) and a <= r["line"] <= b for r in hits),
            "%s: the %r rule should give a line of the policy statement (lines %d-%d): %r"
            % (what, words, a, b, hits))


def check_kor_swap_report(parts, policy, what):
    """The impact of LG Uplus removing Huawei from its radio network."""
    kor = parts["kor"]
    H.check(kor["gained"] > 0, "%s: kor gains objects: %r" % (what, kor))
    H.eq(kor["lost"], 0, what + ": kor loses nothing")
    H.check(level_entry(kor, "SECRET")["gained"] > 0,
            "%s: kor gains objects at level SECRET: %r" % (what, kor["levels"]))
    H.eq(level_entry(kor, "TOP_SECRET")["gained"], 0,
         what + ": kor (agreement SECRET) gains nothing TOP_SECRET")
    check_rule(kor, "gained", "radio access network", policy, RAN_CAP, what + ": kor")
    H.check(all(e["collection"] != H.COLLECTIONS["submissions"] for e in kor["collections"]),
            what + ": kor cannot read submissions, which must not be counted")
    for name in REPORT_LOGINS:
        if name == "kor":
            continue
        p = parts[name]
        H.check(p["gained"] == 0 and p["lost"] == 0 and p["changed"] == 0,
                "%s: %s is not affected by kor's posture: %r" % (what, name, p))


def check_counts_match(report_partner, before, after, what):
    """The report's per-collection counts equal what the partner receives."""
    for coll in before:
        gained = len(after[coll] - before[coll])
        lost = len(before[coll] - after[coll])
        e = coll_entry(report_partner, coll)
        H.eq((e.get("gained", 0), e.get("lost", 0)), (gained, lost),
             "%s: (gained, lost) in %s: report vs. the ids actually received" % (what, coll))


ALL_ADMIN = [
    ("GET", "/admin/", None),
    ("GET", "/admin/posture", None),
    ("PUT", "/admin/posture", "posture"),
    ("POST", "/admin/posture/changes", {"reason": "r", "changes": [KOR_SWAP]}),
    ("GET", "/admin/posture/versions", None),
    ("GET", "/admin/posture/versions/1", None),
    ("GET", "/admin/posture/diff?from=0&to=1", None),
    ("GET", "/admin/partners", None),
    ("GET", "/admin/partners/kor", None),
    ("GET", "/admin/vendors", None),
    ("GET", "/admin/policy", None),
    ("PUT", "/admin/policy", "policy"),
    ("GET", "/admin/policy/versions", None),
    ("GET", "/admin/policy/versions/1", None),
    ("GET", "/admin/policy/diff?from=0&to=1", None),
    ("POST", "/admin/whatif", {"changes": [KOR_SWAP]}),
]


def admin_body(spec):
    if spec == "posture":
        return {"reason": "r", "posture": posture_without_kor_huawei()}
    if spec == "policy":
        return {"reason": "r", "policy": commented_out(policy_text(), RAN_CAP)}
    return spec


# --------------------------------------------------------------------------
# Admin API
# --------------------------------------------------------------------------

def test_admin_requires_an_admin_login():
    """No credentials: 401 (with WWW-Authenticate); a wrong admin password:
    401; a partner login (kor, and usa, the hub): 403, on every /admin/ path,
    and the forbidden writes change nothing."""
    srv = start_server()
    try:
        for method, path, spec in ALL_ADMIN:
            body = admin_body(spec)
            a = admin(srv, method, path, body, user=None)
            H.check(a.status == 401, "no credentials: expected 401: " + a.describe())
            a = admin(srv, method, path, body, user="admin", password="wrong")
            H.check(a.status == 401, "wrong admin password: expected 401: " + a.describe())
            for user in ("kor", "usa"):
                a = admin(srv, method, path, body, user=user)
                H.check(a.status == 403, "partner login %s: expected 403: %s" % (user, a.describe()))
        H.eq(versions_in_force(srv), (0, 0), "versions after forbidden changes")
        H.eq(admin_ok(srv, "GET", "/admin/posture/versions")["versions"], [],
             "stored posture versions after forbidden changes")
        H.eq(admin_ok(srv, "GET", "/admin/policy/versions")["versions"], [],
             "stored policy versions after forbidden changes")
    finally:
        srv.cleanup()


def test_versions_and_the_built_in_posture_and_policy():
    """GET /admin/ gives versions 0 and a snapshot; GET /admin/posture and
    /admin/policy give version 0, the demo's built-in files, empty author and
    reason; no stored versions; /versions/1 is 404."""
    srv = start_server()
    try:
        root = admin_ok(srv, "GET", "/admin/")
        H.eq(root.get("posture"), {"version": 0}, "GET /admin/ posture")
        H.eq(root.get("policy"), {"version": 0}, "GET /admin/ policy")
        H.check("snapshot" in root and root["snapshot"] not in (None, ""),
                "GET /admin/ names the snapshot: %r" % root)
        post = admin_ok(srv, "GET", "/admin/posture")
        H.eq(post.get("version"), 0, "GET /admin/posture version")
        H.check(post.get("author") in ("", None) and post.get("reason") in ("", None),
                "version 0 has empty author and reason: %r" % {k: post.get(k) for k in ("author", "reason")})
        H.check("at" in post, "GET /admin/posture has 'at': %r" % list(post))
        H.eq(post.get("posture"), file_posture(), "GET /admin/posture: the demo's built-in posture")
        pol = admin_ok(srv, "GET", "/admin/policy")
        H.eq(pol.get("version"), 0, "GET /admin/policy version")
        H.check(pol.get("author") in ("", None) and pol.get("reason") in ("", None),
                "policy version 0 has empty author and reason: %r" % pol)
        H.eq(pol.get("policy"), policy_text(), "GET /admin/policy: the demo's built-in policy text")
        H.eq(admin_ok(srv, "GET", "/admin/posture/versions"), {"versions": []},
             "GET /admin/posture/versions before any change")
        H.eq(admin_ok(srv, "GET", "/admin/policy/versions"), {"versions": []},
             "GET /admin/policy/versions before any change")
        for path in ("/admin/posture/versions/1", "/admin/policy/versions/1"):
            a = admin(srv, "GET", path)
            H.check(a.status == 404, "no stored version yet: expected 404: " + a.describe())
    finally:
        srv.cleanup()


def test_whatif_then_apply_matches_what_kor_receives():
    """What-if of "LG Uplus removes Huawei from its RAN": every partner login
    listed, kor gains SECRET objects for the named rule, nobody else changes,
    and nothing is applied.  Applying the same change gives version 1, the
    same report, and exactly the per-collection counts kor then receives."""
    srv = start_server()
    try:
        policy = policy_text()
        before = received(srv)
        manifests = {c: crawl_ids(srv, "kor", c, "manifest/") for c in ("intel", "telecom")}
        snap0 = admin_ok(srv, "GET", "/admin/")["snapshot"]

        w = admin_ok(srv, "POST", "/admin/whatif", {"changes": [KOR_SWAP]})
        H.eq(sorted(w), ["impact"], "what-if answer keys")
        wparts = check_report(w["impact"], (0, 0), (-1, 0), what="what-if")
        check_kor_swap_report(wparts, policy, "what-if")

        # Nothing was stored or applied.
        for c in manifests:
            H.eq(crawl_ids(srv, "kor", c, "manifest/"), manifests[c],
                 "kor's %s manifest after a what-if" % c)
        H.eq(received(srv), before, "kor's objects after a what-if")
        H.eq(admin_ok(srv, "GET", "/admin/posture").get("version"), 0, "posture version after a what-if")
        H.eq(admin_ok(srv, "GET", "/admin/"), {"posture": {"version": 0}, "policy": {"version": 0},
                                               "snapshot": snap0}, "GET /admin/ after a what-if")
        H.eq(admin_ok(srv, "GET", "/admin/posture/versions")["versions"], [],
             "stored posture versions after a what-if")

        reason = "LG Uplus completed the swap-out"
        a = admin_ok(srv, "POST", "/admin/posture/changes", {"reason": reason, "changes": [KOR_SWAP]})
        H.eq(a.get("version"), 1, "version of the first posture change")
        parts = check_report(a.get("impact"), (0, 0), (1, 0), what="applied change")
        check_kor_swap_report(parts, policy, "applied change")
        for name in REPORT_LOGINS:
            H.eq(parts[name], wparts[name], "partner %s: applied report vs. the what-if's" % name)

        after = received(srv)
        check_counts_match(parts["kor"], before, after, "applied change, kor")
        H.check(sum(len(after[c] - before[c]) for c in after) > 0, "kor receives more objects")

        root = admin_ok(srv, "GET", "/admin/")
        H.eq((root["posture"], root["policy"]), ({"version": 1}, {"version": 0}),
             "GET /admin/ after the change")
        H.check(root["snapshot"] != snap0, "a new snapshot after the change: %r" % root)

        post = admin_ok(srv, "GET", "/admin/posture")
        H.eq((post.get("version"), post.get("author"), post.get("reason")), (1, "admin", reason),
             "GET /admin/posture: version, author, reason")
        H.check(isinstance(post.get("at"), str) and TS_RE.match(post["at"]),
                "GET /admin/posture: 'at' is a time: %r" % post.get("at"))
        H.eq(post.get("posture"), posture_without_kor_huawei(),
             "GET /admin/posture: the demo posture without huawei in LG Uplus's ran")
        H.eq(admin_ok(srv, "GET", "/admin/posture/versions/1"), post, "GET /admin/posture/versions/1")
        a = admin(srv, "GET", "/admin/posture/versions/2")
        H.check(a.status == 404, "no version 2: expected 404: " + a.describe())

        vs = admin_ok(srv, "GET", "/admin/posture/versions")["versions"]
        H.eq(len(vs), 1, "one stored posture version: %r" % vs)
        H.eq((vs[0].get("version"), vs[0].get("author"), vs[0].get("reason"), vs[0].get("at")),
             (1, "admin", reason, post["at"]), "the stored version's entry")

        d = admin_ok(srv, "GET", "/admin/posture/diff?from=0&to=1")
        H.eq((d.get("from"), d.get("to")), (0, 1), "diff from/to")
        ch = d.get("changes")
        H.check(isinstance(ch, list) and all(isinstance(x, str) for x in ch), "diff changes: %r" % d)
        H.check(any(all(w in x for w in ("kor", "LG Uplus", "ran", "huawei", "removed")) for x in ch),
                "the diff names huawei removed from LG Uplus's ran: %r" % ch)
        H.eq(len(ch), 1, "one difference between versions 0 and 1: %r" % ch)
    finally:
        srv.cleanup()


def served(srv, user, coll):
    """{id: the object as served} from the objects endpoint, default parameters."""
    out, params = {}, {"limit": "1000"}
    while True:
        r = H.request("GET", H.coll_path(coll, "objects/"), params=params, user=user, server=srv)
        H.eq(r.status, 200, "GET %s objects as %s" % (coll, user))
        for o in r.json.get("objects", []):
            out[o["id"]] = o
        if not r.json.get("more"):
            return out
        params = {"limit": "1000", "next": r.json["next"]}


def test_changed_counts_served_copies_that_differ():
    """docs/admin.md: "changed counts objects that stay visible but whose
    served copy changes (a different redaction)".  After LG Uplus drops
    Huawei, kor's per-collection "changed" equals the number of ids kor
    receives before and after whose served object differs (a granular
    redaction lifted, a report's object_refs no longer scrubbed, another
    version now the latest visible)."""
    srv = start_server()
    try:
        before = {c: served(srv, "kor", c) for c in KOR_READS}
        d = admin_ok(srv, "POST", "/admin/posture/changes", {"reason": "r", "changes": [KOR_SWAP]})
        kor = check_report(d.get("impact"), (0, 0), (1, 0), what="applied change")["kor"]
        after = {c: served(srv, "kor", c) for c in KOR_READS}
        problems = []
        for c in KOR_READS:
            both = set(before[c]) & set(after[c])
            differ = [i for i in both if before[c][i] != after[c][i]]
            other_version = [i for i in differ if before[c][i].get("modified") != after[c][i].get("modified")]
            refs = [i for i in differ if i not in other_version
                    and before[c][i].get("object_refs") != after[c][i].get("object_refs")]
            got = coll_entry(kor, c).get("changed", 0)
            if got != len(differ):
                problems.append("%s: report changed=%d, served copies that differ: %d (%d at another "
                                "version, %d with other object_refs, %d other redactions; e.g. %s)"
                                % (c, got, len(differ), len(other_version), len(refs),
                                   len(differ) - len(other_version) - len(refs), sorted(differ)[:2]))
        H.check(not problems, "kor's 'changed' counts vs. what kor receives: " + "; ".join(problems))
    finally:
        srv.cleanup()


def test_invalid_changes_are_refused_and_change_nothing():
    """Each invalid change document: 400 naming the problem precisely
    (changes[N] and the offending name); the posture version stays 0 and no
    version is stored, even when the bad operation follows a valid one."""
    srv = start_server()
    try:
        before = received(srv)
        cases = [
            ({"reason": "r", "changes": [KOR_SWAP, dict(KOR_SWAP, vendor="hauwei")]},
             ["changes[1]", "unknown vendor 'hauwei'"]),
            ({"reason": "r", "changes": [dict(KOR_SWAP, partner="nope")]},
             ["changes[0]", "nope"]),
            ({"reason": "r", "changes": [dict(KOR_SWAP, operator="LG U+")]},
             ["changes[0]: partner 'kor' has no operator 'LG U+' (it has: SK Telecom, KT, LG Uplus)"]),
            ({"reason": "r", "changes": [dict(KOR_SWAP, op="swap-equipment")]},
             ["changes[0]", "swap-equipment"]),
            ({"reason": "r", "changes": [dict(KOR_SWAP, colour="red")]},
             ["changes[0]", "colour"]),
            ({"reason": "r", "changes": [{"op": "remove-vendor", "vendor": "huawei"}]},
             ["changes[0]", "huawei"]),
            ({"reason": "r", "changes": [{"op": "set-vendor", "vendor": "acme", "risk": "high"}]},
             ["changes[0]"]),
            ({"reason": "r", "changes": [{"op": "set-vendor", "vendor": "zte", "risk": "medium"}]},
             ["medium"]),
            ({"changes": [KOR_SWAP]}, ["reason"]),
            ({"reason": "", "changes": [KOR_SWAP]}, ["reason"]),
            ({"reason": "r", "changes": {"op": "remove-vendor"}}, ["changes"]),
            (b'{"reason": "r", "changes": [', []),
            (b'[{"op": "remove-equipment"}]', []),
            (b'"just a string"', []),
        ]
        for body, needles in cases:
            admin_err(srv, "POST", "/admin/posture/changes", body, 400, *needles)
            H.eq(versions_in_force(srv), (0, 0), "versions after the refused change %r" % (body,))
        # The same mistakes in a what-if are refused the same way.
        admin_err(srv, "POST", "/admin/whatif", {"changes": [dict(KOR_SWAP, vendor="hauwei")]}, 400,
                  "changes[0]", "unknown vendor 'hauwei'")
        admin_err(srv, "POST", "/admin/whatif", b"[1, 2", 400)
        admin_err(srv, "POST", "/admin/whatif", b"[]", 400)
        # A whole posture with an error.
        bad = json.loads(json.dumps(file_posture()).replace('"vendor": "samsung"', '"vendor": "samsnug"', 1))
        admin_err(srv, "PUT", "/admin/posture", {"reason": "typo", "posture": bad}, 400, "samsnug")
        admin_err(srv, "PUT", "/admin/posture", {"posture": posture_without_kor_huawei()}, 400, "reason")
        H.eq(versions_in_force(srv), (0, 0), "versions after the refused changes")
        H.eq(admin_ok(srv, "GET", "/admin/posture/versions")["versions"], [],
             "no stored posture version after refused changes")
        H.eq(received(srv), before, "kor's objects after refused changes")
    finally:
        srv.cleanup()


def test_base_mismatch_is_409():
    """"base": N is refused with 409 unless version N is in force."""
    srv = start_server()
    try:
        a = admin(srv, "POST", "/admin/posture/changes", {"reason": "r", "changes": [KOR_SWAP], "base": 3})
        H.check(a.status == 409, "base 3 while 0 is in force: expected 409: " + a.describe())
        H.eq(versions_in_force(srv), (0, 0), "versions after a 409")
        d = admin_ok(srv, "POST", "/admin/posture/changes", {"reason": "r", "changes": [KOR_SWAP], "base": 0})
        H.eq(d.get("version"), 1, "base 0 while 0 is in force")
        later = {"op": "set-deadline", "partner": "kor", "operator": "LG Uplus", "segment": "core",
                 "vendor": "samsung", "deadline": "2030-01-01"}
        a = admin(srv, "POST", "/admin/posture/changes", {"reason": "r", "changes": [later], "base": 0})
        H.check(a.status == 409, "base 0 while 1 is in force: expected 409: " + a.describe())
        H.eq(versions_in_force(srv), (1, 0), "versions after the second 409")
        d = admin_ok(srv, "POST", "/admin/posture/changes", {"reason": "r2", "changes": [later], "base": 1})
        H.eq(d.get("version"), 2, "base 1 while 1 is in force")
        vs = admin_ok(srv, "GET", "/admin/posture/versions")["versions"]
        H.eq([(v["version"], v["reason"]) for v in vs], [(1, "r"), (2, "r2")], "stored versions, oldest first")
    finally:
        srv.cleanup()


def test_put_posture_replaces_it():
    """PUT /admin/posture with the demo posture minus LG Uplus's Huawei radios:
    version 1, the same impact as the equivalent change list, and
    GET /admin/posture returns the document stored."""
    srv = start_server()
    try:
        w = admin_ok(srv, "POST", "/admin/whatif", {"changes": [KOR_SWAP]})["impact"]
        wp = admin_ok(srv, "POST", "/admin/whatif", {"posture": posture_without_kor_huawei()})["impact"]
        check_report(wp, (0, 0), (-1, 0), what="what-if of a whole posture")
        H.eq(by_partner(wp), by_partner(w), "what-if of the posture vs. of the change list")
        d = admin_ok(srv, "PUT", "/admin/posture", {"reason": "new survey", "posture": posture_without_kor_huawei()})
        H.eq(d.get("version"), 1, "PUT /admin/posture version")
        parts = check_report(d.get("impact"), (0, 0), (1, 0), what="PUT /admin/posture")
        H.eq(parts, by_partner(w), "PUT /admin/posture report vs. the what-if's")
        post = admin_ok(srv, "GET", "/admin/posture")
        H.eq((post["version"], post["author"], post["reason"]), (1, "admin", "new survey"), "posture in force")
        H.eq(post["posture"], posture_without_kor_huawei(), "the posture stored")
    finally:
        srv.cleanup()


def test_policy_put_versions_and_diff():
    """PUT /admin/policy: a syntax error is 400 'policy:LINE:COL: ...' at the
    right line and stores nothing; a valid policy (the radio-network cap
    commented out) becomes policy version 1 with an impact report whose kor
    counts are what kor then receives; versions, version 1 and the diff."""
    srv = start_server()
    try:
        text = policy_text()
        lines = text.split("\n")
        bad_line = statement_lines(text, RAN_CAP)[0] - 1       # a comment line before the cap
        broken = "\n".join(lines[:bad_line - 1] + ["deny when object.noforn and and"] + lines[bad_line:])
        a = admin_err(srv, "PUT", "/admin/policy", {"reason": "typo", "policy": broken}, 400, "policy:")
        m = re.search(r"policy:(\d+):(\d+)", a.json["description"])
        H.check(m, "the error gives policy:LINE:COL: %r" % a.json["description"])
        H.eq(int(m.group(1)), bad_line, "the line of the syntax error (%r)" % a.json["description"])
        new = commented_out(text, RAN_CAP)
        admin_err(srv, "PUT", "/admin/policy", {"policy": new}, 400, "reason")
        admin_err(srv, "PUT", "/admin/policy", {"reason": "r", "policy": 12}, 400)
        H.eq(versions_in_force(srv), (0, 0), "versions after refused policies")

        before = received(srv)
        w = admin_ok(srv, "POST", "/admin/whatif", {"policy": new})["impact"]
        wparts = check_report(w, (0, 0), (0, -1), what="policy what-if")
        reason = "radio access network no longer caps"
        d = admin_ok(srv, "PUT", "/admin/policy", {"reason": reason, "policy": new})
        H.eq(d.get("version"), 1, "PUT /admin/policy version")
        parts = check_report(d.get("impact"), (0, 0), (0, 1), what="PUT /admin/policy")
        H.eq(parts, wparts, "PUT /admin/policy report vs. the policy what-if's")
        # Only kor's clearance changes (deu stays capped by its core network).
        check_kor_swap_report(parts, text, "PUT /admin/policy")
        after = received(srv)
        check_counts_match(parts["kor"], before, after, "PUT /admin/policy, kor")

        H.eq(versions_in_force(srv), (0, 1), "versions after the policy change")
        pol = admin_ok(srv, "GET", "/admin/policy")
        H.eq((pol.get("version"), pol.get("author"), pol.get("reason"), pol.get("policy")),
             (1, "admin", reason, new), "GET /admin/policy after the change")
        H.eq(admin_ok(srv, "GET", "/admin/policy/versions/1"), pol, "GET /admin/policy/versions/1")
        vs = admin_ok(srv, "GET", "/admin/policy/versions")["versions"]
        H.eq([(v.get("version"), v.get("author"), v.get("reason")) for v in vs], [(1, "admin", reason)],
             "GET /admin/policy/versions")
        a = admin(srv, "GET", "/admin/policy/versions/2")
        H.check(a.status == 404, "no policy version 2: expected 404: " + a.describe())
        diff = admin_ok(srv, "GET", "/admin/policy/diff?from=0&to=1")
        H.eq((diff.get("from"), diff.get("to")), (0, 1), "policy diff from/to")
        ch = diff.get("changes", [])
        lo, hi = statement_lines(text, RAN_CAP)
        for ln in range(lo, hi + 1):
            old, now = lines[ln - 1], new.split("\n")[ln - 1]
            H.check(any(c.startswith("-%d:" % ln) and old.strip() in c for c in ch),
                    "the policy diff has '-%d: %s': %r" % (ln, old.strip(), ch))
            H.check(any(c.startswith("+%d:" % ln) and now.strip() in c for c in ch),
                    "the policy diff has '+%d: %s': %r" % (ln, now.strip(), ch))
        H.eq(len(ch), 2 * (hi - lo + 1), "the policy diff lists only the changed lines: %r" % ch)
    finally:
        srv.cleanup()


def listing(srv, path, key):
    a = admin(srv, "GET", path)
    H.check(a.status == 200, "expected 200: " + a.describe())
    doc = a.json
    if isinstance(doc, dict) and key in doc:
        doc = doc[key]
    H.check(isinstance(doc, list), "%s: a list (or {%r: list}): %s" % (path, key, a.describe()))
    return doc


def test_partners_and_vendors():
    """GET /admin/partners, /admin/partners/kor and /admin/vendors give the
    posture's entries; an unknown partner is 404."""
    srv = start_server()
    try:
        doc = file_posture()
        # "as in the posture document": the list, bare or under "partners".
        H.eq(listing(srv, "/admin/partners", "partners"), doc["partners"], "GET /admin/partners")
        H.eq(admin_ok(srv, "GET", "/admin/partners/kor"),
             next(p for p in doc["partners"] if p["id"] == "kor"), "GET /admin/partners/kor")
        a = admin(srv, "GET", "/admin/partners/nope")
        H.check(a.status == 404, "unknown partner: expected 404: " + a.describe())
        H.eq(listing(srv, "/admin/vendors", "vendors"), doc["vendors"], "GET /admin/vendors")
        # They follow the posture in force.
        admin_ok(srv, "POST", "/admin/posture/changes",
                 {"reason": "r", "changes": [KOR_SWAP, {"op": "set-vendor", "vendor": "zte", "risk": "none"}]})
        kor = admin_ok(srv, "GET", "/admin/partners/kor")
        H.eq(kor, next(p for p in posture_without_kor_huawei()["partners"] if p["id"] == "kor"),
             "GET /admin/partners/kor after the change")
        zte = next(v for v in listing(srv, "/admin/vendors", "vendors") if v["id"] == "zte")
        H.eq(zte.get("risk"), "none", "zte's risk after set-vendor")
    finally:
        srv.cleanup()


def test_whatif_samsung_high_risk():
    """What-if "Samsung becomes high risk": every partner with Samsung radios
    and a clearance above CONFIDENTIAL (can, nzl, jpn) loses objects for the
    radio-network rule; kor (Samsung in LG Uplus's core) loses objects for
    the core-network rule; gbr, aus, deu are unaffected; nothing is applied.
    The by-marking-set count agrees on who is affected."""
    srv = start_server()
    try:
        policy = policy_text()
        change = {"changes": [{"op": "set-vendor", "vendor": "samsung", "risk": "high"}]}
        for exact in (True, False):
            body = dict(change) if exact else dict(change, exact=False)
            what = "what-if samsung high (%s)" % ("exact" if exact else "by marking set")
            parts = check_report(admin_ok(srv, "POST", "/admin/whatif", body)["impact"], (0, 0), (-1, 0),
                                 exact=exact, what=what)
            for name in ("can", "nzl", "jpn"):
                H.check(parts[name]["lost"] > 0, "%s: %s loses objects: %r" % (what, name, parts[name]))
                check_rule(parts[name], "lost", "radio access network", policy, RAN_CAP, what + ": " + name)
            H.check(parts["kor"]["lost"] > 0, "%s: kor loses objects: %r" % (what, parts["kor"]))
            H.eq(level_entry(parts["kor"], "CONFIDENTIAL")["lost"] > 0, True,
                 what + ": kor loses CONFIDENTIAL objects")
            check_rule(parts["kor"], "lost", "core network", policy, CORE_CAP, what + ": kor")
            for name in ("gbr", "aus", "deu"):
                H.check(parts[name]["gained"] == 0 and parts[name]["lost"] == 0,
                        "%s: %s unaffected: %r" % (what, name, parts[name]))
            for p in parts.values():
                H.eq(p["gained"], 0, "%s: nobody gains (%s)" % (what, p["partner"]))
        H.eq(versions_in_force(srv), (0, 0), "versions after what-ifs")
    finally:
        srv.cleanup()


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def cli_report(out, what):
    try:
        doc = json.loads(out)
    except ValueError:
        H.fail("%s --json did not print JSON: %r" % (what, out[:500]))
    H.check(isinstance(doc, dict), "%s --json: not an object: %r" % (what, out[:300]))
    return doc.get("impact", doc)


def test_cli_whatif_matches_the_api():
    """`relto whatif --demo --db PATH --remove-equipment ... --json` reports
    the same per-partner counts as POST /admin/whatif on the same database;
    likewise --by-set and "exact": false."""
    srv = start_server()
    try:
        api = admin_ok(srv, "POST", "/admin/whatif", {"changes": [KOR_SWAP]})["impact"]
        rc, out, err = relto("whatif", "--demo", "--db", srv.db, "--remove-equipment", KOR_SWAP_FLAG, "--json")
        H.eq(rc, 0, "relto whatif exit status (%s)" % err[-400:])
        cli = cli_report(out, "relto whatif")
        parts = check_report(cli, (0, 0), (-1, 0), what="relto whatif")
        H.eq(parts, by_partner(api), "relto whatif vs. POST /admin/whatif, per partner")

        api = admin_ok(srv, "POST", "/admin/whatif", {"changes": [KOR_SWAP], "exact": False})["impact"]
        rc, out, err = relto("whatif", "--demo", "--db", srv.db, "--remove-equipment", KOR_SWAP_FLAG,
                             "--json", "--by-set")
        H.eq(rc, 0, "relto whatif --by-set exit status (%s)" % err[-400:])
        parts = check_report(cli_report(out, "relto whatif --by-set"), (0, 0), (-1, 0), exact=False,
                             what="relto whatif --by-set")
        H.eq(parts, by_partner(api), "relto whatif --by-set vs. POST /admin/whatif exact=false")
        H.check(parts["kor"]["gained"] > 0, "by marking set, kor gains too: %r" % parts["kor"])

        # Without --json: a table on the terminal, still exit 0, naming kor.
        rc, out, err = relto("whatif", "--demo", "--db", srv.db, "--remove-equipment", KOR_SWAP_FLAG)
        H.eq(rc, 0, "relto whatif (table) exit status (%s)" % err[-400:])
        H.check("kor" in out, "the table names kor: %r" % out[:500])
        H.eq(versions_in_force(srv), (0, 0), "versions after CLI what-ifs")
    finally:
        srv.cleanup()


def test_cli_posture_change_log_diff_and_policy_apply():
    """relto posture change (author, reason) -> version 1 with a report;
    posture log / diff 0 1 / show; policy apply -> policy version 1 with a
    report; policy log / diff; the API sees the CLI's versions and authors."""
    srv = start_server()
    try:
        db = srv.db
        reason = "LG Uplus completed the swap-out"
        rc, out, err = relto("posture", "change", "--demo", "--db", db, "--remove-equipment", KOR_SWAP_FLAG,
                             "--author", "ops", "--reason", reason, "--json")
        H.eq(rc, 0, "relto posture change exit status (%s)" % err[-400:])
        parts = check_report(cli_report(out, "relto posture change"), (0, 0), (1, 0),
                             what="relto posture change")
        check_kor_swap_report(parts, policy_text(), "relto posture change")

        for where in (["--demo", "--db", db], ["--db", db]):
            rc, out, err = relto("posture", "log", *where)
            H.eq(rc, 0, "relto posture log %s (%s)" % (" ".join(where), err[-300:]))
            lines = [l for l in out.splitlines() if l.strip()]
            H.eq(len(lines), 1, "one version in the posture log: %r" % out)
            H.check("1" in lines[0] and "ops" in lines[0] and reason in lines[0],
                    "the log line names version, author and reason: %r" % lines[0])
        rc, out, err = relto("posture", "diff", "--demo", "--db", db, "0", "1")
        H.eq(rc, 0, "relto posture diff 0 1 (%s)" % err[-300:])
        H.check(any(all(w in l for w in ("kor", "LG Uplus", "ran", "huawei", "removed"))
                    for l in out.splitlines()), "posture diff names huawei removed: %r" % out)
        rc, out, err = relto("posture", "show", "--db", db)
        H.eq(rc, 0, "relto posture show (%s)" % err[-300:])
        H.eq(json.loads(out), posture_without_kor_huawei(), "relto posture show: version 1")
        vs = admin_ok(srv, "GET", "/admin/posture/versions")["versions"]
        H.eq([(v["version"], v["author"], v["reason"]) for v in vs], [(1, "ops", reason)],
             "GET /admin/posture/versions after the CLI change")

        text = policy_text()
        new = commented_out(text, CORE_CAP)
        pfile = os.path.join(srv.dir, "no-core-cap.policy")
        with open(pfile, "w") as f:
            f.write(new)
        preason = "core-network rule withdrawn"
        rc, out, err = relto("policy", "apply", pfile, "--demo", "--db", db, "--author", "ops",
                             "--reason", preason, "--json")
        H.eq(rc, 0, "relto policy apply exit status (%s)" % err[-400:])
        parts = check_report(cli_report(out, "relto policy apply"), (1, 0), (1, 1), what="relto policy apply")
        H.check(parts["deu"]["gained"] > 0, "deu gains objects once the core cap goes: %r" % parts["deu"])
        check_rule(parts["deu"], "gained", "core network", text, CORE_CAP, "relto policy apply: deu")
        for name in REPORT_LOGINS:
            if name != "deu":
                H.eq((parts[name]["gained"], parts[name]["lost"]), (0, 0),
                     "relto policy apply: %s unaffected" % name)
        rc, out, err = relto("policy", "log", "--demo", "--db", db)
        H.eq(rc, 0, "relto policy log (%s)" % err[-300:])
        lines = [l for l in out.splitlines() if l.strip()]
        H.eq(len(lines), 1, "one version in the policy log: %r" % out)
        H.check("ops" in lines[0] and preason in lines[0], "policy log line: %r" % lines[0])
        rc, out, err = relto("policy", "diff", "--demo", "--db", db, "0", "1")
        H.eq(rc, 0, "relto policy diff 0 1 (%s)" % err[-300:])
        lo, hi = statement_lines(text, CORE_CAP)
        for ln in range(lo, hi + 1):
            old = text.split("\n")[ln - 1].strip()
            H.check(any(l.startswith("-%d:" % ln) and old in l for l in out.splitlines()),
                    "policy diff has '-%d: %s': %r" % (ln, old, out))
        rc, out, err = relto("policy", "show", "--db", db)
        H.eq(rc, 0, "relto policy show (%s)" % err[-300:])
        H.eq(out.rstrip("\n"), new.rstrip("\n"), "relto policy show: version 1")
        H.eq(versions_in_force(srv), (1, 1), "the running server applies the CLI's versions")
    finally:
        srv.cleanup()


def test_cli_bad_change_exits_2_and_stores_nothing():
    """A refused change: exit status 2, 'changes[N]: ...' on stderr, nothing
    stored (log empty, the server still on version 0, kor unchanged)."""
    srv = start_server()
    try:
        db = srv.db
        before = received(srv)
        bad = os.path.join(srv.dir, "bad.json")
        with open(bad, "w") as f:
            json.dump([KOR_SWAP, dict(KOR_SWAP, vendor="hauwei")], f)
        cases = [
            (["--changes", bad], ["changes[1]", "unknown vendor 'hauwei'"]),
            (["--remove-equipment", "kor/LG U+/ran/huawei"],
             ["changes[0]: partner 'kor' has no operator 'LG U+' (it has: SK Telecom, KT, LG Uplus)"]),
            (["--remove-equipment", KOR_SWAP_FLAG, "--vendor-risk", "acme=high"], ["changes[1]"]),
        ]
        for args, needles in cases:
            rc, out, err = relto("posture", "change", "--demo", "--db", db, *args,
                                 "--author", "ops", "--reason", "bad")
            H.eq(rc, 2, "relto posture change %s: exit status (stderr %r)" % (" ".join(args), err[-400:]))
            for n in needles:
                H.check(n in err, "stderr of posture change %s names %r: %r" % (" ".join(args), n, err[-400:]))
        for args in (["--remove-equipment", KOR_SWAP_FLAG, "--author", "ops"],      # no reason
                     ["--remove-equipment", "kor/LG Uplus/ran", "--author", "ops", "--reason", "r"]):
            rc, out, err = relto("posture", "change", "--demo", "--db", db, *args)
            H.eq(rc, 2, "relto posture change %s: exit status (stderr %r)" % (" ".join(args), err[-400:]))
        rc, out, err = relto("posture", "log", "--demo", "--db", db)
        H.eq(rc, 0, "relto posture log (%s)" % err[-300:])
        H.eq([l for l in out.splitlines() if l.strip()], [], "no stored posture version")
        H.eq(versions_in_force(srv), (0, 0), "versions after refused CLI changes")
        H.eq(received(srv), before, "kor's objects after refused CLI changes")
    finally:
        srv.cleanup()


def definition_is_secret_rel_kor(d):
    ext = d.get("extensions", {}).get(ACS)
    if ext:
        cs = ext.get("control_set", {})
        return (cs.get("classification") == "S" and "KOR" in cs.get("permitted_nationalities", [])
                and "NF" not in cs.get("formal_determination", []))
    if d.get("definition_type") == "statement":
        return d.get("definition", {}).get("statement") == "SECRET//REL TO USA, GBR, JPN, KOR"
    return False


def secret_for_kor(srv, coll, n=10):
    """Up to n indicators of coll whose only marking is SECRET releasable to
    KOR, no granular marking (read as the administrator, who is not
    filtered), and which kor does not receive now."""
    objs, params = [], {"limit": "1000"}
    while True:
        r = H.request("GET", H.coll_path(coll, "objects/"), params=params, user="admin", server=srv)
        H.eq(r.status, 200, "GET objects as admin")
        objs.extend(r.json.get("objects", []))
        if not r.json.get("more"):
            break
        params = {"limit": "1000", "next": r.json["next"]}
    defs = {o["id"]: o for o in objs if o["type"] == "marking-definition"}
    kor = crawl_ids(srv, "kor", coll)
    out = []
    for o in objs:
        refs = o.get("object_marking_refs", [])
        if (o["type"] == "indicator" and "granular_markings" not in o and len(refs) == 1
                and refs[0] in defs and definition_is_secret_rel_kor(defs[refs[0]]) and o["id"] not in kor):
            out.append(o["id"])
    return out[:n]


def kor_gets(srv, coll, ids):
    r = H.request("GET", H.coll_path(coll, "objects/"), params={"match[id]": ",".join(ids), "limit": "1000"},
                  user="kor", server=srv, checks=False)
    H.check(r.status in (200, 404), "GET objects match[id] as kor: %d %r" % (r.status, r.body[:300]))
    return {o["id"] for o in (r.json or {}).get("objects", [])} if r.status == 200 else set()


def test_cli_change_applies_to_the_next_request_of_a_running_server():
    """`relto posture change` on the database of a running server is in force
    for the very next request: right after the CLI exits, kor receives SECRET
    indicators released to KOR (and, after the reverse change, no longer)."""
    srv = start_server()
    try:
        ids = secret_for_kor(srv, "intel")
        H.check(len(ids) >= 3, "SECRET indicators released to KOR that kor does not receive: %r" % ids)
        H.eq(kor_gets(srv, "intel", ids), set(), "kor does not receive them before the change")
        before = received(srv)
        rc, out, err = relto("posture", "change", "--demo", "--db", srv.db, "--remove-equipment", KOR_SWAP_FLAG,
                             "--author", "ops", "--reason", "swap-out done", "--json")
        got = kor_gets(srv, "intel", ids)          # the very next request, no sleep
        H.eq(rc, 0, "relto posture change exit status (%s)" % err[-400:])
        H.eq(got, set(ids), "kor's first request after the CLI change receives the SECRET indicators")
        parts = by_partner(cli_report(out, "relto posture change"))
        check_counts_match(parts["kor"], before, received(srv), "CLI change on a running server, kor")

        rc, out, err = relto("posture", "change", "--demo", "--db", srv.db, "--add-equipment", KOR_SWAP_FLAG,
                             "--author", "ops", "--reason", "huawei back", "--json")
        got = kor_gets(srv, "intel", ids)
        H.eq(rc, 0, "relto posture change --add-equipment exit status (%s)" % err[-400:])
        H.eq(got, set(), "kor's first request after the reverse CLI change no longer receives them")
        parts = by_partner(cli_report(out, "relto posture change --add-equipment"))
        H.eq(parts["kor"]["gained"], 0, "re-adding huawei: kor gains nothing")
        H.check(parts["kor"]["lost"] > 0, "re-adding huawei: kor loses objects: %r" % parts["kor"])
        H.eq(received(srv), before, "kor receives what it did at version 0")
        H.eq(versions_in_force(srv), (2, 0), "versions after two CLI changes")
    finally:
        srv.cleanup()
