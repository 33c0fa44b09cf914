/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz.h: what every libFuzzer target of tests/fuzz shares. A target
 * defines LLVMFuzzerTestOneInput; it is linked either with libFuzzer
 * (-Dfuzz=true, clang) or with fuzz-replay.c, which feeds it the files of
 * its corpus (make check). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static GLogWriterOutput
fuzzLogWriter(GLogLevelFlags level, const GLogField *fields, gsize n, gpointer opaque)
{
    /* A critical is a g_return_if_fail() that fired: a bug, as a crash
     * would be. Everything else (the warnings bad input causes) is noise. */
    if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)) {
        g_log_writer_standard_streams(level, fields, n, opaque);
        abort();
    }
    return G_LOG_WRITER_HANDLED;
}

static inline void
fuzzInit(void)
{
    static bool done;

    if (done)
        return;
    done = true;
    g_log_set_writer_func(fuzzLogWriter, NULL, NULL);
}

/* The input as a C string: parsers of text take NUL-terminated strings;
 * an embedded NUL ends the text early, as it would for the real caller. */
static inline char *
fuzzString(const uint8_t *data, size_t size)
{
    char *s = g_malloc(size + 1);

    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* fuzzInit(), then the input as a C string (fuzzString), or NULL when
 * it is longer than @max bytes: no real caller reads that much, and the
 * fuzzer's time is better spent on shorter inputs. */
static inline char *
fuzzText(const uint8_t *data, size_t size, size_t max)
{
    fuzzInit();
    if (size > max)
        return NULL;
    return fuzzString(data, size);
}

/* A broken invariant: report it the way a sanitizer would, so that the
 * input is kept as a crash. */
#define fuzzAssert(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz invariant failed: %s: ", #cond); \
            fprintf(stderr, __VA_ARGS__); \
            fprintf(stderr, "\n"); \
            abort(); \
        } \
    } while (0)
