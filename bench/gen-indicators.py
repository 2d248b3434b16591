#!/usr/bin/env python3
"""bench/gen-indicators.py N [DIR]: write N simple STIX 2.1 indicators as
bundles of 50,000 objects (DIR/bNNN.json, default the current folder), for
import and crawl measurements.  Deterministic; about 640 bytes an object.
(The realistic demo corpus with markings comes from src/demo/gen.c.)"""
import json
import os
import sys
import uuid

n = int(sys.argv[1])
out = sys.argv[2] if len(sys.argv) > 2 else "."
per = 50000
for f in range(0, n, per):
    objs = []
    for i in range(f, min(n, f + per)):
        objs.append({"type": "indicator", "spec_version": "2.1",
                     "id": "indicator--%s" % uuid.UUID(int=i, version=4),
                     "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                     "name": "indicator %d" % i, "description": "x" * 300,
                     "pattern": "[ipv4-addr:value = '10.%d.%d.%d']" % (i >> 16 & 255, i >> 8 & 255, i & 255),
                     "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})
    with open(os.path.join(out, "b%03d.json" % (f // per)), "w") as fh:
        json.dump({"type": "bundle", "id": "bundle--%s" % uuid.UUID(int=f, version=4), "objects": objs}, fh)
