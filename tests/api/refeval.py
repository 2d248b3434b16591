"""A reference model of relto's releasability, written from the documents.

Sources: docs/markings.md (reading and combining markings), docs/policy.md
(the order of a decision, caps, the built-in level checks, groups),
docs/posture.md (the posture file), docs/ARCHITECTURE.md section
"Releasability" (the visibility rules), docs/configuration.md (originator,
admin, partners without a posture entry) and the demo policy
src/demo/relto.policy.  Nothing here is taken from the C sources.  Python 3
standard library only.

The model answers, for a partner and one stored version of an object in a
collection:  withheld, or the exact JSON the partner must receive (the
stored object, minus stripped properties, with hidden object_refs removed).
"""

import re

LEVELS = ["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP_SECRET"]
LV = {n: i for i, n in enumerate(LEVELS)}

TLP_ORDER = ["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"]
TLP_RANK = {n: i for i, n in enumerate(TLP_ORDER)}

# docs/markings.md "TLP 1.0" and "TLP 2.0": the nine fixed ids.
TLP1_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "CLEAR",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "GREEN",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "AMBER",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "RED",
}
TLP2_IDS = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "CLEAR",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "GREEN",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "AMBER",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "AMBER_STRICT",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "RED",
}
FIXED_TLP = dict(TLP1_IDS)
FIXED_TLP.update(TLP2_IDS)
TLP2_EXT = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
ACS_EXT = "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce"
TLP2_LABELS = {"clear": "CLEAR", "green": "GREEN", "amber": "AMBER",
               "amber+strict": "AMBER_STRICT", "red": "RED"}
TLP1_LABELS = {"white": "CLEAR", "green": "GREEN", "amber": "AMBER", "red": "RED"}

# docs/markings.md "REL TO intersection": the built-in table.
TETRA = {
    "FVEY": {"AUS", "CAN", "GBR", "NZL", "USA"},
    "NATO": set("ALB BEL BGR CAN CZE DEU DNK ESP EST FIN FRA GBR GRC HRV HUN ISL ITA LTU "
                "LUX LVA MKD MNE NLD NOR POL PRT ROU SVK SVN SWE TUR USA".split()),
}


class Facts:
    """docs/markings.md "The facts" (controls and banner are not modelled:
    they restrict nobody)."""
    __slots__ = ("level", "rel_to", "noforn", "tlp", "orgs", "unknown")

    def __init__(self, level=None, rel_to=None, noforn=False, tlp=None, orgs=None,
                 unknown=None):
        self.level = level          # index into LEVELS or None
        self.rel_to = rel_to        # None (no list) or set of countries (expanded)
        self.noforn = noforn
        self.tlp = tlp              # None or a TLP_ORDER name
        self.orgs = orgs            # None (no list) or set of strings
        self.unknown = unknown      # None or a reason

    def __repr__(self):
        return "Facts(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in self.__slots__
                                       if getattr(self, k) not in (None, False))


def expand_rel_to(entries):
    """The countries a REL TO list names: trigraphs as written, known
    tetragraphs by the table.  The policy's groups agree with the table
    (markings.md), and an unknown tetragraph matches no partner."""
    out = set()
    for e in entries:
        if len(e) == 4:
            out |= TETRA.get(e, set())
        else:
            out.add(e)
    return out


# ---- CAPCO banners in statement markings (markings.md) ----------------------

_CLASS = {"UNCLASSIFIED": 0, "U": 0, "CONFIDENTIAL": 1, "C": 1, "SECRET": 2, "S": 2,
          "TOP SECRET": 3, "TS": 3}
_HARMLESS_CONTROLS = {"ORCON", "OC", "ORCON-USGOV", "IMCON", "IMC", "RELIDO", "PROPIN", "PR",
                      "FISA", "FOUO", "DSEN", "LES", "SBU"}
_CLAIM_WORDS = ("SECRET", "CONFIDENTIAL", "UNCLASSIFIED", "CLASSIFIED", "RESTRICTED",
                "NOFORN", "TLP")


