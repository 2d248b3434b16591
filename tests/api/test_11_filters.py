"""Filtering: added_after, match[id], match[type], match[version],
match[spec_version], combinations and malformed values (spec 3.4, 3.4.1)."""

import harness as H

INTEL = "intel"
TELECOM = "telecom"

STIX21_TYPES = [
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
    "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
    "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability",
    "relationship", "sighting", "artifact", "autonomous-system", "directory", "domain-name",
    "email-addr", "email-message", "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex",
    "network-traffic", "process", "software", "url", "user-account", "windows-registry-key",
    "x509-certificate", "language-content", "marking-definition", "extension-definition",
]


def pairs(objs):
    return [(o["id"], H.ts_key(H.version_of(o))) for o in objs]


def query(coll, params, endpoint="objects/", page_limit=1000):
    """All items for a query (crawled), as normalised (id, version) pairs in order."""
    items, _ = H.crawl(H.coll_path(coll, endpoint), params, page_limit=page_limit, mode="auto")
    if endpoint == "manifest/":
        return [(r["id"], H.ts_key(r["version"])) for r in items]
    return pairs(items)


def expected(coll, pred, version="last"):
    """Expected sequence: snapshot objects (date_added order) filtered by
    `pred` and by the version selector ('last', 'first', 'all' or a set of
    normalised timestamps)."""
    s = H.snapshot(coll)
    keep = []
    if version == "last":
        sel = {(i, H.ts_key(H.version_of(o))) for i, o in s.latest().items()}
    elif version == "first":
        sel = {(i, H.ts_key(H.version_of(o))) for i, o in s.first().items()}
    elif version == "first,last":
        sel = ({(i, H.ts_key(H.version_of(o))) for i, o in s.latest().items()}
               | {(i, H.ts_key(H.version_of(o))) for i, o in s.first().items()})
    else:
        sel = None
    for o in s.objects:
        p = (o["id"], H.ts_key(H.version_of(o)))
        if not pred(o):
            continue
        if sel is not None and p not in sel:
            continue
        if isinstance(version, (set, frozenset)) and p[1] not in version:
            continue
        keep.append(p)
    return keep


def both(coll, params, exp, what):
    H.eq(query(coll, params), exp, what + " (objects)")
    H.eq(query(coll, params, "manifest/"), exp, what + " (manifest)")


def _multi(coll=INTEL, n=1):
    s = H.snapshot(coll)
    ids = s.multi_version_ids()
    if len(ids) < n:
        ids = s.multi_version_ids() + H.snapshot(TELECOM).multi_version_ids()
    H.check(len(ids) >= n, "need %d objects with several versions" % n)
    return ids[:n]


# ---- match[id] -------------------------------------------------------------

def test_match_id_single():
    s = H.snapshot(INTEL)
    for oid in list(s.by_id)[:5]:
        both(INTEL, [("match[id]", oid)], expected(INTEL, lambda o, i=oid: o["id"] == i),
             "match[id]=%s" % oid)


