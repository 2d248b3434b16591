"""Add objects (spec 5.5) and read them back; status resource (4.3.1).

Objects are posted to `reference` (usa writes it; it starts empty) unless a
test is about another collection.  Brief: POST is synchronous -> 202 with a
status resource whose status is "complete"; the server keeps the exact
bytes of every object.
"""

import json
import select
import socket
import ssl
import time

import harness as H
import samples as S

REF = "reference"


def post(coll, texts, user="usa", **kw):
    """POST an envelope built from object texts (str) or dicts."""
    texts = [t if isinstance(t, str) else S.compact(t) for t in texts]
    return H.post_envelope(coll, S.envelope_text(texts), user=user, **kw)


def post_ok(coll, texts, user="usa", successes=None, failures=0):
    r = post(coll, texts, user=user)
    H.expect(r, 202, what="POST %d objects to %s as %s" % (len(texts), coll, user))
    st = H.check_status(r.json, "POST status")
    H.eq(st["status"], "complete", "status of a synchronous POST (brief)")
    H.eq(st["total_count"], len(texts), "total_count")
    H.eq(st["failure_count"], failures, "failure_count (failures: %s)" % st.get("failures"))
    H.eq(st["success_count"], len(texts) - failures if successes is None else successes,
         "success_count")
    return st


def readback(coll, oid, params=None, user="usa"):
    r = H.get_ok(H.obj_path(coll, oid), params, user=user)
    H.check_envelope(r.json)
    return H.raw_objects(r.body)


def _max_len():
    return H.get_ok(H.API_ROOT).json["max_content_length"]


# ---- adding and reading back -------------------------------------------------

def test_post_new_objects_status_resource():
    objs = [S.indicator(), S.identity(), S.indicator()]
    st = post_ok(REF, objs)
    H.check("successes" in st, "status lacks successes (brief: synchronous, details listed)")
    got = {(d["id"], d["version"]) for d in st["successes"]}
    H.eq(got, {(o["id"], o["modified"]) for o in objs}, "successes (id, version = modified)")
    H.check("failures" not in st and "pendings" not in st,
            "empty failures/pendings must be omitted (spec 2)")
    for o in objs:
        H.eq(H.parse_json(readback(REF, o["id"])[0]), o, "posted object read back")


def test_post_readback_byte_identical():
    # Unusual but valid formatting must come back byte for byte inside the
    # envelope (brief: the server keeps the exact bytes).
    items = S.odd_texts()
    for _, _, t in items:
        json.loads(t)  # sanity: our texts are valid JSON
    body = '{\n  "objects" : [\n' + ",\n\n".join(t for _, _, t in items) + "\n  ]\n}\n"
    r = H.post_envelope(REF, body)
    H.expect(r, 202, what="POST oddly formatted objects")
    st = H.check_status(r.json)
    H.eq((st["success_count"], st["failure_count"]), (len(items), 0),
         "success/failure counts; failures=%s" % st.get("failures"))
    for oid, _, text in items:
        got = readback(REF, oid)
        H.eq(len(got), 1, "objects for %s" % oid)
        H.eq(got[0], text.encode("utf-8"), "bytes of %s via GET object" % oid)
    ids = [oid for oid, _, _ in items]
    r = H.get_ok(H.coll_path(REF, "objects/"), [("match[id]", ",".join(ids))])
    listed = H.raw_objects(r.body)
    H.eq(sorted(listed), sorted(t.encode("utf-8") for _, _, t in items),
         "bytes via GET objects?match[id]=...")
    # manifest: versions equal the (microsecond) modified values
    r = H.get_ok(H.coll_path(REF, "manifest/"), [("match[id]", ",".join(ids))])
    vers = {rec["id"]: rec["version"] for rec in H.check_manifest(r.json)}
    for oid, ver, _ in items:
        H.check(H.same_instant(vers[oid], ver), "manifest version %r for %s, modified %r"
                % (vers.get(oid), oid, ver))
    # exact-version match on a microsecond timestamp
    oid, ver, text = items[2]
    H.eq(readback(REF, oid, [("match[version]", ver)]), [text.encode("utf-8")],
         "match[version]=<microsecond modified>")


