/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ab-xml.h: the one XML layer of autoballoon, on libxml2 trees.
 *
 * Every module reads and writes XML through these: a document is parsed
 * once per command (abXmlParse) and the tree is passed on; elements are
 * found with abXmlChild; attributes and leaf texts are read with the typed
 * readers, in the spirit of libvirt's virXMLProp*, whose errors name the
 * element, the bad value and what is allowed, in one line:
 *   <step level='extreme'>: level must be one of low, medium, critical
 *   <weight>x</weight>: weight must be an integer from 1 to 10000
 * (the caller prefixes the domain: "domain 'vm1': ..."). Documents are
 * written the same way everywhere, so that golden files compare byte for
 * byte. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <libxml/tree.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/* Parse @xml (@what names it in errors: "domain XML"). NULL with @error
 * giving the line and libxml2's message. Blank text is dropped so that
 * elements added or removed are indented like the rest when written. */
xmlDocPtr abXmlParse(const char *xml, const char *what, GError **error);
/* The same for the contents @xml of @file, with virsh's message on a
 * syntax error: "(FILE):LINE: MESSAGE". */
xmlDocPtr abXmlParseFile(const char *xml, const char *file, GError **error);

/* The document without the XML declaration, formatted, ending in a
 * newline; a single node likewise. */
char *abXmlFormatDoc(xmlDocPtr doc);
char *abXmlFormatNode(xmlNodePtr node);
/* @node alone (not its siblings) with every namespace dropped: the form
 * virDomainSetMetadata takes and virDomainGetMetadata gives back. */
char *abXmlFormatUnqualified(xmlNodePtr node);

/* @node is an element called @name (NULL: any name) in namespace @nsuri
 * (NULL: in no namespace). */
bool abXmlNodeIs(xmlNodePtr node, const char *name, const char *nsuri);
/* The first child element of @parent (NULL allowed) called @name in
 * @nsuri, as abXmlNodeIs; NULL when there is none. */
xmlNodePtr abXmlChild(xmlNodePtr parent, const char *name, const char *nsuri);
/* The same, whose attribute @attr equals @value. */
xmlNodePtr abXmlChildWithProp(xmlNodePtr parent, const char *name, const char *nsuri,
                              const char *attr, const char *value);
/* A path of children in no namespace: abXmlChildPath(root, "devices",
 * "memballoon", "stats", NULL). */
xmlNodePtr abXmlChildPath(xmlNodePtr node, ...) G_GNUC_NULL_TERMINATED;
/* The number of child elements called @name (NULL: any) in @nsuri. */
unsigned int abXmlChildCount(xmlNodePtr parent, const char *name, const char *nsuri);
/* The first child that is an element, of any name. */
xmlNodePtr abXmlFirstElement(xmlNodePtr parent);
/* Unlink and free @node (NULL allowed). */
void abXmlRemove(xmlNodePtr node);
/* Add @child as the first element of @parent. */
void abXmlPrepend(xmlNodePtr parent, xmlNodePtr child);

/* The attribute @name in no namespace, or NULL (also for @node NULL). */
char *abXmlProp(xmlNodePtr node, const char *name);
bool abXmlPropIs(xmlNodePtr node, const char *name, const char *value);
/* The text of @node, stripped; "" when empty. */
char *abXmlText(xmlNodePtr node);

/* The <name> of the <domain> @doc holds, or NULL. */
char *abXmlDomainName(xmlDocPtr doc);

/* The domain's <metadata>, created where libvirt formats it (after name,
 * uuid, genid, title and description, before everything else) when there
 * is none; *@created says which. The one place that knows where it goes. */
xmlNodePtr abXmlMetadataEnsure(xmlNodePtr root, bool *created);

/* Typed readers. Each returns 1 with *@result set, 0 when the attribute
 * (or text) is absent (an error under AB_XML_REQUIRED), -1 with @error
 * naming element, value and what is allowed. */
typedef enum {
    AB_XML_REQUIRED = 1 << 0,
    AB_XML_NONZERO = 1 << 1,          /* numbers: 0 is not allowed */
} abXmlFlags;

/* Every attribute of @node is in no namespace and one of @allowed
 * (NULL-terminated; NULL: none allowed). */
int abXmlCheckAttrs(xmlNodePtr node, const char *const *allowed, GError **error);

/* The names of an enum, as its AB_ENUM_IMPL ToString gives them. */
typedef const char *(*abXmlEnumName)(int value);

/* One of the names @name(@first) .. @name(@last - 1). */
int abXmlPropEnum(xmlNodePtr node, const char *attr, abXmlEnumName name,
                  int first, int last, unsigned int flags, int *result,
                  GError **error);
/* One of the strings of @choices (NULL-terminated). */
int abXmlPropChoice(xmlNodePtr node, const char *attr, const char *const *choices,
                    unsigned int flags, char **result, GError **error);
/* 'on' or 'off'. */
int abXmlPropOnOff(xmlNodePtr node, const char *attr, unsigned int flags,
                   bool *result, GError **error);
/* A decimal integer from @min to @max. */
int abXmlPropUInt(xmlNodePtr node, const char *attr, unsigned long long min,
                  unsigned long long max, unsigned int flags,
                  unsigned long long *result, GError **error);
/* The text of a leaf element as a decimal integer from @min to @max; an
 * element with child elements is an error. */
int abXmlTextUInt(xmlNodePtr node, unsigned long long min, unsigned long long max,
                  unsigned long long *result, GError **error);
/* A size as libvirt writes it, <x unit='MiB'>512</x>: the number as
 * written, its unit attribute (NULL when absent) and the size in bytes
 * (no unit: @defaultScale). */
int abXmlTextSize(xmlNodePtr node, unsigned long long defaultScale,
                  unsigned long long *value, char **unit,
                  unsigned long long *bytes, GError **error);

/* Validate @doc against the RelaxNG schema at @schemaPath. On failure the
 * error holds one line per schema message with the element's line and
 * path: "line 9: /domain/devices/memballoon: <message>". */
int abXmlValidate(xmlDocPtr doc, const char *schemaPath, GError **error);
