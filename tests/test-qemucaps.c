/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for src/qemu/ab-qemu-caps: the device-help parser on recorded
 * listings, the probe on the installed QEMU, and the per-binary cache. */
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <utime.h>

#include "ab-config.h"
#include "ab-error.h"
#include "ab-qemu-caps.h"

#include "testutils.h"

#define F(cap) AB_QEMU_CAP_FLAG(AB_QEMU_CAP_ ## cap)
#define M(cap) AB_QEMU_CAP_FLAG(AB_QEMU_MEM_CAP_ ## cap)

#define fixturePath(name) abTestDataPath("qemucapsdata", name)
#define readFixture(name) abTestReadData("qemucapsdata", name)

typedef struct {
    const char *file;
    guint flags;
    bool virtioMem;             /* a virtio-mem-pci listing */
} ParseCase;

static int
parseHelp(const ParseCase *tc, const char *text, guint *flags, GError **error)
{
    if (tc->virtioMem)
        return abQemuCapsParseVirtioMemHelp(text, flags, error);
    return abQemuCapsParseDeviceHelp(text, AB_QEMU_BALLOON_DEVICE, flags, error);
}

static void
testParse(gconstpointer opaque)
{
    const ParseCase *tc = opaque;
    g_autofree char *text = readFixture(tc->file);
    g_autoptr(GError) err = NULL;
    guint flags = 0xdead;

    g_assert_cmpint(parseHelp(tc, text, &flags, &err), ==, 0);
    g_assert_no_error(err);
    if (flags != tc->flags) {
        g_autofree char *got = tc->virtioMem ? abQemuCapsMemFlagsFormat(flags)
                                             : abQemuCapsFlagsFormat(flags);
        g_autofree char *want = tc->virtioMem ? abQemuCapsMemFlagsFormat(tc->flags)
                                              : abQemuCapsFlagsFormat(tc->flags);
        g_test_message("%s: got '%s', want '%s'", tc->file, got, want);
    }
    g_assert_cmphex(flags, ==, tc->flags);
    if (tc->virtioMem) {
        /* a balloon listing is not a virtio-mem one */
        g_clear_pointer(&text, g_free);
        text = readFixture("qemu-7.2.22-debian12.help");
        g_assert_cmpint(abQemuCapsParseVirtioMemHelp(text, &flags, &err), ==, -1);
        g_assert_error(err, AB_ERROR, AB_ERROR_UNSUPPORTED);
    }
}

