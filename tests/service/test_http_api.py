"""The HTTP API against the command line: the same answers, and bad input answered as located data."""

from __future__ import annotations

import copy
import http.client
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.service.support import EXAMPLE, ROOT, Server, dibao

HEBI = {"region": "hebi", "date": "2017-10-01", "household": EXAMPLE}


@pytest.fixture(scope="module")
def api() -> Iterator[Server]:
    """One server without a log, shared by the module's tests."""
    launched = Server([], {k: v for k, v in os.environ.items() if k != "DIBAO_TOKEN"}).start()
    yield launched
    launched.stop()


def test_health_openapi_and_docs(api: Server) -> None:
    health = api.call("GET", "/healthz")
    assert health.status == 200 and health.json == {"status": "ok", "regions": 6, "decision_log": None}
    paths = api.call("GET", "/openapi.json").json["paths"]
    for path in ("/v1/regions", "/v1/regions/{region}", "/v1/regions/{region}/parameters/{name}", "/v1/evaluate",
                 "/v1/explain", "/v1/compare", "/v1/diff", "/v1/batch", "/healthz", "/v1/decisions",
                 "/v1/decisions/{decision_id}"):
        assert path in paths
    assert "requestBody" in paths["/v1/evaluate"]["post"]
    docs = api.call("GET", "/docs")
    assert docs.status == 200 and b"swagger" in docs.body.lower()


def test_evaluate_answers_exactly_what_the_command_prints(api: Server) -> None:
    printed = dibao("evaluate", "--region", "hebi", "--date", "2017-10-01", "--set", "dibao.standard_annual=4000",
                    "examples/households/contract_example.json")
    assert printed.returncode == 0, printed.stderr
    answer = api.call("POST", "/v1/evaluate", {**HEBI, "set": {"dibao.standard_annual": 4000}})
    assert answer.status == 200
    assert answer.json == json.loads(printed.stdout)
    assert "decision_id" not in answer.json


def test_amounts_stay_exact(api: Server) -> None:
    household = copy.deepcopy(EXAMPLE)
    household["members"][0]["incomes"] = [{"kind": "wages", "amount": 100.105, "per": "month"}]
    body = json.dumps({**HEBI, "household": household}).replace("100.105", "100.10500000000000000001")
    answer = api.call("POST", "/v1/evaluate", body.encode())
    assert answer.status == 422  # more than two decimals is refused, not rounded through a float
    assert answer.json["diagnostics"][0]["path"] == "household.members[0].incomes[0].amount"


def _place(text: str, needle: str) -> tuple[int, int]:
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def test_bad_household_is_422_with_located_diagnostics(api: Server) -> None:
    household = copy.deepcopy(EXAMPLE)
    household["members"][0]["birth_date"] = "1950-13-01"
    household["members"][0]["labour_capacity"] = "lots"
    text = json.dumps({**HEBI, "household": household}, indent=2, ensure_ascii=False)
    answer = api.call("POST", "/v1/evaluate", text.encode())
    assert answer.status == 422
    found = {d["path"]: d for d in answer.json["diagnostics"]}
    assert set(found) == {"household.members[0].birth_date", "household.members[0].labour_capacity"}
    date = found["household.members[0].birth_date"]
    assert date["code"] == "E-HOUSEHOLD" and "1950-13-01" in date["message"]
    assert (date["line"], date["column"]) == _place(text, '"1950-13-01"')
    capacity = found["household.members[0].labour_capacity"]
    assert (capacity["line"], capacity["column"]) == _place(text, '"lots"')


@pytest.mark.parametrize(("body", "path"), [
    ({"date": "2017-10-01", "household": EXAMPLE}, "region"),
    ({**HEBI, "date": "2017-02-30"}, "date"),
    ({**HEBI, "date": "20171001"}, "date"),
    ({**HEBI, "colour": "blue"}, "colour"),
    ({**HEBI, "set": {"dibao.standard_annul": "4000"}}, "set.dibao.standard_annul"),
    ({**HEBI, "set": {"dibao.standard_annual": "lots"}}, "set.dibao.standard_annual"),
    ({**HEBI, "set": ["dibao.standard_annual=4000"]}, "set"),
    ({**HEBI, "date": "2030-01-01"}, "date"),
    ({"region": "hebi", "date": "2017-10-01"}, "household"),
])
def test_bad_request_fields_are_named(api: Server, body: dict[str, object], path: str) -> None:
    answer = api.call("POST", "/v1/evaluate", body)
    assert answer.status == 422, answer.body
    diagnostics = answer.json["diagnostics"]
    assert path in [d["path"] for d in diagnostics]
    for diagnostic in diagnostics:
        assert set(diagnostic) >= {"code", "message", "path", "line", "column"}


