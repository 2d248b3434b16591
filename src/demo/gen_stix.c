/*
** gen_stix.c: writes the demo generator's objects (gen_int.h) as compact
** STIX 2.1 JSON, straight into a capped buffer.
**
** Speed matters here (the benchmarks generate a million objects), so
** nothing goes through printf or a JSON library: ids and timestamps have
** their own formatters, and table strings, which hold nothing JSON must
** escape (gen_int.h), are copied as they are.  Property order is fixed:
** type, spec_version, id, created_by_ref, created, modified, the type's
** own properties, revoked, object_marking_refs, granular_markings.
**
** Everything an object says is derived from its content seed: c (seeded
** by the object's seed alone) picks what stays the same across versions,
** such as name and pattern; v (seeded by seed and version) picks what a
** later version may change, such as confidence and an update note.
*/
#include <string.h>
#include "gen_int.h"
#include "../util/ts.h"

#define MS_PER_DAY 86400000LL
#define TLP2_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
#define ACS_EXT "extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce"

static const char *const type_names[T_N] = {
	"identity", "marking-definition", "indicator", "malware",
	"attack-pattern", "intrusion-set", "campaign", "vulnerability",
	"report", "relationship", "sighting",
};
static const char *const rel_names[R_N] = {
	"indicates", "uses", "targets", "exploits", "attributed-to",
};

/* ---- writer ------------------------------------------------------------ */

/* A writer that remembers its first error, so serializers can append
** without checking each call (SQLite's pParse->nErr habit). */
struct w {
	struct buf *b;
	enum relto_err rc;
};

static void w_raw(struct w *w, const char *s, size_t n)
{
	if (!w->rc)
		w->rc = buf_append(w->b, s, n);
}

/* lit must be a string literal (the "" pastes fail on anything else), so
** sizeof is its length. */
#define W_LIT(w, lit) w_raw((w), "" lit "", sizeof(lit) - 1)

static void w_s(struct w *w, const char *s)
{
	w_raw(w, s, strlen(s));
}

/* A quoted string from our own tables or formatters: they hold no
** character JSON must escape (gen_int.h), so no escaping pass. */
static void w_q(struct w *w, const char *s)
{
	W_LIT(w, "\"");
	w_s(w, s);
	W_LIT(w, "\"");
}

static void w_uint(struct w *w, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	w_raw(w, d + i, sizeof(d) - i);
}

static const char hexd[] = "0123456789abcdef";

static void hex_into(char *out, uint64_t v, int digits)
{
	for (int i = digits - 1; i >= 0; i--, v >>= 4)
		out[i] = hexd[v & 15];
}

/* The 36 characters of r's UUID (no NUL). */
static void fmt_uuid(char *u, const struct gen__ref *r)
{
	hex_into(u, r->hi >> 32, 8);
	u[8] = '-';
	hex_into(u + 9, r->hi >> 16, 4);
	u[13] = '-';
	hex_into(u + 14, r->hi, 4);
	u[18] = '-';
	hex_into(u + 19, r->lo >> 48, 4);
	u[23] = '-';
	hex_into(u + 24, r->lo, 12);
}

