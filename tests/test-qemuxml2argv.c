/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Golden tests of the balloon options emitted per QEMU binary, in the style
 * of libvirt's qemuxml2argvtest:
 *   qemuxml2argvdata/NAME.xml               extended XML, as users write it
 *   qemuxml2argvdata/NAME.CAPS.native.xml   abQemuExtendedToNative for the
 *                                           binary recorded in qemucapsdata/
 *   qemuxml2argvdata/NAME.CAPS.args         the balloon -device argument real
 *                                           libvirt renders from that XML
 *   qemuxml2argvdata/NAME.CAPS.err          the message, where emission refuses
 * The .args come from virConnectDomainXMLToNative("qemu-argv") on libvirt's
 * embedded QEMU driver (tests/qemuxml2argvhelper.c); only the balloon
 * argument is compared, so libvirt's other defaults do not break the files.
 * AB_REGENERATE=1 rewrites the golden files. */
#include <glib.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "ab-config.h"
#include "testutils.h"
#include "ab-conf.h"
#include "ab-error.h"
#include "ab-qemu-balloon.h"
#include "ab-qemu-caps.h"

#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"
#define NOBODY 65534

typedef struct {
    const char *label;      /* CAPS in the file names */
    const char *fixture;    /* qemucapsdata/FIXTURE.help */
} CapsSet;

static const CapsSet capsSets[] = {
    { "qemu-7.2", "qemu-7.2.22-debian12" },
    { "automatic", "synthetic-automatic-2014" },
    { "auto-balloon", "synthetic-auto-balloon-2013" },
    { "no-fpr", "synthetic-no-free-page-reporting" },
};

typedef struct {
    const char *name;
    const char *caps;           /* a CapsSet label */
    abQemuInflater inflater;
    bool fails;
    char *native;               /* set by the native test, for the args test */
    char *argsFile;             /* the helper's output */
} Case;

#define DAEMON AB_QEMU_INFLATER_DAEMON
#define QEMU AB_QEMU_INFLATER_QEMU

static Case cases[] = {
    { "autoballoon-on", "qemu-7.2", DAEMON },
    { "autoballoon-on", "automatic", QEMU },
    { "autoballoon-on", "auto-balloon", QEMU },
    { "autoballoon-on", "no-fpr", DAEMON },
    { "autoballoon-policy", "automatic", QEMU },
    { "autoballoon-off", "automatic", DAEMON },
    { "plain-balloon", "automatic", DAEMON },
    { "plain-balloon", "no-fpr", DAEMON, true },
    { "balloon-none", "automatic", DAEMON },
    { "fpr-off", "automatic", QEMU },
    { "fpr-on", "qemu-7.2", DAEMON },
    { "fpr-on", "no-fpr", DAEMON, true },
    { "autodeflate-on", "auto-balloon", DAEMON, true },
    { "autodeflate-off", "qemu-7.2", DAEMON },
    { "stats-explicit", "auto-balloon", DAEMON, true },
    { "stats-explicit", "qemu-7.2", DAEMON },
    { "user-alias", "automatic", QEMU },
    { "override-other-property", "automatic", QEMU },
    { "override-user-false", "automatic", DAEMON },
    { "virtio-mem-on", "qemu-7.2", DAEMON },
    { "virtio-mem-on", "automatic", DAEMON, true },
    /* <domain> binds the prefix qemu to another namespace */
    { "qemu-prefix-taken", "automatic", QEMU },
};

static char *
dataPath(const char *dir, const char *name, const char *caps, const char *suffix)
{
    g_autofree char *file = caps ? g_strdup_printf("%s.%s%s", name, caps, suffix)
                                 : g_strdup_printf("%s%s", name, suffix);
    return abTestDataPath(dir, file);
}

#define readFile abTestReadFile
#define compareGolden abTestCompareToFile

