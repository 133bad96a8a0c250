#ifndef SLIPWAY_AWS_MODEL_H
#define SLIPWAY_AWS_MODEL_H

#include "base/common.h"

/*
 * AWS service models in memory: services, operations, shapes and members,
 * as botocore's service-2.json describes them, without documentation.
 *
 * The server uses tables that the build compiles from models/<name>.json
 * (tools/modelgen.c writes them; nothing is parsed at start-up). Tests and
 * tools may build the same structures from JSON with model_load (see
 * model_load.h). Everything here is read-only once built.
 *
 * Decoded values (what a protocol decoder produces and a handler sees) are
 * jansson values shaped like boto3 parameters:
 *   structure -> object keyed by member name, list -> array, map -> object,
 *   string -> string, boolean -> true/false, integer/long -> integer,
 *   float/double -> real (or the strings "NaN", "Infinity", "-Infinity"),
 *   timestamp -> integer, Unix epoch MILLISECONDS,
 *   blob -> string holding the raw bytes (may hold NULs; json_string_length),
 *   bigInteger/bigDecimal -> integer or real,
 *   document / jsonvalue -> any JSON value.
 */

enum shape_type {
    SHAPE_STRUCTURE,
    SHAPE_LIST,
    SHAPE_MAP,
    SHAPE_STRING,
    SHAPE_BOOLEAN,
    SHAPE_INTEGER,
    SHAPE_LONG,
    SHAPE_FLOAT,
    SHAPE_DOUBLE,
    SHAPE_BIGINTEGER,
    SHAPE_BIGDECIMAL,
    SHAPE_TIMESTAMP,
    SHAPE_BLOB,
};

/* Where a member travels in an HTTP request or response. */
enum member_location {
    LOC_BODY = 0,
    LOC_HEADER,      /* a single header named by location_name */
    LOC_HEADERS,     /* a map of all headers starting with location_name */
    LOC_URI,         /* a {label} in the request URI */
    LOC_QUERYSTRING, /* a query parameter (a map: all remaining ones) */
    LOC_STATUSCODE,  /* the HTTP status code of a response */
};

enum timestamp_format {
    TS_DEFAULT = 0, /* the protocol's and location's default */
    TS_ISO8601,
    TS_RFC822,
    TS_UNIX,
};

enum protocol {
    PROTO_JSON,     /* awsJson1_0 / awsJson1_1 (see service json_version) */
    PROTO_QUERY,    /* awsQuery: form-encoded request, XML response */
    PROTO_REST_XML, /* restXml */
    PROTO_REST_JSON,
    PROTO_EC2,
};

/* shape flags */
#define SHAPE_F_FLATTENED       (1u << 0)
#define SHAPE_F_SENSITIVE       (1u << 1)
#define SHAPE_F_STREAMING       (1u << 2)
#define SHAPE_F_EXCEPTION       (1u << 3)
#define SHAPE_F_UNION           (1u << 4)
#define SHAPE_F_DOCUMENT        (1u << 5)
#define SHAPE_F_EVENTSTREAM     (1u << 6)
#define SHAPE_F_EVENT           (1u << 7)
#define SHAPE_F_HAS_MIN         (1u << 8)
#define SHAPE_F_HAS_MAX         (1u << 9)
#define SHAPE_F_FAULT           (1u << 10) /* server-side error */
#define SHAPE_F_SENDER_FAULT    (1u << 11) /* error.senderFault */
#define SHAPE_F_REQUIRES_LENGTH (1u << 12)

/* member flags */
#define MEMBER_F_REQUIRED          (1u << 0)
#define MEMBER_F_XML_ATTRIBUTE     (1u << 1)
#define MEMBER_F_FLATTENED         (1u << 2)
#define MEMBER_F_IDEMPOTENCY_TOKEN (1u << 3)
#define MEMBER_F_JSONVALUE         (1u << 4)
#define MEMBER_F_HOST_LABEL        (1u << 5)
#define MEMBER_F_EVENTPAYLOAD      (1u << 6)
#define MEMBER_F_STREAMING         (1u << 7)

struct model_shape;