/* "<type>--<uuid>", quoted. */
static void w_ref(struct w *w, const struct gen__ref *r)
{
	char u[36];
	fmt_uuid(u, r);
	W_LIT(w, "\"");
	w_s(w, type_names[r->type]);
	W_LIT(w, "--");
	w_raw(w, u, sizeof(u));
	W_LIT(w, "\"");
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* A STIX timestamp with milliseconds, quoted: "2025-03-04T05:06:07.123Z". */
static void w_ts(struct w *w, int64_t ms)
{
	char t[26];
	int64_t y64;
	int mo, d;
	int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;
	ts_civil_from_days(days, &y64, &mo, &d);
	int y = (int)y64;
	int secs = (int)(rem / 1000);
	t[0] = '"';
	put2(t + 1, y / 100);
	put2(t + 3, y % 100);
	t[5] = '-';
	put2(t + 6, mo);
	t[8] = '-';
	put2(t + 9, d);
	t[11] = 'T';
	put2(t + 12, secs / 3600);
	t[14] = ':';
	put2(t + 15, secs / 60 % 60);
	t[17] = ':';
	put2(t + 18, secs % 60);
	t[20] = '.';
	t[21] = (char)('0' + rem % 1000 / 100);
	put2(t + 22, (int)(rem % 100));
	t[24] = 'Z';
	t[25] = '"';
	w_raw(w, t, sizeof(t));
}

/* ---- common properties ------------------------------------------------- */

static void w_common(const struct gen__ids *ids, struct w *w, const struct gen__obj *o)
{
	W_LIT(w, "{\"type\":");
	w_q(w, type_names[o->id.type]);
	W_LIT(w, ",\"spec_version\":\"2.1\",\"id\":");
	w_ref(w, &o->id);
	if (o->creator != NO_CREATOR) {
		W_LIT(w, ",\"created_by_ref\":");
		w_ref(w, &ids->ident[o->creator]);
	}
	W_LIT(w, ",\"created\":");
	w_ts(w, o->created);
	W_LIT(w, ",\"modified\":");
	w_ts(w, o->modified);
}

static void w_marking_refs(const struct gen__ids *ids, struct w *w, const struct gen__obj *o)
{
	const struct gen__profile *pr = &gen__profiles[o->profile];
	if (pr->n) {
		W_LIT(w, ",\"object_marking_refs\":[");
		for (int i = 0; i < pr->n; i++) {
			if (i)
				W_LIT(w, ",");
			w_ref(w, &ids->mark[pr->m[i]]);
		}
		W_LIT(w, "]");
	}
	if (o->granular != M_NONE) {
		W_LIT(w, ",\"granular_markings\":[{\"selectors\":[");
		w_q(w, o->id.type == T_INDICATOR ? "pattern" : "description");
		W_LIT(w, "],\"marking_ref\":");
		w_ref(w, &ids->mark[o->granular]);
		W_LIT(w, "}]");
	}
}

static void w_tail(const struct gen__ids *ids, struct w *w, const struct gen__obj *o)
{
	if (o->revoked)
		W_LIT(w, ",\"revoked\":true");
	w_marking_refs(ids, w, o);
	W_LIT(w, "}");
}

static void w_confidence(struct w *w, struct gen__rng *v)
{
	W_LIT(w, ",\"confidence\":");
	w_uint(w, 15 + 5 * gen__below(v, 17));
}

/* "<subject> <verb> <target> <method>. <outcome>": the body of most
** descriptions. */
static void w_sentence(struct w *w, const struct gen__theme *th, struct gen__rng *c)
{
	w_s(w, gen__pick(c, &th->subjects));
	W_LIT(w, " ");
	w_s(w, gen__pick(c, &th->verbs));
	W_LIT(w, " ");
	w_s(w, gen__pick(c, &th->targets));
	W_LIT(w, " ");
	w_s(w, gen__pick(c, &th->methods));
	W_LIT(w, ". ");
	w_s(w, gen__pick(c, &th->outcomes));
}

/* On later versions, a note saying what changed, after the description. */
static void w_update_note(struct w *w, const struct gen__obj *o, struct gen__rng *v)
{
	if (o->version) {
		W_LIT(w, " ");
		w_s(w, gen__pick(v, &gen__update_notes));
	}
}

/* Content generators: c is seeded from the object's seed alone (stable
** across versions), v from the seed and the version (what a new version
** may change). */
static void content_rngs(const struct gen__obj *o, struct gen__rng *c, struct gen__rng *v)
{
	gen__rng_seed(c, o->seed);
	gen__rng_seed(v, o->seed ^ (0x9e3779b97f4a7c15ULL * (o->version + 1u)));
}

/* ---- indicators -------------------------------------------------------- */

enum ikind { K_IPV4, K_IPV6, K_CIDR, K_DOMAIN, K_URL, K_SHA256, K_HASHES,
	     K_X509, K_NET, K_N };

/* Per-cent weights of indicator kinds by theme: telecom leans on
** signalling and packet-core traffic. */
static const uint8_t ikind_weights[GEN__NTHEMES][K_N] = {
	[GEN__THEME_GENERAL] = { 20, 8, 5, 22, 12, 15, 8, 5, 5 },
	[GEN__THEME_TELECOM] = { 18, 8, 5, 12, 6, 14, 7, 5, 25 },
};

struct ikind_meta {
	const char *name;  /* the value (or its first characters) follows */
	const char *type;  /* indicator_types */
	const char *phase; /* kill chain phase, mitre-attack */
	const char *desc;
};
static const struct ikind_meta ikinds[K_N] = {
	[K_IPV4] = { "Relay node ", "compromised", "command-and-control",
		"Compromised router used as an operational relay box for command-and-control traffic." },
	[K_IPV6] = { "Scanning source ", "malicious-activity", "reconnaissance",
		"Source of scans against management interfaces reachable over IPv6." },
	[K_CIDR] = { "Staging range ", "attribution", "resource-development",
		"Hosting range leased for staging tools and exfiltrated data." },
	[K_DOMAIN] = { "C2 domain ", "malicious-activity", "command-and-control",
		"Command-and-control domain contacted by implants on compromised devices." },
	[K_URL] = { "Payload URL on ", "malicious-activity", "execution",
		"URL serving a second-stage payload to compromised devices." },
	[K_SHA256] = { "Implant sample ", "malicious-activity", "persistence",
		"Implant binary recovered from a compromised device during incident response." },
	[K_HASHES] = { "Loader sample ", "malicious-activity", "execution",
		"Loader that decrypts the implant and starts it in memory." },
	[K_X509] = { "C2 server certificate ", "attribution", "command-and-control",
		"Self-signed TLS certificate reused across command-and-control servers." },
	[K_NET] = { "", "anomalous-activity", "initial-access", "" },
};

struct port {
	uint16_t port;
	const char *name;
	const char *desc;
};
static const struct port ports[GEN__NTHEMES][4] = {
	[GEN__THEME_GENERAL] = {
		{ 443, "HTTPS beacon to relay node", "Periodic HTTPS beacons from edge devices to a relay node." },
		{ 4786, "Smart Install probe from scanner", "Connections to the Cisco Smart Install port (TCP 4786) from a known scanner." },
		{ 8443, "Management interface access from relay", "Logins to firewall management interfaces from an operational relay box." },
		{ 22, "SSH brute force from relay", "SSH password guessing against VPN appliances from an operational relay box." },
	},
	[GEN__THEME_TELECOM] = {
		{ 3868, "Diameter peer spoofing a roaming partner", "Diameter connection from a host that is not a contracted roaming partner, sending Update-Location requests." },
		{ 2905, "SIGTRAN M3UA association from an unknown peer", "M3UA association carrying SS7 MAP traffic from a peer not listed in the signalling firewall." },
		{ 2123, "GTP-C traffic from an unauthorised peer", "GTP-C create-session requests from outside the roaming exchange." },
		{ 830, "NETCONF session from an unexpected host", "NETCONF sessions to core routers from a host outside the management network." },
	},
};

static const char *const doc_v4[] = { "192.0.2.", "198.51.100.", "203.0.113." };

/* A small fixed string builder for indicator values, which appear in both
** the pattern and the name.  Truncates rather than overflows (values are
** far shorter than the array). */
struct sb {
	char d[160];
	size_t n;
};

static void sb_s(struct sb *b, const char *s)
{
	size_t n = strlen(s);
	if (n > sizeof(b->d) - 1 - b->n)
		n = sizeof(b->d) - 1 - b->n;
	memcpy(b->d + b->n, s, n);
	b->n += n;
	b->d[b->n] = '\0';
}

static void sb_u(struct sb *b, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d) - 1;
	d[i] = '\0';
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_s(b, d + i);
}

