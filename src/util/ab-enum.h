/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-enum.h: enum <-> string tables, in the style of libvirt's VIR_ENUM_IMPL */
#pragma once

#include <glib.h>
#include <string.h>

int abEnumFromString(const char * const *table, unsigned int ntypes, const char *name);
const char *abEnumToString(const char * const *table, unsigned int ntypes, int value);

/* Defines NAMEToString and NAMEFromString; the table must list exactly
 * LAST names, which the static assertion enforces at compile time. */
#define AB_ENUM_IMPL(name, last, ...) \
    static const char *const name ## TypeList[] = { __VA_ARGS__ }; \
    G_STATIC_ASSERT(G_N_ELEMENTS(name ## TypeList) == last); \
    const char *name ## ToString(name type) \
    { return abEnumToString(name ## TypeList, G_N_ELEMENTS(name ## TypeList), type); } \
    int name ## FromString(const char *type) \
    { return abEnumFromString(name ## TypeList, G_N_ELEMENTS(name ## TypeList), type); }
