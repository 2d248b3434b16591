"""Get objects: envelope, sorting, limit/more/next, full crawls
(spec 3.3, 3.4, 3.5, 3.7, 5.4)."""

import base64

import harness as H

INTEL = "intel"
TELECOM = "telecom"


def pairs(objs):
    return [(o["id"], H.version_of(o)) for o in objs]


def rec_pairs(recs):
    return [(r["id"], r["version"]) for r in recs]


def norm(p):
    """(id, version) with the version normalised to an instant."""
    return [(i, H.ts_key(v) if v and H.is_stix_ts(v) else v) for i, v in p]


def test_demo_data_present():
    # Brief: intel and telecom hold a few thousand objects, some with several
    # versions; reference starts empty.  The rest of the suite relies on this.
    n = 0
    multi = 0
    for coll in (INTEL, TELECOM):
        s = H.snapshot(coll)
        n += len(s.objects)
        multi += len(s.multi_version_ids())
        H.check(len(s.by_id) > 100, "%s holds only %d objects" % (coll, len(s.by_id)))
    H.check(n >= 1000, "intel+telecom hold only %d object versions" % n)
    H.check(multi > 0, "no object with several versions in intel/telecom")


def test_objects_envelope_shape():
    for coll in (INTEL, TELECOM):
        r = H.get_ok(H.coll_path(coll, "objects/"), [("limit", 10)])
        objs = H.check_envelope(r.json)
        H.eq(len(objs), 10, "objects in a limit=10 page")
        for o in objs:
            H.eq(o.get("spec_version"), "2.1", "spec_version of generated object %s" % o["id"])
            H.check(H.is_stix_ts(H.version_of(o) or ""),
                    "generated object %s has no valid modified/created" % o["id"])


def test_objects_default_page_size_is_100():
    # Brief: default page size 100 when no limit is given (3.4 lets the
    # server impose its own limit; more MUST then be true).
    for coll in (INTEL, TELECOM):
        r = H.get_ok(H.coll_path(coll, "objects/"))
        objs = H.check_envelope(r.json)
        H.eq(len(objs), 100, "%s: objects without limit" % coll)
        H.eq(r.json.get("more"), True, "%s: more without limit" % coll)


def test_objects_limit_respected():
    # 3.4: MUST NOT return more than limit; if everything fits, everything
    # MUST be returned; more=true when more is available.
    total = len(H.snapshot(INTEL).by_id)
    for limit in (1, 2, 7, 99, 100, 101, 500, 1000):
        r = H.get_ok(H.coll_path(INTEL, "objects/"), [("limit", limit)])
        objs = H.check_envelope(r.json)
        H.eq(len(objs), min(limit, total), "objects for limit=%d" % limit)
        H.eq(bool(r.json.get("more")), total > limit, "more for limit=%d (total %d)" % (limit, total))
        if total > limit:
            H.check(r.json.get("next"), "limit=%d: more=true but no next (brief: server gives next)" % limit)


def test_objects_limit_above_cap_is_lowered():
    # Brief: the server caps limit at 1000; a larger valid limit is lowered,
    # not an error.  3.4: a server MAY return fewer than requested.
    total = len(H.snapshot(INTEL).by_id)
    for limit in ("1001", "5000", "999999999"):
        r = H.get_ok(H.coll_path(INTEL, "objects/"), [("limit", limit)])
        objs = H.check_envelope(r.json)
        H.eq(len(objs), min(1000, total), "objects for limit=%s" % limit)
        H.eq(bool(r.json.get("more")), total > 1000, "more for limit=%s" % limit)


def test_objects_limit_invalid_400():
    # 3.4: limit MUST be a positive integer; malformed parameters -> 400.
    # Brief: 0, negative, non-integer, more than 9 digits -> 400.
    bad = ["0", "-1", "-0", "-100", "abc", "1.5", "1.0", "", "1e3", "0x10", " 5", "5 ", "5a",
           "1234567890", "99999999999999999999999999", "\uff12", "NaN", "Infinity", "1,2", "[5]"]
    for v in bad:
        for suffix in ("objects/", "manifest/"):
            r = H.get(H.coll_path(INTEL, suffix), [("limit", v)])
            H.expect(r, 400, what="GET %s?limit=%r" % (suffix, v))


def test_objects_limit_lenient_forms_never_5xx():
    # "+5" and "05" are integers by some readings; either answer is fine, but
    # a 200 must respect the value 5.
    for v in ("+5", "05", "0005"):
        r = H.get(H.coll_path(INTEL, "objects/"), [("limit", v)])
        H.expect(r, 200, 400, what="limit=%r" % v)
        if r.status == 200:
            H.check(len(H.check_envelope(r.json)) <= 5, "limit=%r returned more than 5" % v)


def test_objects_sorted_by_date_added():
    # 3.3: ascending by date_added (most recent last).
    for coll in (INTEL, TELECOM):
        s = H.snapshot(coll)
        added = []
        for o in s.objects:
            d = s.added(o)
            H.check(d is not None, "%s: object %s version %s has no manifest record"
                    % (coll, o["id"], H.version_of(o)))
            added.append(d)
        for a, b in zip(added, added[1:]):
            H.check(a <= b, "%s: objects not sorted by date_added (%s before %s)" % (coll, a, b))


