/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error helpers of the conf module; XML itself is read and written with
 * src/util/ab-xml.h. */
#include "ab-conf-priv.h"
#include "ab-error.h"


void
abConfSetError(GError **error, int code, const char *domname,
               const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (domname)
        g_set_error(error, AB_ERROR, code, "domain '%s': %s", domname, msg);
    else
        g_set_error_literal(error, AB_ERROR, code, msg);
}

void
abConfPropagate(GError **error, GError *src, const char *domname)
{
    abConfSetError(error, src->domain == AB_ERROR ? src->code : AB_ERROR_INVALID,
                   domname, "%s", src->message);
    g_error_free(src);
}

bool
abConfNodeIsOurs(xmlNodePtr node, const char *name, const char *nsuri)
{
    return abXmlNodeIs(node, name, NULL) ||
        (nsuri && abXmlNodeIs(node, name, nsuri));
}
