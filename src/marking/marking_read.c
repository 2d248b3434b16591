/*
** marking_read.c: read one marking-definition object into the normalized
** facts of marking.h.  Schemes: TLP 1.0 (definition_type "tlp"), TLP 2.0
** (extension-definition--60a3c5c5-…), statements (a CAPCO-style banner is a
** classification; other text restricts nothing) and ISA ACS 3.0
** (extension-definition--3a65884d-…, as its schema in
** oasis-open/cti-stix-common-objects extension-definition-specifications/
** acs-data-markings/isa-acs-3-0.json defines it).
**
** The rule throughout is deny on unknown: a property, value or control
** that could restrict release and that relto does not understand makes the
** facts `unknown`, so the policy withholds the object instead of guessing.
** docs/markings.md is the user's version of every mapping below.
*/
#include <stdio.h>
#include <string.h>
#include "marking_int.h"
#include "../util/text.h"

#define EXT_TLP2 "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define EXT_ACS "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce"

/* Room for the reason a banner or an ACS marking is not understood; with
** the id and the quoted text it fits marking_facts.why_unknown. */
#define WHY_LEN 80

/* ---- small helpers ------------------------------------------------------ */

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static void trim(const char **b, const char **e)
{
	while (*b < *e && is_blank(**b))
		(*b)++;
	while (*e > *b && is_blank((*e)[-1]))
		(*e)--;
}

/* Does [b,e) (trimmed) spell the words of pat, where each space of pat
** matches any run of blanks?  fold: ignore ASCII case. */
static int words_eq(const char *b, const char *e, const char *pat, int fold)
{
	while (b < e && *pat) {
		if (*pat == ' ') {
			if (!is_blank(*b))
				return 0;
			while (b < e && is_blank(*b))
				b++;
			pat++;
			continue;
		}
		if (fold ? upper(*b) != upper(*pat) : *b != *pat)
			return 0;
		b++;
		pat++;
	}
	return b == e && !*pat;
}

/* Find "//" in [b,e); e when there is none. */
static const char *find_dslash(const char *b, const char *e)
{
	for (const char *p = b; p + 1 < e; p++)
		if (p[0] == '/' && p[1] == '/')
			return p;
	return e;
}

/* A REL TO or nationality code: three (country) or four (coalition)
** upper-case letters. */
static int is_code(const char *b, const char *e)
{
	if (e - b != 3 && e - b != 4)
		return 0;
	for (const char *p = b; p < e; p++)
		if (*p < 'A' || *p > 'Z')
			return 0;
	return 1;
}

static int str_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* ---- statements and banners --------------------------------------------- */

static const struct {
	const char *name;
	enum marking_level level;
} classifications[] = {
	{ "UNCLASSIFIED", LEVEL_UNCLASSIFIED }, { "U", LEVEL_UNCLASSIFIED },
	{ "CONFIDENTIAL", LEVEL_CONFIDENTIAL }, { "C", LEVEL_CONFIDENTIAL },
	{ "SECRET", LEVEL_SECRET },             { "S", LEVEL_SECRET },
	{ "TOP SECRET", LEVEL_TOP_SECRET },     { "TS", LEVEL_TOP_SECRET },
};

/* Dissemination controls a banner may carry.  NOFORN is enforced; the
** others are carried as MARKING_CTL_* bits and restrict no partner by
** themselves (docs/markings.md says why).  Anything else, SCI
** compartments and FGI markings included, is not understood. */
static const struct {
	const char *name;
	unsigned bit;
	int noforn;
} controls[] = {
	{ "NOFORN", 0, 1 },
	{ "NF", 0, 1 },
	{ "ORCON", MARKING_CTL_ORCON, 0 },
	{ "OC", MARKING_CTL_ORCON, 0 },
	{ "ORCON-USGOV", MARKING_CTL_ORCON_USGOV, 0 },
	{ "IMCON", MARKING_CTL_IMCON, 0 },
	{ "IMC", MARKING_CTL_IMCON, 0 },
	{ "RELIDO", MARKING_CTL_RELIDO, 0 },
	{ "PROPIN", MARKING_CTL_PROPIN, 0 },
	{ "PR", MARKING_CTL_PROPIN, 0 },
	{ "FISA", MARKING_CTL_FISA, 0 },
	{ "FOUO", MARKING_CTL_FOUO, 0 },
	{ "DSEN", MARKING_CTL_DSEN, 0 },
	{ "LES", MARKING_CTL_LES, 0 },
	{ "LES-NF", MARKING_CTL_LES, 1 },
	{ "SBU", MARKING_CTL_SBU, 0 },
	{ "SBU-NF", MARKING_CTL_SBU, 1 },
};