struct model_member {
    const char *name; /* member name; for list/map parts: "member", "key", "value" */
    const struct model_shape *shape;
    const char *location_name; /* wire name, NULL when it is `name` */
    const char *query_name;    /* ec2 queryName, NULL when absent */
    const char *xml_ns_prefix; /* xmlNamespace.prefix, NULL when absent */
    const char *xml_ns_uri;    /* xmlNamespace.uri, NULL when absent */
    uint16_t flags;            /* MEMBER_F_* */
    uint8_t location;          /* enum member_location */
    uint8_t timestamp_format;  /* enum timestamp_format, TS_DEFAULT if unset */
};

struct model_shape {
    const char *name;
    uint8_t type;             /* enum shape_type */
    uint8_t timestamp_format; /* enum timestamp_format */
    uint16_t flags;           /* SHAPE_F_* */
    /* Length limits (string, blob, list, map) or value range (numbers). */
    double min;
    double max;
    const char *pattern; /* regular expression as in the model, NULL if none */
    const char *const *enum_values;
    uint32_t enum_count;
    /* structure */
    const struct model_member *members;
    uint32_t member_count;
    const char *payload; /* name of the payload member, NULL if none */
    /* list: member; map: key and value */
    const struct model_member *member;
    const struct model_member *key;
    const struct model_member *value;
    const char *location_name; /* shape-level locationName (rare) */
    const char *xml_ns_prefix; /* shape-level xmlNamespace */
    const char *xml_ns_uri;
    /* exceptions: the wire code (error.code, else the shape name) and status */
    const char *error_code;
    uint16_t error_status;
};

/* operation flags */
#define OP_F_HTTP_CHECKSUM_REQUIRED (1u << 0)
#define OP_F_AUTH_NONE              (1u << 1) /* authtype "none": unsigned calls allowed */
#define OP_F_IDEMPOTENT             (1u << 2)
#define OP_F_UNSIGNED_PAYLOAD       (1u << 3)

struct model_operation {
    const char *name;
    const char *http_method;
    const char *request_uri;          /* e.g. "/{Bucket}/{Key+}?tagging" */
    uint16_t response_code;           /* http.responseCode, 0 when unset */
    uint16_t flags;                   /* OP_F_* */
    const struct model_shape *input;  /* NULL when the operation takes none */
    const struct model_shape *output; /* NULL when it returns none */
    const char *input_location_name;  /* input.locationName (restXml root element) */
    const char *input_xml_ns_uri;     /* input.xmlNamespace.uri */
    const char *result_wrapper;       /* output.resultWrapper (query) */
    const struct model_shape *const *errors;
    uint32_t error_count;
    const char *host_prefix; /* endpoint.hostPrefix */
};

struct model_service {
    const char *name; /* slipway's name: the models/ file stem, e.g. "iam" */
    uint8_t protocol; /* enum protocol */
    const char *api_version;
    const char *json_version;  /* "1.0" or "1.1" for PROTO_JSON */
    const char *target_prefix; /* X-Amz-Target prefix for PROTO_JSON */
    const char *endpoint_prefix;
    const char *signing_name; /* SigV4 service name (signingName, else endpointPrefix) */
    const char *service_id;
    const char *xml_namespace; /* metadata.xmlNamespace, for query responses */
    bool global_endpoint;      /* metadata.globalEndpoint present (iam) */
    /* Sorted by name (strcmp), for binary search. */
    const struct model_operation *operations;
    uint32_t operation_count;
    /* Sorted by name (strcmp). */
    const struct model_shape *shapes;
    uint32_t shape_count;
};

/* The services compiled into this binary, sorted by name. */
extern const struct model_service *const model_services[];
extern const size_t model_service_count;

const struct model_service *model_service_find(const char *name);
const struct model_service *model_service_by_target_prefix(const char *prefix, size_t len);
const struct model_service *model_service_by_signing_name(const char *name, size_t len);
const struct model_operation *model_operation_find(const struct model_service *svc,
                                                   const char *name, size_t len);
const struct model_shape *model_shape_find(const struct model_service *svc, const char *name);
const struct model_member *model_member_find(const struct model_shape *shape, const char *name,
                                             size_t len);

/* The wire name of a member: location_name if set, else name. */
static inline const char *model_member_wire_name(const struct model_member *m)
{
    return m->location_name ? m->location_name : m->name;
}

const char *shape_type_name(enum shape_type type);

#endif
