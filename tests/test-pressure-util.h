/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-pressure-util.h: what a pressure monitor's callback reported, for
 * the pressure tests in GLib mode (abPressureMonitorAttach). */
#pragma once

#include <glib.h>
#include "ab-pressure.h"

typedef struct {
    guint calls;
    abLevel last;                /* level of the last call */
    abLevel max;
    abLevel first;               /* the first level above none ... */
    gint64 firstAt;              /* ... and when it came (0: never) */
    guint64 requestKiB;          /* request of the last call */
    gint64 deficitAt;            /* the first call with a request (0: never) */
    guint64 deficitKiB;          /* its request */
} PressureRecord;

/* An abPressureCallback; @opaque is a PressureRecord. */
static inline void
pressureRecordCb(abPressureMonitor *mon, const abPressureSample *s, gpointer opaque)
{
    PressureRecord *r = opaque;
    gint64 now = g_get_monotonic_time();

    (void) mon;
    r->calls++;
    r->last = s->level;
    r->max = MAX(r->max, s->level);
    r->requestKiB = s->requestKiB;
    if (s->level != AB_LEVEL_NONE && r->firstAt == 0) {
        r->firstAt = now;
        r->first = s->level;
    }
    if (s->requestKiB > 0 && r->deficitAt == 0) {
        r->deficitAt = now;
        r->deficitKiB = s->requestKiB;
    }
}

/* Iterates @ctx until @r has seen @calls calls or @ms have passed. */
static inline void
pressureRecordWait(GMainContext *ctx, PressureRecord *r, guint calls, guint ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64) ms * G_TIME_SPAN_MILLISECOND;

    while (r->calls < calls && g_get_monotonic_time() < deadline)
        g_main_context_iteration(ctx, FALSE);
}
