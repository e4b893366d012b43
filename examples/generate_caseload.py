"""Generate the bundled example caseload: CONTRACT household records as JSON Lines.

Deterministic for a seed: ``python examples/generate_caseload.py`` rewrites
``examples/caseload/<region>.jsonl`` (10,000 households, 2,000 registered in each of the
five regions) exactly.
Amounts are written as decimal strings with at most two places; dates fall so that the
records are meaningful between 2017 and 2024. The distributions are plausible, not
statistics: many small farming and wage incomes, some pensions and allowances, a share
of recipients with tapers, monitoring applications and shocks.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path

REGIONS = ("yangjiang", "hebi", "inner_mongolia", "dongtai", "suining")
PREFIX = {"yangjiang": "YJ", "hebi": "HB", "inner_mongolia": "NM", "dongtai": "DT", "suining": "SN"}
INCOME_WEIGHTS = {
    "wages": 30, "agriculture": 30, "business": 6, "property": 2, "private_transfer": 6, "dividends": 3,
    "industry_support": 3, "basic_pension_base": 12, "basic_pension_other": 3, "honour_allowance": 1,
    "survivor_compensation": 1, "preferential_payment": 1, "student_living_allowance": 2,
    "student_hardship_subsidy": 1, "land_compensation": 1, "other": 2,
}
CAUSES = ("flexible_employment", "migrant_work", "self_employment", "industry_support", "dividends", "death",
          "voluntary_exit", "land_compensation", "concealment", "other")
SHOCKS = ("illness", "schooling", "disaster", "epidemic", "accident")
CATEGORIES = ("physical", "visual", "hearing", "speech", "intellectual", "mental", "multiple")


def money(rng: random.Random, low: float, high: float) -> str:
    """A random amount in yuan with two decimals, as exact text (drawn in whole fen)."""
    fen = rng.randint(int(low * 100), int(high * 100))
    return f"{fen // 100}.{fen % 100:02d}"


def day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def member(rng: random.Random, index: int) -> dict[str, object]:
    age_band = rng.choices(("child", "adult", "elder"), weights=(22, 55, 23))[0]
    born = {"child": (2004, 2020), "adult": (1957, 2003), "elder": (1925, 1962)}[age_band]
    record: dict[str, object] = {
        "id": f"p{index + 1}",
        "birth_date": day_between(rng, date(born[0], 1, 1), date(born[1], 12, 31)).isoformat(),
        "labour_capacity": rng.choices(("full", "partial", "none"), weights=(55, 25, 20))[0],
    }
    if rng.random() < 0.12:
        record["disability"] = {"grade": rng.randint(1, 4), "category": rng.choice(CATEGORIES),
                                "certificate": rng.choice(("second_generation", "other"))}
    if rng.random() < 0.08:
        record["seriously_ill"] = True
    if age_band == "adult" and rng.random() < 0.35:
        record["employed"] = True
    if rng.random() < 0.03:
        record["applies_single_person"] = True
    incomes = []
    for _ in range(rng.choices((0, 1, 2, 3), weights=(30, 40, 22, 8))[0]):
        kind = rng.choices(list(INCOME_WEIGHTS), weights=list(INCOME_WEIGHTS.values()))[0]
        per = rng.choice(("month", "year"))
        incomes.append({"kind": kind, "amount": money(rng, 0, 900 if per == "month" else 9000), "per": per})
    if incomes:
        record["incomes"] = incomes
    if rng.random() < 0.15:
        expense = {"kind": rng.choice(("medical", "education", "employment_cost", "disability", "other")),
                   "amount": money(rng, 100, 20000), "per": "year"}
        if expense["kind"] == "education":  # the level follows from the amount, so the random sequence is unchanged
            expense["level"] = LEVELS[int(float(expense["amount"])) % len(LEVELS)]
        record["expenses"] = [expense]
    return record


LEVELS = ("compulsory", "high_school", "vocational", "college")


def household(rng: random.Random, number: int) -> dict[str, object]:
    region = REGIONS[number % len(REGIONS)]
    size = rng.choices((1, 2, 3, 4, 5, 6), weights=(18, 26, 22, 18, 10, 6))[0]
    members = [member(rng, i) for i in range(size)]
    on_dibao = rng.random() < 0.45
    monitored = rng.random() < 0.12
    record: dict[str, object] = {
        "id": f"{PREFIX[region]}-{number:06d}",
        "hukou": region,
        "members": members,
        "status": {
            "registered_poor": rng.random() < 0.3,
            "lifted_out": rng.random() < 0.25,
            "dibao_since": day_between(rng, date(2014, 1, 1), date(2020, 6, 30)).isoformat() if on_dibao else None,
            "tekun": rng.random() < 0.03,
            "monitored_since": day_between(rng, date(2020, 1, 1), date(2022, 6, 30)).isoformat()
            if monitored else None,
            "children_support_sufficient": rng.random() < 0.05,
        },
    }
    status = record["status"]
    assert isinstance(status, dict)
    if status["tekun"]:  # dispersed support (分散供养) for most, from the number: the random sequence is unchanged
        status["tekun_support"] = "centralised" if number % 5 == 0 else "dispersed"
    events = []
    if on_dibao and rng.random() < 0.3:
        events.append({"kind": "income_exceeded", "date": day_between(rng, date(2017, 1, 1), date(2023, 12, 31))
                       .isoformat(), "cause": rng.choice(CAUSES)})
    if rng.random() < 0.1:
        events.append({"kind": "monitoring_application",
                       "date": day_between(rng, date(2021, 1, 1), date(2024, 10, 31)).isoformat()})
    if rng.random() < 0.1:
        events.append({"kind": "shock", "date": day_between(rng, date(2020, 1, 1), date(2024, 10, 31)).isoformat(),
                       "cause": rng.choice(SHOCKS)})
    if events:
        record["events"] = events
    requests = []
    if rng.random() < 0.1:
        requests.append({"kind": "temporary_assistance", "amount": money(rng, 100, 3000)})
    if rng.random() < 0.05:
        requests.append({"kind": "medical_assistance", "member": "p1", "amount": money(rng, 500, 50000)})
    if requests:
        record["requests"] = requests
    return record


def generate(count: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [household(rng, number) for number in range(1, count + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "caseload",
                        help="folder for one JSON Lines file per region")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    files = {region: (args.out / f"{region}.jsonl").open("w", encoding="utf-8") for region in REGIONS}
    try:
        for record in generate(args.count, args.seed):
            files[str(record["hukou"])].write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
    finally:
        for stream in files.values():
            stream.close()
    print(f"wrote {args.count} households to {args.out}/<region>.jsonl")


if __name__ == "__main__":
    main()
