/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-status.h: the words of a guest's published status (AB_NS_STATUS_URI)
 * that name a state: what the daemon did last and where the pressure came
 * from. Shared by conf (parse/format), qemu, the daemon and the tools. */
#pragma once

#include <glib.h>

typedef enum {
    AB_STATUS_ACTION_NONE = 0,      /* nothing to do, or not managed */
    AB_STATUS_ACTION_INFLATE,       /* the target was lowered */
    AB_STATUS_ACTION_DEFLATE,       /* the target was raised */
    AB_STATUS_ACTION_HOLD,          /* a reason kept the target */

    AB_STATUS_ACTION_LAST
} abStatusAction;

const char *abStatusActionToString(abStatusAction action);
int abStatusActionFromString(const char *name);

/* Where the level of a guest came from: a host pressure source (the
 * names of src/pressure's abPressureSourceType), QEMU's own automatic
 * balloon, or none. */
typedef enum {
    AB_STATUS_SOURCE_NONE = 0,
    AB_STATUS_SOURCE_PSI,
    AB_STATUS_SOURCE_VMPRESSURE,
    AB_STATUS_SOURCE_HEADROOM,
    AB_STATUS_SOURCE_INJECTED,
    AB_STATUS_SOURCE_QEMU,

    AB_STATUS_SOURCE_LAST
} abStatusSource;

const char *abStatusSourceToString(abStatusSource source);
int abStatusSourceFromString(const char *name);
