"""docs/getting-started.md, steps 2 to 6, run as written in a sandbox (issue 9).

The guide installs a hub on a Debian machine: root, a relto user,
/etc/relto, systemd, a TLS hub at hub.example:8443.  A test has none of
these, so it runs the guide's ```sh blocks 2-6, read from the doc file
itself, in a scratch directory SANDBOX that stands for the machine, as the
current user, after these mechanical rewrites and nothing else:

- `sudo -u relto ` and `sudo ` are removed: the current user is root and
  the relto user at once (it owns the sandbox);
- `/etc/relto` -> SANDBOX/etc/relto, `/var/lib/relto` -> SANDBOX/var/lib/relto;
- the group `relto` (`-g relto`, `chgrp relto`) -> the current user's group;
- `systemctl enable --now relto` -> what packaging/relto.service's
  ExecStart does, `relto serve -c SANDBOX/etc/relto/relto.yaml`, started in
  the background with its output in SANDBOX/var/log/relto.log (the
  journal), once it logs "listening" (the unit's Type=simple gives no such
  wait; a person typing the next command is slower than the server);
  `journalctl -u relto -f` -> that log, read once (not followed);
- `https://hub.example:8443` -> `https://hub.example:PORT` on a free
  port, and every curl gets `--resolve hub.example:PORT:127.0.0.1`: the
  name stays hub.example, so the certificate made in block 2 (CN and SAN
  hub.example) must verify against --cacert;
- placeholders: `-u NAME:PASSWORD` -> NAME's password (the one the test
  hashed with `relto hash-password`), `indicator--...` -> the id of an
  indicator in bundle.json (a small STIX 2.1 bundle written in the reader's
  directory, SANDBOX/home).
Each block runs in a fresh `bash -e -o pipefail` starting in SANDBOX/home
(blocks 2 and 3 `cd` themselves), with curl as `curl -fsS` (an HTTP error
fails the block) and `relto` the binary under test.

Before block 2 the test does what block 1 leaves: `make install` puts
packaging/relto.yaml.example and the demo policy and posture (as
relto.policy.example, posture.json.example) in /etc/relto, with the
Makefile's modes; block 1 itself (packages, clone, build, install, the
relto user) is what CI does on a fresh machine (.ci/run).  Between blocks 3
and 4 the test makes the edits of relto.yaml the guide asks for ("then
edit"), the fewest a reader would make; see edit_config().

What the sandbox cannot show: that the relto user may read and write what
it must (owner, group and modes are those of the guide, but the current
user owns everything), and what systemd's sandboxing of the unit changes.
"""

import grp
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import uuid

import harness as H

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOC = "docs/getting-started.md"

# The passwords the test gives `relto hash-password` (at least 8 characters).
PASSWORDS = {"hub": "gs-hub-password", "admin": "gs-admin-password", "kor": "gs-kor-password"}

# bundle.json: a marking (SECRET, releasable to the USA and Korea), an
# indicator under it and one without markings.  With the demo posture kor
# is capped at CONFIDENTIAL (Huawei in LG Uplus's RAN): it receives the
# plain indicator, not the SECRET one, until block 6 removes the Huawei
# equipment.
MARKING_ID = "marking-definition--%s" % uuid.uuid4()
SECRET_ID = "indicator--%s" % uuid.uuid4()
PLAIN_ID = "indicator--%s" % uuid.uuid4()
T = "2026-11-29T00:00:00.000Z"
BUNDLE = {"type": "bundle", "id": "bundle--%s" % uuid.uuid4(), "objects": [
    {"type": "marking-definition", "spec_version": "2.1", "id": MARKING_ID, "created": T,
     "definition_type": "statement", "definition": {"statement": "SECRET//REL TO USA, KOR"}},
    {"type": "indicator", "spec_version": "2.1", "id": SECRET_ID, "created": T, "modified": T,
     "object_marking_refs": [MARKING_ID], "name": "getting started: secret",
     "pattern": "[ipv4-addr:value = '203.0.113.10']", "pattern_type": "stix",
     "valid_from": "2026-11-29T00:00:00Z"},
    {"type": "indicator", "spec_version": "2.1", "id": PLAIN_ID, "created": T, "modified": T,
     "name": "getting started: unmarked",
     "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix",
     "valid_from": "2026-11-29T00:00:00Z"},
]}