def read_statement(text):
    """Facts of a statement marking, or None when it restricts nothing."""
    t = text.strip(" \t")
    parts = re.split(r"[ \t]*//[ \t]*", t)
    head = re.sub(r"[ \t]+", " ", parts[0])
    if t.startswith("//"):
        return Facts(unknown="non-US banner")
    if head not in _CLASS:
        if head.upper() in _CLASS:
            return Facts(unknown="a banner must be upper case")
        up = text.upper()
        if any(w in up for w in _CLAIM_WORDS):
            return Facts(unknown="claims to be a banner and does not parse")
        return None
    f = Facts(level=_CLASS[head])
    rel = None
    for part in parts[1:]:
        for ctl in re.split(r"[ \t]*/[ \t]*", part):
            ctl = ctl.strip(" \t")
            m = re.match(r"^REL[ \t]+TO[ \t]+(.*)$", ctl)
            if m:
                entries = [e.strip(" \t") for e in m.group(1).split(",")]
                if not all(re.match(r"^[A-Z]{3,4}$", e) for e in entries):
                    return Facts(unknown="bad REL TO entry")
                rel = (rel or []) + entries
            elif ctl in ("NOFORN", "NF", "LES-NF", "SBU-NF"):
                f.noforn = True
            elif ctl in _HARMLESS_CONTROLS:
                pass
            else:
                return Facts(unknown="control %r not understood" % ctl)
    if rel is not None:
        if len(set(rel)) > 48:
            return Facts(unknown="REL TO too long")
        if f.noforn:
            return Facts(unknown="NOFORN and REL TO exclude each other")
        f.rel_to = expand_rel_to(rel)
    return f


# ---- ISA ACS 3.0 (markings.md) ----------------------------------------------

_ACS_REQUIRED = ("extension_type", "identifier", "create_date_time",
                 "responsible_entity_custodian", "policy_reference", "control_set")
_ACS_MEMBERS = set(_ACS_REQUIRED) | {
    "access_privilege", "original_classification", "derivative_classification",
    "declassification", "resource_disposition", "public_release", "authority_reference",
    "responsible_entity_originator", "name", "further_sharing"}
_ACS_FD_OK = {"AIS", "PUBREL", "INFORMATION-DIRECTLY-RELATED-TO-CYBERSECURITY-THREAT"}


def read_acs(ext):
    if not isinstance(ext, dict) or any(k not in ext for k in _ACS_REQUIRED):
        return Facts(unknown="ACS: a required member is missing")
    if any(k not in _ACS_MEMBERS for k in ext):
        return Facts(unknown="ACS: a member the schema does not define")
    cs = ext["control_set"]
    if "classification" not in cs:
        return Facts(unknown="ACS: no classification")
    if "sci_controls" in cs:
        return Facts(unknown="ACS: SCI")
    f = Facts(level={"U": 0, "C": 1, "S": 2, "TS": 3}[cs["classification"]])
    if "permitted_nationalities" in cs:
        f.rel_to = expand_rel_to(cs["permitted_nationalities"])
    if "permitted_organizations" in cs:
        f.orgs = set(cs["permitted_organizations"])
    for v in cs.get("formal_determination", []):
        if v == "NF":
            f.noforn = True
        elif v == "FOUO" or v in _ACS_FD_OK:
            pass
        else:
            return Facts(unknown="ACS: formal_determination %r" % v)
    permit_foreign = False
    for rule in ext.get("further_sharing", []):
        if "FOREIGNGOV" in rule.get("sharing_scope", []):
            if rule.get("rule_effect") == "deny":
                f.noforn = True
            elif rule.get("rule_effect") == "permit":
                permit_foreign = True
    if "sharedefault=deny" in ext["policy_reference"] and not permit_foreign \
            and "permitted_nationalities" not in cs and "permitted_organizations" not in cs:
        f.noforn = True
    if f.noforn:
        f.rel_to = None         # NOFORN overrides any REL TO list
    return f


