"""The decision log on SQLite and on a real PostgreSQL: recorded before answering, read with a token,
concurrent clients neither lose nor duplicate a row, a SIGKILL loses no acknowledged decision."""

from __future__ import annotations

import copy
import json
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from engine.service.decision_log import SCHEMA_VERSION, DecisionLog, database_url, schema_table
from tests.service.support import EXAMPLE, ROOT, Server, dibao

TOKEN = "test-token-3f9a"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HEBI = {"region": "hebi", "date": "2017-10-01", "household": EXAMPLE}


def _household(number: int) -> dict[str, Any]:
    household = copy.deepcopy(EXAMPLE)
    household["id"] = f"HB-{number:05d}"
    household["members"][0]["incomes"][0]["amount"] = f"{200 + (number * 15) % 300}.{number % 100:02d}"
    return household


def test_a_determination_is_logged_and_read_with_the_token(server: Callable[..., Server], log_url: str) -> None:
    running = server("--log", log_url, token=TOKEN)
    asked = {**HEBI, "set": {"dibao.standard_annual": "4000"}}
    answer = running.call("POST", "/v1/evaluate", asked)
    assert answer.status == 200
    decision_id = answer.json["decision_id"]
    determination = {k: v for k, v in answer.json.items() if k != "decision_id"}
    read = running.call("GET", f"/v1/decisions/{decision_id}", headers=AUTH)
    assert read.status == 200
    logged = read.json
    assert logged["decision_id"] == decision_id and logged["region"] == "hebi" and logged["date"] == "2017-10-01"
    assert logged["policy"] == {key: answer.json["policy"][key] for key in ("version", "digest")}
    assert logged["household_id"] == "HB-0001"
    assert logged["household"]["members"][0]["incomes"] == [
        {**income, "amount": str(income["amount"])} for income in EXAMPLE["members"][0]["incomes"]]
    assert logged["set"] == {"dibao.standard_annual": "4000"} and logged["determination"] == determination
    assert logged["recorded_at"].endswith("+00:00")
    listed = running.call("GET", "/v1/decisions?household=HB-0001", headers=AUTH).json
    assert [d["decision_id"] for d in listed["decisions"]] == [decision_id]
    assert running.call("GET", "/v1/decisions/no-such-id", headers=AUTH).status == 404
    refused = running.call("GET", f"/v1/decisions/{decision_id}")
    assert refused.status == 401 and refused.headers["www-authenticate"] == "Bearer"
    assert running.call("GET", f"/v1/decisions/{decision_id}", headers={"Authorization": "Bearer nope"}).status == 401
    bad = running.call("POST", "/v1/evaluate", {**HEBI, "date": "2017-13-01"})
    assert bad.status == 422 and "decision_id" not in bad.json


def test_reading_is_off_without_a_token(server: Callable[..., Server], tmp_path: Path) -> None:
    running = server("--log", str(tmp_path / "decisions.db"))
    assert running.call("POST", "/v1/evaluate", HEBI).status == 200
    assert running.call("GET", "/v1/decisions?household=HB-0001", headers=AUTH).status == 403


def test_token_from_a_file(server: Callable[..., Server], tmp_path: Path) -> None:
    (tmp_path / "token").write_text("from-a-file\n", encoding="utf-8")
    running = server("--log", str(tmp_path / "d.db"), "--token-file", str(tmp_path / "token"))
    assert running.call("GET", "/v1/decisions?household=x",
                        headers={"Authorization": "Bearer from-a-file"}).status == 200


def _load(running: Server, clients: int, each: int) -> list[str]:
    """``clients`` threads, ``each`` evaluations each; the decision ids they were answered with."""
    acknowledged: list[str] = []
    failures: list[str] = []

    def client(number: int) -> None:
        for index in range(each):
            answer = running.call("POST", "/v1/evaluate", {**HEBI, "household": _household(number * each + index)})
            if answer.status != 200:
                failures.append(answer.body.decode())
            else:
                acknowledged.append(answer.json["decision_id"])

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    return acknowledged


def test_concurrent_clients_never_lose_or_duplicate_a_row(server: Callable[..., Server], log_url: str) -> None:
    running = server("--log", log_url)
    acknowledged = _load(running, clients=16, each=25)
    assert len(acknowledged) == len(set(acknowledged)) == 400
    running.stop()
    log = DecisionLog(log_url)
    try:
        logged = [d.id for d in log.all()]
    finally:
        log.close()
    assert sorted(logged) == sorted(acknowledged)


def test_sigkill_loses_no_acknowledged_decision(server: Callable[..., Server], log_url: str) -> None:
    running = server("--log", log_url)
    acknowledged: list[str] = []
    stop = threading.Event()

    def client(number: int) -> None:
        index = 0
        while not stop.is_set():
            try:
                body = {**HEBI, "household": _household(number * 10_000 + index)}
                answer = running.call("POST", "/v1/evaluate", body, timeout=10)
            except OSError:
                return
            if answer.status == 200:
                acknowledged.append(answer.json["decision_id"])
            index += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    running.kill()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) >= 200
    restarted = server("--log", log_url, token=TOKEN)
    for decision_id in acknowledged[-20:]:
        assert restarted.call("GET", f"/v1/decisions/{decision_id}", headers=AUTH).status == 200
    restarted.stop()
    log = DecisionLog(log_url)
    try:
        logged = {d.id for d in log.all()}
    finally:
        log.close()
    assert set(acknowledged) <= logged
    assert len(logged) - len(acknowledged) <= 8  # at most one in flight per client when the server died


