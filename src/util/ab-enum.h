/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-enum.h: enum <-> string tables, in the style of libvirt's VIR_ENUM_IMPL */
#pragma once

#include <glib.h>
#include <string.h>

int abEnumFromString(const char * const *table, unsigned int ntypes, const char *name);
const char *abEnumToString(const char * const *table, unsigned int ntypes, int value);

/* Declares NAMEToString and NAMEFromString (-1 for an unknown name), which
 * AB_ENUM_IMPL defines. */
#define AB_ENUM_DECL(name) \
    const char *name ## ToString(name type); \
    int name ## FromString(const char *type)

/* Defines NAMEToString and NAMEFromString; the table must list exactly
 * LAST names, which the static assertion enforces at compile time. */
#define AB_ENUM_IMPL(name, last, ...) \
    static const char *const name ## TypeList[] = { __VA_ARGS__ }; \
    G_STATIC_ASSERT(G_N_ELEMENTS(name ## TypeList) == last); \
    const char *name ## ToString(name type) \
    { return abEnumToString(name ## TypeList, G_N_ELEMENTS(name ## TypeList), type); } \
    int name ## FromString(const char *type) \
    { return abEnumFromString(name ## TypeList, G_N_ELEMENTS(name ## TypeList), type); }

/* An enum and its names from one list, so that the two cannot drift apart.
 * LIST(X, P) calls X(P, SUFFIX, "name") for every value, in order; in the
 * header
 *     AB_ENUM_TYPEDEF(abFoo, AB_FOO_, AB_FOO_LIST);
 * is typedef enum { AB_FOO_SUFFIX..., AB_FOO_LAST } abFoo; with its
 * AB_ENUM_DECL, and in one .c file
 *     AB_ENUM_IMPL_LIST(abFoo, AB_FOO_, AB_FOO_LIST);
 * is its AB_ENUM_IMPL. A list may include another, and serve enums of
 * several prefixes. */
#define AB_ENUM_VALUE_(prefix, suffix, str) prefix ## suffix,
#define AB_ENUM_NAME_(prefix, suffix, str) str,
#define AB_ENUM_TYPEDEF(name, prefix, list) \
    typedef enum { list(AB_ENUM_VALUE_, prefix) prefix ## LAST } name; \
    AB_ENUM_DECL(name)
#define AB_ENUM_IMPL_LIST(name, prefix, list) \
    AB_ENUM_IMPL(name, prefix ## LAST, list(AB_ENUM_NAME_, prefix))
