"""The published OpenAPI schema as the tests read it: generated once per
process, and its OpenAPI 3.0 schemas turned into plain JSON Schema so a
body (an example, or a real response) can be checked against them."""

import functools
import io

import jsonschema
import yaml
from django.core.management import call_command


@functools.cache
def load_schema() -> dict:
    """``manage.py spectacular --validate --fail-on-warn``, parsed (raises on any warning)."""
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out, stderr=io.StringIO())
    return yaml.safe_load(out.getvalue())


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def json_schema(node, components, depth=0):
    """``node`` as plain JSON Schema: references inlined, ``nullable`` as a null alternative."""
    assert depth < 30, "reference cycle"
    if isinstance(node, list):
        return [json_schema(n, components, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return json_schema(components[node["$ref"].rsplit("/", 1)[1]], components, depth + 1)
    out = {k: json_schema(v, components, depth + 1) for k, v in node.items() if k not in ("nullable", "example")}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def violations(value, node, schema=None) -> list[str]:
    """Where ``value`` breaks the schema ``node`` (a fragment of ``schema``, or
    a component name); empty when it conforms."""
    schema = schema or load_schema()
    components = schema["components"]["schemas"]
    if isinstance(node, str):
        node = components[node]
    validator = jsonschema.Draft202012Validator(
        json_schema(node, components), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(value)]