/* Words that make a statement claim a classification or a release
** control.  Such a statement must parse as a banner, or it is unknown:
** "Confidential: do not share" or "secret//noforn" must not pass as
** "restricts nothing". */
static const char *const claim_words[] = {
	"UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "CLASSIFIED", "RESTRICTED", "NOFORN", "TLP", NULL,
};

/* Does the statement [b,e) claim to be a classification banner? */
static int claims_banner(const char *b, const char *e)
{
	trim(&b, &e);
	if (e - b >= 2 && b[0] == '/' && b[1] == '/')
		return 1; /* a non-US banner ("//GBR SECRET", "//COSMIC TOP SECRET") */
	const char *pe = find_dslash(b, e), *pb = b;
	trim(&pb, &pe);
	for (size_t i = 0; i < sizeof(classifications) / sizeof(classifications[0]); i++)
		if (words_eq(pb, pe, classifications[i].name, 1))
			return 1;
	for (const char *p = b; p < e;) {
		while (p < e && !((upper(*p) >= 'A' && upper(*p) <= 'Z')))
			p++;
		const char *w = p;
		while (p < e && upper(*p) >= 'A' && upper(*p) <= 'Z')
			p++;
		for (const char *const *c = claim_words; p > w && *c; c++)
			if (words_eq(w, p, *c, 1))
				return 1;
	}
	return 0;
}

/* Read "REL TO A, B, C" (the part after "REL TO" is [b,e)).  0 and why
** set on a malformed list. */
static int read_rel_to(const char *b, const char *e, struct marking_facts *f, char *why)
{
	if (f->has_rel_to) {
		snprintf(why, WHY_LEN, "REL TO appears twice");
		return 0;
	}
	f->has_rel_to = 1;
	for (const char *p = b; p <= e;) {
		const char *q = p;
		while (q < e && *q != ',')
			q++;
		const char *cb = p, *ce = q;
		trim(&cb, &ce);
		if (!is_code(cb, ce)) {
			snprintf(why, WHY_LEN, "REL TO needs upper-case codes split by commas");
			return 0;
		}
		marking__add_code(f, cb, (size_t)(ce - cb));
		p = q + 1;
	}
	return 1;
}

/* If [b,e) starts with "REL TO" and a blank (blanks may be runs), the
** start of the list after it; else NULL.  fold: ignore case. */
static const char *rel_to_list(const char *b, const char *e, int fold)
{
	const char *p = b;
	for (const char *w = "REL"; *w; w++, p++)
		if (p == e || (fold ? upper(*p) : *p) != *w)
			return NULL;
	if (p == e || !is_blank(*p))
		return NULL;
	while (p < e && is_blank(*p))
		p++;
	for (const char *w = "TO"; *w; w++, p++)
		if (p == e || (fold ? upper(*p) : *p) != *w)
			return NULL;
	return p < e && is_blank(*p) ? p : NULL;
}

/* Read one control of a dissemination portion.  0 and why on failure. */
static int read_control(const char *b, const char *e, struct marking_facts *f, char *why)
{
	trim(&b, &e);
	if (b == e) {
		snprintf(why, WHY_LEN, "empty control");
		return 0;
	}
	const char *list = rel_to_list(b, e, 0);
	if (list)
		return read_rel_to(list, e, f, why);
	int folded = rel_to_list(b, e, 1) != NULL;
	char q[16 + 4];
	for (size_t i = 0; i < sizeof(controls) / sizeof(controls[0]); i++) {
		if (words_eq(b, e, controls[i].name, 0)) {
			f->controls |= controls[i].bit;
			f->noforn |= controls[i].noforn;
			return 1;
		}
		folded |= words_eq(b, e, controls[i].name, 1);
	}
	if (folded)
		snprintf(why, WHY_LEN, "a banner must be upper case");
	else
		snprintf(why, WHY_LEN, "control '%s' not understood", text_quote(b, (size_t)(e - b), 16, q));
	return 0;
}

