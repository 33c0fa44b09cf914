/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-namespace.h: the XML namespaces autoballoon stores in domain <metadata>.
 * One URI each for the policy, injected pressure, the daemon's status and
 * the record of the QEMU options emitted for a binary (src/qemu);
 * docs/xml.md lists them. */
#pragma once

#define AB_NS_POLICY_URI    "https://autoballoon.org/xmlns/policy/1"
#define AB_NS_POLICY_PREFIX "autoballoon"

#define AB_NS_PRESSURE_URI    "https://autoballoon.org/xmlns/pressure/1"
#define AB_NS_PRESSURE_PREFIX "abpressure"

#define AB_NS_STATUS_URI    "https://autoballoon.org/xmlns/status/1"
#define AB_NS_STATUS_PREFIX "abstatus"

#define AB_QEMU_NS_URI    "https://autoballoon.org/xmlns/qemu/1"
#define AB_QEMU_NS_PREFIX "abqemu"
