/*
** policy_int.h: what the files of src/policy share and nothing else sees:
** the arena a compiled policy lives in, tokens, the syntax tree (which,
** once checked, is also what the evaluator walks), rules, the compiled
** policy, diagnostics, and the functions each stage exports to the next.
**
** Stages: lexer.c (text -> tokens), parser.c (tokens -> nodes and rules),
** check.c (types, reachability; marks partner-only conditions) with
** names.c (what attribute, level, group and TLP names mean),
** eval.c (bind and evaluate), explain.c (explanations), ptest.c (the
** policy test runner), policy.c (the arena, diagnostics, compile, free).
*/
#ifndef RELTO_POLICY_INT_H
#define RELTO_POLICY_INT_H

#include <stddef.h>
#include <stdint.h>
#include "policy.h"

#define POLICY__MAX_TEXT (1u << 20)   /* bytes of policy or test text */
#define POLICY__MAX_ERRORS 20         /* diagnostics kept per run */
#define POLICY__MAX_DEPTH 48          /* nesting of (), not, and/or chains */
#define POLICY__MAX_NODES 100000
#define POLICY__MAX_RULES 4096
#define POLICY__MAX_GROUPS 64         /* a uint64_t of group bits per partner */
#define POLICY__MAX_SET 4096          /* members of one list, groups expanded */

/* ---- arena: everything a compiled policy points at ------------------- */

struct policy__chunk;
struct policy__arena {
	struct policy__chunk *head;
};
/* Zeroed memory that lives until policy__arena_free; NULL when out of memory. */
void *policy__alloc(struct policy__arena *a, size_t n);
/* A NUL-terminated copy of n bytes of s; NULL when out of memory. */
char *policy__strndup(struct policy__arena *a, const char *s, size_t n);
void policy__arena_free(struct policy__arena *a);

/* ---- diagnostics ------------------------------------------------------- */

struct policy__diag {
	const char *name;          /* file name for messages */
	struct buf *out;           /* every message, one a line; may be NULL */
	int nerrors;               /* errors reported (also past the cap) */
	int nomem;                 /* an allocation failed: stop, report ENOMEM */
	char first[RELTO_ERRBUF_SIZE]; /* the first message */
};
void policy__error(struct policy__diag *d, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- tokens ------------------------------------------------------------ */

enum policy__tk {
	TK_EOF = 0,
	TK_WORD,     /* UNCLASSIFIED, USA, huawei */
	TK_PATH,     /* partner.networks.ran: words joined by dots */
	TK_STRING,   /* "text": str holds it unescaped */
	TK_DATE,     /* 2028-01-01 */
	TK_KW,       /* a keyword: sub is enum policy__kw */
	TK_OP,       /* sub is enum policy__op */
};

enum policy__kw {
	KW_LEVELS, KW_GROUP, KW_CLEAR, KW_DENY, KW_CAP, KW_REDACT,
	KW_WHEN, KW_UNLESS, KW_BECAUSE, KW_AND, KW_OR, KW_NOT, KW_IN, KW_USES,
	KW_N
};

enum policy__op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,  /* comparisons first: check.c indexes by them */
	OP_ASSIGN, OP_COMMA, OP_LPAREN, OP_RPAREN,
};

struct policy__token {
	uint8_t kind;        /* enum policy__tk */
	uint8_t sub;         /* keyword or operator */
	int line, col;       /* 1-based; col counts characters */
	const char *p;       /* the token as written, in the source */
	size_t n;
	char *str;           /* TK_STRING: the text unescaped (arena) */
};

struct policy__tokens {
	struct policy__token *v;
	size_t n, alloc;
};

extern const char *const policy__kw_names[KW_N];
extern const char *const policy__op_names[];

/* Split text into tokens (ending with TK_EOF).  Errors go to d; strings
** are unescaped into a.  Returns 0, or -1 when d->nomem. */
int policy__lex(const char *text, size_t len, struct policy__tokens *out,
                struct policy__arena *a, struct policy__diag *d);
void policy__tokens_free(struct policy__tokens *t);
/* "'word'", "the text \"...\"", "end of file": a token as messages name it. */
const char *policy__tok_describe(const struct policy__token *t, char *buf, size_t size);