def test_objects_order_matches_manifest():
    # Same query on objects and manifest: same (id, version) sequence.
    for coll in (INTEL, TELECOM):
        s = H.snapshot(coll)
        H.eq(norm(pairs(s.objects)), norm(rec_pairs(s.records)),
             "%s: objects vs manifest sequence (match[version]=all)" % coll)


def test_full_crawl_by_next_collects_every_object_once():
    for coll in (INTEL, TELECOM):
        big, _ = H.crawl(H.coll_path(coll, "objects/"), page_limit=1000, mode="next")
        small, resps = H.crawl(H.coll_path(coll, "objects/"), page_limit=100, mode="next")
        p_small = pairs(small)
        H.eq(len(p_small), len(set(p_small)), "%s: duplicates in a limit=100 crawl" % coll)
        ids = [i for i, _ in p_small]
        H.eq(len(ids), len(set(ids)), "%s: an id appears twice without match[version]" % coll)
        H.eq(p_small, pairs(big), "%s: limit=100 crawl vs limit=1000 crawl" % coll)
        H.eq(set(ids), set(H.snapshot(coll).by_id), "%s: crawl ids vs all ids" % coll)
        for r in resps[:-1]:
            H.eq(len(r.json.get("objects", [])), 100, "%s: full page size" % coll)


def test_full_crawl_all_versions_by_next():
    for coll in (INTEL, TELECOM):
        s = H.snapshot(coll)
        got, _ = H.crawl(H.coll_path(coll, "objects/"), [("match[version]", "all")],
                         page_limit=250, mode="next")
        p = pairs(got)
        H.eq(len(p), len(set(p)), "%s: duplicate versions in crawl" % coll)
        H.eq(p, pairs(s.objects), "%s: version=all crawl (limit 250) vs snapshot" % coll)


def test_full_crawl_by_added_after():
    # 3.5: paging with added_after = X-TAXII-Date-Added-Last of the previous
    # page must reach every object exactly once.  (This requires that a page
    # boundary never splits objects sharing one date_added.)
    for coll in (INTEL, TELECOM):
        ref, _ = H.crawl(H.coll_path(coll, "objects/"), page_limit=1000, mode="next")
        got, _ = H.crawl(H.coll_path(coll, "objects/"), page_limit=100, mode="added_after")
        H.eq(len(pairs(got)), len(set(pairs(got))), "%s: duplicates in added_after crawl" % coll)
        H.eq(pairs(got), pairs(ref), "%s: added_after crawl vs next crawl" % coll)


def test_last_page_has_no_more_and_no_next():
    _, resps = H.crawl(H.coll_path(INTEL, "objects/"), page_limit=1000, mode="next")
    last = resps[-1].json
    H.check(not last.get("more"), "last page says more=true")
    H.check("next" not in last, "last page carries next")
    for r in resps[:-1]:
        H.eq(r.json.get("more"), True, "more on a non-final page")


def test_page_date_added_headers_chain():
    _, resps = H.crawl(H.coll_path(INTEL, "objects/"), [("match[version]", "all")],
                       page_limit=300, mode="next")
    prev_last = None
    for r in resps:
        first = r.headers.get("X-TAXII-Date-Added-First")
        last = r.headers.get("X-TAXII-Date-Added-Last")
        H.check(H.is_taxii_ts(first) and H.is_taxii_ts(last), "page headers %r %r" % (first, last))
        H.check(first <= last, "page First %s > Last %s" % (first, last))
        if prev_last is not None:
            H.check(prev_last <= first, "pages overlap: previous Last %s > First %s" % (prev_last, first))
        prev_last = last


def test_empty_result_is_empty_envelope():
    # 3.7 / 5.4: no objects -> an empty envelope (no 'objects' key).
    r = H.get_ok(H.coll_path(INTEL, "objects/"), [("match[id]", H.new_id("indicator"))])
    H.check_envelope(r.json)
    H.check("objects" not in r.json, "empty result has an 'objects' key: %r" % r.json)
    H.check(not r.json.get("more"), "empty result says more=true")


def test_reference_collection_starts_empty():
    # Brief: reference starts empty (this file runs before any POST test).
    r = H.get_ok(H.coll_path("reference", "objects/"))
    H.check_envelope(r.json)
    H.check("objects" not in r.json, "reference is not empty at start: %s" % r.body[:200])
    r = H.get_ok(H.coll_path("reference", "manifest/"))
    H.check("objects" not in r.json, "reference manifest not empty at start")


def _first_next(coll=INTEL, params=None):
    params = list(params or []) + [("limit", 10)]
    r = H.get_ok(H.coll_path(coll, "objects/"), params)
    nxt = r.json.get("next")
    H.check(nxt, "no next token on a limit=10 page")
    return params, nxt


