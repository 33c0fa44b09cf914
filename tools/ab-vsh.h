/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh.h: the command shell of virsh-autoballoon, after virsh's own.
 *
 * Commands are tables (name, options, handler), parsed the way virsh parses
 * them: "--opt value", "--opt=value", positional options filled in order,
 * several commands separated by ';' or newlines, '#' comments, quotes. A
 * handler returns true on success; on failure it has printed "error: ...".
 */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <getopt.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/tree.h>

typedef enum {
    AB_VSH_OT_BOOL,      /* --flag */
    AB_VSH_OT_STRING,    /* --opt <string> */
    AB_VSH_OT_INT,       /* --opt <number>, non-negative */
    AB_VSH_OT_SIZE,      /* --opt <size>, virsh units, default KiB */
} abVshOptType;

enum {
    AB_VSH_OFLAG_REQ = 1 << 0,     /* must be given */
    AB_VSH_OFLAG_POS = 1 << 1,     /* may be given without its --name */
    AB_VSH_OFLAG_HIDDEN = 1 << 2,  /* a test hook: not in help */
};

typedef struct {
    const char *name;
    abVshOptType type;
    unsigned int flags;
    const char *help;
} abVshOptDef;

/* Options every domain command spells the same way, as virsh's
 * VIRSH_COMMON_OPT_DOMAIN_* (read them with abVshCommandOptDomain and
 * abVshCommandOptAffect). */
#define AB_VSH_OPT_DOMAIN_HELP "domain name, id or uuid"
#define AB_VSH_OPT_DOMAIN(flags, help) \
    { "domain", AB_VSH_OT_STRING, AB_VSH_OFLAG_POS | (flags), (help) }
#define AB_VSH_OPT_DOMAIN_REQUIRED \
    AB_VSH_OPT_DOMAIN(AB_VSH_OFLAG_REQ, AB_VSH_OPT_DOMAIN_HELP)
#define AB_VSH_OPTS_AFFECT \
    { "live", AB_VSH_OT_BOOL, 0, "affect running domain" }, \
    { "config", AB_VSH_OT_BOOL, 0, "affect next boot" }, \
    { "current", AB_VSH_OT_BOOL, 0, "affect current domain" }

typedef struct _abVshControl abVshControl;
typedef struct _abVshCmd abVshCmd;
typedef struct _abVshCmdDef abVshCmdDef;

enum {
    AB_VSH_CMD_FLAG_NOCONNECT = 1 << 0,  /* runs without a connection */
    AB_VSH_CMD_FLAG_HIDDEN = 1 << 1,     /* a test hook: not in help */
};

struct _abVshCmdDef {
    const char *name;
    bool (*handler)(abVshControl *ctl, const abVshCmd *cmd);
    const abVshOptDef *opts;     /* terminated by a NULL name */
    const char *summary;
    const char *description;
    unsigned int flags;
};

struct _abVshCmd {
    const abVshCmdDef *def;
    char **values;               /* one per option, NULL when not given */
    bool *given;
    abVshCmd *next;
};

struct _abVshControl {
    char *uri;                   /* -c / LIBVIRT_DEFAULT_URI / NULL */
    bool readonly;
    bool quiet;
    bool timing;
    bool interactive;            /* reading commands from stdin */
    int keepaliveInterval;       /* -k, virsh's default 5 */
    unsigned int keepaliveCount; /* -K, virsh's default 6 */
    bool keepaliveForced;        /* -k or -K given: failing to set it is an error */
    virConnectPtr conn;
    const char *progname;
};

typedef struct {
    const char *name;            /* "Autoballoon" */
    const char *keyword;         /* "help autoballoon" */
    const abVshCmdDef *cmds;     /* terminated by a NULL name */
} abVshCmdGroup;

/* All commands of virsh-autoballoon, by group (ab-vsh-commands.c);
 * terminated by a NULL name. abVshGroups is what the shell runs:
 * abVshDefaultGroups, unless a test program adds its own hooks (so that
 * no test seam ships in the installed binary). */
extern const abVshCmdGroup abVshDefaultGroups[];
extern const abVshCmdGroup *abVshGroups;

const abVshCmdDef *abVshCmdDefLookup(const char *name);

/* Parse a command line in virsh's string syntax (quotes, ';', newlines,
 * '#'). NULL with "error: ..." printed on a syntax error or unknown
 * command/option. An empty line gives NULL with *empty set. */
abVshCmd *abVshCommandStringParse(abVshControl *ctl, const char *str, bool *empty);
/* Parse argv words; a word ";" separates commands. */
abVshCmd *abVshCommandArgvParse(abVshControl *ctl, int argc, char **argv);
void abVshCommandFree(abVshCmd *cmd);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(abVshCmd, abVshCommandFree)