def test_post_new_version():
    v1, v2 = S.versions_of_indicator(2)
    post_ok(REF, [v1])
    post_ok(REF, [v2])
    oid = v1["id"]
    H.eq(readback(REF, oid), [S.compact(v2).encode()], "default GET returns the new version")
    H.eq(readback(REF, oid, [("match[version]", "first")]), [S.compact(v1).encode()], "first")
    H.eq(readback(REF, oid, [("match[version]", "all")]),
         [S.compact(v1).encode(), S.compact(v2).encode()], "all versions, date_added order")
    vs = H.check_versions(H.get_ok(H.obj_path(REF, oid, "versions/")).json)
    H.eq([H.ts_key(v) for v in vs], [H.ts_key(v1["modified"]), H.ts_key(v2["modified"])], "versions")
    r = H.get_ok(H.coll_path(REF, "objects/"), [("match[id]", oid)])
    H.eq(H.raw_objects(r.body), [S.compact(v2).encode()], "objects listing shows the latest only")


def test_post_new_version_of_generated_object():
    # usa writes intel: a new version (same id, later modified) of a demo
    # object becomes the latest; the old one stays reachable; partners see it.
    s = H.snapshot("intel")
    oid = next(i for i, v in s.by_id.items() if len(v) == 1 and i.startswith("indicator--"))
    old_text = readback("intel", oid)[0]
    new = json.loads(old_text.decode("utf-8"))
    new["modified"] = H.stix_now()
    new["name"] = "new version posted by the API tests"
    st = post_ok("intel", [new])
    H.eq(st["successes"][0]["version"], new["modified"], "status version of the new version")
    H.eq(readback("intel", oid), [S.compact(new).encode()], "default GET returns the new version")
    H.eq(readback("intel", oid, [("match[version]", "first")]), [old_text], "first = the demo version")
    H.eq(readback("intel", oid, user="gbr"), [S.compact(new).encode()], "gbr reads the new version")
    r = H.get_ok(H.coll_path("intel", "manifest/"), [("match[id]", oid), ("match[version]", "all")])
    recs = H.check_manifest(r.json)
    H.eq(len(recs), 2, "manifest records after a new version")
    H.check(H.same_instant(recs[-1]["version"], new["modified"]), "new version sorts last (date_added)")
    H.check(recs[0]["date_added"] < recs[1]["date_added"], "new version has a later date_added")
    r = H.get_ok(H.coll_path("intel", "objects/"), [("added_after", recs[0]["date_added"]),
                                                     ("match[id]", oid)])
    H.eq(H.raw_objects(r.body), [S.compact(new).encode()], "added_after finds the new version")


def test_post_older_version_after_newer():
    # 3.4.1: 'last' = "the latest version of an object".  Assumed: latest by
    # STIX modified (STIX versioning), not the most recently added.
    v1, v2 = S.versions_of_indicator(2)
    oid = v1["id"]
    post_ok(REF, [v2])
    post_ok(REF, [v1])
    H.eq(readback(REF, oid), [S.compact(v2).encode()], "latest version is the newest modified")
    H.eq(readback(REF, oid, [("match[version]", "first")]), [S.compact(v1).encode()],
         "first = earliest modified")
    # sorting stays by date_added: v2 was added first
    H.eq(readback(REF, oid, [("match[version]", "all")]),
         [S.compact(v2).encode(), S.compact(v1).encode()], "all versions in date_added order")


