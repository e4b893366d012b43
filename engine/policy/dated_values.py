"""A parameter's ``values:`` as written, in either of its two forms, → ``DatedValue`` objects.

The **list form** gives each value its dates::

    values:
      - {from: 2016-01-01, to: 2017-06-30, value: 3000 yuan/year, source: {...}}
      - {from: 2017-07-01, value: 3210 yuan/year, source: {...}}

The **keyed form** keys each value by the day it starts, as OpenFisca's parameters are;
the next key ends the value before it, so values can neither overlap nor leave a gap::

    values:
      2016-01-01: {value: 3000 yuan/year, source: {...}}
      2017-07-01: 3210 yuan/year          # short form: cited by the parameter's source

In the keyed form the keys go in date order, and only the last value may carry a
``to:`` (a value that ends with no successor); a ``from:`` has no place in it. A
parameter uses one form or the other (a YAML list or a mapping), never both. In both
forms a value without a ``source`` is cited by the parameter's own ``source:``; without
that either, it is an error. Every ``DatedValue`` keeps the position of what it was read
from (the ``- from:`` item, or the date key), so later diagnostics point at the file.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from engine.base.yaml_source import LoadedYaml
from engine.policy.policy_model import Citation, DatedValue

if TYPE_CHECKING:
    from engine.policy.policy_files import LayerBuilder
    from engine.policy.structure import Path_


def read_values(builder: LayerBuilder, doc: LoadedYaml, path: Path_) -> list[DatedValue]:
    """The dated values of the parameter at ``path`` (``("parameters", name)``); one that fails to read is
    reported and left out."""
    data = builder.get(doc, path)
    default = builder.citation(doc, (*path, "source")) if isinstance(data.get("source"), dict) else None
    values = data["values"]
    if isinstance(values, list):
        read = [_listed(builder, doc, (*path, "values", index), default) for index in range(len(values))]
    else:
        read = _keyed(builder, doc, (*path, "values"), default)
    return [v for v in read if v is not None]


def _listed(builder: LayerBuilder, doc: LoadedYaml, path: Path_, default: Citation | None) -> DatedValue | None:
    data = builder.get(doc, path)
    start = builder.read_date(doc, (*path, "from"))
    ok, end = builder.optional_date(doc, (*path, "to"))
    expr = builder.expression(doc, (*path, "value")) if "value" in data else None
    source = _source(builder, doc, path, default)
    if start is None or not ok or ("value" in data and expr is None) or source is None:
        return None
    if end is not None and end < start:
        builder.error("E-RANGE", f"this value ends ({end}) before it starts ({start})", doc.span(path))
    return _dated(data, start, end, expr, source, doc.span(path))


def _keyed(builder: LayerBuilder, doc: LoadedYaml, path: Path_, default: Citation | None) -> list[DatedValue | None]:
    keys = list(builder.get(doc, path))
    starts = [_key_date(builder, doc, (*path, key)) for key in keys]
    _check_order(builder, doc, path, keys, starts)
    known = sorted(start for start in starts if start is not None)
    read: list[DatedValue | None] = []
    for key, start in zip(keys, starts, strict=True):
        following = next((day for day in known if start is not None and day > start), None)
        read.append(_keyed_value(builder, doc, (*path, key), start, following, default))
    return read


def _key_date(builder: LayerBuilder, doc: LoadedYaml, path: Path_) -> date | None:
    try:
        return date.fromisoformat(str(path[-1]))
    except ValueError:
        builder.error("E-DATE", f"{path[-1]} is not a real date", doc.key_span(path))
        return None


def _check_order(builder: LayerBuilder, doc: LoadedYaml, path: Path_, keys: list[Any],
                 starts: list[date | None]) -> None:
    latest: tuple[str, date] | None = None
    for key, start in zip(keys, starts, strict=True):
        if start is None:
            continue
        if latest is not None and start <= latest[1]:
            builder.error("E-KEYED", f"the dates of keyed values go in order: {key} comes after {latest[0]}; "
                          "move it above", doc.key_span((*path, key)))
        else:
            latest = (str(key), start)


def _keyed_value(builder: LayerBuilder, doc: LoadedYaml, path: Path_, start: date | None,
                 following: date | None, default: Citation | None) -> DatedValue | None:
    data = builder.get(doc, path)
    where = doc.key_span(path)
    if not isinstance(data, dict):  # the short form: the constant alone
        expr = builder.expression(doc, path)
        source = _source(builder, doc, path, default)
        if start is None or expr is None or source is None:
            return None
        return DatedValue(start=start, end=_day_before(following), expr=expr, must_supply=None, source=source,
                          span=where)
    ok, end = builder.optional_date(doc, (*path, "to"))
    if end is not None and following is not None:
        builder.error("E-KEYED", f"`to:` ends only the last keyed value; this one ends the day before the next "
                      f"date ({following})", doc.key_span((*path, "to")))
    expr = builder.expression(doc, (*path, "value")) if "value" in data else None
    source = _source(builder, doc, path, default)
    if start is None or not ok or ("value" in data and expr is None) or source is None:
        return None
    if end is not None and end < start:
        builder.error("E-RANGE", f"this value ends ({end}) before it starts ({start})", doc.key_span((*path, "to")))
    return _dated(data, start, end if following is None else _day_before(following), expr, source, where)


def _day_before(day: date | None) -> date | None:
    return day - timedelta(days=1) if day is not None else None


def _source(builder: LayerBuilder, doc: LoadedYaml, path: Path_, default: Citation | None) -> Citation | None:
    data = builder.get(doc, path)
    if isinstance(data, dict) and isinstance(data.get("source"), dict):
        return builder.citation(doc, (*path, "source"))
    if default is None:
        from engine.policy.structure import path_text

        builder.error("E-SCHEMA", f"{path_text(path)}: missing key 'source' (cite the value here, or give the "
                      "parameter a `source:` that cites every value without its own)", doc.key_span(path))
    return default


def _dated(data: dict[str, Any], start: date, end: date | None, expr: Any, source: Citation, where: Any,
           ) -> DatedValue:
    reason = data.get("must_supply")
    return DatedValue(start=start, end=end, expr=expr, must_supply=reason.strip() if reason else None,
                      source=source, span=where, note=data.get("note"))
