"""Get an object by id (spec 5.6)."""

import uuid

import harness as H

INTEL = "intel"
TELECOM = "telecom"


def pairs(objs):
    return [(o["id"], H.ts_key(H.version_of(o))) for o in objs]


def _multi():
    for coll in (INTEL, TELECOM):
        ids = H.snapshot(coll).multi_version_ids()
        if ids:
            return coll, ids
    H.fail("no object with several versions")


def test_get_object_latest_by_default():
    s = H.snapshot(INTEL)
    sample = list(s.by_id)[:10] + s.multi_version_ids()[:5]
    for oid in sample:
        r = H.get_ok(H.obj_path(INTEL, oid))
        objs = H.check_envelope(r.json)
        H.eq(len(objs), 1, "GET object %s: number of objects (default = last version)" % oid)
        H.eq(objs[0], s.versions(oid)[-1], "GET object %s: latest version" % oid)


def test_get_object_all_versions():
    coll, ids = _multi()
    s = H.snapshot(coll)
    for oid in ids[:5]:
        r = H.get_ok(H.obj_path(coll, oid), [("match[version]", "all")])
        objs = H.check_envelope(r.json)
        H.eq(pairs(objs), pairs(s.by_id[oid]), "GET %s?match[version]=all (date_added order)" % oid)


def test_get_object_first_last_and_exact():
    coll, ids = _multi()
    s = H.snapshot(coll)
    oid = ids[0]
    vs = s.versions(oid)
    H.eq(H.check_envelope(H.get_ok(H.obj_path(coll, oid), [("match[version]", "first")]).json),
         [vs[0]], "match[version]=first")
    H.eq(H.check_envelope(H.get_ok(H.obj_path(coll, oid), [("match[version]", "last")]).json),
         [vs[-1]], "match[version]=last")
    got = H.check_envelope(H.get_ok(H.obj_path(coll, oid), [("match[version]", "first,last")]).json)
    H.eq(sorted(pairs(got)), sorted(pairs([vs[0], vs[-1]])), "match[version]=first,last")
    for v in vs:
        got = H.check_envelope(H.get_ok(H.obj_path(coll, oid),
                                        [("match[version]", H.version_of(v))]).json)
        H.eq(got, [v], "match[version]=%s" % H.version_of(v))


def test_get_object_spec_version():
    oid = next(iter(H.snapshot(INTEL).by_id))
    r = H.get_ok(H.obj_path(INTEL, oid), [("match[spec_version]", "2.1")])
    H.eq(len(H.check_envelope(r.json)), 1, "match[spec_version]=2.1")
    r = H.get(H.obj_path(INTEL, oid), [("match[spec_version]", "2.0")])
    # No 2.0 version: an empty envelope (5.6) or 404 (object not found).
    H.expect(r, 200, 404, what="object with match[spec_version]=2.0")
    if r.status == 200:
        H.check("objects" not in r.json, "match[spec_version]=2.0 returned a 2.1 object")


def test_get_object_unmatched_version():
    oid = next(iter(H.snapshot(INTEL).by_id))
    r = H.get(H.obj_path(INTEL, oid), [("match[version]", "1999-01-01T00:00:00.000Z")])
    H.expect(r, 200, 404, what="object with a version that does not exist")
    if r.status == 200:
        H.check("objects" not in r.json, "nonexistent version returned objects")


def test_get_object_invalid_version_400():
    oid = next(iter(H.snapshot(INTEL).by_id))
    for v in ("first,first", "garbage", "", "2016-13-01T00:00:00.000Z", "all,first"):
        H.expect(H.get(H.obj_path(INTEL, oid), [("match[version]", v)]), 400,
                 what="object match[version]=%r" % v)
    for v in ("0", "-3", "x", "12345678901"):
        H.expect(H.get(H.obj_path(INTEL, oid), [("limit", v)]), 400, what="object limit=%r" % v)
    H.expect(H.get(H.obj_path(INTEL, oid), [("added_after", "nope")]), 400, what="object added_after")


