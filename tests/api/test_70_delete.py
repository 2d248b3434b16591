"""Delete an object (spec 5.7).  Runs last: it removes demo objects."""

import harness as H
import samples as S

REF = "reference"
INTEL = "intel"


def _post(coll, objs, user="usa"):
    r = H.post_envelope(coll, S.envelope_text([S.compact(o) for o in objs]), user=user)
    H.expect(r, 202, what="POST for a delete test")
    H.eq(r.json["failure_count"], 0, "failures posting %s" % [o["id"] for o in objs])


def _delete(coll, oid, params=None, user="usa"):
    return H.request("DELETE", H.obj_path(coll, oid), params=params, user=user)


def _versions(coll, oid):
    r = H.get(H.obj_path(coll, oid, "versions/"))
    if r.status == 404:
        return []
    H.expect(r, 200)
    return [H.ts_key(v) for v in H.check_versions(r.json)]


def test_delete_permissions_table():
    # 5.7 table: r=T,w=F -> 403; r=F,w=T -> 403; r=F,w=F -> 404 (no such
    # partner/collection pair exists in the demo).
    o = S.indicator(name="kor submission for delete")
    _post("submissions", [o], user="kor")
    H.expect(_delete("submissions", o["id"], user="kor"), 403,
             what="kor DELETE on submissions (can_read=false, can_write=true)")
    for user in H.PARTNERS:
        H.expect(_delete("submissions", o["id"], user=user), 403,
                 what="%s DELETE on submissions (r=F, w=T)" % user)
    H.expect(_delete("submissions", o["id"], user="usa"), 403,
             what="usa DELETE on submissions (can_read=true, can_write=false)")
    H.expect(_delete("submissions", o["id"], user="admin"), 403, what="admin DELETE on submissions")
    oid = next(iter(H.snapshot(INTEL).by_id))
    for user in H.PARTNERS + ["admin"]:
        H.expect(_delete(INTEL, oid, user=user), 403,
                 what="%s DELETE on intel (can_read=true, can_write=false)" % user)
    # nothing was deleted
    H.get_ok(H.obj_path("submissions", o["id"]), user="usa")
    H.get_ok(H.obj_path(INTEL, oid))


def test_delete_without_credentials():
    oid = next(iter(H.snapshot(INTEL).by_id))
    H.expect(_delete(INTEL, oid, user=None), 401, what="DELETE without credentials")
    H.expect(H.request("DELETE", H.obj_path(INTEL, oid), user="usa", password="nope"), 401,
             what="DELETE with a wrong password")
    H.get_ok(H.obj_path(INTEL, oid))


