/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ab-level.h"

AB_ENUM_IMPL_LIST(abLevel, AB_LEVEL_, AB_LEVEL_LIST);