/* Parse a banner CLASSIFICATION[//CONTROL[/CONTROL...][//...]] into f.
** 0 and why when it is not one. */
static int read_banner(const char *b, const char *e, struct marking_facts *f, char *why)
{
	const char *pe = find_dslash(b, e), *pb = b;
	trim(&pb, &pe);
	f->level = LEVEL_NONE;
	for (size_t i = 0; i < sizeof(classifications) / sizeof(classifications[0]); i++) {
		if (words_eq(pb, pe, classifications[i].name, 0))
			f->level = classifications[i].level;
		else if (words_eq(pb, pe, classifications[i].name, 1)) {
			snprintf(why, WHY_LEN, "a banner must be upper case");
			return 0;
		}
	}
	if (f->level == LEVEL_NONE) {
		snprintf(why, WHY_LEN, "not UNCLASSIFIED, CONFIDENTIAL, SECRET, TOP SECRET");
		return 0;
	}
	for (const char *p = find_dslash(b, e); p < e;) {
		const char *portion = p + 2, *end = find_dslash(portion, e);
		for (const char *c = portion; c <= end;) {
			const char *ce = c;
			while (ce < end && *ce != '/')
				ce++;
			if (!read_control(c, ce, f, why))
				return 0;
			c = ce + 1;
		}
		p = end;
	}
	if (f->noforn && f->has_rel_to) {
		snprintf(why, WHY_LEN, "NOFORN and REL TO exclude each other");
		return 0;
	}
	return 1;
}

/* A statement marking: a banner, or text that restricts nothing. */
static void read_statement(const json_t *def, const char *id, struct marking_facts *f)
{
	const json_t *d = json_object_get(def, "definition");
	const json_t *st = json_object_get(d, "statement");
	if (!json_is_object(d) || json_object_size(d) != 1 || !json_is_string(st)) {
		marking__unknown(f, "%s: a statement definition must be {\"statement\": text}", id);
		return;
	}
	const char *s = json_string_value(st), *e = s + json_string_length(st);
	char why[WHY_LEN] = "";
	if (!claims_banner(s, e))
		return; /* a copyright notice, terms of use: not a release control */
	trim(&s, &e);
	if (!read_banner(s, e, f, why)) {
		char q[30 + 4];
		marking_facts_init(f); /* a half-read banner must not leave a level behind */
		marking__unknown(f, "%s: banner '%s': %s", id, text_quote(s, (size_t)(e - s), 30, q), why);
	}
}

/* ---- TLP ---------------------------------------------------------------- */

static int tlp_from(const char *s, int v1, enum marking_tlp *out)
{
	static const char *const names[] = { "clear", "green", "amber", "amber+strict", "red" };
	static const enum marking_tlp values[] = { TLP_CLEAR, TLP_GREEN, TLP_AMBER, TLP_AMBER_STRICT, TLP_RED };
	if (v1 && strcmp(s, "white") == 0) {
		*out = TLP_CLEAR; /* TLP 2.0 renamed WHITE to CLEAR */
		return 1;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		/* TLP 1.0 has no CLEAR and no AMBER+STRICT. */
		if ((v1 && (values[i] == TLP_CLEAR || values[i] == TLP_AMBER_STRICT)) || strcmp(s, names[i]))
			continue;
		*out = values[i];
		return 1;
	}
	return 0;
}

/* definition_type "tlp": TLP 1.0.  STIX fixes four ids for it, handled
** before this; another id carrying the same content is read as what it
** says, which restricts as much as the real one would. */
static void read_tlp1(const json_t *def, const char *id, struct marking_facts *f)
{
	const json_t *d = json_object_get(def, "definition");
	const char *v = json_string_value(json_object_get(d, "tlp"));
	if (!json_is_object(d) || json_object_size(d) != 1 || !v || !tlp_from(v, 1, &f->tlp))
		marking__unknown(f, "%s: a TLP 1.0 definition must be {\"tlp\": white|green|amber|red}", id);
}

