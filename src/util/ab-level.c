/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ab-level.h"
#include "ab-enum.h"

AB_ENUM_IMPL(abLevel, AB_LEVEL_LAST,
             "none", "low", "medium", "critical");
