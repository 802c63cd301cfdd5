"""Protocol-buffer encoding of an OpenAPI v2 document as gnostic's openapi_v2.Document
(github.com/google/gnostic, openapiv2/OpenAPIv2.proto), the form kubectl requests from
/openapi/v2 (`Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`).

Only what the double publishes is encoded: swagger, info, paths (empty) and definitions with
their schemas, vendor extensions as gnostic Any values holding YAML (JSON is YAML).  Standard
library only: the wire format is written by hand."""

import json
import struct

VARINT, FIXED64, BYTES = 0, 1, 2


def _varint(n):
    if n < 0:
        n += 1 << 64  # int64 as two's complement, as protobuf does
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint((field << 3) | wire)


def _bytes_field(field, data):
    return _key(field, BYTES) + _varint(len(data)) + data


def _string(field, s):
    return _bytes_field(field, s.encode("utf-8"))


def _bool(field, v):
    return _key(field, VARINT) + _varint(1 if v else 0)


def _int64(field, v):
    return _key(field, VARINT) + _varint(int(v))


def _double(field, v):
    return _key(field, FIXED64) + struct.pack("<d", float(v))


def _any(field, value):
    """gnostic Any: the value as YAML text in field 2."""
    return _bytes_field(field, _string(2, json.dumps(value, sort_keys=True)))


def _named_any(field, name, value):
    return _bytes_field(field, _string(1, name) + _any(2, value))


# Schema fields: JSON key -> (field number, encoder kind)
_SCHEMA_SCALARS = {
    "$ref": (1, "string"), "format": (2, "string"), "title": (3, "string"), "description": (4, "string"),
    "default": (5, "any"), "multipleOf": (6, "double"), "maximum": (7, "double"),
    "exclusiveMaximum": (8, "bool"), "minimum": (9, "double"), "exclusiveMinimum": (10, "bool"),
    "maxLength": (11, "int64"), "minLength": (12, "int64"), "pattern": (13, "string"),
    "maxItems": (14, "int64"), "minItems": (15, "int64"), "uniqueItems": (16, "bool"),
    "maxProperties": (17, "int64"), "minProperties": (18, "int64"), "discriminator": (26, "string"),
    "readOnly": (27, "bool"), "example": (30, "any"),
}
_ENCODERS = {"string": _string, "any": _any, "double": _double, "bool": _bool, "int64": _int64}


def encode_schema(s):
    """One openapi_v2.Schema message (bytes) from a JSON schema dict."""
    out = bytearray()
    for key, value in s.items():
        if key in _SCHEMA_SCALARS:
            field, kind = _SCHEMA_SCALARS[key]
            out += _ENCODERS[kind](field, value)
        elif key == "required":
            for name in value:
                out += _string(19, name)
        elif key == "enum":
            for v in value:
                out += _any(20, v)
        elif key == "additionalProperties":
            item = _bool(2, value) if isinstance(value, bool) else _bytes_field(1, encode_schema(value))
            out += _bytes_field(21, item)
        elif key == "type":
            types = value if isinstance(value, list) else [value]
            out += _bytes_field(22, b"".join(_string(1, t) for t in types))
        elif key == "items":
            items = value if isinstance(value, list) else [value]
            out += _bytes_field(23, b"".join(_bytes_field(1, encode_schema(i)) for i in items))
        elif key == "allOf":
            for sub in value:
                out += _bytes_field(24, encode_schema(sub))
        elif key == "properties":
            named = b"".join(_bytes_field(1, _string(1, name) + _bytes_field(2, encode_schema(sub)))
                             for name, sub in value.items())
            out += _bytes_field(25, named)
        elif key.startswith("x-"):
            out += _named_any(31, key, value)
    return bytes(out)


def encode_document(doc):
    """openapi_v2.Document bytes for a JSON OpenAPI v2 document (swagger, info, definitions)."""
    out = bytearray(_string(1, doc.get("swagger", "2.0")))
    info = doc.get("info") or {}
    out += _bytes_field(2, b"".join(_string(n, info[k]) for k, n in (("title", 1), ("version", 2),
                                                                     ("description", 3)) if k in info))
    out += _bytes_field(8, b"")  # paths: kubectl reads only the definitions
    defs = b"".join(_bytes_field(1, _string(1, name) + _bytes_field(2, encode_schema(schema)))
                    for name, schema in (doc.get("definitions") or {}).items())
    out += _bytes_field(9, defs)
    return bytes(out)


def decode(data):
    """A generic decoder to (field, wire, value) triples, for the self-tests to read back what
    encode_* wrote: varints as int, fixed64 as bytes, length-delimited as bytes."""
    i, out = 0, []
    while i < len(data):
        key, i = _read_varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == VARINT:
            value, i = _read_varint(data, i)
        elif wire == FIXED64:
            value, i = data[i:i + 8], i + 8
        elif wire == BYTES:
            n, i = _read_varint(data, i)
            value, i = data[i:i + n], i + n
        else:
            raise ValueError("unexpected wire type %d" % wire)
        out.append((field, wire, value))
    return out


def _read_varint(data, i):
    shift = n = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i
