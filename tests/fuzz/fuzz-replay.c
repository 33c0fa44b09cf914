/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-replay: feeds every file of the directories (or files) given to
 * LLVMFuzzerTestOneInput, once each, in name order. Linked with each fuzz
 * target in the normal (gcc, ASan/UBSan) build, so that make check replays
 * the corpora and the regression inputs without clang. TAP output. */
#include "fuzz.h"

#include <stdio.h>

static int
replayFile(const char *path, unsigned int n)
{
    g_autofree char *data = NULL;
    g_autoptr(GError) err = NULL;
    gsize len;

    if (!g_file_get_contents(path, &data, &len, &err)) {
        printf("not ok %u - %s: %s\n", n, path, err->message);
        return -1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *) data, len);
    printf("ok %u - %s\n", n, path);
    return 0;
}

static gint
comparePaths(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void
collect(const char *path, GPtrArray *files)
{
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_ptr_array_add(files, g_strdup(path));
        return;
    }
    if (!(dir = g_dir_open(path, 0, NULL)))
        return;
    while ((name = g_dir_read_name(dir))) {
        if (name[0] != '.')
            g_ptr_array_add(names, g_build_filename(path, name, NULL));
    }
    g_ptr_array_sort(names, comparePaths);
    for (guint i = 0; i < names->len; i++) {
        const char *p = g_ptr_array_index(names, i);

        if (g_file_test(p, G_FILE_TEST_IS_REGULAR))
            g_ptr_array_add(files, g_strdup(p));
    }
}

int
main(int argc, char **argv)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    int ret = 0;

    /* the target sets up logging at its first input (fuzzInit) */
    for (int i = 1; i < argc; i++)
        collect(argv[i], files);
    printf("1..%u\n", files->len);
    if (files->len == 0) {
        /* an empty corpus replays nothing: a broken path, not a pass */
        printf("Bail out! no corpus file found\n");
        return 1;
    }
    for (guint i = 0; i < files->len; i++) {
        if (replayFile(g_ptr_array_index(files, i), i + 1) < 0)
            ret = 1;
    }
    return ret;
}