@pytest.mark.parametrize(("path", "named"), [
    ("/v1/diff?old=hebi@2017-06-30", "new"),
    ("/v1/decisions", "household"),
    ("/v1/decisions?household=x&limit=0", "limit"),
    ("/v1/batch?date=2017-10-01", "region"),
])
def test_missing_or_bad_query_parameters_are_our_diagnostics(api: Server, path: str, named: str) -> None:
    answer = api.call("POST" if path.startswith("/v1/batch") else "GET", path, b"" if "batch" in path else None)
    assert answer.status == 422
    [diagnostic] = answer.json["diagnostics"]
    assert diagnostic["code"] == "E-REQUEST" and diagnostic["path"] == named and named in diagnostic["message"]


def test_syntax_error_names_line_and_column(api: Server) -> None:
    answer = api.call("POST", "/v1/evaluate", b'{\n  "region": "hebi",\n  "date": 2017-10-01\n}')
    assert answer.status == 422
    [diagnostic] = answer.json["diagnostics"]
    assert diagnostic["code"] == "E-JSON" and (diagnostic["line"], diagnostic["column"]) == (3, 15)


def test_missing_parameter_is_422_naming_the_policy_file(api: Server) -> None:
    answer = api.call("POST", "/v1/evaluate", {**HEBI, "region": "dongtai", "date": "2022-01-01"})
    assert answer.status == 422
    [diagnostic] = answer.json["diagnostics"]
    assert diagnostic["code"] == "E-EVAL" and "must be supplied" in diagnostic["message"]
    assert diagnostic["file"].endswith(".yaml") and diagnostic["file_line"] > 0


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/v1/evaluate", {**HEBI, "region": "hebbi"}),
    ("GET", "/v1/regions/hebbi", None),
    ("GET", "/v1/regions/hebi/parameters/no.such", None),
    ("GET", "/v1/diff?old=hebbi@2017-06-30&new=hebi@2017-07-01", None),
    ("POST", "/v1/batch?region=hebbi&date=2017-10-01", b"{}\n"),
    ("POST", "/v1/explain", {**HEBI, "region": "hebbi"}),
])
def test_unknown_region_or_parameter_is_404(api: Server, method: str, path: str, body: object) -> None:
    answer = api.call(method, path, body)
    assert answer.status == 404, answer.body
    assert answer.json["diagnostics"][0]["code"] in ("E-REGION", "E-PARAMETER")


def test_oversized_bodies_are_413(api: Server) -> None:
    big = b'{"region": "' + b"x" * 1_100_000 + b'"}'
    assert api.call("POST", "/v1/evaluate", big).status == 413
    chunked = http.client.HTTPConnection("127.0.0.1", api.port, timeout=60)
    chunked.putrequest("POST", "/v1/evaluate")
    chunked.putheader("Transfer-Encoding", "chunked")
    chunked.endheaders()
    for _ in range(12):
        piece = b" " * 100_000
        chunked.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
    chunked.send(b"0\r\n\r\n")
    response = chunked.getresponse()
    assert response.status == 413 and json.loads(response.read())["limit_bytes"] == 1_000_000
    chunked.close()
    too_many = b"{}\n" * 10_001
    answer = api.call("POST", "/v1/batch?region=hebi&date=2017-10-01", too_many)
    assert answer.status == 413 and answer.json["limit_records"] == 10_000


@pytest.mark.parametrize("body", [
    b"", b"\xff\xfe", b"[]", b"null", b'"text"', b"[" * 100_000, b'{"region": 1e999999}',
    b'{"region": "hebi", "date": "2017-10-01", "household": {"id": "x", "hukou": "hebi", "members": '
    b'[{"id": "p1", "birth_date": "1950-01-01", "labour_capacity": "none", "incomes": [{"kind": "wages", '
    b'"amount": 1e400, "per": "month"}]}]}}',
    b'{"region": "hebi", "region": "hebi"}', b'{"region": NaN}',
])
def test_no_traceback_ever(api: Server, body: bytes) -> None:
    answer = api.call("POST", "/v1/evaluate", body)
    assert 400 <= answer.status < 500, answer.body
    assert b"Traceback" not in answer.body and answer.json["diagnostics"]


