/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* autoballoond's memory does not grow with the domains that come and go
 * (fault 9 of issue 15): 10 000 domains with a policy defined and
 * undefined on libvirt's test driver, one after the other (every tenth one
 * started, managed, ticked and destroyed in between),
 * through the daemon's own connection and events. Every table keyed by a
 * domain must forget it; the heap after the churn is the heap before it. */
#include "test-daemon-fixture.h"

#include <stdio.h>

#if defined(__SANITIZE_ADDRESS__)
/* libasan's (sanitizer/allocator_interface.h, not always installed): live
 * bytes, the quarantine of freed blocks not counted */
size_t __sanitizer_get_current_allocated_bytes(void);

static size_t
heapBytes(void)
{
    return __sanitizer_get_current_allocated_bytes();
}
#else
# include <malloc.h>
static size_t
heapBytes(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}
#endif

#define CHURN_DOMAINS 10000u
#define CHURN_WARMUP 1000u
/* What may be left over (allocator rounding, GLib's and libvirt's caches):
 * 8 bytes kept per domain would be 72 000 bytes. */
#define CHURN_GROWTH_BOUND (64 * 1024)

static long
rssKiB(void)
{
    g_autofree char *text = NULL;
    const char *p;

    if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL) ||
        !(p = strstr(text, "VmRSS:")))
        return -1;
    return strtol(p + 6, NULL, 10);
}

static void
churnOne(Fixture *f, unsigned int i)
{
    g_autofree char *xml = g_strdup_printf(
        "<domain type='test'><name>churn-%u</name>"
        "<metadata><autoballoon:policy xmlns:autoballoon='%s' state='on'/></metadata>"
        "<memory unit='MiB'>256</memory><currentMemory unit='MiB'>256</currentMemory>"
        "<vcpu>1</vcpu><os><type>hvm</type></os>"
        "<devices><memballoon model='virtio'/></devices></domain>",
        i, AB_NS_POLICY_URI);
    virDomainPtr dom = virDomainDefineXML(f->conn, xml);

    g_assert_nonnull(dom);
    /* every tenth one runs, and is managed and ticked, before it goes */
    if (i % 10 == 0) {
        g_assert_cmpint(virDomainCreate(dom), ==, 0);
        drainEvents();
        tick(f, 1);
        g_assert_cmpint(virDomainDestroy(dom), ==, 0);
    }
    drainEvents();
    g_assert_cmpint(virDomainUndefine(dom), ==, 0);
    virDomainFree(dom);
    drainEvents();
}

static void
testChurn(Fixture *f, gconstpointer data)
{
    size_t before, after;
    long rssBefore, rssAfter;
    unsigned int managed = abDaemonCountManaged(f->daemon);
    unsigned int i;

    for (i = 0; i < CHURN_WARMUP; i++) {
        churnOne(f, i);
        if (i % 500 == 0)
            testLogClear();
    }
    testLogClear();
    before = heapBytes();
    rssBefore = rssKiB();
    for (; i < CHURN_DOMAINS; i++) {
        churnOne(f, i);
        /* the test's own log capture must not grow either */
        if (i % 500 == 0)
            testLogClear();
    }
    /* each one was managed while it ran */
    {
        g_autofree char *last = g_strdup_printf("churn-%u: managed", i - 10);

        assertLogged(last);
    }
    testLogClear();
    after = heapBytes();
    rssAfter = rssKiB();

    g_test_message("heap %zu -> %zu bytes, RSS %ld -> %ld KiB over %u domains",
                   before, after, rssBefore, rssAfter, CHURN_DOMAINS - CHURN_WARMUP);
    printf("# figure heap_growth_bytes=%lld\n# figure rss_kib=%ld..%ld\n",
           (long long) after - (long long) before, rssBefore, rssAfter);
    g_assert_false(info(f, "churn-1").known);
    g_assert_false(info(f, "churn-9999").known);
    g_assert_cmpuint(abDaemonCountManaged(f->daemon), ==, managed);
    g_assert_cmpint((long long) after - (long long) before, <, CHURN_GROWTH_BOUND);
}

static const FixtureTest tests[] = {
    { "/daemon-churn/define-undefine-10000", testChurn },
};

FIXTURE_MAIN(tests)
