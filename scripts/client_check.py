"""A schemathesis check: a Python client generated from the OpenAPI document (openapi-generator,
package `lethe_client`) deserialises every JSON response the server sends.

Loaded with SCHEMATHESIS_HOOKS=client_check (scripts/schemathesis.sh does it when
LETHE_CLIENT_CHECK=1). For each response whose documented schema is a component (or a list of
them), the generated pydantic model reads the body with `from_dict`, as the generated API methods
do; a response it cannot read is a failure.
"""

import json
import re

import schemathesis

from lethe_client import models

_CLASSES = {
    re.sub(r"[^a-z0-9]", "", name.lower()): getattr(models, name) for name in dir(models) if name[:1].isupper()
}
# openapi-generator renames schemas whose names are Python keywords or its own reserved words.
_RENAMED = {"Field": "ModelField"}


def _model(ref):
    name = ref.rsplit("/", 1)[-1]
    name = _RENAMED.get(name, name)
    return _CLASSES.get(re.sub(r"[^a-z0-9]", "", name.lower()))


def _response_schema(case, status):
    responses = case.operation.definition.raw.get("responses", {})
    documented = responses.get(str(status)) or responses.get("default")
    if not documented:
        return None
    return ((documented.get("content") or {}).get("application/json") or {}).get("schema")


@schemathesis.check
def generated_client_deserializes(ctx, response, case):
    """The generated Python client reads the response body into its model."""
    if "json" not in ",".join(response.headers.get("content-type", [])):
        return None
    schema = _response_schema(case, response.status_code)
    if not schema:
        return None
    body = json.loads(response.content)
    if "$ref" in schema:
        model, items = _model(schema["$ref"]), [body]
    elif schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        model, items = _model(schema["items"]["$ref"]), body
    else:
        return None
    if model is None or not hasattr(model, "from_dict"):
        return None
    for item in items:
        try:
            parsed = model.from_dict(item)
        except Exception as e:  # pydantic's ValidationError and anything the model raises
            raise AssertionError(f"the generated client cannot read the {model.__name__}: {e}") from None
        if parsed is None:
            raise AssertionError(f"the generated client read no {model.__name__}")
    return None
