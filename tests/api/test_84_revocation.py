"""Instant revocation under concurrency (docs/admin.md: "A 200 from a change
means: the new version is on disk, the new decisions are in force, and
every request that starts from now on is decided by them").

A demo server on its own database.  First the admin API removes Huawei
from LG Uplus's radio network, so kor receives SECRET objects; crawling kor
before and after gives, per collection, the set of ids that re-adding
Huawei will revoke.  Then 8 client threads page through kor's collections
without pause (limit=50, following next, starting over at the end), each
response recorded with the monotonic time just before its request was sent;
meanwhile the main thread re-adds Huawei (revoke), then removes it again
(grant), three times, noting when each 200 arrived.

Checks: no page whose request started after a revoke's 200 (and before the
next change was sent) holds a revoked id, and every page then is within
what kor received at version 0; every complete pass started after a grant
holds every granted id, and all passes started within one state equal
exactly that state's set; no 5xx, no connection errors, no hang, and the
server stays alive.  Pages in flight while a change was (sent before a
change's 200, or answered after the next change was sent) may show either
state and are not judged.
"""

import http.client
import json
import os
import socket
import threading
import time

import harness as H

THREADS = 8
PAGE = 50
COLLS = ["intel", "telecom"]
KOR_READS = ["intel", "telecom", "reference"]
CYCLES = 3
MIN_PHASE = 0.8          # seconds each state lasts at least
MAX_PHASE = 10.0         # ... and at most, waiting for complete passes
SWAP = {"partner": "kor", "operator": "LG Uplus", "segment": "ran", "vendor": "huawei"}


def start_server():
    srv = H.Server(H.RELTO, ["demo", "--quiet", "--listen", "127.0.0.1:{port}",
                             "--db", os.path.join("{dir}", "revoke.db")], name="relto-revoke")
    try:
        srv.start()
    except BaseException:
        srv.cleanup()
        raise
    return srv


def admin_change(srv, reason, op):
    """POST /admin/posture/changes; returns (answer, time the request was
    sent, time the 200 arrived)."""
    body = json.dumps({"reason": reason, "changes": [dict(SWAP, op=op)]}).encode()
    conn = H._connection(srv.scheme, "127.0.0.1", srv.port, 60)
    try:
        t_sent = time.monotonic()
        conn.request("POST", "/admin/posture/changes", body=body, headers={
            "Accept": "application/json", "Content-Type": "application/json",
            "Authorization": H.basic("admin", H.PASSWORDS["admin"])})
        resp = conn.getresponse()
        data = resp.read()
        t_done = time.monotonic()
    except (socket.timeout, ConnectionError, http.client.HTTPException, OSError) as e:
        H.fail("POST /admin/posture/changes (%s): %r" % (op, e))
    finally:
        conn.close()
    H.check(resp.status == 200, "POST /admin/posture/changes (%s) -> %d %s"
            % (op, resp.status, data[:400].decode("utf-8", "replace")))
    doc = H.parse_json(data)
    H.check(isinstance(doc, dict) and isinstance(doc.get("version"), int),
            "POST /admin/posture/changes answer: %r" % data[:300])
    return doc, t_sent, t_done


def crawl_ids(srv, coll):
    out, params = set(), {"limit": "1000"}
    while True:
        r = H.request("GET", H.coll_path(coll, "objects/"), params=params, user="kor", server=srv)
        H.eq(r.status, 200, "GET %s objects as kor" % coll)
        out.update(o["id"] for o in r.json.get("objects", []))
        if not r.json.get("more"):
            return out
        params = {"limit": "1000", "next": r.json["next"]}


def received(srv):
    return {c: crawl_ids(srv, c) for c in KOR_READS}


def kor_report(doc):
    for p in doc.get("impact", {}).get("partners", []):
        if p.get("partner") == "kor":
            return p
    H.fail("the impact report has no entry for kor: %r" % (json.dumps(doc)[:400],))


def report_counts(p, coll, key):
    for e in p.get("collections", []):
        if e.get("collection") == H.COLLECTIONS[coll]:
            return e.get(key, 0)
    return 0


