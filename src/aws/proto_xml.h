#ifndef SLIPWAY_AWS_PROTO_XML_H
#define SLIPWAY_AWS_PROTO_XML_H

#include <jansson.h>

#include "aws/model.h"
#include "base/buf.h"
#include "base/xml.h"

/*
 * Model-driven XML bodies, shared by the awsQuery codec
 * (form input, XML output) and the restXml codec (XML both ways). Defined
 * in proto_restxml.c; only the protocol codecs and their tests include this.
 *
 * The XML rules are botocore's (its parser is the judge of what we write):
 * a structure member is an element named by
 * its locationName (else its member name); a list is <Name><member>...
 * (the list member's locationName replaces "member"), or, flattened, one
 * <Name> element per item (named by the list member's locationName when it
 * has one); a map is <Name><entry><key/><value/></entry>..., or, flattened,
 * one <Name><key/><value/></Name> per entry; xmlAttribute members are
 * attributes of the structure's element; xmlNamespace adds an xmlns
 * declaration. Timestamps default to ISO 8601, blobs are base64; scalar
 * text is proto_rest.h's (rest_scalar_parse, rest_scalar_text).
 */

/*
 * Writes the members of structure `shape` held in object `value` into the
 * element just started on `w`: xmlAttribute members first, then one
 * element (or several, for flattened members) per present member. Members
 * bound to headers or the status code are left out; URI and query-string
 * members are written, since botocore reads them from a response's body.
 * Returns 0, or ERR_INTERNAL when a value does not fit its shape (what was
 * written by then is incomplete: write into a scratch buffer first when
 * that matters).
 */
int xml_shape_write_members(struct xml_writer *w, const struct model_shape *shape, json_t *value);

/*
 * Writes `value` (of `member`'s shape) as the element(s) named `name`,
 * with the member's (else the shape's) xmlNamespace declaration.
 */
int xml_shape_write_value(struct xml_writer *w, const char *name, const struct model_member *member,
                          json_t *value);

/* The element name of a structure member, per the rules above. */
const char *xml_shape_element_name(const struct model_member *member);

/*
 * Reads the body members of structure `shape` from element `node` into a
 * new object. Element names compare by local name (prefixes ignored);
 * besides the names above, a flattened list's items are also found under
 * the list member's locationName and a member under its target shape's
 * locationName, the names botocore's serializer uses. Unknown elements are
 * ignored. `source` names the document in messages ("request body").
 * Returns 0 or ERR_INVALID naming the element, line and column.
 */
int xml_shape_read_structure(json_t **out, const struct xml_node *node,
                             const struct model_shape *shape, const char *source);

/* Reads element `node` as a value of `member`'s shape (any type). */
int xml_shape_read_value(json_t **out, const struct xml_node *node,
                         const struct model_member *member, const char *source);

#endif
