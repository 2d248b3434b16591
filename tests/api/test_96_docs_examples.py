"""The docs' examples run as written (issue 9).

Every ```sh block of README.md and docs/*.md (BENCHMARKS.md aside: its
blocks are the benchmarks) is either run here or listed in SKIP with the
reason it cannot run inside a test.  A new example that is neither fails
this test, so the docs stay runnable.

They run the way a reader would run them after the README's first
command: a demo hub started with `relto demo` in a scratch directory (so
its database is ./relto-demo.db, which `--demo` commands open), and the
files the examples name (relto.yaml, relto.policy, posture.json,
new.policy, envelope.json) made there first.  The runner changes only:
- the port, 8021 -> a free one (several test runs share a machine);
- `relto` and `build/relto` are the binary under test;
- placeholders in angle brackets get real values: <object id> (an object
  kor receives), <credential id> (a token made earlier in the block);
- curl fails on an HTTP error (-f), and each block runs under bash -e, so
  an example that "works" only by printing an error fails.
"""

import os
import re
import shutil
import subprocess

import harness as H

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (file, first line of the block without its comment) -> why it is not run here.
SKIP = {
    ("README.md", "scripts/install-deps && make && build/relto demo"):
        "the README's two commands: what .ci/run does on a fresh machine (packages, build, demo, every test)",
    ("docs/getting-started.md", "git clone <this repository> relto && cd relto"):
        "a system installation: packages, clone, build, install, the relto user (what .ci/run does on a fresh machine)",
    # docs/getting-started.md's blocks 2-6 install a hub (root, the relto user,
    # /etc/relto, systemd, TLS at hub.example): test_97_getting_started.py runs
    # them, read from the doc, in a sandbox; they cannot run on the demo here.
    ("docs/getting-started.md", "sudo install -d -m 0750 -g relto /etc/relto/tls && cd /etc/relto/tls"):
        "run in a sandbox by test_97_getting_started.py",
    ("docs/getting-started.md", "cd /etc/relto"):
        "run in a sandbox by test_97_getting_started.py",
    ("docs/getting-started.md", "sudo systemctl enable --now relto"):
        "run in a sandbox by test_97_getting_started.py",
    ("docs/getting-started.md", "sudo -u relto relto import -c /etc/relto/relto.yaml --collection intel bundle.json"):
        "run in a sandbox by test_97_getting_started.py",
    ("docs/getting-started.md", "sudo -u relto relto whatif -c /etc/relto/relto.yaml --remove-equipment \"kor/LG Uplus/ran/huawei\""):
        "run in a sandbox by test_97_getting_started.py",
    ("docs/markings.md", "relto demo --import ics-attack.json \\"):
        "starts a server on MITRE ATT&CK files a test machine may not have; test_93_mark_overlay runs these --mark rules",
    ("docs/operations.md", "sqlite3 /var/lib/relto/relto.db \".backup /backup/relto-$(date +%F).db\""):
        "the paths of an installed hub and the sqlite3 tool",
    ("docs/scaling.md", "PGPASSFILE=/etc/relto/pgpass relto serve -c /etc/relto/relto.yaml"):
        "an installed hub on a PostgreSQL server; tests/pg/server_test.py serves on PostgreSQL (make test-pg)",
}

ENVELOPE = """{"objects": [{"type": "indicator", "spec_version": "2.1",
 "id": "indicator--6b4f2a9e-3c1d-4e8f-9a7b-5c2d1e0f3a4b",
 "created": "2026-11-29T00:00:00.000Z", "modified": "2026-11-29T00:00:00.000Z",
 "name": "docs example", "pattern": "[ipv4-addr:value = '198.51.100.7']",
 "pattern_type": "stix", "valid_from": "2026-11-29T00:00:00Z"}]}
"""


def blocks():
    """Yield (file, index, text) for every sh block."""
    files = ["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(ROOT, "docs"))
                                   if f.endswith(".md") and f != "BENCHMARKS.md")
    for f in files:
        with open(os.path.join(ROOT, f), encoding="utf-8") as fh:
            text = fh.read()
        for i, m in enumerate(re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M)):
            yield f, i, m.group(1)