/* The TLP 2.0 extension: exactly extension_type and tlp_2_0, as its
** schema says (additionalProperties false). */
static void read_tlp2(const json_t *x, const char *id, struct marking_facts *f)
{
	const char *et = json_string_value(json_object_get(x, "extension_type"));
	const char *v = json_string_value(json_object_get(x, "tlp_2_0"));
	if (!json_is_object(x) || json_object_size(x) != 2 || !et ||
	    strcmp(et, "property-extension") != 0 || !v || !tlp_from(v, 0, &f->tlp))
		marking__unknown(f, "%s: TLP 2.0 extension is not {extension_type, tlp_2_0}", id);
}

/* ---- ISA ACS 3.0 -------------------------------------------------------- */

static int string_array(const json_t *v)
{
	size_t i;
	const json_t *s;
	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, s)
		if (!json_is_string(s) || json_string_length(s) == 0)
			return 0;
	return 1;
}

/* policy_reference: one or more "urn:isa:policy:acs:ns:v3.0?privdefault=
** (permit|deny)&sharedefault=(permit|deny)" separated by blanks (the
** schema's pattern).  Sets *share_deny if any says sharedefault=deny. */
static int read_policy_ref(const char *s, int *share_deny)
{
	static const char pre[] = "urn:isa:policy:acs:ns:v3.0?privdefault=";
	int n = 0;
	for (;;) {
		while (is_blank(*s))
			s++;
		if (!*s)
			return n > 0;
		if (strncmp(s, pre, sizeof(pre) - 1) != 0)
			return 0;
		s += sizeof(pre) - 1;
		s += strncmp(s, "permit", 6) == 0 ? 6 : strncmp(s, "deny", 4) == 0 ? 4 : 0;
		if (strncmp(s, "&sharedefault=", 14) != 0)
			return 0;
		s += 14;
		if (strncmp(s, "deny", 4) == 0) {
			*share_deny = 1;
			s += 4;
		} else if (strncmp(s, "permit", 6) == 0) {
			s += 6;
		} else {
			return 0;
		}
		if (*s && !is_blank(*s))
			return 0;
		n++;
	}
}

/* Values of a control_set list: each known (else unknown; known NULL
** takes any), and with map, mapped to NOFORN or a MARKING_CTL_* bit
** where the value means one. */
static int acs_values(const json_t *v, const char *const *known, int map, struct marking_facts *f)
{
	size_t i;
	const json_t *s;
	if (!string_array(v))
		return 0;
	json_array_foreach(v, i, s) {
		const char *t = json_string_value(s);
		if (known && !str_in(t, known))
			return 0;
		if (!map)
			continue;
		f->noforn |= strcmp(t, "NF") == 0;
		f->controls |= strcmp(t, "FOUO") == 0 ? MARKING_CTL_FOUO
		             : strcmp(t, "FISA") == 0 ? MARKING_CTL_FISA
		             : strcmp(t, "LES") == 0 ? MARKING_CTL_LES
		             : strcmp(t, "PR") == 0 || strcmp(t, "CISAPROPRIETARY") == 0 ? MARKING_CTL_PROPIN
		             : 0;
	}
	return 1;
}

static const char *const acs_formal[] = {
	"PUBREL", "NF", "AIS", "PII-NECESSARY-TO-UNDERSTAND-THREAT", "NO-PII-PRESENT", "FOUO",
	"INFORMATION-DIRECTLY-RELATED-TO-CYBERSECURITY-THREAT", NULL,
};
static const char *const acs_caveat[] = { "FISA", "POSSIBLEPII", "CISAPROPRIETARY", NULL };
static const char *const acs_sensitivity[] = {
	"NTOC_DHS_ECYBER_SVC_SHARE.NSA.NSA", "PCII", "LES", "INT", "PII", "PR", "TEI", NULL,
};
static const char *const acs_shareability[] = { "NCC", "EM", "LE", "IC", NULL };
static const char *const acs_entity[] = { "MIL", "GOV", "CTR", "SVR", "SVC", "DEV", "NET", NULL };