/* ---- the tree ---------------------------------------------------------- */

enum policy__nk {
	NK_AND, NK_OR, NK_NOT,
	NK_CMP,      /* a op b */
	NK_IN,       /* a in b ("not in" is NK_NOT over NK_IN) */
	NK_USES,     /* a uses b [unless that equipment has a removal deadline [before str]] */
	NK_ATTR,     /* attribute: attr (set by check), str = the path as written */
	NK_WORD,     /* bare word: check turns it into NK_LEVEL, NK_TLP, NK_STRING or NK_SET */
	NK_STRING,   /* text: str */
	NK_SET,      /* list: members (parse), set/nset (text) or mask (levels, TLP) */
	NK_LEVEL,    /* a level: ival */
	NK_TLP,      /* a TLP label: ival (enum marking_tlp) */
};

/* Value types (check.c). */
enum policy__ty { TY_NONE = 0, TY_BOOL, TY_LEVEL, TY_TEXT, TY_TEXTSET, TY_TLP, TY_NET,
                  TY_LEVELSET, TY_TLPSET, TY_WORD };

/* Where a value comes from: decides what can be computed per partner. */
enum {
	SC_PARTNER = 1,    /* the partner and its networks */
	SC_OBJECT = 2,     /* the object's facts */
	SC_FIELD = 4,      /* one granular marking's facts */
	SC_VENDOR = 8,     /* one piece of equipment inside `uses` */
	SC_CLEARANCE = 16, /* partner.clearance: per partner only if caps are */
};

enum policy__attr {
	A_NONE = 0,
	A_P_ID, A_P_NAME, A_P_COUNTRY, A_P_GROUPS, A_P_AGREEMENT, A_P_CLEARANCE, A_P_HUB,
	A_P_NETWORKS,
	A_LEVEL, A_REL_TO, A_HAS_REL_TO, A_NOFORN, A_TLP, A_ORGS, A_HAS_ORGS, A_UNKNOWN,
	A_SELECTORS,
	A_V_ID, A_V_NAME, A_V_COUNTRY, A_V_RISK,
};

struct policy__member {   /* one entry of a written list, for messages */
	const char *s;
	int quoted, line, col;
};

struct policy__node {
	uint8_t kind;        /* enum policy__nk */
	uint8_t op;          /* NK_CMP: enum policy__op */
	uint8_t type;        /* enum policy__ty, after check */
	uint8_t scope;       /* SC_* bits of the subtree, after check */
	uint8_t attr;        /* NK_ATTR: enum policy__attr; for object/field facts
	                     ** the scope says which */
	uint8_t exc;         /* NK_USES: has the removal-deadline exception */
	int32_t a, b;        /* children, -1 for none */
	int32_t atom;        /* >= 0: partner-only, value in policy_partner.atoms */
	int32_t ival;        /* NK_LEVEL, NK_TLP */
	uint64_t mask;       /* NK_SET of levels or TLP labels */
	const char *str;     /* NK_STRING/NK_WORD text; NK_ATTR the path as written;
	                     ** NK_USES: the date or NULL */
	const char *seg;     /* A_P_NETWORKS: the segment, NULL for all of them */
	const char **set;    /* NK_SET of text: members, groups expanded */
	uint32_t nset;
	struct policy__member *mem; /* NK_SET as written */
	uint32_t nmem;
	int line, col;
};

enum policy__rk { RK_DENY, RK_CAP, RK_REDACT };

struct policy__rule {
	uint8_t kind;        /* enum policy__rk */
	int level;           /* RK_CAP: level index, after check */
	const char *level_name;
	int lline, lcol;     /* where the cap's level is written */
	int32_t when, unless;/* as written, -1 if absent */
	int32_t cond;        /* when and not unless; -1: always */
	const char *because; /* NULL if none */
	const char *canon;   /* the rule in one normalized line, without because */
	const char *text;    /* what its reason says: because, else canon */
	int line, col;
};

struct policy__group {
	const char *name;
	struct policy__member *mem; /* as written */
	uint32_t nmem;
	const char **members;       /* groups named inside expanded (check) */
	uint32_t n;
	int line, col;
};

