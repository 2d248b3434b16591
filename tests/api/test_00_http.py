"""Cross-cutting HTTP behaviour: content negotiation (spec 1.6.8, 3.1),
trailing slashes (3.1), unknown paths and methods, headers (3.2, 8.2.1)."""

import http.client
import threading

import harness as H

INTEL = "intel"


def _endpoints():
    """One GET URL per TAXII endpoint (objects-level ones use a real object)."""
    snap = H.snapshot(INTEL)
    oid = next(iter(snap.by_id))
    return [
        H.DISCOVERY,
        H.API_ROOT,
        H.API_ROOT + "collections/",
        H.coll_path(INTEL),
        H.coll_path(INTEL, "manifest/?limit=2"),
        H.coll_path(INTEL, "objects/?limit=2"),
        H.obj_path(INTEL, oid),
        H.obj_path(INTEL, oid, "versions/"),
    ]


def test_success_responses_carry_taxii_content_type():
    # Spec 3.1: every TAXII response carries the media type + version.
    for path in _endpoints():
        r = H.get_ok(path)
        H.check(H.is_taxii_ctype(r.headers.get("Content-Type")), "Content-Type of " + path)


def test_accept_variants_are_served_as_taxii_2_1():
    # Spec 1.6.8.2: unversioned application/taxii+json = latest version;
    # 3.1: defined media types MUST NOT yield 406.  Brief: missing Accept,
    # */* and application/* are tolerated.  RFC 7231 3.1.1.1: type/subtype
    # and parameter names are case-insensitive, whitespace around ';' allowed.
    variants = [
        H.TAXII_MT,
        None,
        "*/*",
        "application/*",
        "application/taxii+json",
        "application/taxii+json; version=2.1",
        "APPLICATION/TAXII+JSON;VERSION=2.1",
        "application/taxii+json;version=2.1;q=0.9",
        "application/xml, application/taxii+json;version=2.1",
        "application/taxii+json;version=2.0, application/taxii+json;version=2.1",
        "text/html;q=0.5, */*;q=0.1",
    ]
    for path in _endpoints():
        for acc in variants:
            r = H.get(path, accept=acc)
            H.expect(r, 200, what="GET %s with Accept %r" % (path, acc))
            H.check(H.is_taxii_ctype(r.headers.get("Content-Type")),
                    "GET %s Accept %r: Content-Type %r" % (path, acc, r.headers.get("Content-Type")))


def test_accept_other_versions_and_types_406():
    # Brief: application/taxii+json;version=2.0 and application/xml -> 406
    # (spec 3.1 permits 406 for media types not defined for the endpoint).
    variants = [
        "application/taxii+json;version=2.0",
        "application/taxii+json;version=3.0",
        "application/xml",
        "text/html",
    ]
    for path in _endpoints():
        for acc in variants:
            r = H.get(path, accept=acc)
            H.expect(r, 406, what="GET %s with Accept %r" % (path, acc))


def test_accept_json_or_stix_media_type_never_5xx():
    # Spec 3.1: undefined media types MAY be satisfied or MAY yield 406.
    for path in _endpoints():
        for acc in ("application/json", "application/stix+json;version=2.1", "", "garbage",
                    "application/taxii+json;version=", "application/taxii+json;version"):
            r = H.get(path, accept=acc)
            H.expect(r, 200, 406, 400, what="GET %s with Accept %r" % (path, acc))


def test_missing_trailing_slash_is_404():
    # Spec 3.1: request paths MUST end in '/'.  Brief: otherwise 404.
    snap = H.snapshot(INTEL)
    oid = next(iter(snap.by_id))
    for path in ["/taxii2", "/hub", "/hub/collections", H.coll_path(INTEL)[:-1],
                 H.coll_path(INTEL, "objects"), H.coll_path(INTEL, "manifest"),
                 H.obj_path(INTEL, oid)[:-1], H.obj_path(INTEL, oid, "versions"),
                 "/hub/status/2d086da7-4bdc-4f91-900e-d77486753710",
                 H.coll_path(INTEL, "objects") + "?limit=1"]:
        H.expect(H.get(path), 404, what="GET " + path)


def test_unknown_paths_are_404():
    for path in ["/", "/taxii/", "/taxii2/extra/", "/nope/", "/hub/nope/",
                 "/hub/collections/%s/nope/" % H.COLLECTIONS[INTEL],
                 "/hub/collections/%s/objects/a/b/" % H.COLLECTIONS[INTEL],
                 "/hub/status/", "/hub/channels/", "/hub/collections//"]:
        H.expect(H.get(path), 404, what="GET " + path)
    # Empty path segments: RFC 3986 does not make '//' equivalent to '/', but
    # a server may normalise them; either answer is fine, never 5xx.
    for path in ["//hub/", "/hub//collections/", "/taxii2//", "/hub/./", "/hub/../hub/"]:
        H.expect(H.get(path), 200, 400, 404, what="GET " + path)


