/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-level.h: memory pressure levels shared by pressure, policy and conf */
#pragma once

#include <glib.h>

#include "ab-enum.h"

/* AB_LEVEL_NONE (0) .. AB_LEVEL_CRITICAL, then AB_LEVEL_LAST */
#define AB_LEVEL_LIST(X, P) \
    X(P, NONE, "none") \
    X(P, LOW, "low") \
    X(P, MEDIUM, "medium") \
    X(P, CRITICAL, "critical")

AB_ENUM_TYPEDEF(abLevel, AB_LEVEL_, AB_LEVEL_LIST);
