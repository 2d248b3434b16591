"""Security: TLS, mutual TLS, stored credentials, limits, 401 versus 403
(docs/configuration.md, docs/security.md).

Every test starts its own relto (`relto serve -c`) on a copy of a demo
database seeded once for this file, with the demo configuration
(`relto demo --print-config`) edited, and stops it.

The client side is Python's ssl module; the `openssl` command makes a
throwaway CA, a server certificate for 127.0.0.1/localhost, client
certificates (kor, gbr, jpn, one nobody lists) and a rogue self-signed one
that copies kor's subject.  Before asserting that relto refuses an old
protocol version or a cipher suite, the very same client context is shown
to complete a handshake with a local reference TLS server that allows it,
so that a refusal is never vacuous.
"""

import atexit
import hashlib
import http.client
import json
import os
import re
import select
import shutil
import socket
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
import warnings

import harness as H

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")

TEMP_DIRS = []
atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in TEMP_DIRS])


def tempdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    TEMP_DIRS.append(d)
    return d


def run_relto(*args, stdin=None, timeout=60):
    p = H.run_relto(args, input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


# --------------------------------------------------------------------------
# A throwaway PKI (openssl command line)
# --------------------------------------------------------------------------

_PKI = {}

OPENSSL_CNF = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
"""

# name -> (subject given to openssl, the DN as GnuTLS writes it)
CLIENTS = {
    "kor": ("/O=KISA/CN=taxii.kor.example", "CN=taxii.kor.example,O=KISA"),
    "gbr": ("/O=NCSC/CN=taxii.gbr.example", "CN=taxii.gbr.example,O=NCSC"),
    "jpn": ("/O=NISC/CN=taxii.jpn.example", "CN=taxii.jpn.example,O=NISC"),
    "stranger": ("/O=Nobody/CN=taxii.stranger.example", "CN=taxii.stranger.example,O=Nobody"),
}


def _openssl(d, *args):
    p = subprocess.run(["openssl"] + list(args), cwd=d, capture_output=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args), p.stderr.decode()[-600:]))


def fingerprint(crt):
    """'sha256:' + hex of the SHA-256 of the certificate's DER (computed here)."""
    with open(crt) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return "sha256:" + hashlib.sha256(der).hexdigest()


def pki():
    """Paths of ca.crt, server.{crt,key}, <client>.{crt,key}, rogue.{crt,key}."""
    if _PKI:
        return _PKI
    if not shutil.which("openssl"):
        raise H.Skip("no openssl command (Debian package openssl) to make test certificates")
    d = tempdir("relto-pki-")
    with open(os.path.join(d, "openssl.cnf"), "w") as f:
        f.write(OPENSSL_CNF)
    ec = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    _openssl(d, "genpkey", *ec, "-out", "ca.key")
    _openssl(d, "req", "-new", "-x509", "-config", "openssl.cnf", "-extensions", "v3_ca", "-key", "ca.key",
             "-subj", "/O=relto tests/CN=relto test partners CA", "-days", "3", "-out", "ca.crt")
    # RSA server key, so that ECDHE-RSA-* suite names apply
    _openssl(d, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "server.key")
    _openssl(d, "req", "-new", "-config", "openssl.cnf", "-key", "server.key", "-subj", "/CN=localhost",
             "-out", "server.csr")
    _openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "3", "-extfile", "openssl.cnf", "-extensions", "server", "-out", "server.crt")
    for name, (subj, _) in CLIENTS.items():
        _openssl(d, "genpkey", *ec, "-out", name + ".key")
        _openssl(d, "req", "-new", "-config", "openssl.cnf", "-key", name + ".key", "-subj", subj,
                 "-out", name + ".csr")
        _openssl(d, "x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "3", "-extfile", "openssl.cnf", "-extensions", "client",
                 "-out", name + ".crt")
    # rogue: self-signed, with kor's very subject
    _openssl(d, "genpkey", *ec, "-out", "rogue.key")
    _openssl(d, "req", "-new", "-x509", "-config", "openssl.cnf", "-extensions", "client", "-key", "rogue.key",
             "-subj", CLIENTS["kor"][0], "-days", "3", "-out", "rogue.crt")
    for fn in os.listdir(d):
        if fn.endswith(".key"):
            os.chmod(os.path.join(d, fn), 0o600)
    _PKI.update({fn: os.path.join(d, fn) for fn in os.listdir(d)})
    _PKI["dir"] = d
    return _PKI


def cert(name):
    p = pki()
    return (p[name + ".crt"], p[name + ".key"])


# --------------------------------------------------------------------------
# The demo database and configuration
# --------------------------------------------------------------------------

_SEED = {}


def seed():
    """A demo database seeded once (a short `relto demo` run) and the demo config."""
    if _SEED:
        return _SEED
    d = tempdir("relto-sec-seed-")
    db = os.path.join(d, "demo.db")
    s = H.Server(H.RELTO, ["demo", "--quiet", "--listen", "127.0.0.1:{port}", "--db", db], workdir=d,
                 name="relto-seed")
    try:
        s.start()
    finally:
        s.stop()
    # (the text only: the database line is replaced; not mapped to a store)
    p = subprocess.run([H.RELTO, "demo", "--print-config", "--db", "@DB@"], capture_output=True, timeout=60)
    rc, out, err = p.returncode, p.stdout.decode(), p.stderr.decode()
    H.eq(rc, 0, "relto demo --print-config exit status (%s)" % err)
    _SEED.update(db=db, config=out, bytes=H.store_bytes(db))
    return _SEED


