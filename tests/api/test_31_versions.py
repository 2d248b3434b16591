"""Get object versions (spec 5.8, 5.8.1)."""

import harness as H

INTEL = "intel"
TELECOM = "telecom"


def _versions(coll, oid, params=None, user="usa"):
    r = H.get_ok(H.obj_path(coll, oid, "versions/"), params, user=user)
    return r, H.check_versions(r.json)


def test_versions_lists_every_version():
    # 5.8: all versions; the order is assumed to follow date_added like the
    # other endpoints (3.3) -- the X-TAXII-Date-Added-First/Last headers of
    # this endpoint describe "the first / last object of the response".
    for coll in (INTEL, TELECOM):
        s = H.snapshot(coll)
        ids = s.multi_version_ids()[:10] + list(s.by_id)[:5]
        for oid in ids:
            r, vs = _versions(coll, oid)
            H.eq(vs, [rec["version"] for rec in s.records_by_id[oid]],
                 "%s: versions of %s vs manifest (date_added order)" % (coll, oid))
            H.eq(sorted(H.ts_key(v) for v in vs),
                 sorted(H.ts_key(H.version_of(o)) for o in s.by_id[oid]),
                 "%s: versions of %s vs the objects' modified" % (coll, oid))
            H.check(not r.json.get("more"), "versions of %s: more=true without limit" % oid)


def test_versions_single_version_object():
    s = H.snapshot(INTEL)
    single = [i for i, v in s.by_id.items() if len(v) == 1][:3]
    for oid in single:
        _, vs = _versions(INTEL, oid)
        H.eq(len(vs), 1, "versions of single-version %s" % oid)


def test_versions_limit_and_paging():
    coll = INTEL if H.snapshot(INTEL).multi_version_ids() else TELECOM
    s = H.snapshot(coll)
    oid = max(s.by_id, key=lambda i: len(s.by_id[i]))
    n = len(s.by_id[oid])
    H.check(n >= 2, "no multi-version object")
    r, vs = _versions(coll, oid, [("limit", 1)])
    H.eq(len(vs), 1, "versions limit=1")
    H.eq(r.json.get("more"), True, "versions limit=1 of %d: more" % n)
    got, _ = H.crawl(H.obj_path(coll, oid, "versions/"), [], page_limit=1, mode="auto",
                     items_key="versions")
    H.eq(got, [rec["version"] for rec in s.records_by_id[oid]], "versions paged one at a time")


def test_versions_added_after():
    coll = INTEL if H.snapshot(INTEL).multi_version_ids() else TELECOM
    s = H.snapshot(coll)
    oid = s.multi_version_ids()[0]
    recs = s.records_by_id[oid]
    r, vs = _versions(coll, oid, [("added_after", recs[0]["date_added"])])
    H.eq(vs, [x["version"] for x in recs[1:]], "versions added after the first")


def test_versions_spec_version():
    oid = next(iter(H.snapshot(INTEL).by_id))
    _, vs = _versions(INTEL, oid, [("match[spec_version]", "2.1")])
    H.check(vs, "versions with match[spec_version]=2.1 empty")
    r = H.get(H.obj_path(INTEL, oid, "versions/"), [("match[spec_version]", "2.0")])
    H.expect(r, 200, 404, what="versions match[spec_version]=2.0")
    if r.status == 200:
        H.check("versions" not in r.json, "2.0 versions listed for a 2.1 object")


def test_versions_bad_parameters_400():
    oid = next(iter(H.snapshot(INTEL).by_id))
    for params in ([("limit", "0")], [("limit", "abc")], [("limit", "12345678901")],
                   [("added_after", "2016")], [("added_after", "")]):
        H.expect(H.get(H.obj_path(INTEL, oid, "versions/"), params), 400,
                 what="versions%s" % H.qs(params))


def test_versions_unknown_object_404():
    H.expect(H.get(H.obj_path(INTEL, H.new_id("indicator"), "versions/")), 404,
             what="versions of an unknown object")
    H.expect(H.get(H.obj_path(H.new_id("x")[3:], H.new_id("indicator"), "versions/")), 404,
             what="versions in an unknown collection")


def test_versions_every_reader():
    oid = next(iter(H.snapshot(INTEL).by_id))
    for user in H.ALL_USERS:
        _versions(INTEL, oid, user=user)