/* Hex without leading zeros, as IPv6 groups are written. */
static void sb_x(struct sb *b, uint32_t v)
{
	char d[12];
	size_t i = sizeof(d) - 1;
	d[i] = '\0';
	do {
		d[--i] = hexd[v & 15];
		v >>= 4;
	} while (v);
	sb_s(b, d + i);
}

static void sb_hex(struct sb *b, struct gen__rng *r, int digits)
{
	char h[80];
	for (int i = 0; i < digits; i += 16)
		hex_into(h + i, gen__next(r), digits - i < 16 ? digits - i : 16);
	h[digits] = '\0';
	sb_s(b, h);
}

static void sb_ipv4(struct sb *b, struct gen__rng *c)
{
	sb_s(b, doc_v4[gen__below(c, 3)]);
	sb_u(b, 1 + gen__below(c, 254));
}

/* A host under an RFC 2606 name: "<label>[NN].example.net". */
static void sb_host(struct sb *b, const struct gen__theme *th, struct gen__rng *c)
{
	sb_s(b, gen__pick(c, &th->domains));
	if (gen__below(c, 2))
		sb_u(b, gen__below(c, 100));
	sb_s(b, ".");
	sb_s(b, gen__pick(c, &gen__doc_tlds));
}

/* The indicator's value(s): a (main value), h (the SHA-256 of K_HASHES). */
static void ind_values(int kind, const struct gen__theme *th, struct gen__rng *c,
		       struct sb *a, struct sb *h)
{
	switch (kind) {
	case K_IPV4:
	case K_NET:
		sb_ipv4(a, c);
		break;
	case K_IPV6:
		sb_s(a, "2001:db8:");
		sb_x(a, gen__below(c, 0x10000));
		sb_s(a, ":");
		sb_x(a, gen__below(c, 0x10000));
		sb_s(a, "::");
		sb_x(a, 1 + gen__below(c, 0xfffe));
		break;
	case K_CIDR:
		sb_s(a, doc_v4[gen__below(c, 3)]);
		sb_s(a, gen__below(c, 2) ? "0/24" : "128/25");
		break;
	case K_DOMAIN:
	case K_URL:
		sb_host(a, th, c);
		break;
	case K_SHA256:
		sb_hex(a, c, 64);
		break;
	case K_HASHES:
		sb_hex(a, c, 32);
		sb_hex(h, c, 64);
		break;
	default: /* K_X509 */
		sb_hex(a, c, 40);
		break;
	}
}

