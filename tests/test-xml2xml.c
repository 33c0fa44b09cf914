/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Golden tests of the extended <-> native translation, in libvirt's style:
 * tests/xml2xmldata/NAME.xml (extended) -> NAME.native.xml and back, or
 * NAME.xml -> NAME.err (the error message). A NAME.native.xml with a
 * NAME.err and no NAME.xml is a native document the way back refuses.
 * Cases are discovered from the directory; AB_REGENERATE=1 rewrites the
 * expected files from what the code produces.
 *
 * Every native output is also defined on libvirt's test driver, to prove
 * libvirt accepts it and gives our policy back. */
#include "ab-config.h"
#include "ab-conf.h"
#include "ab-namespace.h"
#include "testutils.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/parser.h>
#include <string.h>

static char *datadir;
static bool regenerate;
static virConnectPtr conn;

typedef struct {
    char *name;
    bool hasExtended;
    bool hasNative;
    bool hasErr;
} TestCase;

static char *
casePath(const TestCase *tc, const char *suffix)
{
    g_autofree char *file = g_strconcat(tc->name, suffix, NULL);

    return g_build_filename(datadir, file, NULL);
}

#define readFile abTestReadFile

/* Compare with the expected file, or rewrite it under AB_REGENERATE=1. */
static void
checkExpected(const TestCase *tc, const char *suffix, const char *actual)
{
    g_autofree char *path = casePath(tc, suffix);

    abTestCompareToFile(path, actual);
}

static void
testTranslate(gconstpointer data)
{
    const TestCase *tc = data;
    g_autoptr(GError) err = NULL;
    g_autofree char *native = NULL;
    g_autofree char *extended = NULL;
    g_autofree char *input = NULL;

    if (!tc->hasExtended) {
        /* native document the way back must refuse */
        g_autofree char *path = casePath(tc, ".native.xml");

        input = readFile(path);
        extended = abConfNativeToExtended(input, &err);
        if (extended) {
            g_test_message("%s: native -> extended succeeded, expected an error; got:\n%s",
                           tc->name, extended);
            g_test_fail();
            return;
        }
        {
            g_autofree char *msg = g_strconcat(err->message, "\n", NULL);

            checkExpected(tc, ".err", msg);
        }
        return;
    }

    {
        g_autofree char *path = casePath(tc, ".xml");

        input = readFile(path);
    }
    native = abConfExtendedToNative(input, &err);
    if (tc->hasErr || (regenerate && !native)) {
        g_autofree char *msg = NULL;

        if (native) {
            g_test_message("%s: extended -> native succeeded, expected an error; got:\n%s",
                           tc->name, native);
            g_test_fail();
            return;
        }
        msg = g_strconcat(err->message, "\n", NULL);
        checkExpected(tc, ".err", msg);
        return;
    }
    if (!native) {
        g_test_message("%s: extended -> native failed: %s", tc->name, err->message);
        g_test_fail();
        return;
    }
    checkExpected(tc, ".native.xml", native);

    /* the way back, from the golden native file and from what we produced */
    {
        g_autofree char *path = casePath(tc, ".native.xml");
        g_autofree char *golden = readFile(path);

        extended = abConfNativeToExtended(golden, &err);
        g_assert_no_error(err);
        g_assert_cmpstr(extended, ==, input);
    }
    {
        g_autofree char *again = abConfNativeToExtended(native, &err);

        g_assert_no_error(err);
        g_assert_cmpstr(again, ==, input);
    }
}

/* The managed <memory model='virtio-mem'> of @root, with its index set in
 * @def; NULL if none. */
static xmlNodePtr
extendedVirtioMem(xmlNodePtr root, abConfPolicy *def)
{
    xmlNodePtr mem = abConfVirtioMemManaged(root, &def->device);

    if (mem)
        def->backend = AB_CONF_BACKEND_VIRTIO_MEM;
    return mem;
}

/* The policy of an extended document's <memballoon> (or managed virtio-mem), as metadata text
 * (so that two policies compare as strings); NULL when it has none. */
static char *
extendedPolicy(const char *xml, char **balloon)
{
    xmlDocPtr doc = xmlReadMemory(xml, strlen(xml), NULL, NULL, XML_PARSE_NOBLANKS);
    g_autoptr(abConfPolicy) def = abConfPolicyNew();
    g_autoptr(GError) err = NULL;
    xmlNodePtr cur;
    xmlNodePtr owner;
    xmlChar *state = NULL;
    char *ret = NULL;

    g_assert_nonnull(doc);
    for (cur = xmlDocGetRootElement(doc)->children; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE && xmlStrEqual(cur->name, BAD_CAST "devices"))
            break;
    }
    for (cur = cur ? cur->children : NULL; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE && xmlStrEqual(cur->name, BAD_CAST "memballoon"))
            break;
    }
    if (balloon && cur) {
        xmlChar *autodeflate = xmlGetProp(cur, BAD_CAST "autodeflate");
        xmlChar *period = NULL;

        for (xmlNodePtr child = cur->children; child; child = child->next) {
            if (child->type == XML_ELEMENT_NODE && xmlStrEqual(child->name, BAD_CAST "stats"))
                period = xmlGetProp(child, BAD_CAST "period");
        }
        *balloon = g_strdup_printf("autodeflate=%s period=%s",
                                   autodeflate ? (const char *)autodeflate : "-",
                                   period ? (const char *)period : "-");
        xmlFree(autodeflate);
        xmlFree(period);
    }
    owner = cur;
    if (!owner || !xmlHasProp(owner, BAD_CAST "autoballoon"))
        owner = extendedVirtioMem(xmlDocGetRootElement(doc), def);
    if (owner && (state = xmlGetProp(owner, BAD_CAST "autoballoon"))) {
        cur = owner;
        def->enabled = xmlStrEqual(state, BAD_CAST "on");
        for (xmlNodePtr child = cur->children; child; child = child->next) {
            if (child->type == XML_ELEMENT_NODE &&
                xmlStrEqual(child->name, BAD_CAST "autoballoon")) {
                g_assert_cmpint(abConfPolicyParseNode(child, def, &err), ==, 0);
                g_assert_no_error(err);
            }
        }
        ret = abConfPolicyFormatMetadata(def);
    }
    xmlFree(state);
    xmlFreeDoc(doc);
    return ret;
}

