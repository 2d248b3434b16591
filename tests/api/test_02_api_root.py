"""API root information (spec 4.2, 4.2.1)."""

import re

import harness as H


def test_api_root_resource():
    for user in H.ALL_USERS:
        r = H.get_ok(H.API_ROOT, user=user)
        d = r.json
        H.only_known_keys(d, ("title", "description", "versions", "max_content_length"),
                          "api-root")
        H.no_empty_lists(d, "api-root")
        H.check(isinstance(d.get("title"), str) and d["title"].strip(),
                "api-root: title required")
        if "description" in d:
            H.check(isinstance(d["description"], str), "api-root: description not a string")
        vs = d.get("versions")
        H.check(isinstance(vs, list) and vs, "api-root: versions required, non-empty list")
        H.check(H.TAXII_MT in vs, "api-root: versions %r lacks %r (spec 4.2.1 MUST)" % (vs, H.TAXII_MT))
        for v in vs:
            # 4.2.1: values MUST match the 1.6.8.1 media type and include a version.
            H.check(isinstance(v, str) and re.match(r"^application/taxii\+json;version=\d+\.\d+$", v),
                    "api-root: version entry %r is not application/taxii+json;version=n.m" % (v,))
        m = d.get("max_content_length")
        H.check(isinstance(m, int) and not isinstance(m, bool) and m > 0,
                "api-root: max_content_length %r must be a positive integer" % (m,))
        H.check(m <= 2 ** 53 - 1, "api-root: max_content_length outside I-JSON integer range")


def test_api_root_same_for_all_users():
    base = H.get_ok(H.API_ROOT).json
    for user in H.ALL_USERS:
        H.eq(H.get_ok(H.API_ROOT, user=user).json["max_content_length"],
             base["max_content_length"], "max_content_length for " + user)


def test_unknown_api_root_404():
    for path in ("/hub2/", "/api1/", "/hubx/", "/h/", "/taxii2/hub/"):
        H.expect(H.get(path), 404, what="GET " + path)
        H.expect(H.get(path + "collections/"), 404, what="GET " + path + "collections/")


def test_api_root_requires_auth():
    # Brief: no credentials -> 401 (4.2 lists 401/403/404).
    r = H.get(H.API_ROOT, user=None)
    H.expect(r, 401, what="GET /hub/ without credentials")
    r = H.get(H.API_ROOT, user="usa", password="nope")
    H.expect(r, 401, what="GET /hub/ with a wrong password")
