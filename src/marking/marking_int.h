/*
** marking_int.h: what the two files of the marking module share.
** marking.c holds the facts (init, combine, the REL TO intersection, the
** banner text) and marking_resolve; marking_read.c reads one
** marking-definition object (TLP 1.0 and 2.0, statements and their
** CAPCO-style banners, ISA ACS 3.0).  Not a public interface.
*/
#ifndef RELTO_MARKING_INT_H
#define RELTO_MARKING_INT_H

#include "marking.h"

/* Mark f unknown with a printf-style reason, unless it already has one
** (the first reason stays, as relto_seterr does). */
void marking__unknown(struct marking_facts *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Add a REL TO code (3 or 4 upper-case letters, checked by the caller)
** to f, once.  More than MARKING_MAX_CODES makes f unknown. */
void marking__add_code(struct marking_facts *f, const char *code, size_t len);

/* Add a permitted organization to f, once.  Too many or too long makes f
** unknown. */
void marking__add_org(struct marking_facts *f, const char *org);

/* Sort f's lists into their canonical order and rewrite f->banner from
** the fields.  Called after every read and every combination, so equal
** facts always carry equal banners. */
void marking__finish(struct marking_facts *f);

/* If id is one of the nine marking definitions STIX fixes (TLP 1.0 and
** the TLP 2.0 standard ids), set *f to its facts and return 1; else 0.
** These ids mean what STIX says, whatever a stored object claims. */
int marking__well_known(const char *id, struct marking_facts *f);

#endif
