"""Authentication (spec 1.6.9, 8.2.2; RFC 7235, RFC 7617)."""

import base64

import harness as H

def _endpoints():
    oid = next(iter(H.snapshot("intel").by_id))
    return [
        ("GET", H.API_ROOT),
        ("GET", H.API_ROOT + "collections/"),
        ("GET", H.coll_path("intel")),
        ("GET", H.coll_path("intel", "objects/")),
        ("GET", H.coll_path("intel", "manifest/")),
        ("GET", H.obj_path("intel", oid)),
        ("GET", H.obj_path("intel", oid, "versions/")),
        ("GET", H.API_ROOT + "status/2d086da7-4bdc-4f91-900e-d77486753710/"),
        ("GET", H.coll_path("submissions", "objects/")),
        ("POST", H.coll_path("reference", "objects/")),
        ("DELETE", H.obj_path("intel", oid)),
    ]


def _envelope():
    import samples as S
    return S.envelope_text([S.compact(S.identity(name="auth test"))])


def _req(method, path, **kw):
    body = _envelope() if method == "POST" else None
    return H.request(method, path, body=body, **kw)


def test_every_demo_login_works():
    for user in H.ALL_USERS:
        H.get_ok(H.API_ROOT + "collections/", user=user)


def test_no_credentials_401():
    # 1.6.9: 401 + WWW-Authenticate.  (5.x allow 401 or 404; brief: 401.)
    for method, path in _endpoints():
        r = _req(method, path, user=None)
        H.expect(r, 401, what="%s %s without credentials" % (method, path))


def test_www_authenticate_offers_basic_with_realm():
    # 8.2.2: SHOULD implement Basic; RFC 7617 2: the realm parameter is
    # REQUIRED in a Basic challenge.
    r = H.get(H.API_ROOT + "collections/", user=None)
    H.expect(r, 401)
    ch = " ".join(r.headers.get_all("WWW-Authenticate"))
    H.check("basic" in ch.lower(), "WWW-Authenticate %r offers no Basic challenge" % ch)
    H.check("realm=" in ch.lower(), "Basic challenge without realm (RFC 7617): %r" % ch)


def test_wrong_password_401():
    for method, path in _endpoints():
        r = _req(method, path, user="usa", password="demo-usa-wrong")
        H.expect(r, 401, what="%s %s wrong password" % (method, path))
    for user in H.ALL_USERS:
        r = H.get(H.API_ROOT + "collections/", user=user, password="demo-" + user.upper())
        H.expect(r, 401, what="%s with a wrong-case password" % user)


def _strip_volatile(doc):
    return {k: v for k, v in doc.items() if k not in ("error_id",)}


def test_unknown_user_indistinguishable_from_wrong_password():
    # Appendix B: don't leak existence.  Brief: identical body.
    path = H.coll_path("intel", "objects/")
    w1 = H.get(path, user="usa", password="wrong-1")
    w2 = H.get(path, user="usa", password="wrong-2")
    u = H.get(path, user="nosuchuser", password="wrong-1")
    for r in (w1, w2, u):
        H.expect(r, 401)
    H.eq(u.headers.get("WWW-Authenticate"), w1.headers.get("WWW-Authenticate"),
         "WWW-Authenticate for unknown user vs wrong password")
    if w1.body == w2.body:
        H.eq(u.body, w1.body, "401 body for an unknown user vs a wrong password")
    else:
        H.eq(_strip_volatile(u.json), _strip_volatile(w1.json), "401 body (minus error_id)")
    for p in ("demo-usa", "nosuchuser", "wrong-1"):
        H.check(p.encode() not in u.body and p.encode() not in w1.body,
                "401 body echoes %r" % p)


def test_malformed_authorization_rejected():
    path = H.coll_path("intel", "objects/?limit=1")
    bad = [
        "Basic",
        "Basic ",
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"usa").decode(),           # no colon
        "Basic " + base64.b64encode(b":").decode(),
        "Basic " + base64.b64encode(b"usa:").decode(),
        "Basic " + base64.b64encode(b":demo-usa").decode(),
        "Basic " + base64.b64encode(b"usa:demo-usa:extra").decode(),
        # (NUL bytes in credentials: test_60_bad_input.test_nul_byte_does_not_truncate_input)
        "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
        "Basic " + base64.b64encode(b"usa:demo-usa").decode()[:-2],   # truncated
        "Basic " + base64.b64encode(b"usa:demo-usa").decode() + "garbage",
        "Basic " + "A" * 20000,
        "Bearer " + base64.b64encode(b"usa:demo-usa").decode(),
        "Digest username=\"usa\"",
        base64.b64encode(b"usa:demo-usa").decode(),
        "Basicdsa " + base64.b64encode(b"usa:demo-usa").decode(),
    ]
    for a in bad:
        r = H.get(path, auth=a)
        H.expect(r, 400, 401, what="Authorization %r" % a[:60])


def test_basic_scheme_is_case_insensitive():
    # RFC 7235 2.1: the auth-scheme is case-insensitive.
    token = base64.b64encode(b"usa:demo-usa").decode()
    for scheme in ("basic", "BASIC", "bAsIc"):
        r = H.get(H.API_ROOT + "collections/", auth="%s %s" % (scheme, token))
        H.expect(r, 200, what="Authorization scheme %r" % scheme)


def test_password_with_colon_and_unicode_rejected_cleanly():
    for user, pw in (("usa", "demo:usa"), ("us\u00e4", "demo-usa"), ("usa", "d\u00e9mo-usa"),
                     ("a" * 5000, "b" * 5000)):
        r = H.get(H.API_ROOT + "collections/", user=user, password=pw)
        H.expect(r, 401, what="user %r" % user[:20])


def test_read_only_partner_post_403():
    # 5.5 / brief: read-only partner POST -> 403.
    for user in H.PARTNERS + ["admin"]:
        r = H.post_envelope("intel", _envelope(), user=user)
        H.expect(r, 403, what="%s POST to intel" % user)
