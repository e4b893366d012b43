"""What a running service is configured with: one frozen value, read by every route.

The policy folder (``None``: the library's default discovery), local parameter files
(``params``, kept for the ``--params`` option of every command), the decision log's
URL, the bearer token that opens the log's reading endpoints, and the size limits
of request bodies. ``from_environment`` and ``to_environment`` carry it to worker
processes, which build their own application from it.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

ENVIRONMENT_KEY = "DIBAO_SERVE_CONFIG"

MAX_BODY_BYTES = 1_000_000  # one household, explain, compare: far more than any real record
MAX_BATCH_BYTES = 20_000_000  # POST /v1/batch: JSON Lines body or uploaded file
MAX_BATCH_RECORDS = 10_000  # POST /v1/batch: households in one request


@dataclass(frozen=True)
class ServiceConfig:
    """Everything a route may read about how the server was started."""

    policies: Path | None = None
    params: tuple[Path, ...] = ()
    log_url: str | None = None
    token: str | None = field(default=None, repr=False)
    max_body_bytes: int = MAX_BODY_BYTES
    max_batch_bytes: int = MAX_BATCH_BYTES
    max_batch_records: int = MAX_BATCH_RECORDS

    def to_environment(self) -> str:
        data = asdict(self)
        data["policies"] = str(self.policies) if self.policies is not None else None
        data["params"] = [str(p) for p in self.params]
        return json.dumps(data)

    @classmethod
    def from_environment(cls) -> ServiceConfig:
        data = json.loads(os.environ.get(ENVIRONMENT_KEY, "{}"))
        if data.get("policies") is not None:
            data["policies"] = Path(data["policies"])
        data["params"] = tuple(Path(p) for p in data.get("params", ()))
        return cls(**data)
