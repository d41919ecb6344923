"""Validators for the vendored PingOne specs, and a field-set comparison.

``jsonschema`` validates (Draft 2020-12 for the official 3.1 spec, Draft 7 for the Go SDK's
OpenAPI 3.0 schemas, whose extra keywords such as ``readOnly``/``example`` are annotations).
Both specs use Unicode property classes (``\\p{L}`` …) in ``pattern``; Python's ``re`` lacks
them, so patterns are matched with the ``regex`` module (ECMA-262 semantics, as the specs
intend, for these classes). ``additionalProperties`` is open in both specs, so
:func:`unknown_fields` also lists every field of a body that its schema does not declare.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import regex
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker, ValidationError
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT202012

SPECS = Path(__file__).parent / "specs"
OFFICIAL = "urn:pingone:platform-3.1"
SDK = "urn:pingone:management-sdk-3.0"

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.tzinfo is not None and "T" in value


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    return not isinstance(value, str) or str(uuid.UUID(value)) == value.lower()


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    del validator, schema
    if isinstance(instance, str) and regex.search(pattern, instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Official = extend(Draft202012Validator, {"pattern": _pattern})
_Sdk = extend(Draft7Validator, {"pattern": _pattern})


@functools.cache
def _documents() -> dict[str, Any]:
    official = json.loads((SPECS / "pingone-platform-openapi-3.1.json").read_text("utf-8"))
    sdk = json.loads((SPECS / "pingone-management-sdk-schemas-3.0.json").read_text("utf-8"))
    return {OFFICIAL: official, SDK: sdk}


@functools.cache
def _registry() -> Registry:
    docs = _documents()
    return Registry().with_resources(
        [
            (OFFICIAL, Resource(docs[OFFICIAL], specification=DRAFT202012)),
            (SDK, Resource(docs[SDK], specification=DRAFT7)),
        ]
    )


def schema(spec: str, name: str) -> dict[str, Any]:
    """The component schema ``name`` of ``spec`` (raises KeyError when the spec lacks it)."""
    found: dict[str, Any] = _documents()[spec]["components"]["schemas"][name]
    return found


@functools.cache
def _validator(spec: str, name: str) -> Any:
    schema(spec, name)  # KeyError for a typo in a test, not a silent pass
    cls = _Official if spec == OFFICIAL else _Sdk
    ref = {"$ref": f"{spec}#/components/schemas/{name}"}
    return cls(ref, registry=_registry(), format_checker=FORMATS)


def errors(spec: str, name: str, body: Any) -> list[str]:
    """Schema violations of ``body`` (empty when it validates)."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in _validator(spec, name).iter_errors(body)
    ]


def _resolve(spec: str, node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        name = ref.rsplit("/", 1)[-1]
        node = schema(spec, name)
    return node


def _properties(spec: str, node: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """Declared properties (through allOf/oneOf/anyOf) and additionalProperties."""
    node = _resolve(spec, node)
    props: dict[str, Any] = dict(node.get("properties", {}))
    extra = node.get("additionalProperties")
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in node.get(key, []):
            sub_props, sub_extra = _properties(spec, sub)
            props.update(sub_props)
            extra = extra if extra is not None else sub_extra
    return props, extra


def unknown_fields(spec: str, name: str, body: Any) -> list[str]:
    """Paths of fields in ``body`` that the schema does not declare (open-ended maps such as
    ``_links`` or ``innerError`` with a schema for additional properties are allowed)."""
    return list(_walk(spec, schema(spec, name), body, ""))


def _walk(spec: str, node: dict[str, Any], body: Any, path: str) -> Iterator[str]:
    node = _resolve(spec, node)
    if isinstance(body, list):
        items = node.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(body):
                yield from _walk(spec, items, item, f"{path}[{i}]")
        return
    if not isinstance(body, dict):
        return
    props, extra = _properties(spec, node)
    for key, value in body.items():
        where = f"{path}.{key}" if path else key
        if key in props:
            yield from _walk(spec, props[key], value, where)
        elif isinstance(extra, dict) and extra:
            yield from _walk(spec, extra, value, where)
        elif extra in (True, None) and not props:
            continue  # a free-form map (innerError, Group.customData: no declared fields)
        else:
            yield where
