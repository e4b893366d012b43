"""The Python API: one household (``evaluate``) or a table of households (``evaluate_table``).

These are the calls a program makes, with the command line's guarantees: the household
may be a dict, a path to a JSON or YAML file, or an already validated ``Household``; the
date a ``datetime.date`` or an ISO string; ``set`` overrides parameters as ``--set`` does
and ``params`` names local parameter files as ``--params`` does; ``policies`` is a policy
folder (or an open ``PolicyLibrary``), else the tree ``choose_tree`` finds. Any bad input
raises ``DiagnosticError`` carrying every located diagnostic, never another exception.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.household.record import Household, load_household, validate_household
from engine.household.vocabulary import Vocabulary
from engine.runtime.evaluate import evaluate as evaluate_household
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import Determination

PathLike = str | os.PathLike[str]
Policies = PathLike | PolicyLibrary | None
Params = PathLike | Sequence[PathLike] | None


def evaluate(household: Mapping[str, Any] | PathLike | Household, region: str, date: dt.date | str, *,
             set: Mapping[str, Any] | None = None, params: Params = None, policies: Policies = None,
             outputs: Iterable[str] | None = None) -> Determination:
    """Evaluate one household against ``region``'s policy in force on ``date``.

    The ``Determination`` holds the exact outputs and member outputs, the policy version
    and digest and the tree used; ``.to_dict()`` is the contract JSON ``dibao evaluate``
    prints and ``.explain()`` the explain tree as data.
    """
    as_of = as_date(date)
    region = as_region(region)
    overrides = as_overrides(set)
    library = open_policies(policies, params, region)
    record = as_household(household, library.vocabulary_of(region))
    determination = evaluate_household(record, region, as_of, overrides=overrides,
                                       outputs=list(outputs) if outputs is not None else None, library=library)

    def explainer(output: str | None) -> dict[str, Any]:
        from engine.tools.explain import explain

        return explain(library, record, region, as_of, overrides, output).as_dict()

    determination.explainer = explainer
    return determination


def evaluate_table(table: Any, region: str, date: dt.date | str, *, set: Mapping[str, Any] | None = None,
                   params: Params = None, policies: Policies = None, chunk_size: int = 20_000) -> Any:
    """Evaluate a caseload held in memory: see ``engine.batch.frames.evaluate_frames`` (needs ``dibao[batch]``)."""
    from engine.extras import require_extra

    require_extra("batch", "engine.evaluate_table")
    from engine.batch.frames import evaluate_frames

    as_of = as_date(date)
    region = as_region(region)
    overrides = as_overrides(set)
    library = open_policies(policies, params, region)
    return evaluate_frames(table, library, region, as_of, overrides, chunk_size)


# --- arguments, checked ------------------------------------------------------------------------


def as_date(value: object) -> dt.date:
    """A ``date`` (a ``datetime`` gives its day) or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value)
        except ValueError:
            pass
        raise _bad("E-DATE", f"date: {value!r} is not a date written YYYY-MM-DD")
    raise _bad("E-DATE", f"date: give a datetime.date or a YYYY-MM-DD string, not {type(value).__name__}")


def as_region(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise _bad("E-REGION", f"region: give a region id such as 'hebi', not {value!r}")
    return value


def as_overrides(values: Mapping[str, Any] | None) -> dict[str, str]:
    """``set=`` values as ``--set`` text: numbers and decimals as digits, booleans as true/false."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise _bad("E-SET", f"set: give a mapping of parameter names to values, not {type(values).__name__}")
    found: dict[str, str] = {}
    problems = []
    for name, value in values.items():
        if isinstance(value, bool):
            found[str(name)] = "true" if value else "false"
        elif isinstance(value, (str, int, Decimal)):
            found[str(name)] = str(value)
        else:
            problems.append(Diagnostic("E-SET", f"set[{name!r}]: give text, an int or a Decimal, not "
                                       f"{type(value).__name__} (money is never a float)"))
    if problems:
        raise DiagnosticError(problems)
    return found


def as_params(params: Params) -> list[Path]:
    if params is None:
        return []
    if isinstance(params, (str, os.PathLike)):
        return [Path(params)]
    if isinstance(params, Sequence) and all(isinstance(p, (str, os.PathLike)) for p in params):
        return [Path(p) for p in params]
    raise _bad("E-PARAMS", f"params: give a path or a list of paths to local parameter files, not {params!r}")


def open_policies(policies: Policies, params: Params, region: str | None = None) -> PolicyLibrary:
    """The library to use: an open one, a folder, or the one ``choose_tree`` finds; with the params files."""
    files = as_params(params)
    if isinstance(policies, PolicyLibrary):
        library = policies
    elif policies is None or isinstance(policies, (str, os.PathLike)):
        library = PolicyLibrary.open(Path(policies) if policies is not None else None)
    else:
        raise _bad("E-POLICY", f"policies: give a policy folder or a PolicyLibrary, not {type(policies).__name__}")
    return library.for_run(files, region)


def as_household(value: object, vocabulary: Vocabulary | None = None) -> Household:
    """A validated household from a dict, a path to a JSON/YAML file, or a ``Household``; ``vocabulary``: the
    kinds the record may use (the region's, ``PolicyLibrary.vocabulary_of``)."""
    if isinstance(value, Household):
        return value
    if isinstance(value, Mapping):
        return validate_household(value, source="<household>", vocabulary=vocabulary)
    if isinstance(value, (str, os.PathLike)):
        return load_household(Path(value), vocabulary=vocabulary)
    raise _bad("E-HOUSEHOLD", "household: give a dict, a path to a JSON or YAML file, or a validated Household, "
               f"not {type(value).__name__}")


def _bad(code: str, message: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(code, message)])
