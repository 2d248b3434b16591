#!/usr/bin/env python3
"""bench/crawl.py PORT PID [COLLECTION] [LIMIT]: page through a collection of
a running relto (demo logins) with `next` on one keep-alive connection, and
report objects, pages, time, the first and last page's latency and the
server's memory (VmRSS, RssAnon, RssFile in kB, from /proc/PID/status)."""
import base64
import http.client
import json
import sys
import time

port, pid = int(sys.argv[1]), sys.argv[2]
coll = sys.argv[3] if len(sys.argv) > 3 else "intel"
limit = sys.argv[4] if len(sys.argv) > 4 else "1000"


def rss():
    with open("/proc/%s/status" % pid) as f:
        return {l.split(":")[0]: int(l.split()[1]) for l in f if l.startswith(("VmRSS", "RssAnon", "RssFile"))}


hdrs = {"Authorization": "Basic " + base64.b64encode(b"kor:demo-kor").decode(),
        "Accept": "application/taxii+json;version=2.1"}
conn = http.client.HTTPConnection("127.0.0.1", port)
base = "/hub/collections/%s/objects/?limit=%s" % (coll, limit)
path, n, pages, times, peak = base, 0, 0, [], {}
t0 = time.time()
while True:
    t = time.time()
    conn.request("GET", path, headers=hdrs)
    doc = json.loads(conn.getresponse().read())
    times.append(time.time() - t)
    n += len(doc.get("objects", []))
    pages += 1
    peak = {k: max(v, peak.get(k, 0)) for k, v in rss().items()}
    if not doc.get("more"):
        break
    path = base + "&next=" + doc["next"]
print("objects %d pages %d seconds %.2f; page latency ms: second %.1f last %.1f; peak kB %s"
      % (n, pages, time.time() - t0, times[1] * 1000 if len(times) > 1 else 0, times[-1] * 1000, peak))
