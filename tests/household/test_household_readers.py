"""Reading households from JSON, JSON Lines and YAML, with exact numbers and no lost records."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.household.record import (
    Household,
    Unreadable,
    load_household,
    load_households,
    parse_household_text,
    read_household_text,
    read_households,
    validate_household,
)

EXAMPLE = Path(__file__).parent / "good" / "contract_example.json"


def example() -> dict[str, object]:
    record = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(record, dict)
    return record


def rejected(result: Household | list[Diagnostic]) -> list[Diagnostic]:
    assert isinstance(result, list), result
    return result


# JSON -----------------------------------------------------------------------------


def test_json_numbers_stay_exact(tmp_path: Path) -> None:
    record = example()
    text = json.dumps(record).replace('"amount": "1200"', '"amount": 1200.10').replace(
        '"amount": "103"', '"amount": 0.1'
    )
    path = tmp_path / "one.json"
    path.write_text(text, encoding="utf-8")
    incomes = load_household(path).members[0].incomes
    assert [i.amount for i in incomes] == [Decimal("1200.10"), Decimal("0.1")]
    assert str(incomes[0].amount) == "1200.10"


def test_json_syntax_error_is_located(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "id": "A",\n  "hukou": hebi\n}\n', encoding="utf-8")
    with pytest.raises(DiagnosticError) as raised:
        load_household(path)
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "E-JSON"
    assert diagnostic.span is not None
    assert (diagnostic.span.line, diagnostic.span.column) == (3, 12)
    assert diagnostic.message.startswith("not valid JSON: ")


def test_json_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    path.write_text('{"id": "A", "id": "B"}', encoding="utf-8")
    (result,) = load_households(path)
    (diagnostic,) = rejected(result)
    assert diagnostic.code == "E-JSON"
    assert "duplicate key 'id'" in diagnostic.message


def test_json_array_gets_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "many.json"
    path.write_text(json.dumps([example(), example()]), encoding="utf-8")
    (result,) = load_households(path)
    (diagnostic,) = rejected(result)
    assert diagnostic.message == "record: must be an object, not a list"
    assert any(".jsonl" in note for note in diagnostic.notes)


def test_json_too_deep_or_too_long_numbers(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (result,) = load_households(deep)
    assert rejected(result)[0].code in {"E-JSON", "E-HOUSEHOLD"}
    long = tmp_path / "long.json"
    long.write_text('{"id": ' + "9" * 10_000 + "}", encoding="utf-8")
    (result,) = load_households(long)
    assert rejected(result)[0].code == "E-JSON"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"id": "é"}'.encode("latin-1"))
    (result,) = load_households(path)
    assert rejected(result)[0].message.startswith("not valid UTF-8 text")


# JSON Lines ------------------------------------------------------------------------


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_jsonl_bad_line_in_the_middle_loses_nothing(tmp_path: Path) -> None:
    good = [dict(example(), id=f"HB-{i}") for i in range(4)]
    invalid = dict(example(), id="HB-BAD", hukou="Hebi")
    path = tmp_path / "households.jsonl"
    write_lines(path, [
        json.dumps(good[0]),
        json.dumps(good[1]),
        "",
        '{"id": "HB-X", "members": [',  # line 4: not JSON
        "   ",
        json.dumps(invalid),  # line 6: JSON, but not a valid household
        json.dumps(good[2]),
        "[1, 2]",  # line 8: not an object
        json.dumps(good[3]),
    ])
    results = list(load_households(path))
    records_in = sum(1 for line in path.read_text().splitlines() if line.strip())
    households = [r for r in results if isinstance(r, Household)]
    errors = [r for r in results if isinstance(r, list)]
    assert records_in == len(results) == len(households) + len(errors) == 7
    assert [h.id for h in households] == ["HB-0", "HB-1", "HB-2", "HB-3"]

    (syntax,) = errors[0]
    assert syntax.one_line().startswith(f"{path}:4:1: error[E-JSON]: not valid JSON: ")
    (invalid_hukou,) = errors[1]
    line_6 = path.read_text().splitlines()[5]
    column = line_6.index('"hukou"') + 1  # where the value's key is written on its line
    assert invalid_hukou.one_line().startswith(f"{path}:6:{column}: error[E-HOUSEHOLD]: hukou: ")
    assert invalid_hukou.message.endswith("(record HB-BAD)")
    (not_object,) = errors[2]
    assert not_object.one_line() == f"{path}:8:1: error[E-HOUSEHOLD]: record: must be an object, not a list"


def test_jsonl_read_yields_lines_and_raw_records(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_bytes(b'\n{"a": 1.50}\r\n\xff\n')
    pairs = list(read_households(path))
    assert pairs[0] == (2, {"a": Decimal("1.50")})
    line, unreadable = pairs[1]
    assert line == 3
    assert isinstance(unreadable, Unreadable)
    assert unreadable.diagnostics[0].message.startswith("not valid UTF-8 text")


def test_jsonl_keeps_unicode_line_separators_inside_strings() -> None:
    record = dict(example(), id="HB\u2028one")
    text = json.dumps(record, ensure_ascii=False) + "\n"
    (result,) = parse_household_text(text, fmt="jsonl", source="<text>")
    assert isinstance(result, Household)
    assert result.id == "HB\u2028one"


def test_jsonl_round_trip(tmp_path: Path) -> None:
    records = [dict(example(), id=f"R{i}") for i in range(25)]
    path = tmp_path / "r.jsonl"
    write_lines(path, [json.dumps(r) for r in records])
    households = list(load_households(path))
    assert all(isinstance(h, Household) for h in households)
    assert [h.id for h in households if isinstance(h, Household)] == [r["id"] for r in records]
    assert households[0] == validate_household(records[0])


# YAML ------------------------------------------------------------------------------


def test_yaml_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(example(), allow_unicode=True), encoding="utf-8")
    assert load_household(path) == load_household(EXAMPLE)


YAML_PLAIN = """\
id: HB-0002
hukou: hebi
members:
  - id: p1
    birth_date: 1950-03-01        # unquoted: stays a date, parsed here
    labour_capacity: none
    incomes:
      - {kind: wages, amount: 267.50, per: month}
      - {kind: other, amount: 0.1, per: year}
      - {kind: other, amount: 0750, per: year}   # the digits it shows, never octal 488