struct policy {
	char *name;
	struct policy__arena arena;
	const char **levels;            /* lowest first */
	int nlevels;
	int levels_line, levels_col;
	int mlevel[4];                  /* enum marking_level 0..3 -> index, -1 */
	struct policy__group *groups;
	int ngroups;
	int32_t clear_node;             /* what `clear` says, as a node; -1 if absent */
	int clear_attr;                 /* 1: clear partner.agreement; 0: clear_level */
	int clear_level;
	int clear_line;
	struct policy__node *nodes;     /* malloc'd, grown while parsing */
	size_t nnodes, anodes;
	struct policy__rule *rules;     /* in policy order */
	size_t nrules, arules;
	int32_t *caps, *denies, *redacts; /* rule indexes by kind (arena) */
	size_t ncaps, ndenies, nredacts;
	int32_t *atoms;                 /* node of each partner-only condition (arena) */
	size_t natoms;
	int caps_per_partner;           /* no cap looks at the object */
};

/* parser.c: fill p (levels, groups, clear, nodes, rules) from tokens.
** Errors go to d.  Returns 0, or -1 when d->nomem. */
int policy__parse(struct policy *p, const struct policy__tokens *t, struct policy__diag *d);
/* Append a node; returns its index or -1 (d->nomem or too many nodes). */
int32_t policy__node_new(struct policy *p, int kind, int line, int col, struct policy__diag *d);

/* check.c: resolve names and types, check reachability, mark partner-only
** conditions.  Errors go to d.  Returns 0, or -1 when d->nomem. */
int policy__check(struct policy *p, struct policy__diag *d);

/* The checker's state, and what a condition being checked may see. */
struct policy__ck {
	struct policy *p;
	struct policy__diag *d;
	int failed;                 /* the current rule has an error */
};
struct policy__ctx {
	int kind;                   /* enum policy__rk, or -1 for clear */
	int in_uses;
	int neg;                    /* under an odd number of nots */
};
void policy__ck_error(struct policy__ck *C, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* names.c: what names mean, for check.c.  Lookups return an index or -1
** (policy__find_tlp: enum marking_tlp; WHITE is CLEAR). */
int policy__find_level(const struct policy *p, const char *w);
int policy__find_group(const struct policy *p, const char *w);
int policy__find_tlp(const char *w);
/* The closest of names to w if close enough to be a slip, else NULL. */
const char *policy__closest(const char *w, const char *const *names, size_t n);
void policy__unknown_level(struct policy__ck *C, const char *w, int line, int col);
/* Resolve an NK_ATTR path (type, scope, segment) and check that it may
** be used in context x.  0, or -1 with the error reported. */
int policy__resolve_attr(struct policy__ck *C, struct policy__node *n, const struct policy__ctx *x);
/* The error for a bare word standing where a condition should. */
void policy__word_as_condition(struct policy__ck *C, const struct policy__node *n);
/* The attribute path of an attribute id ("partner.country"). */
const char *policy__attr_path(int attr, int scope);

/* Build a policy from text (the whole pipeline); NULL with d filled when
** it has errors or memory ran out. */
struct policy *policy__build(const char *name, const char *text, size_t len, struct policy__diag *d);

/* eval.c, for explain.c: the vendor registry entry of an equipment's vendor id, or NULL. */
const struct posture_vendor *policy__vendor(const struct posture *ps, const char *id);
/* Does this equipment satisfy the uses node's vendor test and escape its
** exception?  (The existential over equipment is the caller's loop.) */
int policy__uses_matches(const struct policy_partner *b, int32_t uses_node,
                         const struct posture_equipment *e);
/* ASCII case-insensitive equality; NULL reads as "". */
int policy__eqi(const char *a, const char *b);

/* explain.c: the words of a built-in reason, with names filled in. */
enum relto_err policy__explain_reason(const struct policy_partner *b,
                                      const struct policy_outcome *o,
                                      const struct policy_reason *r, struct buf *out);
/* A one-line description of marking facts ("SECRET, REL TO USA, GBR, TLP:AMBER"). */
enum relto_err policy__describe_facts(const struct policy *p, const struct marking_facts *f,
                                      int level, struct buf *out);

/* Names of TLP labels as the language writes them (index enum marking_tlp). */
extern const char *const policy__tlp_names[6];

#endif