def test_post_three_versions_in_one_envelope():
    vs = S.versions_of_indicator(3)
    post_ok(REF, vs)
    oid = vs[0]["id"]
    got = H.check_versions(H.get_ok(H.obj_path(REF, oid, "versions/")).json)
    H.eq(sorted(H.ts_key(v) for v in got), sorted(H.ts_key(v["modified"]) for v in vs), "3 versions")
    H.eq(readback(REF, oid), [S.compact(vs[-1]).encode()], "latest of 3")


def test_post_duplicate_is_not_an_error():
    # 5.5: an exact duplicate MUST NOT produce an error (brief: counted as
    # a success).  It must not create a second manifest record.
    o = S.indicator()
    post_ok(REF, [o])
    st = post_ok(REF, [o])
    H.eq(st["success_count"], 1, "duplicate counted as success")
    r = H.get_ok(H.coll_path(REF, "manifest/"), [("match[id]", o["id"]), ("match[version]", "all")])
    H.eq(len(H.check_manifest(r.json)), 1, "manifest records after posting a duplicate")
    H.eq(readback(REF, o["id"], [("match[version]", "all")]), [S.compact(o).encode()],
         "one copy after a duplicate")


def test_post_duplicate_within_one_envelope():
    o = S.identity()
    st = post_ok(REF, [o, o, o])
    H.eq(st["failure_count"], 0, "duplicates in one envelope")
    r = H.get_ok(H.coll_path(REF, "manifest/"), [("match[id]", o["id"]), ("match[version]", "all")])
    H.eq(len(H.check_manifest(r.json)), 1, "manifest records for a thrice-posted object")


def test_post_duplicate_of_generated_object():
    # Re-post an existing intel object byte for byte (usa writes intel).
    s = H.snapshot("intel")
    oid = next(iter(s.by_id))
    text = readback("intel", oid)[0].decode("utf-8")
    before = [(x["id"], x["version"]) for x in s.records_by_id[oid]]
    st = post_ok("intel", [text])
    H.eq(st["failure_count"], 0, "re-posting an existing object")
    r = H.get_ok(H.coll_path("intel", "manifest/"), [("match[id]", oid), ("match[version]", "all")])
    H.eq([(x["id"], x["version"]) for x in H.check_manifest(r.json)], before,
         "manifest records of %s after re-posting it" % oid)


def test_post_mixed_good_and_bad_objects():
    # Brief: invalid objects are failures with a message; the rest succeed.
    good = [S.indicator(), S.identity()]
    u = H.new_id("indicator")
    no_ts = S.indicator(oid=u)
    del no_ts["created"]
    del no_ts["modified"]
    mismatch = S.indicator()
    mismatch["type"] = "malware"
    bad_id = S.indicator(oid="indicator--not-a-uuid")
    no_type = S.identity()
    del no_type["type"]
    bad = [no_ts, mismatch, bad_id, no_type]
    texts = [S.compact(good[0]), S.compact(no_ts), S.compact(mismatch), S.compact(good[1]),
             S.compact(bad_id), S.compact(no_type)]
    r = post(REF, texts)
    H.expect(r, 202, what="POST mixed good/bad")
    st = H.check_status(r.json)
    H.eq((st["total_count"], st["success_count"], st["failure_count"]), (6, 2, 4),
         "total/success/failure for 2 good + 4 bad; status=%s" % json.dumps(st)[:600])
    H.check("failures" in st and len(st["failures"]) == 4, "failures list of 4 expected")
    for f in st["failures"]:
        H.check(isinstance(f.get("message"), str) and f["message"].strip(),
                "failure without a message: %r" % f)
    failed_ids = {f["id"] for f in st["failures"]}
    for o in (no_ts, mismatch, bad_id):
        H.check(o["id"] in failed_ids, "failure for %s not reported by id" % o["id"])
    H.eq({d["id"] for d in st.get("successes", [])}, {o["id"] for o in good}, "successes")
    for o in good:
        H.eq(readback(REF, o["id"]), [S.compact(o).encode()], "good object stored")
    H.expect(H.get(H.obj_path(REF, u)), 404, what="object without timestamps must not be stored")
    H.expect(H.get(H.obj_path(REF, mismatch["id"])), 404, what="type/id mismatch must not be stored")