static void
testParseNotFound(void)
{
    g_autofree char *text = readFixture("synthetic-not-found.help");
    g_autoptr(GError) err = NULL;
    guint flags = 0;

    g_assert_cmpint(abQemuCapsParseDeviceHelp(text, AB_QEMU_BALLOON_DEVICE,
                                              &flags, &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_UNSUPPORTED);
    g_assert_nonnull(strstr(err->message, "not found"));
    g_clear_error(&err);
    g_assert_cmpint(abQemuCapsParseDeviceHelp("", AB_QEMU_BALLOON_DEVICE,
                                              &flags, &err), ==, -1);
    g_assert_error(err, AB_ERROR, AB_ERROR_UNSUPPORTED);
}

/* A property name that only contains a known one must not match it. */
static void
testParseExactNames(void)
{
    const char *text = "virtio-balloon-pci options:\n"
                       "  x-automatic=<bool>\n"
                       "  deflate-on-oom-x=<bool>\n"
                       "  free-page-hint=<bool> - on/off\n";
    guint flags = 0;

    g_assert_cmpint(abQemuCapsParseDeviceHelp(text, AB_QEMU_BALLOON_DEVICE,
                                              &flags, NULL), ==, 0);
    g_assert_cmphex(flags, ==, F(FREE_PAGE_HINT));
}

static void
testEnum(void)
{
    g_assert_cmpstr(abQemuCapToString(AB_QEMU_CAP_AUTO_BALLOON), ==, "auto-balloon");
    g_assert_cmpstr(abQemuCapToString(AB_QEMU_CAP_AUTOMATIC), ==, "automatic");
    g_assert_cmpint(abQemuCapFromString("free-page-reporting"), ==,
                    AB_QEMU_CAP_FREE_PAGE_REPORTING);
    g_assert_cmpint(abQemuCapFromString("bogus"), ==, -1);
    g_assert_null(abQemuCapToString(AB_QEMU_CAP_LAST));
    for (int i = 0; i < AB_QEMU_MEM_CAP_LAST; i++)
        g_assert_cmpint(abQemuMemCapFromString(abQemuMemCapToString(i)), ==, i);
    g_assert_cmpint(abQemuMemCapFromString("deflate-on-oom"), ==, -1);
    for (int i = 0; i < AB_QEMU_CAP_LAST; i++)
        g_assert_cmpint(abQemuCapFromString(abQemuCapToString(i)), ==, i);
}

static void
testAutomaticProperty(void)
{
    g_autoptr(abQemuCaps) caps = abQemuCapsNew("/x");

    g_assert_null(abQemuCapsAutomaticProperty(caps));
    caps->flags = F(AUTO_BALLOON);
    g_assert_cmpstr(abQemuCapsAutomaticProperty(caps), ==, "auto-balloon");
    caps->flags |= F(AUTOMATIC);
    g_assert_cmpstr(abQemuCapsAutomaticProperty(caps), ==, "automatic");
}

/* The installed QEMU answers what its recorded listing says, when the
 * recording is of the same version. */
static void
testProbeReal(void)
{
    const char *qemu = "/usr/bin/qemu-system-x86_64";
    g_autoptr(abQemuCaps) caps = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *version = NULL;
    g_autofree char *recorded = NULL;
    g_autofree char *out = NULL;
    const char *argv[] = { qemu, "--version", NULL };

    if (!g_file_test(qemu, G_FILE_TEST_IS_EXECUTABLE)) {
        g_test_skip("qemu-system-x86_64 is not installed");
        return;
    }
    caps = abQemuCapsProbe(qemu, &err);
    g_assert_no_error(err);
    g_assert_true(abQemuCapsHas(caps, AB_QEMU_CAP_DEFLATE_ON_OOM));
    g_assert_cmpuint(caps->size, >, 0);

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &out, NULL, NULL, NULL));
    recorded = readFixture("qemu-7.2.22-debian12.version");
    if (g_str_has_prefix(out, g_strstrip(recorded))) {
        g_autofree char *text = readFixture("qemu-7.2.22-debian12.help");
        guint flags = 0;
        g_assert_cmpint(abQemuCapsParseDeviceHelp(text, AB_QEMU_BALLOON_DEVICE,
                                                  &flags, NULL), ==, 0);
        g_assert_cmphex(caps->flags, ==, flags);
        g_clear_pointer(&text, g_free);
        text = readFixture("qemu-7.2.22-debian12.virtio-mem.help");
        g_assert_cmpint(abQemuCapsParseVirtioMemHelp(text, &flags, NULL), ==, 0);
        g_assert_cmphex(caps->memFlags, ==, flags);
    }
    /* QEMU 7.2 has virtio-mem with everything the backend uses */
    g_assert_true(abQemuCapsHasMem(caps, AB_QEMU_MEM_CAP_REQUESTED_SIZE));
    g_assert_true(abQemuCapsHasMem(caps, AB_QEMU_MEM_CAP_BLOCK_SIZE));
}

static void
testProbeErrors(void)
{
    g_autoptr(GError) err = NULL;

    g_assert_null(abQemuCapsProbe("/nonexistent/qemu", &err));
    g_assert_error(err, AB_ERROR, AB_ERROR_SYSTEM);
    g_assert_nonnull(strstr(err->message, "/nonexistent/qemu"));
    g_clear_error(&err);
    g_assert_null(abQemuCapsProbe("qemu-system-x86_64", &err));
    g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
}