/* How each kind of pattern starts; the value follows. */
static const char *const pattern_open[K_N] = {
	[K_IPV4] = "[ipv4-addr:value = '", [K_IPV6] = "[ipv6-addr:value = '",
	[K_CIDR] = "[ipv4-addr:value ISSUBSET '", [K_DOMAIN] = "[domain-name:value = '",
	[K_URL] = "[url:value = 'https://", [K_SHA256] = "[file:hashes.'SHA-256' = '",
	[K_HASHES] = "[file:hashes.MD5 = '", [K_X509] = "[x509-certificate:hashes.'SHA-1' = '",
	[K_NET] = "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '",
};

static void w_pattern(struct w *w, int kind, const struct sb *a,
		      const struct sb *h, const struct port *pt, const char *path)
{
	W_LIT(w, ",\"pattern\":\"");
	w_s(w, pattern_open[kind]);
	w_s(w, a->d);
	if (kind == K_URL)
		w_s(w, path);
	if (kind == K_HASHES) {
		W_LIT(w, "' OR file:hashes.'SHA-256' = '");
		w_s(w, h->d);
	}
	if (kind == K_NET) {
		W_LIT(w, "' AND network-traffic:dst_port = ");
		w_uint(w, pt->port);
		W_LIT(w, "]\"");
		return;
	}
	W_LIT(w, "']\"");
}

static int pick_weighted(struct gen__rng *r, const uint8_t *weights, int n, uint32_t total)
{
	uint32_t x = gen__below(r, total);
	for (int i = 0; i < n; i++) {
		if (x < weights[i])
			return i;
		x -= weights[i];
	}
	return n - 1;
}