def read_definition(md):
    """Facts of one stored marking definition (not one of the fixed TLP ids)."""
    if md is None:
        return Facts(unknown="not in the store")
    exts = md.get("extensions")
    if exts:
        if len(exts) != 1:
            return Facts(unknown="several extensions")
        (name, ext), = exts.items()
        if name == TLP2_EXT:
            if set(ext) == {"extension_type", "tlp_2_0"} and \
                    ext["extension_type"] == "property-extension" and ext["tlp_2_0"] in TLP2_LABELS:
                return Facts(tlp=TLP2_LABELS[ext["tlp_2_0"]])
            return Facts(unknown="TLP 2.0 extension not as published")
        if name == ACS_EXT:
            return read_acs(ext)
        return Facts(unknown="extension %s is not understood" % name)
    dt = md.get("definition_type")
    if dt == "statement":
        return read_statement(md["definition"]["statement"])
    if dt == "tlp":
        v = md["definition"].get("tlp")
        if v in TLP1_LABELS:
            return Facts(tlp=TLP1_LABELS[v])
        return Facts(unknown="TLP value %r" % v)
    return Facts(unknown="definition_type %r" % dt)


def combine(facts_list):
    """docs/markings.md "Combining markings: the most restrictive wins".
    None entries (text that restricts nothing) are skipped."""
    out = Facts()
    for f in facts_list:
        if f is None:
            continue
        if f.unknown and not out.unknown:
            out.unknown = f.unknown
        if f.level is not None:
            out.level = f.level if out.level is None else max(out.level, f.level)
        if f.rel_to is not None:
            out.rel_to = set(f.rel_to) if out.rel_to is None else out.rel_to & f.rel_to
        out.noforn = out.noforn or f.noforn
        if f.tlp is not None:
            out.tlp = f.tlp if out.tlp is None or TLP_RANK[f.tlp] > TLP_RANK[out.tlp] else out.tlp
        if f.orgs is not None:
            out.orgs = set(f.orgs) if out.orgs is None else out.orgs & f.orgs
    # NOFORN "overrides every REL TO list" in the banner; the REL TO
    # intersection still restricts (the result must be at least as
    # restrictive as each marking on its own: NOFORN + REL TO GBR is not
    # releasable to a US partner that is not the hub).  Only matters for a
    # partner whose country is USA and a list that leaves USA out.
    return out


class MarkingReader:
    """Resolves marking refs against the marking definitions the store holds
    (the fixed TLP ids are known without looking and cannot be forged)."""

    def __init__(self, stored_defs):
        self.defs = stored_defs        # id -> marking-definition dict (latest posted)

    def facts_of_ref(self, ref):
        if ref in FIXED_TLP:
            return Facts(tlp=FIXED_TLP[ref])
        f = read_definition(self.defs.get(ref))
        return f if f is not None else Facts()      # text that restricts nothing

    def facts_of_refs(self, refs):
        return combine([self.facts_of_ref(r) for r in refs])


# ---- the policy -------------------------------------------------------------

class PolicyParams:
    """The demo policy's rules with a few knobs (policy_text() writes them)."""

    def __init__(self, ran_cap="CONFIDENTIAL", ran_before="2028-01-01", core_cap="UNCLASSIFIED",
                 amber_strict_hub_only=True, name="demo"):
        self.ran_cap = ran_cap
        self.ran_before = ran_before
        self.core_cap = core_cap
        self.amber_strict_hub_only = amber_strict_hub_only
        self.name = name

    def __repr__(self):
        return ("policy %s: ran cap %s unless deadline before %s; core cap %s; "
                "AMBER+STRICT hub only: %s" % (self.name, self.ran_cap, self.ran_before,
                                               self.core_cap, self.amber_strict_hub_only))


