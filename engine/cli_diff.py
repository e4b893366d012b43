"""``dibao diff``: what changes between two policies, and whom it affects.

The two sides are ``REGION@DATE`` pairs, two policy folders (with ``--region`` and
``--date``), or git revisions of the policy tree (``--rev``); ``--households`` runs a
population through both sides and reports whom the change affects.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.base.i18n import tr_message
from engine.base.render import emit, format_option
from engine.cli_options import date_value, open_library, policies_option, reports_problems, set_option
from engine.cli_support import LocalizedCommand
from engine.runtime.library import PolicyLibrary


@click.command("diff", cls=LocalizedCommand)
@click.argument("specs", nargs=-1, metavar="[OLD] [NEW]")
@click.option("--rev", "revisions", multiple=True, help="A git revision of the policy tree (once: against the "
              "working tree; twice: old and new).")
@click.option("--region", default=None, help="The region, when OLD/NEW are folders or --rev is used.")
@click.option("--date", "as_of", default=None, callback=date_value, help="The date, when OLD/NEW are folders or --rev.")
@click.option("--households", type=click.Path(dir_okay=False), default=None,
              help="JSON Lines (or one JSON/YAML record): run the population through both sides.")
@click.option("--any-hukou", is_flag=True, help="Include households registered in other regions too.")
@set_option
@policies_option
@format_option()
@click.option("--json", "as_json", is_flag=True, help="As JSON (the same as --format json).")
@reports_problems
def diff_command(specs: tuple[str, ...], revisions: tuple[str, ...], region: str | None, as_of: date | None,
                 households: str | None, any_hukou: bool, overrides: dict[str, str], policies: Path | None,
                 params: tuple[Path, ...], fmt: str, as_json: bool) -> None:
    """What changes between two policies and whom it affects.

    Sides: REGION@DATE REGION@DATE; two folders with --region and --date; or --rev REV
    with REGION@DATE (or --region and --date) against the working tree.
    """
    from engine.tools.diff import diff_report, tree_at_revision
    from engine.tools.reports import diff_table

    sides = _diff_sides(specs, revisions, region, as_of, overrides, policies, params, tree_at_revision)
    report = diff_report(*sides)
    if households:
        report["impact"] = _impact(sides, households, any_hukou)
    emit("json" if as_json else fmt, diff_table(report), report)
    if fmt == "table" and not as_json:
        for which in dict.fromkeys(_side_tree(side, revisions) for side in sides):
            click.echo(tr_message(which), err=True)


def _side_tree(side: Any, revisions: tuple[str, ...]) -> str:
    """The policy tree a side used; a revision's tree by its revision, not the checkout's passing folder."""
    if side.tree in revisions:
        return f"policy tree policies at {side.tree} ({side.library.digest[:19]}…)"
    return str(side.library.describe())


def _impact(sides: Any, households: str, any_hukou: bool) -> dict[str, Any]:
    from engine.household.record import load_households
    from engine.tools.diff import population_impact

    records = list(load_households(households, vocabulary=sides[1].library.vocabulary_of(sides[1].region)))
    valid = [h for h in records if not isinstance(h, list)]
    home = sides[1].region.split("/")[0]
    population = valid if any_hukou else [h for h in valid if h.hukou == home]
    impact: dict[str, Any] = population_impact(sides[0], sides[1], population).as_dict()
    impact["records"] = {"read": len(records), "rejected": len(records) - len(valid),
                         "other_hukou": len(valid) - len(population)}
    return impact


def _diff_sides(specs: tuple[str, ...], revisions: tuple[str, ...], region: str | None, as_of: date | None,
                overrides: dict[str, str], policies: Path | None, params: tuple[Path, ...],
                at_revision: Callable[[str, Path], Path]) -> Any:
    from engine.tools.diff import parse_spec, side

    here = open_library(policies, params)
    if revisions:
        if len(specs) == 1 and not (region or as_of):
            region, as_of = parse_spec(specs[0])
        elif specs:
            raise DiagnosticError([Diagnostic("E-ARGS", "with --rev give one REGION@DATE (or --region and --date), "
                                              f"not {' '.join(specs)}")])
        if not (region and as_of):
            raise DiagnosticError([Diagnostic("E-ARGS", "--rev needs REGION@DATE, e.g. dibao diff --rev HEAD "
                                              "hebi@2017-10-01")])
        repository = here.root.parent
        trees = [at_revision(r, repository) for r in revisions]
        libraries = [PolicyLibrary.open(t, params) for t in trees] + ([here] if len(trees) == 1 else [])
        labels = [*revisions, "working tree"][:2]
        return [side(f"{region}@{as_of} ({label})", lib, region, as_of, overrides, may_lack=True, tree=label)
                for label, lib in zip(labels, libraries, strict=True)]
    if len(specs) != 2:
        raise DiagnosticError([Diagnostic("E-ARGS", "give two sides: REGION@DATE REGION@DATE, two folders, or --rev "
                                          "REV REGION@DATE")])
    old, new = specs
    if "@" in old and "@" in new:
        (r1, d1), (r2, d2) = parse_spec(old), parse_spec(new)
        return [side(old, here, r1, d1, overrides), side(new, here, r2, d2, overrides)]
    if not (region and as_of):
        raise DiagnosticError([Diagnostic("E-ARGS", "comparing folders needs --region and --date")])
    return [side(f"{folder}", PolicyLibrary.open(folder, params), region, as_of, overrides, may_lack=True,
                 tree=folder) for folder in (old, new)]


