"""The JSON Schema of policy files: structural validation, and autocomplete for editors.

``dibao schema`` prints it; ``schema/policy.schema.json`` is the exported copy policy
files name in their ``yaml-language-server`` comment (a test keeps the two equal).
``PARAMS_SCHEMA`` is the schema of local parameter files (``--params FILE``), built from
the same parts, exported as ``schema/params.schema.json``.
Validation errors are turned into diagnostics located at the YAML node they concern.
"""

from __future__ import annotations

import json
from typing import Any

from engine.language.types import TYPE_SYNTAX

SCHEMA_ID = "https://dibao.example/schema/policy.schema.json"

_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "a date, YYYY-MM-DD"}
_NAME = r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$"
_CONFIDENCE = {"enum": ["high", "medium", "low"], "description": "how sure the source is (PUBLIC-FIGURES grades)"}

_CITATION = {
    "type": "object",
    "description": "where a value or rule comes from: a document id declared under `sources` and its clause",
    "properties": {
        "doc": {"type": "string", "description": "a document id declared under `sources` (here or in a parent layer)"},
        "clause": {"type": "string", "description": "the document's own clause numbering, e.g. 三(二) or 二(一)1(4)④"},
        "rule": {"type": "string", "pattern": r"^[A-Z]\d+$", "description": "the rule catalogue id, e.g. H5"},
        "confidence": _CONFIDENCE,
        "quote": {"type": "string", "description": "the words of the clause, for reviewers"},
    },
    "required": ["doc", "clause"],
    "additionalProperties": False,
}

_EXPRESSION = {"type": ["string", "number", "boolean"], "description": "an expression in the rules language"}

_TABLE = {
    "type": "array",
    "description": "a first-match decision table: rows `when`/`then`, ending with an `else` row",
    "minItems": 1,
    "items": {
        "type": "object",
        "oneOf": [
            {"properties": {"when": _EXPRESSION, "then": _EXPRESSION, "note": {"type": "string"}},
             "required": ["when", "then"], "additionalProperties": False},
            {"properties": {"else": _EXPRESSION, "note": {"type": "string"}},
             "required": ["else"], "additionalProperties": False},
        ],
    },
}

_CONSTANT = {"type": ["string", "number", "boolean", "array"],
             "items": {"type": ["string", "number", "boolean"]},
             "description": "a constant in the rules language, e.g. 3210 yuan/year; a set as a YAML list, "
                            "e.g. [medical, education] or []"}

_VALUE: dict[str, Any] = {
    "type": "object",
    "description": "one dated value of a parameter",
    "properties": {
        "from": _DATE,
        "to": {**_DATE, "description": "last day in force (inclusive); open-ended when absent"},
        "value": _CONSTANT,
        "must_supply": {"type": "string", "minLength": 1,
                        "description": "no source gives this value: say why; evaluation then needs --set"},
        "source": {**_CITATION, "description": "where the value comes from; without it, the parameter's `source:`"},
        "note": {"type": "string"},
    },
    "required": ["from"],
    "oneOf": [{"required": ["value"]}, {"required": ["must_supply"]}],
    "additionalProperties": False,
}

_KEYED_VALUE: dict[str, Any] = {
    "type": ["string", "number", "boolean", "array", "object"],
    "description": "the value from this date until the next date: a constant (cited by the parameter's "
                   "`source:`), or a mapping with `value` or `must_supply`, and `source`, `note`, `to`",
    "items": {"type": ["string", "number", "boolean"]},
    "properties": {
        "to": {**_DATE, "description": "last day in force (inclusive); only for the last date, which is "
                                      "otherwise open-ended"},
        "value": _CONSTANT,
        "must_supply": _VALUE["properties"]["must_supply"],
        "source": _VALUE["properties"]["source"],
        "note": {"type": "string"},
    },
    "additionalProperties": False,
    "if": {"type": "object"},
    "then": {"oneOf": [{"required": ["value"]}, {"required": ["must_supply"]}]},
}

