"""Server discovery (spec 4.1, 4.1.1, 8.2.1)."""

import urllib.parse

import harness as H


def _discovery(user="usa"):
    r = H.get_ok(H.DISCOVERY, user=user)
    return r.json


def _api_root_path(u):
    """Path of an advertised API root on this server, or None if elsewhere."""
    if u.startswith("/"):
        return u
    p = urllib.parse.urlsplit(u)
    if p.hostname in ("127.0.0.1", "localhost") and (p.port in (None, H.TARGET[2])):
        return p.path
    return None


def test_discovery_resource_shape():
    for user in H.ALL_USERS:
        d = _discovery(user)
        H.only_known_keys(d, ("title", "description", "contact", "default", "api_roots"),
                          "discovery")
        H.no_empty_lists(d, "discovery")
        H.check(isinstance(d.get("title"), str) and d["title"].strip(),
                "discovery: title is required and must be a non-empty string")
        for k in ("description", "contact", "default"):
            if k in d:
                H.check(isinstance(d[k], str), "discovery: %s must be a string" % k)
        if "api_roots" in d:
            H.check(isinstance(d["api_roots"], list) and d["api_roots"],
                    "discovery: api_roots must be a non-empty list")
            H.check(len(set(d["api_roots"])) == len(d["api_roots"]),
                    "discovery: duplicate api_roots")


def test_discovery_api_root_url_rules():
    # 4.1.1: HTTPS absolute URLs or relative URLs beginning with a single '/'
    # (not '//' nor '../'), never a query component.
    for user in H.ALL_USERS:
        d = _discovery(user)
        for u in d.get("api_roots", []):
            H.check(isinstance(u, str), "api_roots entry %r is not a string" % (u,))
            if u.startswith("/"):
                H.check(not u.startswith("//"), "relative API root %r begins with //" % u)
            else:
                H.check(u.lower().startswith("https://"),
                        "API root %r is neither https:// absolute nor /-relative (spec 4.1.1)" % u)
            H.check("?" not in u, "API root %r has a query component" % u)
            H.check(not u.startswith("../"), "API root %r begins with ../" % u)
            H.check(u.endswith("/"), "API root %r does not end with '/' (spec 3.1)" % u)


def test_discovery_lists_hub_for_every_user():
    # Brief: one API root at /hub/.  (4.1.1 allows per-client filtering, but
    # every demo login has collections there.)
    for user in H.ALL_USERS:
        d = _discovery(user)
        paths = [_api_root_path(u) for u in d.get("api_roots", [])]
        H.check(H.API_ROOT in paths, "%s: discovery api_roots %r do not include %s"
                % (user, d.get("api_roots"), H.API_ROOT))


def test_discovery_default_in_api_roots():
    # 4.1.1: default MUST be an item of api_roots.
    for user in H.ALL_USERS:
        d = _discovery(user)
        if "default" in d:
            H.check(d["default"] in d.get("api_roots", []),
                    "%s: default %r not in api_roots %r" % (user, d["default"], d.get("api_roots")))
            H.eq(_api_root_path(d["default"]), H.API_ROOT, "default API root path")


def test_discovery_api_roots_answer():
    for u in _discovery().get("api_roots", []):
        p = _api_root_path(u)
        if p is None:
            continue
        r = H.get_ok(p)
        H.check("versions" in r.json and "title" in r.json,
                "advertised API root %s does not return an api-root resource" % u)


def test_discovery_without_credentials():
    # 4.1: 401 is a listed response; a server may also serve discovery
    # publicly.  Either way, no 5xx and 401 carries WWW-Authenticate.
    r = H.get(H.DISCOVERY, user=None)
    H.expect(r, 200, 401, what="GET /taxii2/ without credentials")
    r = H.get(H.DISCOVERY, user="usa", password="wrong")
    H.expect(r, 200, 401, what="GET /taxii2/ with a wrong password")


def test_discovery_stable():
    a = _discovery()
    b = _discovery()
    H.eq(a, b, "two discovery responses")