static void
testLibvirtDefine(gconstpointer data)
{
    const TestCase *tc = data;
    g_autofree char *nativePath = casePath(tc, ".native.xml");
    g_autofree char *extPath = casePath(tc, ".xml");
    g_autofree char *native = readFile(nativePath);
    g_autofree char *input = readFile(extPath);
    g_autofree char *wantBalloon = NULL;
    g_autofree char *gotBalloon = NULL;
    g_autofree char *want = extendedPolicy(input, &wantBalloon);
    g_autofree char *meta = NULL;
    g_autofree char *dump = NULL;
    g_autofree char *back = NULL;
    g_autofree char *got = NULL;
    g_autoptr(GError) err = NULL;
    virDomainPtr dom;

    if (!conn) {
        g_test_skip("libvirt test driver unavailable");
        return;
    }
    dom = virDomainDefineXMLFlags(conn, native, VIR_DOMAIN_DEFINE_VALIDATE);
    if (!dom) {
        g_test_message("%s: libvirt refused the native XML: %s",
                       tc->name, virGetLastErrorMessage());
        g_test_fail();
        return;
    }

    meta = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, AB_NS_POLICY_URI,
                                VIR_DOMAIN_AFFECT_CONFIG);
    if (want) {
        g_autoptr(abConfPolicy) def = NULL;
        g_autofree char *fromMeta = NULL;

        g_assert_nonnull(meta);
        def = abConfPolicyParseMetadata(meta, &err);
        g_assert_no_error(err);
        fromMeta = abConfPolicyFormatMetadata(def);
        g_assert_cmpstr(fromMeta, ==, want);
    } else {
        g_assert_null(meta);
    }

    dump = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    g_assert_nonnull(dump);
    back = abConfNativeToExtended(dump, &err);
    g_assert_no_error(err);
    got = extendedPolicy(back, &gotBalloon);
    g_assert_cmpstr(got, ==, want);
    /* what the translation added came back out of libvirt's own XML */
    g_assert_cmpstr(gotBalloon, ==, wantBalloon);

    g_assert_cmpint(virDomainUndefine(dom), ==, 0);
    virDomainFree(dom);
}

static void
silentError(void *opaque, virErrorPtr error)
{
}

static int
compareNames(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
freeCase(gpointer data)
{
    TestCase *tc = data;

    g_free(tc->name);
    g_free(tc);
}

int
main(int argc, char **argv)
{
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GHashTable) cases = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, freeCase);
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    const char *file;
    int ret;

    g_test_init(&argc, &argv, NULL);
    /* one broken case must not hide the others */
    g_test_set_nonfatal_assertions();
    regenerate = abTestRegenerate();
    datadir = abTestDataPath("xml2xmldata", NULL);
    dir = g_dir_open(datadir, 0, NULL);
    g_assert_nonnull(dir);

    while ((file = g_dir_read_name(dir))) {
        g_autofree char *name = NULL;
        TestCase *tc;

        if (g_str_has_suffix(file, ".native.xml"))
            name = g_strndup(file, strlen(file) - strlen(".native.xml"));
        else if (g_str_has_suffix(file, ".xml"))
            name = g_strndup(file, strlen(file) - strlen(".xml"));
        else if (g_str_has_suffix(file, ".err"))
            name = g_strndup(file, strlen(file) - strlen(".err"));
        else
            continue;
        if (!(tc = g_hash_table_lookup(cases, name))) {
            tc = g_new0(TestCase, 1);
            tc->name = g_steal_pointer(&name);
            g_hash_table_insert(cases, tc->name, tc);
            g_ptr_array_add(names, tc->name);
        }
        if (g_str_has_suffix(file, ".native.xml"))
            tc->hasNative = true;
        else if (g_str_has_suffix(file, ".xml"))
            tc->hasExtended = true;
        else
            tc->hasErr = true;
    }
    g_ptr_array_sort(names, compareNames);

    virSetErrorFunc(NULL, silentError);
    conn = virConnectOpen("test:///default");

    for (guint i = 0; i < names->len; i++) {
        TestCase *tc = g_hash_table_lookup(cases, names->pdata[i]);
        g_autofree char *path = g_strconcat("/xml2xml/", tc->name, NULL);

        if (!tc->hasExtended && !(tc->hasNative && tc->hasErr)) {
            g_printerr("%s: incomplete case (needs NAME.xml, or NAME.native.xml and NAME.err)\n",
                       tc->name);
            return 1;
        }
        g_test_add_data_func(path, tc, testTranslate);
        if (tc->hasExtended && !tc->hasErr && !regenerate) {
            g_autofree char *vpath = g_strconcat("/xml2xml/libvirt/", tc->name, NULL);

            g_test_add_data_func(vpath, tc, testLibvirtDefine);
        }
    }
    ret = g_test_run();
    if (conn)
        virConnectClose(conn);
    g_free(datadir);
    return ret;
}
