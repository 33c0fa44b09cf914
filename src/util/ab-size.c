/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ab-size.h"
#include "ab-error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
abSizeUnitScale(const char *unit, unsigned long long defaultScale,
                unsigned long long *scale, GError **error)
{
    unsigned long long base;
    int exp;

    if (!unit || !*unit) {
        *scale = defaultScale;
        return 0;
    }

    if (g_ascii_strcasecmp(unit, "b") == 0 ||
        g_ascii_strcasecmp(unit, "byte") == 0 ||
        g_ascii_strcasecmp(unit, "bytes") == 0) {
        *scale = 1;
        return 0;
    }

    switch (g_ascii_tolower(unit[0])) {
    case 'k': exp = 1; break;
    case 'm': exp = 2; break;
    case 'g': exp = 3; break;
    case 't': exp = 4; break;
    case 'p': exp = 5; break;
    case 'e': exp = 6; break;
    default: exp = 0; break;
    }

    if (exp == 0)
        goto invalid;
    if (unit[1] == '\0' || g_ascii_strcasecmp(unit + 1, "ib") == 0)
        base = 1024;
    else if (g_ascii_strcasecmp(unit + 1, "b") == 0)
        base = 1000;
    else
        goto invalid;

    *scale = 1;
    while (exp--)
        *scale *= base;
    return 0;

 invalid:
    g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                "unknown unit '%s' (expected one of " AB_SIZE_UNITS ")",
                unit);
    return -1;
}

static int
abSizeParseNumber(const char *what, const char *value, const char **end,
                  unsigned long long *number, GError **error)
{
    char *p = NULL;

    if (!value || !g_ascii_isdigit(value[0])) {
        if (!what)
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "expected a non-negative integer");
        else
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "invalid %s '%s': expected a non-negative integer",
                        what, value ? value : "");
        return -1;
    }
    errno = 0;
    *number = g_ascii_strtoull(value, &p, 10);
    if (errno == ERANGE) {
        if (!what)
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "number too large");
        else
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "invalid %s '%s': number too large", what, value);
        return -1;
    }
    *end = p;
    return 0;
}

static int
abSizeScale(const char *what, const char *value, unsigned long long number,
            unsigned long long scale, unsigned long long *bytes, GError **error)
{
    if (scale != 0 && number > G_MAXUINT64 / scale) {
        if (!what)
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "size overflows");
        else
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "invalid %s '%s': size overflows", what, value);
        return -1;
    }
    *bytes = number * scale;
    return 0;
}

int
abSizeParse(const char *what, const char *value, const char *unit,
            unsigned long long defaultScale, unsigned long long *bytes,
            GError **error)
{
    unsigned long long number, scale;
    const char *end;
    g_autoptr(GError) uniterr = NULL;

    if (abSizeParseNumber(what, value, &end, &number, error) < 0)
        return -1;
    if (*end != '\0') {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid %s '%s': expected a non-negative integer", what, value);
        return -1;
    }
    if (abSizeUnitScale(unit, defaultScale, &scale, &uniterr) < 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid unit of %s: %s", what, uniterr->message);
        return -1;
    }
    return abSizeScale(what, value, number, scale, bytes, error);
}

int
abSizeParseScaled(const char *what, const char *str,
                  unsigned long long defaultScale,
                  unsigned long long *bytes, GError **error)
{
    unsigned long long number, scale;
    const char *end;
    g_autoptr(GError) uniterr = NULL;

    if (abSizeParseNumber(what, str, &end, &number, error) < 0)
        return -1;
    if (abSizeUnitScale(end, defaultScale, &scale, &uniterr) < 0) {
        if (!what) {
            g_propagate_error(error, g_steal_pointer(&uniterr));
            return -1;
        }
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid %s '%s': %s", what, str, uniterr->message);
        return -1;
    }
    return abSizeScale(what, str, number, scale, bytes, error);
}

unsigned long long
abSizeExact(unsigned long long bytes, const char **unit)
{
    static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
    size_t i = 0;

    while (i + 1 < G_N_ELEMENTS(units) && bytes != 0 && bytes % 1024 == 0) {
        bytes /= 1024;
        i++;
    }
    *unit = units[i];
    return bytes;
}

char *
abSizeFormatKiB(unsigned long long kib)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
    double v = kib;
    size_t i = 0;

    /* step up as soon as one decimal would round to 1024.0 */
    while (i + 1 < G_N_ELEMENTS(units) && v >= 1023.95) {
        v /= 1024.0;
        i++;
    }
    if (v == (double)(unsigned long long)v)
        return g_strdup_printf("%llu %s", (unsigned long long)v, units[i]);
    return g_strdup_printf("%.1f %s", v, units[i]);
}

bool
abSizeIsPercent(const char *str)
{
    return str && g_str_has_suffix(str, "%");
}

int
abSizePercentParse(const char *what, const char *number,
                   unsigned int *hundredths, GError **error)
{
    const char *p = number ? number : "";
    unsigned long long whole = 0;
    unsigned int frac = 0;
    int fracDigits = 0;

    if (!g_ascii_isdigit(*p))
        goto invalid;
    while (g_ascii_isdigit(*p) && whole <= 100)
        whole = whole * 10 + (*p++ - '0');
    if (*p == '.') {
        p++;
        while (g_ascii_isdigit(*p) && fracDigits < 2) {
            frac = frac * 10 + (*p++ - '0');
            fracDigits++;
        }
        if (fracDigits == 0)
            goto invalid;
        if (fracDigits == 1)
            frac *= 10;
    }
    if (*p == '%')
        p++;
    if (*p != '\0')
        goto invalid;
    if (whole > 100 || whole * AB_SIZE_PERCENT_ONE + frac > AB_SIZE_PERCENT_ALL ||
        whole * AB_SIZE_PERCENT_ONE + frac == 0) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "invalid %s '%s': a percentage of <memory> is more than 0 and at most 100",
                    what, number);
        return -1;
    }
    *hundredths = whole * AB_SIZE_PERCENT_ONE + frac;
    return 0;

 invalid:
    g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                "invalid %s '%s': expected a percentage such as 25%% or 12.5%%",
                what, number ? number : "");
    return -1;
}

char *
abSizePercentFormat(unsigned int hundredths)
{
    unsigned int whole = hundredths / AB_SIZE_PERCENT_ONE;
    unsigned int frac = hundredths % AB_SIZE_PERCENT_ONE;

    if (frac == 0)
        return g_strdup_printf("%u", whole);
    if (frac % 10 == 0)
        return g_strdup_printf("%u.%u", whole, frac / 10);
    return g_strdup_printf("%u.%02u", whole, frac);
}

unsigned long long
abSizePercentOf(unsigned int hundredths, unsigned long long kib)
{
    /* split as the default floor is, so that a huge size cannot overflow */
    return kib / AB_SIZE_PERCENT_ALL * hundredths +
           kib % AB_SIZE_PERCENT_ALL * hundredths / AB_SIZE_PERCENT_ALL;
}
