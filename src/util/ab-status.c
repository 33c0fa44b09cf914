/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-status.c: string tables of the status words */
#include "ab-status.h"
#include "ab-enum.h"

AB_ENUM_IMPL(abStatusAction, AB_STATUS_ACTION_LAST,
             "none", "inflate", "deflate", "hold");

AB_ENUM_IMPL(abStatusSource, AB_STATUS_SOURCE_LAST,
             "none", "psi", "vmpressure", "headroom", "injected", "qemu");