def fixtures(work, port):
    """The files the examples name, in the scratch directory."""
    os.makedirs(os.path.join(work, "build"), exist_ok=True)
    os.symlink(H.RELTO, os.path.join(work, "build", "relto"))
    shutil.copyfile(os.path.join(ROOT, "src/demo/relto.policy"), os.path.join(work, "relto.policy"))
    shutil.copyfile(os.path.join(ROOT, "src/demo/posture.json"), os.path.join(work, "posture.json"))
    with open(os.path.join(ROOT, "src/demo/relto.policy"), encoding="utf-8") as f:
        policy = f.read()
    # "cap core networks at C": a cap the demo policy does not have.
    with open(os.path.join(work, "new.policy"), "w", encoding="utf-8") as f:
        f.write(policy.rstrip("\n") + "\n\ncap CONFIDENTIAL when partner.networks.core uses vendor.risk == \"high\"\n"
                "    because \"high-risk vendor equipment in the core network: capped at CONFIDENTIAL\"\n")
    cfg = subprocess.run([H.RELTO, "demo", "--print-config", "--listen", "127.0.0.1:%d" % port,
                          "--db", "relto-demo.db"], cwd=work, capture_output=True, text=True, timeout=60)
    H.eq(cfg.returncode, 0, "relto demo --print-config: %s" % cfg.stderr)
    with open(os.path.join(work, "relto.yaml"), "w", encoding="utf-8") as f:
        f.write(cfg.stdout + "policy: relto.policy\nposture: posture.json\n")
    with open(os.path.join(work, "envelope.json"), "w", encoding="utf-8") as f:
        f.write(ENVELOPE)


def run_block(work, port, name, text, object_id):
    text = text.replace("127.0.0.1:8021", "127.0.0.1:%d" % port)
    text = text.replace("<object id>", object_id)
    text = text.replace("<credential id>",
                        "$(relto credential list -c relto.yaml | awk '$3 == \"token\" && $5 == \"in\" {print $1; exit}')")
    left = re.search(r"<[a-z][a-z ]*>", text)
    H.check(not left, "%s: a placeholder the runner does not know: %s" % (name, left and left.group(0)))
    env = dict(os.environ, PATH=os.path.dirname(H.RELTO) + os.pathsep + os.environ.get("PATH", ""))
    script = 'set -e -o pipefail\ncurl() { command curl -fsS "$@"; }\n' + text
    r = subprocess.run(["bash", "-c", script], cwd=work, env=env, input="a-new-password-for-kor\n",
                       capture_output=True, text=True, timeout=300)
    H.check(r.returncode == 0, "%s exited %d\n--- block ---\n%s--- stdout ---\n%s--- stderr ---\n%s"
            % (name, r.returncode, text, r.stdout[-2000:], r.stderr[-2000:]))
    H.log("  ran %s (%d lines of output)" % (name, r.stdout.count("\n")))


def test_docs_examples_run_as_written():
    srv = H.Server(H.RELTO, ["demo", "--quiet", "--listen", "127.0.0.1:{port}"], name="relto-docs")
    try:
        srv.start()
        work = srv.dir
        fixtures(work, srv.port)
        page = H.request("GET", H.coll_path("intel", "objects/"), params={"limit": "1"}, user="kor", server=srv)
        H.eq(page.status, 200, "kor reads a page")
        object_id = page.json["objects"][0]["id"]
        ran, skipped, unknown = 0, 0, []
        seen = set()
        for f, i, text in blocks():
            first = re.sub(r"\s+#.*$", "", text.split("\n", 1)[0]).strip()
            name = "%s, sh block %d (%s)" % (f, i + 1, first[:60])
            if (f, first) in SKIP:
                seen.add((f, first))
                skipped += 1
                H.log("  not run: %s: %s" % (name, SKIP[(f, first)]))
                continue
            run_block(work, srv.port, name, text, object_id)
            ran += 1
        stale = [k for k in SKIP if k not in seen]
        H.check(not stale, "SKIP names blocks the docs no longer have: %s" % stale)
        H.check(ran >= 6, "only %d examples ran" % ran)
        H.log("  docs examples: %d run, %d not run (reasons above)" % (ran, skipped))
    finally:
        srv.cleanup()