def test_post_marking_definition_without_modified():
    # STIX 2.1 7.2.1: marking definitions are not versioned (no modified).
    # 4.3.1/5.3.1/5.8: the version is then the created timestamp.
    tlp = S.tlp_green_text()
    stmt = S.statement_marking()
    st = post_ok(REF, [tlp, stmt])
    vers = {d["id"]: d["version"] for d in st.get("successes", [])}
    H.eq(vers.get(S.TLP_GREEN_ID), "2017-01-20T00:00:00.000Z", "status version of TLP:GREEN = created")
    H.eq(readback(REF, S.TLP_GREEN_ID), [tlp.encode()], "TLP:GREEN bytes")
    H.eq(readback(REF, S.TLP_GREEN_ID, [("match[version]", "2017-01-20T00:00:00.000Z")]),
         [tlp.encode()], "match[version]=<created> for an unversioned object")
    vs = H.check_versions(H.get_ok(H.obj_path(REF, S.TLP_GREEN_ID, "versions/")).json)
    H.eq(vs, ["2017-01-20T00:00:00.000Z"], "versions of TLP:GREEN")
    r = H.get_ok(H.coll_path(REF, "manifest/"), [("match[id]", stmt["id"])])
    recs = H.check_manifest(r.json)
    H.eq(len(recs), 1, "manifest record of the statement marking")
    H.check(H.same_instant(recs[0]["version"], stmt["created"]), "manifest version = created")
    st = post_ok(REF, [tlp])
    H.eq(st["failure_count"], 0, "re-posting TLP:GREEN")


def test_post_sco_without_timestamps():
    # STIX 2.1 SCOs have no created/modified; 5.3.1: the server SHOULD use
    # a consistent version value.  The object must be stored and readable.
    sco = S.ipv4_sco()
    st = post_ok(REF, [sco])
    H.eq(readback(REF, sco["id"]), [S.compact(sco).encode()], "SCO bytes")
    vs = H.check_versions(H.get_ok(H.obj_path(REF, sco["id"], "versions/")).json)
    H.eq(len(vs), 1, "versions of an SCO")
    st2 = post_ok(REF, [sco])
    H.eq(st2["failure_count"], 0, "re-posting an SCO is a duplicate")
    vs2 = H.check_versions(H.get_ok(H.obj_path(REF, sco["id"], "versions/")).json)
    H.eq(vs2, vs, "SCO versions after a duplicate post (consistent version value)")


def test_post_appends_in_date_added_order():
    # 3.3: newly added objects sort last; added_after = previous Last
    # returns exactly them.
    before = H.crawl(H.coll_path(REF, "manifest/"), [("match[version]", "all")], mode="auto")[1][-1]
    last = before.headers.get("X-TAXII-Date-Added-Last")
    objs = [S.identity(name="batch %d" % i) for i in range(5)]
    t0 = H.now_utc()
    post_ok(REF, objs)
    t1 = H.now_utc()
    params = [("match[version]", "all")] + ([("added_after", last)] if last else [])
    r = H.get_ok(H.coll_path(REF, "manifest/"), params)
    recs = H.check_manifest(r.json)
    H.eq(sorted(x["id"] for x in recs), sorted(o["id"] for o in objs), "records added after the previous Last")
    for rec in recs:
        d = H.taxii_ts_to_dt(rec["date_added"])
        H.check((t0 - d).total_seconds() < 5 and (d - t1).total_seconds() < 5,
                "date_added %s not near the time of the POST (%s..%s)" % (rec["date_added"], t0, t1))


