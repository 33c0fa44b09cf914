/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-pressure-injected.c: pressure levels set by hand, with an expiry */
#include "ab-pressure.h"

typedef struct {
    abLevel level;
    gint64 expiry;   /* 0: none */
} abInjectedEntry;

struct _abPressureInjected {
    GHashTable *byKey;      /* char * -> abInjectedEntry * */
    abInjectedEntry all;
};

abPressureInjected *
abPressureInjectedNew(void)
{
    abPressureInjected *inj = g_new0(abPressureInjected, 1);
    inj->byKey = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    return inj;
}

void
abPressureInjectedFree(abPressureInjected *inj)
{
    if (!inj)
        return;
    g_hash_table_unref(inj->byKey);
    g_free(inj);
}

void
abPressureInjectedSet(abPressureInjected *inj, const char *key,
                      abLevel level, gint64 expiry)
{
    g_return_if_fail(level >= AB_LEVEL_NONE && level < AB_LEVEL_LAST);
    if (!key) {
        inj->all.level = level;
        inj->all.expiry = expiry;
    } else if (level == AB_LEVEL_NONE) {
        g_hash_table_remove(inj->byKey, key);
    } else {
        abInjectedEntry *e = g_new0(abInjectedEntry, 1);
        e->level = level;
        e->expiry = expiry;
        g_hash_table_replace(inj->byKey, g_strdup(key), e);
    }
}

static bool
abInjectedExpired(const abInjectedEntry *e, gint64 now)
{
    return e->expiry != 0 && e->expiry <= now;
}

static gboolean
abInjectedExpiredCb(gpointer key, gpointer value, gpointer opaque)
{
    return abInjectedExpired(value, *(gint64 *)opaque);
}

guint
abPressureInjectedExpire(abPressureInjected *inj, gint64 now)
{
    guint n = g_hash_table_foreach_remove(inj->byKey, abInjectedExpiredCb, &now);
    if (inj->all.level != AB_LEVEL_NONE && abInjectedExpired(&inj->all, now)) {
        inj->all.level = AB_LEVEL_NONE;
        inj->all.expiry = 0;
        n++;
    }
    return n;
}

abLevel
abPressureInjectedGet(abPressureInjected *inj, const char *key, gint64 now)
{
    abLevel level = AB_LEVEL_NONE;
    abInjectedEntry *e;

    if (!abInjectedExpired(&inj->all, now))
        level = inj->all.level;
    if (key && (e = g_hash_table_lookup(inj->byKey, key)) &&
        !abInjectedExpired(e, now))
        level = MAX(level, e->level);
    return level;
}