def test_explain_and_compare_as_the_commands(api: Server) -> None:
    example = "examples/households/contract_example.json"
    printed = dibao("explain", "--region", "hebi", "--date", "2017-10-01", "--json", example)
    assert api.call("POST", "/v1/explain", HEBI).json == json.loads(printed.stdout)
    one = dibao("explain", "--region", "hebi", "--date", "2017-10-01", "--json", "--output", "dibao.eligible",
                example)
    assert api.call("POST", "/v1/explain", {**HEBI, "output": "dibao.eligible"}).json == json.loads(one.stdout)
    compared = dibao("compare", "--date", "2017-10-01", "--json", example)
    answer = api.call("POST", "/v1/compare", {"date": "2017-10-01", "household": EXAMPLE})
    assert answer.status == 200 and answer.json == json.loads(compared.stdout)


def test_regions_diff_and_parameters_as_data(api: Server) -> None:
    assert api.call("GET", "/v1/regions").json == json.loads(dibao("regions", "--json").stdout)
    printed = dibao("diff", "hebi@2017-06-30", "hebi@2017-07-01", "--json")
    answer = api.call("GET", "/v1/diff?old=hebi@2017-06-30&new=hebi@2017-07-01")
    assert answer.status == 200 and answer.json == json.loads(printed.stdout)
    bad = api.call("GET", "/v1/diff?old=hebi-2017&new=hebi@2017-07-01")
    assert bad.status == 422 and bad.json["diagnostics"][0]["path"] == "old"
    region = api.call("GET", "/v1/regions/inner_mongolia/hinggan").json
    assert region["region"] == "inner_mongolia/hinggan" and region["rules"] and region["parameters"]
    rule = next(r for r in region["rules"] if r["name"] == "dibao.eligible")
    assert rule["label"] and rule["variants"][0]["expression"] and rule["variants"][0]["source"]["clause"]
    history = api.call("GET", "/v1/regions/hebi/parameters/dibao.standard_annual").json
    values = history["values"]
    assert [v["from"] for v in values] == sorted(v["from"] for v in values)
    by_start = {v["from"]: v for v in values}
    assert by_start["2017-07-01"]["value"] == "3210.00" and by_start["2017-07-01"]["source"]["doc"]


def _caseload(tmp_path: Path) -> Path:
    lines = (ROOT / "examples/caseload/hebi.jsonl").read_text(encoding="utf-8").splitlines()[:300]
    lines[10] = '{"id": "broken", "hukou": "hebi"}'
    lines[20] = "not json at all"
    path = tmp_path / "caseload.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_batch_loses_nothing_and_matches_the_command(api: Server, tmp_path: Path) -> None:
    caseload = _caseload(tmp_path)
    out = tmp_path / "rows.jsonl"
    printed = dibao("batch", "--region", "hebi", "--date", "2017-10-01", str(caseload), "--out", str(out))
    assert printed.returncode == 0, printed.stderr
    expected_rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected_rejected = [json.loads(line) for line in
                         (tmp_path / "rows.jsonl.errors.jsonl").read_text(encoding="utf-8").splitlines()]
    answer = api.call("POST", "/v1/batch?region=hebi&date=2017-10-01", caseload.read_bytes(),
                      {"Content-Type": "application/x-ndjson"})
    assert answer.status == 200
    data = answer.json
    assert data["records"] == 300 == len(data["rows"]) + len(data["rejected"])
    assert data["rows"] == expected_rows and data["rejected"] == expected_rejected
    assert {11, 21} <= {r["line"] for r in data["rejected"]}
    boundary = "dibao-boundary"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"caseload.jsonl\"\r\n"
            "Content-Type: application/x-ndjson\r\n\r\n").encode() + caseload.read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    uploaded = api.call("POST", "/v1/batch?region=hebi&date=2017-10-01", form,
                        {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert uploaded.status == 200 and uploaded.json["rows"] == expected_rows


def test_decisions_are_404_without_a_log(api: Server) -> None:
    assert api.call("GET", "/v1/decisions?household=HB-0001").status == 404


def test_server_log_never_prints_a_household_record(server: Callable[..., Server], tmp_path: Path) -> None:
    running = server("--log", str(tmp_path / "decisions.db"))
    marker = "PRIVATE-马-7c1f"
    household = copy.deepcopy(EXAMPLE)
    household["id"] = marker
    assert running.call("POST", "/v1/evaluate", {**HEBI, "household": household}).status == 200
    household["members"][0]["birth_date"] = marker
    assert running.call("POST", "/v1/evaluate", {**HEBI, "household": household}).status == 422
    assert running.call("POST", "/v1/batch?region=hebi&date=2017-10-01",
                        json.dumps(household, ensure_ascii=False).encode() + b"\n").status == 200
    assert running.call("GET", f"/v1/decisions?household={quote(marker)}").status == 403
    running.stop()
    output = running.output()
    assert "POST /v1/evaluate 200" in output and "POST /v1/evaluate 422" in output
    assert marker not in output and "7c1f" not in output