def test_post_many_objects():
    objs = [S.identity(name="bulk %d" % i) for i in range(600)]
    st = post_ok(REF, objs)
    H.eq(st["success_count"], 600, "bulk success_count")
    got, _ = H.crawl(H.coll_path(REF, "manifest/"), [("match[type]", "identity")], page_limit=250,
                     mode="auto")
    ids = {x["id"] for x in got}
    H.check(all(o["id"] in ids for o in objs), "not every bulk object is listed")


def test_post_by_alias_and_kor_to_submissions():
    o = S.indicator()
    r = H.request("POST", H.API_ROOT + "collections/reference/objects/",
                  body=S.envelope_text([S.compact(o)]))
    H.expect(r, 202, what="POST via collection alias")
    H.eq(readback(REF, o["id"]), [S.compact(o).encode()], "object posted via alias")


# ---- permissions -------------------------------------------------------------

def test_post_permissions():
    # 5.5: can_write false -> 403 or 404.  Brief: read-only partner POST -> 403.
    for user in H.ALL_USERS:
        for coll in H.COLLECTIONS:
            _, can_write = H.expected_perms(user, coll)
            o = S.identity(name="perm test %s %s" % (user, coll))
            r = post(coll, [o], user=user)
            if can_write:
                H.expect(r, 202, what="%s POST to %s" % (user, coll))
                H.check_status(r.json)
                H.eq(r.json["success_count"], 1, "%s POST to %s success" % (user, coll))
            else:
                H.expect(r, 403, what="%s POST to %s (can_write=false)" % (user, coll))
                H.expect(H.get(H.obj_path(coll, o["id"])), 404,
                         what="object from a refused POST must not exist")


def test_partner_submission_visible_to_usa_not_to_partner():
    o = S.indicator(name="kor submission")
    st = post_ok("submissions", [o], user="kor")
    H.eq(readback("submissions", o["id"], user="usa"), [S.compact(o).encode()],
         "usa reads kor's submission")
    H.eq(readback("submissions", o["id"], user="admin"), [S.compact(o).encode()],
         "admin reads kor's submission")
    H.expect(H.get(H.obj_path("submissions", o["id"]), user="kor"), 403, 404,
             what="kor reads submissions (can_read=false)")
    H.expect(H.get(H.obj_path("intel", o["id"]), user="usa"), 404,
             what="a submission does not appear in intel")
    H.check(st["id"], "status id")


def test_post_without_credentials():
    r = post(REF, [S.identity()], user=None)
    H.expect(r, 401, what="POST without credentials")
    r = post(REF, [S.identity()], user="usa", password="wrong")
    H.expect(r, 401, what="POST with a wrong password")


def test_post_unknown_collection_404():
    r = H.post_envelope("00000000-0000-4000-8000-000000000000", S.envelope_text([S.compact(S.identity())]))
    H.expect(r, 404, what="POST to an unknown collection")


# ---- media types ---------------------------------------------------------------

def test_post_content_type_variants_accepted():
    # 1.6.8.2: unversioned application/taxii+json = latest version; 3.1:
    # defined media types MUST NOT give 415; RFC 7231: case-insensitive,
    # optional whitespace.
    for ct in (H.TAXII_MT, "application/taxii+json", "application/taxii+json; version=2.1",
               "Application/TAXII+JSON;Version=2.1", "application/taxii+json;charset=utf-8;version=2.1"):
        o = S.identity()
        r = post(REF, [o], content_type=ct)
        H.expect(r, 202, what="POST with Content-Type %r" % ct)
        H.eq(readback(REF, o["id"]), [S.compact(o).encode()], "object posted as %r" % ct)


def test_post_wrong_content_type_415():
    # Brief: wrong Content-Type -> 415 (3.1 permits it for undefined types).
    for ct in ("application/json", "text/plain", "application/taxii+json;version=2.0",
               "application/stix+json;version=2.1", "application/x-www-form-urlencoded",
               "multipart/form-data; boundary=xyz", "application/xml", "taxii", "*/*"):
        o = S.identity()
        r = post(REF, [o], content_type=ct)
        H.expect(r, 415, what="POST with Content-Type %r" % ct)
        H.expect(H.get(H.obj_path(REF, o["id"])), 404, what="object from a 415 POST stored")