def policy_text(p):
    amber = ""
    amber_f = ""
    if p.amber_strict_hub_only:
        amber = ('deny when object.tlp == AMBER_STRICT and not partner.hub\n'
                 '    because "TLP:AMBER+STRICT: the hub\'s own organisation only"\n')
        amber_f = ('redact when field.tlp == AMBER_STRICT and not partner.hub\n'
                   '    because "a part of the object is TLP:AMBER+STRICT"\n')
    return """\
# test_80_releasability: %(name)s (generated from src/demo/relto.policy)
levels UNCLASSIFIED < CONFIDENTIAL < SECRET < TOP_SECRET

group FVEY = USA, AUS, CAN, GBR, NZL
group NATO = ALB, BEL, BGR, CAN, HRV, CZE, DNK, EST, FIN, FRA, DEU, GRC, HUN, ISL,
             ITA, LVA, LTU, LUX, MNE, NLD, MKD, NOR, POL, PRT, ROU, SVK, SVN, ESP,
             SWE, TUR, GBR, USA

clear partner.agreement

cap %(ran_cap)s when partner.networks.ran uses vendor.risk == "high"
                 unless that equipment has a removal deadline before %(ran_before)s
    because "high-risk vendor equipment in the radio access network"

cap %(core_cap)s when partner.networks.core uses vendor.risk == "high"
    because "high-risk vendor equipment in the core network"

deny when object.noforn and partner.country != "USA"
    because "NOFORN: not releasable to foreign nationals"
deny when object.has_rel_to and partner.country not in object.rel_to
    because "not on the REL TO list"
deny when object.tlp == RED unless partner.hub or partner.id in object.orgs
    because "TLP:RED: only the hub and the recipients the object names"
%(amber)sdeny when object.has_orgs and not partner.hub and partner.id not in object.orgs
    because "not one of the organisations the object is restricted to"

redact when field.noforn and partner.country != "USA"
    because "a part of the object is NOFORN"
redact when field.has_rel_to and partner.country not in field.rel_to
    because "a part of the object is not releasable to the partner (REL TO)"
redact when field.tlp == RED unless partner.hub or partner.id in field.orgs
    because "a part of the object is TLP:RED"
%(amber_f)sredact when field.has_orgs and not partner.hub and partner.id not in field.orgs
    because "a part of the object is restricted to other organisations"
""" % {"name": p.name, "ran_cap": p.ran_cap, "ran_before": p.ran_before,
       "core_cap": p.core_cap, "amber": amber, "amber_f": amber_f}


def clearance(partner, posture, p):
    """'clear partner.agreement', then the two caps (posture.md: an absent
    segment is unknown, and 'uses' finds nothing in it)."""
    risk = {v["id"]: v["risk"] for v in posture["vendors"]}
    lvl = LV[partner["agreement_level"]]
    ran_hit = core_hit = False
    for op in partner["operators"]:
        for e in op["segments"].get("ran", []):
            if risk[e["vendor"]] == "high" and not (
                    "removal_deadline" in e and e["removal_deadline"] < p.ran_before):
                ran_hit = True
        for e in op["segments"].get("core", []):
            if risk[e["vendor"]] == "high":
                core_hit = True
    if ran_hit:
        lvl = min(lvl, LV[p.ran_cap])
    if core_hit:
        lvl = min(lvl, LV[p.core_cap])
    return lvl


class Bound:
    """A partner bound to the policy: id, country, hub, clearance."""

    def __init__(self, partner, posture, p):
        self.id = partner["id"]
        self.country = partner["country"]
        self.hub = bool(partner["hub"])
        self.clearance = clearance(partner, posture, p)
        self.p = p


def _denied(b, f):
    """The deny rules (and, for fields, the matching redact rules).  Text
    membership ignores case (policy.md, Conditions)."""
    in_orgs = f.orgs is not None and b.id.lower() in {o.lower() for o in f.orgs}
    if f.noforn and b.country != "USA":
        return "NOFORN"
    if f.rel_to is not None and b.country not in f.rel_to:
        return "REL TO"
    if f.tlp == "RED" and not (b.hub or in_orgs):
        return "TLP:RED"
    if b.p.amber_strict_hub_only and f.tlp == "AMBER_STRICT" and not b.hub:
        return "AMBER+STRICT"
    if f.orgs is not None and not b.hub and not in_orgs:
        return "orgs"
    return None


