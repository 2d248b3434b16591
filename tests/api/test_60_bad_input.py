"""Hostile and malformed input: every answer a 4xx TAXII error resource (for
requests that are valid HTTP), never a 5xx, a hang or a crash.

Requests that are not valid HTTP at all (NUL bytes in the request line,
garbage request lines) may also be answered by closing the connection; the
server must survive them.
"""

import socket
import threading
import time

import harness as H

INTEL = "intel"
IID = H.COLLECTIONS[INTEL]


def _raw(data, what, allow_5xx=(), allow_silence=True, timeout=10):
    """Send a raw (usually invalid) request.  The write side is shut down
    after sending.  No answer at all within `timeout` is accepted when
    allow_silence (an unfinished request may wait for the server's idle
    timeout); each test ends by checking that the server still serves."""
    try:
        st, out = H.raw_exchange(data, timeout=timeout)
    except H.Failure:
        if allow_silence:
            return None, b""
        raise
    if st is not None:
        H.check(st < 500 or st in allow_5xx, "%s: %d response: %r" % (what, st, out[:200]))
    return st, out


def _host():
    return ("127.0.0.1:%d" % H.TARGET[2]).encode()


def _auth():
    return H.basic("usa", "demo-usa").encode()


def _get_raw(target, extra=b""):
    return (b"GET " + target + b" HTTP/1.1\r\nHost: " + _host() + b"\r\nAccept: "
            + H.TAXII_MT.encode() + b"\r\nAuthorization: " + _auth() + b"\r\n" + extra
            + b"Connection: close\r\n\r\n")


def test_long_paths():
    for n in (4096, 16384, 65536, 262144):
        r = H.get(H.API_ROOT + "collections/" + "a" * n + "/", timeout=60, layer_lenient=True)
        H.expect(r, 400, 404, 414, what="GET a %d-character collection id" % n)
        r = H.get(H.coll_path(INTEL, "objects/" + "indicator--" + "b" * n + "/"), timeout=60,
                  layer_lenient=True)
        H.expect(r, 400, 404, 414, what="GET a %d-character object id" % n)
    H.server_alive_check()


def test_long_query_strings():
    for n in (4096, 65536, 262144):
        for params in ([("match[id]", "indicator--" + "c" * n)], [("match[type]", "x" * n)],
                       [("added_after", "2" * n)], [("limit", "9" * n)], [("next", "n" * n)],
                       [("match[version]", "2016-01-01T00:00:00." + "0" * n + "Z")],
                       [("x" * n, "1")]):
            r = H.get(H.coll_path(INTEL, "objects/"), params, timeout=60, layer_lenient=True)
            H.expect(r, 200, 400, 414, what="GET objects with a %d-char %s" % (n, params[0][0][:20]))
            if params[0][0] in ("limit", "next", "added_after") and r.status == 200:
                H.fail("a %d-character %s was accepted" % (n, params[0][0]))
    H.server_alive_check()


def test_many_ids_in_match_id():
    s = H.snapshot(INTEL)
    real = list(s.by_id)[:2]
    ids = [H.new_id("indicator") for _ in range(400)] + real
    r = H.get(H.coll_path(INTEL, "objects/"), [("match[id]", ",".join(ids))])
    H.expect(r, 200, 400, 414, what="match[id] with 402 ids")
    if r.status == 200:
        H.eq(sorted(o["id"] for o in H.check_envelope(r.json)), sorted(real), "objects for 402 ids")


def test_many_values_in_match_type():
    r = H.get(H.coll_path(INTEL, "objects/"), [("match[type]", ",".join(["x-t%d" % i for i in range(3000)])),
                                               ("limit", 5)])
    H.expect(r, 200, 400, 414, what="match[type] with 3000 values")


def test_percent_encoding_garbage_in_paths():
    paths = [
        "/hub/collections/%zz/", "/hub/%/", "/hub/collections/%/objects/",
        "/taxii2/%2e%2e/", "/hub/collections/..%2f..%2f/", "/hub/collections/%s%%2F/objects/" % IID,
        "/hub/collections/%E2%80%AE/", "/hub/%2e%2e/taxii2/",
        "/hub/collections/%s/objects/..%%2F..%%2F..%%2Fetc%%2Fpasswd/" % IID,
        "/hub/collections/%s/objects/%%/versions/" % IID, "/hub/status/%zz/",
        "/hub%2F/", "/%2Fhub/",
        # bytes that are not UTF-8 once decoded (the error body must stay UTF-8 JSON)
        "/%ff%fe/", "/hub/collections/%C0%AF/", "/hub/collections/%s/objects/%%ff%%fe/" % IID,
    ]
    for p in paths:
        r = H.get(p)
        H.expect(r, 400, 404, what="GET " + p)
    H.server_alive_check()