def test_next_token_replay_gives_same_page():
    params, nxt = _first_next()
    a = H.get_ok(H.coll_path(INTEL, "objects/"), params + [("next", nxt)])
    b = H.get_ok(H.coll_path(INTEL, "objects/"), params + [("next", nxt)])
    H.eq(a.body, b.body, "the same next token twice")
    first = H.get_ok(H.coll_path(INTEL, "objects/"), params)
    H.check(not set(pairs(first.json["objects"])) & set(pairs(a.json["objects"])),
            "page 2 repeats objects of page 1")


def _tamper(tok):
    out = []
    mid = len(tok) // 2
    flip = "A" if tok[mid] != "A" else "B"
    out.append(tok[:mid] + flip + tok[mid + 1:])
    flip = "A" if tok[-1] != "A" else "B"
    out.append(tok[:-1] + flip)
    out.append(tok + "x")
    out.append(tok[:-2])
    out.append(tok[1:])
    out.append(tok[::-1])
    out.append("abc")
    out.append("0")
    out.append(base64.urlsafe_b64encode(b'{"date_added":"1970-01-01T00:00:00.000000Z"}').decode())
    out.append("x" * 5000)
    return [t for t in out if t != tok]


def test_next_token_tampered_400():
    # Brief: next is tamper-checked; a modified token -> 400.  (Appendix B:
    # the next value MUST NOT be implicitly trusted.)
    params, nxt = _first_next()
    for bad in _tamper(nxt):
        r = H.get(H.coll_path(INTEL, "objects/"), params + [("next", bad)])
        H.expect(r, 400, what="tampered next %r (from %r)" % (bad[:60], nxt[:60]))
    H.expect(H.get(H.coll_path(INTEL, "objects/"), params + [("next", "")]), 400,
             what="empty next")


def test_next_token_with_different_query_400():
    # Brief: a token used with a different query -> 400 (3.4: next is used
    # "along with the original query/filter parameters").
    s = H.snapshot(INTEL)
    types = sorted(s.types().items(), key=lambda kv: -kv[1])
    H.check(len(types) >= 2, "intel has fewer than two object types")
    t1, t2 = types[0][0], types[1][0]
    params, nxt = _first_next(INTEL, [("match[type]", t1)])
    r = H.get(H.coll_path(INTEL, "objects/"), [("match[type]", t2), ("limit", 10), ("next", nxt)])
    H.expect(r, 400, what="next from match[type]=%s used with match[type]=%s" % (t1, t2))
    r = H.get(H.coll_path(INTEL, "objects/"), [("limit", 10), ("next", nxt)])
    H.expect(r, 400, what="next from a match[type] query used without the filter")
    r = H.get(H.coll_path(INTEL, "objects/"), params + [("match[version]", "all"), ("next", nxt)])
    H.expect(r, 400, what="next used with an added match[version]")
    # The same query on another collection: the path is not part of the
    # query, so 3.4 does not decide this; Appendix B only requires that no
    # data outside the query / authorisation comes back.  200 or 400.
    r = H.get(H.coll_path(TELECOM, "objects/"), params + [("next", nxt)])
    H.expect(r, 200, 400, what="next from intel used on telecom")
    if r.status == 200:
        tel = set(H.snapshot(TELECOM).by_id)
        H.check(all(o["id"] in tel and o["type"] == t1 for o in H.check_envelope(r.json)),
                "intel next token on telecom returned objects outside the query")
    r = H.get(H.coll_path(INTEL, "objects/"), params + [("added_after", "2000-01-01T00:00:00.000000Z"),
                                                        ("next", nxt)])
    H.expect(r, 400, what="next used with an added added_after")


def test_next_token_other_endpoint_never_5xx():
    params, nxt = _first_next()
    r = H.get(H.coll_path(INTEL, "manifest/"), params + [("next", nxt)])
    H.expect(r, 200, 400, what="objects next token used on manifest")
    oid = next(iter(H.snapshot(INTEL).by_id))
    r = H.get(H.obj_path(INTEL, oid), [("next", nxt)])
    H.expect(r, 200, 400, 404, what="objects next token used on an object")


def test_next_with_added_after_in_original_query():
    s = H.snapshot(INTEL)
    recs = s.records
    cut = recs[len(recs) // 3]["date_added"]
    expected = [(r["id"], r["version"]) for r in recs if r["date_added"] > cut]
    got, _ = H.crawl(H.coll_path(INTEL, "manifest/"),
                     [("match[version]", "all"), ("added_after", cut)], page_limit=200, mode="auto")
    H.eq(rec_pairs(got), expected, "manifest crawl with added_after in the original query")
    objs, _ = H.crawl(H.coll_path(INTEL, "objects/"),
                      [("match[version]", "all"), ("added_after", cut)], page_limit=200, mode="next")
    H.eq(norm(pairs(objs)), norm(expected), "objects crawl (next) with added_after in the query")


def test_objects_readable_by_every_reader():
    for user in H.ALL_USERS:
        for coll in (INTEL, TELECOM, "reference"):
            r = H.get_ok(H.coll_path(coll, "objects/"), [("limit", 5)], user=user)
            H.check_envelope(r.json)
    for user in ("usa", "admin"):
        H.get_ok(H.coll_path("submissions", "objects/"), [("limit", 5)], user=user)