def test_post_missing_content_type():
    # 3.1: POST MUST include Content-Type; missing -> 400 or 415 (assumed).
    o = S.identity()
    r = post(REF, [o], content_type=None)
    H.expect(r, 400, 415, what="POST without Content-Type")


def test_post_accept_negotiation():
    o = S.identity()
    r = post(REF, [o], accept="application/xml")
    H.expect(r, 406, what="POST with Accept application/xml")
    r = post(REF, [S.identity()], accept=None)
    H.expect(r, 202, what="POST without Accept (brief: tolerated)")
    r = post(REF, [S.identity()], accept="application/taxii+json")
    H.expect(r, 202, what="POST with unversioned Accept")


# ---- malformed bodies ---------------------------------------------------------------

def test_post_malformed_json_400():
    good = S.compact(S.identity())
    bodies = [
        b'{"objects": [',
        b"not json",
        b'{"objects": [' + good.encode() + b",]}",
        b"{'objects': []}",
        b"",
        b" ",
        b'{"objects": [' + good.encode() + b"]} trailing",
        b'{"objects":[]}{"objects":[]}',
        b'{"objects": [{"type": "identity", "x_n": NaN}]}',
        b'{"objects": [{"type": "identity", "x_n": Infinity}]}',
        b'{"objects": [' + good.encode()[:-1] + b"}",
        b'{"objects": [' + good.encode() + b"]",
        b'{"objects": [' + good.encode().replace(b'"name"', b"name") + b"]}",
        b'{"objects": ["\x01"]}',
        b"\x00\x00\x00",
    ]
    for b in bodies:
        r = H.post_envelope(REF, b)
        H.expect(r, 400, what="POST body %r" % b[:60])


def test_post_duplicate_keys_400():
    # I-JSON (RFC 7493, spec 1.6.7): names MUST be unique.  Brief: -> 400.
    o = S.identity()
    t = S.compact(o)
    other = H.new_id("identity")
    bodies = [
        '{"objects":[%s],"objects":[%s]}' % (t, t),
        '{"objects":[%s]}' % t.replace('"name":', '"name":"a","name":'),
        '{"objects":[%s]}' % t.replace('"id":"%s"' % o["id"], '"id":"%s","id":"%s"' % (o["id"], other)),
        '{"objects":[%s]}' % t.replace('"name":', '"x_d":{"k":1,"k":2},"name":'),
    ]
    for b in bodies:
        r = H.post_envelope(REF, b)
        H.expect(r, 400, what="POST with duplicate keys %r" % b[:100])
    H.expect(H.get(H.obj_path(REF, o["id"])), 404, what="object from a duplicate-key body stored")
    H.expect(H.get(H.obj_path(REF, other)), 404, what="object from a duplicate-key body stored")


def test_post_not_an_envelope_400():
    # Brief: a body that isn't an envelope -> 400.
    for b in ('[]', '"x"', "42", "null", "true", '{"objects": {}}', '{"objects": "x"}',
              '{"objects": null}', '{"objects": 5}', '[{"objects": []}]', '{"more": "yes"}',
              '{"next": 5}'):
        r = H.post_envelope(REF, b)
        H.expect(r, 400, what="POST body %r" % b)


def test_post_degenerate_envelopes_never_5xx():
    # {} is an envelope with no objects; an empty list is forbidden (2).
    # Elements that are not objects cannot be STIX objects (3.7).  Assumed:
    # 400/422, or 202 reporting every element as a failure.
    for b in ('{}', '{"objects": []}', '{"objects": [1, 2]}', '{"objects": [[]]}',
              '{"objects": [null]}', '{"objects": ["indicator"]}', '{"objects": [{}]}'):
        r = H.post_envelope(REF, b)
        H.expect(r, 202, 400, 422, what="POST body %r" % b)
        if r.status == 202:
            st = H.check_status(r.json)
            H.eq(st["success_count"], 0, "successes for %r" % b)