static void put_indicator(struct w *w, const struct gen__theme *th,
			  const struct gen__obj *o, struct gen__rng *c, struct gen__rng *v)
{
	int kind = pick_weighted(c, ikind_weights[o->theme], K_N, 100);
	struct sb a = { .n = 0 }, h = { .n = 0 };
	a.d[0] = h.d[0] = '\0';
	ind_values(kind, th, c, &a, &h);
	const struct port *pt = &ports[o->theme][gen__below(c, 4)];
	const char *path = gen__pick(c, &gen__url_paths);
	const struct ikind_meta *m = &ikinds[kind];

	W_LIT(w, ",\"name\":\"");
	w_s(w, kind == K_NET ? pt->name : m->name);
	if (kind >= K_SHA256 && kind <= K_X509)
		w_raw(w, a.d, 12); /* a hash is named by its first digits */
	else if (kind != K_NET)
		w_s(w, a.d);
	W_LIT(w, "\",\"description\":\"");
	w_s(w, kind == K_NET ? pt->desc : m->desc);
	W_LIT(w, " ");
	w_s(w, gen__pick(c, &th->outcomes));
	w_update_note(w, o, v);
	W_LIT(w, "\",\"indicator_types\":[");
	w_q(w, m->type);
	W_LIT(w, "]");
	w_pattern(w, kind, &a, &h, pt, path);
	W_LIT(w, ",\"pattern_type\":\"stix\",\"valid_from\":");
	w_ts(w, o->created);
	if (gen__below(c, 2)) {
		W_LIT(w, ",\"valid_until\":");
		w_ts(w, o->created + (90 + gen__below(c, 275)) * MS_PER_DAY);
	}
	if (gen__below(c, 10) < 3) {
		W_LIT(w, ",\"kill_chain_phases\":[{\"kill_chain_name\":\"mitre-attack\",\"phase_name\":");
		w_q(w, m->phase);
		W_LIT(w, "}]");
	}
	w_confidence(w, v);
}

/* ---- other SDOs -------------------------------------------------------- */

/* STIX processor-architecture, implementation-language and
** malware-capabilities vocabulary values. */
static const char *const arch[GEN__NTHEMES][4] = {
	[GEN__THEME_GENERAL] = { "x86-64", "x86-64", "x86", "arm" },
	[GEN__THEME_TELECOM] = { "mips", "arm", "x86-64", "powerpc" },
};
static const char *const langs[] = { "c", "c", "go", "c++", "python" };
static const char *const caps[] = {
	"persists-after-system-reboot", "hides-artifacts", "exfiltrates-data",
	"steals-authentication-credentials", "cleans-traces-of-infection",
	"probes-network-environment",
};

static void put_malware(struct w *w, const struct gen__theme *th,
			const struct gen__obj *o, struct gen__rng *c, struct gen__rng *v)
{
	const struct gen__kind *k = &gen__malware_kinds[gen__below(c, (uint32_t)gen__nmalware_kinds)];
	W_LIT(w, ",\"name\":\"");
	w_s(w, gen__pick(c, &th->malware_pre));
	w_s(w, gen__pick(c, &gen__malware_suf));
	W_LIT(w, "\",\"description\":\"");
	w_s(w, k->phrase);
	W_LIT(w, " for ");
	w_s(w, gen__pick(c, &th->platforms));
	W_LIT(w, " ");
	w_s(w, gen__pick(c, &gen__capabilities));
	W_LIT(w, ". ");
	w_s(w, gen__pick(c, &th->outcomes));
	w_update_note(w, o, v);
	W_LIT(w, "\",\"malware_types\":[");
	w_q(w, k->type);
	W_LIT(w, "],\"is_family\":true,\"architecture_execution_envs\":[");
	w_q(w, arch[o->theme][gen__below(c, 4)]);
	W_LIT(w, "],\"implementation_languages\":[");
	w_q(w, langs[gen__below(c, 5)]);
	W_LIT(w, "],\"capabilities\":[\"communicates-with-c2\",");
	w_q(w, caps[gen__below(c, 6)]);
	W_LIT(w, "]");
}