def test_export_jsonl_and_parquet(server: Callable[..., Server], log_url: str, tmp_path: Path) -> None:
    running = server("--log", log_url)
    acknowledged = _load(running, clients=2, each=5)
    running.stop()
    out = tmp_path / "decisions.jsonl"
    done = dibao("decisions", "export", "--log", log_url, "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(d["decision_id"] for d in lines) == sorted(acknowledged)
    assert all(d["determination"]["region"] == "hebi" for d in lines)
    table = tmp_path / "decisions.parquet"
    assert dibao("decisions", "export", "--log", log_url, "--out", str(table)).returncode == 0
    read = pq.read_table(table).to_pylist()
    assert sorted(r["decision_id"] for r in read) == sorted(acknowledged)
    assert json.loads(read[0]["household"])["hukou"] == "hebi"
    later = tmp_path / "later.jsonl"
    assert dibao("decisions", "export", "--log", log_url, "--since", "2999-01-01", "--out", str(later)).returncode == 0
    assert later.read_text(encoding="utf-8") == ""
    refused = dibao("decisions", "export", "--log", log_url, "--out", str(tmp_path / "x.csv"))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr


def test_schema_is_created_then_kept_and_a_newer_one_refused(log_url: str) -> None:
    first = DecisionLog(log_url)
    first.close()
    again = DecisionLog(log_url)
    again.close()
    engine = sa.create_engine(database_url(log_url))
    with engine.begin() as connection:
        assert connection.execute(sa.select(schema_table.c.version)).scalars().all() == [SCHEMA_VERSION]
        connection.execute(schema_table.update().values(version=SCHEMA_VERSION + 1))
    engine.dispose()
    refused = dibao("decisions", "export", "--log", log_url, "--out", "/dev/null/x.jsonl")
    assert refused.returncode == 2 and "upgrade dibao" in refused.stderr


def test_an_unreachable_log_stops_the_start(tmp_path: Path) -> None:
    started = dibao("serve", "--port", "1", "--log", "postgresql://nobody@127.0.0.1:1/none")
    assert started.returncode == 2 and "cannot open decision log" in started.stderr
    assert "Traceback" not in started.stderr


@pytest.mark.parametrize("edit", ["raise", "none"])
def test_replay_under_another_tree(server: Callable[..., Server], log_url: str, tmp_path: Path, edit: str) -> None:
    running = server("--log", log_url)
    households = [_household(n) for n in range(12)]
    for household in households:
        assert running.call("POST", "/v1/evaluate", {**HEBI, "household": household}).status == 200
    running.stop()
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    if edit == "raise":  # a proposed standard: 3210 → 6000 a year from 2017-07-01
        policy = tree / "hebi" / "policy.yaml"
        text = policy.read_text(encoding="utf-8")
        assert "3210 yuan/year" in text
        policy.write_text(text.replace("3210 yuan/year", "6000 yuan/year"), encoding="utf-8")
    done = dibao("replay", "--log", log_url, "--policies", str(tree), "--json")
    report = json.loads(done.stdout)
    assert report["decisions_read"] == 12 and report["impact"]["households"] == 12
    assert list(report["old_digests"]) == ["hebi"]
    if edit == "none":
        assert done.returncode == 0 and not report["changed"] and not report["determinations_changed"]
        assert report["new_digests"]["hebi@2017-10-01"] in report["old_digests"]["hebi"]
        at_head = dibao("replay", "--log", log_url, "--rev", "HEAD", "--json")
        assert at_head.returncode == 0 and json.loads(at_head.stdout)["new"] == "revision HEAD"
        return
    assert done.returncode == 1 and report["changed"]
    assert report["new_digests"]["hebi@2017-10-01"] not in report["old_digests"]["hebi"]
    gained = report["impact"]["transitions"]["eligibility gained"]
    assert gained and all(key.endswith("(hebi)") for key in gained)
    assert report["impact"]["monthly_cost"]["change"] != "0.00"
    printed = dibao("replay", "--log", log_url, "--policies", str(tree))
    assert printed.returncode == 1 and "eligibility gained" in printed.stdout


def test_nothing_is_decided_when_the_log_cannot_record_it(server: Callable[..., Server], tmp_path: Path) -> None:
    database = tmp_path / "decisions.db"
    running = server("--log", str(database))
    assert running.call("POST", "/v1/evaluate", HEBI).status == 200
    engine = sa.create_engine(database_url(str(database)))
    with engine.begin() as connection:
        connection.execute(sa.text("ALTER TABLE decisions RENAME TO decisions_moved"))
    engine.dispose()
    refused = running.call("POST", "/v1/evaluate", HEBI)
    assert refused.status == 503 and "decision_id" not in refused.json
    assert "nothing was decided" in refused.json["error"]
    assert b"HB-0001" not in refused.body


def test_two_worker_processes_share_one_log(server: Callable[..., Server], tmp_path: Path) -> None:
    database = str(tmp_path / "decisions.db")
    running = server("--log", database, "--workers", "2")
    acknowledged = _load(running, clients=8, each=10)
    running.stop()
    log = DecisionLog(database)
    try:
        assert sorted(d.id for d in log.all()) == sorted(acknowledged)
    finally:
        log.close()


def test_a_tree_without_regions_stops_the_start(tmp_path: Path) -> None:
    started = dibao("serve", "--port", "1", "--policies", str(tmp_path / "missing"))
    assert started.returncode == 2 and "no policy folder" in started.stderr
