"""The demo scenario of issue 3, end to end: with LG Uplus running Huawei
radio equipment and no removal decided, kor receives nothing above
CONFIDENTIAL while gbr and jpn receive SECRET material; after the posture
drops that equipment (posture file edited, SIGHUP), kor receives the SECRET
objects released to it on its very next request; `relto policy explain`
says why in each case.

The levels of objects are read here from their marking definitions (as the
hub, which receives everything), independently of the server's code.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time

import harness as H

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
LEVELS = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP_SECRET"]
ACS = "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce"
ACS_LEVELS = {"U": 0, "C": 1, "S": 2, "TS": 3}

_STATE = {}


def banner_level(statement):
    m = re.match(r"(TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED)(//|$)", statement)
    return LEVELS.index(m.group(1).replace(" ", "_")) if m else None


def definition_level(d):
    ext = d.get("extensions", {}).get(ACS)
    if ext:
        return ACS_LEVELS.get(ext.get("control_set", {}).get("classification"))
    if d.get("definition_type") == "statement":
        return banner_level(d.get("definition", {}).get("statement", ""))
    return None


def crawl(srv, user, coll, versions="last"):
    out, base = [], {"limit": "1000", "match[version]": versions}
    params = dict(base)
    while True:
        r = H.request("GET", H.coll_path(coll, "objects/"), params=params, user=user, server=srv)
        H.eq(r.status, 200, "GET objects as %s" % user)
        out.extend(r.json.get("objects", []))
        if not r.json.get("more"):
            return out
        params = dict(base, next=r.json["next"])


def key(o):
    """An object version: versions of one object may carry different markings."""
    return (o["id"], o.get("modified", o.get("created")))


def levels_of(objects):
    """(id, version) -> highest classification level among its markings (-1: none)."""
    defs = {o["id"]: definition_level(o) for o in objects if o["type"] == "marking-definition"}
    return {key(o): max([defs.get(m) for m in o.get("object_marking_refs", [])
                         if defs.get(m) is not None] or [-1]) for o in objects}


def setup():
    """A `relto serve` on a copy of the demo: its database, policy and posture."""
    if _STATE:
        return _STATE
    work = os.path.join(H.SERVER.dir, "scenario")
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "demo.db")
    seed = H.Server(H.RELTO, ["demo", "--quiet", "--listen", "127.0.0.1:{port}", "--db", db],
                    name="relto-seed").start()
    seed.stop()
    posture = os.path.join(work, "posture.json")
    policy = os.path.join(work, "relto.policy")
    shutil.copy(os.path.join(TOP, "src", "demo", "posture.json"), posture)
    shutil.copy(os.path.join(TOP, "src", "demo", "relto.policy"), policy)
    cfg = H.run_relto(["demo", "--print-config", "--db", db], capture_output=True,
                      check=True).stdout.decode()
    cfg = cfg.replace('listen: "127.0.0.1:8021"', "listen: 127.0.0.1:{port}")
    cfg += "policy: %s\nposture: %s\n" % (policy, posture)
    srv = H.start_custom_server(H.RELTO, cfg)
    _STATE.update(srv=srv, posture=posture, config=srv.config_path, work=work)
    return _STATE


def explain(state, partner, object_id):
    p = subprocess.run([H.RELTO, "policy", "explain", "-c", state["config"], "--partner", partner,
                        "--object", object_id], capture_output=True)
    H.eq(p.returncode, 0, "policy explain exit status (%s)" % p.stderr.decode()[-300:])
    return p.stdout.decode()


def test_kor_capped_gbr_and_jpn_not():
    st = setup()
    srv = st["srv"]
    for coll in ("intel", "telecom"):
        everything = crawl(srv, "usa", coll, versions="all")
        level = levels_of(everything)
        H.check(any(v == 2 for v in level.values()), "the demo corpus has SECRET objects in %s" % coll)
        kor = crawl(srv, "kor", coll)
        above = [key(o) for o in kor if level.get(key(o), -1) > 1]
        H.check(not above, "kor received objects above CONFIDENTIAL in %s: %s" % (coll, above[:3]))
        for partner in ("gbr", "jpn"):
            got = crawl(srv, partner, coll)
            H.check(any(level.get(key(o), -1) == 2 for o in got),
                    "%s receives SECRET objects in %s" % (partner, coll))
        st.setdefault("level", {}).update(level)
        st.setdefault("kor_before", set()).update(key(o) for o in kor)


def test_explain_says_why():
    st = setup()
    if "level" not in st:
        test_kor_capped_gbr_and_jpn_not()
    srv = st["srv"]
    everything = crawl(srv, "usa", "intel")
    rel_kor = [o for o in everything if st["level"].get(key(o)) == 2 and "granular_markings" not in o
               and o["type"] == "indicator" and key(o) not in st["kor_before"]]
    H.check(rel_kor, "a SECRET indicator kor does not receive")
    text = explain(st, "kor", rel_kor[0]["id"])
    H.check("withhold" in text and "LG Uplus" in text and "huawei" in text and "CONFIDENTIAL" in text,
            "explain for kor names the decision, the operator, the vendor and the cap:\n" + text)
    st["secret_indicator"] = rel_kor[0]["id"]


def test_posture_change_takes_effect_on_next_request():
    st = setup()
    if "level" not in st:
        test_kor_capped_gbr_and_jpn_not()
    srv = st["srv"]
    with open(st["posture"]) as f:
        posture = json.load(f)
    kor = next(p for p in posture["partners"] if p["id"] == "kor")
    lgu = next(o for o in kor["operators"] if o["name"] == "LG Uplus")
    lgu["segments"]["ran"] = [e for e in lgu["segments"]["ran"] if e["vendor"] != "huawei"]
    with open(st["posture"], "w") as f:
        json.dump(posture, f, indent=1)
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.time() + 10
    gained = set()
    while time.time() < deadline and not gained:
        time.sleep(0.2)
        got = crawl(srv, "kor", "intel") + crawl(srv, "kor", "telecom")
        gained = {key(o) for o in got if st["level"].get(key(o), -1) == 2}
    H.check(gained, "after LG Uplus drops huawei, kor receives SECRET objects")
    H.check(all(st["level"].get(key(o), -1) <= 2 for o in got), "kor still receives nothing TOP SECRET")
    if st.get("secret_indicator"):
        text = explain(st, "kor", st["secret_indicator"])
        H.check("LG Uplus" not in text, "explain no longer names the LG Uplus cap:\n" + text)


def test_zz_stop_scenario_server():
    """Stops the scenario server and checks it exits cleanly (status 0)."""
    st = setup()
    rc = st["srv"].stop()
    H.eq(rc, 0, "relto serve exit status after SIGTERM")
    st["srv"].cleanup()


def test_delete_cannot_reach_withheld_objects():
    """A partner that may write a collection still cannot delete, nor learn
    of, an object withheld from it: DELETE answers 404 and the object stays."""
    st = setup()
    work = st["work"]
    pw = subprocess.run([H.RELTO, "hash-password"], input=b"pass-for-tests\n", capture_output=True,
                        check=True).stdout.decode().strip()
    cfg = ("server:\n  plain_http: true\n  listen: 127.0.0.1:{port}\ndatabase: {dir}/del.db\n"
           "policy: %s\nposture: %s\n" % (os.path.join(TOP, "src", "demo", "relto.policy"),
                                           os.path.join(TOP, "src", "demo", "posture.json")) +
           "partners:\n  - id: usa\n    password_hash: \"%s\"\n  - id: kor\n    password_hash: \"%s\"\n" % (pw, pw) +
           "api_roots:\n  - path: hub\n    title: t\n    collections:\n"
           "      - id: 11111111-2222-4333-8444-999999999999\n        title: shared\n"
           "        read: [usa, kor]\n        write: [usa, kor]\n")
    srv = H.start_custom_server(H.RELTO, cfg)
    try:
        coll = "11111111-2222-4333-8444-999999999999"
        nf = {"type": "marking-definition", "spec_version": "2.1",
              "id": "marking-definition--3b1c2a9e-4d5f-4e6a-8b7c-9d0e1f2a3b4c", "created": "2024-01-01T00:00:00.000Z",
              "definition_type": "statement", "definition": {"statement": "SECRET//NOFORN"}}
        ind = {"type": "indicator", "spec_version": "2.1", "id": "indicator--5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
               "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
               "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix",
               "valid_from": "2024-01-01T00:00:00Z", "object_marking_refs": [nf["id"]]}
        r = H.request("POST", H.coll_path(coll, "objects/"), user="usa", password="pass-for-tests", server=srv,
                      body=json.dumps({"objects": [nf, ind]}).encode())
        H.eq(r.status, 202, "the hub posts a NOFORN indicator")
        path = H.obj_path(coll, ind["id"])
        r = H.request("GET", path, user="kor", password="pass-for-tests", server=srv)
        H.eq(r.status, 404, "kor does not see the NOFORN indicator")
        r = H.request("DELETE", path, user="kor", password="pass-for-tests", server=srv)
        H.eq(r.status, 404, "kor's DELETE of an object withheld from it")
        r = H.request("GET", path, user="usa", password="pass-for-tests", server=srv)
        H.eq(r.status, 200, "the indicator is still there for the hub")
    finally:
        srv.cleanup()


def test_demo_start_says_what_each_partner_receives_and_why():
    """On start the demo prints, per partner, what it receives and the main
    reasons for what it does not: kor's radio-network cap among them, and
    not gbr's or jpn's."""
    d = H.tempfile.mkdtemp(prefix="relto-t81-start-")
    port = H.free_port()
    argv, cwd = H.map_argv(["demo", "--quiet", "--listen", "127.0.0.1:%d" % port, "--db", os.path.join(d, "s.db")])
    p = subprocess.Popen([H.RELTO] + argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines = []
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            line = p.stdout.readline().decode()
            if not line:
                break
            lines.append(line.rstrip("\n"))
            if "Why, for one object" in line:
                break
        table = {}
        for line in lines:
            m = re.match(r"\s+([a-z]{3})\s+(\d+)\s+(\d+)\s+(.*)$", line)
            if m:
                table[m.group(1)] = (int(m.group(2)), int(m.group(3)), m.group(4))
        H.check(set(H.PARTNERS) <= set(table), "a line per partner: %r" % lines)
        H.check("radio access network" in table["kor"][2], "kor's cap is among its main reasons: %r" % (table["kor"],))
        for other in ("gbr", "jpn"):
            H.check("radio access network" not in table[other][2], "%s is not capped: %r" % (other, table[other]))
        for who in ("kor", "gbr"):
            H.check(table[who][0] > 0 and table[who][1] > 0, "%s receives some and not all: %r" % (who, table[who]))
        H.eq(table["usa"][1], 0, "usa posted everything, so nothing is withheld from it")
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
        shutil.rmtree(d, ignore_errors=True)