def test_delete_generated_object_from_intel():
    # A single-version object: whatever a bare DELETE means for versioned
    # objects (see test_delete_default_removes_every_version), the object
    # must be gone afterwards.
    s = H.snapshot(INTEL)
    ids = [i for i, v in s.by_id.items() if len(v) == 1]
    oid = ids[len(ids) // 2]
    before, _ = H.crawl(H.coll_path(INTEL, "manifest/"), [("match[version]", "all")], mode="auto")
    r = _delete(INTEL, oid)
    H.expect(r, 200, what="usa DELETE %s from intel" % oid)
    # 5.7: subsequent fetches of the object MUST 404; manifest / objects MUST
    # NOT list it.
    H.expect(H.get(H.obj_path(INTEL, oid)), 404, what="GET deleted object")
    H.expect(H.get(H.obj_path(INTEL, oid), [("match[version]", "all")]), 404,
             what="GET deleted object, all versions")
    H.expect(H.get(H.obj_path(INTEL, oid), user="gbr"), 404, what="gbr GET deleted object")
    H.expect(H.get(H.obj_path(INTEL, oid, "versions/")), 404, what="versions of a deleted object")
    for suffix in ("objects/", "manifest/"):
        r = H.get_ok(H.coll_path(INTEL, suffix), [("match[id]", oid), ("match[version]", "all")])
        H.check("objects" not in r.json, "%s still lists the deleted object" % suffix)
    after, _ = H.crawl(H.coll_path(INTEL, "manifest/"), [("match[version]", "all")], mode="auto")
    H.eq([(x["id"], x["version"]) for x in after],
         [(x["id"], x["version"]) for x in before if x["id"] != oid], "manifest after the delete")
    objs, _ = H.crawl(H.coll_path(INTEL, "objects/"), [("match[version]", "all")], page_limit=500,
                      mode="next")
    H.check(all(o["id"] != oid for o in objs), "objects crawl still contains the deleted object")
    H.eq(len(objs), len(after), "objects crawl vs manifest after the delete")
    H.expect(_delete(INTEL, oid), 404, what="DELETE of an already deleted object")


def test_delete_all_versions_of_generated_object():
    s = H.snapshot(INTEL)
    ids = s.multi_version_ids()
    H.check(ids, "no multi-version object in intel")
    oid = ids[-1]
    H.expect(_delete(INTEL, oid, [("match[version]", "all")]), 200,
             what="DELETE %s?match[version]=all" % oid)
    H.expect(H.get(H.obj_path(INTEL, oid)), 404, what="GET after deleting all versions")
    H.expect(H.get(H.obj_path(INTEL, oid, "versions/")), 404, what="versions after deleting all")
    r = H.get_ok(H.coll_path(INTEL, "manifest/"), [("match[id]", oid), ("match[version]", "all")])
    H.check("objects" not in r.json, "manifest still lists %s" % oid)


def test_delete_specific_versions():
    vs = S.versions_of_indicator(3)
    _post(REF, vs)
    oid = vs[0]["id"]
    v1, v2, v3 = [v["modified"] for v in vs]
    H.expect(_delete(REF, oid, [("match[version]", v2)]), 200, what="DELETE match[version]=v2")
    H.eq(_versions(REF, oid), [H.ts_key(v1), H.ts_key(v3)], "versions after deleting v2")
    H.expect(H.get(H.obj_path(REF, oid), [("match[version]", v2)]), 404,
             what="GET the deleted version (5.7 MUST 404)")
    r = H.get_ok(H.obj_path(REF, oid))
    H.eq(H.raw_objects(r.body), [S.compact(vs[2]).encode()], "latest version after deleting v2")
    r = H.get_ok(H.coll_path(REF, "manifest/"), [("match[id]", oid), ("match[version]", "all")])
    H.eq(sorted(H.ts_key(x["version"]) for x in H.check_manifest(r.json)),
         [H.ts_key(v1), H.ts_key(v3)], "manifest after deleting v2")
    H.expect(_delete(REF, oid, [("match[version]", "first")]), 200, what="DELETE match[version]=first")
    H.eq(_versions(REF, oid), [H.ts_key(v3)], "versions after deleting first")
    H.expect(_delete(REF, oid, [("match[version]", "last")]), 200, what="DELETE match[version]=last")
    H.eq(_versions(REF, oid), [], "versions after deleting last")
    H.expect(H.get(H.obj_path(REF, oid)), 404, what="GET after every version is deleted")


def test_delete_all_versions_keyword():
    vs = S.versions_of_indicator(2)
    _post(REF, vs)
    oid = vs[0]["id"]
    H.expect(_delete(REF, oid, [("match[version]", "all")]), 200, what="DELETE match[version]=all")
    H.expect(H.get(H.obj_path(REF, oid)), 404, what="GET after DELETE all")
    H.eq(_versions(REF, oid), [], "versions after DELETE all")


def test_delete_default_removes_every_version():
    # AMBIGUITY.  5.7: "This Endpoint deletes an object from a Collection by
    # its id" and, after a 200, fetching "that object/version" MUST 404;
    # filtering (3.4) only narrows which versions go.  But 3.4.1 says the
    # default match[version] is "last", and medallion (OASIS reference
    # server) applies that default to DELETE too, removing only the newest
    # version.  Assumed here: a bare DELETE removes the whole object (all
    # versions), so that a following GET answers 404 (brief: "usa on intel
    # -> 200 and then GET 404").
    vs = S.versions_of_indicator(3)
    _post(REF, vs)
    oid = vs[0]["id"]
    H.expect(_delete(REF, oid), 200, what="DELETE without filters")
    H.eq(_versions(REF, oid), [], "versions after DELETE without filters")
    H.expect(H.get(H.obj_path(REF, oid), [("match[version]", "all")]), 404, what="GET all after DELETE")


def test_delete_success_content_type():
    # 5.7 successful response: "Required Headers: Content-Type:
    # application/taxii+json;version=2.1" (3.1: all TAXII responses).
    o = S.identity(name="delete content type")
    _post(REF, [o])
    r = _delete(REF, o["id"])
    H.expect(r, 200, what="DELETE")
    H.check(H.is_taxii_ctype(r.headers.get("Content-Type")),
            "DELETE 200 Content-Type is %r, not %s" % (r.headers.get("Content-Type"), H.TAXII_MT))


def test_delete_bad_filters_400_and_nothing_deleted():
    vs = S.versions_of_indicator(2)
    _post(REF, vs)
    oid = vs[0]["id"]
    for params in ([("match[version]", "garbage")], [("match[version]", "")],
                   [("match[version]", "first"), ("match[version]", "last")],
                   [("match[version]", "first,first")], [("match[version]", "all,first")]):
        H.expect(_delete(REF, oid, params), 400, what="DELETE%s" % H.qs(params))
    H.eq(len(_versions(REF, oid)), 2, "versions after refused deletes")


def test_delete_nonmatching_filters_keep_the_object():
    vs = S.versions_of_indicator(2)
    _post(REF, vs)
    oid = vs[0]["id"]
    for params in ([("match[version]", "1999-01-01T00:00:00.000Z")], [("match[spec_version]", "2.0")]):
        r = _delete(REF, oid, params)
        H.expect(r, 200, 404, what="DELETE%s matching nothing" % H.qs(params))
        H.eq(len(_versions(REF, oid)), 2, "versions after DELETE%s" % H.qs(params))


def test_delete_unknown_404():
    H.expect(_delete(REF, H.new_id("indicator")), 404, what="DELETE unknown object")
    H.expect(_delete("00000000-0000-4000-8000-000000000000", H.new_id("indicator")), 404,
             what="DELETE in an unknown collection")
    for bad in ("foo", "indicator--zzz", "%zz"):
        H.expect(H.request("DELETE", H.coll_path(REF, "objects/%s/" % bad)), 400, 404,
                 what="DELETE object id %r" % bad)


def test_delete_then_repost():
    o = S.identity(name="delete and re-add")
    _post(REF, [o])
    H.expect(_delete(REF, o["id"]), 200, what="DELETE")
    H.expect(H.get(H.obj_path(REF, o["id"])), 404, what="GET after DELETE")
    r = H.post_envelope(REF, S.envelope_text([S.compact(o)]))
    H.expect(r, 202, what="re-POST a deleted object")
    H.eq(r.json["success_count"], 1, "re-POST success")
    r = H.get_ok(H.obj_path(REF, o["id"]))
    H.eq(H.raw_objects(r.body), [S.compact(o).encode()], "re-posted object")


def test_delete_during_pagination():
    # 3.5: "more": true may be followed by fewer objects (deletes); paging
    # with next must go on working, every remaining object once.
    H.invalidate()
    full, _ = H.crawl(H.coll_path(INTEL, "objects/"), page_limit=1000, mode="next")
    H.check(len(full) > 40, "too few objects in intel")
    r = H.get_ok(H.coll_path(INTEL, "objects/"), [("limit", 10)])
    seen = [o["id"] for o in r.json["objects"]]
    victims = [full[25]["id"], full[26]["id"], full[-1]["id"]]
    for v in victims:
        H.expect(_delete(INTEL, v), 200, what="DELETE %s" % v)
    params = [("limit", 10)]
    nxt = r.json.get("next")
    pages = 0
    while nxt:
        r = H.get(H.coll_path(INTEL, "objects/"), params + [("next", nxt)])
        H.expect(r, 200, what="next after deletes")
        seen += [o["id"] for o in r.json.get("objects", [])]
        nxt = r.json.get("next") if r.json.get("more") else None
        pages += 1
        H.check(pages < 10000, "pagination does not end")
    H.eq(len(seen), len(set(seen)), "duplicates while paging across deletes")
    H.eq(seen, [o["id"] for o in full if o["id"] not in victims], "objects paged across deletes")


def test_delete_objects_endpoint_not_allowed():
    # DELETE is defined on objects/{object-id}/ only.
    r = H.request("DELETE", H.coll_path(REF, "objects/"))
    H.expect(r, 404, 405, what="DELETE on the objects collection endpoint")
    r = H.request("DELETE", H.coll_path(REF, "objects/"), params=[("match[id]", H.new_id("indicator"))])
    H.expect(r, 404, 405, what="DELETE objects/?match[id]=")
