/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-status.c: string tables of the status words */
#include "ab-status.h"

AB_ENUM_IMPL_LIST(abStatusAction, AB_STATUS_ACTION_, AB_STATUS_ACTION_LIST);

AB_ENUM_IMPL_LIST(abStatusSource, AB_STATUS_SOURCE_, AB_STATUS_SOURCE_LIST);
