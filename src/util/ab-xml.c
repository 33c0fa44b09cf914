/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-xml.c: parse, find, read and write XML the same way in every module */
#include "ab-xml.h"
#include "ab-error.h"
#include "ab-size.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlsave.h>

/* The document @xml, read as @url; NULL with @error: "WHAT: invalid XML
 * at line N: MESSAGE", or virsh's "(URL):N: MESSAGE" when @what is NULL. */
static xmlDocPtr
abXmlRead(const char *xml, const char *url, const char *what, GError **error)
{
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;

    if (!xml) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: no XML given", what ? what : url);
        return NULL;
    }
    if (!(ctxt = xmlNewParserCtxt())) {
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED, "out of memory");
        return NULL;
    }
    /* NOBLANKS so that elements added or removed are indented like the
     * rest when written; NONET because a domain XML never needs the
     * network. */
    doc = xmlCtxtReadMemory(ctxt, xml, strlen(xml), url, NULL,
                            XML_PARSE_NOBLANKS | XML_PARSE_NONET |
                            XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc || !xmlDocGetRootElement(doc)) {
        const xmlError *err = xmlCtxtGetLastError(ctxt);
        g_autofree char *msg = g_strchomp(g_strdup(err && err->message ? err->message
                                                                        : "empty document"));
        int line = err ? err->line : 0;

        if (what)
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: invalid XML at line %d: %s",
                        what, line, msg);
        else
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "(%s):%d: %s", url, line, msg);
        xmlFreeDoc(doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    return doc;
}

xmlDocPtr
abXmlParse(const char *xml, const char *what, GError **error)
{
    return abXmlRead(xml, "domain.xml", what, error);
}

xmlDocPtr
abXmlParseFile(const char *xml, const char *file, GError **error)
{
    return abXmlRead(xml, file, NULL, error);
}

static char *
abXmlSave(xmlDocPtr doc, xmlNodePtr node)
{
    xmlBufferPtr buf = xmlBufferCreate();
    xmlSaveCtxtPtr save;
    char *ret;

    save = xmlSaveToBuffer(buf, "UTF-8", XML_SAVE_FORMAT | XML_SAVE_NO_DECL);
    if (doc)
        xmlSaveDoc(save, doc);
    else
        xmlSaveTree(save, node);
    xmlSaveClose(save);
    if (doc)
        ret = g_strdup((const char *)xmlBufferContent(buf));
    else   /* a single node is saved without the final newline a document has */
        ret = g_strconcat((const char *)xmlBufferContent(buf), "\n", NULL);
    xmlBufferFree(buf);
    return ret;
}

char *
abXmlFormatDoc(xmlDocPtr doc)
{
    return abXmlSave(doc, NULL);
}

char *
abXmlFormatNode(xmlNodePtr node)
{
    return abXmlSave(NULL, node);
}

static void
abXmlDropNs(xmlNodePtr node)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        node->ns = NULL;
        if (node->nsDef) {
            xmlFreeNsList(node->nsDef);
            node->nsDef = NULL;
        }
        abXmlDropNs(node->children);
    }
}

char *
abXmlFormatUnqualified(xmlNodePtr node)
{
    /* virDomainSetMetadata puts the element in its namespace itself and
     * fails ("failed to create a new XML namespace") when the element
     * already declares the prefix; it also hands the element back without
     * one. */
    node->next = NULL;
    abXmlDropNs(node);
    return abXmlFormatNode(node);
}

bool
abXmlNodeIs(xmlNodePtr node, const char *name, const char *nsuri)
{
    if (!node || node->type != XML_ELEMENT_NODE)
        return false;
    if (name && !xmlStrEqual(node->name, BAD_CAST name))
        return false;
    if (!nsuri)
        return node->ns == NULL;
    return node->ns && xmlStrEqual(node->ns->href, BAD_CAST nsuri);
}

xmlNodePtr
abXmlChildWithProp(xmlNodePtr parent, const char *name, const char *nsuri,
                   const char *attr, const char *value)
{
    for (xmlNodePtr cur = parent ? parent->children : NULL; cur; cur = cur->next) {
        if (abXmlNodeIs(cur, name, nsuri) && (!attr || abXmlPropIs(cur, attr, value)))
            return cur;
    }
    return NULL;
}

xmlNodePtr
abXmlChild(xmlNodePtr parent, const char *name, const char *nsuri)
{
    return abXmlChildWithProp(parent, name, nsuri, NULL, NULL);
}

xmlNodePtr
abXmlChildPath(xmlNodePtr node, ...)
{
    va_list ap;
    const char *name;

    va_start(ap, node);
    while (node && (name = va_arg(ap, const char *)))
        node = abXmlChild(node, name, NULL);
    va_end(ap);
    return node;
}

