"""Observability: GET /healthz (no credentials) and GET /metrics
(Prometheus text format, admin role only), against the shared demo server.
"""

import base64
import http.client
import re

import harness as H


def raw_get(path, user=None, password=None):
    scheme, host, port = H.TARGET
    conn = http.client.HTTPConnection(host, port, timeout=30)
    headers = {}
    if user:
        pw = password if password is not None else H.PASSWORDS[user]
        headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % (user, pw)).encode()).decode()
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_healthz_needs_no_credentials():
    status, headers, body = raw_get("/healthz")
    H.eq(status, 200, "GET /healthz")
    H.check(headers.get("content-type", "").startswith("application/json"), "healthz is JSON: %r" % headers)
    H.eq(body, b'{"status":"ok"}', "healthz body")


def test_metrics_are_for_admins_only():
    status, headers, _ = raw_get("/metrics")
    H.eq(status, 401, "metrics without credentials")
    H.check("www-authenticate" in headers, "401 carries WWW-Authenticate")
    status, _, body = raw_get("/metrics", user="kor")
    H.eq(status, 403, "metrics as a partner")
    H.check(b'"http_status":"403"' in body, "a TAXII-shaped error: %r" % body[:200])
    status, _, _ = raw_get("/metrics", user="admin", password="wrong-password")
    H.eq(status, 401, "metrics with a wrong admin password")


SAMPLE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (-?[0-9.e+-]+|\+Inf)$')


def parse(text):
    """Prometheus text format 0.0.4: # HELP / # TYPE lines and samples."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        H.check(m, "not a Prometheus sample line: %r" % line)
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples, types


def metrics():
    status, headers, body = raw_get("/metrics", user="admin")
    H.eq(status, 200, "metrics as admin")
    H.check(headers.get("content-type", "").startswith("text/plain"), "text format: %r" % headers)
    return parse(body.decode())


def test_metrics_count_requests_and_objects():
    before, types = metrics()
    for name in ("relto_requests_total", "relto_request_duration_seconds", "relto_objects_served_total",
                 "relto_page_cache_hits_total", "relto_decision_rebuilds_total", "relto_store_errors_total",
                 "relto_rules_version", "relto_decision_snapshot"):
        H.check(name in types, "metric %s is declared (# TYPE): %s" % (name, sorted(types)))
    H.eq(types["relto_request_duration_seconds"], "histogram", "latency type")
    path = H.coll_path("intel", "objects/")
    for _ in range(3):
        r = H.get_ok(path, params={"limit": "7"}, user="jpn")
        H.eq(len(r.json.get("objects", [])), 7, "a page of 7")
    H.expect(H.get(H.coll_path("intel", "objects/indicator--00000000-0000-4000-8000-000000000000/"), user="jpn"), 404)
    after, _ = metrics()
    key = 'relto_requests_total{endpoint="objects_get",status="200"}'
    H.check(after.get(key, 0) - before.get(key, 0) >= 3, "3 more object pages counted: %r -> %r" %
            (before.get(key), after.get(key)))
    key404 = 'relto_requests_total{endpoint="object_get",status="404"}'
    H.check(after.get(key404, 0) - before.get(key404, 0) >= 1, "the 404 is counted")
    served = 'relto_objects_served_total{partner="jpn"}'
    H.check(after[served] - before.get(served, 0) >= 21, "jpn was served 3 x 7 objects: %r -> %r" %
            (before.get(served), after[served]))
    inf = 'relto_request_duration_seconds_bucket{endpoint="objects_get",le="+Inf"}'
    count = 'relto_request_duration_seconds_count{endpoint="objects_get"}'
    H.eq(after[inf], after[count], "the +Inf bucket holds every request")
    H.check(after['relto_page_cache_hits_total'] >= before.get('relto_page_cache_hits_total', 0) + 2,
            "the repeated pages came from the page cache")
    H.check(after["relto_decision_snapshot"] >= 1, "a snapshot is in force")
    H.eq(types.get("relto_objects_withheld"), "gauge", "withheld objects are a gauge")
    kor_radio = [k for k in after if k.startswith('relto_objects_withheld{partner="kor"') and
                 "radio access network" in k]
    H.check(kor_radio and after[kor_radio[0]] > 0, "kor's radio-network cap withholds objects: %r" %
            [k for k in after if "withheld{" in k and '"kor"' in k])
    H.check(not [k for k in after if k.startswith('relto_objects_withheld{partner="gbr"') and
                 "radio access network" in k], "gbr is not capped for its radio network")
