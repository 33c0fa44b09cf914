/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-daemon-test.h: the daemon's seams for tests, kept out of its API
 * (ab-daemon.h). Only tests/ and the daemon's own sources include it. */
#pragma once

#include "ab-daemon.h"

/* Called once per domain after the tick's stats call, with the
 * domain's balloon stats record as libvirt returned it. A test adds fields
 * libvirt's test driver does not report (it reports no balloon.* at all),
 * or destroys the domain to make it vanish between listing and setmem. */
typedef void (*abDaemonStatsHook)(abDaemon *daemon, virDomainPtr dom,
                                  virTypedParameterPtr *params, int *nparams,
                                  int *maxparams, void *opaque);

void abDaemonSetStatsHook(abDaemon *daemon, abDaemonStatsHook hook, void *opaque);
