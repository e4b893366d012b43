"""Caseloads as they come from Excel: CSV in GBK or GB18030 (or UTF-8 with a byte-order mark), xlsx
workbooks in and out, CSV written with a byte-order mark, Chinese column labels, a whole number
written 2.0, and rejection messages that show the value they reject."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from engine.batch.tables import COLUMNS, tables_from_records, write_tables

ROOT = Path(__file__).resolve().parents[2]
DIBAO = [sys.executable, "-m", "engine.cli"]
HEBI = ROOT / "examples" / "caseload" / "hebi.jsonl"
BATCH = ["batch", "--region", "hebi", "--date", "2017-10-01", "--set", "income.employment_cost_deduction_cap=80",
         "--set", "income.rigid_expenditure_share=0.5"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIBAO, *args], capture_output=True, text=True, cwd=cwd, check=False)


def records(count: int = 40) -> list[dict]:
    found = [json.loads(line) for line in HEBI.read_text(encoding="utf-8").splitlines()[:count]]
    for index, record in enumerate(found):
        record["id"] = f"鹤壁-{index:04d}"  # text only GBK and GB18030 (or UTF-8) can hold
        old = record["members"][0]["id"]
        record["members"][0]["id"] = "张三"
        for request in record.get("requests", []):
            if request.get("member") == old:
                request["member"] = "张三"
    return found


def rows_of(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture
def utf8_tables(tmp_path: Path) -> Path:
    folder = tmp_path / "utf8"
    write_tables(records(), folder, "csv")
    return folder


def reencoded(folder: Path, target: Path, encoding: str, bom: bool = False) -> Path:
    target.mkdir()
    for path in folder.glob("*.csv"):
        data = path.read_text(encoding="utf-8").encode(encoding)
        (target / path.name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return target


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_csv_tables_in_a_chinese_encoding_give_the_same_answers(tmp_path: Path, utf8_tables: Path,
                                                                encoding: str) -> None:
    chinese = reencoded(utf8_tables, tmp_path / encoding, encoding)
    done = run(*BATCH, str(chinese), "--encoding", encoding, "--out", str(tmp_path / "out.csv"))
    assert done.returncode == 0, done.stderr
    expected = run(*BATCH, str(utf8_tables), "--out", str(tmp_path / "utf8.csv"))
    assert expected.returncode == 0, expected.stderr
    assert rows_of(tmp_path / "out.csv") == rows_of(tmp_path / "utf8.csv")
    assert rows_of(tmp_path / "out.csv")[0]["id"] == "鹤壁-0000"


def test_a_gbk_file_read_as_utf8_names_the_bytes_and_the_encoding_to_try(tmp_path: Path, utf8_tables: Path) -> None:
    chinese = reencoded(utf8_tables, tmp_path / "gbk", "gbk")
    done = run(*BATCH, str(chinese), "--out", str(tmp_path / "out.csv"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert "error[E-ENCODING]" in line and "households.csv is not utf-8 text: bytes" in line
    assert "try --encoding gbk" in line and ":2:" in line
    done = run(*BATCH, str(chinese), "--encoding", "klingon", "--out", str(tmp_path / "out.csv"))
    assert done.returncode == 2 and "'klingon' is not an encoding" in done.stderr


def test_a_utf8_byte_order_mark_is_read_past(tmp_path: Path, utf8_tables: Path) -> None:
    marked = reencoded(utf8_tables, tmp_path / "bom", "utf-8", bom=True)
    done = run(*BATCH, str(marked), "--out", str(tmp_path / "out.csv"))
    assert done.returncode == 0, done.stderr
    assert "40 records → 40 rows" in done.stderr


def workbook_from(records_: list[dict], path: Path) -> None:
    """The tables as Excel would hold them: numbers as numbers (a grade as 2.0), dates as dates, flags as TRUE."""
    book = Workbook()
    book.remove(book.active)
    for name, table in tables_from_records(records_).items():
        sheet = book.create_sheet(name)
        sheet.append(table.column_names)
        for row in table.to_pylist():
            cells = []
            for column, value in row.items():
                if column == "disability_grade" and value is not None:
                    value = float(value)
                elif column in ("birth_date", "date", "dibao_since", "monitored_since") and value:
                    value = dt.datetime.fromisoformat(value)
                elif column == "amount" and value is not None:
                    value = float(value)
                cells.append(value)
            sheet.append(cells)
    book.save(path)


def test_a_workbook_caseload_in_and_out(tmp_path: Path) -> None:
    caseload = records()
    workbook_from(caseload, tmp_path / "caseload.xlsx")
    (tmp_path / "caseload.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in caseload) + "\n",
                                             encoding="utf-8")
    done = run(*BATCH, str(tmp_path / "caseload.xlsx"), "--out", str(tmp_path / "out.xlsx"))
    assert done.returncode == 0, done.stderr
    assert "40 records → 40 rows" in done.stderr
    expected = run(*BATCH, str(tmp_path / "caseload.jsonl"), "--out", str(tmp_path / "expected.csv"))
    assert expected.returncode == 0, expected.stderr
    book = load_workbook(tmp_path / "out.xlsx")
    assert book.sheetnames == ["households", "members"]
    sheet = list(book["households"].iter_rows(values_only=True))
    wanted = rows_of(tmp_path / "expected.csv")
    assert list(sheet[0]) == list(wanted[0])
    for got, want in zip(sheet[1:], wanted, strict=True):
        for column, value in zip(sheet[0], got, strict=True):
            if isinstance(value, bool) or value is None:
                assert ("" if value is None else str(value).lower()) == want[column]
            elif isinstance(value, (int, float)):
                assert Decimal(repr(value)) == Decimal(want[column]), column
            else:
                assert str(value) == want[column]
    money = book["households"].cell(row=2, column=sheet[0].index("dibao.benefit_monthly") + 1)
    assert money.number_format == "0.00"
    members = list(book["members"].iter_rows(values_only=True))
    assert members[0][:2] == ("household_id", "member_id") and len(members) > 40


def test_a_workbook_without_the_members_sheet_is_refused(tmp_path: Path) -> None:
    book = Workbook()
    book.active.title = "households"
    book.active.append(["id", "hukou"])
    book.save(tmp_path / "half.xlsx")
    done = run(*BATCH, str(tmp_path / "half.xlsx"), "--out", str(tmp_path / "out.csv"))
    assert done.returncode == 2 and "no 'members' sheet" in done.stderr


def test_csv_out_with_a_byte_order_mark_and_chinese_labels(tmp_path: Path, utf8_tables: Path) -> None:
    done = run(*BATCH, str(utf8_tables), "--out", str(tmp_path / "out.csv"), "--bom", "--labels", "zh")
    assert done.returncode == 0, done.stderr
    data = (tmp_path / "out.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header = data[3:].decode("utf-8").splitlines()[0]
    assert header.split(",")[:3] == ['"户编号"', '"家庭月收入（核算后）"', '"家庭月人均收入"']
    assert '"符合低保条件"' in header and '"月低保金"' in header
    members = (tmp_path / "out.members.csv").read_bytes()
    assert members.startswith(b"\xef\xbb\xbf") and '"重点救助对象"' in members.decode("utf-8-sig").splitlines()[0]
    plain = run(*BATCH, str(utf8_tables), "--out", str(tmp_path / "plain.csv"))
    assert plain.returncode == 0 and not (tmp_path / "plain.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_whole_number_written_2_0_is_accepted(tmp_path: Path, utf8_tables: Path) -> None:
    record = json.loads((ROOT / "examples/households/contract_example.json").read_text())
    record["members"][0]["disability"]["grade"] = 2.0
    (tmp_path / "h.json").write_text(json.dumps(record))
    done = run("evaluate", "--region", "hebi", "--date", "2017-10-01", str(tmp_path / "h.json"))
    assert done.returncode == 0, done.stderr
    record["members"][0]["disability"]["grade"] = 2.5
    (tmp_path / "h.json").write_text(json.dumps(record))
    done = run("evaluate", "--region", "hebi", "--date", "2017-10-01", str(tmp_path / "h.json"))
    assert done.returncode == 2
    assert "members[0].disability.grade: must be a whole number, not a number (2.5)" in done.stderr
    members = utf8_tables / "members.csv"
    rows = rows_of(members)
    graded = [r for r in rows if r["disability_grade"]]
    assert graded, "the sample has a member with a disability"
    for row in graded:
        row["disability_grade"] += ".0"
    with members.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    done = run(*BATCH, str(utf8_tables), "--out", str(tmp_path / "out.jsonl"))
    assert done.returncode == 0 and "40 records → 40 rows" in done.stderr, done.stderr


@pytest.mark.parametrize(("change", "shown"), [
    (lambda r: r["members"][0].update(employed="yes"), "members[0].employed: must be true or false, not a string "
                                                        "('yes')"),
    (lambda r: r["members"][0]["incomes"].append({"kind": "wages", "amount": "-5", "per": "month"}),
     "amount: must not be negative, not '-5'"),
    (lambda r: r["members"][0]["incomes"].append({"kind": "wages", "amount": "1.005", "per": "month"}),
     "must have at most 2 decimal places (yuan.fen), not '1.005'"),
    (lambda r: r["members"][0].update(id=" "), "members[0].id: must not be blank, not ' '"),
    (lambda r: r["members"][0].update(birth_date=19500301), "must be a date written YYYY-MM-DD, not an integer "
                                                            "(19500301)"),
    (lambda r: r.update(hukou=7), "hukou: must be a string, not an integer (7)"),
])
def test_every_rejection_shows_the_value_it_rejects(tmp_path: Path, change: object, shown: str) -> None:
    record = json.loads((ROOT / "examples/households/contract_example.json").read_text())
    change(record)  # type: ignore[operator]
    (tmp_path / "caseload.jsonl").write_text(json.dumps(record) + "\n")
    done = run(*BATCH, str(tmp_path / "caseload.jsonl"), "--out", str(tmp_path / "out.jsonl"))
    assert done.returncode == 1, done.stderr  # no household answered
    (rejected,) = [json.loads(line) for line in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert shown in rejected["reason"]


def test_every_table_has_its_columns() -> None:
    assert set(COLUMNS) == {"households", "members", "incomes", "expenses", "events", "requests"}