class Pager(threading.Thread):
    """Pages through kor's collections until stopped.  Each page becomes a
    record (t_sent, t_done, coll, pass_key, page_no, status, ids, last);
    problems go to .errors."""

    def __init__(self, srv, idx, stop):
        threading.Thread.__init__(self, name="pager-%d" % idx, daemon=True)
        self.srv, self.idx, self.stop_ev = srv, idx, stop
        self.records, self.errors = [], []
        self.reconnects = 0
        self.stale_next = 0
        self.auth = H.basic("kor", H.PASSWORDS["kor"])

    def run(self):
        conn = None
        ci = self.idx % len(COLLS)
        passno, page, nxt = 0, 0, None
        while not self.stop_ev.is_set():
            coll = COLLS[ci]
            params = [("limit", PAGE)] + ([("next", nxt)] if nxt else [])
            target = H.url(H.coll_path(coll, "objects/"), params)
            reused = conn is not None
            if conn is None:
                conn = H._connection(self.srv.scheme, "127.0.0.1", self.srv.port, 30)
            t_sent = time.monotonic()
            try:
                conn.request("GET", target, headers={"Accept": H.TAXII_MT, "Authorization": self.auth})
                resp = conn.getresponse()
                data = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                conn.close()
                conn = None
                if reused:
                    # The server may close an idle keep-alive connection:
                    # send the same request again on a new one.
                    self.reconnects += 1
                    continue
                self.errors.append("GET %s: connection error %r" % (target, e))
                time.sleep(0.05)
                continue
            except (socket.timeout, http.client.HTTPException, OSError) as e:
                conn.close()
                conn = None
                self.errors.append("GET %s: %r (hang or crash)" % (target, e))
                time.sleep(0.05)
                continue
            t_done = time.monotonic()
            if resp.will_close:
                conn.close()
                conn = None
            doc = H.parse_json(data)
            ids = [o.get("id") for o in doc.get("objects", [])] if isinstance(doc, dict) else []
            if resp.status != 200 or not isinstance(doc, dict):
                if resp.status >= 500 or nxt is None or not (400 <= resp.status < 500):
                    self.errors.append("GET %s -> %d %s" % (target, resp.status,
                                                             data[:300].decode("utf-8", "replace")))
                else:
                    self.stale_next += 1      # a next token refused (4xx): start the pass over
                self.records.append((t_sent, t_done, coll, (self.idx, passno), page, resp.status, ids, True))
                passno, page, nxt = passno + 1, 0, None
                continue
            last = not doc.get("more")
            self.records.append((t_sent, t_done, coll, (self.idx, passno), page, 200, ids, last))
            if last:
                passno, page, nxt = passno + 1, 0, None
                ci = (ci + 1) % len(COLLS)
            else:
                if not doc.get("next"):
                    self.errors.append("GET %s: more=true without next" % target)
                    passno, page, nxt = passno + 1, 0, None
                    continue
                nxt = doc["next"]
                page += 1
        if conn is not None:
            conn.close()


def complete_passes(pagers):
    """{pass_key: (coll, t_sent of its first page, union of ids)} for passes
    whose every page was a 200 and whose last page said more=false."""
    passes = {}
    for pg in pagers:
        for (t_sent, _, coll, key, page, status, ids, last) in list(pg.records):
            p = passes.setdefault(key, {"coll": coll, "t0": None, "ids": set(), "ok": True,
                                        "pages": set(), "done": False})
            if page == 0:
                p["t0"] = t_sent
            p["pages"].add(page)
            p["ok"] = p["ok"] and status == 200
            p["ids"].update(ids)
            if last:
                p["done"] = True
    return {k: (p["coll"], p["t0"], p["ids"]) for k, p in passes.items()
            if p["done"] and p["ok"] and p["t0"] is not None and p["pages"] == set(range(len(p["pages"])))}


def passes_since(pagers, t):
    return [v for v in complete_passes(pagers).values() if v[1] > t]