START = object()   # a block step: `systemctl enable --now relto`


def doc_blocks():
    with open(os.path.join(ROOT, DOC), encoding="utf-8") as f:
        text = f.read()
    return [m.group(1) for m in re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M)]


def install_examples(sandbox):
    """What `make install` puts in /etc/relto (the Makefile's install target)."""
    etc = os.path.join(sandbox, "etc", "relto")
    for src, name, mode in (("packaging/relto.yaml.example", "relto.yaml.example", 0o640),
                            ("src/demo/relto.policy", "relto.policy.example", 0o644),
                            ("src/demo/posture.json", "posture.json.example", 0o644)):
        shutil.copyfile(os.path.join(ROOT, src), os.path.join(etc, name))
        os.chmod(os.path.join(etc, name), mode)
    # The example's paths are this machine's /etc/relto and /var/lib/relto
    # (installed into the sandbox, they name the sandbox's), so commands
    # that read the configuration before it is edited (audit keygen) find
    # the files the guide made.
    path = os.path.join(etc, "relto.yaml.example")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with open(path, "w", encoding="utf-8") as f:
        f.write(re.sub(r"(?<![\w./-])(/etc/relto|/var/lib/relto)\b", lambda m: sandbox + m.group(1), text))


def rewrite(text, sandbox, port, group, log_path):
    """The block with the rewrites of the module docstring, as a list of
    steps: shell text, or START (Python starts the server there)."""
    text = text.replace("sudo -u relto ", "").replace("sudo ", "")
    for user in re.findall(r"-u ([a-z0-9_-]+):PASSWORD\b", text):
        H.check(user in PASSWORDS, "%s: a login the test gave no password: %s" % (DOC, user))
    text = re.sub(r"(-u ([a-z0-9_-]+)):PASSWORD\b",
                  lambda m: "%s:%s" % (m.group(1), PASSWORDS[m.group(2)]), text)
    text = text.replace("indicator--...", SECRET_ID)
    text = text.replace("https://hub.example:8443", "https://hub.example:%d" % port)
    text = re.sub(r"(-g |chgrp )relto\b", lambda m: m.group(1) + group, text)
    text = re.sub(r"(?<![\w./-])(/etc/relto|/var/lib/relto)\b", lambda m: sandbox + m.group(1), text)
    text = text.replace("journalctl -u relto -f", "cat %s" % log_path)
    # What is left must be runnable here: no sudo, no systemd, no path of
    # the real machine, no placeholder (comments aside).
    code = "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.split("\n"))
    for pat in (r"\bsudo\b", r"\bjournalctl\b", r"PASSWORD", r"\.\.\.", r":8443\b",
                r"(?<![\w./-])/(etc|var)/", r"<[a-z][a-z ]*>"):
        m = re.search(pat, code)
        H.check(m is None, "%s: a rewrite is missing for %r in\n%s" % (DOC, m and m.group(0), text))
    steps, lines = [], []
    for line in text.split("\n"):
        if re.match(r"\s*systemctl enable --now relto(\s+#.*)?$", line):
            steps += ["\n".join(lines) + "\n", START] if lines else [START]
            lines = []
            continue
        H.check("systemctl" not in re.sub(r"\s#.*$", "", line),
                "%s: a systemctl command the test does not know: %s" % (DOC, line))
        lines.append(line)
    if any(line.strip() for line in lines):
        steps.append("\n".join(lines) + "\n")
    return steps