def test_post_invalid_utf8_rejected():
    # 1.6.7: UTF-8 JSON.  Invalid UTF-8 / lone surrogates are malformed.
    o = S.identity()
    raw = S.compact(o).encode().replace(b'"name":"', b'"name":"\xff\xfe')
    r = H.post_envelope(REF, b'{"objects":[' + raw + b"]}")
    H.expect(r, 400, 422, what="POST with invalid UTF-8")
    H.expect(H.get(H.obj_path(REF, o["id"])), 404, what="object with invalid UTF-8 stored")
    o2 = S.identity()
    t2 = S.compact(o2).replace('"name":"', '"name":"\\ud800')
    r = H.post_envelope(REF, '{"objects":[%s]}' % t2)
    H.expect(r, 202, 400, 422, what="POST with a lone surrogate escape")
    if r.status == 202:
        H.eq(r.json["success_count"], 0, "lone surrogate (not I-JSON) must not succeed")


def test_post_unusual_values_never_5xx():
    cases = []
    o = S.identity()
    cases.append(S.compact(o).replace('"name":', '"x_big":1e400,"name":'))
    o = S.identity()
    cases.append(S.compact(o).replace('"name":', '"x_int":123456789012345678901234567890,"name":'))
    o = S.identity()
    cases.append(S.compact(o).replace('"name":"', '"name":"nul\\u0000byte '))
    o = S.identity()
    cases.append(S.compact(o).replace('"name":', '"x_long":"%s","name":' % ("y" * 200000)))
    for t in cases:
        oid = json.loads(t)["id"] if "1e400" not in t else None
        r = H.post_envelope(REF, '{"objects":[%s]}' % t)
        H.expect(r, 202, 400, 422, what="POST %r" % t[:80])
        if r.status == 202 and r.json["success_count"] == 1 and oid:
            H.eq(readback(REF, oid), [t.encode()], "stored bytes of an unusual object")
    H.server_alive_check()


def test_post_deep_nesting_never_crashes():
    # A stack-exhaustion probe: deeply nested arrays/objects.
    for body in ("[" * 100000 + "]" * 100000,
                 '{"objects":[' + '{"a":' * 50000 + "1" + "}" * 50000 + "]}",
                 '{"objects":[' + S.compact(S.identity()).replace(
                     '"name":', '"x_deep":' + "[" * 20000 + "]" * 20000 + ',"name":') + "]}"):
        r = H.post_envelope(REF, body)
        H.expect(r, 202, 400, 413, 422, what="POST deeply nested JSON (%d bytes)" % len(body))
    H.server_alive_check()


# ---- size limits ----------------------------------------------------------------------

def _stream_post(path, content_length, body_iter, timeout=120, extra_headers=()):
    """POST with a declared Content-Length, sending the body lazily; return
    (status, headers, body).  Gives the server a chance to answer early."""
    scheme, host, port = H.TARGET
    s = socket.create_connection((host, port), timeout=timeout)
    if scheme == "https":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: %s\r\nContent-Type: %s\r\n"
            "Authorization: %s\r\nConnection: close\r\n" % (path, port, H.TAXII_MT, H.TAXII_MT,
                                                           H.basic("usa", "demo-usa")))
    if content_length is not None:
        head += "Content-Length: %d\r\n" % content_length
    for h in extra_headers:
        head += h + "\r\n"
    head += "\r\n"
    out = b""
    try:
        s.sendall(head.encode())
        early = False
        rl, _, _ = select.select([s], [], [], 1.5)
        if rl:
            early = True
        if not early:
            for chunk in body_iter:
                try:
                    s.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    break
                rl, _, _ = select.select([s], [], [], 0)
                if rl:
                    break
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                d = s.recv(65536)
            except (ConnectionResetError, ssl.SSLError, socket.timeout):
                break
            if not d:
                break
            out += d
    finally:
        s.close()
    return H.split_raw_response(out)


