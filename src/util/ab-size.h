/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-size.h: memory sizes with units, read exactly as libvirt reads them */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Units accepted, as libvirt's virScaleInteger: b, bytes, k, KiB, KB, M, MiB,
 * MB, G, GiB, GB, T, TiB, TB, P, PiB, PB, E, EiB, EB (case-insensitive).
 * "KB", "MB", ... are powers of 1000; the single letters and "KiB"... are
 * powers of 1024. */

/* Scale factor of @unit in bytes; @unit NULL or "" gives @defaultScale.
 * Returns 0 and sets @scale, or -1 with @error naming the unit. */
/* Every unit abSizeUnitScale takes, for messages. */
#define AB_SIZE_UNITS "b, bytes, KB, k, KiB, MB, M, MiB, GB, G, GiB, TB, T, TiB, " \
    "PB, P, PiB, EB, E, EiB"

int abSizeUnitScale(const char *unit, unsigned long long defaultScale,
                    unsigned long long *scale, GError **error);

/* @value (decimal digits only) times the unit's scale, in bytes, with
 * overflow detection. @what names the field in the error message. */
int abSizeParse(const char *what, const char *value, const char *unit,
                unsigned long long defaultScale, unsigned long long *bytes,
                GError **error);

/* A virsh-style size: "512", "512M", "1GiB", "100MB"; no suffix means
 * @defaultScale (virsh uses KiB for memory). @what NULL: the message says
 * only what is wrong, for a caller that names the field and value itself. */
int abSizeParseScaled(const char *what, const char *str,
                      unsigned long long defaultScale,
                      unsigned long long *bytes, GError **error);

/* Human-readable form of a size in KiB: "512 MiB", "1.5 GiB", "100 KiB". */
char *abSizeFormatKiB(unsigned long long kib);

/* Largest binary unit that divides @bytes exactly: returns value and sets
 * @unit to "bytes", "KiB", "MiB", "GiB" or "TiB". */
unsigned long long abSizeExact(unsigned long long bytes, const char **unit);

/* Percentages of a guest's <memory>, for the policy sizes that scale with
 * the guest ("25%" in the daemon's config and on the command line,
 * <floor unit='%'>25</floor> in the XML): hundredths of a percent, so
 * that 12.5 % (the default reserve) is exact. */
#define AB_SIZE_PERCENT_ONE 100         /* 1 % in hundredths */
#define AB_SIZE_PERCENT_ALL 10000       /* 100 % */

/* Whether @str is written as a percentage: it ends with '%'. */
bool abSizeIsPercent(const char *str);

/* @number (digits, an optional '.' and at most two more digits, an
 * optional trailing '%') as hundredths of a percent, more than 0 and at
 * most 100 %. @what names the field in the message. */
int abSizePercentParse(const char *what, const char *number,
                       unsigned int *hundredths, GError **error);

/* The shortest decimal form: 2500 -> "25", 1250 -> "12.5". */
char *abSizePercentFormat(unsigned int hundredths);

/* @hundredths of @kib, rounded down to whole KiB; no overflow for any
 * 64-bit @kib. */
unsigned long long abSizePercentOf(unsigned int hundredths, unsigned long long kib);
