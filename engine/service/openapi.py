"""Request-body schemas and examples for the OpenAPI document.

Bodies are read by ``engine.service.requests`` (exact decimals, located problems), not
by a model class, so their shapes are declared here for ``/openapi.json`` and ``/docs``.
"""

from __future__ import annotations

from typing import Any

HOUSEHOLD_EXAMPLE: dict[str, Any] = {
    "id": "HB-0001", "hukou": "hebi",
    "members": [{"id": "p1", "birth_date": "1950-03-01", "labour_capacity": "none",
                 "incomes": [{"kind": "wages", "amount": "1200", "per": "month"}]}],
    "status": {"registered_poor": True, "dibao_since": "2016-01-01"},
}

HOUSEHOLD = {"type": "object", "required": ["id", "hukou", "members"],
             "description": "A household record as the contract defines it (docs/households.md lists every field)."}
OVERRIDES = {"type": "object", "additionalProperties": {"type": ["string", "number"]},
             "description": "Parameter name → value, as `--set NAME=VALUE` takes it."}
DATE = {"type": "string", "format": "date"}


def body(properties: dict[str, Any], required: list[str], example: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` for a JSON request body."""
    schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema,
                                                                                "example": example}}}}


EVALUATE = body({"region": {"type": "string"}, "date": DATE, "household": HOUSEHOLD, "set": OVERRIDES},
                ["region", "date", "household"],
                {"region": "hebi", "date": "2017-10-01", "household": HOUSEHOLD_EXAMPLE})
EXPLAIN = body({"region": {"type": "string"}, "date": DATE, "household": HOUSEHOLD, "set": OVERRIDES,
                "output": {"type": "string", "description": "Explain only this output."}},
               ["region", "date", "household"],
               {"region": "hebi", "date": "2017-10-01", "household": HOUSEHOLD_EXAMPLE,
                "output": "dibao.benefit_monthly"})
COMPARE = body({"date": DATE, "household": HOUSEHOLD, "set": OVERRIDES}, ["date", "household"],
               {"date": "2017-10-01", "household": HOUSEHOLD_EXAMPLE})
BATCH = {"requestBody": {"required": True, "content": {
    "application/x-ndjson": {"schema": {"type": "string", "description": "One household record per line."}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary", "description": "A JSON Lines file."}}, "required": ["file"]}},
}}}

PROBLEM = {"description": "Bad input: located diagnostics (code, message, path, line, column)", "content": {
    "application/json": {"example": {"error": "bad input", "diagnostics": [{
        "code": "E-HOUSEHOLD", "message": "members[0].birth_date: 1950-13-01 is not a date (record HB-0001)",
        "path": "household.members[0].birth_date", "line": 1, "column": 98}]}}}}
NOT_FOUND = {"description": "Unknown region (or parameter, or decision)"}
TOO_LARGE = {"description": "The body is larger than the documented limit"}
ANSWERS: dict[int | str, dict[str, Any]] = {404: NOT_FOUND, 413: TOO_LARGE, 422: PROBLEM}
