/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virsh-front: installed as "virsh" (meson option virsh_front), it runs the
 * autoballoon commands itself and execs the real virsh, with its arguments
 * untouched, for everything else. */
#include "ab-vsh.h"
#include "ab-vsh-edit.h"
#include "ab-config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

typedef enum {
    AB_FRONT_REAL,      /* the real virsh's */
    AB_FRONT_OURS,      /* an autoballoon command */
} abFrontOwner;

static bool
abFrontHasOpt(GPtrArray *words, const char *opt)
{
    for (guint i = 1; i < words->len; i++) {
        if (strcmp(g_ptr_array_index(words, i), opt) == 0)
            return true;
    }
    return false;
}

/* The largest file peeked at, as virsh's own limit on an XML file. */
#define AB_FRONT_PEEK_MAX (10 * 1024 * 1024)

/* The contents of @path when it is a regular file of at most
 * AB_FRONT_PEEK_MAX bytes, else NULL. Anything else (/dev/stdin, a FIFO,
 * <(...), /dev/zero, a tty) is never opened: what is read from it would be
 * gone for the real virsh. */
static char *
abFrontPeekFile(const char *path)
{
    g_autofree char *buf = NULL;
    struct stat st;
    ssize_t n;
    size_t got = 0;
    int fd;

    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > AB_FRONT_PEEK_MAX)
        return NULL;
    /* swapped for a FIFO since: O_NONBLOCK keeps the open from waiting */
    if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > AB_FRONT_PEEK_MAX) {
        close(fd);
        return NULL;
    }
    buf = g_malloc(AB_FRONT_PEEK_MAX + 1);
    while (got < AB_FRONT_PEEK_MAX &&
           (n = read(fd, buf + got, AB_FRONT_PEEK_MAX - got)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return NULL;
        }
        got += n;
    }
    close(fd);
    buf[got] = '\0';
    return g_steal_pointer(&buf);
}

/* define/create are ours when the file uses the extension: plain domain
 * XML, and every file that is not a regular one, keep going to the real
 * virsh with all its options. */
static bool
abFrontFileIsExtended(GPtrArray *words)
{
    for (guint i = 1; i < words->len; i++) {
        const char *word = g_ptr_array_index(words, i);
        g_autofree char *xml = NULL;

        if (g_str_has_prefix(word, "--"))
            continue;
        if ((xml = abFrontPeekFile(word)) && strstr(xml, "autoballoon="))
            return true;
    }
    return false;
}

static abFrontOwner
abFrontCommandOwner(GPtrArray *words, const char *uri)
{
    const char *name = g_ptr_array_index(words, 0);

    if (g_str_has_prefix(name, "balloon-") && abVshCmdDefLookup(name))
        return AB_FRONT_OURS;
    if (strcmp(name, "dumpxml") == 0 && abFrontHasOpt(words, "--autoballoon"))
        return AB_FRONT_OURS;
    if ((strcmp(name, "define") == 0 || strcmp(name, "create") == 0) &&
        abFrontFileIsExtended(words))
        return AB_FRONT_OURS;
    if (strcmp(name, "edit") == 0 && abVshEditRoutes(uri, words))
        return AB_FRONT_OURS;
    if (strcmp(name, "help") == 0 && words->len > 1) {
        const char *topic = g_ptr_array_index(words, 1);
        if (g_str_has_prefix(topic, "balloon-") || strcmp(topic, "autoballoon") == 0)
            return AB_FRONT_OURS;
    }
    return AB_FRONT_REAL;
}

static int
abFrontExecReal(char **argv)
{
    const char *real = AB_REAL_VIRSH;
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    struct stat a, b;

#ifdef AB_FRONT_TEST_REAL_VIRSH_ENV
    /* Only the build tree's front (tests) takes the real virsh from the
     * environment, and never with privileges gained at exec. The
     * installed front execs the path chosen at build time: under sudo -E
     * an inherited AB_REAL_VIRSH would run anything as root. */
    if (!getauxval(AT_SECURE) && g_getenv("AB_REAL_VIRSH") && *g_getenv("AB_REAL_VIRSH"))
        real = g_getenv("AB_REAL_VIRSH");
#endif
    /* A front that finds itself would exec forever. */
    if (self && stat(self, &a) == 0 && stat(real, &b) == 0 &&
        a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
        fprintf(stderr, "error: the real virsh '%s' is this front: reinstall with -Dreal_virsh=PATH\n",
                real);
        return 1;
    }
    execv(real, argv);
    fprintf(stderr, "error: cannot run the real virsh '%s': %s\n", real, g_strerror(errno));
    return 1;
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) cmds = NULL;
    const char *uri = NULL;
    unsigned int ours = 0;
    int c;

    /* Only find where the command starts; the options themselves are left
     * to whichever program runs. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, AB_VSH_GLOBAL_SHORTOPTS, abVshGlobalLongOpts, NULL)) != -1) {
        if (c == 'h' || c == 'v' || c == 'V' || c == '?' || c == ':')
            return abFrontExecReal(argv);
        if (c == 'c')
            uri = optarg;
    }
    if (optind == argc)
        return abFrontExecReal(argv);

    if (argc - optind == 1) {
        if (!(cmds = abVshSplitCommands(argv[optind], NULL)))
            return abFrontExecReal(argv);
    } else {
        cmds = abVshSplitArgv(argc - optind, argv + optind);
    }
    for (guint i = 0; i < cmds->len; i++) {
        if (abFrontCommandOwner(g_ptr_array_index(cmds, i), uri) == AB_FRONT_OURS)
            ours++;
    }
    if (ours == 0)
        return abFrontExecReal(argv);
    if (ours < cmds->len) {
        /* Two processes cannot share one connection's state (test:///default
         * keeps it per process), so a mixed line is refused, not split. */
        fprintf(stderr, "error: a command line cannot mix autoballoon commands with other virsh "
                "commands: run them in separate invocations\n");
        return 1;
    }
    return abVshMain(argc, argv, "virsh");
}