def test_unsupported_methods_rejected():
    # Spec 3.1 table lists the methods per URL; others are not defined.
    # Assumed: 405 (with Allow, RFC 7231) or 404.  Never 2xx, never 5xx.
    snap = H.snapshot(INTEL)
    oid = next(iter(snap.by_id))
    cases = [
        ("POST", H.DISCOVERY), ("PUT", H.DISCOVERY), ("DELETE", H.DISCOVERY),
        ("POST", H.API_ROOT), ("DELETE", H.API_ROOT),
        ("POST", H.API_ROOT + "collections/"), ("PUT", H.coll_path(INTEL)),
        ("DELETE", H.coll_path(INTEL)), ("POST", H.coll_path(INTEL, "manifest/")),
        ("PUT", H.coll_path(INTEL, "objects/")), ("PATCH", H.coll_path(INTEL, "objects/")),
        ("DELETE", H.coll_path(INTEL, "objects/")),
        ("PUT", H.obj_path(INTEL, oid)), ("PATCH", H.obj_path(INTEL, oid)),
        ("POST", H.obj_path(INTEL, oid, "versions/")),
        ("DELETE", H.obj_path(INTEL, oid, "versions/")),
        ("POST", "/hub/status/2d086da7-4bdc-4f91-900e-d77486753710/"),
    ]
    for method, path in cases:
        body = b'{"objects":[]}' if method in ("POST", "PUT", "PATCH") else None
        r = H.request(method, path, body=body)
        H.expect(r, 404, 405, what="%s %s" % (method, path))
    # the object still exists afterwards
    H.get_ok(H.obj_path(INTEL, oid))


def test_unknown_method_never_crashes():
    # RFC 7231 4.1 recommends 501 for unrecognised methods; that single
    # 5xx is accepted here (it is the RFC's answer), nothing else.
    for method in ("FOO", "TRACE", "OPTIONS", "PROPFIND"):
        r = H.request(method, H.DISCOVERY, checks=False)
        H.check(r.status in (200, 204, 400, 404, 405, 501),
                "%s %s -> %d" % (method, H.DISCOVERY, r.status))
        if 400 <= r.status < 500 and method != "TRACE":
            H.check_response(method, H.DISCOVERY, r)
    H.server_alive_check()


def test_head_never_5xx():
    for path in _endpoints():
        r = H.request("HEAD", path)
        H.check(r.status in (200, 404, 405), "HEAD %s -> %d" % (path, r.status))


def test_user_agent_optional():
    # Spec 8.2.1: SHOULD NOT reject a valid request without User-Agent.
    # http.client sends none by default; also try an unusual one.
    H.get_ok(H.coll_path(INTEL, "objects/?limit=1"))
    H.get_ok(H.coll_path(INTEL, "objects/?limit=1"), headers={"User-Agent": "x" * 2000})


def test_date_header_present():
    # Spec 3.4 (added_after note): the HTTP Date header lets clients detect
    # clock skew; RFC 7231 7.1.1.2: an origin server with a clock MUST send it.
    import email.utils
    for path in _endpoints():
        r = H.get_ok(path)
        d = r.headers.get("Date")
        H.check(d, "no Date header on GET " + path)
        H.check(email.utils.parsedate_tz(d) is not None, "unparsable Date %r" % d)


def test_keep_alive_connection_reuse():
    # Several requests on one persistent HTTP/1.1 connection.
    scheme, host, port = H.TARGET
    conn = H._connection(scheme, host, port, 30)
    try:
        for path in (H.DISCOVERY, H.API_ROOT, H.coll_path(INTEL, "objects/?limit=3"),
                     "/nope/", H.API_ROOT + "collections/"):
            conn.request("GET", path, headers={"Accept": H.TAXII_MT,
                                               "Authorization": H.basic("usa", "demo-usa")})
            resp = conn.getresponse()
            data = resp.read()
            r = H.Response(resp.status, resp.msg, data, H.parse_json(data))
            H.check_response("GET", path, r)
            H.check(r.status in (200, 404), "keep-alive GET %s -> %d" % (path, r.status))
    finally:
        conn.close()


def test_concurrent_requests():
    errors = []
    paths = [H.coll_path(INTEL, "objects/?limit=50"), H.coll_path("telecom", "manifest/?limit=50"),
             H.API_ROOT + "collections/", H.DISCOVERY]

    def worker(n):
        try:
            for i in range(6):
                p = paths[(n + i) % len(paths)]
                user = H.ALL_USERS[(n + i) % len(H.ALL_USERS)]
                r = H.get(p, user=user, timeout=60)
                if r.status != 200:
                    errors.append("%s as %s -> %d" % (p, user, r.status))
        except BaseException as e:  # noqa: BLE001
            errors.append(str(e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    H.check(not any(t.is_alive() for t in threads), "concurrent requests did not finish in 120 s")
    H.check(not errors, "concurrent requests failed: %s" % errors[:5])


def test_error_resource_http_status_is_string():
    # Spec 3.6.1: http_status (optional) has type *string*.
    for path in ("/nope/", H.coll_path("00000000-0000-4000-8000-000000000000")):
        r = H.get(path)
        H.expect(r, 404, what="GET " + path)
        if "http_status" in r.json:
            H.check(isinstance(r.json["http_status"], str),
                    "error http_status must be a string (spec 3.6.1), got %r" % r.json["http_status"])


def test_responses_have_no_duplicate_keys_and_are_utf8():
    # Spec 1.6.7 (I-JSON): parse every endpoint strictly.
    for path in _endpoints():
        r = H.get_ok(path)
        H.check(r.json is not None, "not strict JSON: " + path)
    # http.client sanity: the HTTP version is 1.1 or 1.0
    H.check(http.client.HTTPConnection._http_vsn in (10, 11), "client sanity")
