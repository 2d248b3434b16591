"""Collections list and single collection (spec 5.1, 5.1.1, 5.2, 5.2.1, 3.3)."""

import uuid

import harness as H

COLL_KEYS = ("id", "title", "description", "alias", "can_read", "can_write", "media_types")


def _list(user):
    r = H.get_ok(H.API_ROOT + "collections/", user=user)
    d = r.json
    H.only_known_keys(d, ("collections",), "collections")
    if "collections" in d:
        H.check(isinstance(d["collections"], list) and d["collections"],
                "collections: must be a non-empty list or omitted (5.1.1)")
    return d.get("collections", [])


def _check_collection(c, user, where):
    H.only_known_keys(c, COLL_KEYS, where)
    H.no_empty_lists(c, where)
    H.check(isinstance(c.get("id"), str) and H.UUID4_RE.match(c["id"]),
            "%s: id %r is not a UUIDv4 identifier" % (where, c.get("id")))
    H.check(isinstance(c.get("title"), str) and c["title"].strip(), "%s: title required" % where)
    for k in ("can_read", "can_write"):
        H.check(isinstance(c.get(k), bool), "%s: %s must be a boolean" % (where, k))
    for k in ("description", "alias"):
        if k in c:
            H.check(isinstance(c[k], str) and c[k], "%s: %s must be a string" % (where, k))
    if "media_types" in c:
        mts = c["media_types"]
        H.check(isinstance(mts, list) and mts and all(isinstance(m, str) for m in mts),
                "%s: media_types must be a non-empty list of strings" % where)
        H.check(any(m.startswith("application/stix+json") for m in mts),
                "%s: media_types %r lacks application/stix+json (the demo stores STIX)" % (where, mts))


def test_collections_list_per_user():
    for user in H.ALL_USERS:
        cols = _list(user)
        ids = [c.get("id") for c in cols]
        H.eq(sorted(ids), sorted(H.COLLECTIONS.values()), "%s: listed collection ids" % user)
        by_id = {c["id"]: c for c in cols}
        for alias, cid in H.COLLECTIONS.items():
            c = by_id[cid]
            _check_collection(c, user, "%s/%s" % (user, alias))
            H.eq((c["can_read"], c["can_write"]), H.expected_perms(user, alias),
                 "%s on %s: (can_read, can_write)" % (user, alias))
            H.eq(c.get("alias"), alias, "%s: alias of %s" % (user, cid))


def test_collections_consistent_order():
    # 3.3: consistent sort order across requests.
    for user in ("usa", "kor", "admin"):
        first = [c["id"] for c in _list(user)]
        for _ in range(3):
            H.eq([c["id"] for c in _list(user)], first, "%s: collection order" % user)


def test_single_collection_matches_list():
    for user in H.ALL_USERS:
        listed = {c["id"]: c for c in _list(user)}
        for alias, cid in H.COLLECTIONS.items():
            r = H.get_ok(H.coll_path(cid), user=user)
            _check_collection(r.json, user, "%s GET %s" % (user, alias))
            H.eq(r.json, listed[cid], "%s: GET collection %s vs list entry" % (user, alias))


def test_collection_alias_usable_in_url():
    # 5.2.1: alias "can be used on systems to alias a collection ID",
    # example /{api-root}/collections/critical-high-value-indicators/.
    for alias, cid in H.COLLECTIONS.items():
        r = H.get_ok(H.API_ROOT + "collections/%s/" % alias)
        H.eq(r.json.get("id"), cid, "collection fetched by alias %s" % alias)
    r = H.get_ok(H.API_ROOT + "collections/intel/objects/", [("limit", 3)])
    H.check(len(H.check_envelope(r.json)) == 3, "objects via alias: 3 objects expected")
    r = H.get_ok(H.API_ROOT + "collections/intel/manifest/", [("limit", 3)])
    H.check(len(H.check_manifest(r.json)) == 3, "manifest via alias: 3 records expected")
    a = H.get_ok(H.API_ROOT + "collections/telecom/objects/", [("limit", 5)]).body
    b = H.get_ok(H.coll_path("telecom", "objects/"), [("limit", 5)]).body
    H.eq(a, b, "objects by alias vs by id")


def test_aliases_unique():
    aliases = [c["alias"] for c in _list("usa") if "alias" in c]
    H.eq(len(aliases), len(set(aliases)), "aliases unique within the API root (5.2.1)")


def test_unknown_collection_404():
    for cid in (str(uuid.uuid4()), "not-a-uuid", "intel2", "x" * 1000,
                "91a7b528-80eb-42ed-a74d-c6fbd5a26117", "91A7B528-80EB-42ED-A74D-C6FBD5A26116x"):
        for suffix in ("", "objects/", "manifest/"):
            H.expect(H.get(H.API_ROOT + "collections/%s/%s" % (cid, suffix)), 404,
                     what="GET unknown collection %s/%s" % (cid[:40], suffix))


def test_collections_require_auth():
    # 5.1/5.2: failed authentication -> 401 or 404; brief: 401.
    for path in (H.API_ROOT + "collections/", H.coll_path("intel"), H.coll_path("submissions")):
        H.expect(H.get(path, user=None), 401, what="GET %s without credentials" % path)
        H.expect(H.get(path, user="usa", password="bad"), 401,
                 what="GET %s with a wrong password" % path)


def test_no_existence_leak_without_auth():
    # Appendix B (security): don't leak the existence of things a client
    # may not access.  Unauthenticated: unknown and known collections look
    # the same.
    known = H.get(H.coll_path("intel", "objects/"), user=None)
    unknown = H.get(H.coll_path(str(uuid.uuid4()), "objects/"), user=None)
    H.eq(unknown.status, known.status, "status for unknown vs known collection without auth")


def test_cannot_read_collection_endpoints_403_or_404():
    # kor on submissions: can_read=false, can_write=true (brief).  5.3, 5.4,
    # 5.6, 5.8: can_read false -> 403 or 404.  The collection resource
    # itself is still visible (it is listed with can_write true).
    for user in H.PARTNERS:
        r = H.get_ok(H.coll_path("submissions"), user=user)
        H.eq((r.json["can_read"], r.json["can_write"]), (False, True), user + " on submissions")
        oid = H.new_id("indicator")
        for suffix in ("objects/", "manifest/", "objects/%s/" % oid, "objects/%s/versions/" % oid):
            H.expect(H.get(H.coll_path("submissions", suffix), user=user), 403, 404,
                     what="%s GET submissions/%s" % (user, suffix))