_VALUES = {
    "type": ["array", "object"],
    "description": "the parameter's dated values: a list of `from`/`to` values, or a mapping from each start "
                   "date (YYYY-MM-DD) to the value in force from then until the next date",
    "items": _VALUE,
    "minItems": 1,
    "propertyNames": {"pattern": _DATE["pattern"]},
    "additionalProperties": _KEYED_VALUE,
    "minProperties": 1,
}

_CITED = {  # a parameter without its own `source:`: each value cites its own
    "items": {"required": ["source"]},
    "additionalProperties": {"if": {"type": "object"}, "then": {"required": ["source"]}},
}

_TYPE = {"type": "string", "description": "one of: " + ", ".join(TYPE_SYNTAX),
         "examples": ["money/year", "money/month", "bool", "int", "rate", "date", "list(text)"]}

_PARAMETER = {
    "type": "object",
    "properties": {
        "type": _TYPE,
        "label": {"type": "string", "description": "the name in the document's language"},
        "note": {"type": "string"},
        "source": {**_CITATION, "description": "the citation of every value that gives none of its own"},
        "values": _VALUES,
    },
    "required": ["type", "label", "values"],
    "additionalProperties": False,
    "if": {"not": {"required": ["source"]}},
    "then": {"properties": {"values": _CITED}},
}

_VARIANT = {
    "type": "object",
    "description": "the rule as in force between two dates",
    "properties": {
        "from": _DATE,
        "to": {**_DATE, "description": "last day in force (inclusive)"},
        "expr": _EXPRESSION,
        "table": _TABLE,
        "source": _CITATION,
        "note": {"type": "string"},
    },
    "required": ["from", "source"],
    "oneOf": [{"required": ["expr"]}, {"required": ["table"]}],
    "additionalProperties": False,
}

_RULE = {
    "type": "object",
    "properties": {
        "type": _TYPE,
        "label": {"type": "string", "description": "the name in the document's language"},
        "scope": {"enum": ["household", "member"], "description": "member rules are answered per member"},
        "output": {"type": "boolean", "description": "report this rule among the outputs (contract names always are)"},
        "available_when": {**_EXPRESSION, "description": "a condition: where it is false for a household, the "
                           "output is not available (null) instead of computed"},
        "note": {"type": "string", "description": "how an ambiguous clause is read, and why"},
        "source": _CITATION,
        "expr": _EXPRESSION,
        "table": _TABLE,
        "variants": {"type": "array", "items": _VARIANT, "minItems": 1},
    },
    "required": ["type", "label"],
    "oneOf": [
        {"required": ["expr", "source"]},
        {"required": ["table", "source"]},
        {"required": ["variants"]},
    ],
    "additionalProperties": False,
}

_SOURCE = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "number": {"type": "string", "description": "the document's 文号, e.g. 鹤政办〔2017〕14号"},
        "issued": _DATE,
        "published": _DATE,
        "seed": {"type": "string", "description": "the source document's file name"},
        "url": {"type": "string"},
        "confidence": _CONFIDENCE,
        "note": {"type": "string"},
    },
    "required": ["title"],
    "additionalProperties": False,
}

_POLICY = {
    "type": "object",
    "description": "what this folder is: the common layer, a region, or a sub-jurisdiction of a region",
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
        "kind": {"enum": ["common", "region", "subregion"]},
        "name": {"type": "string"},
        "province": {"type": "string"},
        "admin_code": {"type": "string", "pattern": r"^\d{6}$", "description": "the 6-digit administrative code"},
        "version": {"type": "string", "minLength": 1},
        "inherits": {"type": "string", "description": "the layer this one overrides (common, or the region)"},
        "span": {
            "type": "object",
            "properties": {"from": _DATE, "to": _DATE},
            "required": ["from", "to"],
            "additionalProperties": False,
            "description": "the dates this policy answers for",
        },
        "note": {"type": "string"},
    },
    "required": ["id", "kind", "name", "version", "span"],
    "additionalProperties": False,
}

_TERM_FIELDS: dict[str, Any] = {
    "name": {"type": "string", "description": "the Chinese name, as the documents write it (e.g. 工资性收入)"},
    "meaning": {"type": "string", "description": "what the code means, in one line"},
    "source": _CITATION,
    "note": {"type": "string", "description": "where the words come from when no declared source names them"},
}
_TERM = {"type": ["object", "null"], "properties": _TERM_FIELDS, "additionalProperties": False,
         "description": "one code of the household record: its Chinese name, meaning and source (null in a region: "
                        "an attempt to remove a code, reported)"}