def test_match_id_comma_list():
    s = H.snapshot(INTEL)
    ids = list(s.by_id)
    pick = [ids[0], ids[len(ids) // 2], ids[-1]]
    unknown = H.new_id("indicator")
    both(INTEL, [("match[id]", ",".join(pick + [unknown]))],
         expected(INTEL, lambda o: o["id"] in pick), "match[id] list of 3 + 1 unknown")


def test_match_id_with_versions():
    oid = _multi()[0]
    coll = INTEL if oid in H.snapshot(INTEL).by_id else TELECOM
    for v in ("all", "first", "last", "first,last"):
        both(coll, [("match[id]", oid), ("match[version]", v)],
             expected(coll, lambda o: o["id"] == oid, v), "match[id]=%s&match[version]=%s" % (oid, v))


def test_match_id_from_other_collection_not_returned():
    tel = H.snapshot(TELECOM)
    intel_ids = set(H.snapshot(INTEL).by_id)
    foreign = [i for i in tel.by_id if i not in intel_ids][:3]
    H.check(foreign, "telecom has no id absent from intel")
    r = H.get_ok(H.coll_path(INTEL, "objects/"), [("match[id]", ",".join(foreign))])
    H.check("objects" not in r.json, "intel returned telecom objects for match[id]")


# ---- match[type] -----------------------------------------------------------

def test_match_type_single():
    for coll in (INTEL, TELECOM):
        types = sorted(H.snapshot(coll).types().items(), key=lambda kv: -kv[1])
        for t, _ in types[:3] + types[-1:]:
            both(coll, [("match[type]", t)], expected(coll, lambda o, t=t: o["type"] == t),
                 "%s match[type]=%s" % (coll, t))


def test_match_type_list():
    types = [t for t, _ in sorted(H.snapshot(INTEL).types().items(), key=lambda kv: -kv[1])]
    H.check(len(types) >= 3, "intel has fewer than 3 types")
    sel = [types[0], types[2], "grouping" if "grouping" not in types else "mutex"]
    both(INTEL, [("match[type]", ",".join(sel))], expected(INTEL, lambda o: o["type"] in sel),
         "match[type]=%s" % ",".join(sel))


def test_match_type_with_version_all():
    types = [t for t, _ in sorted(H.snapshot(INTEL).types().items(), key=lambda kv: -kv[1])]
    t = types[0]
    both(INTEL, [("match[type]", t), ("match[version]", "all")],
         expected(INTEL, lambda o: o["type"] == t, "all"), "match[type]=%s&match[version]=all" % t)


def test_match_type_every_stix21_type_no_error():
    # 3.4.1: requests for STIX 2.1 types MUST NOT result in an error.
    present = set(H.snapshot(INTEL).types())
    for t in STIX21_TYPES:
        r = H.get(H.coll_path(INTEL, "objects/"), [("match[type]", t), ("limit", 5)])
        H.expect(r, 200, what="match[type]=%s" % t)
        objs = H.check_envelope(r.json)
        H.check(all(o["type"] == t for o in objs), "match[type]=%s returned other types" % t)
        if t not in present:
            H.check(not objs, "match[type]=%s returned objects although none exist" % t)
    r = H.get(H.coll_path(INTEL, "manifest/"), [("match[type]", ",".join(STIX21_TYPES)), ("limit", 1000)])
    H.expect(r, 200, what="match[type]=<all STIX 2.1 types>")


def test_match_type_custom_type_never_5xx():
    # 3.4.1: other types MAY be fulfilled.
    for t in ("x-relto-nothing", "x-acme-widget"):
        r = H.get(H.coll_path(INTEL, "objects/"), [("match[type]", t)])
        H.expect(r, 200, 400, what="match[type]=%s" % t)
        if r.status == 200:
            H.check("objects" not in r.json, "match[type]=%s returned objects" % t)


def test_match_type_paginated():
    types = sorted(H.snapshot(INTEL).types().items(), key=lambda kv: -kv[1])
    t = types[0][0]
    got, _ = H.crawl(H.coll_path(INTEL, "objects/"), [("match[type]", t)], page_limit=7, mode="next")
    H.eq(pairs(got), expected(INTEL, lambda o: o["type"] == t), "match[type]=%s crawled 7 at a time" % t)


# ---- match[version] --------------------------------------------------------

def test_match_version_default_is_last():
    for coll in (INTEL, TELECOM):
        exp = expected(coll, lambda o: True, "last")
        H.eq(query(coll, []), exp, "%s: no match[version] (default last)" % coll)
        H.eq(query(coll, [("match[version]", "last")]), exp, "%s: match[version]=last" % coll)
        H.eq(query(coll, [], "manifest/"), exp, "%s: manifest default" % coll)


def test_match_version_first():
    for coll in (INTEL, TELECOM):
        both(coll, [("match[version]", "first")], expected(coll, lambda o: True, "first"),
             "%s match[version]=first" % coll)


def test_match_version_all():
    for coll in (INTEL, TELECOM):
        both(coll, [("match[version]", "all")], expected(coll, lambda o: True, "all"),
             "%s match[version]=all" % coll)


def test_match_version_first_and_last():
    # 3.4.1 example: ?match[version]=last,first
    for v in ("first,last", "last,first"):
        both(INTEL, [("match[version]", v)], expected(INTEL, lambda o: True, "first,last"),
             "match[version]=%s" % v)


def test_match_version_exact_timestamp():
    # 3.4.1: <value> = objects whose modified matches exactly.
    s = H.snapshot(INTEL)
    oid = _multi()[0]
    coll = INTEL if oid in s.by_id else TELECOM
    vs = H.snapshot(coll).versions(oid)
    for o in vs:
        ts = H.version_of(o)
        both(coll, [("match[version]", ts)],
             expected(coll, lambda x, ts=ts: H.same_instant(H.version_of(x), ts), "all"),
             "match[version]=%s" % ts)
        both(coll, [("match[id]", oid), ("match[version]", ts)],
             [(oid, H.ts_key(ts))], "match[id]=%s&match[version]=%s" % (oid, ts))


def test_match_version_several_timestamps():
    # 3.4.1 example: ?match[version]=2016-03-23T01:01:01.000Z,2018-03-02T01:01:01.123Z
    oid = _multi()[0]
    coll = INTEL if oid in H.snapshot(INTEL).by_id else TELECOM
    vs = [H.version_of(o) for o in H.snapshot(coll).versions(oid)]
    sel = {H.ts_key(vs[0]), H.ts_key(vs[-1])}
    both(coll, [("match[id]", oid), ("match[version]", "%s,%s" % (vs[0], vs[-1]))],
         expected(coll, lambda o: o["id"] == oid, sel), "two exact versions")


def test_match_version_keyword_and_timestamp():
    # 3.4.1 example: ?match[version]=first,2018-03-02T01:01:01.123Z,last
    s = H.snapshot(INTEL)
    ids = [i for i in s.multi_version_ids() if len(s.by_id[i]) >= 3]
    if not ids:
        ids = s.multi_version_ids()
    oid = ids[0]
    vs = s.versions(oid)
    mid = H.version_of(vs[len(vs) // 2])
    got = query(INTEL, [("match[id]", oid), ("match[version]", "first,%s,last" % mid)])
    want = expected(INTEL, lambda o: o["id"] == oid,
                    {H.ts_key(H.version_of(vs[0])), H.ts_key(mid), H.ts_key(H.version_of(vs[-1]))})
    H.eq(got, want, "match[version]=first,<middle>,last")


def test_match_version_nonexistent_timestamp_empty():
    r = H.get_ok(H.coll_path(INTEL, "objects/"), [("match[version]", "1999-09-09T09:09:09.999Z")])
    H.check("objects" not in r.json, "unmatched version returned objects")


def test_match_version_seconds_precision_timestamp_valid():
    # STIX timestamps may omit fractional seconds; a valid value, not an error.
    r = H.get(H.coll_path(INTEL, "objects/"), [("match[version]", "1999-09-09T09:09:09Z")])
    H.expect(r, 200, what="match[version] without fractional seconds")


def test_match_version_invalid_400():
    # 3.4.1: 'all' MUST NOT be combined; no duplicates; values are keywords
    # or STIX timestamps.  3.4: malformed parameters -> 400 (assumed: a
    # request breaking these MUSTs is malformed).
    ts = "2016-01-01T01:01:01.000Z"
    bad = ["latest", "ALL", "First", "all,all",
           "first,first", "last,last", "%s,%s" % (ts, ts), "first,%s,first" % ts,
           "2016-13-01T00:00:00.000Z", "2016-01-01", "first,", ",first", "first,,last", "",
           "2016-01-01T00:00:00.000+00:00", "2016-01-01T00:00:00.000", "yesterday", "1",
           "2016-02-30T00:00:00.000Z", "first last",
           # 'all' combined with anything else (3.4.1: MUST NOT)
           "all,first", "first,all", "last,all", "all,%s" % ts]
    for v in bad:
        for suffix in ("objects/", "manifest/"):
            r = H.get(H.coll_path(INTEL, suffix), [("match[version]", v)])
            H.expect(r, 400, what="GET %s?match[version]=%r" % (suffix, v))


# ---- match[spec_version] ---------------------------------------------------

def test_match_spec_version():
    exp = expected(INTEL, lambda o: True)
    both(INTEL, [("match[spec_version]", "2.1")], exp, "match[spec_version]=2.1")
    both(INTEL, [("match[spec_version]", "2.0,2.1")], exp, "match[spec_version]=2.0,2.1")
    # MUST NOT include spec versions not listed: every object is 2.1.
    for v in ("2.0", "3.0"):
        r = H.get_ok(H.coll_path(INTEL, "objects/"), [("match[spec_version]", v)])
        H.check("objects" not in r.json, "match[spec_version]=%s returned 2.1 objects" % v)
        r = H.get_ok(H.coll_path(INTEL, "manifest/"), [("match[spec_version]", v)])
        H.check("objects" not in r.json, "manifest match[spec_version]=%s returned records" % v)


def test_match_spec_version_with_version_all():
    both(INTEL, [("match[spec_version]", "2.1"), ("match[version]", "all")],
         expected(INTEL, lambda o: True, "all"), "match[spec_version]=2.1&match[version]=all")


def test_match_spec_version_garbage_never_5xx():
    for v in ("abc", "2", "2.1.1", "2.x", "-1"):
        r = H.get(H.coll_path(INTEL, "objects/"), [("match[spec_version]", v)])
        H.expect(r, 200, 400, what="match[spec_version]=%r" % v)
        if r.status == 200:
            H.check("objects" not in r.json, "match[spec_version]=%r returned objects" % v)


# ---- combinations, unknown and repeated parameters --------------------------

def test_match_fields_are_anded():
    s = H.snapshot(INTEL)
    types = sorted(s.types().items(), key=lambda kv: -kv[1])
    t1, t2 = types[0][0], types[1][0]
    a = [i for i in s.by_id if i.startswith(t1 + "--")][:2]
    b = [i for i in s.by_id if i.startswith(t2 + "--")][:2]
    both(INTEL, [("match[type]", t1), ("match[id]", ",".join(a + b))],
         expected(INTEL, lambda o: o["id"] in a), "match[type] AND match[id]")
    both(INTEL, [("match[type]", t1), ("match[id]", ",".join(a + b)), ("match[version]", "all"),
                 ("match[spec_version]", "2.1")],
         expected(INTEL, lambda o: o["id"] in a, "all"), "four match fields")
    both(INTEL, [("match[type]", t2), ("match[id]", ",".join(a))], [], "disjoint type and id")


def test_unknown_match_field_ignored():
    # 3.4: servers MAY ignore fields they do not understand (brief: ignored).
    base = query(INTEL, [("match[version]", "all")])
    for field in ("match[foo]", "match[created_by_ref]", "match[x_relto]", "match[labels]"):
        H.eq(query(INTEL, [("match[version]", "all"), (field, "bar")]), base,
             "%s=bar must be ignored" % field)


def test_unknown_plain_parameter_never_5xx():
    for p in ("foo", "type", "id", "version", "x_relto"):
        r = H.get(H.coll_path(INTEL, "objects/"), [(p, "bar"), ("limit", 3)])
        H.expect(r, 200, 400, what="unknown parameter %s" % p)


def test_repeated_parameter_400():
    # 3.4: added_after at most once; each match field at most once.  Brief:
    # any query parameter given twice -> 400.
    oid = next(iter(H.snapshot(INTEL).by_id))
    r = H.get_ok(H.coll_path(INTEL, "objects/"), [("limit", 2)])
    nxt = r.json["next"]
    dups = [
        [("limit", 5), ("limit", 5)],
        [("limit", 5), ("limit", 6)],
        [("match[type]", "indicator"), ("match[type]", "malware")],
        [("match[type]", "indicator"), ("match[type]", "indicator")],
        [("match[id]", oid), ("match[id]", oid)],
        [("match[version]", "first"), ("match[version]", "last")],
        [("match[spec_version]", "2.1"), ("match[spec_version]", "2.1")],
        [("added_after", "2000-01-01T00:00:00.000000Z"), ("added_after", "2001-01-01T00:00:00.000000Z")],
        [("limit", 2), ("next", nxt), ("next", nxt)],
    ]
    for params in dups:
        for suffix in ("objects/", "manifest/"):
            r = H.get(H.coll_path(INTEL, suffix), params)
            H.expect(r, 400, what="GET %s%s" % (suffix, H.qs(params)))
    for params in ([("match[version]", "all"), ("match[version]", "all")],
                   [("limit", 1), ("limit", 1)]):
        for suffix in ("objects/%s/" % oid, "objects/%s/versions/" % oid):
            r = H.get(H.coll_path(INTEL, suffix), params)
            H.expect(r, 400, what="GET %s%s" % (suffix, H.qs(params)))


def test_empty_match_values_400():
    # 3.4: a field carries one or more values; an empty value is malformed
    # (assumed) -> 400.
    for field in ("match[type]", "match[id]", "match[version]", "match[spec_version]",
                  "added_after", "limit"):
        r = H.get(H.coll_path(INTEL, "objects/"), [(field, "")])
        H.expect(r, 400, what="%s= (empty)" % field)
    for field in ("match[type]", "match[id]"):
        r = H.get(H.coll_path(INTEL, "objects/"), [(field, "indicator,,malware")])
        H.expect(r, 200, 400, what="%s with an empty list element" % field)


def test_values_with_spaces_never_5xx():
    # 3.4: values are separated by a comma without spaces.
    types = [t for t, _ in sorted(H.snapshot(INTEL).types().items(), key=lambda kv: -kv[1])]
    r = H.get(H.coll_path(INTEL, "objects/"), [("match[type]", "%s, %s" % (types[0], types[1]))])
    H.expect(r, 200, 400, what="match[type] with a space")
    if r.status == 200:
        H.check(all(o["type"] in types[:2] for o in H.check_envelope(r.json)),
                "spaced match[type] returned other types")


# ---- added_after -------------------------------------------------------------

def test_added_after_filters_by_date_added():
    for coll in (INTEL, TELECOM):
        s = H.snapshot(coll)
        recs = s.records
        for frac in (0.1, 0.5, 0.9):
            cut = recs[int(len(recs) * frac)]["date_added"]
            exp = expected(coll, lambda o, cut=cut: s.added(o) > cut, "all")
            both(coll, [("match[version]", "all"), ("added_after", cut)], exp,
                 "%s added_after=%s" % (coll, cut))
            # one microsecond earlier includes the record at the cut
            before = H.taxii_ts_add(cut, -1)
            exp2 = expected(coll, lambda o, b=before: s.added(o) > b, "all")
            H.eq(query(coll, [("match[version]", "all"), ("added_after", before)], "manifest/"), exp2,
                 "%s added_after=%s" % (coll, before))


def test_added_after_with_default_version():
    s = H.snapshot(INTEL)
    cut = s.records[len(s.records) // 2]["date_added"]
    exp = expected(INTEL, lambda o: s.added(o) > cut, "last")
    both(INTEL, [("added_after", cut)], exp, "added_after without match[version]")


def test_added_after_before_everything_and_in_future():
    exp = expected(INTEL, lambda o: True)
    H.eq(query(INTEL, [("added_after", "1970-01-01T00:00:00.000000Z")]), exp, "added_after=1970")
    for suffix in ("objects/", "manifest/"):
        r = H.get_ok(H.coll_path(INTEL, suffix), [("added_after", "2999-01-01T00:00:00.000000Z")])
        H.check("objects" not in r.json, "added_after in the future returned %s" % r.body[:200])
        H.check(not r.json.get("more"), "added_after in the future: more=true")


def test_added_after_last_header_gives_nothing_more():
    r = H.get_ok(H.coll_path(INTEL, "manifest/"), [("match[version]", "all"), ("limit", 1000)])
    if r.json.get("more"):
        items, resps = H.crawl(H.coll_path(INTEL, "manifest/"), [("match[version]", "all")],
                               mode="auto")
        r = resps[-1]
    last = r.headers.get("X-TAXII-Date-Added-Last")
    r2 = H.get_ok(H.coll_path(INTEL, "objects/"), [("match[version]", "all"), ("added_after", last)])
    H.check("objects" not in r2.json, "objects added after the newest date_added exist")


def test_added_after_invalid_400():
    # 2: TAXII timestamp = RFC 3339, UTC with 'Z'.  3.4: malformed -> 400.
    bad = ["yesterday", "2016-13-01T00:00:00.000000Z", "2016-01-32T00:00:00.000000Z",
           "2016-02-30T00:00:00.000000Z", "2016-01-01T25:00:00.000000Z",
           "2016-01-01T00:60:00.000000Z", "2016-01-01T00:00:00.000000+01:00",
           "2016-01-01T00:00:00.000000", "2016-01-01 00:00:00.000000Z", "1451606400", "",
           "2016-01-01", "2016-01-01T00:00:00.000000ZZ", "2016-01-01T00:00:00.Z",
           "0000-00-00T00:00:00.000000Z", "2016-1-1T0:0:0.000000Z", "2016-01-01T00:00:00.00000aZ",
           "2016-01-01T00:00:00.000000Z,2017-01-01T00:00:00.000000Z", "-2016-01-01T00:00:00.000000Z"]
    for v in bad:
        for suffix in ("objects/", "manifest/"):
            r = H.get(H.coll_path(INTEL, suffix), [("added_after", v)])
            H.expect(r, 400, what="GET %s?added_after=%r" % (suffix, v))


def test_added_after_other_precisions_never_5xx():
    # 2 says a TAXII timestamp MUST have microsecond precision; a lenient
    # server may still accept seconds/milliseconds.  Either 400 or a correct
    # filter result.
    for v in ("2016-01-01T00:00:00Z", "2016-01-01T00:00:00.000Z", "2016-01-01T00:00:00.1234567Z",
              "2016-01-01t00:00:00.000000z"):
        r = H.get(H.coll_path(INTEL, "objects/"), [("added_after", v), ("limit", 5)])
        H.expect(r, 200, 400, what="added_after=%r" % v)
        if r.status == 200:
            H.eq(len(H.check_envelope(r.json)), 5, "added_after=%r (all objects are newer)" % v)
