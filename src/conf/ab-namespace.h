/* ab-namespace.h: the XML namespaces autoballoon stores in domain <metadata>.
 * One URI each for the policy, injected pressure and the daemon's status;
 * docs/xml.md lists them. */
#pragma once

#define AB_NS_POLICY_URI    "https://autoballoon.org/xmlns/policy/1"
#define AB_NS_POLICY_PREFIX "autoballoon"

#define AB_NS_PRESSURE_URI    "https://autoballoon.org/xmlns/pressure/1"
#define AB_NS_PRESSURE_PREFIX "abpressure"

#define AB_NS_STATUS_URI    "https://autoballoon.org/xmlns/status/1"
#define AB_NS_STATUS_PREFIX "abstatus"
