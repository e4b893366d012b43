"""The staff pages over HTTP without a browser: they read without JavaScript, in Chinese or English,
and every problem with what was entered is a page with the message, never a traceback."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from engine.service.app import create_app
from engine.web.text import WORDS

ROOT = Path(__file__).resolve().parents[2]
RECORD = json.loads((ROOT / "examples" / "households" / "contract_example.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/", "/regions/hebi", "/regions/inner_mongolia/hinggan", "/calculator", "/diff",
                                  "/caseload"])
def test_every_page_reads_in_chinese_with_labelled_controls(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert re.search(r"<h1>[^<]*[\u4e00-\u9fff]", page.text), "the heading is in Chinese"
    for control in re.findall(r'<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"', page.text):
        assert f'for="{control}"' in page.text, f"{path}: control {control} has no label"


def test_the_language_switch_gives_english_and_is_remembered(client: TestClient) -> None:
    english = client.get("/calculator?lang=en")
    assert '<html lang="en">' in english.text and "Household calculator" in english.text
    assert client.get("/calculator").text.count("Household calculator") >= 1  # the cookie keeps it
    assert "家庭测算" in client.get("/calculator?lang=zh").text


def test_both_languages_have_the_same_words() -> None:
    assert set(WORDS["zh"]) == set(WORDS["en"])


def test_an_unknown_region_is_a_page_saying_so(client: TestClient) -> None:
    page = client.get("/regions/nowhere")
    assert page.status_code == 404
    assert "unknown region 'nowhere'" in page.text.replace("&#39;", "'")


def test_a_pasted_record_is_evaluated_and_fills_the_form(client: TestClient) -> None:
    page = client.post("/calculator", data={"region": "hebi", "date": "2017-10-01", "record": json.dumps(RECORD),
                                            "evaluate": "1"})
    assert page.status_code == 200
    assert re.search(r'data-output="dibao.standard_monthly">267.50<', page.text)
    assert 'name="members[0].birth_date" type="date" value="1950-03-01"' in page.text


def test_all_regions_compared(client: TestClient) -> None:
    page = client.post("/calculator", data={"region": "hebi", "date": "2017-10-01", "record": json.dumps(RECORD),
                                            "compare": "1"})
    assert page.status_code == 200
    for region in ("yangjiang", "hebi", "inner_mongolia", "dongtai", "suining"):
        assert f"<th scope=\"col\">{region}</th>" in page.text


@pytest.mark.parametrize(("data", "message"), [
    ({"region": "hebi", "date": "2017-13-01", "record": json.dumps(RECORD)}, "is not a date written YYYY-MM-DD"),
    ({"region": "nowhere", "date": "2017-10-01", "record": json.dumps(RECORD)}, "unknown region"),
    ({"region": "hebi", "date": "2017-10-01", "record": "{not json"}, "not valid JSON"),
    ({"region": "hebi", "date": "2017-10-01", "record": json.dumps(RECORD), "overrides": "no equals sign"},
     "write NAME=VALUE"),
    ({"region": "hebi", "date": "2017-10-01", "record": json.dumps(RECORD), "overrides": "dibao.nothing=1"},
     "no parameter of that name"),
])
def test_bad_input_is_a_located_message_with_status_422(client: TestClient, data: dict[str, str],
                                                        message: str) -> None:
    page = client.post("/calculator", data=data | {"evaluate": "1"})
    assert page.status_code == 422
    assert message in page.text.replace("&#39;", "'")
    assert "Traceback" not in page.text


def test_errors_are_placed_beside_the_form_field_they_name(client: TestClient) -> None:
    form = {"region": "hebi", "date": "2017-10-01", "id": "F1", "hukou": "hebi",
            "members[0].id": "p1", "members[0].birth_date": "1950-03-01", "members[0].labour_capacity": "none",
            "members[0].incomes[0].kind": "wages", "members[0].incomes[0].amount": "100", "members[0].incomes[0].per":
            "month", "members[0].incomes[2].kind": "wages", "members[0].incomes[2].amount": "-5",
            "members[0].incomes[2].per": "month", "evaluate": "1"}
    page = client.post("/calculator", data=form)
    assert page.status_code == 422
    # the second income given is the record's incomes[1], but it sits in the form's third row
    assert re.search(r'id="f-members-0-incomes-2-amount-error"[^>]*>must not be negative', page.text)


def test_adding_a_member_keeps_what_was_entered(client: TestClient) -> None:
    page = client.post("/calculator", data={"region": "hebi", "date": "2017-10-01", "members[0].id": "p1",
                                            "add_member": "1"})
    assert page.status_code == 200
    assert 'name="members[1].id"' in page.text and 'value="p1"' in page.text


def test_diff_by_query_and_its_histogram(client: TestClient) -> None:
    page = client.get("/diff?region=hebi&old=2017-06-30&new=2017-07-01&population=bundled")
    assert page.status_code == 200
    assert "dibao.standard_annual" in page.text and 'class="bar"' in page.text


def test_a_caseload_upload_of_an_unknown_kind_of_file_is_refused(client: TestClient) -> None:
    page = client.post("/caseload", data={"region": "hebi", "date": "2017-10-01"},
                       files={"files": ("notes.txt", b"hello", "text/plain")})
    assert page.status_code == 422
    assert "notes.txt: upload a .jsonl file" in page.text


def test_a_caseload_job_that_does_not_exist(client: TestClient) -> None:
    assert client.get("/caseload/jobs/nope").status_code == 404
    assert client.get("/caseload/jobs/nope/output").status_code == 404