def test_post_over_max_content_length_413():
    m = _max_len()
    path = H.coll_path(REF, "objects/")
    if m > 256 * 1024 * 1024:
        raise H.Skip("max_content_length %d too large to exercise" % m)
    prefix = ('{"objects":[' + S.compact(S.identity()) + ']}').encode()
    size = m + 1

    def body():
        yield prefix
        left = size - len(prefix)
        block = b" " * 65536
        while left > 0:
            n = min(left, len(block))
            yield block[:n]
            left -= n
    st, hdrs, b = _stream_post(path, size, body())
    H.check(st is not None, "no response to a POST of max_content_length+1 bytes (connection dropped)")
    H.eq(st, 413, "status for a body of max_content_length+1 = %d bytes" % size)
    H.check(H.is_taxii_ctype(hdrs.get("content-type")), "413 without TAXII Content-Type")
    doc = H.parse_json(b)
    H.check(isinstance(doc, dict) and "title" in doc, "413 body is not an error resource: %r" % b[:200])


def test_post_declared_huge_content_length_413():
    # Content-Length far above the limit must be refused without reading it.
    m = _max_len()
    st, hdrs, b = _stream_post(H.coll_path(REF, "objects/"), m * 10 + 12345, iter([b"{"]), timeout=20)
    H.eq(st, 413, "status for a declared Content-Length of %d" % (m * 10 + 12345))


def test_post_at_max_content_length_accepted():
    # 4.2.1: bodies smaller than max_content_length MUST NOT get 413; a body
    # of exactly that size is assumed to be supported too ("the maximum size
    # ... that the server can support").
    m = _max_len()
    if m > 128 * 1024 * 1024:
        raise H.Skip("max_content_length %d too large to exercise" % m)
    for size in (m - 1, m):
        o = S.identity()
        core = '{"objects":[' + S.compact(o) + "]"
        body = (core + " " * (size - len(core) - 1) + "}").encode()
        H.eq(len(body), size, "padded body size")
        r = H.post_envelope(REF, body, timeout=180)
        H.expect(r, 202, what="POST of %d bytes (max_content_length %d)" % (size, m))
        H.eq(r.json["success_count"], 1, "padded body success")


def test_post_chunked_transfer_encoding():
    # HTTP/1.1 chunked bodies (RFC 7230 4.1): small one accepted; one over
    # max_content_length refused with 413.
    o = S.identity()
    data = S.envelope_text([S.compact(o)]).encode()

    def chunks(payload, n=7):
        for i in range(0, len(payload), n):
            part = payload[i:i + n]
            yield b"%x\r\n%s\r\n" % (len(part), part)
        yield b"0\r\n\r\n"
    st, hdrs, b = _stream_post(H.coll_path(REF, "objects/"), None, chunks(data),
                               extra_headers=("Transfer-Encoding: chunked",))
    H.eq(st, 202, "chunked POST status (%r)" % b[:200])
    H.eq(readback(REF, o["id"]), [S.compact(o).encode()], "object posted chunked")
    m = _max_len()
    if m > 256 * 1024 * 1024:
        raise H.Skip("max_content_length too large for the chunked 413 check")

    def big():
        yield b"%x\r\n%s\r\n" % (len(data) - 1, data[:-1])
        block = b" " * 65536
        left = m + 1
        while left > 0:
            n = min(left, len(block))
            yield b"%x\r\n%s\r\n" % (n, block[:n])
            left -= n
        yield b"1\r\n}\r\n0\r\n\r\n"
    st, hdrs, b = _stream_post(H.coll_path(REF, "objects/"), None, big(),
                               extra_headers=("Transfer-Encoding: chunked",))
    H.eq(st, 413, "chunked POST over max_content_length")
    H.server_alive_check()