/* A fake QEMU: prints a fixture and counts its runs in a file. Asked
 * about virtio-mem it prints the fixture's .virtio-mem.help sibling, or
 * fails as a QEMU without the device does; those runs are not counted, so
 * the count is the number of probes. */
typedef struct {
    char *dir;
    char *binary;
    char *counter;
} FakeQemu;

static void
fakeQemuWrite(FakeQemu *fq, const char *fixture, int exitCode)
{
    g_autofree char *fixpath = fixturePath(fixture);
    g_autofree char *base = g_strndup(fixpath, strlen(fixpath) - strlen(".help"));
    g_autofree char *script = g_strdup_printf(
        "#!/bin/sh\n"
        "case \"$2\" in virtio-mem-pci,*)\n"
        "  cat '%s.virtio-mem.help' 2>/dev/null && exit 0\n"
        "  echo \"qemu: Device 'virtio-mem-pci' not found\" >&2; exit 1;;\n"
        "esac\n"
        "echo run >> '%s'\ncat '%s'\nexit %d\n",
        base, fq->counter, fixpath, exitCode);
    g_autoptr(GError) err = NULL;

    g_file_set_contents(fq->binary, script, -1, &err);
    g_assert_no_error(err);
    g_assert_cmpint(g_chmod(fq->binary, 0755), ==, 0);
}

static void
fakeQemuInit(FakeQemu *fq, const char *fixture)
{
    g_autoptr(GError) err = NULL;

    fq->dir = g_dir_make_tmp("abqemucaps-XXXXXX", &err);
    g_assert_no_error(err);
    fq->binary = g_build_filename(fq->dir, "qemu-fake", NULL);
    fq->counter = g_build_filename(fq->dir, "runs", NULL);
    fakeQemuWrite(fq, fixture, 0);
}

static guint
fakeQemuRuns(FakeQemu *fq)
{
    g_autofree char *data = NULL;
    guint n = 0;

    if (!g_file_get_contents(fq->counter, &data, NULL, NULL))
        return 0;
    for (char *p = data; *p; p++)
        n += *p == '\n';
    return n;
}

static void
fakeQemuClear(FakeQemu *fq)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", fq->dir);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(fq->dir);
    g_free(fq->binary);
    g_free(fq->counter);
}

static void
setMtime(const char *path, time_t when)
{
    struct utimbuf ub = { .actime = when, .modtime = when };
    g_assert_cmpint(utime(path, &ub), ==, 0);
}

static abQemuCaps *
lookup(abQemuCapsCache *cache, const char *binary, abQemuCapsSource want)
{
    g_autoptr(GError) err = NULL;
    abQemuCapsSource src = AB_QEMU_CAPS_FROM_LAST;
    abQemuCaps *caps = abQemuCapsCacheLookup(cache, binary, &src, &err);

    g_assert_no_error(err);
    g_assert_nonnull(caps);
    g_assert_cmpstr(abQemuCapsSourceToString(src), ==, abQemuCapsSourceToString(want));
    return caps;
}