static void put_attack(struct w *w, const struct gen__theme *th,
		       const struct gen__obj *o, struct gen__rng *c, struct gen__rng *v)
{
	const struct gen__technique *t = &th->techniques[gen__below(c, (uint32_t)th->ntechniques)];
	W_LIT(w, ",\"name\":");
	w_q(w, t->name);
	W_LIT(w, ",\"description\":\"Partner reporting of ");
	w_s(w, t->name);
	W_LIT(w, " (");
	w_s(w, t->id);
	W_LIT(w, ") in intrusions against ");
	w_s(w, gen__pick(c, &th->short_targets));
	W_LIT(w, ". ");
	w_s(w, gen__pick(c, &th->outcomes));
	w_update_note(w, o, v);
	W_LIT(w, "\",\"kill_chain_phases\":[");
	for (int i = 0; i < 3 && t->phases[i]; i++) {
		if (i)
			W_LIT(w, ",");
		W_LIT(w, "{\"kill_chain_name\":");
		w_q(w, t->chain);
		W_LIT(w, ",\"phase_name\":");
		w_q(w, t->phases[i]);
		W_LIT(w, "}");
	}
	W_LIT(w, "],\"external_references\":[{\"source_name\":\"mitre-attack\",\"url\":");
	w_q(w, t->url);
	W_LIT(w, ",\"external_id\":");
	w_q(w, t->id);
	W_LIT(w, "}]");
}

static void w_actor_name(struct w *w, const struct gen__theme *th, struct gen__rng *c)
{
	w_s(w, gen__pick(c, &th->actor_adj));
	W_LIT(w, " ");
	w_s(w, gen__pick(c, &th->actor_noun));
}

static void put_intrusion(struct w *w, const struct gen__theme *th,
			  const struct gen__obj *o, struct gen__rng *c, struct gen__rng *v)
{
	W_LIT(w, ",\"name\":\"");
	w_actor_name(w, th, c);
	W_LIT(w, "\",\"description\":\"");
	w_sentence(w, th, c);
	w_update_note(w, o, v);
	/* A tracking id like the ones CERTs give clusters before naming them. */
	W_LIT(w, "\",\"aliases\":[\"");
	w_s(w, o->theme == GEN__THEME_TELECOM ? "RLT-TEL-" : "RLT-GEN-");
	uint32_t n = gen__below(c, 10000);
	char d[4] = { (char)('0' + n / 1000), (char)('0' + n / 100 % 10),
		      (char)('0' + n / 10 % 10), (char)('0' + n % 10) };
	w_raw(w, d, 4);
	W_LIT(w, "\"],\"first_seen\":");
	w_ts(w, o->created - (365 + gen__below(c, 3 * 365)) * MS_PER_DAY);
	W_LIT(w, ",\"resource_level\":\"government\",\"goals\":[");
	w_q(w, gen__pick(c, &th->goals));
	W_LIT(w, "]");
	w_confidence(w, v);
}

static void put_campaign(struct w *w, const struct gen__theme *th,
			 const struct gen__obj *o, struct gen__rng *c, struct gen__rng *v)
{
	W_LIT(w, ",\"name\":\"Operation ");
	w_s(w, gen__pick(c, &gen__campaign_a));
	W_LIT(w, " ");
	w_s(w, gen__pick(c, &gen__campaign_b));
	W_LIT(w, "\",\"description\":\"");
	w_sentence(w, th, c);
	w_update_note(w, o, v);
	W_LIT(w, "\",\"objective\":");
	w_q(w, gen__pick(c, &th->objectives));
	W_LIT(w, ",\"first_seen\":");
	w_ts(w, o->created - gen__below(c, 120) * MS_PER_DAY);
	W_LIT(w, ",\"last_seen\":");
	w_ts(w, o->modified);
}

static void put_vuln(struct w *w, const struct gen__theme *th,
		     const struct gen__obj *o, struct gen__rng *c, struct gen__rng *v)
{
	const struct gen__cve *cve = &th->cves[gen__below(c, (uint32_t)th->ncves)];
	W_LIT(w, ",\"name\":");
	w_q(w, cve->id);
	W_LIT(w, ",\"description\":\"");
	w_s(w, cve->summary);
	w_update_note(w, o, v);
	W_LIT(w, "\",\"external_references\":[{\"source_name\":\"cve\",\"external_id\":");
	w_q(w, cve->id);
	W_LIT(w, "}]");
}

