/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-commands.c: the command tables of virsh-autoballoon. */
#include "ab-vsh-cmds.h"

static const abVshOptDef abVshOptsHelp[] = {
    { "command", AB_VSH_OT_STRING, AB_VSH_OFLAG_POS, "Prints global help, command specific help, or help for a group of related commands" },
    { NULL },
};

static bool
abVshCmdHelp(abVshControl *ctl, const abVshCmd *cmd)
{
    const char *name = NULL;

    abVshCommandOptString(cmd, "command", &name);
    return abVshHelp(ctl, name);
}

static bool
abVshCmdQuit(abVshControl *ctl, const abVshCmd *cmd)
{
    return true;
}

static const abVshCmdDef abVshBalloonCmds[] = {
    { "balloon-events", abVshCmdBalloonEvents, abVshOptsBalloonEvents,
      "print ballooning events",
      "Print balloon-change events and the pressure changes autoballoond publishes, "
      "one line each, like 'virsh event'. Without --loop, stop after the first event.", 0 },
    { "balloon-inject-pressure", abVshCmdBalloonInjectPressure, abVshOptsBalloonInjectPressure,
      "inject a memory pressure level into a domain",
      "Make autoballoond act as if the host were under LEVEL pressure for this domain "
      "(or, with --all, for every running domain it manages: autoballoon on, or no "
      "policy and a status it published, as with [daemon] manage = all). The level is "
      "kept in the domain's live metadata; 'none' clears it.", 0 },
    { "balloon-policy", abVshCmdBalloonPolicy, abVshOptsBalloonPolicy,
      "show or change the autoballoon policy of a domain",
      "Without a change, print the effective policy (defaults marked). With changes, "
      "validate them against the domain and store the policy in its metadata.", 0 },
    { "balloon-status", abVshCmdBalloonStatus, abVshOptsBalloonStatus,
      "show what autoballoond reports for managed domains",
      "The pressure level and its source, the balloon target and actual size, the "
      "guest's usable memory and the last action with its reason, as published by "
      "autoballoond in the live metadata of each domain with a policy or a status "
      "(a guest managed through [daemon] manage = all has no policy).", 0 },
    { NULL },
};

static const abVshCmdDef abVshXMLCmds[] = {
    { "create", abVshCmdCreate, abVshOptsDefine,
      "create a domain from an XML file",
      "Create a domain from an XML <file>, which may use <memballoon autoballoon='on'>.", 0 },
    { "define", abVshCmdDefine, abVshOptsDefine,
      "define (but don't start) a domain from an XML file",
      "Define a domain from an XML <file>, which may use <memballoon autoballoon='on'>.", 0 },
    { "dumpxml", abVshCmdDumpXML, abVshOptsDumpXML,
      "domain information in XML",
      "Output the domain information as an XML dump to stdout; with --autoballoon, "
      "in the extended form.", 0 },
    { "edit", abVshCmdEdit, abVshOptsEdit,
      "edit XML configuration for a domain",
      "Edit the XML configuration for a domain in its extended form "
      "(<memballoon autoballoon='on'> with its <autoballoon> policy), in $VISUAL or "
      "$EDITOR; it is validated and translated like define's when saved.", 0 },
    { NULL },
};

static const abVshCmdDef abVshSelfCmds[] = {
    { "exit", abVshCmdQuit, NULL, "quit this interactive terminal", NULL, AB_VSH_CMD_FLAG_NOCONNECT },
    { "help", abVshCmdHelp, abVshOptsHelp, "print help",
      "Prints global help, command specific help, or help for a\n    group of related commands",
      AB_VSH_CMD_FLAG_NOCONNECT },
    { "quit", abVshCmdQuit, NULL, "quit this interactive terminal", NULL, AB_VSH_CMD_FLAG_NOCONNECT },
    { NULL },
};

const abVshCmdGroup abVshDefaultGroups[] = {
    { "Autoballoon", "autoballoon", abVshBalloonCmds },
    { "Domain XML with autoballoon", "xml", abVshXMLCmds },
    { "Virsh-autoballoon itself", "virsh", abVshSelfCmds },
    { NULL },
};

const abVshCmdGroup *abVshGroups = abVshDefaultGroups;
