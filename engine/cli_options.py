"""What every ``dibao`` command shares: the options, opening the policy tree, reporting problems.

``--policies DIR`` (else ``$DIBAO_POLICIES``, else the nearest ``policies/`` here or above,
else the tree bundled with dibao) and ``--params FILE`` (local parameter values,
repeatable) choose the policy tree; ``--region``, ``--date``, ``--set`` and ``--labels``
are written once here and used by each command that takes them. ``reports_problems``
turns diagnostics into one located line each on stderr and exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from engine.base.diagnostics import Diagnostic, DiagnosticError, render_all
from engine.base.i18n import tr_message
from engine.cli_support import localized
from engine.language.builtins import iso_date
from engine.runtime.library import PolicyLibrary

F = TypeVar("F", bound=Callable[..., Any])


def policies_option(function: F) -> F:
    """``--policies DIR`` and ``--params FILE`` (repeatable), given to the command as ``policies`` and ``params``."""
    function = click.option(
        "--params", "params", multiple=True, type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
        help="Local parameter values: YAML, dated and sourced like policy files (repeatable; --set wins).")(function)
    return click.option(
        "--policies", "policies", type=click.Path(file_okay=False, path_type=Path), default=None,
        help="The policy folder (default: $DIBAO_POLICIES, else the nearest policies/ here or above, else the "
             "tree bundled with dibao).")(function)


def open_library(policies: Path | None, params: Sequence[Path] = (), region: str | None = None) -> PolicyLibrary:
    """The chosen policy tree with the run's local values; a run for one region refuses another region's file."""
    return PolicyLibrary.open(policies).for_run(params, region)


def say_tree(library: PolicyLibrary) -> None:
    """Which policy tree (and local values) a command used, on stderr."""
    click.echo(tr_message(library.describe()), err=True)


def date_value(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """The callback of a ``--date`` option: a date written YYYY-MM-DD, or click's located usage error."""
    if value is None:
        return None
    try:
        return iso_date(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date written YYYY-MM-DD") from None


def _sets(_ctx: click.Context, _param: click.Parameter, values: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise click.BadParameter(f"{item!r}: write NAME=VALUE, e.g. dibao.standard_annual=3300")
        found[name.strip()] = value.strip()
    return found


labels_option = click.option("--labels", type=click.Choice(["names", "zh"]), default="names", show_default=True,
                             help="Name outputs by their names, or by their Chinese labels (zh).")
region_option = click.option("--region", required=True, help="Region id, e.g. hebi or inner_mongolia/hinggan.")
date_option = click.option("--date", "as_of", required=True, callback=date_value, help="Evaluation date, YYYY-MM-DD.")
set_option = click.option("--set", "overrides", multiple=True, callback=_sets, metavar="NAME=VALUE",
                          help="Override a parameter for this run (repeatable).")


def reports_problems(function: F) -> F:
    """Diagnostics become one line each on stderr and exit 2; nothing else escapes as a traceback."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DiagnosticError as error:
            print_diagnostics(error.diagnostics)
            sys.exit(2)

    return cast(F, wrapper)


def print_diagnostics(diagnostics: Sequence[Diagnostic], carets: bool = False) -> None:
    """Each diagnostic in the user's language on stderr, with a caret under the place when ``carets``."""
    for text in render_all(list(map(localized, diagnostics)), carets):
        click.echo(text, err=True)
