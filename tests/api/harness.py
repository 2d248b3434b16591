"""relto API test harness: server process control, HTTP client, TAXII 2.1 checks.

Python 3 standard library only (runs with Debian's /usr/bin/python3 and any
python3 >= 3.9).  Written from the TAXII 2.1 OASIS Standard (10 June 2021);
section numbers in comments (e.g. "spec 3.4") refer to that document.

The test modules use this file through `import harness as H`:

    r = H.request("GET", "/hub/collections/", user="gbr")
    status, headers, body, doc = r          # or r.status, r.headers, ...

Every response passes through check_response(), which enforces the rules
that must hold for ANY request (see that function).  A violation raises
H.Failure (an AssertionError) naming the request.
"""

import base64
import datetime
import http.client
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

# --------------------------------------------------------------------------
# Fixed facts about the demo server (given in the brief, not derived from code)
# --------------------------------------------------------------------------

TAXII_MT = "application/taxii+json;version=2.1"
DISCOVERY = "/taxii2/"
API_ROOT = "/hub/"

COLLECTIONS = {
    "intel": "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
    "telecom": "2c0a6f4e-5b7d-4c41-9a3e-7d5c1f0b8e21",
    "reference": "5d1e3a7b-0c9f-4b2d-8e6a-3f4c2b1a9d07",
    "submissions": "8b4f2e19-6a3c-4d5e-9f1a-2c7b3e4d5f60",
}

PASSWORDS = {
    "usa": "demo-usa", "gbr": "demo-gbr", "aus": "demo-aus", "can": "demo-can",
    "nzl": "demo-nzl", "jpn": "demo-jpn", "kor": "demo-kor", "deu": "demo-deu",
    "admin": "demo-admin",
}
PARTNERS = ["gbr", "aus", "can", "nzl", "jpn", "kor", "deu"]   # not usa/admin
ALL_USERS = ["usa"] + PARTNERS + ["admin"]


def expected_perms(user, coll):
    """(can_read, can_write) of `user` on collection alias `coll` (brief)."""
    if user == "admin":
        return (True, False)
    if user == "usa":
        return (True, coll != "submissions")
    # partners
    if coll == "submissions":
        return (False, True)
    return (True, False)


def coll_path(name, suffix=""):
    """'/hub/collections/<uuid>/' + suffix; name is an alias or a raw id."""
    cid = COLLECTIONS.get(name, name)
    return API_ROOT + "collections/" + cid + "/" + suffix


def obj_path(coll, object_id, suffix=""):
    return coll_path(coll, "objects/" + object_id + "/" + suffix)


# --------------------------------------------------------------------------
# Errors / results
# --------------------------------------------------------------------------

class Failure(AssertionError):
    pass


class Skip(Exception):
    pass


def fail(msg):
    raise Failure(msg)


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def eq(actual, expected, what):
    if actual != expected:
        raise Failure("%s: expected %s, got %s" % (what, _short(expected), _short(actual)))


def _short(v, n=300):
    s = repr(v)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


# --------------------------------------------------------------------------
# The store: a SQLite file, or a PostgreSQL database (issue 7)
# --------------------------------------------------------------------------
#
# Tests name their databases by file path ("{dir}/demo.db").  Run under
# tests/pg/run (RELTO_TEST_PG set, the suite then runs on PostgreSQL:
# `make test-api-pg`), each path stands for a database of its own on that
# server, created empty the first time the path is named in this run; the
# relto command lines and configuration texts the tests give are rewritten
# to name it (map_argv, map_config), and commands that would keep files
# beside a database file run in the path's directory, where the demo keeps
# its audit key and journals on a server database.  A test that reads or
# changes the SQLite files themselves calls sqlite_only(), which skips it
# on PostgreSQL (run.py counts skips apart from passes).

PG_URL = os.environ.get("RELTO_TEST_PG") or None
_PG_DATABASES = {}  # path -> URL of its database


def _pg_program(name, *args):
    """Run PostgreSQL's client program `name` on the test cluster (its
    socket: tests/pg/run exports where it is)."""
    bindir = os.environ.get("RELTO_TEST_PG_BINDIR", "")
    argv = [os.path.join(bindir, name) if bindir else name,
            "-h", os.environ["RELTO_TEST_PG_HOST"], "-p", os.environ["RELTO_TEST_PG_PORT"],
            "-U", "relto"] + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("%s %s: %s" % (name, " ".join(args), p.stderr.strip()))


def store_url(path, template=None):
    """What relto is given for the database file `path`: the path itself,
    or on PostgreSQL the URL of the database standing for it (created
    empty, or as a copy of `template`'s, on first use)."""
    if not PG_URL or path.startswith(("postgres://", "postgresql://")):
        return path
    path = os.path.abspath(path)
    if path in _PG_DATABASES and template is None:
        return _PG_DATABASES[path]
    import hashlib
    name = "t_" + hashlib.sha1(path.encode()).hexdigest()[:20]
    _pg_program("dropdb", "--if-exists", name)
    if template is not None:
        _pg_program("createdb", "-T", store_url(template).rsplit("/", 1)[1].split("?")[0], name)
    else:
        _pg_program("createdb", name)
    u = urllib.parse.urlsplit(PG_URL)
    url = urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, ""))
    _PG_DATABASES[path] = url
    return url


