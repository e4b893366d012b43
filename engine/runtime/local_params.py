"""Local parameter values: the figures a document leaves to the county or office, in a file.

A ``--params FILE`` is YAML in the form of a policy file's ``parameters`` (schema
``PARAMS_SCHEMA``): a ``local:`` block naming the region it is for, the ``sources`` it
cites, and for each parameter its dated values (``from``/``to``, ``value``, ``source``).
It is read by the policy-file loader (same schema messages, same expression parser) and
checked against the region's policy: the parameter must exist there, each value must be
a constant of the parameter's type, citations must name a declared source, and dates of
one parameter must not overlap. Every problem is reported at once, located in the file.

On a date, a value in force from a file takes the place of the policy's own value (a
later file wins over an earlier one); ``--set`` still wins over both.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

from engine.base.diagnostics import Diagnostic, DiagnosticError, Span, did_you_mean
from engine.base.yaml_source import LoadedYaml, load_yaml
from engine.language.checker import check_expression
from engine.language.constants import ConstantError, constant_value
from engine.policy.dated_values import read_values
from engine.policy.policy_files import LayerBuilder, display_name
from engine.policy.policy_model import DatedValue, Layer
from engine.policy.schema import PARAMS_SCHEMA
from engine.policy.structure import schema_problems
from engine.runtime.policy_check import overlapping_ranges

if TYPE_CHECKING:
    from engine.runtime.library import PolicyLibrary

_VALIDATOR = jsonschema.Draft202012Validator(PARAMS_SCHEMA)
_WHAT = "a local parameter file is a mapping with local (region), sources and parameters"


@dataclass(frozen=True)
class LocalValue:
    """One dated value from a file, with its exact value."""

    dated: DatedValue
    value: Any


@dataclass
class ParamsFile:
    """One ``--params`` file: the region it is for and its values by parameter name."""

    path: str
    region: str
    values: dict[str, list[LocalValue]] = field(default_factory=dict)

    def applies_to(self, region: str) -> bool:
        """A file for a region applies to its sub-jurisdictions too (``inner_mongolia/hinggan``)."""
        return region == self.region or region.startswith(self.region + "/")


@dataclass
class LocalParams:
    """The files of one run, in the order given."""

    files: list[ParamsFile]

    def in_force(self, region: str, day: date) -> dict[str, tuple[DatedValue, Any]]:
        """Each parameter's local value in force on ``day`` for ``region`` (a later file wins)."""
        found: dict[str, tuple[DatedValue, Any]] = {}
        for file in self.files:
            if not file.applies_to(region):
                continue
            for name, values in file.values.items():
                for item in values:
                    if item.dated.covers(day):
                        found[name] = (item.dated, item.value)
        return found

    def require_for(self, region: str) -> None:
        """A run for one region refuses a file written for another region."""
        wrong = [f for f in self.files if not f.applies_to(region)]
        if wrong:
            raise DiagnosticError([Diagnostic("E-PARAMS", f"{f.path} holds values for {f.region}, not for {region}",
                                              Span(f.path, 1, 1)) for f in wrong])


def load_local_params(paths: Sequence[Path], library: PolicyLibrary) -> LocalParams:
    """Read and check every file; all problems of all files raise together as ``DiagnosticError``."""
    files: list[ParamsFile] = []
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            files.append(_load_file(path, library))
        except DiagnosticError as error:
            problems.extend(error.diagnostics)
    if problems:
        raise DiagnosticError(problems)
    return LocalParams(files)


def _load_file(path: Path, library: PolicyLibrary) -> ParamsFile:
    name = display_name(path)
    if not path.is_file():
        raise DiagnosticError([Diagnostic("E-IO", f"{name}: no such local parameter file", Span(name, 1, 1))])
    doc = load_yaml(path, name=name)
    structural = list(schema_problems(doc, _VALIDATOR, _WHAT))
    if structural:
        raise DiagnosticError(structural)
    assert isinstance(doc.data, dict)
    region = str(doc.data["local"]["region"])
    regions = library.regions
    if region not in regions:
        raise DiagnosticError([Diagnostic(
            "E-PARAMS", f"local.region: {region!r} is not a region of the policy tree ({', '.join(regions)})",
            doc.span(("local", "region")), suggestion=did_you_mean(region, regions))])
    problems: list[Diagnostic] = []
    builder = LayerBuilder("local", path.parent, problems)
    layer = Layer(key="local", id="local", kind="local", name=name, version="", span_from=date.min,
                  span_to=date.max, span=doc.key_span(("local",)), folder=str(path.parent))
    for source_id in doc.data.get("sources") or {}:
        builder.add_source(layer, doc, source_id)
    file = ParamsFile(name, region)
    for parameter in doc.data["parameters"]:
        values = read_values(builder, doc, ("parameters", parameter))
        problems.extend(_checked(file, parameter, values, doc, layer, library))
    if problems:
        raise DiagnosticError(problems)
    return file


def _checked(file: ParamsFile, name: str, values: list[DatedValue], doc: LoadedYaml, layer: Layer,
             library: PolicyLibrary) -> Iterator[Diagnostic]:
    """Check one parameter's values against the region's policy and keep them when sound."""
    checked = library.region(file.region)
    parameter = checked.chain.parameters.get(name)
    if parameter is None:
        yield Diagnostic("E-PARAMS", f"{name}: {file.region} has no parameter of that name",
                         doc.key_span(("parameters", name)), suggestion=did_you_mean(name, checked.chain.parameters))
        return
    kept: list[LocalValue] = []
    for value in values:
        assert value.expr is not None
        citation = list(_citation_problems(value, layer))
        typed, result = check_expression(value.expr, {}, parameter.type, name=name)
        yield from citation
        yield from result.diagnostics
        if not citation and not result.diagnostics:
            try:
                kept.append(LocalValue(value, constant_value(typed)))
            except ConstantError as error:
                yield from error.diagnostics
    yield from overlapping_ranges(name, "value", [(v.start, v.end, v.span) for v in values])
    file.values[name] = kept


def _citation_problems(value: DatedValue, layer: Layer) -> Iterator[Diagnostic]:
    if value.source.doc not in layer.sources:
        known = ", ".join(sorted(layer.sources)) or "none"
        yield Diagnostic("E-CITATION", f"this value cites {value.source.doc!r}, which is not declared under sources "
                         f"(declared: {known})", value.source.span, suggestion=did_you_mean(value.source.doc,
                                                                                            layer.sources))