# Properties some STIX 2.1 type requires, among those the test marks
# granularly (ARCHITECTURE.md: such a redaction withholds the object).
REQUIRED_SOMEWHERE = {"pattern", "name", "object_refs", "source_ref", "target_ref",
                      "sighting_of_ref", "relationship_type", "published", "pattern_type",
                      "valid_from", "is_family"}


def decide(b, obj_facts, granular, default_level):
    """(partner, marking set) -> ("withhold", why) | ("release", set of
    top-level properties to strip).  granular: list of (facts, selectors)."""
    if obj_facts.unknown:
        return ("withhold", "unknown: " + obj_facts.unknown)
    level = obj_facts.level if obj_facts.level is not None else LV[default_level]
    if level > b.clearance:
        return ("withhold", "level %s above clearance %s" % (LEVELS[level], LEVELS[b.clearance]))
    why = _denied(b, obj_facts)
    if why:
        return ("withhold", why)
    strip = set()
    for gf, selectors in granular:
        hide = False
        if gf.unknown:
            hide = True
        else:
            # policy.md: "a granular marking without a level has the object's"
            glevel = gf.level if gf.level is not None else level
            if glevel > b.clearance or _denied(b, gf):
                hide = True
        if hide:
            for s in selectors:
                strip.add(s.split(".")[0])
    if strip & REQUIRED_SOMEWHERE:
        return ("withhold", "a redaction would remove a required property %s"
                % sorted(strip & REQUIRED_SOMEWHERE))
    return ("release", strip)


# ---- visibility (ARCHITECTURE.md "Releasability") ----------------------------

REQUIRED_REFS = {"relationship": ("source_ref", "target_ref"), "sighting": ("sighting_of_ref",)}


def visible_in_collection(b, coll_versions, order, marks, default_level, whole=False, why=None):
    """What partner b receives from one collection.

    coll_versions: id -> list of stored version dicts (the parsed objects)
    order: ids in an order where every reference points backwards
    marks: MarkingReader
    whole: originator/admin -- every version, unchanged.
    why: optional dict filled with (id, version_key) -> reason for every
    version that is not served whole.
    Returns id -> {version_key: expected served dict}.
    """
    out = {}
    cache = {}
    for oid in order:
        if oid not in coll_versions:
            continue
        vis = {}
        for o in coll_versions[oid]:
            vkey = o.get("modified", o.get("created"))
            if whole:
                vis[vkey] = o
                continue
            ms = marking_key(o)
            if ms not in cache:
                ofacts = marks.facts_of_refs(o.get("object_marking_refs", []))
                gr = {}
                for g in o.get("granular_markings", []):
                    gr.setdefault(g["marking_ref"], []).extend(g["selectors"])
                granular = [(marks.facts_of_ref(r), sels) for r, sels in gr.items()]
                cache[ms] = decide(b, ofacts, granular, default_level)
            d = cache[ms]
            if d[0] == "withhold":
                if why is not None:
                    why[(oid, vkey)] = "withheld: " + d[1]
                continue
            served = {k: v for k, v in o.items() if k not in d[1]}
            if d[1] and why is not None:
                why[(oid, vkey)] = "stripped %s" % sorted(d[1])
            t = o["type"]
            if t in REQUIRED_REFS:
                missing = [o[k] for k in REQUIRED_REFS[t] if o[k] not in out]
                if missing:
                    if why is not None:
                        why[(oid, vkey)] = "withheld: required refs not visible %s" % missing
                    continue
            if t == "report":
                refs = [r for r in o["object_refs"] if r in out]
                if not refs:
                    if why is not None:
                        why[(oid, vkey)] = "withheld: no object_refs visible"
                    continue
                if len(refs) != len(o["object_refs"]) and why is not None:
                    why[(oid, vkey)] = (why.get((oid, vkey), "") + " object_refs filtered").strip()
                served["object_refs"] = refs
            vis[vkey] = served
        if vis:
            out[oid] = vis
    return out


def marking_key(o):
    return (tuple(o.get("object_marking_refs", [])),
            tuple((g["marking_ref"], tuple(g["selectors"])) for g in o.get("granular_markings", [])))