def test_get_object_pagination():
    coll, ids = _multi()
    s = H.snapshot(coll)
    oid = ids[0]
    n = len(s.by_id[oid])
    r = H.get_ok(H.obj_path(coll, oid), [("match[version]", "all"), ("limit", 1)])
    H.eq(len(H.check_envelope(r.json)), 1, "object limit=1")
    H.eq(r.json.get("more"), True, "object limit=1 of %d versions: more" % n)
    got, _ = H.crawl(H.obj_path(coll, oid), [("match[version]", "all")], page_limit=1, mode="auto")
    H.eq(pairs(got), pairs(s.by_id[oid]), "object versions paged one at a time")


def test_get_object_added_after():
    coll, ids = _multi()
    s = H.snapshot(coll)
    oid = ids[0]
    recs = s.records_by_id[oid]
    r = H.get_ok(H.obj_path(coll, oid), [("match[version]", "all"), ("added_after", recs[0]["date_added"])])
    H.eq(pairs(H.check_envelope(r.json)), pairs(s.by_id[oid][1:]),
         "object versions added after the first one")


def test_get_object_unknown_404():
    # 5.6: 404 when the object id is not found (brief).
    for oid in (H.new_id("indicator"), H.new_id("malware"), H.new_id("x-custom-type")):
        H.expect(H.get(H.obj_path(INTEL, oid)), 404, what="GET unknown object %s" % oid)
        H.expect(H.get(H.obj_path(INTEL, oid, "versions/")), 404, what="GET versions of unknown %s" % oid)


def test_get_object_bad_id_format():
    # Not a STIX id: the object cannot exist -> 404, or 400 (malformed).
    u = str(uuid.uuid4())
    for bad in ("foo", "indicator--xyz", "indicator--" + u + "x", "--" + u, "indicator-" + u,
                "Indicator--" + u, "indicator--" + u.upper(), u, "indicator--" + u + "--" + u,
                "a" * 3000, "indicator--%20", "%2e%2e", "indicator--" + u + "%00"):
        for suffix in ("", "versions/"):
            r = H.get(H.coll_path(INTEL, "objects/%s/%s" % (bad, suffix)))
            H.expect(r, 400, 404, what="GET object id %r" % bad[:50])


def test_get_object_from_other_collection_404():
    intel = H.snapshot(INTEL)
    tel_ids = set(H.snapshot(TELECOM).by_id)
    foreign = [i for i in intel.by_id if i not in tel_ids][:3]
    for oid in foreign:
        H.expect(H.get(H.obj_path(TELECOM, oid)), 404, what="intel object %s via telecom" % oid)


def test_get_object_same_bytes_as_listing():
    # The object text is the same whichever endpoint returns it.
    s = H.snapshot(INTEL)
    ids = list(s.by_id)[:5]
    r = H.get_ok(H.coll_path(INTEL, "objects/"), [("match[id]", ",".join(ids))])
    listed = {H.parse_json(t)["id"]: t for t in H.raw_objects(r.body)}
    for oid in ids:
        one = H.raw_objects(H.get_ok(H.obj_path(INTEL, oid)).body)
        H.eq(len(one), 1, "object %s" % oid)
        H.eq(one[0], listed[oid], "bytes of %s via object endpoint vs objects listing" % oid)


def test_get_object_every_reader():
    oid = next(iter(H.snapshot(TELECOM).by_id))
    for user in H.ALL_USERS:
        r = H.get_ok(H.obj_path(TELECOM, oid), user=user)
        H.eq(H.check_envelope(r.json)[0]["id"], oid, "object as " + user)


def test_get_object_unsupported_match_field_never_5xx():
    # 5.6: only version / spec_version are valid match fields here.
    oid = next(iter(H.snapshot(INTEL).by_id))
    for field, val in (("match[type]", "indicator"), ("match[id]", oid), ("match[foo]", "x")):
        r = H.get(H.obj_path(INTEL, oid), [(field, val)])
        H.expect(r, 200, 400, what="object with %s" % field)
