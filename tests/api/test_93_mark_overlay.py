"""`relto demo --import FILE --mark RULE` / `relto import --mark`: a marking
overlay on a real bundle (MITRE ATT&CK for ICS), and the demo policy then
releases it per partner: attack patterns marked SECRET//REL TO USA, FVEY
reach gbr (FVEY, not capped) and not kor (not on the list, and capped at
CONFIDENTIAL); objects marked TLP:GREEN reach both.
"""

import os
import subprocess

import harness as H

ATTACK_ICS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data", "attack",
                          "ics-attack.json")
REFERENCE = "reference"


def types_received(srv, user):
    seen = {}
    params = {"limit": "1000"}
    while True:
        r = H.request("GET", H.coll_path(REFERENCE, "objects/"), params=params, user=user, server=srv)
        H.eq(r.status, 200, "reference objects as %s" % user)
        for o in r.json.get("objects", []):
            seen.setdefault(o["type"], set()).add(o["id"])
        if not r.json.get("more"):
            return seen
        params = {"limit": "1000", "next": r.json["next"]}


def test_demo_import_with_a_marking_overlay():
    if not os.path.exists(ATTACK_ICS):
        raise H.Skip("no ../shared/data/attack (only in the development tree)")
    srv = H.Server(H.RELTO, ["demo", "--quiet", "--listen", "127.0.0.1:{port}", "--db", "{dir}/m.db",
                             "--import", os.path.abspath(ATTACK_ICS),
                             "--mark", "attack-pattern=SECRET//REL TO USA, FVEY", "--mark", "TLP:GREEN"],
                   name="relto-mark").start()
    try:
        admin = types_received(srv, "admin")
        gbr = types_received(srv, "gbr")
        kor = types_received(srv, "kor")
        H.check(len(admin.get("attack-pattern", ())) > 50, "ATT&CK for ICS has attack patterns: %r" %
                {k: len(v) for k, v in admin.items()})
        H.eq(gbr.get("attack-pattern", set()), admin["attack-pattern"], "gbr (FVEY) receives every attack pattern")
        H.eq(kor.get("attack-pattern", set()), set(), "kor receives no SECRET//REL TO USA, FVEY attack pattern")
        H.eq(kor.get("malware", set()), admin.get("malware", set()), "TLP:GREEN malware reaches kor")
        # The overlay's banner is a marking definition in the collection.
        r = H.request("GET", H.coll_path(REFERENCE, "objects/"), params={"match[type]": "marking-definition"},
                      user="admin", server=srv)
        statements = [o.get("definition", {}).get("statement") for o in r.json.get("objects", [])]
        H.check("SECRET//REL TO USA, FVEY" in statements, "the banner's definition was imported: %r" % statements)
    finally:
        srv.stop()
        srv.cleanup()


def test_import_mark_refuses_bad_rules():
    for rule, words in (("x=bogus", "TLP:CLEAR"), ("150%=TLP:RED", "1% to 100%"), ("Attack Pattern=TLP:RED",
                        "not a STIX type")):
        p = subprocess.run([H.RELTO, "import", "--db", "/nonexistent/never.db", "--collection",
                            "5d1e3a7b-0c9f-4b2d-8e6a-3f4c2b1a9d07", "--mark", rule, "x.json"], capture_output=True,
                           timeout=30)
        H.eq(p.returncode, 2, "bad --mark %r exits 2" % rule)
        H.check(words in p.stderr.decode(), "--mark %r: %r names the problem" % (rule, p.stderr.decode()))
