/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The three metadata elements any libvirt client can write: policy,
 * injected pressure, status (src/conf). Whatever parses formats, and the
 * formatted text parses to the same text again. */
#include "fuzz.h"
#include "ab-conf.h"

static void
fuzzPolicy(const char *xml)
{
    g_autoptr(abConfPolicy) def = NULL;
    g_autoptr(abConfPolicy) back = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;
    g_autofree char *out2 = NULL;

    if (!(def = abConfPolicyParseMetadata(xml, &err)))
        return;
    abConfPolicyValidate(def, "fuzz", 4ULL << 20, NULL);
    out = abConfPolicyFormatMetadata(def);
    back = abConfPolicyParseMetadata(out, &err);
    fuzzAssert(back, "formatted policy does not parse: %s\n%s", err->message, out);
    out2 = abConfPolicyFormatMetadata(back);
    fuzzAssert(g_str_equal(out, out2), "policy not stable:\n%s\n---\n%s", out, out2);
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

static void
fuzzStatus(const char *xml)
{
    abConfStatus st = { 0 };
    abConfStatus back = { 0 };
    g_autoptr(GError) err = NULL;
    g_autofree char *out = NULL;
    g_autofree char *out2 = NULL;

    if (abConfStatusParse(xml, &st, &err) < 0)
        return;
    out = abConfStatusFormat(&st);
    abConfStatusClear(&st);
    fuzzAssert(abConfStatusParse(out, &back, &err) == 0,
               "formatted status does not parse: %s\n%s", err->message, out);
    out2 = abConfStatusFormat(&back);
    abConfStatusClear(&back);
    fuzzAssert(g_str_equal(out, out2), "status not stable:\n%s\n---\n%s", out, out2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *xml = NULL;

    if (!(xml = fuzzText(data, size, 64 * 1024)))
        return 0;
    fuzzPolicy(xml);
    fuzzInjected(xml);
    fuzzStatus(xml);
    return 0;
}