def run_sh(name, text, sandbox, port, stdin=""):
    env = dict(os.environ, PATH=os.path.dirname(H.RELTO) + os.pathsep + os.environ.get("PATH", ""))
    script = ('set -e -o pipefail\n'
              'curl() { command curl -fsS --resolve hub.example:%d:127.0.0.1 "$@"; }\n' % port) + text
    r = subprocess.run(["bash", "-c", script], cwd=os.path.join(sandbox, "home"), env=env,
                       input=stdin, capture_output=True, text=True, timeout=60)
    H.check(r.returncode == 0, "%s exited %d\n--- block ---\n%s--- stdout ---\n%s--- stderr ---\n%s"
            % (name, r.returncode, text, r.stdout[-3000:], r.stderr[-3000:]))
    H.log("  ran %s (%d lines of output)" % (name, r.stdout.count("\n")))
    return r.stdout


class Service:
    """`systemctl enable --now relto`: ExecStart of packaging/relto.service."""

    def __init__(self, config, log_path):
        self.config, self.log_path, self.proc, self.log = config, log_path, None, None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([H.RELTO, "serve", "-c", self.config], cwd="/",
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                H.fail("relto serve -c %s exited with status %s:\n%s"
                       % (self.config, self.proc.returncode, self.text()[-3000:]))
            if 'msg="listening"' in self.text():
                return
            time.sleep(0.05)
        H.fail("relto serve did not log \"listening\" within 20 s:\n%s" % self.text()[-3000:])

    def text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
            self.log = None
        if self.proc is not None:
            # As the harness does for its servers: a sanitizer report is a failure.
            text = self.text()
            for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
                i = text.find(marker)
                if i >= 0:
                    H.SANITIZER_REPORTS.append((self.log_path, marker, text[max(0, i - 200):i + 1500]))
            self.proc = None


def edit_config(path, port, sandbox, hashes):
    """The edits of relto.yaml (from packaging/relto.yaml.example) a reader
    makes after block 3, each required to apply exactly once so that a
    change of the example shows here."""
    with open(path, encoding="utf-8") as f:
        text = f.read()

    def sub(pattern, repl, what):
        nonlocal text
        text, n = re.subn(pattern, repl, text, flags=re.M)
        H.eq(n, 1, "edit of relto.yaml (%s): matches of %r" % (what, pattern))

    # The address: here a free loopback port, not 0.0.0.0:8443 (the test
    # machine's network is not the hub's).
    sub(r"^(  listen: )0\.0\.0\.0:8443$", r"\g<1>127.0.0.1:%d" % port, "server.listen")
    # Where this machine's /etc/relto and /var/lib/relto are: the database,
    # TLS files, policy, posture and audit key (the same rewrite as the blocks').
    text = re.sub(r"(?<![\w./-])(/etc/relto|/var/lib/relto)\b", lambda m: sandbox + m.group(1), text)
    H.check(sandbox + "/var/lib/relto/relto.db" in text, "relto.yaml: the database is not in /var/lib/relto")
    # The logins: the example's hub and admin get their hashes (its
    # placeholders), and kor, a partner of the posture, is added with a
    # password (the guide logs in as kor:PASSWORD).
    sub(r'^(  - id: hub\n(?:    .*\n)*?    password_hash: )"\$argon2id\$\.\.\."(.*)$',
        lambda m: '%s"%s"' % (m.group(1), hashes["hub"]), "hub's password_hash")
    sub(r'^(  - id: admin\n(?:    .*\n)*?    password_hash: )"\$argon2id\$\.\.\."(.*\n)',
        lambda m: '%s"%s"\n  - id: kor\n    name: "Republic of Korea"\n    password_hash: "%s"\n'
        % (m.group(1), hashes["admin"], hashes["kor"]), "admin's password_hash, and kor")
    # The collection's id: "make your own: uuidgen", as the example says.
    sub(r"00000000-0000-4000-8000-000000000000", str(uuid.uuid4()), "the collection id")
    # No edit needed: the collection intel is `read: "*"`, so kor may read it.
    H.check(re.search(r'^        alias: intel\n(?:        .*\n)*?        read: "\*"', text, re.M),
            "relto.yaml: intel is not readable by every partner any more; the test must add kor")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


class _HubConnection(http.client.HTTPSConnection):
    """HTTPS to hub.example, which is 127.0.0.1 here (curl's --resolve)."""

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def https(port, cafile, path, user=None):
    """GET https://hub.example:PORT/PATH, the certificate verified as curl does."""
    ctx = ssl.create_default_context(cafile=cafile)
    conn = _HubConnection("hub.example", port, context=ctx, timeout=30)
    headers = {"Accept": H.TAXII_MT}
    if user:
        headers["Authorization"] = H.basic(user, PASSWORDS[user])
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    return r.status, doc


def json_docs(text):
    """Every JSON object printed in text (curl prints no newline after one)."""
    out, i, dec = [], 0, json.JSONDecoder()
    while True:
        i = text.find("{", i)
        if i < 0:
            return out
        try:
            doc, end = dec.raw_decode(text, i)
            out.append(doc)
            i = end
        except ValueError:
            i += 1


def kor_ids(port, cafile):
    """The ids kor receives from intel, over HTTPS."""
    st, doc = https(port, cafile, "/hub/collections/intel/objects/", user="kor")
    H.eq(st, 200, "kor reads intel over HTTPS")
    return {o["id"] for o in (doc or {}).get("objects", [])}


def test_getting_started_runs_as_written():
    blocks = doc_blocks()
    H.eq(len(blocks), 6, "%s: sh blocks (the test walks blocks 2-6; update it with the doc)" % DOC)
    H.check(blocks[0].startswith("git clone "), "%s: block 1 is no longer the build and install" % DOC)
    sandbox = os.path.realpath(tempfile.mkdtemp(prefix="relto-gs-"))
    service = None
    try:
        for d in ("etc/relto", "var/lib/relto", "var/log", "home"):
            os.makedirs(os.path.join(sandbox, d))
        install_examples(sandbox)
        with open(os.path.join(sandbox, "home", "bundle.json"), "w", encoding="utf-8") as f:
            json.dump(BUNDLE, f, indent=1)
        etc = os.path.join(sandbox, "etc", "relto")
        crt = os.path.join(etc, "tls", "server.crt")
        config = os.path.join(etc, "relto.yaml")
        log_path = os.path.join(sandbox, "var", "log", "relto.log")
        port = H.free_port()
        try:
            group = grp.getgrgid(os.getgid()).gr_name
        except KeyError:            # a group with no name: install and chgrp take the number
            group = str(os.getgid())
        service = Service(config, log_path)
        out = {}
        for n in range(2, 7):
            name = "%s, sh block %d" % (DOC, n)
            stdout = ""
            for step in rewrite(blocks[n - 1], sandbox, port, group, log_path):
                if step is START:
                    service.start()
                    continue
                # Block 3's `relto hash-password` reads kor's password.
                stdout += run_sh(name, step, sandbox, port, stdin=PASSWORDS["kor"] + "\n")
            out[n] = stdout

            if n == 2:
                # A throwaway certificate, its key readable by the group.
                key = os.path.join(etc, "tls", "server.key")
                H.check(os.path.exists(crt) and os.path.exists(key), "block 2 made no server.crt/server.key")
                H.eq(oct(os.stat(key).st_mode & 0o777), "0o640", "mode of server.key")
                H.eq(os.stat(key).st_gid, os.getgid(), "group of server.key")
            elif n == 3:
                for f in ("posture.json", "relto.policy", "relto.yaml"):
                    H.check(os.path.exists(os.path.join(etc, f)), "block 3 made no %s" % f)
                H.eq(oct(os.stat(config).st_mode & 0o777), "0o640", "mode of relto.yaml")
                H.check("relto.policy: ok" in stdout, "relto policy check: %r" % stdout)
                hashes = {"kor": re.search(r"^\$argon2id\$\S+$", stdout, re.M)}
                H.check(hashes["kor"], "relto hash-password printed no hash: %r" % stdout)
                hashes["kor"] = hashes["kor"].group(0)
                # "for each partner's password_hash": the same command for the others.
                for user in ("hub", "admin"):
                    hashes[user] = run_sh("relto hash-password (%s)" % user, "relto hash-password\n",
                                          sandbox, port, stdin=PASSWORDS[user] + "\n").strip()
                    H.check(hashes[user].startswith("$argon2id$"), "hash-password: %r" % hashes[user])
                edit_config(config, port, sandbox, hashes)
            elif n == 4:
                H.check(service.proc is not None, "block 4 started no server")
                H.check(re.search(r'msg="listening" url=https://127\.0\.0\.1:%d/taxii2/' % port, stdout),
                        "journalctl (the log) shows no HTTPS listening line:\n%s" % stdout)
                docs = json_docs(stdout)
                H.check(any(d.get("api_roots") == ["/hub/"] for d in docs),
                        "curl /taxii2/ as kor printed no discovery with /hub/: %r" % stdout)
                H.check({"status": "ok"} in docs, "curl /healthz: %r" % stdout)
                # The same over Python's TLS: kor sees intel; a wrong password is refused.
                st, doc = https(port, crt, "/hub/collections/", user="kor")
                H.eq(st, 200, "kor lists the collections")
                H.check(any(c.get("alias") == "intel" or c.get("title") == "Threat intelligence"
                            for c in doc.get("collections", [])), "kor does not see intel: %r" % doc)
                ctx = ssl.create_default_context(cafile=crt)
                conn = _HubConnection("hub.example", port, context=ctx, timeout=30)
                conn.request("GET", "/taxii2/", headers={"Accept": H.TAXII_MT,
                                                        "Authorization": H.basic("kor", "not-the-password")})
                H.eq(conn.getresponse().status, 401, "kor with a wrong password")
                conn.close()
            elif n == 5:
                H.check(re.search(r"bundle\.json: 3 objects: 3 added, 0 duplicates, 0 rejected", stdout),
                        "relto import did not load bundle.json: %r" % stdout)
                rec = [d for d in json_docs(stdout) if "partners" in d]
                H.eq(len(rec), 1, "curl /admin/receiving as admin printed one answer")
                kor = [p for p in rec[0]["partners"] if p.get("partner") == "kor"]
                H.eq(len(kor), 1, "kor in /admin/receiving")
                H.check(kor[0]["receives"] >= 1 and kor[0]["withheld"] == 1,
                        "/admin/receiving for kor: %r" % kor[0])
                # (curl prints no newline: explain's first line follows the JSON)
                H.check(re.search(r"%s for partner kor\b" % re.escape(SECRET_ID), stdout)
                        and re.search(r"^kor \(Republic of Korea\): withh", stdout, re.M),
                        "policy explain does not explain kor's withholding:\n%s" % stdout)
                ids = kor_ids(port, crt)
                H.check(PLAIN_ID in ids and SECRET_ID not in ids,
                        "kor, capped at CONFIDENTIAL, receives %s" % sorted(ids))
            elif n == 6:
                H.check(re.search(r"^kor\s+1\s+0\s+0\s", stdout, re.M),
                        "whatif/posture change do not show kor gaining the SECRET object:\n%s" % stdout)
                m = re.search(r"^posture version (\d+) stored \(you: swap-out completed\)", stdout, re.M)
                H.check(m, "posture change stored no version:\n%s" % stdout)
                H.check(re.search(r"^v%s\s.*\byou\s+swap-out completed$" % m.group(1), stdout, re.M),
                        "posture log does not show version %s:\n%s" % (m.group(1), stdout))
                # "The change applies to the next request."
                H.check(SECRET_ID in kor_ids(port, crt), "kor does not receive the SECRET object after the change")
        log = service.text()
        H.check(re.search(r'path="/admin/receiving" status=200 partner=admin', log),
                "the log has no line for /admin/receiving:\n%s" % log[-2000:])
    finally:
        if service is not None:
            service.stop()
        shutil.rmtree(sandbox, ignore_errors=True)