def copy_store(src, dst):
    """A copy of the store at file path src (the server using it stopped)
    under file path dst: the SQLite files, or a database made from src's."""
    if PG_URL:
        store_url(dst, template=src)
        key = os.path.join(os.path.dirname(os.path.abspath(src)), AUDIT_KEY)
        if os.path.exists(key):
            shutil.copyfile(key, os.path.join(os.path.dirname(os.path.abspath(dst)), AUDIT_KEY))
        return
    for suffix in ("", "-wal", "-shm", ".audit", ".audit-wal", ".audit-shm", ".audit-records",
                   ".audit-key"):
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, dst + suffix)


def pg_sql(path, sql):
    """Run sql on the PostgreSQL database standing for file path `path`
    (psql, on the test cluster); the rows it returns, as lists of text."""
    import csv
    import io
    bindir = os.environ.get("RELTO_TEST_PG_BINDIR", "")
    p = subprocess.run([os.path.join(bindir, "psql"), "-h", os.environ["RELTO_TEST_PG_HOST"],
                        "-p", os.environ["RELTO_TEST_PG_PORT"], "-U", "relto", "-X", "-q", "--csv",
                        "-v", "ON_ERROR_STOP=1", "-d", store_url(path).rsplit("/", 1)[1], "-c", sql],
                       capture_output=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("psql: %s" % p.stderr.decode().strip())
    rows = list(csv.reader(io.StringIO(p.stdout.decode("utf-8"))))
    return rows[1:]   # without the header line


def store_bytes(path):
    """Everything the store at file path `path` holds, as bytes (to look
    for what must never be stored): its SQLite files, or a dump of the
    database standing for it."""
    if PG_URL:
        bindir = os.environ.get("RELTO_TEST_PG_BINDIR", "")
        p = subprocess.run([os.path.join(bindir, "pg_dump"), "-h", os.environ["RELTO_TEST_PG_HOST"],
                            "-p", os.environ["RELTO_TEST_PG_PORT"], "-U", "relto", "--data-only",
                            store_url(path).rsplit("/", 1)[1]], capture_output=True, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("pg_dump: %s" % p.stderr.decode().strip())
        return p.stdout
    data = b""
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            with open(path + suffix, "rb") as f:
                data += f.read()
    return data


def map_argv(argv, cwd=None):
    """argv with every `--db PATH` (and `-d PATH`) naming store_url(PATH);
    and the directory a command should run in: cwd, or on PostgreSQL the
    path's own directory (where the demo keeps its audit key)."""
    out = list(argv)
    for i in range(len(out) - 1):
        if out[i] in ("--db", "-d") and isinstance(out[i + 1], str):
            if PG_URL and cwd is None and not out[i + 1].startswith("postgres"):
                cwd = os.path.dirname(os.path.abspath(out[i + 1]))
            out[i + 1] = store_url(out[i + 1])
    return out, cwd


AUDIT_KEY = "relto-demo.audit-key"   # where the demo keeps it on a server database


def map_config(text, directory):
    """A configuration text with its `database:` naming store_url(); on
    PostgreSQL also with an audit key and journals in directory, as a
    server database needs (docs/configuration.md), unless it names them."""
    if not PG_URL:
        return text

    def repl(m):
        value = m.group(2).strip()
        if value[:1] in ('"', "'"):
            value = value[1:-1]
        return m.group(1) + '"%s"' % store_url(value)
    text = re.sub(r'(?m)^(database:[ \t]*)(\S.*?)[ \t]*$', repl, text)
    lines = text.split("\n")
    add = ['  key: "%s"' % os.path.join(directory, AUDIT_KEY), '  journals: "%s"' % directory]
    if "audit:" not in [ln.rstrip() for ln in lines]:
        return text.rstrip("\n") + "\naudit:\n" + "\n".join(add) + "\n"
    i = [ln.rstrip() for ln in lines].index("audit:")
    j = i + 1
    while j < len(lines) and lines[j].startswith((" ", "\t")):
        j += 1
    block = lines[i + 1:j]
    if any(ln.strip().startswith("key:") for ln in block):
        return text
    return "\n".join(lines[:i + 1] + add + lines[i + 1:])


def sqlite_only(why):
    """Skip the calling test on PostgreSQL: it works on the SQLite files."""
    if PG_URL:
        raise Skip("SQLite only: " + why)


def run_relto(args, cwd=None, **kw):
    """subprocess.run of the relto binary with args (--db mapped)."""
    argv, cwd = map_argv(list(args), cwd)
    return subprocess.run([RELTO] + argv, cwd=cwd, **kw)


# --------------------------------------------------------------------------
# Server process control
# --------------------------------------------------------------------------

VERBOSE = False


def log(*a):
    if VERBOSE:
        print("  ..", *a, flush=True)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A relto process on a loopback port.  argv may contain {port}, {dir}."""

    def __init__(self, relto, argv, workdir=None, name="relto", startup_timeout=60.0):
        self.relto = relto
        self.name = name
        self.own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="relto-api-")
        self.port = None
        self.argv_template = argv
        self.proc = None
        self.scheme = "http"
        self.startup_timeout = startup_timeout
        self.stderr_path = os.path.join(self.dir, name + ".stderr")
        self.stdout_path = os.path.join(self.dir, name + ".stdout")
        self._err = None
        self._out = None
        self.config_text = None
        self.config_path = None

    def start(self):
        self.port = free_port()
        argv = [a.replace("{port}", str(self.port)).replace("{dir}", self.dir)
                for a in self.argv_template]
        argv, _ = map_argv(argv, cwd=self.dir)
        if getattr(self, "config_text", None) is not None:
            with open(self.config_path, "w") as f:
                f.write(map_config(self.config_text.replace("{port}", str(self.port))
                                   .replace("{dir}", self.dir), self.dir))
        self._err = open(self.stderr_path, "ab")
        self._out = open(self.stdout_path, "ab")
        log("starting", self.relto, " ".join(argv))
        self.proc = subprocess.Popen([self.relto] + argv, cwd=self.dir,
                                     stdin=subprocess.DEVNULL,
                                     stdout=self._out, stderr=self._err)
        deadline = time.time() + self.startup_timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with status %s during startup\n%s"
                                   % (self.name, self.proc.returncode, self.stderr_tail()))
            for scheme in ("http", "https"):
                try:
                    st = _probe(scheme, self.port)
                    self.scheme = scheme
                    log("%s up on %s://127.0.0.1:%d (probe status %d)"
                        % (self.name, scheme, self.port, st))
                    return self
                except Exception as e:     # noqa: BLE001 - keep polling
                    last = e
            time.sleep(0.25)
        self.stop()
        raise RuntimeError("%s: %s did not answer within %.0f s (last error: %r)\n%s"
                           % (self.name, DISCOVERY, self.startup_timeout, last, self.stderr_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                log("%s ignored SIGTERM for 10 s; SIGKILL" % self.name)
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode
        self.proc = None
        for f in (self._err, self._out):
            if f:
                f.close()
        self._err = self._out = None
        self._scan_for_sanitizer_reports()
        return rc

    def _scan_for_sanitizer_reports(self):
        """Record AddressSanitizer/LeakSanitizer/UBSan reports the server
        printed (run.py counts each as a failure): under `make SAN=1 test`
        a report in the server is a bug even when every response was right."""
        try:
            with open(self.stderr_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            i = text.find(marker)
            if i >= 0 and (self.stderr_path, marker) not in [(p, m) for p, m, _ in SANITIZER_REPORTS]:
                SANITIZER_REPORTS.append((self.stderr_path, marker, text[max(0, i - 200):i + 1500]))

    def stderr_size(self):
        try:
            return os.path.getsize(self.stderr_path)
        except OSError:
            return 0

    def stderr_tail(self, lines=20, since=None):
        try:
            with open(self.stderr_path, "rb") as f:
                if since:
                    f.seek(since)
                data = f.read()
        except OSError:
            return ""
        text = data.decode("utf-8", "replace").rstrip("\n").split("\n")
        return "\n".join(text[-lines:])

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


def _probe(scheme, port):
    conn = _connection(scheme, "127.0.0.1", port, timeout=3)
    try:
        conn.request("GET", DISCOVERY, headers={"Accept": TAXII_MT,
                                                "Authorization": basic("usa", PASSWORDS["usa"])})
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def _connection(scheme, host, port, timeout):
    if scheme == "https":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
    return http.client.HTTPConnection(host, port, timeout=timeout)


# Sanitizer reports found in any server's stderr: (path, marker, excerpt).
SANITIZER_REPORTS = []

# The main (demo) server of this run; set by run.py.
SERVER = None
RELTO = None        # path of the server binary (set by run.py)
TARGET = None        # (scheme, host, port) -- from SERVER or --url


def set_target(scheme, host, port):
    global TARGET
    TARGET = (scheme, host, port)


def start_demo(relto):
    """Start `relto demo` once for the run (brief: harness requirement)."""
    global SERVER
    srv = Server(relto, ["demo", "--listen", "127.0.0.1:{port}",
                         "--db", os.path.join("{dir}", "demo.db")], name="relto-demo")
    try:
        srv.start()
    except BaseException:
        srv.cleanup()       # the error message already carries the stderr tail
        raise
    SERVER = srv
    set_target(srv.scheme, "127.0.0.1", srv.port)
    return srv


def restart_demo():
    """Restart the demo server on a new port, same database (after a crash)."""
    srv = SERVER
    srv.stop()
    srv.start()
    set_target(srv.scheme, "127.0.0.1", srv.port)
    invalidate()


def start_custom_server(relto, config_text, extra_argv=None, config_name="relto.conf",
                        argv=None):
    """Start a second relto with a custom config file (format not fixed yet).

    Writes `config_text` to a fresh temporary directory and runs
    `relto serve -c FILE` (argv overrides the arguments).  The texts {port}
    (a free loopback port, where the config must make relto listen) and
    {dir} (the temporary directory) are substituted in the config and argv.
    Returns a started Server; the caller must call .cleanup().  Talk to it
    with request(..., server=srv).
    """
    srv = Server(relto, [], name="relto-custom")
    cfg = os.path.join(srv.dir, config_name)
    srv.argv_template = argv or (["serve", "-c", cfg] + list(extra_argv or []))
    srv.config_text = config_text
    srv.config_path = cfg
    try:
        srv.start()
    except BaseException:
        srv.cleanup()       # the error message already carries the stderr tail
        raise
    return srv


# --------------------------------------------------------------------------
# HTTP client
# --------------------------------------------------------------------------

class Response(tuple):
    """(status, headers, body, json) with attribute access.

    headers is an http.client.HTTPMessage (case-insensitive .get/.get_all).
    json is the parsed body (duplicate keys rejected) or None.
    """
    __slots__ = ()

    def __new__(cls, status, headers, body, doc, method="", target=""):
        self = tuple.__new__(cls, (status, headers, body, doc))
        return self

    status = property(lambda s: s[0])
    headers = property(lambda s: s[1])
    body = property(lambda s: s[2])
    json = property(lambda s: s[3])

    def header(self, name):
        return self[1].get(name)


DEFAULT = object()


def basic(user, password):
    raw = ("%s:%s" % (user, password)).encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


def qs(params):
    """Build a query string.  params: list of (key, value) or a dict.

    Keys are sent as-is (literal brackets, as in the spec's examples);
    values are percent-encoded except for the characters that TAXII uses
    literally (',' ':' '.' '-' '_').
    """
    if not params:
        return ""
    items = params.items() if isinstance(params, dict) else params
    parts = []
    for k, v in items:
        if v is None:
            parts.append(k)
        else:
            parts.append(k + "=" + urllib.parse.quote(str(v), safe=",:-._~"))
    return "?" + "&".join(parts)


def url(path, params=None):
    return path + qs(params)


def request(method, path, user="usa", password=DEFAULT, headers=None, body=None,
            accept=DEFAULT, params=None, auth=DEFAULT, timeout=60, checks=True,
            server=None, content_type=DEFAULT, layer_lenient=False):
    """One HTTP request on a fresh connection.

    user=None sends no Authorization header.  password defaults to the
    user's demo password.  auth= overrides the whole Authorization header
    value.  accept=None omits Accept (default: TAXII 2.1).  body may be
    bytes, str, or a JSON-able object (then serialised).  For POST with a
    body, Content-Type defaults to TAXII 2.1 (content_type=None omits it).
    layer_lenient=True: a 413/414/431 (answers typically produced by the HTTP
    layer before the application sees the request) is only checked for
    "not 5xx"; dedicated tests check those statuses strictly.
    """
    hdrs = {}
    if accept is DEFAULT:
        hdrs["Accept"] = TAXII_MT
    elif accept is not None:
        hdrs["Accept"] = accept
    if auth is not DEFAULT:
        if auth is not None:
            hdrs["Authorization"] = auth
    elif user is not None:
        pw = PASSWORDS.get(user, "x") if password is DEFAULT else password
        hdrs["Authorization"] = basic(user, pw)
    if body is not None and not isinstance(body, (bytes, bytearray)):
        if isinstance(body, str):
            body = body.encode("utf-8")
        else:
            body = json.dumps(body).encode("utf-8")
    if body is not None:
        if content_type is DEFAULT:
            hdrs["Content-Type"] = TAXII_MT
        elif content_type is not None:
            hdrs["Content-Type"] = content_type
    if headers:
        for k, v in headers.items():
            if v is None:
                hdrs.pop(k, None)
            else:
                hdrs[k] = v
    target = url(path, params)
    if server is not None:
        scheme, host, port = server.scheme, "127.0.0.1", server.port
    else:
        scheme, host, port = TARGET
    conn = _connection(scheme, host, port, timeout)
    t0 = time.time()
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for k, v in hdrs.items():
            conn.putheader(k, v)
        if body is not None and not any(k.lower() in ("content-length", "transfer-encoding")
                                        for k in hdrs):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read() if method != "HEAD" else b""
    except socket.timeout:
        fail("%s %s: no response within %d s (hang)" % (method, _clip(target), timeout))
    except (ConnectionError, http.client.HTTPException, OSError) as e:
        fail("%s %s: connection failed: %r (server crashed?)" % (method, _clip(target), e))
    finally:
        conn.close()
    log("%s %s -> %d (%d bytes, %.0f ms)" % (method, _clip(target, 120), resp.status,
                                            len(data), (time.time() - t0) * 1000))
    doc = parse_json(data)
    r = Response(resp.status, resp.msg, data, doc)
    if method in ("POST", "DELETE") and 200 <= resp.status < 300:
        invalidate()
    if checks:
        if layer_lenient and resp.status in (413, 414, 431):
            return r
        check_response(method, target, r)
    return r


def _clip(s, n=160):
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


class DuplicateKey(ValueError):
    pass


def _no_dup_pairs(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise DuplicateKey("duplicate key %r" % k)
        d[k] = v
    return d


def parse_json(data):
    """Parse a response body strictly (UTF-8, no duplicate keys); None if not JSON."""
    if not data:
        return None
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_no_dup_pairs)
    except (UnicodeDecodeError, ValueError):
        return None


def is_taxii_ctype(value):
    """Content-Type equals application/taxii+json;version=2.1 (case-insensitive
    type/subtype, optional whitespace around ';' per RFC 7231 3.1.1.1)."""
    if not value:
        return False
    parts = [p.strip() for p in value.split(";")]
    if parts[0].lower() != "application/taxii+json":
        return False
    params = {}
    for p in parts[1:]:
        if "=" not in p:
            return False
        k, v = p.split("=", 1)
        params[k.strip().lower()] = v.strip().strip('"')
    return params.get("version") == "2.1"


def describe(method, target, r):
    body = r.body[:400].decode("utf-8", "replace")
    return "%s %s -> %d %s" % (method, _clip(target), r.status, body)


def check_response(method, target, r):
    """Rules that hold for every response (brief + spec):

    - never a 5xx (brief: "status never 5xx for any input you send");
    - every response carries Content-Type application/taxii+json;version=2.1
      (spec 3.1: "All TAXII responses MUST include the appropriate media type
      and version parameter in the Content-Type header"); HEAD is exempt
      from body checks;
    - a 2xx body, when present, is UTF-8 JSON without duplicate keys (1.6.7,
      I-JSON RFC 7493);
    - every 4xx body is a TAXII error resource (3.6.1): JSON object with a
      string "title"; "http_status", when present, matches the status line
      (its *type* -- string per 3.6.1 -- is checked by a dedicated test);
    - a 401 carries WWW-Authenticate (1.6.9, RFC 7235);
    - a 405 carries Allow (RFC 7231 6.5.5 MUST).
    """
    st = r.status
    if st >= 500:
        fail("5xx: " + describe(method, target, r))
    if method == "HEAD":
        return
    ct = r.headers.get("Content-Type")
    # A bodiless 200 to DELETE is checked by test_70_delete's dedicated test
    # (5.7 lists Content-Type as required there) so that it does not mask
    # every other DELETE check.
    if not is_taxii_ctype(ct) and not (method == "DELETE" and 200 <= st < 300 and not r.body):
        fail("Content-Type %r is not %s: %s" % (ct, TAXII_MT, describe(method, target, r)))
    if 200 <= st < 300 and r.body:
        check(r.json is not None, "2xx body is not strict UTF-8 JSON (or has duplicate keys): "
              + describe(method, target, r))
    if 400 <= st < 500:
        doc = r.json
        check(isinstance(doc, dict), "4xx body is not a JSON object (TAXII error resource): "
              + describe(method, target, r))
        check(isinstance(doc.get("title"), str) and doc.get("title") != "",
              "4xx error resource lacks a string 'title': " + describe(method, target, r))
        if "http_status" in doc:
            check(str(doc["http_status"]) == str(st),
                  "error http_status %r does not match status %d: %s"
                  % (doc["http_status"], st, describe(method, target, r)))
        for k in ("description", "error_id", "error_code", "external_details"):
            if k in doc:
                check(isinstance(doc[k], str), "error property %r must be a string: %s"
                      % (k, describe(method, target, r)))
        if "details" in doc:
            check(isinstance(doc["details"], dict), "error 'details' must be a dictionary: "
                  + describe(method, target, r))
    if st == 401:
        check(r.headers.get("WWW-Authenticate"), "401 without WWW-Authenticate: "
              + describe(method, target, r))
    if st == 405:
        check(r.headers.get("Allow") is not None, "405 without Allow header (RFC 7231 6.5.5): "
              + describe(method, target, r))


# Convenience wrappers ------------------------------------------------------

def get(path, params=None, user="usa", **kw):
    return request("GET", path, user=user, params=params, **kw)


def expect(r, *statuses, what=""):
    if r.status not in statuses:
        fail("%sexpected HTTP %s, got %d: %s" % (what + ": " if what else "",
                                                 "/".join(map(str, statuses)), r.status,
                                                 r.body[:400].decode("utf-8", "replace")))
    return r


def get_ok(path, params=None, user="usa", **kw):
    r = get(path, params, user=user, **kw)
    expect(r, 200, what="GET " + url(path, params))
    check(isinstance(r.json, dict), "GET %s: 200 body is not a JSON object" % url(path, params))
    return r


def post_envelope(coll, body, user="usa", **kw):
    return request("POST", coll_path(coll, "objects/"), user=user, body=body, **kw)


def raw_exchange(data, timeout=30, server=None, read=True, half_close=True):
    """Send raw bytes on a new socket, return (status or None, raw response bytes).

    Used for requests http.client refuses to build (NUL bytes, bad request
    lines).  Returns status None when the server closed without a response.
    After sending, the write side is shut down (the server sees EOF, so an
    incomplete request cannot legitimately keep it waiting).  Once some
    response bytes arrived, 2 s of silence end the read (keep-alive).
    Nothing at all within `timeout` seconds is a hang.
    """
    scheme, host, port = (server.scheme, "127.0.0.1", server.port) if server else TARGET
    s = socket.create_connection((host, port), timeout=timeout)
    if scheme == "https":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    out = b""
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if half_close and scheme != "https":
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        if read:
            while True:
                try:
                    chunk = s.recv(65536)
                except (ConnectionResetError, ssl.SSLError):
                    break
                except socket.timeout:
                    if out:
                        break
                    raise
                if not chunk:
                    break
                out += chunk
                s.settimeout(2)
                if len(out) > 10 * 1024 * 1024:
                    break
    except socket.timeout:
        fail("raw request: no response/close within %d s (hang): %r" % (timeout, data[:120]))
    finally:
        s.close()
    m = re.match(rb"HTTP/1\.[01] (\d{3})", out)
    return (int(m.group(1)) if m else None), out


def split_raw_response(out):
    """(status, headers dict lower-cased, body) from raw bytes (no chunk decoding)."""
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0] if lines else b"")
    hdrs = {}
    for ln in lines[1:]:
        if b":" in ln:
            k, v = ln.split(b":", 1)
            hdrs[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body)
    return (int(m.group(1)) if m else None), hdrs, body


def _dechunk(b):
    out = b""
    while b:
        line, _, rest = b.partition(b"\r\n")
        try:
            n = int(line.split(b";")[0], 16)
        except ValueError:
            return out
        if n == 0:
            break
        out += rest[:n]
        b = rest[n + 2:]
    return out


def check_raw_response(out, what):
    """For raw requests that are valid HTTP: apply the same rules as check_response."""
    st, hdrs, body = split_raw_response(out)
    if st is None:
        return None
    if st >= 500:
        fail("%s: 5xx response: %r" % (what, out[:300]))
    if 400 <= st < 500:
        check(is_taxii_ctype(hdrs.get("content-type")),
              "%s: %d response without TAXII Content-Type (got %r): %r"
              % (what, st, hdrs.get("content-type"), out[:300]))
        doc = parse_json(body)
        check(isinstance(doc, dict) and isinstance(doc.get("title"), str),
              "%s: %d body is not a TAXII error resource: %r" % (what, st, body[:300]))
    return st


def server_alive_check():
    """Fail if the demo server process died; answer a plain request."""
    if SERVER is not None:
        check(SERVER.alive(), "server process died")
    r = get(DISCOVERY)
    check(r.status in (200, 401), "server no longer answers %s normally (%d)" % (DISCOVERY, r.status))


# --------------------------------------------------------------------------
# Value formats
# --------------------------------------------------------------------------

TAXII_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
STIX_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
UUID4_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
STIX_ID_RE = re.compile(r"^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)--"
                        r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
CUSTOM_PROP_RE = re.compile(r"^[a-z0-9_]{3,250}$")


def is_taxii_ts(s):
    """Spec 2: RFC 3339, UTC 'Z', exactly microsecond precision."""
    if not isinstance(s, str) or not TAXII_TS_RE.match(s):
        return False
    try:
        datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError:
        return False
    return True


def is_stix_ts(s):
    if not isinstance(s, str) or not STIX_TS_RE.match(s):
        return False
    try:
        datetime.datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


def ts_key(s):
    """Sort/compare key for RFC 3339 'Z' timestamps of any fractional precision."""
    base = s[:19]
    frac = s[20:-1] if len(s) > 20 and s[19] == "." else ""
    return (base, frac.ljust(12, "0"))


def same_instant(a, b):
    return ts_key(a) == ts_key(b)


def taxii_ts_to_dt(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")


def dt_to_taxii(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def taxii_ts_add(s, microseconds):
    return dt_to_taxii(taxii_ts_to_dt(s) + datetime.timedelta(microseconds=microseconds))


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def stix_now(offset_ms=0, micro=False):
    dt = now_utc() + datetime.timedelta(milliseconds=offset_ms)
    if micro:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def new_id(stype):
    return "%s--%s" % (stype, uuid.uuid4())


def version_of(obj):
    """Spec 5.3.1/4.3.1: STIX modified, else created (unversioned objects)."""
    return obj.get("modified", obj.get("created"))


# --------------------------------------------------------------------------
# Resource validators (spec 3.7, 4.1.1, 4.2.1, 4.3.1, 5.1.1, 5.2.1, 5.3.1, 5.8.1)
# --------------------------------------------------------------------------

def no_empty_lists(doc, where, skip_keys=("objects",)):
    """Spec 2 'list': empty lists MUST NOT be used (TAXII resources only)."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if isinstance(v, list):
                check(len(v) > 0, "%s: property %r is an empty list (spec 2 forbids)" % (where, k))
            if k not in skip_keys:
                no_empty_lists(v, where + "." + k, ())


def only_known_keys(doc, known, where):
    """Spec 3.8 exact names + 7.1.1 custom property name rules for the rest."""
    for k in doc:
        if k not in known:
            check(CUSTOM_PROP_RE.match(k) is not None,
                  "%s: unknown property %r is neither a spec property nor a valid custom "
                  "property name (spec 3.8/7.1.1)" % (where, k))


def check_envelope(doc, where="envelope"):
    check(isinstance(doc, dict), "%s: not a JSON object" % where)
    only_known_keys(doc, ("more", "next", "objects"), where)
    if "more" in doc:
        check(isinstance(doc["more"], bool), "%s: 'more' is not a boolean" % where)
    if "next" in doc:
        check(isinstance(doc["next"], str) and doc["next"] != "",
              "%s: 'next' is not a non-empty string" % where)
        check(doc.get("more") is True, "%s: 'next' present although more is not true "
              "(spec 3.7: next MAY be populated if more is true)" % where)
    if "objects" in doc:
        objs = doc["objects"]
        check(isinstance(objs, list), "%s: 'objects' is not a list" % where)
        check(len(objs) > 0, "%s: 'objects' is an empty list; it MUST be omitted "
              "(spec 2, 3.7)" % where)
        for o in objs:
            check_stix_object(o, where)
    return doc.get("objects", [])


def check_stix_object(o, where="object"):
    check(isinstance(o, dict), "%s: element of objects is not a JSON object" % where)
    t = o.get("type")
    check(isinstance(t, str) and t, "%s: object without a type: %s" % (where, _short(o)))
    i = o.get("id")
    check(isinstance(i, str), "%s: object without an id: %s" % (where, _short(o)))
    m = STIX_ID_RE.match(i)
    check(m is not None and m.group(1) == t, "%s: id %r does not match type %r" % (where, i, t))


def check_manifest(doc, where="manifest"):
    check(isinstance(doc, dict), "%s: not a JSON object" % where)
    # 'next' is not in 5.3.1 (erratum oasis-tcs/cti-taxii2#110); a server may add it.
    only_known_keys(doc, ("more", "next", "objects"), where)
    if "more" in doc:
        check(isinstance(doc["more"], bool), "%s: 'more' is not a boolean" % where)
    if "next" in doc:
        check(isinstance(doc["next"], str) and doc["next"], "%s: bad 'next'" % where)
        check(doc.get("more") is True, "%s: 'next' without more=true" % where)
    recs = doc.get("objects", [])
    if "objects" in doc:
        check(isinstance(recs, list) and len(recs) > 0,
              "%s: 'objects' must be a non-empty list or omitted (spec 5.3.1)" % where)
    for rec in recs:
        check(isinstance(rec, dict), "%s: manifest-record is not an object" % where)
        only_known_keys(rec, ("id", "date_added", "version", "media_type"), where + " record")
        check(isinstance(rec.get("id"), str) and STIX_ID_RE.match(rec["id"]),
              "%s: record id %r is not a STIX id" % (where, rec.get("id")))
        check(is_taxii_ts(rec.get("date_added")),
              "%s: record date_added %r is not a TAXII timestamp (microseconds, Z)"
              % (where, rec.get("date_added")))
        check(isinstance(rec.get("version"), str) and rec["version"],
              "%s: record version missing/not a string: %s" % (where, _short(rec)))
        if "media_type" in rec:
            check(isinstance(rec["media_type"], str) and rec["media_type"],
                  "%s: bad media_type" % where)
    return recs


def check_versions(doc, where="versions"):
    check(isinstance(doc, dict), "%s: not a JSON object" % where)
    only_known_keys(doc, ("more", "next", "versions"), where)
    if "more" in doc:
        check(isinstance(doc["more"], bool), "%s: 'more' is not a boolean" % where)
    vs = doc.get("versions", [])
    if "versions" in doc:
        check(isinstance(vs, list) and len(vs) > 0,
              "%s: 'versions' must be a non-empty list or omitted (spec 5.8.1)" % where)
        for v in vs:
            check(isinstance(v, str) and v, "%s: version %r is not a string" % (where, v))
    return vs


def check_status(doc, where="status"):
    """Spec 4.3.1 status resource."""
    check(isinstance(doc, dict), "%s: not a JSON object" % where)
    only_known_keys(doc, ("id", "status", "request_timestamp", "total_count", "success_count",
                          "successes", "failure_count", "failures", "pending_count",
                          "pendings"), where)
    check(isinstance(doc.get("id"), str) and UUID4_RE.match(doc["id"]),
          "%s: id %r is not a UUIDv4 identifier (spec 2)" % (where, doc.get("id")))
    check(doc.get("status") in ("complete", "pending"),
          "%s: status %r not complete/pending" % (where, doc.get("status")))
    if "request_timestamp" in doc:
        check(is_taxii_ts(doc["request_timestamp"]),
              "%s: request_timestamp %r is not a TAXII timestamp" % (where, doc["request_timestamp"]))
    for k in ("total_count", "success_count", "failure_count", "pending_count"):
        v = doc.get(k)
        check(isinstance(v, int) and not isinstance(v, bool) and v >= 0,
              "%s: %s %r is not a non-negative integer" % (where, k, v))
    check(doc["success_count"] + doc["failure_count"] + doc["pending_count"] == doc["total_count"],
          "%s: success+failure+pending != total: %s" % (where, _short(doc)))
    for lst, cnt in (("successes", "success_count"), ("failures", "failure_count"),
                     ("pendings", "pending_count")):
        if lst in doc:
            v = doc[lst]
            check(isinstance(v, list) and len(v) > 0,
                  "%s: %s must be a non-empty list or omitted (spec 2)" % (where, lst))
            check(len(v) <= doc[cnt], "%s: %s longer than %s" % (where, lst, cnt))
            for d in v:
                check(isinstance(d, dict), "%s: %s entry not an object" % (where, lst))
                only_known_keys(d, ("id", "version", "message"), where + "." + lst)
                check(isinstance(d.get("id"), str) and d["id"],
                      "%s: %s entry without id: %s" % (where, lst, _short(d)))
                # 4.3.1: version is required.  An invalid object may have no
                # modified/created at all; then any consistent value (even
                # "") is accepted for failures, never for successes.
                check(isinstance(d.get("version"), str) and (d["version"] or lst == "failures"),
                      "%s: %s entry without version (required, spec 4.3.1): %s"
                      % (where, lst, _short(d)))
                if "message" in d:
                    check(isinstance(d["message"], str), "%s: message not a string" % where)
    if doc["status"] == "complete":
        check(doc["pending_count"] == 0, "%s: complete but pending_count > 0" % where)
    return doc


# --------------------------------------------------------------------------
# Raw JSON: byte spans of the elements of the top-level "objects" array
# --------------------------------------------------------------------------

_WS = b" \t\r\n"


def _skip_ws(b, i):
    while i < len(b) and b[i] in _WS:
        i += 1
    return i


def _skip_string(b, i):
    assert b[i:i + 1] == b'"'
    i += 1
    while True:
        c = b[i]
        if c == 0x5C:        # backslash
            i += 2
        elif c == 0x22:
            return i + 1
        else:
            i += 1


def _skip_value(b, i):
    c = b[i:i + 1]
    if c == b'"':
        return _skip_string(b, i)
    if c in (b"{", b"["):
        depth = 0
        while True:
            c = b[i:i + 1]
            if c == b'"':
                i = _skip_string(b, i)
                continue
            if c in (b"{", b"["):
                depth += 1
            elif c in (b"}", b"]"):
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    while i < len(b) and b[i:i + 1] not in (b",", b"}", b"]") and b[i] not in _WS:
        i += 1
    return i


def raw_objects(body):
    """List of the exact byte texts of body["objects"][*] (empty if absent)."""
    b = bytes(body)
    i = _skip_ws(b, 0)
    check(b[i:i + 1] == b"{", "raw_objects: body is not a JSON object")
    i += 1
    while True:
        i = _skip_ws(b, i)
        if b[i:i + 1] == b"}":
            return []
        if b[i:i + 1] == b",":
            i = _skip_ws(b, i + 1)
        j = _skip_string(b, i)
        key = json.loads(b[i:j].decode("utf-8"))
        i = _skip_ws(b, j)
        assert b[i:i + 1] == b":"
        i = _skip_ws(b, i + 1)
        if key == "objects":
            check(b[i:i + 1] == b"[", "raw_objects: 'objects' is not an array")
            i += 1
            out = []
            while True:
                i = _skip_ws(b, i)
                if b[i:i + 1] == b"]":
                    return out
                if b[i:i + 1] == b",":
                    i = _skip_ws(b, i + 1)
                j = _skip_value(b, i)
                out.append(b[i:j])
                i = j
        i = _skip_value(b, i)


# --------------------------------------------------------------------------
# Crawling and snapshots
# --------------------------------------------------------------------------

def crawl(path, params=None, user="usa", mode="next", page_limit=1000, max_pages=None,
          items_key="objects"):
    """Follow pagination to the end.  Returns (items, responses).

    mode "next": use the envelope's next token (the spec's MAY; the demo
    provides it -- brief); if more=true and next is absent, fail.
    mode "added_after": re-issue the same query with added_after set to the
    previous response's X-TAXII-Date-Added-Last (spec 3.5).
    mode "auto": next when present, otherwise added_after.
    """
    base = list(params.items() if isinstance(params, dict) else (params or []))
    if page_limit is not None and not any(k == "limit" for k, _ in base):
        base.append(("limit", page_limit))
    items, responses = [], []
    extra = []
    max_pages = max_pages or 100000
    for _ in range(max_pages):
        r = get_ok(path, base + extra, user=user)
        responses.append(r)
        doc = r.json
        got = doc.get(items_key, [])
        items.extend(got)
        if not doc.get("more"):
            return items, responses
        nxt = doc.get("next")
        if mode == "next" or (mode == "auto" and nxt):
            check(nxt, "GET %s: more=true but no next token" % url(path, base + extra))
            extra = [("next", nxt)]
        else:
            last = r.headers.get("X-TAXII-Date-Added-Last")
            check(last, "GET %s: more=true but no X-TAXII-Date-Added-Last" % url(path, base + extra))
            check(got, "GET %s: more=true, empty page, added_after paging cannot advance"
                  % url(path, base + extra))
            base = [(k, v) for k, v in base if k != "added_after"] + [("added_after", last)]
            extra = []
    fail("pagination of %s did not end after %d pages" % (path, max_pages))


_CACHE = {}


def invalidate():
    _CACHE.clear()


class Snapshot:
    """Everything a reader (usa) sees in a collection: all versions in
    date_added order, from the manifest and from the objects endpoint."""

    def __init__(self, coll):
        self.coll = coll
        self.records, _ = crawl(coll_path(coll, "manifest/"), [("match[version]", "all")],
                                mode="auto")
        objs, resps = crawl(coll_path(coll, "objects/"), [("match[version]", "all")], mode="auto")
        self.objects = objs
        self.by_id = {}
        for o in objs:
            self.by_id.setdefault(o["id"], []).append(o)
        self.records_by_id = {}
        for rec in self.records:
            self.records_by_id.setdefault(rec["id"], []).append(rec)

    def added(self, obj):
        """date_added of this version of obj, from the manifest (None if unknown)."""
        recs = self.records_by_id.get(obj["id"], [])
        v = version_of(obj)
        for rec in recs:
            if v is None or rec["version"] == v or (is_stix_ts(v) and is_stix_ts(rec["version"])
                                                   and same_instant(v, rec["version"])):
                return rec["date_added"]
        return None

    def versions(self, oid):
        """Versions of oid sorted by STIX version (modified/created) ascending."""
        return sorted(self.by_id.get(oid, []), key=lambda o: ts_key(version_of(o)))

    def latest(self):
        return {oid: self.versions(oid)[-1] for oid in self.by_id}

    def first(self):
        return {oid: self.versions(oid)[0] for oid in self.by_id}

    def multi_version_ids(self, n=1):
        ids = [oid for oid, vs in self.by_id.items() if len(vs) >= 2]
        return ids

    def types(self):
        c = {}
        for oid in self.by_id:
            t = oid.split("--")[0]
            c[t] = c.get(t, 0) + 1
        return c


def snapshot(coll):
    if coll not in _CACHE:
        _CACHE[coll] = Snapshot(coll)
    return _CACHE[coll]


def rng():
    return random.Random(20240611)