class Env:
    """A temporary directory with a copy of the seeded demo database."""

    def __init__(self, name):
        s = seed()
        self.name = name
        self.dir = tempdir("relto-sec-%s-" % name)
        self.db = os.path.join(self.dir, "relto.db")
        H.copy_store(s["db"], self.db)
        self.servers = []

    def config(self, plain=True, tls=None, limits=None, partners=None, policy=False):
        """The demo configuration on this database, listening on {port}.

        tls: dict of server.tls keys; limits: dict; partners: id ->
        {"password": False (drop password_hash), "extra": [lines]}.
        """
        lines = seed()["config"].rstrip("\n").split("\n")
        out = []
        saw_plain = False
        for ln in lines:
            if ln.startswith("  listen:"):
                out.append("  listen: 127.0.0.1:{port}")
            elif ln.strip().startswith("plain_http:"):
                saw_plain = True
                if plain:
                    out.append("  plain_http: true")
                if tls:
                    out.append("  tls:")
                    out.extend('    %s: "%s"' % kv for kv in tls.items())
            elif ln.startswith("database:"):
                out.append('database: "%s"' % self.db)
            else:
                out.append(ln)
        H.check(saw_plain, "the demo configuration has a plain_http line (test assumption)")
        for pid, mod in (partners or {}).items():
            i = out.index("  - id: %s" % pid)
            j = i + 1
            while j < len(out) and out[j].startswith("    "):
                j += 1
            block = out[i:j]
            if mod.get("password") is False:
                block = [b for b in block if not b.strip().startswith("password_hash:")]
            block += ["    " + e for e in mod.get("extra", [])]
            out[i:j] = block
        text = "\n".join(out) + "\n"
        if limits:
            text += "limits:\n" + "".join("  %s: %s\n" % kv for kv in limits.items())
        if policy:
            pol = os.path.join(self.dir, "relto.policy")
            pos = os.path.join(self.dir, "posture.json")
            shutil.copy(os.path.join(TOP, "src", "demo", "relto.policy"), pol)
            shutil.copy(os.path.join(TOP, "src", "demo", "posture.json"), pos)
            text += 'policy: "%s"\nposture: "%s"\n' % (pol, pos)
        return text

    def start(self, config_text, name=None):
        name = name or "relto-%s-%d" % (self.name, len(self.servers))
        path = os.path.join(self.dir, name + ".yaml")
        srv = H.Server(H.RELTO, ["serve", "-c", path], workdir=self.dir, name=name)
        srv.config_text = config_text
        srv.config_path = path
        self.servers.append(srv)
        srv.start()
        return srv

    def close(self):
        for s in self.servers:
            s.stop()


def tls_config(env, client_ca=False, **kw):
    p = pki()
    tls = {"certificate": p["server.crt"], "key": p["server.key"]}
    if client_ca:
        tls["client_ca"] = p["ca.crt"]
    return env.config(plain=False, tls=tls, **kw)


# --------------------------------------------------------------------------
# TLS clients
# --------------------------------------------------------------------------

V = ssl.TLSVersion


def client_ctx(cert_pair=None, minv=None, maxv=None, ciphers=None):
    """A client context that verifies the server against the test CA."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(pki()["ca.crt"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if minv is not None:
            ctx.minimum_version = minv
        if maxv is not None:
            ctx.maximum_version = maxv
    if ciphers:
        ctx.set_ciphers(ciphers)
    if cert_pair:
        ctx.load_cert_chain(*cert_pair)
    return ctx


def https(srv, method, path, ctx=None, cert_pair=None, user=None, password=None, auth=None, params=None,
          body=None, timeout=30, checks=True):
    """One HTTPS request on a new connection: (H.Response, (version, cipher))."""
    ctx = ctx or client_ctx(cert_pair)
    hdrs = {"Accept": H.TAXII_MT}
    if auth is not None:
        hdrs["Authorization"] = auth
    elif user is not None:
        hdrs["Authorization"] = H.basic(user, H.PASSWORDS[user] if password is None else password)
    if body is not None:
        hdrs["Content-Type"] = H.TAXII_MT
    target = H.url(path, params)
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=timeout, context=ctx)
    try:
        conn.connect()
        info = (conn.sock.version(), conn.sock.cipher()[0])
        conn.request(method, target, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    r = H.Response(resp.status, resp.msg, data, H.parse_json(data))
    if checks:
        H.check_response(method, target, r)
    return r, info


def handshake(port, ctx, timeout=10):
    """(version, cipher) once a handshake completed; raises when refused."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        t = ctx.wrap_socket(s, server_hostname="127.0.0.1")
        try:
            return (t.version(), t.cipher()[0])
        finally:
            t.close()
    finally:
        s.close()


def refused(port, ctx):
    """None if the handshake completed, else the error (a refusal)."""
    try:
        got = handshake(port, ctx)
    except (ssl.SSLError, ConnectionError, OSError) as e:
        return e
    return None