_CODES = {"type": "object", "additionalProperties": _TERM,
          "description": "codes (as the household record writes them) and what each one is"}
_EVENT_KIND = {**_TERM, "properties": {**_TERM_FIELDS, "causes": {
    **_CODES, "description": "the causes an event of this kind names (a record must give one when there are any)"}}}

_VOCABULARY = {
    "type": "object",
    "description": "the codes a household record may use: the common layer's, and the kinds a region's document "
                   "adds (additions only; docs/policy-files.md)",
    "properties": {
        "income_kinds": _CODES,
        "expense_kinds": _CODES,
        "event_kinds": {**_CODES, "additionalProperties": _EVENT_KIND},
    },
    "additionalProperties": False,
}

POLICY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "dibao policy file",
    "description": "One YAML file of a region folder: metadata, sources, dated parameters and rules, and the "
                   "vocabulary of the household record.",
    "type": "object",
    "properties": {
        "policy": _POLICY,
        "sources": {"type": "object", "additionalProperties": _SOURCE,
                    "propertyNames": {"pattern": r"^[a-z0-9][a-z0-9_.-]*$"}},
        "parameters": {"type": "object", "additionalProperties": _PARAMETER, "propertyNames": {"pattern": _NAME}},
        "rules": {"type": "object", "additionalProperties": _RULE, "propertyNames": {"pattern": _NAME}},
        "vocabulary": _VOCABULARY,
    },
    "additionalProperties": False,
}


PARAMS_SCHEMA_ID = "https://dibao.example/schema/params.schema.json"

_LOCAL_VALUE = {
    **{k: v for k, v in _VALUE.items() if k != "oneOf"},
    "description": "one dated local value of a parameter the policy defines",
    "properties": {k: v for k, v in _VALUE["properties"].items() if k != "must_supply"},
    "required": ["from", "value"],
}

_LOCAL_KEYED = {
    **_KEYED_VALUE,
    "properties": {k: v for k, v in _KEYED_VALUE["properties"].items()
                   if k != "must_supply"},
    "then": {"required": ["value"]},
}

PARAMS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": PARAMS_SCHEMA_ID,
    "title": "dibao local parameter values",
    "description": "Values a region's policy leaves to the county or office (--params FILE): dated and sourced "
                   "like the values of policy files.",
    "type": "object",
    "properties": {
        "local": {
            "type": "object",
            "description": "whose values these are",
            "properties": {
                "region": {"type": "string", "description": "the region (or sub-jurisdiction) they apply to"},
                "name": {"type": "string", "description": "who supplies them, e.g. the county's civil-affairs bureau"},
                "note": {"type": "string"},
            },
            "required": ["region"],
            "additionalProperties": False,
        },
        "sources": {"type": "object", "additionalProperties": _SOURCE,
                    "propertyNames": {"pattern": r"^[a-z0-9][a-z0-9_.-]*$"}},
        "parameters": {
            "type": "object",
            "propertyNames": {"pattern": _NAME},
            "additionalProperties": {
                "type": "object",
                "properties": {
                    "label": {"type": "string", "description": "the parameter's name in words, for readers"},
                    "note": {"type": "string"},
                    "source": {**_CITATION, "description": "the citation of every value that gives none of its own"},
                    "values": {**_VALUES, "items": _LOCAL_VALUE, "additionalProperties": _LOCAL_KEYED},
                },
                "required": ["values"],
                "additionalProperties": False,
                "if": {"not": {"required": ["source"]}},
                "then": {"properties": {"values": _CITED}},
            },
        },
    },
    "required": ["local", "parameters"],
    "additionalProperties": False,
}

SCHEMAS = {"policy": POLICY_SCHEMA, "params": PARAMS_SCHEMA}


def schema_json(kind: str = "policy") -> str:
    """A schema as pretty JSON, as ``dibao schema`` prints it: policy files, or ``params`` files."""
    return json.dumps(SCHEMAS[kind], ensure_ascii=False, indent=2) + "\n"
