/*
** stix.h: STIX 2.1 ingest: split a TAXII envelope or STIX bundle into its
** objects without losing their bytes, and validate each object's common
** properties.
**
** relto stores each object as the exact bytes that arrived (DESIGN.md
** decision 1), so the envelope is not parsed into a tree and re-serialized:
** stix_envelope_each() walks the body with Jansson, one value at a time,
** and hands each element of "objects" to a callback as a byte span plus its
** parsed json_t.  Jansson does all the JSON parsing, with
** JSON_REJECT_DUPLICATES everywhere: an object with two
** "object_marking_refs" keys that relto and a client read differently
** would be a marking bypass.
**
** Threading: pure functions over their arguments; thread-safe.
** Errors: enum relto_err; `err` (RELTO_ERRBUF_SIZE, may be NULL) says why.
** Ownership: spans point into the caller's body; json_t values passed to
** the callback are borrowed and freed after it returns.
*/
#ifndef RELTO_STIX_H
#define RELTO_STIX_H

#include <jansson.h>
#include <stdint.h>
#include "../relto.h"

/* Longest STIX type is 250 chars; an id is type "--" UUID (36). */
#define STIX_TYPE_MAX 250
#define STIX_ID_MAX (STIX_TYPE_MAX + 2 + 36)

/* What relto needs to know about one valid object, besides its bytes. */
struct stix_meta {
	char type[STIX_TYPE_MAX + 1];
	char id[STIX_ID_MAX + 1];
	char spec_version[16];   /* "2.1" (SCOs without the property get "2.1") */
	int64_t created;         /* µs; 0 with has_created == 0 when absent (SCOs) */
	int has_created;
	/* The version key: `modified` for versioned objects, `created` for
	** objects that cannot be versioned (marking-definition) or lack
	** modified, and has_version == 0 for objects with neither (SCOs),
	** which the store then versions by date_added.  An SCO that carries
	** created/modified anyway is versioned by them like any object. */
	int64_t version;
	int has_version;
	/* The version timestamp's text exactly as written ("" when
	** !has_version).  Longer than 39 characters (over 18 fraction digits)
	** is refused by stix_validate.  Two texts that differ only below a
	** microsecond have the same `version` (ts.h). */
	char version_text[40];
	char created_by_ref[STIX_ID_MAX + 1]; /* "" when absent */
	int revoked;             /* the `revoked` property was true */
	/* Canonical form of the object's data markings, as compact JSON
	** (no spaces, Jansson's escaping, raw UTF-8):
	**   {"o":[<ref>,...],"g":[[<marking>,[<selector>,...]],...]}
	** "o" is object_marking_refs sorted (bytewise) without duplicates;
	** "g" has one entry per distinct granular marking, where <marking> is
	** its marking_ref or "lang:<tag>" for a `lang` marking (tag as
	** written), entries sorted bytewise by <marking> (so "lang:..." come
	** first) and each with the union of its selectors from every entry of
	** granular_markings, sorted bytewise, unique.  "o" or "g" is left out
	** when empty; the string is "" when the object has no markings.  E.g.
	**   {"o":["marking-definition--f88d…"],
	**    "g":[["lang:en",["name"]],["marking-definition--5e57…",["description","name"]]]}
	** Two objects carry the same markings exactly when these strings are
	** equal, so the store interns them as marking sets (decision 2).
	** Heap-allocated (also when ""), never NULL after stix_validate()
	** succeeds; free with stix_meta_clear(). */
	char *marking_canon;
};

/* Free what stix_meta owns and zero it.  Cannot fail; NULL is a no-op. */
void stix_meta_clear(struct stix_meta *m);

