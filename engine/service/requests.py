"""Request bodies: read exactly, checked field by field, every problem located in the body.

A body is parsed by the household reader (numbers stay exact decimals, repeated keys
are refused, a syntax error names its line and column). Each problem is a
``Diagnostic`` whose ``path`` is where it is in the body (``household.members[0].birth_date``);
``as_data`` turns it into the JSON the API answers with: ``code``, ``message``,
``path``, ``line`` and ``column`` in the body, and ``file`` when the problem is in a
policy file rather than in the request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError, FieldPath, Span
from engine.household.record import Household, Unreadable, read_household_text, validate_household
from engine.household.vocabulary import Vocabulary

BODY = "<request>"
Path = FieldPath
Problems = list[Diagnostic]


@dataclass
class RequestProblem(Exception):
    """Problems found in a request, each a diagnostic whose ``path`` is the field it is about."""

    problems: list[Diagnostic]
    text: str = ""


def at(path: Path | None, diagnostic: Diagnostic) -> Diagnostic:
    """The diagnostic about the field at ``path`` of the request."""
    return replace(diagnostic, path=path)


@dataclass(frozen=True)
class Evaluation:
    """What ``/v1/evaluate`` and ``/v1/explain`` are asked: a household, a region, a date, overrides."""

    region: str
    as_of: date
    record: Mapping[str, Any]
    household: Household
    overrides: dict[str, str]
    output: str | None = None
    text: str = ""


def parse_body(body: bytes) -> tuple[dict[str, Any], str]:
    """The body as a JSON object with exact numbers, and its text."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestProblem([Diagnostic("E-JSON", f"the body is not UTF-8 text: {error.reason}",
                                         Span(BODY, 1, 1))]) from None
    [(_, data)] = list(read_household_text(text, fmt="json", source=BODY)) or [(1, None)]
    if isinstance(data, Unreadable):
        raise RequestProblem(list(data.diagnostics), text)
    if not isinstance(data, dict):
        raise RequestProblem([Diagnostic("E-REQUEST", "the body must be a JSON object", path=())], text)
    return data, text


def evaluation(body: bytes, *, with_output: bool = False,
               vocabulary_of: Callable[[str | None], Vocabulary] | None = None) -> Evaluation:
    """What ``/v1/evaluate`` and ``/v1/explain`` are asked; the household checked against the region's
    vocabulary (``vocabulary_of(region)``, the library's)."""
    data, text = parse_body(body)
    problems: Problems = []
    allowed = {"region", "date", "household", "set"} | ({"output"} if with_output else set())
    problems += _unknown_fields(data, allowed)
    region = _text(data, "region", problems)
    as_of = _date(data, "date", problems)
    overrides = _overrides(data, problems)
    output = _text(data, "output", problems, required=False) if with_output else None
    household = _household(data, problems, vocabulary_of(region) if vocabulary_of is not None else None)
    if problems:
        raise RequestProblem(problems, text)
    assert region is not None and as_of is not None and household is not None
    return Evaluation(region, as_of, data["household"], household, overrides, output, text)


def comparison(body: bytes, vocabulary: Vocabulary | None = None) -> tuple[date, Household, dict[str, str], str]:
    """What ``/v1/compare`` is asked: a date, a household (checked against the tree's ``vocabulary``) and
    overrides."""
    data, text = parse_body(body)
    problems = _unknown_fields(data, {"date", "household", "set"})
    as_of = _date(data, "date", problems)
    overrides = _overrides(data, problems)
    household = _household(data, problems, vocabulary)
    if problems:
        raise RequestProblem(problems, text)
    assert as_of is not None and household is not None
    return as_of, household, overrides, text


def _problem(path: Path, code: str, message: str) -> Diagnostic:
    return Diagnostic(code, f"{path_text(path)}: {message}", path=path)


def _unknown_fields(data: dict[str, Any], allowed: set[str]) -> Problems:
    return [_problem((key,), "E-REQUEST", f"unknown field; the fields are {', '.join(sorted(allowed))}")
            for key in data if key not in allowed]


def _text(data: dict[str, Any], key: str, problems: Problems,
          required: bool = True) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            problems.append(_problem((key,), "E-REQUEST", "required"))
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(_problem((key,), "E-REQUEST", "must be a non-empty string"))
        return None
    return value


