/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-status.h: the words of a guest's published status (AB_NS_STATUS_URI)
 * that name a state: what the daemon did last and where the pressure came
 * from. Shared by conf (parse/format), qemu, the daemon and the tools. */
#pragma once

#include <glib.h>

#include "ab-enum.h"

/* AB_STATUS_ACTION_NONE (0) .. AB_STATUS_ACTION_HOLD */
#define AB_STATUS_ACTION_LIST(X, P) \
    X(P, NONE, "none")          /* nothing to do, or not managed */ \
    X(P, INFLATE, "inflate")    /* the target was lowered */ \
    X(P, DEFLATE, "deflate")    /* the target was raised */ \
    X(P, HOLD, "hold")          /* a reason kept the target */

AB_ENUM_TYPEDEF(abStatusAction, AB_STATUS_ACTION_, AB_STATUS_ACTION_LIST);

/* The host pressure sources: src/pressure's abPressureSourceType
 * (AB_PRESSURE_SOURCE_PSI ..) is this list, and a status names them. */
#define AB_STATUS_PRESSURE_LIST(X, P) \
    X(P, PSI, "psi") \
    X(P, VMPRESSURE, "vmpressure") \
    X(P, HEADROOM, "headroom") \
    X(P, INJECTED, "injected")

/* Where the level of a guest came from: a host pressure source, QEMU's own
 * automatic balloon, or none (AB_STATUS_SOURCE_NONE, 0). */
#define AB_STATUS_SOURCE_LIST(X, P) \
    X(P, NONE, "none") \
    AB_STATUS_PRESSURE_LIST(X, P) \
    X(P, QEMU, "qemu")

AB_ENUM_TYPEDEF(abStatusSource, AB_STATUS_SOURCE_, AB_STATUS_SOURCE_LIST);
