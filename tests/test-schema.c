/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Schema tests: every extended document of tests/xml2xmldata and
 * tests/qemuxml2argvdata validates against docs/schemas/autoballoon.rng
 * (except the error cases that are invalid by design, which must then
 * fail), and every native document (with the QEMU options emitted, for the
 * latter) validates against libvirt's own installed domain.rng. */
#include "ab-config.h"
#include "testutils.h"

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <string.h>

#define LIBVIRT_DOMAIN_RNG "/usr/share/libvirt/schemas/domain.rng"

/* Error cases the schema itself rejects; every other case, including the
 * semantic errors (floor above ceiling, VFIO, huge pages...), is a
 * schema-valid document that only the translation refuses. */
static const char *const schemaInvalid[] = {
    "err-attr-value", "err-bad-number", "err-bad-unit", "err-cooldown-long",
    "err-cooldown-unit", "err-duplicate-autoballoon", "err-duplicate-floor",
    "err-model-none", "err-model-xen", "err-negative", "err-step-level-missing",
    "err-step-level-unknown", "err-unknown-attr", "err-unknown-child",
    "err-unknown-policy-attr", "err-weight-range", "err-weight-zero",
    "err-percent-step", "err-percent-range", "err-virtio-mem-dimm",
    NULL,
};

static char *datadir;
static xmlRelaxNGPtr extendedSchema;
static xmlRelaxNGPtr libvirtSchema;

typedef struct {
    char *path;
    char *name;
    const char *set;                 /* the data directory */
    bool native;
} SchemaCase;

static void
collectError(void *data, xmlErrorPtr err)
{
    GString *msgs = data;

    g_string_append_printf(msgs, "line %d: %s", err->line, err->message);
}

static xmlRelaxNGPtr
loadSchema(const char *path)
{
    xmlRelaxNGParserCtxtPtr pctxt = xmlRelaxNGNewParserCtxt(path);
    xmlRelaxNGPtr schema = xmlRelaxNGParse(pctxt);

    xmlRelaxNGFreeParserCtxt(pctxt);
    return schema;
}

static bool
validate(xmlRelaxNGPtr schema, const char *path, GString *msgs)
{
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    xmlRelaxNGValidCtxtPtr vctxt;
    int rc;

    g_assert_nonnull(doc);
    vctxt = xmlRelaxNGNewValidCtxt(schema);
    xmlRelaxNGSetValidStructuredErrors(vctxt, collectError, msgs);
    rc = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    xmlFreeDoc(doc);
    return rc == 0;
}

static void
testSchema(gconstpointer data)
{
    const SchemaCase *sc = data;
    g_autoptr(GString) msgs = g_string_new(NULL);
    bool expectValid = sc->native || strcmp(sc->set, "xml2xmldata") != 0 ||
                       !g_strv_contains(schemaInvalid, sc->name);
    bool valid;

    if (sc->native && !libvirtSchema) {
        g_test_skip(LIBVIRT_DOMAIN_RNG " not installed");
        return;
    }
    valid = validate(sc->native ? libvirtSchema : extendedSchema, sc->path, msgs);
    if (valid != expectValid) {
        g_test_message("%s: expected %s against %s, got %s%s", sc->path,
                       expectValid ? "valid" : "invalid",
                       sc->native ? "libvirt's domain.rng" : "autoballoon.rng",
                       valid ? "valid" : "invalid: ", msgs->str);
        g_test_fail();
    }
}

/* The extended documents are not libvirt's: its own schema must refuse
 * every one that uses the extension, or the extension tests nothing. */
static void
testLibvirtRefusesExtension(void)
{
    const char *cases[] = { "minimal-on.xml", "full-policy.xml", "off-minimal.xml" };

    if (!libvirtSchema) {
        g_test_skip(LIBVIRT_DOMAIN_RNG " not installed");
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_build_filename(datadir, cases[i], NULL);
        g_autoptr(GString) msgs = g_string_new(NULL);

        g_assert_false(validate(libvirtSchema, path, msgs));
    }
}

static void
skipCase(gconstpointer data)
{
    g_test_skip(LIBVIRT_DOMAIN_RNG " not installed");
}

static void
freeCase(gpointer data)
{
    SchemaCase *sc = data;

    g_free(sc->path);
    g_free(sc->name);
    g_free(sc);
}

static int
compareCases(gconstpointer a, gconstpointer b)
{
    const SchemaCase *x = *(SchemaCase *const *)a;
    const SchemaCase *y = *(SchemaCase *const *)b;

    return strcmp(x->path, y->path);
}

static void
collectCases(const char *root, const char *set, GPtrArray *cases)
{
    g_autofree char *dirpath = g_build_filename(root, "tests", set, NULL);
    g_autoptr(GDir) dir = g_dir_open(dirpath, 0, NULL);
    const char *file;

    g_assert_nonnull(dir);
    while ((file = g_dir_read_name(dir))) {
        SchemaCase *sc;

        if (!g_str_has_suffix(file, ".xml"))
            continue;
        sc = g_new0(SchemaCase, 1);
        sc->path = g_build_filename(dirpath, file, NULL);
        sc->set = set;
        sc->native = g_str_has_suffix(file, ".native.xml");
        sc->name = g_strndup(file, strlen(file) - strlen(sc->native ? ".native.xml" : ".xml"));
        g_ptr_array_add(cases, sc);
    }
}

int
main(int argc, char **argv)
{
    const char *root = abTestSourceRoot();
    g_autofree char *rng = NULL;
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(freeCase);
    int ret;

    g_test_init(&argc, &argv, NULL);
    datadir = abTestDataPath("xml2xmldata", NULL);
    rng = g_build_filename(root, "docs", "schemas", "autoballoon.rng", NULL);

    if (g_file_test(LIBVIRT_DOMAIN_RNG, G_FILE_TEST_EXISTS)) {
        libvirtSchema = loadSchema(LIBVIRT_DOMAIN_RNG);
        g_assert_nonnull(libvirtSchema);
        /* ours includes libvirt's installed grammar */
        extendedSchema = loadSchema(rng);
        g_assert_nonnull(extendedSchema);
    }

    collectCases(root, "xml2xmldata", cases);
    collectCases(root, "qemuxml2argvdata", cases);
    g_ptr_array_sort(cases, compareCases);

    for (guint i = 0; i < cases->len; i++) {
        SchemaCase *sc = cases->pdata[i];
        /* the xml2xml cases keep their historical names */
        g_autofree char *path = g_strdup_printf("/schema/%s%s/%s",
                                                strcmp(sc->set, "xml2xmldata") ? "qemu/" : "",
                                                sc->native ? "native" : "extended", sc->name);

        if (!extendedSchema) {
            g_test_add_data_func(path, sc, skipCase);
            continue;
        }
        g_test_add_data_func(path, sc, testSchema);
    }
    g_test_add_func("/schema/libvirt-refuses-extension", testLibvirtRefusesExtension);

    ret = g_test_run();
    xmlRelaxNGFree(extendedSchema);
    xmlRelaxNGFree(libvirtSchema);
    g_free(datadir);
    return ret;
}
