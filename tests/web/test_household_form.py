"""Form inputs ↔ household records, and record paths back to the form's inputs."""

from __future__ import annotations

from engine.base.diagnostics import Diagnostic
from engine.web.household_form import field_errors, form_from_record, member_slots, record_from_form


def test_a_form_becomes_a_record_with_empty_rows_left_out() -> None:
    built = record_from_form({
        "id": "H1", "hukou": "hebi", "members[0].id": "p1", "members[0].birth_date": "1950-03-01",
        "members[0].employed": "on", "members[0].disability.grade": "2",
        "members[0].incomes[0].per": "month",  # a period alone is no income
        "members[0].incomes[1].kind": "wages", "members[0].incomes[1].amount": "10",
        "members[0].incomes[1].per": "year",
        "status.registered_poor": "on", "events[2].kind": "shock", "events[2].date": "2021-01-01", "region": "hebi"})
    assert built.record == {
        "id": "H1", "hukou": "hebi",
        "members": [{"id": "p1", "birth_date": "1950-03-01", "employed": True, "disability": {"grade": 2},
                     "incomes": [{"kind": "wages", "amount": "10", "per": "year"}]}],
        "status": {"registered_poor": True}, "events": [{"kind": "shock", "date": "2021-01-01"}]}
    assert built.form_path("members[0].incomes[0].amount") == "members[0].incomes[1].amount"
    assert built.form_path("events[0].cause") == "events[2].cause"


def test_messages_go_to_their_input_or_to_the_top() -> None:
    built = record_from_form({"members[1].id": "p1"})
    placed, rest = field_errors([Diagnostic("E-HOUSEHOLD", "members[0].birth_date: is required (record x)"),
                                 Diagnostic("E-SET", "overrides line 1: write NAME=VALUE")], built)
    assert placed == {"members[1].birth_date": ["is required (record x)"]}
    assert rest == ["overrides line 1: write NAME=VALUE"]


def test_a_record_fills_the_form_and_the_member_count_follows_it() -> None:
    record = {"id": "H", "members": [{"id": "a"}, {"id": "b", "employed": True, "seriously_ill": False}]}
    form = form_from_record(record)
    assert form == {"id": "H", "members[0].id": "a", "members[1].id": "b", "members[1].employed": "on"}
    assert member_slots(form) == 2
    assert member_slots({**form, "add_member": "1"}) == 3