static void w_report_name(struct w *w, const struct gen__theme *th, int theme,
			  struct gen__rng *c)
{
	switch (gen__below(c, 4)) {
	case 0:
		W_LIT(w, "Joint advisory: ");
		w_actor_name(w, th, c);
		W_LIT(w, " activity against ");
		w_s(w, gen__pick(c, &th->short_targets));
		break;
	case 1:
		w_s(w, theme == GEN__THEME_TELECOM ? "Telecom threat summary, week "
						   : "Government networks threat summary, week ");
		w_uint(w, 1 + gen__below(c, 52));
		break;
	case 2:
		W_LIT(w, "Flash alert: exploitation of ");
		w_s(w, th->cves[gen__below(c, (uint32_t)th->ncves)].id);
		W_LIT(w, " against ");
		w_s(w, gen__pick(c, &th->short_targets));
		break;
	default:
		W_LIT(w, "Partner sighting report: ");
		w_s(w, gen__pick(c, &th->short_targets));
		break;
	}
}

static void put_report(struct w *w, const struct gen__theme *th,
		       const struct gen__obj *o, struct gen__rng *c, struct gen__rng *v)
{
	W_LIT(w, ",\"name\":\"");
	w_report_name(w, th, o->theme, c);
	W_LIT(w, "\",\"description\":\"");
	w_sentence(w, th, c);
	w_update_note(w, o, v);
	W_LIT(w, "\",\"report_types\":[\"threat-report\"],\"published\":");
	w_ts(w, o->created);
	W_LIT(w, ",\"object_refs\":[");
	for (int i = 0; i < o->nrefs; i++) {
		if (i)
			W_LIT(w, ",");
		w_ref(w, &o->refs[i]);
	}
	W_LIT(w, "]");
	w_confidence(w, v);
}

static void put_rel(struct w *w, const struct gen__obj *o, struct gen__rng *c, struct gen__rng *v)
{
	W_LIT(w, ",\"relationship_type\":");
	w_q(w, rel_names[o->rel]);
	if (gen__below(c, 2)) {
		W_LIT(w, ",\"description\":");
		w_q(w, gen__pick(c, &gen__rel_notes));
	}
	W_LIT(w, ",\"source_ref\":");
	w_ref(w, &o->refs[0]);
	W_LIT(w, ",\"target_ref\":");
	w_ref(w, &o->refs[1]);
	w_confidence(w, v);
}

static void put_sighting(struct w *w, const struct gen__obj *o, struct gen__rng *c)
{
	W_LIT(w, ",\"first_seen\":");
	w_ts(w, o->created - gen__below(c, (uint32_t)(7 * MS_PER_DAY)));
	W_LIT(w, ",\"last_seen\":");
	w_ts(w, o->modified);
	W_LIT(w, ",\"count\":");
	w_uint(w, o->count);
	W_LIT(w, ",\"sighting_of_ref\":");
	w_ref(w, &o->refs[0]);
	W_LIT(w, ",\"where_sighted_refs\":[");
	for (int i = 1; i < o->nrefs; i++) {
		if (i > 1)
			W_LIT(w, ",");
		w_ref(w, &o->refs[i]);
	}
	W_LIT(w, "]");
}

enum relto_err gen__put_object(struct buf *b, const struct gen__ids *ids,
			       const struct gen__obj *o)
{
	struct w w_ = { b, RELTO_OK }, *w = &w_;
	struct gen__rng c, v;
	const struct gen__theme *th = &gen__themes[o->theme];
	content_rngs(o, &c, &v);
	buf_reset(b);
	w_common(ids, w, o);
	switch (o->id.type) {
	case T_INDICATOR: put_indicator(w, th, o, &c, &v); break;
	case T_MALWARE: put_malware(w, th, o, &c, &v); break;
	case T_ATTACK: put_attack(w, th, o, &c, &v); break;
	case T_INTRUSION: put_intrusion(w, th, o, &c, &v); break;
	case T_CAMPAIGN: put_campaign(w, th, o, &c, &v); break;
	case T_VULN: put_vuln(w, th, o, &c, &v); break;
	case T_REPORT: put_report(w, th, o, &c, &v); break;
	case T_REL: put_rel(w, o, &c, &v); break;
	case T_SIGHTING: put_sighting(w, o, &c); break;
	default: break;
	}
	w_tail(ids, w, o);
	return w->rc;
}