def test_revocation_is_instant_under_concurrent_paging():
    srv = start_server()
    stop = threading.Event()
    pagers = []
    try:
        v0 = received(srv)
        doc, _, _ = admin_change(srv, "LG Uplus completed the swap-out", "remove-equipment")
        v1 = received(srv)
        granted = {c: v1[c] - v0[c] for c in KOR_READS}
        H.check(sum(len(g) for g in granted.values()) > 0, "kor receives more once huawei is removed")
        H.eq({c: len(v0[c] - v1[c]) for c in KOR_READS}, {c: 0 for c in KOR_READS},
             "kor loses nothing when huawei is removed")
        for c in COLLS:
            H.check(granted[c], "kor gains objects in %s (needed to test revocation there)" % c)
        states = {"granted": v1, "revoked": v0}

        # Timeline of changes: (state in force after, t_sent, t_done).
        timeline = [("granted", float("-inf"), float("-inf"))]
        pagers = [Pager(srv, i, stop) for i in range(THREADS)]
        for pg in pagers:
            pg.start()
        time.sleep(MIN_PHASE)
        for cycle in range(CYCLES):
            for state, op in (("revoked", "add-equipment"), ("granted", "remove-equipment")):
                doc, t_sent, t_done = admin_change(srv, "cycle %d: %s" % (cycle, state), op)
                timeline.append((state, t_sent, t_done))
                kor = kor_report(doc)
                for c in KOR_READS:
                    want = (0, len(granted[c])) if state == "revoked" else (len(granted[c]), 0)
                    H.eq((report_counts(kor, c, "gained"), report_counts(kor, c, "lost")), want,
                         "cycle %d, %s: kor's (gained, lost) in %s, report vs. ids" % (cycle, state, c))
                # Let the state last until every collection had a complete pass
                # started after the 200 (and at least MIN_PHASE).
                deadline = t_done + MAX_PHASE
                while time.monotonic() < deadline:
                    time.sleep(0.1)
                    if time.monotonic() - t_done < MIN_PHASE:
                        continue
                    if {p[0] for p in passes_since(pagers, t_done)} >= set(COLLS):
                        break
                H.check(srv.alive(), "the server died during cycle %d (%s)" % (cycle, state))
        stop.set()
        for pg in pagers:
            pg.join(40)
            H.check(not pg.is_alive(), "%s did not stop (a request hangs)" % pg.name)
        timeline.append(("end", float("inf"), float("inf")))

        errors = [e for pg in pagers for e in pg.errors]
        H.check(not errors, "%d failed requests, e.g. %s" % (len(errors), errors[:3]))
        H.check(srv.alive(), "the server is alive after the run")
        records = [r for pg in pagers for r in pg.records]
        H.check(len(records) > 100, "the pagers made few requests: %d" % len(records))

        def state_at(t):
            """The state in force for a request sent at t, or None while a
            change was in flight (sent, 200 not yet received)."""
            for i in range(len(timeline) - 1):
                state, _, done = timeline[i]
                _, nsent, _ = timeline[i + 1]
                if done < t < nsent:
                    return i, state
            return None, None

        judged = {"granted": 0, "revoked": 0}
        seen_granted = False
        for (t_sent, t_recv, coll, key, page, status, ids, last) in records:
            if status != 200:
                continue
            # The server decided the page somewhere between sending and
            # receiving: judged only when both fall within one state (a page
            # sent just before the next change may be decided after it).
            i, state = state_at(t_sent)
            if state is None or state_at(t_recv)[0] != i:
                continue
            judged[state] += 1
            bad = set(ids) - states[state][coll]
            if state == "revoked":
                H.check(not (set(ids) & granted[coll]),
                        "a page of %s whose request was sent %.3f s after the revoking change's 200 "
                        "holds %d revoked ids, e.g. %s"
                        % (coll, t_sent - timeline[i][2], len(set(ids) & granted[coll]),
                           sorted(set(ids) & granted[coll])[:3]))
            else:
                seen_granted = seen_granted or bool(set(ids) & granted[coll])
            H.check(not bad, "a page of %s sent while '%s' was in force holds ids kor does not receive "
                    "then: %s" % (coll, state, sorted(bad)[:3]))
        H.check(judged["revoked"] > 20 and judged["granted"] > 20,
                "pages judged per state: %r" % judged)
        H.check(seen_granted, "pages sent while granted held granted ids")

        # Complete passes started (and ended) within one state equal that state.
        counted = {("granted", c): 0 for c in COLLS}
        counted.update({("revoked", c): 0 for c in COLLS})
        for key, (coll, t0, ids) in complete_passes(pagers).items():
            i, state = state_at(t0)
            if state is None:
                continue
            # The pass must not run into the next change: its last answer
            # came before the next change was sent (a page sent just before
            # it may be decided after it).
            last_recv = max(r[1] for pg in pagers for r in pg.records if r[3] == key)
            if last_recv >= timeline[i + 1][1]:
                continue
            counted[(state, coll)] += 1
            missing = states[state][coll] - ids
            extra = ids - states[state][coll]
            H.check(not missing and not extra,
                    "a complete pass of %s started %.3f s after the change to '%s': %d ids missing "
                    "(e.g. %s), %d extra (e.g. %s)" % (coll, t0 - timeline[i][2], state, len(missing),
                                                      sorted(missing)[:3], len(extra), sorted(extra)[:3]))
        H.check(all(n > 0 for n in counted.values()),
                "complete passes judged per state and collection: %r" % counted)
        H.eq(received(srv), v1, "kor's objects at the end (granted)")
    finally:
        stop.set()
        for pg in pagers:
            pg.join(40)
        srv.cleanup()