class RefTLSServer:
    """A permissive local TLS server (TLS 1.0-1.3, every suite at SECLEVEL 0,
    the same certificate as relto): proves a client context can really
    negotiate what relto must refuse."""

    def __init__(self):
        p = pki()
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(p["server.crt"], p["server.key"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            self.ctx.minimum_version = V.TLSv1
            self.ctx.maximum_version = V.TLSv1_3
        self.ctx.set_ciphers("ALL:@SECLEVEL=0")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                c.settimeout(5)
                t = self.ctx.wrap_socket(c, server_side=True)
                t.close()
            except (ssl.SSLError, OSError):
                pass
            finally:
                c.close()

    def close(self):
        self.stop = True
        self.sock.close()


def reference_handshake(ctx):
    ref = RefTLSServer()
    try:
        return handshake(ref.port, ctx)
    except (ssl.SSLError, OSError):
        return None
    finally:
        ref.close()


def s_client(port, *args):
    """openssl s_client handshake: (completed?, protocol, output)."""
    p = subprocess.run(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port] + list(args),
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    out = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    m = re.search(r"Protocol\s*:\s*(\S+)", out)
    ok = p.returncode == 0 and "Cipher is (NONE)" not in out and m is not None
    return ok, (m.group(1) if m else None), out


def s_server_reference(*args):
    """openssl s_server allowing only what args say; returns (Popen, port)."""
    p = pki()
    port = H.free_port()
    proc = subprocess.Popen(["openssl", "s_server", "-accept", str(port), "-cert", p["server.crt"],
                             "-key", p["server.key"], "-quiet"] + list(args),
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    proc.wait()
    return None, port


def stop_proc(proc):
    if proc is not None:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------
# 1. TLS
# --------------------------------------------------------------------------

def test_tls_serves_https_with_tls12_aead_and_tls13():
    env = Env("tls")
    try:
        srv = env.start(tls_config(env))
        H.eq(srv.scheme, "https", "the server configured with server.tls answers HTTPS")
        r, (ver, ciph) = https(srv, "GET", H.DISCOVERY, user="usa")
        H.eq(r.status, 200, "HTTPS discovery (server certificate verified against the test CA)")
        H.check(isinstance(r.json, dict) and r.json.get("title"), "discovery body: %r" % r.body[:200])
        H.check(ver in ("TLSv1.2", "TLSv1.3"), "default negotiation gave %s" % ver)
        # TLS 1.3
        ctx = client_ctx(minv=V.TLSv1_3, maxv=V.TLSv1_3)
        r, (ver, ciph) = https(srv, "GET", H.DISCOVERY, ctx=ctx, user="gbr")
        H.eq((r.status, ver), (200, "TLSv1.3"), "discovery over TLS 1.3 (%s)" % ciph)
        # TLS 1.2 with AEAD suites and forward secrecy, one at a time
        for suite in ("ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                      "ECDHE-RSA-CHACHA20-POLY1305"):
            ctx = client_ctx(minv=V.TLSv1_2, maxv=V.TLSv1_2, ciphers=suite)
            r, (ver, ciph) = https(srv, "GET", H.DISCOVERY, ctx=ctx, user="gbr")
            H.eq((r.status, ver, ciph), (200, "TLSv1.2", suite), "discovery over TLS 1.2 with %s" % suite)
        # the right answers over TLS too
        r, _ = https(srv, "GET", H.DISCOVERY, user="usa", password="wrong")
        H.eq(r.status, 401, "wrong password over HTTPS")
        r, _ = https(srv, "GET", H.coll_path("intel", "objects/"), user="kor", params={"limit": 2})
        H.eq(r.status, 200, "objects over HTTPS")
        H.check(r.json.get("objects"), "kor reads objects over HTTPS")
    finally:
        env.close()


def test_tls_refuses_tls10_and_tls11():
    env = Env("tls-old")
    try:
        srv = env.start(tls_config(env))
        tried = []
        for name, ver in (("TLS 1.0", V.TLSv1), ("TLS 1.1", V.TLSv1_1)):
            try:
                ctx = client_ctx(minv=ver, maxv=ver, ciphers="DEFAULT:@SECLEVEL=0")
            except (ssl.SSLError, ValueError):
                ctx = None
            ref = reference_handshake(ctx) if ctx else None
            if ref is None:
                continue            # Python's ssl cannot offer it here; see below
            H.check(ref[0] in ("TLSv1", "TLSv1.1"), "reference handshake for %s gave %s" % (name, ref))
            err = refused(srv.port, ctx)
            H.check(err is not None, "relto completed a %s handshake (the client offered only %s)"
                    % (name, name))
            H.log("%s: reference server negotiated %s; relto refused: %r" % (name, ref, err))
            tried.append(name)
        if "TLS 1.1" not in tried:
            # fall back to the openssl tool
            for flag, name in (("-tls1", "TLS 1.0"), ("-tls1_1", "TLS 1.1")):
                proc, port = s_server_reference(flag, "-cipher", "DEFAULT@SECLEVEL=0")
                try:
                    ok = proc is not None and s_client(port, flag, "-cipher", "DEFAULT@SECLEVEL=0")[0]
                finally:
                    stop_proc(proc)
                if not ok:
                    continue
                ok, proto, out = s_client(srv.port, flag, "-cipher", "DEFAULT@SECLEVEL=0")
                H.check(not ok, "relto completed a %s handshake with openssl s_client %s (protocol %s)"
                        % (name, flag, proto))
                tried.append(name + " (openssl s_client)")
        if not tried:
            raise H.Skip("neither Python's ssl nor openssl s_client can negotiate TLS 1.0/1.1 here, "
                         "so a refusal by relto would prove nothing")
        # still serving
        r, _ = https(srv, "GET", H.DISCOVERY, user="usa")
        H.eq(r.status, 200, "discovery after the refused handshakes (%s)" % ", ".join(tried))
    finally:
        env.close()


def test_tls_refuses_cbc_and_static_rsa_suites():
    env = Env("tls-suites")
    try:
        srv = env.start(tls_config(env))
        cases = [
            ("CBC suites", "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA:ECDHE-RSA-AES128-SHA256:"
                           "ECDHE-RSA-AES256-SHA384:DHE-RSA-AES128-SHA:DHE-RSA-AES256-SHA:AES128-SHA:"
                           "AES256-SHA:AES128-SHA256:AES256-SHA256",
             lambda c: not c["aead"]),
            ("only ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", lambda c: not c["aead"]),
            ("only AES128-SHA", "AES128-SHA", lambda c: not c["aead"]),
            # AEAD without forward secrecy (static RSA key exchange)
            ("static-RSA AES-GCM suites", "AES128-GCM-SHA256:AES256-GCM-SHA384",
             lambda c: c["aead"] and c["kea"] == "kx-rsa"),
        ]
        for what, suites, kind in cases:
            ctx = client_ctx(minv=V.TLSv1_2, maxv=V.TLSv1_2, ciphers=suites + ":@SECLEVEL=0")
            offered = [c for c in ctx.get_ciphers() if c["protocol"] != "TLSv1.3"]
            H.check(offered and all(kind(c) for c in offered),
                    "%s: the client context offers %s" % (what, [c["name"] for c in offered]))
            ref = reference_handshake(ctx)
            H.check(ref is not None and ref[0] == "TLSv1.2",
                    "%s: the client cannot negotiate them even with a permissive server (%r); "
                    "the test would prove nothing" % (what, ref))
            err = refused(srv.port, ctx)
            H.check(err is not None, "%s: relto completed a TLS 1.2 handshake offering only %s"
                    % (what, suites))
            H.log("%s: reference server negotiated %s; relto refused: %r" % (what, ref, err))
        r, _ = https(srv, "GET", H.DISCOVERY, user="usa")
        H.eq(r.status, 200, "discovery after the refused handshakes")
    finally:
        env.close()


def test_tls_port_gives_no_plain_http_answer():
    env = Env("tls-plain")
    try:
        srv = env.start(tls_config(env))
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            s.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + H.TAXII_MT.encode()
                      + b"\r\nAuthorization: " + H.basic("usa", "demo-usa").encode() + b"\r\n\r\n")
            out = _read_response(s, 5)
        finally:
            s.close()
        H.check(not out.startswith(b"HTTP/"), "plain HTTP to the TLS port got an HTTP answer: %r" % out[:200])
        H.check(b"taxii" not in out.lower() and b"title" not in out,
                "plain HTTP to the TLS port got content: %r" % out[:200])
        H.check(srv.alive(), "server alive after plain HTTP on its TLS port")
        r, _ = https(srv, "GET", H.DISCOVERY, user="usa")
        H.eq(r.status, 200, "HTTPS after plain HTTP on the TLS port")
    finally:
        env.close()


def test_tls_required_unless_plain_http():
    env = Env("tls-required")
    path = os.path.join(env.dir, "notls.yaml")
    with open(path, "w") as f:
        f.write(env.config(plain=False).replace("{port}", str(H.free_port())))
    rc, out, err = run_relto("serve", "-c", path, timeout=20)
    H.eq(rc, 2, "exit status of relto serve with neither server.tls nor plain_http: true (%r)" % err[-300:])
    H.check("plain_http" in err, "the message names plain_http: %r" % err[-300:])
    H.check(path in err, "the message names the configuration file: %r" % err[-300:])
    # a certificate file that does not exist is a configuration error too
    p = pki()
    path2 = os.path.join(env.dir, "nocert.yaml")
    missing = os.path.join(env.dir, "missing.crt")
    with open(path2, "w") as f:
        f.write(env.config(plain=False, tls={"certificate": missing, "key": p["server.key"]})
                .replace("{port}", str(H.free_port())))
    rc, out, err = run_relto("serve", "-c", path2, timeout=20)
    H.eq(rc, 2, "exit status with a missing tls.certificate file (%r)" % err[-300:])
    H.check("missing.crt" in err, "the message names the missing file: %r" % err[-300:])


# --------------------------------------------------------------------------
# 2. Mutual TLS
# --------------------------------------------------------------------------

LEVELS = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP_SECRET"]
ACS = "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce"
ACS_LEVELS = {"U": 0, "C": 1, "S": 2, "TS": 3}


def definition_level(d):
    """Classification level of a marking definition (ACS 3.0 or a banner), or None."""
    ext = d.get("extensions", {}).get(ACS)
    if ext:
        return ACS_LEVELS.get(ext.get("control_set", {}).get("classification"))
    if d.get("definition_type") == "statement":
        m = re.match(r"(TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED)(//|$)",
                     d.get("definition", {}).get("statement", ""))
        return LEVELS.index(m.group(1).replace(" ", "_")) if m else None
    return None


def vkey(o):
    return (o["id"], o.get("modified", o.get("created")))


def crawl_with(get, path, params):
    """Follow `next` to the end; get(path, params) -> H.Response."""
    items, extra = [], {}
    for _ in range(1000):
        r = get(path, dict(params, **extra))
        H.eq(r.status, 200, "GET %s" % H.url(path, dict(params, **extra)))
        items.extend(r.json.get("objects", []))
        if not r.json.get("more"):
            return items
        extra = {"next": r.json["next"]}
    H.fail("pagination of %s did not end" % path)


def view(get, coll):
    """What a reader receives in coll: manifest (id, version) of every version
    and the ids of the objects' latest versions."""
    man = crawl_with(get, H.coll_path(coll, "manifest/"), {"limit": 1000, "match[version]": "all"})
    objs = crawl_with(get, H.coll_path(coll, "objects/"), {"limit": 1000})
    return {(m["id"], m["version"]) for m in man}, {vkey(o) for o in objs}


def mtls_config(env, policy=False):
    p = pki()
    partners = {
        "kor": {"password": False,
                "extra": ["auth: certificate", 'certificate_fingerprints: ["%s"]' % fingerprint(p["kor.crt"])]},
        "gbr": {"extra": ["auth: certificate+password",
                          'certificate_subjects: ["%s"]' % CLIENTS["gbr"][1]]},
        "jpn": {"password": False,
                "extra": ["auth: certificate", 'certificate_subjects: ["%s"]' % CLIENTS["jpn"][1]]},
    }
    return tls_config(env, client_ca=True, partners=partners, policy=policy)


def test_mtls_certificate_partner_receives_its_policy_view():
    """kor (auth: certificate, by fingerprint) with its client certificate and
    no password gets exactly what kor gets with its password on a plain HTTP
    server on the same database and policy, and no SECRET object."""
    env = Env("mtls-view")
    try:
        plain = env.start(env.config(policy=True), name="plain")

        def plain_get(user):
            return lambda path, params: H.request("GET", path, params=params, user=user, server=plain)
        expected, levels = {}, {}
        for coll in ("intel", "telecom"):
            everything = crawl_with(plain_get("admin"), H.coll_path(coll, "objects/"),
                                    {"limit": 1000, "match[version]": "all"})
            defs = {o["id"]: definition_level(o) for o in everything if o["type"] == "marking-definition"}
            for o in everything:
                lv = [defs.get(m) for m in o.get("object_marking_refs", []) if defs.get(m) is not None]
                levels[vkey(o)] = max(lv or [-1])
            expected[coll] = view(plain_get("kor"), coll)
        plain.stop()
        secret = {k for k, lv in levels.items() if lv >= 2}
        H.check(secret, "the demo corpus has SECRET object versions (admin's view)")

        srv = env.start(mtls_config(env, policy=True), name="mtls")
        kor_cert = cert("kor")
        ctx = client_ctx(kor_cert)
        r, _ = https(srv, "GET", H.DISCOVERY, ctx=ctx)
        H.eq(r.status, 200, "kor with its client certificate and no password: discovery")

        def cert_get(path, params):
            return https(srv, "GET", path, ctx=ctx, params=params)[0]
        for coll in ("intel", "telecom"):
            man, objs = view(cert_get, coll)
            exp_man, exp_objs = expected[coll]
            H.check(man, "kor receives objects in %s through its certificate" % coll)
            H.check(man == exp_man, "%s manifest: kor by certificate differs from kor by password: "
                    "%d extra, %d missing (e.g. %s)" % (coll, len(man - exp_man), len(exp_man - man),
                                                        sorted((man - exp_man) | (exp_man - man))[:3]))
            H.check(objs == exp_objs, "%s objects: kor by certificate differs from kor by password "
                    "(%d extra, %d missing)" % (coll, len(objs - exp_objs), len(exp_objs - objs)))
            leaked = sorted(k for k in objs if k in secret)
            H.check(not leaked, "kor (capped at CONFIDENTIAL) received SECRET objects in %s: %s"
                    % (coll, leaked[:3]))
            leaked = sorted(k for k in man if k in secret)
            H.check(not leaked, "kor's %s manifest lists SECRET versions: %s" % (coll, leaked[:3]))
            H.check(man <= set(levels), "kor's %s manifest names versions admin does not see (or in "
                    "another format): %s" % (coll, sorted(man - set(levels))[:3]))
            H.log("%s: kor receives %d versions, %d latest objects; %d SECRET versions in intel+telecom "
                  "(admin)" % (coll, len(man), len(objs), len(secret)))
        # TLS 1.2 client certificates work as well
        ctx12 = client_ctx(kor_cert, maxv=V.TLSv1_2)
        r, (ver, _) = https(srv, "GET", H.DISCOVERY, ctx=ctx12)
        H.eq((r.status, ver), (200, "TLSv1.2"), "kor's certificate over TLS 1.2")
    finally:
        env.close()


def test_mtls_refusals():
    env = Env("mtls-refuse")
    try:
        srv = env.start(mtls_config(env))
        usa_basic = H.basic("usa", "demo-usa")
        r, _ = https(srv, "GET", H.DISCOVERY, user="usa")
        H.eq(r.status, 200, "usa (auth: password) with its password and no certificate")
        r, _ = https(srv, "GET", H.DISCOVERY, cert_pair=cert("kor"))
        H.eq(r.status, 200, "kor's certificate alone")
        cases = [
            ("rogue self-signed certificate (kor's subject) alone", cert("rogue"), None),
            ("rogue self-signed certificate with usa's valid password", cert("rogue"), usa_basic),
            ("CA-signed certificate no partner lists, with usa's valid password", cert("stranger"), usa_basic),
            ("CA-signed certificate no partner lists, alone", cert("stranger"), None),
            ("kor's certificate with usa's password", cert("kor"), usa_basic),
            ("jpn's certificate with usa's password", cert("jpn"), usa_basic),
            ("no certificate, no password", None, None),
            ("no certificate, kor's demo password (kor is auth: certificate)", None,
             H.basic("kor", "demo-kor")),
            ("no certificate, jpn's demo password (jpn is auth: certificate)", None,
             H.basic("jpn", "demo-jpn")),
        ]
        bad = []
        for what, pair, auth in cases:
            try:
                r, _ = https(srv, "GET", H.DISCOVERY, cert_pair=pair, auth=auth)
                got = r.status
                if got == 401:
                    H.check(r.headers.get("WWW-Authenticate"), "%s: 401 without WWW-Authenticate" % what)
            except (ssl.SSLError, ConnectionError) as e:
                got = "TLS error %r" % e
            if got != 401:
                bad.append("%s: expected 401, got %s" % (what, got))
        H.check(not bad, "; ".join(bad))
        H.check(srv.alive(), "server alive")
    finally:
        env.close()


def test_mtls_certificate_and_password_and_subjects():
    """gbr: auth certificate+password, matched by subject: needs both.
    jpn: auth certificate, matched by subject: the certificate is enough."""
    env = Env("mtls-both")
    try:
        srv = env.start(mtls_config(env))
        gbr = cert("gbr")
        results = {
            "gbr certificate alone": https(srv, "GET", H.DISCOVERY, cert_pair=gbr)[0].status,
            "gbr password alone": https(srv, "GET", H.DISCOVERY, user="gbr")[0].status,
            "gbr certificate + wrong password": https(srv, "GET", H.DISCOVERY, cert_pair=gbr, user="gbr",
                                                      password="demo-usa")[0].status,
            "gbr certificate + usa's login and password": https(srv, "GET", H.DISCOVERY, cert_pair=gbr,
                                                                user="usa")[0].status,
            "kor certificate + gbr password": https(srv, "GET", H.DISCOVERY, cert_pair=cert("kor"),
                                                    user="gbr")[0].status,
            "gbr certificate + gbr password": https(srv, "GET", H.DISCOVERY, cert_pair=gbr,
                                                    user="gbr")[0].status,
            "jpn certificate alone (subject)": https(srv, "GET", H.DISCOVERY, cert_pair=cert("jpn"))[0].status,
        }
        expected = {k: 401 for k in results}
        expected["gbr certificate + gbr password"] = 200
        expected["jpn certificate alone (subject)"] = 200
        bad = ["%s: expected %d, got %d" % (k, expected[k], v) for k, v in results.items() if v != expected[k]]
        H.check(not bad, "; ".join(bad))
        # and they read as themselves: jpn reads intel, may not read submissions (write only)
        r, _ = https(srv, "GET", H.coll_path("intel", "objects/"), cert_pair=cert("jpn"), params={"limit": 1})
        H.eq(r.status, 200, "jpn by certificate reads intel")
        r, _ = https(srv, "GET", H.coll_path("submissions", "objects/"), cert_pair=gbr, user="gbr")
        H.eq(r.status, 403, "gbr (certificate+password) may not read submissions")
    finally:
        env.close()


# --------------------------------------------------------------------------
# 3. Credentials
# --------------------------------------------------------------------------

def secret_parts(secrets):
    """The secrets, and of each token (relto_<id>_<secret>) its secret part."""
    out = list(secrets)
    for s in secrets:
        if s.startswith("relto_") and s.count("_") >= 2:
            part = s.split("_", 2)[2]
            if len(part) >= 16:
                out.append(part)
    return out


def bearer(token):
    return "Bearer " + token


def test_credentials_add_rotate_revoke_list():
    env = Env("cred")
    try:
        srv = env.start(env.config(policy=True))
        cfg = srv.config_path

        def st(auth=None, user=None, password=H.DEFAULT, path=H.DISCOVERY, params=None):
            if auth is not None:
                return H.request("GET", path, auth=auth, params=params, server=srv).status
            return H.request("GET", path, user=user, password=password, params=params, server=srv).status

        def cli(*args, stdin=None):
            rc, out, err = run_relto("credential", *args, "-c", cfg, stdin=stdin)
            H.eq(rc, 0, "relto credential %s: exit status (%s)" % (" ".join(args), err.strip()))
            return out

        def manifest(**kw):
            get = lambda path, params: H.request("GET", path, params=params, server=srv, **kw)
            return {(m["id"], m["version"]) for m in
                    crawl_with(get, H.coll_path("intel", "manifest/"), {"limit": 1000, "match[version]": "all"})}

        # warm the verification cache of the configured passwords
        H.eq(st(user="kor"), 200, "kor/demo-kor before any change")
        H.eq(st(user="gbr"), 200, "gbr/demo-gbr before any change")
        secrets = []

        # a token for kor works on the running server as soon as the CLI returns
        out = cli("add", "kor", "--token", "--note", "test connector")
        m = re.search(r"^token: (relto_\S+)$", out, re.M)
        H.check(m, "credential add --token prints 'token: relto_...': %r" % out)
        tok1 = m.group(1)
        m = re.search(r"credential (\S+) added", out)
        H.check(m, "credential add names the new credential: %r" % out)
        id1 = m.group(1)
        secrets.append(tok1)
        H.eq(st(auth=bearer(tok1)), 200, "Bearer token right after `credential add`")
        kor_pw_view = manifest(user="kor")
        H.check(manifest(auth=bearer(tok1)) == kor_pw_view, "the token reads as kor (same intel manifest)")
        H.check(manifest(user="gbr") != kor_pw_view, "test assumption: gbr's view differs from kor's")
        H.eq(st(auth=bearer(tok1[:-1] + ("A" if tok1[-1] != "A" else "B"))), 401, "a token with one character changed")

        # revoke: the very next request with it fails
        cli("revoke", id1)
        H.eq(st(auth=bearer(tok1)), 401, "the revoked token on the next request")

        # rotate: a new token, the old one fails, the new one works
        out = cli("add", "kor", "--token")
        tok2 = re.search(r"^token: (relto_\S+)$", out, re.M).group(1)
        id2 = re.search(r"credential (\S+) added", out).group(1)
        secrets.append(tok2)
        H.eq(st(auth=bearer(tok2)), 200, "second token")
        out = cli("rotate", id2)
        m = re.search(r"^token: (relto_\S+)$", out, re.M)
        H.check(m, "credential rotate prints the new token: %r" % out)
        tok3 = m.group(1)
        secrets.append(tok3)
        H.check(tok3 != tok2, "rotate gives a new token")
        m3 = re.search(r"credential (\S+) replaces", out)
        id3 = m3.group(1) if m3 else None
        H.eq(st(auth=bearer(tok2)), 401, "the rotated (old) token")
        H.eq(st(auth=bearer(tok3)), 200, "the new token after rotate")

        # a stored password replaces the configured one
        newpw = "kor-new-" + uuid.uuid4().hex
        secrets.append(newpw)
        out = cli("add", "kor", "--password", stdin=(newpw + "\n").encode())
        m = re.search(r"credential (\S+) added", out)
        idpw = m.group(1) if m else None
        H.eq(st(user="kor", password="demo-kor"), 401, "kor's configured password once a stored one is added")
        H.eq(st(user="kor", password=newpw), 200, "kor's stored password")
        H.eq(st(auth=bearer(tok3)), 200, "kor's token still works beside the new password")

        # revoking a configured password
        cli("revoke", "config:gbr")
        H.eq(st(user="gbr", password="demo-gbr"), 401, "gbr/demo-gbr after revoke config:gbr")
        H.eq(st(user="usa"), 200, "usa unaffected")

        # list: ids, partners, kinds; never a hash or a secret
        out = cli("list")
        lines = out.split("\n")
        for cid, kind in ((id1, "token"), (id2, "token"), (id3, "token"), (idpw, "password")):
            H.check(cid, "a credential id was printed for each add/rotate")
            line = next((ln for ln in lines if cid in ln.split()), None)
            H.check(line is not None, "credential list shows %s:\n%s" % (cid, out))
            H.check("kor" in line.split() and kind in line.split(),
                    "credential list line of %s names partner kor and kind %s: %r" % (cid, kind, line))
        H.check(any("config:gbr" in ln or ("gbr" in ln.split() and "(configuration)" in ln) for ln in lines),
                "credential list shows the revoked configured password of gbr:\n%s" % out)
        H.check("$argon2" not in out, "credential list shows a hash:\n%s" % out)
        for s in secret_parts(secrets):
            H.check(s not in out, "credential list shows a secret")
        ts_re = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"
        for cid, revoked in ((id1, True), (id2, True), (id3, False), (idpw, False)):
            line = next(ln for ln in lines if cid in ln.split())
            H.eq(len(re.findall(ts_re, line)), 2 if revoked else 1,
                 "timestamps (created, revoked) on the list line of %s credential %s: %r"
                 % ("revoked" if revoked else "in-force", cid, line))

        # the store never holds a plaintext secret (while running, then stopped)
        used = secret_parts(secrets)
        seed_bytes = seed()["bytes"]
        used += [p for p in ("demo-kor", "demo-gbr", "demo-usa") if p.encode() not in seed_bytes]

        def grep_store(when):
            data = H.store_bytes(env.db)
            H.check(data, "%s: the store %s holds nothing" % (when, env.db))
            for s in used:
                H.check(s.encode() not in data, "%s: the store %s contains the plaintext %r" % (when, env.db, s))
        grep_store("server running")
        srv.stop()
        grep_store("server stopped")
        for path in (srv.stderr_path, srv.stdout_path):
            with open(path, "rb") as f:
                data = f.read()
            for s in used:
                H.check(s.encode() not in data, "the server log %s contains the secret %r" % (path, s))
    finally:
        env.close()


def test_401_does_not_tell_whether_a_login_exists():
    env = Env("enum")
    try:
        srv = env.start(env.config())

        def timed(user, password):
            t0 = time.perf_counter()
            r = H.request("GET", H.API_ROOT, user=user, password=password, server=srv)
            return r, time.perf_counter() - t0

        unknown = [timed("nosuchpartner", "demo-nosuchpartner-%d" % i) for i in range(5)]
        wrong = [timed("usa", "wrong-password-%d" % i) for i in range(5)]
        uncached = [timed(u, H.PASSWORDS[u]) for u in ("aus", "can", "nzl")]
        cached = [timed("aus", H.PASSWORDS["aus"]) for _ in range(3)]
        for r, _ in unknown + wrong:
            H.eq(r.status, 401, "unknown login or wrong password")
        for r, _ in uncached + cached:
            H.eq(r.status, 200, "right password")
        ref = unknown[0][0]
        for r, _ in unknown + wrong:
            H.check(r.body == ref.body, "401 bodies differ between an unknown login and a wrong password: "
                    "%r vs %r" % (ref.body, r.body))
            H.eq(r.headers.get("WWW-Authenticate"), ref.headers.get("WWW-Authenticate"),
                 "WWW-Authenticate of the 401s")
            H.eq(r.headers.get("Content-Type"), ref.headers.get("Content-Type"), "Content-Type of the 401s")
        med = {k: statistics.median(t for _, t in v) * 1000 for k, v in
               (("unknown login", unknown), ("wrong password", wrong), ("right, uncached", uncached),
                ("right, cached", cached))}
        summary = ", ".join("%s %.1f ms" % kv for kv in med.items())
        H.check(med["unknown login"] > 10, "an unknown login is answered too fast to have paid an Argon2id "
                "check: " + summary)
        H.check(med["wrong password"] > 10, "a wrong password is answered too fast to have paid an "
                "Argon2id check: " + summary)
        H.log("401 timings: " + summary)
    finally:
        env.close()


# --------------------------------------------------------------------------
# 4. Limits
# --------------------------------------------------------------------------

def test_rate_limit_per_partner():
    env = Env("rate")
    try:
        srv = env.start(env.config(limits={"rate": 5, "burst": 5}))
        H.eq(H.request("GET", H.DISCOVERY, user="gbr", server=srv).status, 200, "gbr warm-up")
        can, gbr = [], []
        for i in range(20):
            can.append(H.request("GET", H.API_ROOT, user="can", server=srv))
            if i % 5 == 4:
                gbr.append(H.request("GET", H.API_ROOT, user="gbr", server=srv))
        statuses = [r.status for r in can]
        H.check(set(statuses) <= {200, 429}, "statuses of the burst: %s" % statuses)
        H.eq(statuses[:5], [200] * 5, "the first `burst` requests pass (statuses %s)" % statuses)
        limited = [r for r in can if r.status == 429]
        H.check(limited, "20 quick requests with rate 5, burst 5: no 429 (statuses %s)" % statuses)
        ras = []
        for r in limited:
            ra = r.headers.get("Retry-After")
            H.check(ra is not None and re.fullmatch(r"\d+", ra.strip()) and int(ra) >= 1,
                    "429 Retry-After %r is not an integer >= 1" % ra)
            H.check(isinstance(r.json, dict) and r.json.get("title"), "429 body is a TAXII error")
            ras.append(int(ra))
        H.eq([r.status for r in gbr], [200] * len(gbr), "gbr's requests during can's burst")
        wait = ras[-1]
        H.check(wait <= 10, "Retry-After %d s for rate 5/s is implausibly long" % wait)
        time.sleep(wait)
        again = [H.request("GET", H.API_ROOT, user="can", server=srv).status for _ in range(2)]
        H.eq(again, [200, 200], "can's requests after waiting Retry-After (%d s)" % wait)
    finally:
        env.close()


def _read_response(s, timeout):
    """Bytes until EOF, reset, or (once something arrived) 1 s of silence."""
    s.settimeout(timeout)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        s.settimeout(1)
    return out


def test_body_limit_413():
    env = Env("body")
    try:
        srv = env.start(env.config(limits={"max_content_length": 4096}))
        ind = {"type": "indicator", "spec_version": "2.1", "id": "indicator--" + str(uuid.uuid4()),
               "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
               "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix",
               "valid_from": "2024-01-01T00:00:00Z"}
        r = H.post_envelope("intel", {"objects": [ind]}, server=srv)
        H.eq(r.status, 202, "a small envelope under max_content_length")
        big = dict(ind, id="indicator--" + str(uuid.uuid4()), description="x" * 5000)
        r = H.post_envelope("intel", {"objects": [big]}, server=srv)
        H.eq(r.status, 413, "POST with a %d-byte body over max_content_length 4096" % len(json.dumps(big)))

        path = H.coll_path("intel", "objects/")
        head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: %s\r\nContent-Type: %s\r\nAuthorization: %s\r\n"
                % (path, H.TAXII_MT, H.TAXII_MT, H.basic("usa", "demo-usa")))
        # announced 50 MB, body never sent: answered without reading it, others served meanwhile
        a = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        streamer = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        stop = threading.Event()

        def stream():
            chunk = b"x" * 65536
            try:
                streamer.sendall((head + "Content-Length: 50000000\r\n\r\n").encode())
                while not stop.is_set():
                    streamer.sendall(chunk)
            except OSError:
                pass
        t = threading.Thread(target=stream, daemon=True)
        try:
            a.sendall((head + "Content-Length: 50000000\r\n\r\n").encode())
            t.start()
            time.sleep(0.2)
            for _ in range(3):
                t0 = time.time()
                r = H.request("GET", H.DISCOVERY, user="gbr", server=srv, timeout=10)
                H.eq(r.status, 200, "another client while oversized requests are open")
                H.check(time.time() - t0 < 2, "another client waited %.1f s" % (time.time() - t0))
            out = _read_response(a, 10)
            st = H.check_raw_response(out, "POST with Content-Length 50000000")
            H.eq(st, 413, "POST announcing 50 MB (max_content_length 4096), body not sent: %r" % out[:200])
        finally:
            stop.set()
            a.close()
            streamer.close()
            t.join(5)
        # chunked: the limit holds without a Content-Length
        b = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        try:
            try:
                b.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
                for _ in range(8):
                    b.sendall(b"400\r\n" + b"x" * 1024 + b"\r\n")
                b.sendall(b"0\r\n\r\n")
            except OSError:
                pass
            out = _read_response(b, 10)
        finally:
            b.close()
        st = H.check_raw_response(out, "chunked POST of 8 KiB")
        H.eq(st, 413, "chunked POST of 8 KiB with max_content_length 4096: %r" % out[:200])
        H.eq(H.request("GET", H.DISCOVERY, user="gbr", server=srv).status, 200, "discovery afterwards")
    finally:
        env.close()


def test_slowloris_connections_time_out_and_others_are_served():
    env = Env("slow")
    try:
        srv = env.start(env.config(limits={"connection_timeout": 3}))
        n = 100
        socks = []
        try:
            for _ in range(n):
                socks.append(socket.create_connection(("127.0.0.1", srv.port), timeout=5))
            partial = b"GET /taxii2/ HTTP/1.1\r\nHo"
            served = []
            last = time.time()
            for i in range(len(partial)):
                for s in socks:
                    try:
                        s.send(partial[i:i + 1])
                    except OSError:
                        pass
                last = time.time()
                if i in (3, 12, 22):
                    t0 = time.time()
                    r = H.request("GET", H.DISCOVERY, user="gbr", server=srv, timeout=10)
                    served.append((r.status, time.time() - t0))
                time.sleep(0.06)
            last = time.time()
            time.sleep(1)
            t0 = time.time()
            r = H.request("GET", H.DISCOVERY, user="gbr", server=srv, timeout=10)
            served.append((r.status, time.time() - t0))
            slow = [x for x in served if x[0] != 200 or x[1] > 2]
            H.check(not slow, "a normal client while %d connections trickle a request line: "
                    "(status, seconds) %s" % (n, served))
            # every slow connection is closed by the server once idle for connection_timeout
            open_ = {s.fileno(): s for s in socks}
            deadline = last + 3 + 4
            while open_ and time.time() < deadline:
                rd, _, _ = select.select(list(open_.values()), [], [], 0.5)
                for s in rd:
                    try:
                        data = s.recv(4096)
                    except OSError:
                        data = b""
                    if not data:
                        del open_[s.fileno()]
            H.check(not open_, "%d of %d slow connections still open %.1f s after their last byte "
                    "(connection_timeout 3)" % (len(open_), n, time.time() - last))
        finally:
            for s in socks:
                s.close()
        H.eq(H.request("GET", H.DISCOVERY, user="gbr", server=srv).status, 200, "discovery afterwards")
    finally:
        env.close()


def test_max_connections_per_ip():
    env = Env("perip")
    try:
        srv = env.start(env.config(limits={"max_connections_per_ip": 5}))
        time.sleep(0.5)             # the startup probe's connection is gone
        conns = []
        try:
            for i in range(5):
                c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
                c.request("GET", H.DISCOVERY, headers={"Accept": H.TAXII_MT,
                                                       "Authorization": H.basic("gbr", "demo-gbr")})
                resp = c.getresponse()
                resp.read()
                H.eq(resp.status, 200, "connection %d of 5" % (i + 1))
                H.check(not resp.will_close, "connection %d is kept open (keep-alive)" % (i + 1))
                conns.append(c)
            # the 6th: closed without a normal answer
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            try:
                try:
                    s.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + H.TAXII_MT.encode()
                              + b"\r\nAuthorization: " + H.basic("gbr", "demo-gbr").encode() + b"\r\n\r\n")
                except OSError:
                    pass
                s.settimeout(5)
                out = b""
                closed = False
                try:
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            closed = True
                            break
                        out += chunk
                except socket.timeout:
                    pass
                except OSError:
                    closed = True
            finally:
                s.close()
            st = re.match(rb"HTTP/1\.[01] (\d{3})", out)
            H.check(not (st and st.group(1).startswith(b"2")),
                    "the 6th simultaneous connection (max_connections_per_ip 5) was served: %r" % out[:200])
            H.check(closed, "the 6th simultaneous connection was neither refused nor closed (%r)" % out[:200])
            # the five are still open and usable
            c = conns[0]
            c.request("GET", H.DISCOVERY, headers={"Accept": H.TAXII_MT,
                                                   "Authorization": H.basic("gbr", "demo-gbr")})
            resp = c.getresponse()
            resp.read()
            H.eq(resp.status, 200, "a request on one of the 5 open connections")
            # one closes: a new connection is accepted again
            conns.pop().close()
            time.sleep(0.5)
            r = H.request("GET", H.DISCOVERY, user="gbr", server=srv)
            H.eq(r.status, 200, "a new connection once one of the 5 closed")
        finally:
            for c in conns:
                c.close()
    finally:
        env.close()


# --------------------------------------------------------------------------
# 5. 401 versus 403
# --------------------------------------------------------------------------

def test_401_unauthenticated_403_not_allowed():
    env = Env("authz")
    try:
        srv = env.start(env.config())

        def admin(method, path, user=None, password=None, body=None):
            r = H.request(method, path, user=user, password=password if password is not None else H.DEFAULT,
                          body=body, content_type="application/json" if body is not None else None,
                          accept="application/json", server=srv, checks=False)
            H.check(r.status < 500, "%s %s: %d" % (method, path, r.status))
            if r.status >= 400:
                H.check(isinstance(r.json, dict) and r.json.get("title"),
                        "%s %s: %d body is not an error resource: %r" % (method, path, r.status, r.body[:200]))
                if "http_status" in r.json:
                    H.eq(str(r.json["http_status"]), str(r.status), "http_status of the error")
            return r

        H.eq(admin("GET", "/admin/", user="admin").status, 200, "admin on GET /admin/")
        for path in ("/admin/", "/admin/posture", "/admin/partners"):
            r = admin("GET", path, user="usa")
            H.eq(r.status, 403, "authenticated partner usa on GET %s" % path)
            H.check(r.headers.get("WWW-Authenticate") is None, "403 with WWW-Authenticate on %s" % path)
            r = admin("GET", path, user="kor")
            H.eq(r.status, 403, "authenticated partner kor on GET %s" % path)
            r = admin("GET", path)
            H.eq(r.status, 401, "no credentials on GET %s" % path)
            H.check(r.headers.get("WWW-Authenticate"), "401 without WWW-Authenticate on %s" % path)
            r = admin("GET", path, user="admin", password="wrong")
            H.eq(r.status, 401, "admin with a wrong password on GET %s" % path)
            H.check(r.headers.get("WWW-Authenticate"), "401 without WWW-Authenticate on %s" % path)
        r = admin("POST", "/admin/whatif", user="usa", body={"changes": []})
        H.eq(r.status, 403, "partner usa on POST /admin/whatif")
        r = admin("POST", "/admin/whatif", body={"changes": []})
        H.eq(r.status, 401, "no credentials on POST /admin/whatif")
        # TAXII: a write to a collection kor may only read is 403; without credentials 401
        ind = {"type": "indicator", "spec_version": "2.1", "id": "indicator--" + str(uuid.uuid4()),
               "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
               "pattern": "[ipv4-addr:value = '198.51.100.8']", "pattern_type": "stix",
               "valid_from": "2024-01-01T00:00:00Z"}
        r = H.post_envelope("intel", {"objects": [ind]}, user="kor", server=srv)
        H.eq(r.status, 403, "kor POSTs to intel (read only for kor)")
        r = H.post_envelope("intel", {"objects": [ind]}, user=None, server=srv)
        H.eq(r.status, 401, "POST to intel without credentials")
        r = H.request("GET", H.API_ROOT, user=None, server=srv)
        H.eq(r.status, 401, "GET the API root without credentials")
        H.check(r.headers.get("WWW-Authenticate", "").lower().startswith(("basic", "bearer")),
                "WWW-Authenticate names a scheme: %r" % r.headers.get("WWW-Authenticate"))
    finally:
        env.close()
