/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-vsh-main.c: global options and the command loop of virsh-autoballoon,
 * with virsh's options so that the virsh front can hand them over as they
 * are. */
#include "ab-vsh.h"
#include "ab-config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
abVshUsage(const char *progname)
{
    fprintf(stdout,
            "\n%s [options]... [<command_string>]"
            "\n%s [options]... <command> [args...]\n\n"
            "  options:\n"
            "    -c | --connect=URI      hypervisor connection URI\n"
            "    -d | --debug=NUM        accepted for virsh compatibility, ignored\n"
            "    -e | --escape <char>    accepted for virsh compatibility, ignored (no console)\n"
            "    -h | --help             this help\n"
            "    -k | --keepalive-interval=NUM\n"
            "                            keepalive interval in seconds, 0 for disable\n"
            "    -K | --keepalive-count=NUM\n"
            "                            number of possible missed keepalive messages\n"
            "    -l | --log=FILE         accepted for virsh compatibility, ignored\n"
            "    -q | --quiet            quiet mode\n"
            "    -r | --readonly         connect readonly\n"
            "    -t | --timing           print timing information\n"
            "    -v | -V | --version     program version\n\n"
            "  commands (non interactive mode):\n\n",
            progname, progname);
    for (const abVshCmdGroup *g = abVshGroups; g->name; g++) {
        if (!abVshGroupVisible(g))
            continue;
        fprintf(stdout, " %s (help keyword '%s')\n", g->name, g->keyword);
        for (const abVshCmdDef *def = g->cmds; def->name; def++) {
            if (!(def->flags & AB_VSH_CMD_FLAG_HIDDEN))
                fprintf(stdout, "    %-30s %s\n", def->name, def->summary);
        }
        fprintf(stdout, "\n");
    }
    fprintf(stdout,
            "  (specify help <group> for details about the commands in the group)\n\n"
            "  (specify help <command> for details about the command)\n\n");
}

/* Commands from stdin, one line at a time so that a script sees each
 * command's output before the next one runs. The result is that of the
 * last command, as for a ';'-separated line. */
static bool
abVshReadLoop(abVshControl *ctl)
{
    bool tty = isatty(STDIN_FILENO);
    bool ret = true;
    char *line = NULL;
    size_t cap = 0;
    g_autoptr(GString) text = g_string_new(NULL);

    ctl->interactive = true;
    if (tty && !ctl->quiet)
        fprintf(stdout,
                "Welcome to %s, the autoballoon commands of virsh.\n\n"
                "Type:  'help' for help with commands\n"
                "       'quit' to quit\n\n", ctl->progname);
    for (;;) {
        g_autoptr(abVshCmd) cmd = NULL;
        bool empty;

        if (tty) {
            fprintf(stdout, "%s # ", ctl->progname);
            fflush(stdout);
        }
        if (getline(&line, &cap, stdin) < 0)
            break;
        /* a line ending in a backslash goes on on the next one */
        g_string_append(text, line);
        if (g_str_has_suffix(text->str, "\\\n") && !feof(stdin))
            continue;
        cmd = abVshCommandStringParse(ctl, text->str, &empty);
        g_string_truncate(text, 0);
        if (empty)
            continue;
        if (!cmd) {
            ret = false;
            continue;
        }
        ret = abVshCommandRun(ctl, cmd);
        for (abVshCmd *c = cmd; c; c = c->next) {
            if (strcmp(c->def->name, "quit") == 0 || strcmp(c->def->name, "exit") == 0)
                goto done;
        }
    }
 done:
    if (tty)
        fprintf(stdout, "\n");
    free(line);
    return ret;
}

const struct option abVshGlobalLongOpts[] = {
    { "connect", required_argument, NULL, 'c' },
    { "debug", required_argument, NULL, 'd' },
    { "escape", required_argument, NULL, 'e' },
    { "help", no_argument, NULL, 'h' },
    { "keepalive-interval", required_argument, NULL, 'k' },
    { "keepalive-count", required_argument, NULL, 'K' },
    { "log", required_argument, NULL, 'l' },
    { "quiet", no_argument, NULL, 'q' },
    { "readonly", no_argument, NULL, 'r' },
    { "timing", no_argument, NULL, 't' },
    { "version", optional_argument, NULL, 'v' },
    { NULL, 0, NULL, 0 },
};

int
abVshMain(int argc, char **argv, const char *progname)
{
    abVshControl ctl = { .progname = progname, .keepaliveInterval = 5,
                         .keepaliveCount = 6 };
    g_autoptr(abVshCmd) cmd = NULL;
    bool ok;
    int c;

    /* Events need the loop registered before any connection is opened. */
    virEventRegisterDefaultImpl();
    ctl.uri = g_strdup(g_getenv("LIBVIRT_DEFAULT_URI"));

    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, AB_VSH_GLOBAL_SHORTOPTS, abVshGlobalLongOpts, NULL)) != -1) {
        switch (c) {
        case 'c':
            g_free(ctl.uri);
            ctl.uri = g_strdup(optarg);
            break;
        case 'k': case 'K': {
            guint64 v;

            if (!g_ascii_string_to_unsigned(optarg, 10, 0, G_MAXINT, &v, NULL)) {
                abVshError(&ctl, "option -%c requires a positive integer argument", c);
                g_free(ctl.uri);
                return EXIT_FAILURE;
            }
            if (c == 'k')
                ctl.keepaliveInterval = v;
            else
                ctl.keepaliveCount = v;
            ctl.keepaliveForced = true;
            break;
        }
        case 'd': case 'e': case 'l':
            break;
        case 'h':
            abVshUsage(progname);
            g_free(ctl.uri);
            return EXIT_SUCCESS;
        case 'q':
            ctl.quiet = true;
            break;
        case 'r':
            ctl.readonly = true;
            break;
        case 't':
            ctl.timing = true;
            break;
        case 'v': case 'V':
            fprintf(stdout, "%s\n", AB_VERSION);
            g_free(ctl.uri);
            return EXIT_SUCCESS;
        case ':':
            abVshError(&ctl, "option '-%c' requires an argument", optopt);
            g_free(ctl.uri);
            return EXIT_FAILURE;
        default:
            if (optopt)
                abVshError(&ctl, "unsupported option '-%c'. See --help.", optopt);
            else
                abVshError(&ctl, "unsupported option '%s'. See --help.", argv[optind - 1]);
            g_free(ctl.uri);
            return EXIT_FAILURE;
        }
    }

    if (optind == argc) {
        ok = abVshReadLoop(&ctl);
    } else {
        /* One word is a command string (';', quotes), as in virsh. */
        if (argc - optind == 1) {
            bool empty;
            cmd = abVshCommandStringParse(&ctl, argv[optind], &empty);
            if (empty)
                abVshError(&ctl, "no command given");
        } else {
            cmd = abVshCommandArgvParse(&ctl, argc - optind, argv + optind);
        }
        ok = cmd && abVshCommandRun(&ctl, cmd);
    }

    if (ctl.conn)
        virConnectClose(ctl.conn);
    g_free(ctl.uri);
    fflush(stdout);
    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
