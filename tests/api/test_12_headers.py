"""X-TAXII-Date-Added-First / -Last (spec 3.2, 3.5): present on every 200 of
manifest, objects, object-by-id and versions; TAXII timestamps (microsecond
precision, 'Z'); equal to the date_added of the first / last object of THIS
response."""

import harness as H

INTEL = "intel"
FIRST = "X-TAXII-Date-Added-First"
LAST = "X-TAXII-Date-Added-Last"


def headers_of(r, what):
    f, l = r.headers.get(FIRST), r.headers.get(LAST)
    H.check(f is not None and l is not None, "%s: missing %s/%s headers" % (what, FIRST, LAST))
    H.check(H.is_taxii_ts(f), "%s: %s %r is not a TAXII timestamp (YYYY-MM-DDTHH:MM:SS.ssssssZ)"
            % (what, FIRST, f))
    H.check(H.is_taxii_ts(l), "%s: %s %r is not a TAXII timestamp" % (what, LAST, l))
    H.check(f <= l, "%s: First %s after Last %s" % (what, f, l))
    H.check(len(r.headers.get_all(FIRST)) == 1 and len(r.headers.get_all(LAST)) == 1,
            "%s: header repeated" % what)
    return f, l


def _param_sets():
    s = H.snapshot(INTEL)
    t = sorted(s.types().items(), key=lambda kv: -kv[1])[0][0]
    mid = s.records[len(s.records) // 2]["date_added"]
    return [
        [("limit", 1)],
        [("limit", 10)],
        [],
        [("match[version]", "all"), ("limit", 50)],
        [("match[type]", t), ("limit", 20)],
        [("added_after", mid), ("limit", 30)],
        [("match[version]", "first"), ("limit", 1000)],
    ]


def test_manifest_headers_match_first_and_last_record():
    for params in _param_sets():
        r = H.get_ok(H.coll_path(INTEL, "manifest/"), params)
        recs = H.check_manifest(r.json)
        f, l = headers_of(r, "manifest%s" % H.qs(params))
        H.eq(f, recs[0]["date_added"], "manifest%s: %s" % (H.qs(params), FIRST))
        H.eq(l, recs[-1]["date_added"], "manifest%s: %s" % (H.qs(params), LAST))


def test_objects_headers_match_manifest_of_same_query():
    for params in _param_sets():
        ro = H.get_ok(H.coll_path(INTEL, "objects/"), params)
        objs = H.check_envelope(ro.json)
        rm = H.get_ok(H.coll_path(INTEL, "manifest/"), params)
        recs = H.check_manifest(rm.json)
        H.eq(len(objs), len(recs), "objects vs manifest count for %s" % H.qs(params))
        fo, lo = headers_of(ro, "objects%s" % H.qs(params))
        H.eq(fo, recs[0]["date_added"], "objects%s: %s" % (H.qs(params), FIRST))
        H.eq(lo, recs[-1]["date_added"], "objects%s: %s" % (H.qs(params), LAST))


def test_objects_headers_every_page():
    _, resps = H.crawl(H.coll_path(INTEL, "objects/"), page_limit=500, mode="next")
    s = H.snapshot(INTEL)
    for r in resps:
        objs = r.json.get("objects", [])
        f, l = headers_of(r, "objects page")
        H.eq(f, s.added(objs[0]), "page %s vs date_added of its first object" % FIRST)
        H.eq(l, s.added(objs[-1]), "page %s vs date_added of its last object" % LAST)


def test_object_by_id_headers():
    s = H.snapshot(INTEL)
    ids = s.multi_version_ids()[:3] + list(s.by_id)[:3]
    for oid in ids:
        recs = s.records_by_id[oid]
        latest = s.versions(oid)[-1]
        r = H.get_ok(H.obj_path(INTEL, oid))
        f, l = headers_of(r, "object %s" % oid)
        H.eq(f, s.added(latest), "object %s: %s (latest version)" % (oid, FIRST))
        H.eq(l, s.added(latest), "object %s: %s (latest version)" % (oid, LAST))
        r = H.get_ok(H.obj_path(INTEL, oid), [("match[version]", "all")])
        f, l = headers_of(r, "object %s all versions" % oid)
        H.eq(f, recs[0]["date_added"], "object %s?match[version]=all: %s" % (oid, FIRST))
        H.eq(l, recs[-1]["date_added"], "object %s?match[version]=all: %s" % (oid, LAST))


def test_versions_headers():
    s = H.snapshot(INTEL)
    for oid in s.multi_version_ids()[:3] + list(s.by_id)[:2]:
        recs = s.records_by_id[oid]
        r = H.get_ok(H.obj_path(INTEL, oid, "versions/"))
        f, l = headers_of(r, "versions of %s" % oid)
        H.eq(f, recs[0]["date_added"], "versions %s: %s" % (oid, FIRST))
        H.eq(l, recs[-1]["date_added"], "versions %s: %s" % (oid, LAST))


def test_headers_for_every_reader():
    oid = next(iter(H.snapshot(INTEL).by_id))
    for user in H.ALL_USERS:
        for path in (H.coll_path(INTEL, "objects/?limit=3"), H.coll_path(INTEL, "manifest/?limit=3"),
                     H.obj_path(INTEL, oid), H.obj_path(INTEL, oid, "versions/")):
            headers_of(H.get_ok(path, user=user), "%s as %s" % (path, user))


def test_empty_200_headers_if_present_are_timestamps():
    # 3.2 requires the headers on all 200s, but an empty result has no first
    # or last object; the value is then undefined.  Assumed: the headers may
    # be absent; if present they must still be TAXII timestamps.
    r = H.get_ok(H.coll_path(INTEL, "objects/"), [("match[id]", H.new_id("indicator"))])
    for h in (FIRST, LAST):
        v = r.headers.get(h)
        if v is not None:
            H.check(H.is_taxii_ts(v), "empty response: %s %r is not a TAXII timestamp" % (h, v))
