/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for src/util/ab-size: units exactly as libvirt reads them. */
#include <glib.h>
#include "ab-size.h"
#include <string.h>
#include "ab-error.h"
#include "testutils.h"

static void
test_units(void)
{
    static const struct { const char *unit; unsigned long long scale; } cases[] = {
        { NULL, 1024 }, { "", 1024 },
        { "b", 1 }, { "bytes", 1 }, { "B", 1 },
        { "KB", 1000 }, { "k", 1024 }, { "KiB", 1024 }, { "K", 1024 },
        { "MB", 1000000 }, { "M", 1048576 }, { "MiB", 1048576 },
        { "GB", 1000000000ULL }, { "G", 1073741824ULL }, { "GiB", 1073741824ULL },
        { "TB", 1000000000000ULL }, { "T", 1099511627776ULL }, { "TiB", 1099511627776ULL },
        { "mib", 1048576 }, { "gb", 1000000000ULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        unsigned long long scale = 0;
        g_autoptr(GError) err = NULL;
        g_assert_cmpint(abSizeUnitScale(cases[i].unit, 1024, &scale, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpuint(scale, ==, cases[i].scale);
    }
}

static void
test_bad_units(void)
{
    static const char *bad[] = { "x", "KiBB", "Mi", "bit", "kb2", "q" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        unsigned long long scale = 0;
        g_autoptr(GError) err = NULL;
        g_assert_cmpint(abSizeUnitScale(bad[i], 1024, &scale, &err), ==, -1);
        g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        g_assert_nonnull(strstr(err->message, bad[i]));
    }
}

static void
test_parse(void)
{
    unsigned long long b = 0;
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(abSizeParse("floor", "512", "MiB", 1024, &b, &err), ==, 0);
    g_assert_cmpuint(b, ==, 512ULL << 20);
    g_assert_cmpint(abSizeParse("floor", "2", NULL, 1024, &b, &err), ==, 0);
    g_assert_cmpuint(b, ==, 2048);
    g_assert_cmpint(abSizeParse("floor", "0", "GB", 1024, &b, &err), ==, 0);
    g_assert_cmpuint(b, ==, 0);
}

static void
test_parse_errors(void)
{
    static const struct { const char *value, *unit, *needle; } cases[] = {
        { "-1", "MiB", "'-1'" },
        { "12a", "MiB", "'12a'" },
        { "", "MiB", "''" },
        { "1.5", "GiB", "'1.5'" },
        { "18446744073709551616", NULL, "too large" },
        { "17179869184", "GiB", "overflows" },   /* 2^34 GiB = 2^64 bytes */
        { "5", "parsecs", "parsecs" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        unsigned long long b = 0;
        g_autoptr(GError) err = NULL;
        g_assert_cmpint(abSizeParse("floor", cases[i].value, cases[i].unit, 1024, &b, &err), ==, -1);
        g_assert_nonnull(err);
        if (!strstr(err->message, cases[i].needle) || !strstr(err->message, "floor"))
            g_error("case %zu: message '%s' lacks '%s' or the field", i, err->message, cases[i].needle);
    }
}

static void
test_scaled(void)
{
    unsigned long long b = 0;
    g_autoptr(GError) err = NULL;

    g_assert_cmpint(abSizeParseScaled("--floor", "512M", 1024, &b, &err), ==, 0);
    g_assert_cmpuint(b, ==, 512ULL << 20);
    g_assert_cmpint(abSizeParseScaled("--floor", "1GiB", 1024, &b, &err), ==, 0);
    g_assert_cmpuint(b, ==, 1ULL << 30);
    g_assert_cmpint(abSizeParseScaled("--floor", "100MB", 1024, &b, &err), ==, 0);
    g_assert_cmpuint(b, ==, 100000000ULL);
    g_assert_cmpint(abSizeParseScaled("--floor", "4096", 1024, &b, &err), ==, 0);
    g_assert_cmpuint(b, ==, 4096ULL * 1024);
    g_assert_cmpint(abSizeParseScaled("--floor", "12x", 1024, &b, &err), ==, -1);
    g_assert_nonnull(strstr(err->message, "'12x'"));
}

static void
test_format(void)
{
    const char *unit;
    g_autofree char *a = abSizeFormatKiB(512 * 1024);
    g_autofree char *c = abSizeFormatKiB(1536 * 1024);
    g_autofree char *d = abSizeFormatKiB(100);

    g_assert_cmpstr(a, ==, "512 MiB");
    g_assert_cmpstr(c, ==, "1.5 GiB");
    g_assert_cmpstr(d, ==, "100 KiB");
    {
        /* one KiB short of 1 GiB must not print as "1024.0 MiB" */
        g_autofree char *e = abSizeFormatKiB(1048575);
        g_autofree char *f = abSizeFormatKiB(386340);

        g_assert_cmpstr(e, ==, "1.0 GiB");
        g_assert_cmpstr(f, ==, "377.3 MiB");
    }
    g_assert_cmpuint(abSizeExact(512ULL << 20, &unit), ==, 512);
    g_assert_cmpstr(unit, ==, "MiB");
    g_assert_cmpuint(abSizeExact(1000, &unit), ==, 1000);
    g_assert_cmpstr(unit, ==, "bytes");
}

static void
test_percent(void)
{
    static const struct { const char *in; unsigned int hundredths; const char *out; } good[] = {
        { "25%", 2500, "25" }, { "12.5%", 1250, "12.5" }, { "12.50", 1250, "12.5" },
        { "0.01%", 1, "0.01" }, { "100%", 10000, "100" }, { "7.05", 705, "7.05" },
    };
    static const char *const bad[] = {
        "", "%", "0%", "0.00", "100.01%", "101%", "12.345%", "1.%", ".5%", "-5%",
        "25%%", "25 %", "1e2%", "99999999999999999999%",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *str = NULL;
        unsigned int h = 0;

        g_assert_cmpint(abSizePercentParse("floor", good[i].in, &h, &err), ==, 0);
        g_assert_no_error(err);
        g_assert_cmpuint(h, ==, good[i].hundredths);
        str = abSizePercentFormat(h);
        g_assert_cmpstr(str, ==, good[i].out);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        unsigned int h = 0;

        g_assert_cmpint(abSizePercentParse("floor", bad[i], &h, &err), ==, -1);
        g_assert_error(err, AB_ERROR, AB_ERROR_INVALID);
        g_assert_nonnull(strstr(err->message, "floor"));
    }
    g_assert_true(abSizeIsPercent("25%"));
    g_assert_false(abSizeIsPercent("25M"));
    g_assert_cmpuint(abSizePercentOf(2500, 4194304), ==, 1048576);
    g_assert_cmpuint(abSizePercentOf(1250, 4194304), ==, 524288);
    g_assert_cmpuint(abSizePercentOf(10000, G_MAXUINT64 / 1024), ==, G_MAXUINT64 / 1024);
    g_assert_cmpuint(abSizePercentOf(3333, 1000), ==, 333);
}

static const AbTestFunc tests[] = {
    { "/size/units", test_units },
    { "/size/bad-units", test_bad_units },
    { "/size/parse", test_parse },
    { "/size/parse-errors", test_parse_errors },
    { "/size/scaled", test_scaled },
    { "/size/format", test_format },
    { "/size/percent", test_percent },
};

AB_TEST_MAIN(tests, NULL)