def test_http_layer_errors_are_taxii_errors():
    # Brief: EVERY 4xx body is a TAXII error resource with the TAXII
    # Content-Type -- including the 414/431 answers to oversized request
    # lines and headers (3.1: all TAXII responses carry the media type).
    r = H.get(H.API_ROOT + "collections/" + "a" * 70000 + "/", timeout=60)
    H.expect(r, 400, 404, 414, what="GET a 70000-character path")
    r = H.get(H.DISCOVERY, headers={"X-Big": "v" * 70000}, timeout=60)
    H.expect(r, 200, 400, 413, 431, what="a 70000-byte header")


def test_nul_byte_does_not_truncate_input():
    # A percent-encoded NUL must not cut a path, a query value or a
    # credential short: /hub/collections/%00junk/ is not /hub/collections/.
    for p in ("/hub/collections/%00/", "/hub/collections/%00junk/", "/taxii2/%00/",
              "/hub/%00/collections/", "/taxii2%00/", "/hub/status/%00/",
              "/hub/collections/%s/objects/%%00/" % IID):
        H.expect(H.get(p), 400, 404, what="GET " + p)
        H.expect(H.request("DELETE", p), 400, 404, 405, what="DELETE " + p)
    for q in ("limit=5%00", "limit=5%00junk", "limit=%00", "added_after=%00",
              "added_after=2016-01-01T00:00:00.000000Z%00junk", "match[version]=%00",
              "match[version]=first%00junk", "next=%00"):
        H.expect(H.get(H.coll_path(INTEL, "objects/") + "?" + q), 400, what="GET objects/?" + q)
    r = H.get(H.coll_path(INTEL, "objects/") + "?match[type]=indicator%00junk")
    H.expect(r, 200, 400, what="match[type]=indicator%00junk")
    if r.status == 200:
        H.check("objects" not in r.json, "match[type]=indicator%00junk matched indicators")
    import base64
    for cred in (b"usa:demo-usa\x00", b"usa:demo-usa\x00garbage", b"usa\x00junk:demo-usa"):
        r = H.get(H.API_ROOT + "collections/", auth="Basic " + base64.b64encode(cred).decode())
        H.expect(r, 400, 401, what="credentials %r" % cred)


def test_percent_encoded_but_equivalent_paths_never_5xx():
    # RFC 3986 6.2.2.2: percent-encoded unreserved characters are equivalent
    # to the characters.  A server may or may not normalise.
    enc = "".join("%%%02X" % ord(c) for c in IID[:4]) + IID[4:]
    for p in ("/hub/collections/%s/" % enc, "/%%74axii2/", "/hub/collections/%s/objects/?limit=1" % enc):
        r = H.get(p)
        H.expect(r, 200, 400, 404, what="GET " + p)


def test_query_garbage():
    cases = [
        ("limit=%zz", True), ("added_after=%ff", True), ("next=%zz", True),
        ("limit=5&limit", True), ("limit", True),
        ("match[id]=%E2%80%AE", False),
        ("%zz=1", False), ("=5", False), ("&&&", False), ("match[type", False),
        ("match[[type]]=indicator", False), ("match]type[=indicator", False), ("?limit=5", False),
        ("limit=5&&match[type]=indicator", False), ("match%5Btype%5D=indicator", False),
        ("match[type]=indicator&match%5Btype%5D=malware", False), ("%", False), ("a=%", False),
        ("match[type]=indicator;limit=5", False), ("limit=5#frag", False),
        ("match[type]=%ff%fe", False), ("match[id]=indicator--%ff", False), ("limit=%ff", True),
    ]
    for q, strict in cases:
        r = H.get(H.coll_path(INTEL, "objects/") + "?" + q)
        if strict:
            H.expect(r, 400, what="GET objects/?" + q)
        else:
            H.expect(r, 200, 400, what="GET objects/?" + q)
    H.server_alive_check()