/* Split a command string into its commands' words; used by the virsh front
 * to see which commands a line holds without knowing their options. */
GPtrArray *abVshSplitCommands(const char *str, GError **error);

/* The same for argv words, where a word ";" separates commands. */
GPtrArray *abVshSplitArgv(int argc, char **argv);

/* virsh's global options, for getopt_long: the plugin acts on them, the
 * virsh front only finds where the command starts. */
#define AB_VSH_GLOBAL_SHORTOPTS "+:c:d:e:hk:K:l:qrtvV"
extern const struct option abVshGlobalLongOpts[];

/* Run each command in turn, like virsh: every one runs, the result is that
 * of the last one (or of "quit"). */
bool abVshCommandRun(abVshControl *ctl, const abVshCmd *cmd);

/* The whole program: global options, then the commands from the arguments
 * or from stdin. Returns the exit status. */
int abVshMain(int argc, char **argv, const char *progname);

/* Option access. Return 1 when given (value set), 0 when not, -1 on a bad
 * value (error printed). */
bool abVshCommandOptBool(const abVshCmd *cmd, const char *name);
int abVshCommandOptString(const abVshCmd *cmd, const char *name, const char **value);
int abVshCommandOptUInt(abVshControl *ctl, const abVshCmd *cmd,
                        const char *name, unsigned int *value);
/* A size, virsh units (no suffix: KiB), rounded up to KiB. */
int abVshCommandOptSizeKiB(abVshControl *ctl, const abVshCmd *cmd,
                           const char *name, unsigned long long *kib);

/* "--a and --b are mutually exclusive" when both are given. */
bool abVshExclusive(abVshControl *ctl, const abVshCmd *cmd,
                    const char *a, const char *b);

/* Output. Errors go to stderr as "error: ...", after stdout is flushed so
 * that the two interleave the way they happened. */
void abVshPrint(abVshControl *ctl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* What virsh prints with vshPrintExtra: confirmations that -q silences. */
void abVshPrintExtra(abVshControl *ctl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void abVshError(abVshControl *ctl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void abVshWarn(abVshControl *ctl, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The last libvirt error as "error: ...", if there is one. */
void abVshReportLibvirtError(abVshControl *ctl);

/* Connection, opened on first use. NULL with the error printed. */
virConnectPtr abVshConnection(abVshControl *ctl);

/* The domain of option "domain": by ID, UUID or name, as virsh looks it up.
 * NULL with "error: failed to get domain '...'" printed. */
virDomainPtr abVshCommandOptDomain(abVshControl *ctl, const abVshCmd *cmd,
                                   const char **name);
virDomainPtr abVshLookupDomain(abVshControl *ctl, const char *str);

/* --live/--config/--current of AB_VSH_OPTS_AFFECT, as virsh reads them:
 * --current excludes the others; neither --live nor --config means the
 * live side of a running domain, else its persistent definition; --live
 * needs it running and --config persistent. False with the error printed. */
bool abVshCommandOptAffect(abVshControl *ctl, const abVshCmd *cmd,
                           virDomainPtr dom, bool *live, bool *config);

/* Seconds since the epoch; AB_VSH_NOW overrides it so that tests print
 * stable times. */
gint64 abVshNow(void);

/* Whether @group has a command that help lists. */
bool abVshGroupVisible(const abVshCmdGroup *group);

/* virsh's help output for the command list or one command. */
bool abVshHelp(abVshControl *ctl, const char *name);

/* Domain helpers (ab-vsh-domain.c). */

/* The metadata element of @uri: 1 with *xml set, 0 when the domain has none,
 * -1 on error (printed). @flags: VIR_DOMAIN_AFFECT_*. */
int abVshGetMetadata(abVshControl *ctl, virDomainPtr dom, const char *uri,
                     unsigned int flags, char **xml);

typedef struct {
    bool autodeflate;            /* <memballoon autodeflate='on'> */
    unsigned int statsPeriod;    /* <stats period>, 0 when unset */
} abVshBalloonInfo;

/* Read the balloon device from the domain XML @doc. */
void abVshDomainBalloon(xmlDocPtr doc, abVshBalloonInfo *info);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

/* A size for people and scripts alike: exact, in the largest unit that
 * divides it ("512 MiB", "1 GiB", "1835009 KiB"). */
char *abVshFormatKiB(unsigned long long kib);

/* virDomainSetMetadata for an element of ours as src/conf formats it (in its
 * namespace); @xml NULL removes it. */
int abVshSetMetadata(virDomainPtr dom, const char *xml, const char *prefix,
                     const char *uri, unsigned int flags);