unsigned int
abXmlChildCount(xmlNodePtr parent, const char *name, const char *nsuri)
{
    unsigned int n = 0;

    for (xmlNodePtr cur = parent ? parent->children : NULL; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE &&
            (name || nsuri ? abXmlNodeIs(cur, name, nsuri) : true))
            n++;
    }
    return n;
}

xmlNodePtr
abXmlFirstElement(xmlNodePtr parent)
{
    for (xmlNodePtr cur = parent ? parent->children : NULL; cur; cur = cur->next) {
        if (cur->type == XML_ELEMENT_NODE)
            return cur;
    }
    return NULL;
}

void
abXmlRemove(xmlNodePtr node)
{
    if (!node)
        return;
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

void
abXmlPrepend(xmlNodePtr parent, xmlNodePtr child)
{
    xmlNodePtr first = abXmlFirstElement(parent);

    if (first)
        xmlAddPrevSibling(first, child);
    else
        xmlAddChild(parent, child);
}

char *
abXmlProp(xmlNodePtr node, const char *name)
{
    xmlChar *val = node ? xmlGetNoNsProp(node, BAD_CAST name) : NULL;
    char *ret;

    if (!val)
        return NULL;
    ret = g_strdup((const char *)val);
    xmlFree(val);
    return ret;
}

bool
abXmlPropIs(xmlNodePtr node, const char *name, const char *value)
{
    g_autofree char *cur = abXmlProp(node, name);

    return g_strcmp0(cur, value) == 0;
}

char *
abXmlText(xmlNodePtr node)
{
    xmlChar *content = node ? xmlNodeGetContent(node) : NULL;
    char *ret = g_strstrip(g_strdup(content ? (const char *)content : ""));

    xmlFree(content);
    return ret;
}

char *
abXmlDomainName(xmlDocPtr doc)
{
    xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlNodePtr name;

    if (!abXmlNodeIs(root, "domain", NULL) || !(name = abXmlChild(root, "name", NULL)))
        return NULL;
    return abXmlText(name);
}

xmlNodePtr
abXmlMetadataEnsure(xmlNodePtr root, bool *created)
{
    static const char *const before[] = { "name", "uuid", "genid", "title", "description" };
    xmlNodePtr metadata = abXmlChild(root, "metadata", NULL);
    xmlNodePtr after = NULL;

    *created = !metadata;
    if (metadata)
        return metadata;
    metadata = xmlNewDocNode(root->doc, NULL, BAD_CAST "metadata", NULL);
    /* after the last identity element, in whatever order they came */
    for (xmlNodePtr cur = root->children; cur; cur = cur->next) {
        for (size_t i = 0; i < G_N_ELEMENTS(before); i++) {
            if (abXmlNodeIs(cur, before[i], NULL))
                after = cur;
        }
    }
    if (after)
        xmlAddNextSibling(after, metadata);
    else
        abXmlPrepend(root, metadata);
    return metadata;
}

/* ---- typed readers ------------------------------------------------------ */

int
abXmlCheckAttrs(xmlNodePtr node, const char *const *allowed, GError **error)
{
    for (xmlAttrPtr attr = node->properties; attr; attr = attr->next) {
        g_autofree char *value = NULL;
        g_autofree char *list = NULL;

        if (!attr->ns && allowed && g_strv_contains(allowed, (const char *)attr->name))
            continue;
        value = abXmlProp(node, (const char *)attr->name);
        list = allowed && allowed[0] ? g_strjoinv(", ", (char **)allowed) : NULL;
        if (list)
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "<%s %s='%s'>: unknown attribute %s (allowed: %s)",
                        (const char *)node->name, (const char *)attr->name,
                        value ? value : "", (const char *)attr->name, list);
        else
            g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                        "<%s %s='%s'>: unknown attribute %s (<%s> takes none)",
                        (const char *)node->name, (const char *)attr->name,
                        value ? value : "", (const char *)attr->name,
                        (const char *)node->name);
        return -1;
    }
    return 0;
}

/* "<name attr='value'>: " for an attribute, "<name>value</name>: " for a
 * text, then the message. */
static void G_GNUC_PRINTF(5, 6)
abXmlValueError(GError **error, xmlNodePtr node, const char *attr,
                const char *value, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (attr && value)
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "<%s %s='%s'>: %s",
                    (const char *)node->name, attr, value, msg);
    else if (attr)
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "<%s>: %s",
                    (const char *)node->name, msg);
    else
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "<%s>%s</%s>: %s",
                    (const char *)node->name, value, (const char *)node->name, msg);
}

/* The attribute, or NULL: 0 when absent and not required, -1 when absent
 * and required (the error names the attribute), 1 when there. */
