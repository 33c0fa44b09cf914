/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* XML helpers of the conf module: reading and writing documents the same way
 * everywhere, so that golden files compare byte for byte. */
#include "ab-conf-priv.h"
#include "ab-error.h"

#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#include <string.h>

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

xmlDocPtr
abConfReadDoc(const char *xml, const char *what, GError **error)
{
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;

    if (!xml) {
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: no XML given", what);
        return NULL;
    }
    if (!(ctxt = xmlNewParserCtxt())) {
        g_set_error(error, AB_ERROR, AB_ERROR_FAILED, "out of memory");
        return NULL;
    }
    /* NOBLANKS so that elements we add or remove are indented like the
     * rest when saved; NONET because a domain XML never needs the network. */
    doc = xmlCtxtReadMemory(ctxt, xml, strlen(xml), "domain.xml", NULL,
                            XML_PARSE_NOBLANKS | XML_PARSE_NONET |
                            XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc || !xmlDocGetRootElement(doc)) {
        const xmlError *err = xmlCtxtGetLastError(ctxt);
        g_autofree char *msg = g_strdup(err && err->message ? err->message : "empty document");

        g_strchomp(msg);
        g_set_error(error, AB_ERROR, AB_ERROR_INVALID, "%s: invalid XML at line %d: %s",
                    what, err ? err->line : 0, msg);
        xmlFreeDoc(doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    return doc;
}

static char *
abConfSave(xmlDocPtr doc, xmlNodePtr node)
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
    ret = g_strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    if (!doc) {
        /* a single node is saved without the final newline a document has */
        char *nl = g_strconcat(ret, "\n", NULL);
        g_free(ret);
        ret = nl;
    }
    return ret;
}

char *
abConfWriteDoc(xmlDocPtr doc)
{
    return abConfSave(doc, NULL);
}

char *
abConfWriteNode(xmlNodePtr node)
{
    return abConfSave(NULL, node);
}

static void
abConfNodeDropNs(xmlNodePtr node)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        node->ns = NULL;
        if (node->nsDef) {
            xmlFreeNsList(node->nsDef);
            node->nsDef = NULL;
        }
        abConfNodeDropNs(node->children);
    }
}

char *
abConfWriteMetadataNode(xmlNodePtr node)
{
    /* virDomainSetMetadata puts the element in its namespace itself and
     * fails ("failed to create a new XML namespace") when the element
     * already declares the prefix; it also hands the element back without
     * one. So the libvirt form is the unqualified element. */
    node->next = NULL;
    abConfNodeDropNs(node);
    return abConfWriteNode(node);
}

bool
abConfNodeIs(xmlNodePtr node, const char *name, const char *nsuri)
{
    if (!node || node->type != XML_ELEMENT_NODE)
        return false;
    if (name && !xmlStrEqual(node->name, BAD_CAST name))
        return false;
    if (!nsuri)
        return node->ns == NULL;
    return node->ns && xmlStrEqual(node->ns->href, BAD_CAST nsuri);
}

bool
abConfNodeIsOurs(xmlNodePtr node, const char *name, const char *nsuri)
{
    return abConfNodeIs(node, name, NULL) ||
        (nsuri && abConfNodeIs(node, name, nsuri));
}

xmlNodePtr
abConfChild(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr cur = parent ? parent->children : NULL; cur; cur = cur->next) {
        if (abConfNodeIs(cur, name, NULL))
            return cur;
    }
    return NULL;
}

unsigned int
abConfChildCount(xmlNodePtr parent, const char *name)
{
    unsigned int n = 0;

    for (xmlNodePtr cur = parent ? parent->children : NULL; cur; cur = cur->next) {
        if (abConfNodeIs(cur, name, NULL))
            n++;
    }
    return n;
}

char *
abConfProp(xmlNodePtr node, const char *name)
{
    xmlChar *val = xmlGetNoNsProp(node, BAD_CAST name);
    char *ret;

    if (!val)
        return NULL;
    ret = g_strdup((const char *)val);
    xmlFree(val);
    return ret;
}

char *
abConfDomainName(xmlNodePtr node)
{
    xmlNodePtr root;
    xmlNodePtr name;
    xmlChar *content;
    char *ret;

    if (!node || !node->doc)
        return NULL;
    root = xmlDocGetRootElement(node->doc);
    if (!abConfNodeIs(root, "domain", NULL) || !(name = abConfChild(root, "name")))
        return NULL;
    content = xmlNodeGetContent(name);
    ret = g_strstrip(g_strdup((const char *)content));
    xmlFree(content);
    return ret;
}
