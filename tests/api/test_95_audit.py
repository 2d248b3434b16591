"""The tamper-evident audit trail of docs/audit.md.

Each test starts its own `relto demo` on its own database in a temporary
directory (the trail is the SQLite file `<db>.audit` beside it, the signing
key a file of its own), makes requests with known X-Request-ID headers, and
reads the trail three ways: `relto audit export|who-got|show`, `relto audit
verify`, and the stored trail itself (the SQLite files with python's sqlite3;
on PostgreSQL its tables, through psql), where every record's hash is
recomputed (SHA-256 of its stored bytes) and every link checked,
independently of the server's code; tampering is done the same two ways.

- test_audit_records_reads: one record per object answer (objects,
  object, versions, manifest, DELETE), with the fields of docs/audit.md;
  its released list is exactly the page's (id, version) pairs; the chain
  links; the last checkpoint (made at SIGTERM) signs the last record;
  verify exits 0.
- test_audit_withheld_404: a withheld object asked for by id is a 404 whose
  record counts it as withheld, with a reason, never in the answer; a page
  counts what it withheld; a crawl's withheld counts add up.
- test_audit_who_got: who-got lists who received an object, and no one
  else.
- test_audit_admin_change: a posture change through the admin API, and
  one with the CLI, are admin records.
- test_audit_tamper: copies of one trail, each altered in one way; verify
  exits 1 and names the first bad record as docs/audit.md says.
- test_audit_sigkill: every answer a client fully received before a SIGKILL
  is in the trail, which still verifies, and goes on after a restart.
"""

import datetime
import hashlib
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid

import harness as H

DB = "trail.db"
ZERO = "0" * 64
HEX64 = re.compile(r"^[0-9a-f]{64}$")
# The encoding of the Ed25519 base point: a valid public key, not the server's.
OTHER_PUBKEY = "ed25519:58" + "66" * 31
ADMIN_CHANGE = {"op": "remove-equipment", "partner": "kor", "operator": "LG Uplus",
                "segment": "ran", "vendor": "huawei"}
RECORD_KEYS = ("seq", "at", "type", "partner", "credential", "request_id", "method", "path",
               "query", "status", "policy_version", "posture_version", "snapshot", "released",
               "withheld", "prev")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def start_server(name, extra=()):
    srv = H.Server(H.RELTO, ["demo", "--quiet", "--listen", "127.0.0.1:{port}",
                             "--db", os.path.join("{dir}", DB)] + list(extra), name=name)
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    srv.db = os.path.join(srv.dir, DB)
    return srv


def stop(srv):
    """SIGTERM (so the writer signs a last checkpoint); the exit status."""
    rc = srv.stop()
    H.check(rc == 0, "the server should exit 0 on SIGTERM, got %r\n%s" % (rc, srv.stderr_tail()))


def new_rid(tag):
    return "t95-%s-%s" % (tag, uuid.uuid4().hex)