def test_injection_like_values_do_not_widen_results():
    # Values that look like SQL/LIKE/glob syntax must match nothing (or 400).
    for field, val in (("match[id]", "' OR 1=1 --"), ("match[id]", "indicator--%"),
                       ("match[id]", "*"), ("match[type]", "indicator' OR '1'='1"),
                       ("match[type]", "%"), ("match[type]", "*"), ("match[type]", "_ndicator"),
                       ("match[type]", "indicator%"), ("match[spec_version]", "2.1' OR '1'='1"),
                       ("match[type]", "indicator\") OR (\"1\"=\"1"), ("match[id]", "\\")):
        for suffix in ("objects/", "manifest/"):
            r = H.get(H.coll_path(INTEL, suffix), [(field, val)])
            H.expect(r, 200, 400, what="%s=%r" % (field, val))
            if r.status == 200:
                H.check("objects" not in r.json, "%s=%r returned results: %s" % (field, val, r.body[:200]))
    for val in ("2016-01-01T00:00:00.000000Z' OR 1=1 --", "2016-01-01T00:00:00.000000Z;DROP"):
        H.expect(H.get(H.coll_path(INTEL, "objects/"), [("added_after", val)]), 400,
                 what="added_after=%r" % val)
    # the data is intact
    H.get_ok(H.coll_path(INTEL, "objects/"), [("limit", 1)])


def test_nul_bytes_in_raw_request_line():
    for target in (b"/taxii2/\x00", b"/hub/collections/\x00/", b"/hub/collections/" + IID.encode()
                   + b"/objects/?limit=5\x00", b"/\x00\x00\x00/"):
        _raw(_get_raw(target), "NUL in request target %r" % target)
    _raw(_get_raw(b"/taxii2/", b"X-Test: a\x00b\r\n"), "NUL in a header value")
    _raw(b"GET /taxii2/ HTTP/1.1\r\nHost: " + _host() + b"\r\nAccept: application/taxii+json\x00"
         b";version=2.1\r\nAuthorization: " + _auth() + b"\r\nConnection: close\r\n\r\n",
         "NUL in Accept")
    H.server_alive_check()


def test_non_ascii_bytes_in_raw_request():
    _raw(_get_raw(b"/hub/collections/\xc3\xa9/"), "UTF-8 in path")
    _raw(_get_raw(b"/hub/collections/\xff\xfe/"), "invalid UTF-8 in path")
    _raw(_get_raw(b"/hub/collections/" + IID.encode() + b"/objects/?match[type]=\xff"), "byte in query")
    _raw(_get_raw(b"/taxii2/", b"Accept-Language: \xff\xfe\r\n"), "byte in a header")
    H.server_alive_check()


def test_malformed_request_lines():
    # 505 (HTTP Version Not Supported) is the RFC answer to an unknown major
    # version, 501 to an unknown method; both accepted for these inputs only.
    cases = [
        b"GARBAGE\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /taxii2/\r\n\r\n",
        b"GET /taxii2/ HTTP/1.1\r\n\r\n",            # no Host (RFC 7230 5.4: 400)
        b"GET /taxii2/ HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /taxii2/ FTP/1.1\r\nHost: x\r\n\r\n",
        b"GET  /taxii2/  HTTP/1.1\r\nHost: x\r\n\r\n",
        b"get /taxii2/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET taxii2/ HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET http://127.0.0.1/taxii2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET * HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\r\n\r\n\r\n",
        b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nNoColonHeader\r\n\r\n",
        b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\n Folded: header\r\n\r\n",
        b"GET /taxii2/ HTTP/1.1\nHost: x\n\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + b"\x00" * 64,   # a TLS hello to plain HTTP
        bytes(range(256)),
    ]
    for data in cases:
        _raw(data, "raw %r" % data[:40], allow_5xx=(501, 505))
    H.server_alive_check()


def test_unknown_transfer_coding_answered():
    # RFC 7230 3.3.3: a request whose Transfer-Encoding does not end in
    # "chunked" has no determinable length; the server MUST answer 400 and
    # close the connection -- not wait forever.  (The connection stays open
    # on our side here.)
    data = (b"POST " + H.coll_path("reference", "objects/").encode() + b" HTTP/1.1\r\nHost: " + _host()
            + b"\r\nAccept: " + H.TAXII_MT.encode() + b"\r\nContent-Type: " + H.TAXII_MT.encode()
            + b"\r\nAuthorization: " + _auth() + b"\r\nTransfer-Encoding: gzip\r\n\r\n"
            + b'{"objects":[]}')
    try:
        st, out = H.raw_exchange(data, timeout=10, half_close=False)
    except H.Failure:
        H.fail("POST with Transfer-Encoding: gzip: no answer within 10 s (RFC 7230 3.3.3: 400 + close)")
    H.check(st in (400, 411, 501) or st is None,
            "Transfer-Encoding: gzip answered %r: %r" % (st, out[:200]))


