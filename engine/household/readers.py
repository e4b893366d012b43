"""Reading household records from files and text: JSON, JSON Lines and YAML, numbers exact.

``read_households(path)`` yields ``(line, raw_record)`` pairs; a line that cannot be read
becomes an ``Unreadable`` carrying its diagnostics (``E-JSON``, ``E-YAML``), so no record is
ever lost. The located readers also give, per record, a function placing a field path at
the line and column where its value is written. Validation is ``engine.household.record``'s.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span
from engine.base.json_source import JsonPositions
from engine.base.yaml_source import load_yaml_text
from engine.household.model import Unreadable
from engine.household.problems import Locate
from engine.household.values import show


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"duplicate key {show(key)}")
            seen.add(key)
    return result


def _json(text: str) -> object:
    """JSON with every number exact: floats, NaN and Infinity become Decimal."""
    return json.loads(
        text,
        parse_float=Decimal,
        parse_constant=Decimal,
        object_pairs_hook=_no_duplicate_keys,
    )


_FORMATS = {".json": "json", ".jsonl": "jsonl", ".yaml": "yaml", ".yml": "yaml"}
_PARSE_FAILURES = (ValueError, RecursionError, ArithmeticError)


def _io_error(source: str, message: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic("E-IO", message, Span(source, 1, 1))])


def _format_of(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        if fmt not in ("json", "jsonl", "yaml"):
            raise _io_error(str(path), f"unknown household format {fmt!r} (use json, jsonl or yaml)")
        return fmt
    found = _FORMATS.get(path.suffix.lower())
    if found is None:
        raise _io_error(
            str(path),
            f"cannot tell the format of {path.name!r}: use a .json, .jsonl, .yaml or .yml file",
        )
    return found


def _unreadable(code: str, message: str, source: str, line: int, column: int = 1) -> Unreadable:
    return Unreadable((Diagnostic(code, message, Span(source, line, max(1, column))),))


def _jsonl_record(raw: bytes | str, source: str, line: int) -> object:
    """One JSON Lines record, or an ``Unreadable`` naming the line."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            return _unreadable("E-JSON", f"not valid UTF-8 text: {error.reason}", source, line)
    if line == 1:
        raw = raw.removeprefix("\ufeff")
    try:
        return _json(raw)
    except json.JSONDecodeError as error:
        return _unreadable(
            "E-JSON", f"not valid JSON: {error.msg} (column {error.colno})", source, line
        )
    except _PARSE_FAILURES as error:
        return _unreadable("E-JSON", f"not valid JSON: {_reason(error)}", source, line)


def _reason(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:200]


def read_household_text(text: str, *, fmt: str, source: str) -> Iterator[tuple[int, object]]:
    """``(line, raw_record)`` for each record in ``text`` (``Unreadable`` if unparsable)."""
    for line, raw, _locate in _located_records(text, fmt=fmt, source=source):
        yield line, raw


def _located_records(text: str, *, fmt: str, source: str) -> Iterator[tuple[int, object, Locate | None]]:
    """Each record with where its values are written (found only when a record has a problem)."""
    fmt = _format_of(Path(source), fmt)
    if fmt == "jsonl":
        for number, raw in enumerate(text.split("\n"), 1):
            if raw.strip():
                yield number, _jsonl_record(raw, source, number), _json_locator(raw, source, number)
    elif fmt == "json":
        text = text.removeprefix("\ufeff")
        yield 1, _json_document(text, source), _json_locator(text, source, 1)
    else:
        yield _yaml_document(text.removeprefix("\ufeff"), source)


def _json_locator(text: str | bytes, source: str, line: int) -> Locate:
    def locate(path: tuple[object, ...]) -> Span:
        decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        return JsonPositions(decoded.removeprefix("\ufeff"), source, line).span(path)

    return locate


def _json_document(text: str, source: str) -> object:
    try:
        return _json(text)
    except json.JSONDecodeError as error:
        return _unreadable("E-JSON", f"not valid JSON: {error.msg}", source, error.lineno, error.colno)
    except _PARSE_FAILURES as error:
        return _unreadable("E-JSON", f"not valid JSON: {_reason(error)}", source, 1)


def _yaml_document(text: str, source: str) -> tuple[int, object, Locate | None]:
    """One YAML document, read by the same strict loader as policy files: numbers are exact
    (``0750``, ``0x2EE`` and ``1_000`` stay the text they are, never an octal, hexadecimal or
    grouped number), dates stay text, tags and merge keys are refused."""
    try:
        loaded = load_yaml_text(text, source)
    except DiagnosticError as error:
        return 1, Unreadable(tuple(error.diagnostics)), None

    def locate(path: tuple[object, ...]) -> Span:
        return loaded.span(tuple(part for part in path if isinstance(part, (str, int))))

    return 1, loaded.data, locate


def _stdin_text() -> str:
    data = sys.stdin.buffer.read() if hasattr(sys.stdin, "buffer") else sys.stdin.read()
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise _io_error("<stdin>", f"standard input is not UTF-8 text: {error.reason}") from None
    return data


def read_households(path: Path | str, *, fmt: str | None = None) -> Iterator[tuple[int, object]]:
    """``(line, raw_record)`` for every record in a file; ``-`` reads standard input.

    JSON Lines files are streamed line by line; blank lines are skipped; an unparsable
    line yields an ``Unreadable`` so that nothing is lost. Raises ``DiagnosticError``
    (``E-IO``) when the file itself cannot be read or its format is unknown.
    """
    for line, raw, _locate in _read_located(path, fmt=fmt):
        yield line, raw


def _read_located(path: Path | str, *, fmt: str | None = None) -> Iterator[tuple[int, object, Locate | None]]:
    path = Path(path)
    if str(path) == "-":
        yield from _located_records(_stdin_text(), fmt=fmt or "jsonl", source="<stdin>")
        return
    source = str(path)
    fmt = _format_of(path, fmt)
    try:
        if fmt == "jsonl":
            with path.open("rb") as stream:
                for number, raw in enumerate(stream, 1):
                    if raw.strip():
                        yield number, _jsonl_record(raw, source, number), _json_locator(raw, source, number)
            return
        data = path.read_bytes()
    except OSError as error:
        raise _io_error(source, f"cannot read {source}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        code = "E-YAML" if fmt == "yaml" else "E-JSON"
        yield 1, _unreadable(code, f"not valid UTF-8 text: {error.reason}", source, 1), None
        return
    yield from _located_records(text, fmt=fmt, source=source)


