"""The household record's rules that relate fields, over whole columns of a caseload.

``engine.household.record`` checks these one record at a time; ``engine.batch.column_checks``
runs them here on the columns it has converted (codes, fen, days), each giving the rows
that break the rule: too few members, a member id repeated in a household, a request
naming no member, an event's cause that is not one of its kind's, an education level on
another expense, status details without what they need, an income fall's amounts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.batch.arrow_numpy import column_array, distinct_words, ints, is_text, is_words, nulls
from engine.batch.caseload import Caseload, Converted
from engine.batch.columnar import Coded
from engine.batch.record_layout import LEVELS
from engine.household.vocabulary import in_force

I64 = np.int64


def _too_few_members(caseload: Caseload, converted: Converted) -> np.ndarray:
    rules = LEVELS["member"].rules
    counts = np.bincount(converted.parent["member"], minlength=caseload.size)
    return np.asarray(counts < rules.get("minlength", 0), dtype=bool)


def _member_keys(converted: Converted) -> tuple[np.ndarray, Coded]:
    ids = converted.columns["member"]["id"]
    return converted.parent["member"] * len(ids.vocab.values) + ids.codes, ids


def _few_keys(keys: np.ndarray, span: int) -> bool:
    """Keys in a range small enough for a table of it (not much larger than the keys)."""
    return span <= 8 * len(keys) + 1024


def _duplicate_member_ids(caseload: Caseload, converted: Converted) -> np.ndarray:
    """members[i].id repeats an earlier member's id."""
    keys, ids = _member_keys(converted)
    span = caseload.size * len(ids.vocab.values)
    if _few_keys(keys, span) and not (np.bincount(keys, minlength=span) > 1).any():
        return np.zeros(len(keys), dtype=bool)
    order = np.argsort(keys, kind="stable")
    repeated = np.zeros(len(keys), dtype=bool)
    repeated[order[1:]] = keys[order[1:]] == keys[order[:-1]]
    return repeated


def _request_members(caseload: Caseload, converted: Converted) -> np.ndarray:
    """requests[i].member names no member of the household."""
    table = caseload.tables["request"]
    if "member" not in table.column_names or not table.num_rows:
        return np.zeros(table.num_rows, dtype=bool)
    member = column_array(table, "member", table.num_rows)
    if not is_text(member):
        return np.zeros(table.num_rows, dtype=bool)  # reported as a wrong type
    keys, ids = _member_keys(converted)
    code = pc.index_in(member, value_set=pa.array(ids.vocab.values, pa.string()))
    found = ints(code, -1)
    wanted = converted.parent["request"] * len(ids.vocab.values) + found
    span = caseload.size * len(ids.vocab.values)
    if _few_keys(keys, span):
        table = np.zeros(span + 1, dtype=bool)  # the last for an id that no member has
        table[keys] = True
        exists = table[np.where(found >= 0, wanted, span)]
        return np.asarray(~nulls(member) & ~exists, dtype=bool)
    known = np.sort(keys)
    position = np.clip(np.searchsorted(known, wanted), 0, max(len(known) - 1, 0))
    exists = (found >= 0) & (known[position] == wanted) if len(known) else np.zeros(len(found), dtype=bool)
    return np.asarray(~np.asarray(member.is_null(), dtype=bool) & ~exists, dtype=bool)


def _cause_pairs() -> pa.Array:
    """``kind/cause`` for each cause of each event kind of the vocabulary in force, and ``kind/`` for a kind without."""
    causes = in_force().event_causes
    return pa.array(sorted({f"{kind}/{cause}" for kind, each in causes.items() for cause in each}
                           | {f"{kind}/" for kind, each in causes.items() if not each}), pa.string())


def _event_causes(caseload: Caseload, converted: Converted) -> np.ndarray:
    """events[i].cause is required for the kinds that have causes, one of theirs, and absent for the others."""
    table = caseload.tables["event"]
    kind = column_array(table, "kind", table.num_rows, words=True)
    cause = column_array(table, "cause", table.num_rows, words=True)
    if (not is_text(kind) and not is_words(kind)) or not table.num_rows:
        return np.zeros(table.num_rows, dtype=bool)
    if not is_text(cause) and not is_words(cause):
        cause = pc.if_else(pc.is_null(cause), pa.scalar(None, pa.string()), pa.scalar("?"))
    (kind_codes, kinds), (cause_codes, causes) = distinct_words(kind), distinct_words(cause)
    if len(kinds) * len(causes) > table.num_rows:  # each pair is judged once: when there are few of them
        kind, cause = (pc.cast(data, pa.string()) if is_words(data) else data for data in (kind, cause))
        cause = pc.if_else(pc.equal(cause, ""), pa.scalar("\0"), cause)  # an empty cause is a cause, unknown
        pairs = pc.binary_join_element_wise(pc.fill_null(kind, "?"), pc.fill_null(cause, ""), "/")
        return ~np.asarray(pc.is_in(pairs, value_set=_cause_pairs()), dtype=bool)
    known = set(_cause_pairs().to_pylist())
    broken = np.array([[c == "" or f"{'?' if k is None else k}/{c or ''}" not in known for c in causes]
                       for k in kinds])  # an empty cause is a cause, and none is known
    return np.asarray(broken[kind_codes, cause_codes], dtype=bool)


def _present(converted: Converted, level: str, name: str) -> np.ndarray:
    """Rows where an optional field has a value (its code is not ``none``, or its ``*_missing`` flag is off)."""
    columns = converted.columns[level]
    if f"{name}_missing" in columns:
        return ~np.asarray(columns[f"{name}_missing"], dtype=bool)
    value = columns[name]
    return np.asarray(value.codes != value.vocab.index["none"], dtype=bool)


def _education_levels(caseload: Caseload, converted: Converted) -> np.ndarray:
    """expenses[i].level is given for an expense other than education."""
    kind = converted.columns["expense"]["kind"]
    return np.asarray(_present(converted, "expense", "level") & (kind.codes != kind.vocab.index["education"]),
                      dtype=bool)


def _status_details(caseload: Caseload, converted: Converted) -> np.ndarray:
    """status.tekun_support needs status.tekun true; status.current_benefit_monthly needs status.dibao_since."""
    columns = converted.columns["household"]
    tekun_without = _present(converted, "household", "tekun_support") & ~np.asarray(columns["tekun"], dtype=bool)
    benefit_without = (_present(converted, "household", "current_benefit_monthly")
                       & ~_present(converted, "household", "dibao_since"))
    return np.asarray(tekun_without | benefit_without, dtype=bool)


def _event_incomes(caseload: Caseload, converted: Converted) -> np.ndarray:
    """income_fell events have income_before, income_after (below it) and per; other events none of them."""
    kind = converted.columns["event"]["kind"]
    falls = kind.codes == kind.vocab.index["income_fell"]
    given = [_present(converted, "event", name) for name in ("income_before", "income_after", "per")]
    events = converted.columns["event"]
    below = np.asarray(events["income_after"], dtype=I64) < np.asarray(events["income_before"], dtype=I64)
    complete = np.logical_and.reduce(given)
    return np.asarray(np.where(falls, ~complete | ~below, np.logical_or.reduce(given)), dtype=bool)


#: The record's rules that relate fields, as ``engine.household.record`` checks them one record at a time.
CROSS_CHECKS: dict[str, Callable[[Caseload, Converted], np.ndarray]] = {
    "household.members": _too_few_members,
    "member.id": _duplicate_member_ids,
    "request.member": _request_members,
    "event.cause": _event_causes,
    "expense.level": _education_levels,
    "household.status": _status_details,
    "event.income_before": _event_incomes,
}