def test_bad_content_length_and_framing():
    env = b'{"objects":[]}'
    base = (b"POST " + H.coll_path("reference", "objects/").encode() + b" HTTP/1.1\r\nHost: " + _host()
            + b"\r\nAccept: " + H.TAXII_MT.encode() + b"\r\nContent-Type: " + H.TAXII_MT.encode()
            + b"\r\nAuthorization: " + _auth() + b"\r\nConnection: close\r\n")
    cases = [
        base + b"Content-Length: abc\r\n\r\n" + env,
        base + b"Content-Length: -1\r\n\r\n" + env,
        base + b"Content-Length: 99999999999999999999999\r\n\r\n" + env,
        base + b"Content-Length: 14\r\nContent-Length: 15\r\n\r\n" + env,
        base + b"Content-Length: 14\r\nTransfer-Encoding: chunked\r\n\r\n" + env,
        base + b"Transfer-Encoding: gzip\r\n\r\n" + env,
        base + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n" + env + b"\r\n0\r\n\r\n",
        base + b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n" + env + b"\r\n0\r\n\r\n",
    ]
    for data in cases:
        st, _ = _raw(data, "framing %r" % data[-60:], allow_5xx=(501,))
    # body shorter than Content-Length, then the client half-closes
    s = socket.create_connection(("127.0.0.1", H.TARGET[2]), timeout=30)
    try:
        s.sendall(base + b"Content-Length: 1000\r\n\r\n" + env)
        s.shutdown(socket.SHUT_WR)
        s.settimeout(30)
        try:
            s.recv(65536)
        except (socket.timeout, ConnectionResetError):
            pass
    finally:
        s.close()
    H.server_alive_check()


def test_huge_and_many_headers():
    for n in (8192, 65536, 1 << 20):
        r = H.get(H.DISCOVERY, headers={"X-Big": "v" * n}, timeout=60, layer_lenient=True)
        H.expect(r, 200, 400, 413, 431, what="a %d-byte header" % n)
    hdrs = {"X-H%d" % i: "v" * 100 for i in range(1000)}
    r = H.get(H.DISCOVERY, headers=hdrs, timeout=60, layer_lenient=True)
    H.expect(r, 200, 400, 413, 431, what="1000 headers")
    r = H.get(H.DISCOVERY, headers={"Accept": "application/taxii+json;version=2.1," * 2000},
              layer_lenient=True)
    H.expect(r, 200, 400, 406, 413, 431, what="an enormous Accept")
    H.server_alive_check()


def test_slow_client_does_not_block_others():
    # A client that sends half a request and waits must not stall the server.
    socks = []
    try:
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", H.TARGET[2]), timeout=30)
            s.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: x\r\nAcc")
            socks.append(s)
        t0 = time.time()
        r = H.get(H.coll_path(INTEL, "objects/"), [("limit", 10)], timeout=15)
        H.expect(r, 200, what="request while slow clients are connected")
        H.check(time.time() - t0 < 10, "request took %.1f s while slow clients connected" % (time.time() - t0))
    finally:
        for s in socks:
            s.close()


def test_many_idle_connections():
    socks = []
    try:
        for _ in range(64):
            socks.append(socket.create_connection(("127.0.0.1", H.TARGET[2]), timeout=30))
        H.get_ok(H.DISCOVERY, timeout=20)
    finally:
        for s in socks:
            s.close()
    H.get_ok(H.DISCOVERY)


def test_abrupt_disconnects():
    # Clients that vanish mid-request or mid-response.
    for data in (_get_raw(H.coll_path(INTEL, "objects/?limit=1000").encode()), b"GET /tax"):
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", H.TARGET[2]), timeout=10)
            s.sendall(data)
            s.close()
    ths = []
    for _ in range(4):
        def go():
            try:
                s = socket.create_connection(("127.0.0.1", H.TARGET[2]), timeout=10)
                s.sendall(_get_raw(H.coll_path(INTEL, "objects/?limit=1000&match[version]=all").encode()))
                s.recv(100)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()
            except OSError:
                pass
        t = threading.Thread(target=go)
        t.start()
        ths.append(t)
    for t in ths:
        t.join(30)
    time.sleep(0.5)
    H.server_alive_check()


def test_bad_methods_with_bodies_on_get_endpoints():
    # A GET with a body, a DELETE with a body: ignored or refused, not 5xx.
    r = H.request("GET", H.coll_path(INTEL, "objects/?limit=2"), body=b'{"objects":[]}')
    H.expect(r, 200, 400, what="GET with a body")
    r = H.request("DELETE", H.obj_path(INTEL, H.new_id("indicator")), body=b"garbage",
                  content_type="text/plain")
    H.expect(r, 400, 404, 415, what="DELETE with a body")


def test_server_still_healthy():
    H.server_alive_check()
    H.get_ok(H.coll_path(INTEL, "objects/"), [("limit", 5)])