static void
testCache(void)
{
    FakeQemu fq = { 0 };
    g_autofree char *cachedir = NULL;
    g_autoptr(abQemuCapsCache) cache = NULL;
    g_autoptr(abQemuCapsCache) cache2 = NULL;
    g_autoptr(abQemuCapsCache) cache3 = NULL;
    g_autoptr(abQemuCaps) c1 = NULL;
    g_autoptr(abQemuCaps) c2 = NULL;
    g_autoptr(abQemuCaps) c3 = NULL;
    g_autoptr(abQemuCaps) c4 = NULL;
    g_autoptr(abQemuCaps) c5 = NULL;

    fakeQemuInit(&fq, "qemu-7.2.22-debian12.help");
    setMtime(fq.binary, 1700000000);
    cachedir = g_build_filename(fq.dir, "cache", "autoballoon", NULL);
    cache = abQemuCapsCacheNew(cachedir);

    c1 = lookup(cache, fq.binary, AB_QEMU_CAPS_FROM_PROBE);
    g_assert_cmpuint(fakeQemuRuns(&fq), ==, 1);
    g_assert_true(abQemuCapsHas(c1, AB_QEMU_CAP_FREE_PAGE_REPORTING));
    g_assert_false(abQemuCapsHas(c1, AB_QEMU_CAP_AUTOMATIC));
    g_assert_true(abQemuCapsHasMem(c1, AB_QEMU_MEM_CAP_UNPLUGGED_INACCESSIBLE));

    c2 = lookup(cache, fq.binary, AB_QEMU_CAPS_FROM_MEMORY);
    g_assert_cmphex(c2->flags, ==, c1->flags);
    g_assert_cmpuint(fakeQemuRuns(&fq), ==, 1);

    /* A new process finds the file. */
    cache2 = abQemuCapsCacheNew(cachedir);
    c3 = lookup(cache2, fq.binary, AB_QEMU_CAPS_FROM_DISK);
    g_assert_cmphex(c3->flags, ==, c1->flags);
    g_assert_cmphex(c3->memFlags, ==, c1->memFlags);
    g_assert_cmpuint(fakeQemuRuns(&fq), ==, 1);

    /* The binary is upgraded in place: same size would be a coincidence,
     * so keep the size and change only the mtime; both caches re-probe. */
    fakeQemuWrite(&fq, "synthetic-automatic-2014.help", 0);
    setMtime(fq.binary, 1700000100);
    c4 = lookup(cache, fq.binary, AB_QEMU_CAPS_FROM_PROBE);
    g_assert_true(abQemuCapsHas(c4, AB_QEMU_CAP_AUTOMATIC));
    /* that listing has no virtio-mem sibling: a binary without the device */
    g_assert_cmphex(c4->memFlags, ==, 0);
    g_assert_cmpuint(fakeQemuRuns(&fq), ==, 2);

    /* cache2's memory entry is stale, the disk one is fresh. */
    g_clear_pointer(&c3, abQemuCapsFree);
    c3 = lookup(cache2, fq.binary, AB_QEMU_CAPS_FROM_DISK);
    g_assert_true(abQemuCapsHas(c3, AB_QEMU_CAP_AUTOMATIC));
    g_assert_cmphex(c3->memFlags, ==, 0);
    g_assert_cmpuint(fakeQemuRuns(&fq), ==, 2);

    /* A memory-only cache never touches the disk. */
    cache3 = abQemuCapsCacheNew(NULL);
    c5 = lookup(cache3, fq.binary, AB_QEMU_CAPS_FROM_PROBE);
    g_clear_pointer(&c5, abQemuCapsFree);
    c5 = lookup(cache3, fq.binary, AB_QEMU_CAPS_FROM_MEMORY);
    g_assert_cmpuint(fakeQemuRuns(&fq), ==, 3);

    fakeQemuClear(&fq);
}