/* One control_set member; returns a reason when it is not understood. */
static const char *acs_control(const char *key, const json_t *v, struct marking_facts *f)
{
	size_t i;
	const json_t *s;
	if (strcmp(key, "classification") == 0) {
		const char *c = json_string_value(v);
		static const char *const codes[] = { "U", "C", "S", "TS" };
		for (size_t k = 0; c && k < 4; k++)
			if (strcmp(c, codes[k]) == 0)
				f->level = (enum marking_level)k;
		return f->level == LEVEL_NONE ? "not U, C, S or TS" : NULL;
	}
	if (strcmp(key, "permitted_nationalities") == 0) {
		if (!string_array(v))
			return "not a list of strings";
		json_array_foreach(v, i, s) {
			const char *c = json_string_value(s);
			if (!is_code(c, c + json_string_length(s)))
				return "not a country code";
			marking__add_code(f, c, json_string_length(s));
		}
		f->has_rel_to = 1;
		return NULL;
	}
	if (strcmp(key, "permitted_organizations") == 0) {
		if (!string_array(v))
			return "not a list of strings";
		json_array_foreach(v, i, s)
			marking__add_org(f, json_string_value(s));
		f->has_orgs = 1;
		return NULL;
	}
	if (strcmp(key, "sci_controls") == 0)
		return "SCI controls are not understood";
	if (strcmp(key, "formal_determination") == 0)
		return acs_values(v, acs_formal, 1, f) ? NULL : "unknown value";
	if (strcmp(key, "caveat") == 0)
		return acs_values(v, acs_caveat, 1, f) ? NULL : "unknown value";
	if (strcmp(key, "sensitivity") == 0)
		return acs_values(v, acs_sensitivity, 1, f) ? NULL : "unknown value";
	if (strcmp(key, "shareability") == 0)
		return acs_values(v, acs_shareability, 0, f) ? NULL : "unknown value";
	if (strcmp(key, "entity") == 0)
		return acs_values(v, acs_entity, 0, f) ? NULL : "unknown value";
	if (strcmp(key, "logical_authority_category") == 0)
		return acs_values(v, NULL, 0, f) ? NULL : "not a list of strings";
	return "not understood";
}

/* further_sharing: a deny rule naming FOREIGNGOV is NOFORN; a permit rule
** naming it is remembered in *foreign_permit. */
static const char *acs_further(const json_t *v, struct marking_facts *f, int *foreign_permit)
{
	size_t i, k;
	const json_t *rule, *s;
	if (!json_is_array(v))
		return "further_sharing: not a list";
	json_array_foreach(v, i, rule) {
		const json_t *scope = json_object_get(rule, "sharing_scope");
		const char *eff = json_string_value(json_object_get(rule, "rule_effect"));
		if (!json_is_object(rule) || json_object_size(rule) != 2 || !string_array(scope) || !eff ||
		    (strcmp(eff, "permit") != 0 && strcmp(eff, "deny") != 0))
			return "further_sharing: not {sharing_scope, rule_effect}";
		json_array_foreach(scope, k, s) {
			if (strcmp(json_string_value(s), "FOREIGNGOV") != 0)
				continue;
			if (eff[0] == 'd')
				f->noforn = 1;
			else
				*foreign_permit = 1;
		}
	}
	return NULL;
}

/* The members of the ACS extension its schema allows; others are not
** understood (the schema says additionalProperties false). */
static const char *const acs_members[] = {
	"extension_type", "identifier", "name", "create_date_time", "responsible_entity_custodian",
	"responsible_entity_originator", "authority_reference", "policy_reference",
	"original_classification", "derivative_classification", "declassification",
	"resource_disposition", "public_release", "access_privilege", "further_sharing",
	"control_set", NULL,
};

