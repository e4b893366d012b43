"""``dibao evaluate``, ``dibao explain`` and ``dibao compare``: one household and its answer.

``evaluate`` prints the contract JSON for one household in one region on one date;
``explain`` says why (each output's rule, values, parameters and clauses, as a tree, JSON,
Markdown or HTML); ``compare`` runs the household through every region side by side.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from engine.base.render import emit, format_option
from engine.cli_options import (
    date_option,
    labels_option,
    open_library,
    policies_option,
    region_option,
    reports_problems,
    set_option,
)
from engine.cli_support import LocalizedCommand
from engine.household.record import load_household
from engine.runtime.evaluate import evaluate


@click.command("evaluate", cls=LocalizedCommand)
@region_option
@date_option
@set_option
@policies_option
@click.option("--output", "outputs", multiple=True, help="Only this output (repeatable).")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@reports_problems
def evaluate_command(region: str, as_of: date, overrides: dict[str, str], policies: Path | None,
                     params: tuple[Path, ...], outputs: tuple[str, ...], file: str) -> None:
    """Evaluate one household (JSON or YAML; - for standard input) and print the contract JSON."""
    library = open_library(policies, params, region)
    household = load_household(file, vocabulary=library.vocabulary_of(region))
    determination = evaluate(household, region, as_of, overrides=overrides, outputs=outputs or None,
                             library=library)
    click.echo(json.dumps(determination.to_json(), ensure_ascii=False, indent=2))


@click.command("explain", cls=LocalizedCommand)
@region_option
@date_option
@set_option
@policies_option
@click.option("--output", "outputs", multiple=True, help="Explain only this output (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["tree", "json", "markdown", "html"]), default="tree",
              show_default=True, help="A tree for the terminal, JSON, or a Markdown or HTML document for a case file.")
@click.option("--json", "as_json", is_flag=True, help="The tree as JSON (the same as --format json).")
@click.option("--quotes", is_flag=True, help="Show each clause's words (recorded in the policy, or found in sources/).")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@reports_problems
def explain_command(region: str, as_of: date, overrides: dict[str, str], policies: Path | None,
                    params: tuple[Path, ...], outputs: tuple[str, ...], fmt: str, as_json: bool, quotes: bool,
                    file: str) -> None:
    """Why a household got its answer: each output's rule, values, parameters and clauses, and each income."""
    from engine.base.render import explanation_html, explanation_markdown
    from engine.tools.explain import explain, render_tree

    library = open_library(policies, params, region)
    household = load_household(file, vocabulary=library.vocabulary_of(region))
    explanation = explain(library, household, region, as_of, overrides, outputs or None)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        click.echo(explanation.to_json())
    elif fmt == "markdown":
        click.echo(explanation_markdown(explanation.as_dict(), quotes), nl=False)
    elif fmt == "html":
        click.echo(explanation_html(explanation.as_dict(), quotes), nl=False)
    else:
        render_tree(explanation, quotes)


@click.command("compare", cls=LocalizedCommand)
@date_option
@set_option
@policies_option
@format_option()
@labels_option
@click.option("--json", "as_json", is_flag=True, help="As JSON (the same as --format json).")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@reports_problems
def compare_command(as_of: date, overrides: dict[str, str], policies: Path | None, params: tuple[Path, ...],
                    fmt: str, labels: str | None,
                    as_json: bool, file: str) -> None:
    """One household through every region side by side (--set applies where a region has the parameter)."""
    from engine.tools.reports import compare_regions, comparison_table

    library = open_library(policies, params)
    comparison = compare_regions(library, load_household(file, vocabulary=library.vocabulary), as_of, overrides)
    emit("json" if as_json else fmt, comparison_table(comparison, labels), comparison)