/* Validate obj (the parsed object) as a STIX 2.1 object and fill *out.
** Objects are of three kinds, which decide what they must carry:
**  - SCOs: the 18 STIX 2.1 cyber-observable types (artifact,
**    autonomous-system, directory, domain-name, email-addr, email-message,
**    file, ipv4-addr, ipv6-addr, mac-addr, mutex, network-traffic, process,
**    software, url, user-account, windows-registry-key, x509-certificate)
**    and custom types whose `extensions` hold an "extension-definition--…"
**    entry with "extension_type": "new-sco";
**  - marking-definition;
**  - everything else, as SDOs: the STIX SDOs and SROs, language-content,
**    extension-definition and every other custom type (x-mitre-tactic…).
** The rules:
**  - `type`: 3..250 chars of [a-z0-9-], starting with a letter, not ending
**    with '-', no "--" (STIX 2.1 section 3.1); 'bundle' is not an object;
**  - `id`: "<type>--<UUID>" with the object's own type, UUID in 8-4-4-4-12
**    hex form, lower-case (version and variant bits are not checked);
**  - `spec_version`: "2.1"; required on SDOs and marking definitions,
**    optional on SCOs (out->spec_version is "2.1" either way);
**  - `created` and `modified`: ts_parse() timestamps; both required on
**    SDOs; marking-definition requires `created` and must not have
**    `modified` (STIX 2.1 section 7.2.1: marking definitions are not
**    versioned); optional on SCOs; modified >= created when both are there;
**  - `object_marking_refs`: a non-empty list of marking-definition ids;
**    `granular_markings`: a non-empty list of {selectors: non-empty list
**    of non-empty strings, and exactly one of marking_ref (a
**    marking-definition id) or lang (non-empty string)}; `created_by_ref`:
**    an identity id; `revoked`: boolean.
** Other properties are not looked at.  Strings holding a NUL (possible
** only in objects built in code, not parsed) are refused.
** RELTO_OK and *out filled (release with stix_meta_clear); RELTO_EINVAL
** and err names the property and the problem (*out zeroed), e.g.
**   "id: 'indicator--x' is not 'indicator--<UUID>' (not 8-4-4-4-12 hex)"
**   "created: missing (required on indicator)"
**   "modified: earlier than created"
**   "modified: not a timestamp: '2020-13-01T00:00:00Z' (month must be 01..12)"
**   "object_marking_refs[1]: 'identity--…' is not 'marking-definition--<UUID>'"
**   "granular_markings[0].selectors: must be a non-empty list"
** (quoted input is cut at 80 bytes and non-printable-ASCII bytes show as
** '?'); RELTO_ENOMEM (*out zeroed).  Borrows obj. */
enum relto_err stix_validate(const json_t *obj, struct stix_meta *out, char *err);

/* Called once per element of the "objects" list, in order.  raw/len is the
** element's exact bytes in the body (leading and trailing whitespace
** excluded; raw is not NUL-terminated); value is the parsed element
** (borrowed, freed when the callback returns, so json_incref() it to keep
** it; may be any JSON type, so the callback decides what a non-object
** element means); index counts from 0.  Return RELTO_OK to go on; any other
** code stops the walk and is returned by stix_envelope_each. */
typedef enum relto_err (*stix_each_fn)(void *ctx, size_t index, const char *raw,
                                       size_t len, json_t *value);

/* Walk body (len bytes, no NUL needed) as a TAXII 2.1 envelope ({"objects":
** [...], "more": ..., ...}) or a STIX 2.1 bundle ({"type": "bundle", "id":
** ..., "objects": [...]}), calling each() for every element of "objects".
** The whole body must be one valid UTF-8 JSON object (whitespace around it
** allowed; no BOM, no NUL, no \u0000, no lone surrogates) with no
** duplicate keys at any depth, or nothing is called: the body is fully
** checked before the first callback.  Only the top-level "objects" member
** counts (compared after unescaping, so "obj\u0065cts" is it too); other
** members are checked but not looked at.  An absent "objects" key means no
** objects.  Numbers Jansson cannot hold (integers outside int64, reals that
** overflow a double) are refused, not rounded.  each may be NULL (count
** only).  Cost: the body is parsed twice, linear in its size.
** Returns:
**   RELTO_OK: *count = elements walked;
**   RELTO_EINVAL, nothing called: err is "line L, column C (byte B):
**     <Jansson's message>", e.g. "line 3, column 5 (byte 40): duplicate
**     object key near '\"id\"'", or "empty body: expected a JSON object",
**     "body must be a JSON object, not a list", "\"objects\" must be a
**     list, not an object";
**   RELTO_ETOOBIG, nothing called: len > INT_MAX, or nested deeper than
**     JSON_PARSER_MAX_DEPTH (2048);
**   the callback's code: *count = calls that returned RELTO_OK before it;
**   RELTO_ENOMEM / RELTO_EINTERNAL: out of memory, possibly after some
**     callbacks (*count says how many).  Jansson reports some failed
**     allocations as syntax errors, so out of memory can also come back as
**     RELTO_EINVAL (before any callback) or RELTO_EINTERNAL.
** count may be NULL; it is set on every return.  Messages are printable
** ASCII (bytes Jansson quotes from the input show as '?'). */
enum relto_err stix_envelope_each(const char *body, size_t len, stix_each_fn each,
                                  void *ctx, size_t *count, char *err);

#endif

/* ---- references that releasability must follow ---- */

/* Called for each id an object refers to.  required: the object means
** nothing without that object (a relationship's source_ref and
** target_ref; a sighting's sighting_of_ref, observed_data_refs and
** where_sighted_refs), so it is withheld when that one is; otherwise (the
** object_refs of reports, groupings, notes, opinions, observed-data) the
** reference is removed from the copy served.  Return RELTO_OK to go on. */
typedef enum relto_err (*stix_ref_fn)(void *ctx, const char *id, int required);

/* Walk obj's references as above, in property order; ids that are not
** strings are skipped (stix_validate has checked what it checks).
** RELTO_OK or fn's code. */
enum relto_err stix_refs(const json_t *obj, stix_ref_fn fn, void *ctx);
