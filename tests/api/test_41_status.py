"""Get status (spec 4.3, 4.3.1)."""

import uuid

import harness as H
import samples as S

REF = "reference"


def _post(objs, user="usa", coll=REF):
    texts = [o if isinstance(o, str) else S.compact(o) for o in objs]
    r = H.post_envelope(coll, S.envelope_text(texts), user=user)
    H.expect(r, 202, what="POST for a status test")
    return H.check_status(r.json)


def _status(sid, user="usa"):
    return H.get(H.API_ROOT + "status/%s/" % sid, user=user)


def test_status_after_post():
    objs = [S.indicator(), S.identity()]
    st = _post(objs)
    r = _status(st["id"])
    H.expect(r, 200, what="GET status of a finished POST")
    got = H.check_status(r.json, "GET status")
    H.eq(got["id"], st["id"], "status id")
    H.eq(got["status"], "complete", "status")
    for k in ("total_count", "success_count", "failure_count", "pending_count"):
        H.eq(got[k], st[k], "GET status %s vs POST response" % k)
    H.eq(sorted((d["id"], d["version"]) for d in got.get("successes", [])),
         sorted((d["id"], d["version"]) for d in st.get("successes", [])), "successes")
    # Brief: GET status returns it later -- same resource
    H.eq(got, st, "GET status vs the POST's status resource")


def test_status_with_failures():
    bad = S.indicator()
    del bad["modified"]
    del bad["created"]
    st = _post([S.identity(), bad])
    H.eq((st["success_count"], st["failure_count"]), (1, 1), "1 good, 1 bad")
    got = H.check_status(_status(st["id"]).json)
    H.eq(got.get("failures"), st.get("failures"), "failures in GET status")
    H.check(got["failures"][0]["id"] == bad["id"], "failure names the object id")
    H.check(got["failures"][0].get("message"), "failure message (brief)")


def test_status_ids_unique():
    ids = {_post([S.identity()])["id"] for _ in range(5)}
    H.eq(len(ids), 5, "distinct status ids for 5 POSTs")


def test_status_unknown_404():
    for sid in (str(uuid.uuid4()), str(uuid.uuid4())):
        H.expect(_status(sid), 404, what="GET unknown status %s" % sid)


def test_status_bad_id():
    for sid in ("nope", "1", "x" * 2000, "2d086da7-4bdc-4f91-900e-d77486753710x", "%00",
                "..%2F..%2Ftaxii2"):
        H.expect(_status(sid), 400, 404, what="GET status id %r" % sid[:50])


def test_status_requires_auth():
    st = _post([S.identity()])
    H.expect(H.get(H.API_ROOT + "status/%s/" % st["id"], user=None), 401,
             what="GET status without credentials")


def test_status_of_other_user_never_5xx():
    # 4.3: 403/404 if the client has no access; the spec does not say who
    # may see a status.  Any of 200/403/404, never a leak of other fields.
    st = _post([S.identity()])
    for user in ("gbr", "admin", "kor"):
        r = _status(st["id"], user=user)
        H.expect(r, 200, 403, 404, what="%s GET usa's status" % user)
        if r.status == 200:
            H.check_status(r.json)


def test_status_of_partner_submission():
    st = _post([S.indicator()], user="deu", coll="submissions")
    r = _status(st["id"], user="deu")
    H.expect(r, 200, what="deu GET the status of its own submission")
    H.eq(r.json["id"], st["id"], "status id")


def test_status_wrong_api_root_404():
    st = _post([S.identity()])
    H.expect(H.get("/nope/status/%s/" % st["id"]), 404, what="status under an unknown API root")
