"""STIX 2.1 sample objects for POST tests (valid per STIX 2.1 unless named bad_*).

STIX 2.1 requires created/modified "precise to the nearest millisecond" at
least, so every timestamp here has >= 3 fractional digits.
"""

import json
import uuid

import harness as H


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def envelope_text(texts, sep=","):
    """Envelope around already-serialised object texts (kept verbatim)."""
    return '{"objects":[' + sep.join(texts) + "]}"


def indicator(oid=None, created=None, modified=None, name="relto api test", **extra):
    created = created or H.stix_now()
    o = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": oid or H.new_id("indicator"),
        "created": created,
        "modified": modified or created,
        "name": name,
        "pattern": "[ipv4-addr:value = '198.51.100.%d']" % (uuid.uuid4().int % 250 + 1),
        "pattern_type": "stix",
        "valid_from": created,
    }
    o.update(extra)
    return o


def identity(oid=None, created=None, modified=None, name="relto api test identity", **extra):
    created = created or H.stix_now()
    o = {
        "type": "identity",
        "spec_version": "2.1",
        "id": oid or H.new_id("identity"),
        "created": created,
        "modified": modified or created,
        "name": name,
    }
    o.update(extra)
    return o


def versions_of_indicator(n, base_ms=0):
    """n versions of one indicator, modified strictly increasing (ms apart)."""
    oid = H.new_id("indicator")
    created = H.stix_now(base_ms)
    out = []
    for i in range(n):
        out.append(indicator(oid=oid, created=created,
                             modified=_add_ms(created, 1000 * i), name="version %d" % (i + 1)))
    return out


def _add_ms(ts, ms):
    import datetime
    dt = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ") + datetime.timedelta(milliseconds=ms)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


add_ms = _add_ms


def odd_texts():
    """Valid STIX objects serialised with unusual but valid JSON formatting.

    Returns [(id, version, text)].  The server must hand these bytes back
    unchanged inside the envelope (brief: it keeps the exact bytes).
    """
    out = []
    ts = H.stix_now(-5000)
    # 1. keys in unusual order, spaces around ':' and ',', tabs, newlines,
    #    escaped and literal non-ASCII, escaped slash, surrogate pair escape.
    i1 = H.new_id("indicator")
    t1 = ('{\n\t"pattern_type" : "stix" ,\n  "modified":"%s",\n'
          '  "id" :\t"%s",   "type":"indicator",\n'
          '  "name": "caf\\u00e9 \\/ caf\u00e9 \u2014 \u201cquotes\u201d \u2713 \U0001F600 \\ud83d\\ude00",\n'
          '  "description": "line1\\nline2\\ttab \\"quoted\\" \\\\ backslash \\u0041",\n'
          '  "spec_version" : "2.1",\n'
          '  "created":   "%s",\n'
          '  "pattern":"[ipv4-addr:value = \'198.51.100.7\']",\n'
          '  "valid_from" : "%s",\n'
          '  "x_relto_numbers" : [ 2.50 , 1E+2, 0.000001, -17, 12345678901234 ],\n'
          '  "x_relto_nested":{"z":{"y":[{"x":true},{"w":false}]},"a":"\\u00e9"}\n'
          '}') % (ts, i1, ts, ts)
    out.append((i1, ts, t1))
    # 2. CRLF line endings, reversed key order.
    i2 = H.new_id("identity")
    t2 = ('{\r\n"name" : "R\u00e9lto \\u2603 identity",\r\n"modified" : "%s",\r\n'
          '"created" : "%s",\r\n"id" : "%s",\r\n"spec_version" : "2.1",\r\n'
          '"type" : "identity"\r\n}') % (ts, ts, i2)
    out.append((i2, ts, t2))
    # 3. fully minified with microsecond timestamps.
    i3 = H.new_id("indicator")
    tsu = H.stix_now(-4000, micro=True)
    t3 = ('{"type":"indicator","spec_version":"2.1","id":"%s","created":"%s","modified":"%s",'
          '"name":"minified","pattern":"[domain-name:value = \'example.org\']",'
          '"pattern_type":"stix","valid_from":"%s"}') % (i3, tsu, tsu, tsu)
    out.append((i3, tsu, t3))
    # 4. a lot of insignificant whitespace inside, and a long string.
    i4 = H.new_id("identity")
    t4 = ('{     "type"     :     "identity"     ,     "spec_version":"2.1","id":"%s",'
          '"created":"%s","modified":"%s","name":"%s","description":"%s"     }'
          % (i4, ts, ts, "long-" * 10, "\u00fc" * 3000))
    out.append((i4, ts, t4))
    return out


TLP_GREEN_ID = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"


def tlp_green_text():
    # STIX 2.1 section 7.2.1.4 TLP:GREEN, exactly as published (no modified).
    return ('{\n  "type": "marking-definition",\n  "spec_version": "2.1",\n'
            '  "id": "%s",\n  "created": "2017-01-20T00:00:00.000Z",\n'
            '  "definition_type": "tlp",\n  "name": "TLP:GREEN",\n'
            '  "definition": {\n    "tlp": "green"\n  }\n}' % TLP_GREEN_ID)


def statement_marking(created=None):
    created = created or H.stix_now()
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": H.new_id("marking-definition"),
        "created": created,
        "definition_type": "statement",
        "definition": {"statement": "Copyright relto API tests"},
    }


def ipv4_sco(value="203.0.113.9"):
    return {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": H.new_id("ipv4-addr"),
        "value": value,
    }