def relto(*args, timeout=120):
    p = H.run_relto(args, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def audit(db, cmd, *args):
    return relto("audit", cmd, "--demo", "--db", db, *args)


def describe_run(what, rc, out, err):
    return "%s: exit %s\n  stdout: %s\n  stderr: %s" % (
        what, rc, out[:3000].replace("\n", "\n          "), err[:1500].replace("\n", "\n          "))


def verify(db, *args):
    return audit(db, "verify", *args)


def verify_ok(db, what, *args):
    rc, out, err = verify(db, *args)
    H.check(rc == 0, describe_run("relto audit verify %s (%s): expected exit 0 (intact)"
                                  % (" ".join(args), what), rc, out, err))
    return out


def first_line(out):
    lines = out.split("\n")
    return lines[0] if lines else ""


def verify_bad(db, what, seq=None, *args):
    """verify must exit 1; when seq is given, its first line must name
    `record SEQ`."""
    rc, out, err = verify(db, *args)
    H.check(rc == 1, describe_run("relto audit verify %s after %s: expected exit 1 (tampered)"
                                  % (" ".join(args), what), rc, out, err))
    if seq is not None:
        m = re.match(r"^record (\d+)\b", first_line(out))
        H.check(m is not None and int(m.group(1)) == seq,
                describe_run("relto audit verify after %s: the first line should name `record %d` "
                             "(docs/audit.md: the first bad record)" % (what, seq), rc, out, err))
    return out


def export(db, *filters):
    rc, out, err = audit(db, "export", *filters)
    H.check(rc == 0, describe_run("relto audit export %s" % " ".join(filters), rc, out, err))
    recs = []
    for n, line in enumerate(out.split("\n"), 1):
        if not line.strip():
            continue
        doc = H.parse_json(line.encode("utf-8"))
        H.check(isinstance(doc, dict), "relto audit export: line %d is not a strict JSON object: %r"
                % (n, line[:300]))
        recs.append(doc)
    return recs


def by_rid(recs, rid):
    got = [r for r in recs if r.get("request_id") == rid]
    H.check(len(got) == 1, "export: expected exactly one record with request_id %s, found %d: %s"
            % (rid, len(got), H._short(got, 800)))
    return got[0]


def get(srv, user, path, query="", rid=None, timeout=60):
    target = path + ("?" + query if query else "")
    hdrs = {"X-Request-ID": rid} if rid else None
    return H.request("GET", target, user=user, server=srv, headers=hdrs, timeout=timeout)


def version_of(o):
    return o.get("modified", o.get("created"))


def pairs_of(objs):
    return [[o["id"], version_of(o)] for o in objs]


def pairs_in(srv, user, coll):
    """The (id, version) pairs user receives from coll (latest versions)."""
    out, q = [], "limit=1000"
    for _ in range(100):
        r = get(srv, user, H.coll_path(coll, "objects/"), q)
        H.eq(r.status, 200, "GET %s objects as %s" % (coll, user))
        out.extend((o["id"], version_of(o)) for o in r.json.get("objects", []))
        if not r.json.get("more"):
            return out
        q = "limit=1000&next=" + r.json["next"]
    H.fail("pagination of %s as %s did not end" % (coll, user))


def withheld_by_reason(rec):
    """A record's withheld counts by reason text (docs/audit.md): the record
    holds the hash of its list of reasons and the counts in that list's
    order; the export adds the list's texts (withheld_reasons)."""
    w = rec.get("withheld")
    what = "record %s" % rec.get("seq")
    H.check(isinstance(w, dict), "%s: withheld is not an object: %r" % (what, w))
    if not w:
        H.check("withheld_reasons" not in rec, "%s: reasons exported for nothing withheld" % what)
        return {}
    H.eq(sorted(w), ["counts", "reasons"], what + ": the fields of withheld")
    H.check(HEX64.match(str(w["reasons"])), "%s: withheld.reasons %r is not a hash" % (what, w["reasons"]))
    texts, counts = rec.get("withheld_reasons"), w["counts"]
    H.check(isinstance(texts, list) and isinstance(counts, list) and len(texts) == len(counts) > 0,
            "%s: withheld counts %r and exported reasons %r do not pair up" % (what, counts, texts))
    H.eq(hashlib.sha256(json.dumps(texts, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest(),
         w["reasons"], what + ": the exported reasons hash to withheld.reasons")
    out = {}
    for k, v in zip(texts, counts):
        H.check(isinstance(k, str) and k.strip(), "%s: an empty withheld reason: %r" % (what, texts))
        H.check(isinstance(v, int) and not isinstance(v, bool) and v > 0,
                "%s: withheld count for %r is not a positive integer: %r" % (what, k, v))
        H.check(k not in out, "%s: the reason %r twice" % (what, k))
        out[k] = v
    return out


def withheld_total(rec):
    return sum(withheld_by_reason(rec).values())


def all_received_in_trail(db, done, how):
    """Every request id in done (answers a client received) has its record
    in the exported trail (docs/audit.md: every answer that was fully sent
    is in the trail); returns the export."""
    recs = export(db)
    have = {x.get("request_id") for x in recs}
    lost = [rid for rid in done if rid not in have]
    H.check(not lost, "%d of %d answers %s are not in the trail, e.g. %s" % (len(lost), len(done), how, lost[:5]))
    return recs


def checkpoint_wal(path):
    if not os.path.exists(path):
        return
    con = sqlite3.connect(path)
    try:
        busy = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        H.check(busy is None or busy[0] == 0, "%s: WAL checkpoint was busy: %r" % (path, busy))
    finally:
        con.close()


def settle(db):
    """After the server stopped: fold the WAL files into the databases
    (nothing to do on PostgreSQL)."""
    if H.PG_URL:
        return
    checkpoint_wal(db)
    checkpoint_wal(db + ".audit")


def read_trail_pg(db):
    """read_trail() on PostgreSQL: the tables audit_records (whose hash
    column must be SHA-256 of the body, and whose list column the list
    the body names), audit_lists and audit_checkpoints."""
    recs = []
    for seq, text, h, lst in H.pg_sql(db, "SELECT seq, convert_from(body, 'UTF8'), encode(hash, 'hex'),"
                                          " encode(list, 'hex') FROM audit_records ORDER BY seq"):
        pairs = json.loads(text, object_pairs_hook=lambda p: p)
        H.check(isinstance(pairs, list), "a record that is not a JSON object: %r" % text[:300])
        doc = H.parse_json(text.encode("utf-8"))
        H.check(isinstance(doc, dict), "a record with duplicate keys: %r" % text[:300])
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        H.eq(h, digest, "record %s: its hash column vs. SHA-256 of its body" % seq)
        named = (doc.get("released") or {}).get("list")
        H.eq(lst or None, named, "record %s: its list column vs. the list its body names" % seq)
        H.eq(int(seq), doc.get("seq"), "record %s: its seq column vs. its body's" % seq)
        recs.append({"seq": doc.get("seq"), "body": text, "doc": doc, "keys": [k for k, _ in pairs],
                     "hash": digest, "list": named})
    lists = {h: b for h, b in H.pg_sql(db, "SELECT encode(hash, 'hex'), convert_from(body, 'UTF8')"
                                           " FROM audit_lists")}
    cps = [(int(s), int(at), h, pk, bytes.fromhex(sig))
           for s, at, h, pk, sig in H.pg_sql(db, "SELECT seq, at, encode(hash, 'hex'), encode(pubkey, 'hex'),"
                                                 " encode(sig, 'hex') FROM audit_checkpoints ORDER BY seq")]
    return recs, lists, cps


def read_trail(db):
    """(records, lists, checkpoints) from the trail's files (docs/audit.md:
    STORE.audit-records, one record per line, and the SQLite file
    STORE.audit): records a list of dicts seq, body (text), doc (parsed,
    key order kept), keys, hash (hex, SHA-256 of the body), list (hex or
    None: released.list of the body); the head (seq, hash hex, size) is
    checked against them.  On PostgreSQL: read_trail_pg()."""
    if H.PG_URL:
        return read_trail_pg(db)
    path, records = db + ".audit", db + ".audit-records"
    for f in (path, records):
        H.check(os.path.exists(f), "the trail's file %s does not exist (docs/audit.md); files: %r"
                % (f, sorted(os.listdir(os.path.dirname(db)))))
    con = sqlite3.connect(path)
    try:
        head = con.execute("SELECT seq, hash, size FROM head").fetchone()
        lists = {bytes(h).hex(): b for h, b in con.execute("SELECT hash, body FROM lists")}
        cps = [(s, at, bytes(h).hex(), bytes(pk).hex(), bytes(sig))
               for s, at, h, pk, sig in con.execute(
                   "SELECT seq, at, hash, pubkey, sig FROM checkpoints ORDER BY seq")]
    finally:
        con.close()
    with open(records, "rb") as f:
        data = f.read()
    size = head[2] if head else 0
    H.eq(len(data), size, "the records file's size vs. the committed size in the trail's head")
    recs = []
    for raw in data.split(b"\n")[:-1] if data else []:
        text = raw.decode("utf-8")
        pairs = json.loads(text, object_pairs_hook=lambda p: p)
        H.check(isinstance(pairs, list), "a record that is not a JSON object: %r" % text[:300])
        doc = H.parse_json(raw)
        H.check(isinstance(doc, dict), "a record with duplicate keys: %r" % text[:300])
        recs.append({"seq": doc.get("seq"), "body": text, "doc": doc, "keys": [k for k, _ in pairs],
                     "hash": hashlib.sha256(raw).hexdigest(),
                     "list": (doc.get("released") or {}).get("list")})
    if recs:
        H.eq((head[0], bytes(head[1]).hex()), (recs[-1]["seq"], recs[-1]["hash"]),
             "the trail's head vs. its newest record")
    return recs, lists, cps


def entry_text(id_, version):
    r"""An entry of a released list as docs/audit.md defines it: the JSON
    text ["id","version"], no spaces, with \u00XX (lower-case hex) for
    characters below U+0020, \" and \\ for quote and backslash, every
    other character as itself (UTF-8)."""
    def q(v):
        out = []
        for ch in v:
            if ch == '"' or ch == "\\":
                out.append("\\" + ch)
            elif ord(ch) < 0x20:
                out.append("\\u%04x" % ord(ch))
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    return "[" + q(id_) + "," + q(version) + "]"


def entries_hash(text):
    """A released list's hash when its record says "list_by":"entries":
    SHA-256 over the SHA-256 of each entry, after checking that the text
    is the entries joined as relto writes them (None when it is not)."""
    pairs = json.loads(text)
    if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 and
                                              all(isinstance(x, str) for x in p) for p in pairs):
        return None
    entries = [entry_text(a, b) for a, b in pairs]
    if "[" + ",".join(entries) + "]" != text:
        return None
    return hashlib.sha256(b"".join(hashlib.sha256(e.encode("utf-8")).digest() for e in entries)).hexdigest()


def check_chain(db):
    """Recompute the chain from the trail's files; returns read_trail(db)."""
    recs, lists, cps = read_trail(db)
    H.check(recs, "the trail holds no record")
    prev = ZERO
    by_list = {}   # released list -> how its records say it is hashed
    for i, r in enumerate(recs, 1):
        seq = r["seq"]
        H.eq(seq, i, "records are numbered 1, 2, 3, ... without gaps")
        H.eq(r["keys"][0], "seq", "record %d: the body's first field" % seq)
        H.eq(r["keys"][-1], "prev", "record %d: the body's last field" % seq)
        H.eq(r["doc"]["prev"], prev, "record %d: prev (the hash of record %d)" % (seq, seq - 1))
        lh = r["list"]
        if lh is not None:
            H.check(lh in lists, "record %d names list %s, which the lists table does not hold" % (seq, lh))
            by = r["doc"]["released"].get("list_by", "text")
            H.check(by in ("text", "entries"), "record %d: list_by %r" % (seq, by))
            H.check(by_list.setdefault(lh, by) == by, "list %s is hashed two ways" % lh)
        rh = (r["doc"].get("withheld") or {}).get("reasons")
        if rh is not None:
            H.check(rh in lists, "record %d names reasons %s, which the lists table does not hold" % (seq, rh))
        prev = r["hash"]
    for h, body in lists.items():
        text = body if isinstance(body, str) else bytes(body).decode("utf-8")
        if by_list.get(h) == "entries":
            H.eq(entries_hash(text), h, "list %s: its hash vs. SHA-256 of its entries' SHA-256" % h)
        else:   # withheld reasons, and released lists of older records
            H.eq(hashlib.sha256(text.encode("utf-8")).hexdigest(), h,
                 "list %s: its hash vs. SHA-256 of its body" % h)
    hashes = {r["seq"]: r["hash"] for r in recs}
    for s, at, h, pk, sig in cps:
        H.check(s in hashes, "checkpoint signs record %d, which the trail does not hold" % s)
        H.eq(h, hashes[s], "checkpoint of record %d: the hash it signs" % s)
    return recs, lists, cps


def stopped_trail(srv):
    """After the server stopped: the export, and the stored records (by
    seq), lists and checkpoints, the chain checked."""
    recs = export(srv.db)
    settle(srv.db)
    stored, lists, cps = check_chain(srv.db)
    return recs, {s["seq"]: s for s in stored}, lists, cps


def list_pairs(lists, h):
    body = lists[h]
    text = body if isinstance(body, str) else bytes(body).decode("utf-8")
    return json.loads(text)


def check_read_record(rec, stored, lists, rid, user, path, query, status, objs, t0, t1):
    """An export line against the request made and the page received."""
    what = "record %s (request %s, %s GET %s?%s)" % (rec.get("seq"), rid, user, path, query)
    H.eq([k for k in RECORD_KEYS if k not in rec], [], what + ": fields of docs/audit.md missing")
    H.eq(rec.get("type"), "read", what + ": type")
    H.eq(rec.get("partner"), user, what + ": partner")
    H.eq(rec.get("credential"), "config:" + user, what + ": credential (the configured password)")
    H.eq(rec.get("method"), "GET", what + ": method")
    H.eq(rec.get("path"), path, what + ": path")
    H.eq(rec.get("query"), query, what + ": query (as sent)")
    H.eq(rec.get("status"), status, what + ": status")
    H.eq((rec.get("policy_version"), rec.get("posture_version")), (0, 0),
         what + ": policy_version, posture_version")
    H.check(isinstance(rec.get("snapshot"), (int, str)) and not isinstance(rec.get("snapshot"), bool),
            what + ": snapshot %r" % rec.get("snapshot"))
    at = at_us(rec.get("at"))
    H.check(at is not None and t0 - 5e6 <= at <= t1 + 5e6,
            what + ": at %r is not the time of the answer (UTC, µs; between %s and %s)"
            % (rec.get("at"), ts(t0), ts(t1)))
    rel = rec.get("released")
    H.check(isinstance(rel, dict), what + ": released %r" % rel)
    H.eq(rel.get("count"), len(objs), what + ": released.count (objects in the answer)")
    withheld_total(rec)
    H.check(HEX64.match(str(rec.get("hash"))), what + ": hash %r is not 64 hex digits" % rec.get("hash"))
    s = stored[rec["seq"]]
    H.eq(rec["hash"], s["hash"], what + ": exported hash vs. the stored one")
    H.eq({k: v for k, v in rec.items() if k not in ("hash", "objects", "withheld_reasons")}, s["doc"],
         what + ": exported fields vs. the stored record")
    if objs:
        H.eq(rec.get("objects"), pairs_of(objs), what + ": objects (the page's [id, version] pairs)")
        H.check(HEX64.match(str(rel.get("list"))), what + ": released.list %r" % rel.get("list"))
        H.eq(list_pairs(lists, rel["list"]), pairs_of(objs), what + ": the stored released list")
    else:
        H.check(rel.get("list") is None, what + ": released.list of an empty answer: %r" % rel.get("list"))
        H.check(not rec.get("objects"), what + ": objects of an empty answer: %r" % rec.get("objects"))


def us():
    return int(time.time() * 1e6)


def ts(t_us):
    return datetime.datetime.fromtimestamp(t_us / 1e6, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def at_us(v):
    """A record's time: µs since the epoch, or a UTC timestamp with
    microseconds (2026-01-02T03:04:05.123456Z); None when neither."""
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    if isinstance(v, str):
        m = re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})Z$", v)
        if m:
            d = datetime.datetime(*[int(x) for x in m.groups()[:6]], tzinfo=datetime.timezone.utc)
            return int(d.timestamp()) * 1000000 + int(m.group(7))
    return None


def copy_trail(src_dir, name):
    """A fresh directory holding copies of the store, the trail and the key
    (every file beside the store whose name starts with its name, but the
    WAL index files); returns the copy's db path."""
    dst = tempfile.mkdtemp(prefix="relto-audit-%s-" % name)
    if H.PG_URL:
        H.copy_store(os.path.join(src_dir, DB), os.path.join(dst, DB))
        return os.path.join(dst, DB)
    for fn in os.listdir(src_dir):
        if fn.startswith(DB) and not fn.endswith("-shm"):
            shutil.copy2(os.path.join(src_dir, fn), os.path.join(dst, fn))
    return os.path.join(dst, DB)


def tamper(db, *statements):
    con = sqlite3.connect(db + ".audit")
    try:
        for sql, args in statements:
            con.execute(sql, args)
        con.commit()
        checkpoint = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        H.check(checkpoint is None or checkpoint[0] == 0, "tamper: WAL checkpoint busy")
    finally:
        con.close()


def tamper_records(db, edit):
    """Rewrite the records file: edit(list of record texts) -> new list."""
    path = db + ".audit-records"
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8").split("\n")[:-1]
    lines = edit(lines)
    with open(path, "wb") as f:
        f.write("".join(x + "\n" for x in lines).encode("utf-8"))


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------

def test_audit_records_reads():
    """kor and gbr page through intel and telecom (limit 20, following next
    once), each request with its own X-Request-ID; kor asks for an object,
    its versions and a manifest page; usa deletes an object; a collections
    listing is not recorded.  After SIGTERM: exactly one record per request,
    with its fields, released count and [id, version] list equal to the
    page (the entries, for manifest and versions); a page asked twice names
    the same stored list; an unusable X-Request-ID is replaced by one relto
    makes; the chain recomputes; the last checkpoint signs the last record
    with the key `relto audit pubkey` prints; verify exits 0; export
    --partner and show --partner select."""
    srv = start_server("relto-audit-reads")
    try:
        t0 = us()
        made = []       # (rid, user, path, query, status, objs)
        plan = [("kor", "intel"), ("kor", "telecom"), ("gbr", "intel")]
        for user, coll in plan:
            path = H.coll_path(coll, "objects/")
            q = "limit=20"
            for _ in range(2):
                rid = new_rid("read")
                r = get(srv, user, path, q, rid)
                H.eq(r.status, 200, "GET %s?%s as %s" % (path, q, user))
                objs = r.json.get("objects", [])
                H.check(objs, "GET %s?%s as %s: an empty page" % (path, q, user))
                made.append((rid, user, path, q, 200, objs))
                H.check(r.json.get("more") and r.json.get("next"), "GET %s?%s: more and next" % (path, q))
                q = "limit=20&next=" + r.json["next"]
        # The same page again: a second record, the same list.
        rid = new_rid("again")
        path = H.coll_path("intel", "objects/")
        r = get(srv, "kor", path, "limit=20", rid)
        H.eq(r.status, 200, "GET intel page 1 as kor, again")
        made.append((rid, "kor", path, "limit=20", 200, r.json.get("objects", [])))
        again_rid = rid
        # X-Request-ID: kept when it is 1-64 characters of A-Z a-z 0-9 . _ -,
        # else replaced by one relto makes.
        one = r.json["objects"][-1]
        opath = H.obj_path("intel", one["id"])
        rid = "A.b_c-" + "9" * 58
        r = get(srv, "kor", opath, "", rid)
        H.eq(r.status, 200, "GET an object by id as kor")
        made.append((rid, "kor", opath, "", 200, r.json.get("objects", [])))
        bad_rids = ["x" * 65, "has space", "quote\"d", "semi;colon"]
        for bad in bad_rids:
            r = get(srv, "kor", opath, "", bad)
            H.eq(r.status, 200, "GET an object by id as kor, X-Request-ID %r" % bad)
        # The manifest and the versions endpoints: entries, as [id, version].
        entries = {}
        mpath = H.coll_path("telecom", "manifest/")
        rid = new_rid("manifest")
        r = get(srv, "kor", mpath, "limit=10", rid)
        H.eq(r.status, 200, "GET telecom manifest as kor")
        entries[rid] = (mpath, "limit=10", [[e["id"], e["version"]] for e in r.json.get("objects", [])])
        vpath = H.obj_path("intel", one["id"], "versions/")
        rid = new_rid("versions")
        r = get(srv, "kor", vpath, "", rid)
        H.eq(r.status, 200, "GET versions of %s as kor" % one["id"])
        entries[rid] = (vpath, "", [[one["id"], v] for v in r.json.get("versions", [])])
        # DELETE (usa writes intel): a record of type delete.
        dpath = H.obj_path("intel", one["id"])
        del_rid = new_rid("delete")
        r = H.request("DELETE", dpath, user="usa", server=srv, headers={"X-Request-ID": del_rid})
        H.eq(r.status, 200, "DELETE %s as usa" % one["id"])
        # Not an object endpoint: no record.
        coll_rid = new_rid("colls")
        r = H.request("GET", H.API_ROOT + "collections/", user="kor", server=srv,
                      headers={"X-Request-ID": coll_rid})
        H.eq(r.status, 200, "GET collections as kor")
        t1 = us()
        stop(srv)
        recs, stored, lists, cps = stopped_trail(srv)
        H.eq(len(recs), len(stored), "export: one line per stored record")
        rids = [m[0] for m in made]
        H.check(not [x for x in recs if x.get("request_id") == coll_rid],
                "a collections listing (not an object endpoint) was recorded: %s" % coll_rid)
        for rid, (path, q, ents) in entries.items():
            x = by_rid(recs, rid)
            what = "record %s (%s GET %s?%s)" % (x.get("seq"), rid, path, q)
            H.eq((x.get("type"), x.get("partner"), x.get("path"), x.get("query"), x.get("status")),
                 ("read", "kor", path, q, 200), what + ": type, partner, path, query, status")
            H.eq(x.get("released", {}).get("count"), len(ents), what + ": released.count (entries)")
            H.eq(x.get("objects"), ents, what + ": objects (the entries' [id, version] pairs)")
        x = by_rid(recs, del_rid)
        H.eq((x.get("type"), x.get("partner"), x.get("method"), x.get("path"), x.get("status")),
             ("delete", "usa", "DELETE", dpath, 200), "record of the DELETE: type, partner, method, path, status")
        rids += list(entries)
        others = [x for x in recs if x.get("type") == "read" and x.get("request_id") not in rids]
        H.eq(sorted(x.get("request_id") for x in recs if x.get("type") == "read" and x not in others),
             sorted(rids), "the read records are the object requests made (request ids)")
        H.eq(len(others), len(bad_rids), "records of the requests with an unusable X-Request-ID: %s"
             % H._short(others, 800))
        for x in others:
            H.check(isinstance(x.get("request_id"), str) and re.match(r"^[A-Za-z0-9._-]{1,64}$", x["request_id"])
                    and x["request_id"] not in bad_rids,
                    "an unusable X-Request-ID should be replaced by one relto makes: %r" % x.get("request_id"))
            H.eq(x.get("path"), opath, "path of a request with an unusable X-Request-ID")
        H.eq(len({x["request_id"] for x in others}), len(others), "the request ids relto made are distinct")
        for rid, user, path, q, status, objs in made:
            check_read_record(by_rid(recs, rid), stored, lists, rid, user, path, q, status, objs, t0, t1)
        first, again = by_rid(recs, made[0][0]), by_rid(recs, again_rid)
        H.eq(again["released"]["list"], first["released"]["list"],
             "the same page asked twice names the same stored list")
        for x in recs:
            for y in recs:
                if x.get("objects") and y.get("objects"):
                    H.check((x["released"]["list"] == y["released"]["list"]) == (x["objects"] == y["objects"]),
                            "records %d and %d: the same list hash if and only if the same objects"
                            % (x["seq"], y["seq"]))
        H.eq([x["seq"] for x in recs], sorted(stored), "export: records oldest first")

        # Checkpoints: at least the one made when the server stopped, signing the last record.
        H.check(cps, "no checkpoint in the trail (docs/audit.md: one when the server stops)")
        last = max(stored)
        H.eq(cps[-1][0], last, "the newest checkpoint signs the newest record (made at SIGTERM)")
        rc, out, err = audit(srv.db, "pubkey")
        H.check(rc == 0 and re.match(r"^ed25519:[0-9a-f]{64}\n?$", out),
                describe_run("relto audit pubkey (expected ed25519:<64 hex>)", rc, out, err))
        pk = out.strip()[len("ed25519:"):]
        for s, at, h, cpk, sig in cps:
            H.eq(cpk, pk, "checkpoint of record %d: its public key vs. relto audit pubkey" % s)
            H.eq(len(sig), 64, "checkpoint of record %d: an Ed25519 signature is 64 bytes" % s)
        verify_ok(srv.db, "a trail nobody touched")

        # Filters.
        gbr = export(srv.db, "--partner", "gbr")
        H.eq(sorted(x.get("request_id") for x in gbr), sorted(m[0] for m in made if m[1] == "gbr"),
             "export --partner gbr: gbr's requests only")
        rc, out, err = audit(srv.db, "show", "--partner", "kor")
        H.check(rc == 0, describe_run("relto audit show --partner kor", rc, out, err))
        shown = [int(ln.split()[0]) for ln in out.split("\n") if re.match(r"^\s*\d+\s", ln)]
        H.eq(sorted(shown), sorted(x["seq"] for x in recs if x.get("partner") == "kor"),
             "relto audit show --partner kor: one line per kor record, led by its seq\n%s" % out[:2000])
        for ln in out.split("\n"):
            H.check(not re.search(r"\bgbr\b", ln), "relto audit show --partner kor lists gbr: %r" % ln)
    finally:
        srv.cleanup()


def test_audit_withheld_404():
    """An intel object usa reads but kor does not: GET by id as kor is a
    404 whose record has status 404, released 0 and list null, and a
    withheld count with a reason; neither the 404's body nor its headers
    carry the audit details.  GET by id of an id that does not exist:
    404, nothing withheld.  kor's crawl of intel counts, page by page, what
    it withheld: some page has withheld > 0, and over the whole crawl the
    counts add up to what usa receives and kor does not."""
    srv = start_server("relto-audit-withheld")
    try:
        t0 = us()
        usa_pairs = pairs_in(srv, "usa", "intel")
        kor_pairs = set(pairs_in(srv, "kor", "intel"))
        usa_ids = [i for i, _ in usa_pairs]
        kor_ids = {i for i, _ in kor_pairs}
        hidden = sorted(i for i in usa_ids if i not in kor_ids and not i.startswith("marking-definition--"))
        H.check(hidden, "kor should not receive every intel object usa receives")
        oid = hidden[0]

        rid404 = new_rid("hidden")
        path = H.obj_path("intel", oid)
        r = get(srv, "kor", path, "", rid404)
        H.eq(r.status, 404, "GET %s as kor (withheld)" % oid)
        resp404 = r
        rid_usa = new_rid("usa")
        r = get(srv, "usa", path, "", rid_usa)
        H.eq(r.status, 200, "GET %s as usa" % oid)
        usa_objs = r.json.get("objects", [])
        missing = "indicator--" + str(uuid.uuid4())
        rid_none = new_rid("none")
        r = get(srv, "kor", H.obj_path("intel", missing), "", rid_none)
        H.eq(r.status, 404, "GET %s as kor (no such object)" % missing)

        # kor's crawl of intel, limit 200, with request ids.
        crawl_rids, received, q = [], 0, "limit=200"
        ipath = H.coll_path("intel", "objects/")
        for _ in range(50):
            rid = new_rid("crawl")
            r = get(srv, "kor", ipath, q, rid)
            H.eq(r.status, 200, "GET intel objects as kor")
            crawl_rids.append((rid, q, r.json.get("objects", [])))
            received += len(r.json.get("objects", []))
            if not r.json.get("more"):
                break
            q = "limit=200&next=" + r.json["next"]
        t1 = us()
        stop(srv)
        recs, stored, lists, _ = stopped_trail(srv)

        rec = by_rid(recs, rid404)
        check_read_record(rec, stored, lists, rid404, "kor", path, "", 404, [], t0, t1)
        n = withheld_total(rec)
        H.check(n >= 1, "record of the 404 for a withheld object: withheld should count it: %r"
                % rec.get("withheld"))
        reasons = list(withheld_by_reason(rec))
        leak = [x for x in reasons if x.encode() in resp404.body or any(
            x in v for _, v in resp404.headers.items())]
        H.check(not leak, "the 404 answer carries the withheld reason %r: %r %r"
                % (leak, resp404.body[:400], resp404.headers.items()))
        for word in ("withheld", "policy line", "audit"):
            H.check(word not in resp404.body.decode("utf-8", "replace").lower(),
                    "the 404 answer mentions %r: %r" % (word, resp404.body[:400]))
        for k, v in resp404.headers.items():
            H.check("audit" not in k.lower() and "withheld" not in v.lower() and "audit" not in v.lower(),
                    "the 404 answer's header %s: %s carries audit details" % (k, v))

        check_read_record(by_rid(recs, rid_usa), stored, lists, rid_usa, "usa", path, "", 200,
                          usa_objs, t0, t1)
        H.eq(by_rid(recs, rid_usa).get("withheld"), {}, "usa (the hub) withholds nothing")
        none = by_rid(recs, rid_none)
        check_read_record(none, stored, lists, rid_none, "kor", H.obj_path("intel", missing), "", 404,
                          [], t0, t1)
        H.eq(none.get("withheld"), {}, "an id that does not exist: nothing matched, nothing withheld")

        pages = []
        for rid, q, objs in crawl_rids:
            c = by_rid(recs, rid)
            check_read_record(c, stored, lists, rid, "kor", ipath, q, 200, objs, t0, t1)
            pages.append(withheld_total(c))
        H.check(any(p > 0 for p in pages), "kor's pages of intel should count withheld objects: %r" % pages)
        H.eq(received, len(kor_ids), "kor's crawl at limit 200 vs. at limit 1000")
        # An object whose latest version is withheld from kor while an
        # earlier one is released counts as released and as withheld.
        H.eq(sum(pages), len([p for p in usa_pairs if p not in kor_pairs]),
             "kor's whole crawl of intel: the withheld counts of its pages (%r) should add up to the "
             "latest versions usa receives and kor does not" % pages)
    finally:
        srv.cleanup()


def whogot_lines(db, oid, who):
    rc, out, err = audit(db, "who-got", oid)
    H.check(rc == 0, describe_run("relto audit who-got %s" % oid, rc, out, err))
    return out, [ln for ln in out.split("\n") if re.search(r"(^|[^A-Za-z0-9_-])%s([^A-Za-z0-9_-]|$)" % who, ln)]


def test_audit_who_got():
    """kor reads the second intel page (limit 20); usa reads an object kor
    may not have.  While the server runs: who-got of an object on kor's page
    lists kor with the version kor got, and not gbr (who read nothing);
    who-got of the withheld object lists usa and not kor; export --object
    selects the record that released it."""
    srv = start_server("relto-audit-whogot")
    try:
        path = H.coll_path("intel", "objects/")
        r = get(srv, "kor", path, "limit=20")
        H.eq(r.status, 200, "GET intel page 1 as kor")
        rid = new_rid("whogot")
        q = "limit=20&next=" + r.json["next"]
        r = get(srv, "kor", path, q, rid)
        H.eq(r.status, 200, "GET intel page 2 as kor")
        objs = [o for o in r.json.get("objects", []) if not o["id"].startswith(("marking-definition--", "identity--"))]
        H.check(objs, "kor's second intel page holds objects other than markings and identities")
        got = objs[-1]

        usa_ids = [i for i, _ in pairs_in(srv, "usa", "telecom")]
        kor_ids = {i for i, _ in pairs_in(srv, "kor", "telecom")}
        kor_ids.update(o["id"] for o in r.json.get("objects", []))
        hidden = [i for i in usa_ids if i not in kor_ids
                  and not i.startswith(("marking-definition--", "identity--"))]
        H.check(hidden, "kor should not receive every telecom object usa receives")

        # The writer moves answers into the trail in batches (docs/audit.md:
        # every 50 ms): kor's answer is there within a few batches.
        deadline = time.time() + 5
        out, lines = whogot_lines(srv.db, got["id"], "kor")
        while not lines and time.time() < deadline:
            time.sleep(0.05)
            out, lines = whogot_lines(srv.db, got["id"], "kor")
        H.check(lines, "relto audit who-got %s (kor read it) does not list kor:\n%s" % (got["id"], out))
        H.check(any(version_of(got) in ln for ln in lines),
                "relto audit who-got %s: kor's line should give the version kor got (%s):\n%s"
                % (got["id"], version_of(got), out))
        _, glines = whogot_lines(srv.db, got["id"], "gbr")
        H.check(not glines, "relto audit who-got %s lists gbr, who read nothing:\n%s" % (got["id"], out))

        out, ulines = whogot_lines(srv.db, hidden[0], "usa")
        H.check(ulines, "relto audit who-got %s (usa read it) does not list usa:\n%s" % (hidden[0], out))
        _, klines = whogot_lines(srv.db, hidden[0], "kor")
        H.check(not klines, "relto audit who-got %s lists kor, who never received it:\n%s" % (hidden[0], out))

        sel = export(srv.db, "--object", got["id"])
        H.check(rid in [x.get("request_id") for x in sel],
                "relto audit export --object %s does not select kor's request %s: %s"
                % (got["id"], rid, H._short(sel, 600)))
        for x in sel:
            H.check(got["id"] in [p[0] for p in x.get("objects") or []],
                    "relto audit export --object %s selects record %s, which did not release it"
                    % (got["id"], x.get("seq")))
        stop(srv)
        verify_ok(srv.db, "after who-got")
    finally:
        srv.cleanup()


def test_audit_admin_change():
    """A posture change through the admin API: one admin record (partner
    admin, action posture.change, the reason, the version it made, a
    digest); export --decision admin selects it alone; verify exits 0."""
    srv = start_server("relto-audit-admin")
    try:
        r = get(srv, "kor", H.coll_path("intel", "objects/"), "limit=5", new_rid("before"))
        H.eq(r.status, 200, "GET intel objects as kor")
        reason = "t95: LG Uplus completed the swap-out " + uuid.uuid4().hex[:8]
        body = json.dumps({"reason": reason, "changes": [ADMIN_CHANGE]}).encode()
        conn = H._connection(srv.scheme, "127.0.0.1", srv.port, 60)
        try:
            conn.request("POST", "/admin/posture/changes", body=body, headers={
                "Accept": "application/json", "Content-Type": "application/json",
                "Authorization": H.basic("admin", H.PASSWORDS["admin"])})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        H.check(resp.status == 200, "POST /admin/posture/changes -> %d %r" % (resp.status, data[:400]))
        version = json.loads(data)["version"]
        H.eq(version, 1, "the first posture change's version")
        recs = export(srv.db)
        admins = [x for x in recs if x.get("type") == "admin"]
        H.eq(len(admins), 1, "admin records after one posture change: %s" % H._short(admins, 800))
        a = admins[0]
        H.eq(a.get("action"), "posture.change", "admin record: action")
        H.eq(a.get("reason"), reason, "admin record: reason")
        H.eq(a.get("version"), version, "admin record: version")
        H.eq(a.get("partner"), "admin", "admin record: partner (the admin login)")
        H.eq(a.get("credential"), "config:admin", "admin record: credential")
        H.check(HEX64.match(str(a.get("digest"))), "admin record: digest %r is not 64 hex digits"
                % a.get("digest"))
        H.check(a.get("seq") == max(x["seq"] for x in recs), "the admin record is the newest")
        sel = export(srv.db, "--decision", "admin")
        H.eq([x.get("seq") for x in sel], [a["seq"]], "export --decision admin")
        # After the change, reads name the new posture version.
        rid = new_rid("after")
        r = get(srv, "kor", H.coll_path("intel", "objects/"), "limit=5", rid)
        H.eq(r.status, 200, "GET intel objects as kor after the change")
        stop(srv)
        recs = export(srv.db)
        H.eq(by_rid(recs, rid).get("posture_version"), version,
             "a read after the change: posture_version")
        # The CLI: an admin record by "cli", with the OS user, signed at once.
        creason = "t95: back as it was " + uuid.uuid4().hex[:8]
        rc, out, err = relto("posture", "change", "--demo", "--db", srv.db, "--add-equipment",
                             "kor/LG Uplus/ran/huawei", "--author", "ops", "--reason", creason)
        H.check(rc == 0, describe_run("relto posture change", rc, out, err))
        recs = export(srv.db)
        c = [x for x in recs if x.get("type") == "admin" and x.get("reason") == creason]
        H.eq(len(c), 1, "admin records of the CLI's posture change: %s" % H._short(recs[-2:], 800))
        c = c[0]
        H.eq((c.get("partner"), c.get("action"), c.get("version")), ("cli", "posture.change", 2),
             "the CLI's admin record: partner, action, version")
        H.check(str(c.get("credential")).startswith("os:"), "the CLI's admin record: credential %r "
                "(docs/audit.md: os:USER)" % c.get("credential"))
        H.eq(c["seq"], max(x["seq"] for x in recs), "the CLI's record is the newest")
        settle(srv.db)
        _, _, cps = check_chain(srv.db)
        H.check(cps and cps[-1][0] == c["seq"], "the CLI signs a checkpoint of its record (%d): "
                "checkpoints sign %r" % (c["seq"], [x[0] for x in cps]))
        verify_ok(srv.db, "after an admin change")
    finally:
        srv.cleanup()


def test_audit_tamper():
    """A trail of a few hundred records and several checkpoints (requests
    for about 2.7 s, then SIGTERM); each alteration on a copy of it:
    untouched: exit 0; a record's status changed: `record K`; deleted:
    `record K`; K and K+1 swapped: `record K`; truncated back past the last
    checkpoint (the head moved back too): `record S-2`; a
    released list changed: the first record naming it; a checkpoint's
    signature altered: exit 1; --pubkey with another key: exit 1, with the
    right one (as `relto audit pubkey` prints it): exit 0."""
    srv = start_server("relto-audit-tamper")
    copies = []
    try:
        users, colls = ["kor", "gbr", "jpn"], ["intel", "telecom"]
        nxt, i, t_end = {}, 0, time.time() + 2.7
        while time.time() < t_end:
            user, coll = users[i % 3], colls[(i // 3) % 2]
            key = (user, coll)
            q = "limit=25" + ("&next=" + nxt[key] if nxt.get(key) else "")
            r = get(srv, user, H.coll_path(coll, "objects/"), q, new_rid("tamper"))
            H.eq(r.status, 200, "GET %s objects as %s" % (coll, user))
            nxt[key] = r.json.get("next") if r.json.get("more") else None
            i += 1
            time.sleep(0.005)
        stop(srv)
        settle(srv.db)
        recs, lists, cps = check_chain(srv.db)
        N = len(recs)
        H.check(N >= 20, "only %d records after 2.7 s of requests" % N)
        H.check(len(cps) >= 2, "only %d checkpoint(s) after 2.7 s of requests (docs/audit.md: at most "
                "every second while records arrive, and at stop)" % len(cps))
        S = cps[-1][0]
        H.check(S >= 10, "the last checkpoint signs record %d" % S)
        K = S // 2
        by_seq = {r["seq"]: r for r in recs}
        H.check(re.search(r'"status":\s*200\b', by_seq[K]["body"]), "record %d: status 200 in its body: %r"
                % (K, by_seq[K]["body"][:300]))

        def fresh(name):
            db = copy_trail(srv.dir, name)
            copies.append(os.path.dirname(db))
            return db

        db = fresh("untouched")
        verify_ok(db, "an untouched copy of the trail")

        changed = re.sub(r'"status":(\s*)200\b', r'"status":\g<1>201', by_seq[K]["body"], count=1)
        cases = tamper_cases(recs, lists, cps, K, S, changed)
        H.eq(len(cases), 7 if H.PG_URL else 6, "alterations tried")
        for name, edit, what, seq, says in cases:
            db = fresh(name)
            edit(db)
            out = verify_bad(db, what, seq)
            H.check(all(w in first_line(out) for w in says),
                    "verify, %s: the first line should say %s: %r" % (what, " and ".join(says), first_line(out)))

        db = fresh("pubkey")
        other = os.path.join(os.path.dirname(db), "other.pub")
        with open(other, "w") as f:
            f.write(OTHER_PUBKEY + "\n")
        verify_bad(db, "giving another public key", None, "--pubkey", other)
        rc, out, err = audit(db, "pubkey")
        H.check(rc == 0 and out.startswith("ed25519:"), describe_run("relto audit pubkey", rc, out, err))
        right = os.path.join(os.path.dirname(db), "right.pub")
        with open(right, "w") as f:
            f.write(out)
        verify_ok(db, "with the server's own public key", "--pubkey", right)
    finally:
        srv.cleanup()
        for d in copies:
            shutil.rmtree(d, ignore_errors=True)


def bytea(data):
    """A bytea literal of data (bytes or text)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return "'\\x%s'::bytea" % data.hex()


def tamper_cases(recs, lists, cps, K, S, changed):
    """test_audit_tamper's alterations of a trail, as someone who can write
    its files (SQLite) or its tables (PostgreSQL) would: (name, edit(db),
    what, the record `relto audit verify` must name (None: any), words its
    first line must hold).  changed: record K's body with another status."""
    kept = S - 3          # cut back past the last checkpoint (S)
    named = [r for r in recs if r["list"]]
    H.check(named, "no record names a released list")
    lh = named[len(named) // 2]["list"]
    first_naming = min(r["seq"] for r in recs if r["list"] == lh)
    pairs = list_pairs(lists, lh)
    pairs[0][1] = "1999-01-01T00:00:00.000Z" if pairs[0][1] != "1999-01-01T00:00:00.000Z" else "2000-01-01T00:00:00.000Z"
    other_list = json.dumps(pairs, separators=(",", ":"))
    s0, sig = cps[0][0], cps[0][4]
    bad_sig = bytes([sig[0] ^ 1]) + sig[1:]
    common = [("changed", "changing record %d's status" % K, K, ["changed"]),
              ("deleted", "deleting record %d" % K, K, ["missing"]),
              ("swapped", "swapping records %d and %d" % (K, K + 1), K, ["reorder"]),
              ("truncated", "deleting the records after %d (the last checkpoint signs %d)" % (kept, S), kept + 1,
               ["missing", str(S)]),
              ("list", "changing the released list %s" % lh, first_naming, []),
              ("checkpoint", "altering the signature of the checkpoint of record %d" % s0, None, [])]
    if H.PG_URL:
        edits = {
            # the body changed, its hash column recomputed to match
            "changed": lambda db: H.pg_sql(db, "UPDATE audit_records SET body = %s, hash = %s WHERE seq = %d" % (
                bytea(changed), bytea(hashlib.sha256(changed.encode()).digest()), K)),
            "deleted": lambda db: H.pg_sql(db, "DELETE FROM audit_records WHERE seq = %d" % K),
            "swapped": lambda db: H.pg_sql(db, "UPDATE audit_records SET seq = -1 WHERE seq = %d; UPDATE audit_records"
                                               " SET seq = %d WHERE seq = %d; UPDATE audit_records SET seq = %d WHERE"
                                               " seq = -1" % (K, K, K + 1, K + 1)),
            "truncated": lambda db: H.pg_sql(db, "DELETE FROM audit_records WHERE seq > %d" % kept),
            "list": lambda db: H.pg_sql(db, "UPDATE audit_lists SET body = %s WHERE hash = %s"
                                            % (bytea(other_list), bytea(bytes.fromhex(lh)))),
            "checkpoint": lambda db: H.pg_sql(db, "UPDATE audit_checkpoints SET sig = %s WHERE seq = %d"
                                                  % (bytea(bad_sig), s0)),
        }
        cases = [(n, edits[n], what, seq, says) for n, what, seq, says in common]
        # and the body alone, its hash column left as it was
        cases.insert(1, ("changed-body", lambda db: H.pg_sql(db, "UPDATE audit_records SET body = %s WHERE seq = %d"
                                                                  % (bytea(changed), K)),
                         "changing record %d's status (not its hash column)" % K, K, ["changed"]))
        return cases
    size = sum(len(r["body"].encode("utf-8")) + 1 for r in recs[:kept])
    hash_kept = bytes.fromhex({r["seq"]: r for r in recs}[kept]["hash"])

    def truncate(db):   # the head moved back with the records
        tamper_records(db, lambda ls: ls[:kept])
        tamper(db, ("UPDATE head SET seq = ?, hash = ?, size = ?", (kept, hash_kept, size)))
    edits = {
        "changed": lambda db: tamper_records(db, lambda ls: ls[:K - 1] + [changed] + ls[K:]),
        "deleted": lambda db: tamper_records(db, lambda ls: ls[:K - 1] + ls[K:]),
        "swapped": lambda db: tamper_records(db, lambda ls: ls[:K - 1] + [ls[K], ls[K - 1]] + ls[K + 1:]),
        "truncated": truncate,
        "list": lambda db: tamper(db, ("UPDATE lists SET body = ? WHERE hash = ?", (other_list, bytes.fromhex(lh)))),
        "checkpoint": lambda db: tamper(db, ("UPDATE checkpoints SET sig = ? WHERE seq = ?", (bad_sig, s0))),
    }
    return [(n, edits[n], what, seq, says) for n, what, seq, says in common]


class Poller(threading.Thread):
    """Pages through a collection as one user, with a request id per
    request; .done: the ids of 200 answers fully received and parsed."""

    def __init__(self, srv, idx, user, coll, killed):
        threading.Thread.__init__(self, name="audit-poller-%d" % idx, daemon=True)
        self.srv, self.user, self.coll, self.killed = srv, user, coll, killed
        self.done, self.errors = [], []

    def run(self):
        auth = H.basic(self.user, H.PASSWORDS[self.user])
        path = H.coll_path(self.coll, "objects/")
        conn, nxt, fails = None, None, 0
        while fails < 3:
            rid = new_rid("kill")
            target = path + "?limit=50" + ("&next=" + nxt if nxt else "")
            reused = conn is not None
            try:
                if conn is None:
                    conn = H._connection(self.srv.scheme, "127.0.0.1", self.srv.port, 10)
                conn.request("GET", target, headers={"Accept": H.TAXII_MT, "Authorization": auth,
                                                     "X-Request-ID": rid})
                resp = conn.getresponse()
                data = resp.read()
            except (socket.timeout, ConnectionError, http.client.HTTPException, OSError) as e:
                if conn is not None:
                    conn.close()
                conn = None
                if self.killed.is_set():
                    fails += 1
                    time.sleep(0.02)
                elif not (reused and isinstance(e, (http.client.RemoteDisconnected, BrokenPipeError,
                                                    ConnectionResetError))):
                    # (a keep-alive connection the server closed: ask again on a new one)
                    self.errors.append("GET %s as %s: %r" % (target, self.user, e))
                    time.sleep(0.05)
                continue
            if resp.will_close:
                conn.close()
                conn = None
            doc = H.parse_json(data)
            if resp.status == 200 and isinstance(doc, dict):
                self.done.append(rid)
                nxt = doc.get("next") if doc.get("more") else None
            else:
                if not self.killed.is_set():
                    self.errors.append("GET %s as %s -> %d %r" % (target, self.user, resp.status, data[:200]))
                nxt = None
        if conn is not None:
            conn.close()


def test_audit_sigkill():
    """6 client threads page through intel and telecom as kor, gbr and usa
    for about 2 s; then SIGKILL.  verify exits 0, and every request whose
    200 answer was fully received is in the trail (durability "os", the
    default: records of answers sent are in the server's journal, which
    `relto audit` moves into the trail first).  Restarted on the same
    database, the server goes on with the trail: one more request, SIGTERM,
    verify exits 0 and the request is there."""
    sigkill_run([])


def test_audit_sigkill_disk():
    """The same with durability "disk": every answer waits, suspended,
    until the batch holding its record is fsynced in the trail."""
    sigkill_run(["--audit-durability", "disk"])


def page_for(srv, killed, seconds):
    """6 Pollers (kor, gbr, usa x intel, telecom) paging for `seconds`;
    then `killed` is set (the caller stops the server) and they are
    returned, still running."""
    plan = [("kor", "intel"), ("kor", "telecom"), ("gbr", "intel"), ("gbr", "telecom"),
            ("usa", "intel"), ("usa", "telecom")]
    pollers = [Poller(srv, i, u, c, killed) for i, (u, c) in enumerate(plan)]
    for p in pollers:
        p.start()
    time.sleep(seconds)
    killed.set()
    return pollers


def join_pollers(pollers, after):
    for p in pollers:
        p.join(30)
        H.check(not p.is_alive(), "a client thread did not stop after %s" % after)


def sigkill_run(extra):
    srv = start_server("relto-audit-kill", extra)
    killed = threading.Event()
    pollers = []
    try:
        pollers = page_for(srv, killed, 2.0)
        srv.proc.kill()
        srv.proc.wait()
        join_pollers(pollers, "the kill")
        srv.stop()
        errors = [e for p in pollers for e in p.errors]
        H.check(not errors, "errors before the kill: %s" % errors[:5])
        done = [rid for p in pollers for rid in p.done]
        H.check(len(done) >= 30, "only %d answers in 2 s of paging" % len(done))

        verify_ok(srv.db, "after SIGKILL")
        recs = all_received_in_trail(srv.db, done, "fully received before the SIGKILL")
        n_before = max(x["seq"] for x in recs)

        srv.start()
        rid = new_rid("restart")
        r = get(srv, "kor", H.coll_path("intel", "objects/"), "limit=10", rid)
        H.eq(r.status, 200, "GET intel objects as kor after the restart")
        stop(srv)
        verify_ok(srv.db, "after SIGKILL, restart, one request and SIGTERM")
        recs = export(srv.db)
        rec = by_rid(recs, rid)
        H.check(rec["seq"] > n_before, "the request after the restart is record %d, the trail held %d"
                % (rec["seq"], n_before))
        settle(srv.db)
        check_chain(srv.db)
    finally:
        killed.set()
        srv.cleanup()


def test_audit_sigterm_under_load_disk():
    """durability "disk": SIGTERM while 6 clients page, so answers are
    suspended waiting for their batch when the server stops.  It must let
    them finish (libmicrohttpd may not stop with suspended connections),
    exit 0, sign a last checkpoint, and every answer received is in a trail
    that verifies."""
    srv = start_server("relto-audit-term", ["--audit-durability", "disk"])
    killed = threading.Event()
    pollers = []
    try:
        pollers = page_for(srv, killed, 1.5)
        stop(srv)
        join_pollers(pollers, "SIGTERM")
        done = [rid for p in pollers for rid in p.done]
        H.check(len(done) >= 30, "only %d answers in 1.5 s of paging" % len(done))
        verify_ok(srv.db, "after SIGTERM under load")
        all_received_in_trail(srv.db, done, "received")
        settle(srv.db)
        check_chain(srv.db)
    finally:
        killed.set()
        srv.cleanup()
