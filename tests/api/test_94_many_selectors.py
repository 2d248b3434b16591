"""A granular marking over many properties strips every one of them.

A fixed array once kept only the first 64 selectors of a partial copy, so a
marking over 70 properties let the last six through (found by fuzzing).
"""

import json

import harness as H


def test_granular_marking_over_seventy_properties():
    mdef = "marking-definition--%s" % H.uuid.uuid4()
    ind = H.new_id("indicator")
    now = H.stix_now()
    definition = {"type": "marking-definition", "spec_version": "2.1", "id": mdef, "created": now,
                  "definition_type": "statement", "definition": {"statement": "SECRET//NOFORN"}}
    props = {"x_f%02d" % i: "noforn detail %d" % i for i in range(70)}
    obj = {"type": "indicator", "spec_version": "2.1", "id": ind, "created": now, "modified": now,
           "pattern": "[ipv4-addr:value = '203.0.113.9']", "pattern_type": "stix", "valid_from": now,
           "name": "many selectors",
           "granular_markings": [{"marking_ref": mdef, "selectors": sorted(props)}]}
    obj.update(props)
    r = H.post_envelope("intel", {"objects": [definition, obj]}, user="usa")
    H.expect(r, 202, what="POST the object")
    H.eq(r.json.get("success_count"), 2, "both stored: %r" % r.json)
    got = H.get(H.obj_path("intel", ind), user="gbr")
    if got.status == 404:
        return  # withheld whole is safe too
    H.expect(got, 200, what="gbr reads it")
    body = got.body.decode()
    H.check("noforn detail" not in body, "no NOFORN property reaches gbr: %s" %
            [k for k in got.json["objects"][0] if k.startswith("x_f")])
    H.eq(got.json["objects"][0]["name"], "many selectors", "the rest is served")