def _date(data: dict[str, Any], key: str, problems: Problems) -> date | None:
    value = _text(data, key, problems)
    if value is None:
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    problems.append(_problem((key,), "E-REQUEST", f"{value!r} is not a date written YYYY-MM-DD"))
    return None


def _overrides(data: dict[str, Any], problems: Problems) -> dict[str, str]:
    """``set``: parameter name → value, as ``--set NAME=VALUE`` takes it (numbers are written as given)."""
    value = data.get("set")
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(_problem(("set",), "E-REQUEST", "must be an object of parameter name → value"))
        return {}
    found: dict[str, str] = {}
    for name, item in value.items():
        if isinstance(item, bool) or item is None or isinstance(item, (dict, list)):
            problems.append(_problem(("set", name), "E-REQUEST", "must be a string or a number"))
        else:
            found[name] = str(item)
    return found


def _household(data: dict[str, Any], problems: Problems, vocabulary: Vocabulary | None) -> Household | None:
    record = data.get("household")
    if record is None:
        problems.append(_problem(("household",), "E-REQUEST", "required"))
        return None
    try:
        return validate_household(record, source=BODY, vocabulary=vocabulary)
    except DiagnosticError as error:
        problems += [at(("household", *(d.path or ())), d) for d in error.diagnostics]
        return None


def from_library(error: DiagnosticError, text: str = "") -> RequestProblem:
    """The library's diagnostics about a request, each tied to the field it is about."""
    return RequestProblem([at(_path_of(d), d) for d in error.diagnostics], text)


def _path_of(diagnostic: Diagnostic) -> Path | None:
    """The request field a library diagnostic is about: its own path when it has one, else
    the field its place or its code names (an override's name, the date, the region)."""
    if diagnostic.path is not None:
        return diagnostic.path
    span = diagnostic.span
    if span is not None and span.file.startswith("--set "):
        return ("set", span.file.removeprefix("--set "))
    return _FIELDS.get(diagnostic.code)


_FIELDS: dict[str, Path] = {"E-DATE": ("date",), "E-SPAN": ("date",), "E-REGION": ("region",), "E-OUTPUT": ("output",)}


def path_text(path: Path) -> str:
    """``household.members[0].birth_date``, keys joined by dots as the API has always written
    them (``set.dibao.standard_annual``); the empty path (the body as a whole) is ``""``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def located(problem: RequestProblem) -> list[dict[str, Any]]:
    """Each problem as data, with its line and column in the body when the body can be read as a tree."""
    finder = _Locator(problem.text)
    return [as_data(d, finder.place(d.path)) for d in problem.problems]


def as_data(diagnostic: Diagnostic, place: tuple[int, int] | None = None) -> dict[str, Any]:
    """A diagnostic as the API answers it; ``path`` is the diagnostic's own."""
    path = diagnostic.path
    span = diagnostic.span
    in_body = span is not None and span.file == BODY
    line, column = place if place is not None else ((span.line, span.column) if in_body and span else (None, None))
    data: dict[str, Any] = {"code": diagnostic.code, "message": diagnostic.message,
                            "path": path_text(path) if path is not None else None, "line": line, "column": column}
    if span is not None and not in_body:
        data["file"] = span.file
        data["file_line"], data["file_column"] = span.line, span.column
    if diagnostic.suggestion:
        data["suggestion"] = diagnostic.suggestion
    if diagnostic.notes:
        data["notes"] = list(diagnostic.notes)
    return data


LOCATE_BYTES = 200_000  # past this a body's problems are named by path only: finding places costs time


class _Locator:
    """Positions of paths in a JSON body, read with the position-keeping YAML loader (JSON is YAML)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.loaded: Any = None
        self.tried = False

    def place(self, path: Path | None) -> tuple[int, int] | None:
        if path is None or not self.text or len(self.text) > LOCATE_BYTES:
            return None
        if not self.tried:
            self.tried = True
            from engine.base.yaml_source import load_yaml_text

            try:
                self.loaded = load_yaml_text(self.text, BODY)
            except DiagnosticError:
                self.loaded = None  # e.g. a tab between tokens: JSON allows it, YAML does not
        if self.loaded is None:
            return None
        span = self.loaded.span(path)
        return span.line, span.column
