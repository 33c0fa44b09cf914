/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-cmds.h: the handlers and option tables behind abVshGroups. */
#pragma once

#include "ab-vsh.h"
#include "ab-conf.h"

extern const abVshOptDef abVshOptsBalloonPolicy[];
bool abVshCmdBalloonPolicy(abVshControl *ctl, const abVshCmd *cmd);

extern const abVshOptDef abVshOptsBalloonInjectPressure[];
bool abVshCmdBalloonInjectPressure(abVshControl *ctl, const abVshCmd *cmd);

extern const abVshOptDef abVshOptsBalloonStatus[];
bool abVshCmdBalloonStatus(abVshControl *ctl, const abVshCmd *cmd);

extern const abVshOptDef abVshOptsBalloonEvents[];
bool abVshCmdBalloonEvents(abVshControl *ctl, const abVshCmd *cmd);

extern const abVshOptDef abVshOptsDefine[];
bool abVshCmdDefine(abVshControl *ctl, const abVshCmd *cmd);
bool abVshCmdCreate(abVshControl *ctl, const abVshCmd *cmd);

/* The native XML define stores for extended @ext: the conf translation,
 * and on a local QEMU connection what the binary that will run it has. */
char *abVshExtendedToNative(abVshControl *ctl, const char *ext, GError **error);
/* Parse the extended domain XML @xml read from @file once (native XML
 * with a policy in <metadata> is turned back into the extended form) and
 * check it:
 * autoballoon's own checks first (each refusal names the domain, the
 * element or attribute, the bad value and what is allowed), then the
 * RelaxNG @schema, unless it is NULL (its messages with the element's line
 * and path). */
xmlDocPtr abVshDomainXMLLoad(const char *xml, const char *file, const char *schema,
                             GError **error);

/* The native XML of @file, read, checked (the RelaxNG schema too unless
 * @validate is false) and translated as define does it; errors printed,
 * the first one "Failed to @verb domain from @file". */
char *abVshReadDomainFile(abVshControl *ctl, const char *file, const char *verb,
                          bool validate);

extern const abVshOptDef abVshOptsEdit[];
bool abVshCmdEdit(abVshControl *ctl, const abVshCmd *cmd);

extern const abVshOptDef abVshOptsDumpXML[];
bool abVshCmdDumpXML(abVshControl *ctl, const abVshCmd *cmd);

/* One line of balloon-events output, without the newline: "event
 * 'balloon-change' for domain 'vm1': 262144 KiB". @timestamp: seconds
 * since the epoch to prefix (virsh's --timestamp), or <0 for none. */
char *abVshEventFormatBalloon(const char *domname, unsigned long long actualKiB,
                              gint64 timestamp);
/* A status update (NULL @st: the status was removed). */
char *abVshEventFormatStatus(const char *domname, const abConfStatus *st,
                             gint64 timestamp);
/* An injected level (NULL @inj: cleared). */
char *abVshEventFormatInjected(const char *domname, const abConfInjected *inj,
                               gint64 timestamp);
