/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ab-enum.h"
#include "ab-error.h"

G_DEFINE_QUARK(autoballoon-error-quark, ab_error)

int
abEnumFromString(const char * const *table, unsigned int ntypes, const char *name)
{
    if (!name)
        return -1;
    for (unsigned int i = 0; i < ntypes; i++) {
        if (table[i] && strcmp(table[i], name) == 0)
            return (int)i;
    }
    return -1;
}

const char *
abEnumToString(const char * const *table, unsigned int ntypes, int value)
{
    if (value < 0 || (unsigned int)value >= ntypes)
        return NULL;
    return table[value];
}