static int
abXmlPropGet(xmlNodePtr node, const char *attr, unsigned int flags,
             const char *allowed, char **value, GError **error)
{
    *value = abXmlProp(node, attr);
    if (*value)
        return 1;
    if (!(flags & AB_XML_REQUIRED))
        return 0;
    abXmlValueError(error, node, attr, NULL, "missing attribute %s (%s)", attr, allowed);
    return -1;
}

int
abXmlPropEnum(xmlNodePtr node, const char *attr, abXmlEnumName name,
              int first, int last, unsigned int flags, int *result,
              GError **error)
{
    g_autoptr(GString) allowed = g_string_new("one of ");
    g_autofree char *value = NULL;
    int rc;

    for (int i = first; i < last; i++)
        g_string_append_printf(allowed, "%s%s", i > first ? ", " : "", name(i));
    if ((rc = abXmlPropGet(node, attr, flags, allowed->str, &value, error)) <= 0)
        return rc;
    for (int i = first; i < last; i++) {
        if (strcmp(value, name(i)) == 0) {
            *result = i;
            return 1;
        }
    }
    abXmlValueError(error, node, attr, value, "%s must be %s", attr, allowed->str);
    return -1;
}

int
abXmlPropChoice(xmlNodePtr node, const char *attr, const char *const *choices,
                unsigned int flags, char **result, GError **error)
{
    g_autofree char *joined = g_strjoinv(", ", (char **)choices);
    g_autofree char *allowed = g_strdup_printf("one of %s", joined);
    g_autofree char *value = NULL;
    int rc;

    if ((rc = abXmlPropGet(node, attr, flags, allowed, &value, error)) <= 0)
        return rc;
    if (!g_strv_contains(choices, value)) {
        abXmlValueError(error, node, attr, value, "%s must be %s", attr, allowed);
        return -1;
    }
    *result = g_steal_pointer(&value);
    return 1;
}

int
abXmlPropOnOff(xmlNodePtr node, const char *attr, unsigned int flags,
               bool *result, GError **error)
{
    static const char *const onoff[] = { "on", "off", NULL };
    g_autofree char *value = NULL;
    int rc;

    if ((rc = abXmlPropChoice(node, attr, onoff, flags, &value, error)) > 0)
        *result = strcmp(value, "on") == 0;
    return rc;
}

/* @text as a decimal number from @min to @max; -1 with the reason in
 * *@why (static) otherwise. */
static int
abXmlNumber(const char *text, unsigned long long min, unsigned long long max,
            unsigned long long *result, char **why)
{
    char *end = NULL;

    errno = 0;
    if (g_ascii_isdigit(text[0]))
        *result = g_ascii_strtoull(text, &end, 10);
    if (!g_ascii_isdigit(text[0]) || *end || errno == ERANGE ||
        *result < min || *result > max) {
        *why = g_strdup_printf("an integer from %llu to %llu", min, max);
        return -1;
    }
    return 0;
}

int
abXmlPropUInt(xmlNodePtr node, const char *attr, unsigned long long min,
              unsigned long long max, unsigned int flags,
              unsigned long long *result, GError **error)
{
    g_autofree char *range = g_strdup_printf("an integer from %llu to %llu", min, max);
    g_autofree char *value = NULL;
    g_autofree char *why = NULL;
    int rc;

    if ((rc = abXmlPropGet(node, attr, flags, range, &value, error)) <= 0)
        return rc;
    if (abXmlNumber(value, min, max, result, &why) < 0) {
        abXmlValueError(error, node, attr, value, "%s must be %s", attr, why);
        return -1;
    }
    return 1;
}

/* The text of a leaf element; -1 if it has child elements. */
static int
abXmlLeafText(xmlNodePtr node, char **text, GError **error)
{
    xmlNodePtr child = abXmlFirstElement(node);

    if (child) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID,
                    "<%s><%s>: unexpected element inside <%s>: it holds a number",
                    (const char *)node->name, (const char *)child->name,
                    (const char *)node->name);
        return -1;
    }
    *text = abXmlText(node);
    return 0;
}

int
abXmlTextUInt(xmlNodePtr node, unsigned long long min, unsigned long long max,
              unsigned long long *result, GError **error)
{
    g_autofree char *text = NULL;
    g_autofree char *why = NULL;

    if (abXmlLeafText(node, &text, error) < 0)
        return -1;
    if (abXmlNumber(text, min, max, result, &why) < 0) {
        abXmlValueError(error, node, NULL, text, "%s must be %s",
                        (const char *)node->name, why);
        return -1;
    }
    return 1;
}

