#!/usr/bin/env python3
"""bench/post.py URL USER PASSWORD [ENVELOPES] [PER] [ROUNDS] [--new-versions]:
durable POST ingest into a running TAXII 2.1 server.  URL is a
collection's objects endpoint (http://HOST:PORT/API_ROOT/collections/ID/objects/).
Sends ENVELOPES envelopes (default 20) of PER new indicators each
(default 1,000) on one keep-alive connection, ROUNDS times (default 3;
the bodies are made before the clock starts), and prints objects/s per
round and the median, 90th percentile and slowest time of one POST.

With --new-versions, each round sends new versions of objects the
collection holds instead (read from it first, as USER: the first
ENVELOPES * PER * ROUNDS versioned objects, each with a later
`modified`), so that every object stored also moves an older version's
"latest" flag.

With bench/gen's data (`relto import`, then `relto serve`; the hub's
login is hub / bench-password), this is the ingest that docs/BENCHMARKS.md
measures apart from bench/run."""
import base64
import http.client
import json
import sys
import time
import urllib.parse
import uuid

args = [a for a in sys.argv[1:] if a != "--new-versions"]
new_versions = len(args) < len(sys.argv) - 1
if len(args) < 3:
    sys.exit(__doc__)
url, user, password = args[0:3]
given, defaults = args[3:6], ["20", "1000", "3"]
envelopes, per, rounds = (int(a) for a in given + defaults[len(given):])
u = urllib.parse.urlsplit(url)
MT = "application/taxii+json;version=2.1"
headers = {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode(),
           "Accept": MT, "Content-Type": MT}
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
stored = []
if new_versions:
    # The objects to version again, read page by page before any clock.
    want, nxt = envelopes * per * rounds, None
    while len(stored) < want:
        conn.request("GET", u.path + "?limit=1000" + ("&next=" + urllib.parse.quote(nxt) if nxt else ""),
                     headers={k: v for k, v in headers.items() if k != "Content-Type"})
        resp = conn.getresponse()
        page = json.loads(resp.read())
        if resp.status != 200:
            sys.exit("GET: %d %s" % (resp.status, page))
        stored += [o for o in page.get("objects", []) if "modified" in o]
        if not page.get("more"):
            break
        nxt = page["next"]
    if len(stored) < want:
        sys.exit("the collection holds %d versioned objects; %d asked for" % (len(stored), want))


def envelope(r, e):
    if new_versions:
        objs = stored[(r * envelopes + e) * per:(r * envelopes + e + 1) * per]
        for o in objs:
            o["modified"] = "2099-01-01T00:00:%02d.000Z" % r
        return json.dumps({"objects": objs})
    return json.dumps({"objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--%s" % uuid.uuid4(),
         "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
         "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
         "valid_from": "2025-01-01T00:00:00Z"} for _ in range(per)]})


# The first request with a login pays for verifying its password
# (Argon2id, ~65 ms, then cached): not ingest, so made before any clock.
conn.request("GET", u.path + "?limit=1", headers={k: v for k, v in headers.items() if k != "Content-Type"})
conn.getresponse().read()

for r in range(rounds):
    bodies = [envelope(r, e) for e in range(envelopes)]
    t0, ok, lat = time.time(), 0, []
    for body in bodies:
        t = time.time()
        conn.request("POST", u.path, body, headers)
        resp = conn.getresponse()
        doc = json.loads(resp.read())
        lat.append(time.time() - t)
        if resp.status != 202:
            sys.exit("POST: %d %s" % (resp.status, doc))
        ok += doc.get("success_count", 0)
    dt = time.time() - t0
    lat.sort()
    print("round %d: %d objects in %.2f s, %.0f objects/s; one POST: median %.0f ms, 90th percentile %.0f ms,"
          " max %.0f ms" % (r + 1, ok, dt, ok / dt, lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.9)] * 1e3,
                            lat[-1] * 1e3))
