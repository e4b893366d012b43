"""The staff pages in a real browser: what a policy officer sees and does, end to end."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_EXAMPLE = ROOT / "examples" / "households" / "contract_example.json"


def test_region_page_charts_the_standard_with_its_sources(page: Any, screenshot: Any) -> None:
    page.goto("/regions/hebi")
    assert page.locator("h1").inner_text().startswith("鹤壁市")
    figure = page.locator("#param-dibao\\.standard_annual figure svg")
    steps = figure.locator("g.step text.value").all_text_contents()
    assert "3000" in steps and "3210" in steps
    tips = figure.locator("g.step title").all_text_contents()
    assert any("3210.00" in tip and "鹤政办〔2017〕14号 三(一)" in tip for tip in tips)
    history = page.locator("#param-dibao\\.standard_annual table").inner_text()
    assert "2017-07-01" in history and "3210.00" in history
    page.locator("#param-dibao\\.standard_annual").scroll_into_view_if_needed()
    screenshot(page, "region-hebi")


def test_calculator_shows_the_contract_example_and_its_explanation(page: Any, screenshot: Any) -> None:
    page.goto("/calculator")
    page.select_option("#f-region", "hebi")
    page.fill("#f-date", "2017-10-01")
    page.fill("#f-record", CONTRACT_EXAMPLE.read_text(encoding="utf-8"))
    page.get_by_role("button", name="测算").click()
    assert page.locator('[data-output="dibao.standard_monthly"]').inner_text() == "267.50"
    tree = page.locator(".explain")
    assert "dibao.benefit_monthly" in tree.inner_text()
    assert tree.locator("blockquote").count() > 0  # clauses quoted
    page.locator("#result").scroll_into_view_if_needed()
    screenshot(page, "calculator-result")


def test_calculator_form_fills_from_fields(page: Any) -> None:
    page.goto("/calculator")
    page.fill("#f-date", "2017-10-01")
    page.fill("#f-id", "FORM-1")
    page.fill("#f-hukou", "hebi")
    page.fill("#f-members-0-id", "p1")
    page.fill("#f-members-0-birth_date", "1950-03-01")
    page.select_option("#f-members-0-labour_capacity", "none")
    page.select_option("#f-members-0-incomes-0-kind", "wages")
    page.fill("#f-members-0-incomes-0-amount", "100")
    page.select_option("#f-members-0-incomes-0-per", "month")
    page.get_by_role("button", name="测算").click()
    assert page.locator('[data-output="income.countable_monthly"]').inner_text() == "100.00"


def test_a_form_error_shows_beside_its_field(page: Any, screenshot: Any) -> None:
    page.goto("/calculator")
    page.fill("#f-date", "2017-10-01")
    page.fill("#f-id", "BAD-1")
    page.fill("#f-hukou", "hebi")
    page.fill("#f-members-0-id", "p1")
    page.fill("#f-members-0-birth_date", "1850-01-01")
    page.select_option("#f-members-0-labour_capacity", "none")
    page.get_by_role("button", name="测算").click()
    field = page.locator("#f-members-0-birth_date")
    assert field.get_attribute("aria-invalid") == "true"
    error = page.locator("#f-members-0-birth_date-error")
    assert "1850-01-01" in error.inner_text()
    # beside: the message is in the same field box as the input
    assert page.locator(".field.invalid").filter(has=field).locator(".field-error").count() == 1
    screenshot(page, "calculator-error")


def test_diff_shows_the_standard_change_and_its_impact(page: Any, screenshot: Any) -> None:
    page.goto("/diff")
    page.select_option("#f-region", "hebi")
    page.fill("#f-old", "2017-06-30")
    page.fill("#f-new", "2017-07-01")
    page.select_option("#f-population", "bundled")
    page.get_by_role("button", name="比较").click()
    changes = page.locator("table.changes").inner_text()
    assert "dibao.standard_annual" in changes and "3000.00" in changes and "3210.00" in changes
    households = int(page.locator('[data-summary="households"]').inner_text())
    assert households > 1000
    gained = page.locator('[data-transition="eligibility gained"]').inner_text()
    assert gained.startswith("新获低保资格") and int(gained.split(":")[1].split()[0]) > 0
    bars = page.locator("figure svg rect.bar").count()
    assert bars >= 2
    screenshot(page, "diff-hebi", full_page=True)


def test_caseload_upload_runs_and_downloads_with_nothing_lost(page: Any, tmp_path: Path, screenshot: Any) -> None:
    households, members, incomes = _small_caseload(tmp_path)
    page.goto("/caseload")
    page.select_option("#f-region", "hebi")
    page.fill("#f-date", "2017-10-01")
    page.set_input_files("#f-files", [str(households), str(members), str(incomes)])
    page.get_by_role("button", name="开始测算").click()
    page.wait_for_selector('#job[data-state="done"]', timeout=60_000)
    records = int(page.locator('[data-summary="records"]').inner_text())
    rows = int(page.locator('[data-summary="rows"]').inner_text())
    rejected = int(page.locator('[data-summary="rejected"]').inner_text())
    assert (records, rows, rejected) == (4, 3, 1)
    screenshot(page, "caseload-done")
    with page.expect_download() as output:
        page.get_by_role("link", name="下载结果").click()
    table = list(csv.DictReader(io.StringIO(Path(output.value.path()).read_text(encoding="utf-8"))))
    assert sorted(row["id"] for row in table) == ["C1", "C2", "C3"]
    with page.expect_download() as errors:
        page.get_by_role("link", name="下载拒绝记录").click()
    lines = [json.loads(line) for line in Path(errors.value.path()).read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["C4"]


def _small_caseload(folder: Path) -> tuple[Path, Path, Path]:
    """Four households as CSV tables (the households table in GBK); C4's birth date is impossible."""
    households = folder / "households.csv"
    households.write_bytes("id,hukou\nC1,hebi\nC2,hebi\nC3,hebi\nC4,hebi\n".encode("gbk"))
    members = folder / "members.csv"
    members.write_text("household_id,id,birth_date,labour_capacity\nC1,p1,1950-03-01,none\nC2,p1,1980-01-01,full\n"
                       "C3,p1,1990-05-05,partial\nC4,p1,1990-02-30,full\n", encoding="utf-8")
    incomes = folder / "incomes.csv"
    incomes.write_text("household_id,member_id,kind,amount,per\nC1,p1,wages,100,month\nC2,p1,wages,3000,month\n",
                       encoding="utf-8")
    return households, members, incomes
