/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the virtio-mem backend's pure parts: a target mapped to a
 * requested-size, and the device read from and written to domain XML. */
#include "ab-daemon-backend.h"
#include "ab-error.h"

#include <string.h>
#include "testutils.h"

#define MiB 1024ULL

typedef struct {
    const char *what;
    unsigned long long target, base, size, block;
    bool shrink;
    unsigned long long want;
} RequestCase;

static void
testRequested(void)
{
    static const RequestCase cases[] = {
        { "exact", 768 * MiB, 512 * MiB, 1024 * MiB, 2 * MiB, false, 256 * MiB },
        { "grow rounds up", 513 * MiB, 512 * MiB, 1024 * MiB, 2 * MiB, false, 2 * MiB },
        { "shrink rounds down", 515 * MiB, 512 * MiB, 1024 * MiB, 2 * MiB, true, 2 * MiB },
        { "below boot memory: all unplugged", 300 * MiB, 512 * MiB, 1024 * MiB, 2 * MiB, true, 0 },
        { "at boot memory", 512 * MiB, 512 * MiB, 1024 * MiB, 2 * MiB, true, 0 },
        { "above the device", 4096 * MiB, 512 * MiB, 1024 * MiB, 2 * MiB, false, 1024 * MiB },
        { "grow capped by the device", 1535 * MiB, 512 * MiB, 1024 * MiB, 128 * MiB, false, 1024 * MiB },
        { "large block", 700 * MiB, 512 * MiB, 1024 * MiB, 128 * MiB, false, 256 * MiB },
        { "large block, shrink", 700 * MiB, 512 * MiB, 1024 * MiB, 128 * MiB, true, 128 * MiB },
        { "no block: 2 MiB", 601 * MiB, 512 * MiB, 1024 * MiB, 0, false, 90 * MiB },
        { "size not a block multiple", 4096 * MiB, 0, 1023 * MiB, 2 * MiB, false, 1022 * MiB },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const RequestCase *c = &cases[i];
        unsigned long long got = abDaemonVirtioMemRequested(c->target, c->base, c->size,
                                                            c->block, c->shrink);

        if (got != c->want)
            g_test_message("%s: got %llu KiB, want %llu KiB", c->what, got, c->want);
        g_assert_cmpuint(got, ==, c->want);
        /* every answer is a whole number of blocks and fits the device */
        g_assert_cmpuint(got % (c->block ? c->block : 2 * MiB), ==, 0);
        g_assert_cmpuint(got, <=, c->size);
    }
}

static const char domainXml[] =
    "<domain type='kvm'>\n"
    "  <name>vm</name>\n"
    "  <memory unit='KiB'>1572864</memory>\n"
    "  <devices>\n"
    "    <memory model='dimm'><target><size unit='MiB'>128</size><node>0</node></target></memory>\n"
    "    <memory model='virtio-mem'>\n"
    "      <target>\n"
    "        <size unit='KiB'>1048576</size>\n"
    "        <node>0</node>\n"
    "        <block unit='KiB'>2048</block>\n"
    "        <requested unit='KiB'>262144</requested>\n"
    "        <current unit='KiB'>131072</current>\n"
    "      </target>\n"
    "      <alias name='virtiomem0'/>\n"
    "      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>\n"
    "    </memory>\n"
    "  </devices>\n"
    "</domain>\n";

static void
testFromDomain(void)
{
    g_autoptr(GError) err = NULL;
    abConfVirtioMem dev;
    g_autofree char *req = NULL;
    abConfVirtioMem back;
    g_autofree char *wrapped = NULL;

    g_assert_cmpint(abConfVirtioMemFromDomain(domainXml, 0, &dev, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(dev.memoryKiB, ==, 1536 * MiB);
    g_assert_cmpuint(dev.sizeKiB, ==, 1024 * MiB);
    g_assert_cmpuint(dev.blockKiB, ==, 2 * MiB);
    g_assert_cmpuint(dev.requestedKiB, ==, 256 * MiB);
    g_assert_true(dev.hasCurrent);
    g_assert_cmpuint(dev.currentKiB, ==, 128 * MiB);
    g_assert_cmpstr(dev.alias, ==, "virtiomem0");

    /* the update changes <requested> and nothing else */
    req = abConfVirtioMemRequestXML(&dev, 640 * MiB, &err);
    g_assert_no_error(err);
    g_assert_nonnull(strstr(req, "<alias name=\"virtiomem0\"/>"));
    g_assert_nonnull(strstr(req, "<address type=\"pci\""));
    wrapped = g_strdup_printf("<domain><name>vm</name><memory unit='KiB'>1572864</memory>"
                              "<devices>%s</devices></domain>", req);
    g_assert_cmpint(abConfVirtioMemFromDomain(wrapped, 0, &back, &err), ==, 0);
    g_assert_no_error(err);
    g_assert_cmpuint(back.requestedKiB, ==, 640 * MiB);
    g_assert_cmpuint(back.sizeKiB, ==, dev.sizeKiB);
    g_assert_cmpuint(back.blockKiB, ==, dev.blockKiB);
    g_assert_cmpuint(back.currentKiB, ==, dev.currentKiB);
    abConfVirtioMemClear(&back);
    abConfVirtioMemClear(&dev);

    /* no second virtio-mem device: the message names the domain and index */
    g_assert_cmpint(abConfVirtioMemFromDomain(domainXml, 1, &dev, &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
    g_assert_nonnull(strstr(err->message, "domain 'vm'"));
    g_assert_nonnull(strstr(err->message, "number 1"));
}

static const AbTestFunc tests[] = {
    { "/daemon-backend/virtio-mem/requested", testRequested },
    { "/daemon-backend/virtio-mem/from-domain", testFromDomain },
};

AB_TEST_MAIN(tests, NULL)
