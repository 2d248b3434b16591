"""Posture versions kept in the store: `relto posture import` checks a file
and stores it as the next version (author, time, reason); a running server
applies it within its refresh period; a file with an error is refused and
changes nothing; `relto posture log` lists the versions.
"""

import json
import os
import subprocess
import time

import harness as H

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def relto(*args):
    p = H.run_relto(args, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def manifest_ids(srv, user):
    ids, params = set(), {"limit": "1000"}
    while True:
        r = H.request("GET", H.coll_path("intel", "manifest/"), params=params, user=user, server=srv)
        H.eq(r.status, 200, "manifest as %s" % user)
        ids.update((m["id"], m["version"]) for m in r.json.get("objects", []))
        if not r.json.get("more"):
            return ids
        params = {"limit": "1000", "next": r.json["next"]}


def test_posture_import_applies_and_is_logged():
    srv = H.Server(H.RELTO, ["demo", "--quiet", "--listen", "127.0.0.1:{port}", "--db", "{dir}/p.db"],
                   name="relto-posture").start()
    try:
        db = os.path.join(srv.dir, "p.db")
        before = manifest_ids(srv, "kor")
        with open(os.path.join(TOP, "src", "demo", "posture.json")) as f:
            posture = json.load(f)
        kor = next(p for p in posture["partners"] if p["id"] == "kor")
        lgu = next(o for o in kor["operators"] if o["name"] == "LG Uplus")
        lgu["segments"]["ran"] = [e for e in lgu["segments"]["ran"] if e["vendor"] != "huawei"]
        good = os.path.join(srv.dir, "posture-v1.json")
        with open(good, "w") as f:
            json.dump(posture, f, indent=1)
        bad = os.path.join(srv.dir, "posture-bad.json")
        with open(bad, "w") as f:
            f.write(json.dumps(posture).replace('"vendor": "samsung"', '"vendor": "samsnug"', 1))

        rc, out, err = relto("posture", "import", bad, "--db", db, "--author", "t", "--reason", "typo")
        H.eq(rc, 2, "importing a posture with an unknown vendor")
        H.check("samsnug" in err and "unknown vendor" in err, "the error names the vendor: %r" % err)
        rc, out, err = relto("posture", "import", good, "--db", db, "--author", "alice",
                             "--reason", "LG Uplus removes huawei from its RAN")
        H.eq(rc, 0, "posture import (%s)" % err)
        H.check("posture version 1" in out, "import says the version: %r" % out)

        deadline, after = time.time() + 10, before
        while time.time() < deadline and after == before:
            time.sleep(0.3)
            after = manifest_ids(srv, "kor")
        # More objects; some objects move to a newer version now visible.
        H.check(len(after) > len(before) and {i for i, _ in after} > {i for i, _ in before},
                "kor receives more once the stored posture applies (%d -> %d)" % (len(before), len(after)))
        rc, out, err = relto("posture", "log", "--db", db)
        H.eq(rc, 0, "posture log")
        lines = [l for l in out.splitlines() if l.strip()]
        H.eq(len(lines), 1, "one version in the log (the bad file was refused): %r" % out)
        H.check("alice" in lines[0] and "LG Uplus removes huawei" in lines[0], "log line: %r" % lines[0])
        rc, out, err = relto("posture", "show", "--db", db)
        H.eq(json.loads(out), posture, "posture show prints the stored version")
    finally:
        srv.cleanup()
