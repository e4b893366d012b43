"""Diagnostics stay data: the field path and the related places travel with a problem to
its terminal, JSON and HTTP forms, and nobody parses them back out of the message."""

from __future__ import annotations

import json
from pathlib import Path

from engine.base.diagnostics import Diagnostic, DiagnosticError, Related, Span, field_path_text, render_with_caret
from engine.household.record import household_errors, load_households
from engine.service.requests import from_library, located


def test_path_text_writes_indices_keys_and_odd_keys() -> None:
    assert field_path_text(("members", 1, "incomes", 0, "amount")) == "members[1].incomes[0].amount"
    assert field_path_text(("status", "1x")) == "status['1x']"
    assert field_path_text(()) == "record"
    assert field_path_text((), root="") == ""


def test_json_form_carries_path_and_related() -> None:
    first = Span("policy.yaml", 14, 3)
    diagnostic = Diagnostic("E-DUPLICATE", "x is defined twice in this layer", Span("policy.yaml", 21, 3),
                            path=("parameters", "x"), related=(Related(first, "the first definition"),))
    data = diagnostic.as_dict()
    assert data["path"] == "parameters.x"
    assert data["related"] == [{"label": "the first definition",
                                "span": {"file": "policy.yaml", "line": 14, "column": 3}}]
    json.dumps(data)  # plain data all the way down
    assert Diagnostic("E-IO", "no such file").as_dict()["path"] is None


def test_terminal_form_shows_related_places_as_located_notes() -> None:
    diagnostic = Diagnostic("E-OVERLAP", "this value overlaps", Span("p.yaml", 21, 9), notes=("a note",),
                            related=(Related(Span("p.yaml", 18, 9), "the earlier value it overlaps"),))
    shown = render_with_caret(diagnostic, "")
    assert shown.splitlines()[1:] == ["  note: a note", "  p.yaml:18:9: note: the earlier value it overlaps"]


def test_household_problems_carry_their_path_as_data() -> None:
    record = {"id": "X", "hukou": "rural", "members": [
        {"id": "a", "birth_date": "1950-02-30", "labour_capacity": "full"},
        {"id": "b", "birth_date": "1950-01-01", "labour_capacity": "full",
         "incomes": [{"kind": "wages", "per": "month"}]}]}
    found = {d.path: d for d in household_errors(record)}
    assert set(found) == {("members", 0, "birth_date"), ("members", 1, "incomes", 0, "amount")}
    for path, diagnostic in found.items():
        assert diagnostic.message.startswith(field_path_text(path) + ": ")
    (whole,) = household_errors({"id": "X", "hukou": "rural", "members": [
        {"id": "a", "birth_date": "1950-01-01", "labour_capacity": "full"}], "nonsense": 1})
    assert whole.path == ("nonsense",)


def test_a_duplicate_member_id_points_at_the_first_member(tmp_path: Path) -> None:
    file = tmp_path / "dup.json"
    file.write_text('{"id": "X", "hukou": "rural", "members": [\n'
                    '  {"id": "a", "birth_date": "1950-01-01", "labour_capacity": "full"},\n'
                    '  {"id": "a", "birth_date": "1950-01-01", "labour_capacity": "full"}]}\n', encoding="utf-8")
    ((diagnostic,),) = load_households(file)
    assert isinstance(diagnostic, Diagnostic)
    assert diagnostic.path == ("members", 1, "id")
    (related,) = diagnostic.related
    assert (related.span.line, related.label) == (2, "the first member with this id")
    assert diagnostic.span is not None and diagnostic.span.line == 3


def test_the_api_names_the_field_from_the_diagnostic_path() -> None:
    """A library problem that knows its field is named by it, not by its code or its words."""
    error = DiagnosticError([Diagnostic("E-EVAL", "something about a member", path=("household", "members", 0)),
                             Diagnostic("E-REGION", "unknown region 'x'")])
    answers = located(from_library(error))
    assert [a["path"] for a in answers] == ["household.members[0]", "region"]


def test_the_tracer_records_rule_and_member_as_data() -> None:
    """A member rule read is the pair (rule, member id), never a ``name[member]`` string."""
    from datetime import date

    from engine.household.record import validate_household
    from engine.runtime.evaluate import evaluate_resolved
    from engine.runtime.library import PolicyLibrary
    from engine.runtime.tracing import Tracer

    library = PolicyLibrary.open(Path(__file__).resolve().parents[2] / "policies")
    record = json.loads((Path(__file__).resolve().parents[2] / "examples/households/contract_example.json")
                        .read_text(encoding="utf-8"))
    household = validate_household(record)
    tracer = Tracer()
    evaluate_resolved(library, library.resolve("hebi", date(2017, 10, 1)), household, None, tracer)
    reads = [read for trace in tracer.rules.values() for read in trace.reads if read.kind == "rule"]
    member_ids = {m.id for m in household.members}
    assert any(read.member in member_ids for read in reads)
    assert all("[" not in read.name for read in reads)
    assert all((read.name, read.member) in tracer.rules for read in reads)