static abQemuCaps *
loadCaps(const char *label)
{
    for (size_t i = 0; i < G_N_ELEMENTS(capsSets); i++) {
        g_autofree char *path = NULL;
        g_autofree char *text = NULL;
        abQemuCaps *caps;

        if (!g_str_equal(capsSets[i].label, label))
            continue;
        path = dataPath("qemucapsdata", capsSets[i].fixture, NULL, ".help");
        text = readFile(path);
        /* named by its fixture: the messages name the binary */
        caps = abQemuCapsNew(capsSets[i].fixture);
        g_assert_cmpint(abQemuCapsParseDeviceHelp(text, AB_QEMU_BALLOON_DEVICE,
                                                  &caps->flags, NULL), ==, 0);
        /* the virtio-mem listing, where the fixture has one */
        g_clear_pointer(&path, g_free);
        g_clear_pointer(&text, g_free);
        path = dataPath("qemucapsdata", capsSets[i].fixture, NULL, ".virtio-mem.help");
        if (g_file_get_contents(path, &text, NULL, NULL))
            g_assert_cmpint(abQemuCapsParseVirtioMemHelp(text, &caps->memFlags, NULL), ==, 0);
        return caps;
    }
    g_assert_not_reached();
}

static void
testNative(gconstpointer opaque)
{
    Case *tc = (Case *)opaque;
    g_autofree char *inPath = dataPath("qemuxml2argvdata", tc->name, NULL, ".xml");
    g_autofree char *ext = readFile(inPath);
    g_autoptr(abQemuCaps) caps = loadCaps(tc->caps);
    g_autoptr(GError) err = NULL;
    g_autofree char *native = NULL;
    g_autofree char *confNative = NULL;
    g_autofree char *confBack = NULL;
    g_autofree char *back = NULL;
    g_autofree char *stripped = NULL;
    g_autofree char *confOnly = NULL;
    abQemuBalloonResult res = { 0 };
    xmlDocPtr doc;

    native = abQemuExtendedToNative(ext, caps, &res, &err);
    if (tc->fails) {
        g_autofree char *errPath = dataPath("qemuxml2argvdata", tc->name, tc->caps, ".err");
        g_autofree char *msg = NULL;

        g_assert_null(native);
        g_assert_error(err, AB_ERROR, AB_ERROR_UNSUPPORTED);
        /* the message names the domain and the binary */
        g_assert_nonnull(strstr(err->message, tc->name));
        g_assert_nonnull(strstr(err->message, caps->binary));
        msg = g_strdup_printf("%s\n", err->message);
        compareGolden(errPath, msg);
        return;
    }
    g_assert_no_error(err);
    g_assert_nonnull(native);
    {
        g_autofree char *outPath = dataPath("qemuxml2argvdata", tc->name, tc->caps,
                                            ".native.xml");
        compareGolden(outPath, native);
    }
    g_assert_cmpstr(abQemuInflaterToString(res.inflater), ==,
                    abQemuInflaterToString(tc->inflater));
    doc = xmlReadMemory(native, strlen(native), NULL, NULL, 0);
    g_assert_nonnull(doc);
    g_assert_cmpint(abQemuBalloonInflater(doc), ==, tc->inflater);
    xmlFreeDoc(doc);

    /* Stripping takes back exactly what emission added: the result is what
     * the conf step alone produced, and the way back ends where conf's does. */
    confNative = abConfExtendedToNative(ext, &err);
    g_assert_no_error(err);
    confOnly = abQemuBalloonStripXML(confNative, &err);     /* same formatting */
    g_assert_no_error(err);
    stripped = abQemuBalloonStripXML(native, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(stripped, ==, confOnly);
    back = abQemuNativeToExtended(native, &err);
    g_assert_no_error(err);
    confBack = abConfNativeToExtended(confNative, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(back, ==, confBack);

    tc->native = g_steal_pointer(&native);
}

/* The user edits the defined domain between emission and stripping: what
 * they added stays, only what emission added goes. */
static void
testStripAfterUserEdits(void)
{
    g_autofree char *inPath = dataPath("qemuxml2argvdata", "autoballoon-on", NULL, ".xml");
    g_autofree char *ext = readFile(inPath);
    g_autoptr(abQemuCaps) caps = loadCaps("automatic");
    g_autoptr(GError) err = NULL;
    g_autofree char *native = NULL;
    abQemuBalloonResult res;
    abQemuBalloonRequest req = { 0 };
    xmlDocPtr doc;
    xmlChar *buf = NULL;
    int len = 0;
    g_autofree char *out = NULL;

    native = abQemuExtendedToNative(ext, caps, &res, &err);
    g_assert_no_error(err);
    doc = xmlReadMemory(native, strlen(native), NULL, NULL, XML_PARSE_NOBLANKS);
    g_assert_nonnull(doc);

    /* a second emission is refused */
    g_assert_cmpint(abQemuBalloonEmit(doc, &req, caps, &res, &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
    g_clear_error(&err);

    {
        xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        xmlXPathObjectPtr obj;
        xmlNodePtr frontend, prop;

        xmlXPathRegisterNs(ctx, BAD_CAST "qemu", BAD_CAST AB_QEMU_LIBVIRT_NS_URI);
        obj = xmlXPathEvalExpression(BAD_CAST "//qemu:frontend", ctx);
        g_assert_cmpint(obj->nodesetval->nodeNr, ==, 1);
        frontend = obj->nodesetval->nodeTab[0];
        prop = xmlNewChild(frontend, frontend->ns, BAD_CAST "property", NULL);
        xmlSetProp(prop, BAD_CAST "name", BAD_CAST "free-page-hint");
        xmlSetProp(prop, BAD_CAST "type", BAD_CAST "bool");
        xmlSetProp(prop, BAD_CAST "value", BAD_CAST "true");
        xmlXPathFreeObject(obj);
        /* and turned free page reporting off themselves */
        obj = xmlXPathEvalExpression(BAD_CAST "//memballoon", ctx);
        xmlSetProp(obj->nodesetval->nodeTab[0], BAD_CAST "freePageReporting", BAD_CAST "off");
        xmlXPathFreeObject(obj);
        xmlXPathFreeContext(ctx);
    }

    g_assert_cmpint(abQemuBalloonStrip(doc, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpint(abQemuBalloonInflater(doc), ==, AB_QEMU_INFLATER_DAEMON);
    xmlDocDumpMemory(doc, &buf, &len);
    out = g_strdup((char *)buf);
    xmlFree(buf);
    xmlFreeDoc(doc);
    g_assert_null(strstr(out, "abqemu"));
    g_assert_null(strstr(out, "name=\"automatic\""));
    g_assert_nonnull(strstr(out, "xmlns:qemu="));
    g_assert_nonnull(strstr(out, "name=\"free-page-hint\""));
    g_assert_nonnull(strstr(out, "freePageReporting=\"off\""));
}

static void
dropPrivileges(gpointer opaque)
{
    /* as root the embedded driver insists on the 'libvirt-qemu' user */
    if (geteuid() == 0) {
        if (setgroups(0, NULL) < 0 || setgid(NOBODY) < 0 || setuid(NOBODY) < 0)
            _exit(3);
    }
}

static char *argsRoot;
static bool argsRan;
static char *argsSkip;

/* One helper run renders every case: the embedded driver probes QEMU once. */
static void
runHelper(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *helperErr = NULL;
    g_auto(GStrv) envp = g_get_environ();
    int status = 0;

    argsRan = true;
    if (!g_file_test(QEMU_BINARY, G_FILE_TEST_IS_EXECUTABLE)) {
        argsSkip = g_strdup(QEMU_BINARY " is not installed");
        return;
    }
    argsRoot = g_dir_make_tmp("abqemuxml2argv-XXXXXX", &err);
    g_assert_no_error(err);
    if (geteuid() == 0)
        g_assert_cmpint(chown(argsRoot, NOBODY, NOBODY), ==, 0);

    g_ptr_array_add(argv, g_build_filename(AB_BUILD_ROOT, "tests",
                                           "qemuxml2argvhelper", NULL));
    g_ptr_array_add(argv, g_strdup(argsRoot));
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        Case *tc = &cases[i];
        g_autofree char *base = NULL;
        g_autofree char *in = NULL;

        if (!tc->native)
            continue;
        base = g_strdup_printf("%s.%s", tc->name, tc->caps);
        in = g_strdup_printf("%s/%s.xml", argsRoot, base);
        tc->argsFile = g_strdup_printf("%s/%s.argv", argsRoot, base);
        g_assert_true(g_file_set_contents(in, tc->native, -1, NULL));
        g_assert_cmpint(g_chmod(in, 0644), ==, 0);
        g_ptr_array_add(argv, g_steal_pointer(&in));
        g_ptr_array_add(argv, g_strdup(tc->argsFile));
    }
    g_ptr_array_add(argv, NULL);

    envp = g_environ_setenv(envp, "HOME", argsRoot, TRUE);
    envp = g_environ_setenv(envp, "XDG_CONFIG_HOME", argsRoot, TRUE);
    envp = g_environ_setenv(envp, "XDG_CACHE_HOME", argsRoot, TRUE);
    envp = g_environ_setenv(envp, "XDG_RUNTIME_DIR", argsRoot, TRUE);
    envp = g_environ_unsetenv(envp, "LIBVIRT_DEFAULT_URI");
    /* libvirt's own allocations are not what this test is about */
    envp = g_environ_setenv(envp, "ASAN_OPTIONS", "detect_leaks=0", TRUE);

    g_spawn_sync(argsRoot, (char **)argv->pdata, envp, G_SPAWN_STDOUT_TO_DEV_NULL,
                 dropPrivileges, NULL, NULL, &helperErr, &status, &err);
    g_assert_no_error(err);
    if (!g_spawn_check_wait_status(status, &err))
        g_test_message("qemuxml2argvhelper: %s", helperErr);
    g_assert_no_error(err);
}

/* The one -device argument that creates the balloon. */
static char *
balloonArg(const char *cmdline)
{
    g_auto(GStrv) words = NULL;
    g_autoptr(GError) err = NULL;
    int n = 0;

    if (g_str_has_prefix(cmdline, "error: "))
        return g_strdup(cmdline);
    g_shell_parse_argv(cmdline, &n, &words, &err);
    g_assert_no_error(err);
    for (int i = 0; i + 1 < n; i++) {
        if (g_str_equal(words[i], "-device") && strstr(words[i + 1], "virtio-balloon"))
            return g_strdup_printf("%s\n", words[i + 1]);
    }
    return g_strdup("(no balloon device)\n");
}

static void
testArgs(gconstpointer opaque)
{
    Case *tc = (Case *)opaque;
    g_autofree char *argsPath = dataPath("qemuxml2argvdata", tc->name, tc->caps, ".args");
    g_autofree char *cmdline = NULL;
    g_autofree char *arg = NULL;
    g_autoptr(abQemuCaps) caps = loadCaps(tc->caps);
    const char *prop = abQemuCapsAutomaticProperty(caps);

    if (!argsRan)
        runHelper();
    if (argsSkip) {
        g_test_skip(argsSkip);
        return;
    }
    if (!tc->argsFile) {
        g_test_message("the native test of %s.%s failed", tc->name, tc->caps);
        g_test_fail();
        return;
    }
    cmdline = readFile(tc->argsFile);
    arg = balloonArg(cmdline);
    compareGolden(argsPath, arg);

    /* libvirt renders an override even for a property the real binary
     * lacks: the automatic switch must show exactly where QEMU inflates. */
    if (prop) {
        g_autofree char *want = g_strdup_printf("\"%s\":true", prop);
        g_assert_cmpint(strstr(arg, want) != NULL, ==, tc->inflater == QEMU);
    }
}

static void
cleanupRoot(void)
{
    g_autofree char *cmd = NULL;

    if (!argsRoot)
        return;
    cmd = g_strdup_printf("rm -rf '%s'", argsRoot);
    if (system(cmd) != 0)
        g_printerr("cannot remove %s\n", argsRoot);
    g_free(argsRoot);
}

int
main(int argc, char **argv)
{
    int ret;

    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/qemuxml2argv/native/%s.%s",
                                                cases[i].name, cases[i].caps);
        g_test_add_data_func(path, &cases[i], testNative);
    }
    g_test_add_func("/qemuxml2argv/strip/user-edits", testStripAfterUserEdits);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = NULL;

        if (cases[i].fails)
            continue;
        path = g_strdup_printf("/qemuxml2argv/args/%s.%s", cases[i].name, cases[i].caps);
        g_test_add_data_func(path, &cases[i], testArgs);
    }
    ret = g_test_run();
    cleanupRoot();
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_free(cases[i].native);
        g_free(cases[i].argsFile);
    }
    g_free(argsSkip);
    return ret;
}
