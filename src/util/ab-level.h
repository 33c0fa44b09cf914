/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-level.h: memory pressure levels shared by pressure, policy and conf */
#pragma once

#include <glib.h>

typedef enum {
    AB_LEVEL_NONE = 0,
    AB_LEVEL_LOW,
    AB_LEVEL_MEDIUM,
    AB_LEVEL_CRITICAL,

    AB_LEVEL_LAST
} abLevel;

const char *abLevelToString(abLevel level);
/* returns -1 for an unknown name */
int abLevelFromString(const char *name);
