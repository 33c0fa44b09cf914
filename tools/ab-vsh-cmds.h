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

extern const abVshOptDef abVshOptsTestPublishStatus[];
bool abVshCmdTestPublishStatus(abVshControl *ctl, const abVshCmd *cmd);

extern const abVshOptDef abVshOptsDefine[];
bool abVshCmdDefine(abVshControl *ctl, const abVshCmd *cmd);
bool abVshCmdCreate(abVshControl *ctl, const abVshCmd *cmd);

/* The native XML of @file, validated against the schema (unless
 * @validate is false: our own checks stay) and translated; on QEMU, with
 * the balloon options the binary that will run it has (src/qemu). */
char *abVshReadDomainFile(abVshControl *ctl, const char *file, bool validate);

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