/* A cache file that does not parse, or names another binary, is re-probed. */
static void
testCacheCorrupt(void)
{
    FakeQemu fq = { 0 };
    g_autofree char *cachedir = NULL;
    g_autoptr(GDir) dir = NULL;
    const char *name;
    guint files = 0;

    fakeQemuInit(&fq, "synthetic-no-free-page-reporting.help");
    cachedir = g_build_filename(fq.dir, "cache", NULL);
    {
        g_autoptr(abQemuCapsCache) cache = abQemuCapsCacheNew(cachedir);
        g_autoptr(abQemuCaps) caps = lookup(cache, fq.binary, AB_QEMU_CAPS_FROM_PROBE);
        g_assert_false(abQemuCapsHas(caps, AB_QEMU_CAP_FREE_PAGE_REPORTING));
    }
    dir = g_dir_open(cachedir, 0, NULL);
    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(cachedir, name, NULL);
        g_assert_true(g_file_set_contents(path, "[balloon]\nformat=1\nproperties=bogus;\n",
                                          -1, NULL));
        files++;
    }
    g_assert_cmpuint(files, ==, 1);
    {
        g_autoptr(abQemuCapsCache) cache = abQemuCapsCacheNew(cachedir);
        g_autoptr(abQemuCaps) caps = lookup(cache, fq.binary, AB_QEMU_CAPS_FROM_PROBE);
        g_assert_true(abQemuCapsHas(caps, AB_QEMU_CAP_FREE_PAGE_HINT));
    }
    g_assert_cmpuint(fakeQemuRuns(&fq), ==, 2);
    fakeQemuClear(&fq);
}

static void
testCacheFailingBinary(void)
{
    FakeQemu fq = { 0 };
    g_autoptr(abQemuCapsCache) cache = abQemuCapsCacheNew(NULL);
    g_autoptr(GError) err = NULL;

    fakeQemuInit(&fq, "synthetic-not-found.help");
    fakeQemuWrite(&fq, "synthetic-not-found.help", 1);
    g_assert_null(abQemuCapsCacheLookup(cache, fq.binary, NULL, &err));
    g_assert_error(err, AB_ERROR, AB_ERROR_UNSUPPORTED);
    g_assert_nonnull(strstr(err->message, fq.binary));
    fakeQemuClear(&fq);
}

int
main(int argc, char **argv)
{
    static const ParseCase parseCases[] = {
        { "qemu-7.2.22-debian12.help",
          F(DEFLATE_ON_OOM) | F(FREE_PAGE_REPORTING) | F(FREE_PAGE_HINT) |
          F(GUEST_STATS_POLLING_INTERVAL) },
        { "synthetic-automatic-2014.help",
          F(DEFLATE_ON_OOM) | F(FREE_PAGE_REPORTING) | F(FREE_PAGE_HINT) |
          F(GUEST_STATS_POLLING_INTERVAL) | F(AUTOMATIC) },
        { "synthetic-auto-balloon-2013.help", F(AUTO_BALLOON) },
        { "synthetic-no-free-page-reporting.help",
          F(DEFLATE_ON_OOM) | F(FREE_PAGE_HINT) | F(GUEST_STATS_POLLING_INTERVAL) },
    };

    static const ParseCase memCases[] = {
        { "qemu-7.2.22-debian12.virtio-mem.help",
          M(REQUESTED_SIZE) | M(BLOCK_SIZE) | M(UNPLUGGED_INACCESSIBLE) | M(PREALLOC), true },
        { "synthetic-virtio-mem-6.2.virtio-mem.help", M(REQUESTED_SIZE) | M(BLOCK_SIZE), true },
    };

    g_test_init(&argc, &argv, NULL);
    AB_TEST_ADD_CASES("/qemucaps/parse", parseCases, file, testParse);
    AB_TEST_ADD_CASES("/qemucaps/parse-virtio-mem", memCases, file, testParse);
    g_test_add_func("/qemucaps/parse/not-found", testParseNotFound);
    g_test_add_func("/qemucaps/parse/exact-names", testParseExactNames);
    g_test_add_func("/qemucaps/enum", testEnum);
    g_test_add_func("/qemucaps/automatic-property", testAutomaticProperty);
    g_test_add_func("/qemucaps/probe/real", testProbeReal);
    g_test_add_func("/qemucaps/probe/errors", testProbeErrors);
    g_test_add_func("/qemucaps/cache/keys", testCache);
    g_test_add_func("/qemucaps/cache/corrupt", testCacheCorrupt);
    g_test_add_func("/qemucaps/cache/failing-binary", testCacheFailingBinary);
    return g_test_run();
}