/* ---- header: marking definitions and identities ------------------------ */

/* The ISA ACS 3.0 property extension of a marking definition. */
static void w_acs(struct w *w, const struct gen__mdef *d, const struct gen__ref *id,
		  int64_t base_ms)
{
	char u[36];
	fmt_uuid(u, id);
	W_LIT(w, ",\"extensions\":{\"" ACS_EXT "\":{\"extension_type\":\"property-extension\",\"identifier\":\"isa:guide.19001.ACS3-");
	w_raw(w, u, sizeof(u));
	W_LIT(w, "\",\"name\":");
	w_q(w, d->name);
	W_LIT(w, ",\"create_date_time\":");
	w_ts(w, base_ms);
	W_LIT(w, ",\"responsible_entity_custodian\":\"USA.RELTO\",\"policy_reference\":");
	w_q(w, d->policy);
	W_LIT(w, ",\"control_set\":");
	w_s(w, d->value);
	if (d->sharing) {
		W_LIT(w, ",\"further_sharing\":");
		w_s(w, d->sharing);
	}
	W_LIT(w, "}}}");
}

/* Marking definitions: TLP 2.0 exactly as published in
** oasis-open/cti-stix-common-objects (extension-definition-specifications/
** tlp-2.0), ISA ACS 3.0 with the required properties of its schema
** (acs-data-markings/isa-acs-3-0.json), and CAPCO-style statements. */
enum relto_err gen__put_marking(struct buf *b, const struct gen__ids *ids, int m,
				int64_t base_ms)
{
	const struct gen__mdef *d = &gen__marks[m];
	struct w w_ = { b, RELTO_OK }, *w = &w_;
	buf_reset(b);
	W_LIT(w, "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":");
	w_ref(w, &ids->mark[m]);
	W_LIT(w, ",\"created\":");
	if (d->kind == MK_TLP2)
		W_LIT(w, "\"2022-10-01T00:00:00.000Z\"");
	else
		w_ts(w, base_ms);
	W_LIT(w, ",\"name\":");
	w_q(w, d->name);
	if (d->kind == MK_TLP2) {
		W_LIT(w, ",\"extensions\":{\"" TLP2_EXT "\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":");
		w_q(w, d->value);
		W_LIT(w, "}}}");
	} else if (d->kind == MK_STATEMENT) {
		W_LIT(w, ",\"definition_type\":\"statement\",\"definition\":{\"statement\":");
		w_q(w, d->name);
		W_LIT(w, "}}");
	} else {
		w_acs(w, d, &ids->mark[m], base_ms);
	}
	return w->rc;
}

enum relto_err gen__put_identity(struct buf *b, const struct gen__ids *ids, int i,
				 int64_t base_ms)
{
	const struct gen__ident *d = &gen__idents[i];
	struct gen__obj o = { .id = ids->ident[i], .created = base_ms, .modified = base_ms,
			      .creator = i == ID_HUB ? NO_CREATOR : ID_HUB };
	struct w w_ = { b, RELTO_OK }, *w = &w_;
	buf_reset(b);
	w_common(ids, w, &o);
	W_LIT(w, ",\"name\":");
	w_q(w, d->name);
	W_LIT(w, ",\"description\":");
	w_q(w, d->desc);
	W_LIT(w, ",\"identity_class\":");
	w_q(w, d->cls);
	W_LIT(w, ",\"sectors\":");
	w_s(w, d->sectors);
	/* TLP:CLEAR, so that every partner can resolve the created_by_ref and
	** where_sighted_refs of what it receives. */
	W_LIT(w, ",\"object_marking_refs\":[");
	w_ref(w, &ids->mark[M_TLP2_CLEAR]);
	W_LIT(w, "]}");
	return w->rc;
}
