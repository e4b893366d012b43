"""``dibao decisions export``: the decision log as JSON Lines or Parquet, written atomically.

JSON Lines holds one decision per line as ``GET /v1/decisions/{id}`` answers it.
Parquet holds one row per decision: the identifying columns typed (time, date), the
household record, overrides and determination as JSON text. The file appears whole or
not at all: it is written beside its target and renamed over it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.service.decision_log import Decision, exact_json

FORMATS = (".jsonl", ".ndjson", ".parquet")


def export(decisions: Iterable[Decision], out: Path) -> int:
    """Write every decision to ``out`` (format by its suffix); returns how many."""
    if out.suffix not in FORMATS:
        raise DiagnosticError([Diagnostic("E-IO", f"{out}: the output's suffix says its format: .jsonl or .parquet")])
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(handle)
    try:
        count = _parquet(decisions, Path(temporary)) if out.suffix == ".parquet" else _jsonl(decisions,
                                                                                              Path(temporary))
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count


def _jsonl(decisions: Iterable[Decision], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as stream:
        for decision in decisions:
            stream.write(json.dumps(decision.as_dict(), ensure_ascii=False) + "\n")
            count += 1
        stream.flush()
        os.fsync(stream.fileno())
    return count


_COLUMNS = ("decision_id", "recorded_at", "region", "date", "policy_version", "policy_digest", "household_id",
            "household", "set", "determination")


def _parquet(decisions: Iterable[Decision], path: Path, rows_per_group: int = 10_000) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("decision_id", pa.string()), ("recorded_at", pa.timestamp("us", tz="UTC")),
                        ("region", pa.string()), ("date", pa.date32()), ("policy_version", pa.string()),
                        ("policy_digest", pa.string()), ("household_id", pa.string()), ("household", pa.string()),
                        ("set", pa.string()), ("determination", pa.string())])
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        columns: dict[str, list[object]] = {name: [] for name in _COLUMNS}
        for decision in decisions:
            for name, value in zip(_COLUMNS, _row(decision), strict=True):
                columns[name].append(value)
            count += 1
            if len(columns["decision_id"]) >= rows_per_group:
                writer.write_table(pa.table(columns, schema=schema))
                columns = {name: [] for name in _COLUMNS}
        if columns["decision_id"] or count == 0:
            writer.write_table(pa.table(columns, schema=schema))
    return count


def _row(decision: Decision) -> tuple[object, ...]:
    return (decision.id, decision.recorded_at, decision.region, decision.as_of, decision.policy_version,
            decision.policy_digest, decision.household_id, exact_json(decision.household),
            exact_json(decision.overrides), exact_json(decision.determination))
