#!/usr/bin/env python3
"""bench/post.py URL USER PASSWORD [ENVELOPES] [PER] [ROUNDS]: durable POST
ingest into a running TAXII 2.1 server.  URL is a collection's objects
endpoint (http://HOST:PORT/API_ROOT/collections/ID/objects/).  Sends
ENVELOPES envelopes (default 20) of PER new indicators each (default
1,000) on one keep-alive connection, ROUNDS times (default 3; the bodies
are made before the clock starts), and prints objects/s per round and
the median, 90th percentile and slowest time of one POST.

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

if len(sys.argv) < 4:
    sys.exit(__doc__)
url, user, password = sys.argv[1:4]
given, defaults = sys.argv[4:7], ["20", "1000", "3"]
envelopes, per, rounds = (int(a) for a in given + defaults[len(given):])
u = urllib.parse.urlsplit(url)
MT = "application/taxii+json;version=2.1"
headers = {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode(),
           "Accept": MT, "Content-Type": MT}
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
for r in range(rounds):
    bodies = [json.dumps({"objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--%s" % uuid.uuid4(),
         "created": "2025-01-01T00:00:00.000Z", "modified": "2025-01-01T00:00:00.000Z",
         "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
         "valid_from": "2025-01-01T00:00:00Z"} for _ in range(per)]}) for _ in range(envelopes)]
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