int
abXmlTextSize(xmlNodePtr node, unsigned long long defaultScale,
              unsigned long long *value, char **unit,
              unsigned long long *bytes, GError **error)
{
    g_autofree char *text = NULL;
    g_autofree char *u = abXmlProp(node, "unit");
    g_autofree char *why = NULL;
    g_autoptr(GError) err = NULL;
    unsigned long long scale;

    if (abXmlLeafText(node, &text, error) < 0)
        return -1;
    if (abSizeUnitScale(u, defaultScale, &scale, &err) < 0) {
        abXmlValueError(error, node, "unit", u, "%s", err->message);
        return -1;
    }
    if (abXmlNumber(text, 0, G_MAXUINT64, value, &why) < 0) {
        abXmlValueError(error, node, NULL, text, "%s must be a non-negative integer",
                        (const char *)node->name);
        return -1;
    }
    if (scale && *value > G_MAXUINT64 / scale) {
        abXmlValueError(error, node, NULL, text, "%s %s %s overflows",
                        (const char *)node->name, text, u ? u : "KiB");
        return -1;
    }
    *bytes = *value * scale;
    *unit = g_steal_pointer(&u);
    return 1;
}

/* ---- schema ------------------------------------------------------------- */

typedef struct {
    char *text;
    int depth;                  /* of the element it is about; -1: none */
} abXmlSchemaMessage;

static void
abXmlSchemaMessageFree(gpointer data)
{
    abXmlSchemaMessage *msg = data;

    g_free(msg->text);
    g_free(msg);
}

static void
abXmlSchemaError(void *opaque, xmlErrorPtr err)
{
    GPtrArray *msgs = opaque;
    abXmlSchemaMessage *msg;
    GString *text;

    if (!err || !err->message)
        return;
    msg = g_new0(abXmlSchemaMessage, 1);
    msg->depth = -1;
    text = g_string_new(NULL);
    if (err->line > 0)
        g_string_append_printf(text, "line %d: ", err->line);
    if (err->node && ((xmlNodePtr)err->node)->type == XML_ELEMENT_NODE) {
        xmlChar *path = xmlGetNodePath(err->node);

        g_string_append_printf(text, "%s: ", (const char *)path);
        for (xmlNodePtr cur = err->node; cur && cur->type == XML_ELEMENT_NODE; cur = cur->parent)
            msg->depth++;
        xmlFree(path);
    }
    g_string_append(text, err->message);
    while (text->len && text->str[text->len - 1] == '\n')
        g_string_truncate(text, text->len - 1);
    msg->text = g_string_free(text, FALSE);
    g_ptr_array_add(msgs, msg);
}

static gint
abXmlSchemaMessageCompare(gconstpointer a, gconstpointer b)
{
    const abXmlSchemaMessage *ma = *(const abXmlSchemaMessage *const *)a;
    const abXmlSchemaMessage *mb = *(const abXmlSchemaMessage *const *)b;

    return mb->depth - ma->depth;
}

/* The messages, the one about the deepest element first: RelaxNG reports
 * a failure at every level it climbs back through, and the deepest is the
 * closest to the mistake. */
static char *
abXmlSchemaMessages(GPtrArray *msgs)
{
    g_autoptr(GString) out = g_string_new(NULL);

    g_ptr_array_sort(msgs, abXmlSchemaMessageCompare);
    for (guint i = 0; i < msgs->len; i++) {
        const abXmlSchemaMessage *msg = msgs->pdata[i];

        g_string_append_printf(out, "%s%s", i ? "\n" : "", msg->text);
    }
    return g_strdup(out->str);
}

int
abXmlValidate(xmlDocPtr doc, const char *schemaPath, GError **error)
{
    g_autoptr(GPtrArray) msgs = g_ptr_array_new_with_free_func(abXmlSchemaMessageFree);
    g_autofree char *text = NULL;
    xmlRelaxNGParserCtxtPtr pctxt = NULL;
    xmlRelaxNGValidCtxtPtr vctxt = NULL;
    xmlRelaxNGPtr rng = NULL;
    int ret = -1;

    if (!g_file_test(schemaPath, G_FILE_TEST_EXISTS)) {
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED,
                    "cannot find the schema '%s'", schemaPath);
        return -1;
    }
    pctxt = xmlRelaxNGNewParserCtxt(schemaPath);
    xmlRelaxNGSetParserStructuredErrors(pctxt, abXmlSchemaError, msgs);
    if (!(rng = xmlRelaxNGParse(pctxt))) {
        text = abXmlSchemaMessages(msgs);
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED,
                    "cannot parse the schema '%s': %s", schemaPath, text);
        goto cleanup;
    }
    vctxt = xmlRelaxNGNewValidCtxt(rng);
    xmlRelaxNGSetValidStructuredErrors(vctxt, abXmlSchemaError, msgs);
    if (xmlRelaxNGValidateDoc(vctxt, doc) != 0) {
        text = abXmlSchemaMessages(msgs);
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s", text);
        goto cleanup;
    }
    ret = 0;

 cleanup:
    xmlRelaxNGFreeValidCtxt(vctxt);
    xmlRelaxNGFree(rng);
    xmlRelaxNGFreeParserCtxt(pctxt);
    return ret;
}
