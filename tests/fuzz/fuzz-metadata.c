/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The three metadata elements any libvirt client can write: policy,
 * injected pressure, status (src/conf). Whatever parses formats, and the
 * formatted text parses to the same text again. */
#include "fuzz.h"
#include "ab-conf.h"

/* @xml parsed and formatted by @reformat (NULL: it does not parse): what
 * it formats parses too, and formats to the same text. */
static void
fuzzRoundTrip(const char *what, char *(*reformat)(const char *xml, GError **err),
              const char *xml)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;
    g_autofree char *out2 = NULL;

    if (!(out = reformat(xml, &err)))
        return;
    out2 = reformat(out, &err);
    fuzzAssert(out2, "formatted %s does not parse: %s\n%s", what, err->message, out);
    fuzzAssert(g_str_equal(out, out2), "%s not stable:\n%s\n---\n%s", what, out, out2);
}

/* A policy is validated too, whatever the verdict. */
static char *
policyReformat(const char *xml, GError **err)
{
    g_autoptr(abConfPolicy) def = abConfPolicyParseMetadata(xml, err);

    if (!def)
        return NULL;
    abConfPolicyValidate(def, "fuzz", 4ULL << 20, NULL);
    return abConfPolicyFormatMetadata(def);
}

static char *
statusReformat(const char *xml, GError **err)
{
    abConfStatus st = { 0 };
    char *out;

    if (abConfStatusParse(xml, &st, err) < 0)
        return NULL;
    out = abConfStatusFormat(&st);
    abConfStatusClear(&st);
    return out;
}

static void
fuzzInjected(const char *xml)
{
    abConfInjected inj = { 0 };
    abConfInjected back = { 0 };
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;

    if (abConfInjectedParse(xml, &inj, &err) < 0)
        return;
    fuzzAssert(inj.level >= AB_LEVEL_NONE && inj.level < AB_LEVEL_LAST, "level %d", inj.level);
    out = abConfInjectedFormat(&inj);
    fuzzAssert(abConfInjectedParse(out, &back, &err) == 0,
               "formatted injected pressure does not parse: %s\n%s", err->message, out);
    fuzzAssert(back.level == inj.level && back.expires == inj.expires, "%s", out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = NULL;

    if (!(xml = fuzzText(data, size, 64 * 1024)))
        return 0;
    fuzzRoundTrip("policy", policyReformat, xml);
    fuzzInjected(xml);
    fuzzRoundTrip("status", statusReformat, xml);
    return 0;
}