status:
  dibao_since: 2016-01-01
"""


def test_yaml_unquoted_numbers_and_dates_are_exact(tmp_path: Path) -> None:
    path = tmp_path / "h.yml"
    path.write_text(YAML_PLAIN, encoding="utf-8")
    household = load_household(path)
    member = household.members[0]
    assert member.birth_date == dt.date(1950, 3, 1)
    assert [i.amount for i in member.incomes] == [Decimal("267.50"), Decimal("0.1"), Decimal(750)]
    assert str(member.incomes[0].amount) == "267.50"
    assert household.status.dibao_since == dt.date(2016, 1, 1)


def test_yaml_impossible_date_is_a_household_error() -> None:
    text = YAML_PLAIN.replace("1950-03-01", "2021-02-30")
    (result,) = parse_household_text(text, fmt="yaml", source="h.yaml")
    (diagnostic,) = rejected(result)
    assert diagnostic.one_line() == (  # at the line and column of the date
        "h.yaml:5:17: error[E-HOUSEHOLD]: members[0].birth_date: not a real date: 2021-02-30"
        " (record HB-0002)"
    )


def test_yaml_timestamp_with_time_is_rejected() -> None:
    text = YAML_PLAIN.replace("1950-03-01 ", "1950-03-01T10:00:00 ")
    (result,) = parse_household_text(text, fmt="yaml", source="h.yaml")
    (diagnostic,) = rejected(result)
    assert diagnostic.message.startswith("members[0].birth_date: must be a date written YYYY-MM-DD")


@pytest.mark.parametrize(
    ("text", "line", "part"),
    [
        ("id: A\nid: B\n", 2, "duplicate key 'id'"),
        ("id: [unclosed\n", 2, "could not parse YAML"),
        ("a: !!python/object:os.system x\n", 1, "YAML tags are not supported"),
        ("--- 1\n--- 2\n", 2, "one YAML document per file"),
        ("a: !!float [1]\n", 1, "YAML tags are not supported"),
        ("a: !!timestamp {x: 1}\n", 1, "YAML tags are not supported"),
        ("a: !!float x\n", 1, "YAML tags are not supported"),
        ("a: !!int x\n", 1, "YAML tags are not supported"),
        ("base: &b {id: x}\n<<: *b\n", 2, "merge keys ('<<') are not supported"),
    ],
)
def test_yaml_syntax_problems_are_located(text: str, line: int, part: str) -> None:
    ((_, unreadable),) = read_household_text(text, fmt="yaml", source="h.yaml")
    assert isinstance(unreadable, Unreadable)
    (diagnostic,) = unreadable.diagnostics
    assert diagnostic.code == "E-YAML"
    assert part in diagnostic.message
    assert diagnostic.span is not None
    assert diagnostic.span.line == line


def test_yaml_odd_keys_and_values() -> None:
    text = "id: A\nhukou: hebi\n1: x\n~: y\nmembers: [{id: p, birth_date: 1990-01-01, labour_capacity: full, 2.5: z}]\n"
    (result,) = parse_household_text(text, fmt="yaml", source="h.yaml")
    found = [(d.code, d.message, d.span.line if d.span else 0) for d in rejected(result)]
    assert found == [("E-YAML", "mapping keys must be text", 3), ("E-YAML", "mapping keys must be text", 4),
                     ("E-YAML", "mapping keys must be text", 5)]


def test_yaml_time_like_text_is_text() -> None:
    """YAML 1.1 read 1:30.5 as the base-60 number 5430.5; it is the text it shows."""
    ((_, raw),) = read_household_text("id: 1:30.5\n", fmt="yaml", source="h.yaml")
    assert raw == {"id": "1:30.5"}


def test_yaml_empty_document() -> None:
    (result,) = parse_household_text("", fmt="yaml", source="h.yaml")
    assert rejected(result)[0].message == "record: must be an object, not null"


def test_yaml_recursive_alias_does_not_hang() -> None:
    text = "id: A\nhukou: hebi\nmembers: &m [*m]\n"
    (result,) = parse_household_text(text, fmt="yaml", source="h.yaml")
    (problem,) = rejected(result)
    assert problem.code == "E-YAML" and problem.message.startswith("recursive alias '*m'")


def test_yaml_alias_bomb_is_bounded() -> None:
    flows = ", ".join(["*i"] * 5000)
    members = ", ".join(["*m"] * 5000)
    text = (
        "id: A\nhukou: hebi\n"
        "i: &i {kind: wages, amount: '1', per: month}\n"
        f"m: &m {{id: p, birth_date: 1990-01-01, labour_capacity: full, incomes: [{flows}]}}\n"
        f"members: [{members}]\n"
    )
    (result,) = parse_household_text(text, fmt="yaml", source="bomb.yaml")
    (problem,) = rejected(result)
    assert problem.code == "E-YAML" and "possible alias bomb" in problem.message


# Files and standard input ------------------------------------------------------------


def test_unknown_suffix_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DiagnosticError) as raised:
        list(load_households(tmp_path / "h.txt"))
    assert raised.value.diagnostics[0].code == "E-IO"
    with pytest.raises(DiagnosticError) as raised:
        list(load_households(tmp_path / "missing.jsonl"))
    assert raised.value.diagnostics[0].code == "E-IO"
    assert "missing.jsonl" in raised.value.diagnostics[0].message


def test_load_household_wants_exactly_one(tmp_path: Path) -> None:
    path = tmp_path / "two.jsonl"
    write_lines(path, [json.dumps(example()), json.dumps(example())])
    with pytest.raises(DiagnosticError) as raised:
        load_household(path)
    assert "expected one household record, found 2" in str(raised.value)


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    assert load_household("-") == load_household(EXAMPLE)
    lines = json.dumps(example()) + "\nnot json\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines.encode("utf-8"))))
    first, second = load_households("-")
    assert isinstance(first, Household)
    assert rejected(second)[0].one_line().startswith("<stdin>:2:1: error[E-JSON]")