/* Check the ACS extension's required members and read control_set;
** returns a reason when it is not understood (in why, or a constant). */
static const char *acs_read(const json_t *x, struct marking_facts *f, char *why_buf)
{
	const char *k, *why = NULL, *et = json_string_value(json_object_get(x, "extension_type"));
	const char *pol = json_string_value(json_object_get(x, "policy_reference"));
	const json_t *v, *cs = json_object_get(x, "control_set");
	int share_deny = 0, foreign_permit = 0;
	char q[26 + 4];
	if (!json_is_object(x))
		return "the extension is not an object";
	json_object_foreach((json_t *)x, k, v) {
		if (!str_in(k, acs_members)) {
			snprintf(why_buf, WHY_LEN, "unknown property '%s'", text_quote(k, strlen(k), 26, q));
			return why_buf;
		}
	}
	if (!et || strcmp(et, "property-extension") != 0)
		return "extension_type is not property-extension";
	if (!json_is_string(json_object_get(x, "identifier")) ||
	    !json_is_string(json_object_get(x, "create_date_time")) ||
	    !json_is_string(json_object_get(x, "responsible_entity_custodian")))
		return "identifier, create_date_time or custodian missing";
	if (!pol || !read_policy_ref(pol, &share_deny))
		return "policy_reference: not the ACS 3.0 urn";
	if (!json_is_object(cs) || !json_object_get(cs, "classification"))
		return "control_set.classification is required";
	json_object_foreach((json_t *)cs, k, v) {
		if ((why = acs_control(k, v, f)) != NULL) {
			snprintf(why_buf, WHY_LEN, "control_set.%s: %s", text_quote(k, strlen(k), 26, q), why);
			return why_buf;
		}
	}
	v = json_object_get(x, "further_sharing");
	if (v && (why = acs_further(v, f, &foreign_permit)) != NULL)
		return why;
	/* Sharing not permitted is denied by default, and nothing permits a
	** foreign nation or organisation: no foreign release. */
	if (share_deny && !f->has_rel_to && !f->has_orgs && !foreign_permit)
		f->noforn = 1;
	return NULL;
}

static void read_acs(const json_t *x, const char *id, struct marking_facts *f)
{
	char buf[WHY_LEN];
	const char *why = acs_read(x, f, buf);
	if (why) {
		marking_facts_init(f);
		marking__unknown(f, "%s: ACS 3.0: %s", id, why);
	}
}

/* ---- the definition ----------------------------------------------------- */

/* Read the definition_type part; 1 if there was one. */
static int read_typed(const json_t *def, const char *id, struct marking_facts *out)
{
	const json_t *dt = json_object_get(def, "definition_type");
	struct marking_facts f;
	marking_facts_init(&f);
	if (!dt) {
		if (json_object_get(def, "definition"))
			marking__unknown(out, "%s: definition without definition_type", id);
		return 0;
	}
	const char *t = json_string_value(dt);
	if (t && strcmp(t, "statement") == 0)
		read_statement(def, id, &f);
	else if (t && strcmp(t, "tlp") == 0)
		read_tlp1(def, id, &f);
	else
		marking__unknown(&f, "%s: definition_type is not statement or tlp", id);
	marking_combine(out, &f);
	return 1;
}

/* Read the extensions; the number of extensions read. */
static size_t read_extensions(const json_t *def, const char *id, struct marking_facts *out)
{
	const json_t *ext = json_object_get(def, "extensions"), *x;
	const char *key;
	size_t n = 0;
	if (!ext)
		return 0;
	if (!json_is_object(ext)) {
		marking__unknown(out, "%s: extensions is not an object", id);
		return 1;
	}
	json_object_foreach((json_t *)ext, key, x) {
		struct marking_facts f;
		marking_facts_init(&f);
		if (strcmp(key, EXT_TLP2) == 0)
			read_tlp2(x, id, &f);
		else if (strcmp(key, EXT_ACS) == 0)
			read_acs(x, id, &f);
		else
			marking__unknown(&f, "%s: extension %.60s is not understood", id, key);
		marking_combine(out, &f);
		n++;
	}
	return n;
}

void marking_read_definition(const json_t *def, struct marking_facts *out)
{
	marking_facts_init(out);
	const char *id = json_string_value(json_object_get(def, "id"));
	const char *type = json_string_value(json_object_get(def, "type"));
	if (!json_is_object(def) || !id || !type || strcmp(type, "marking-definition") != 0) {
		marking__unknown(out, "%.60s: not a marking-definition object", id ? id : "(no id)");
		marking__finish(out);
		return;
	}
	if (marking__well_known(id, out))
		return;
	int typed = read_typed(def, id, out);
	size_t ext = read_extensions(def, id, out);
	if (!typed && !ext)
		marking__unknown(out, "%s: no definition_type and no marking extension", id);
	marking__finish(out);
}
