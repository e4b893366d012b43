"""What every route of a running service shares: its config, its policies and its decision log."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.service.config import ServiceConfig
from engine.service.decision_log import DecisionLog
from engine.service.policies import LoadedPolicies

log = logging.getLogger("dibao.serve")


@dataclass
class ServiceState:
    config: ServiceConfig
    policies: LoadedPolicies
    decision_log: DecisionLog | None

    @classmethod
    def start(cls, config: ServiceConfig) -> ServiceState:
        """Open the policy tree and the log (creating or migrating its schema); raises ``DiagnosticError``."""
        policies = LoadedPolicies.open(config)
        if not policies.library.regions:
            raise DiagnosticError(policies.library.diagnostics or [Diagnostic(
                "E-POLICY", f"{policies.library.root}: no region to serve")])
        problems = len(policies.library.diagnostics)
        if problems:
            log.warning("the policy tree has %d problems (dibao check); the regions they concern answer 422",
                        problems)
        decision_log = DecisionLog(config.log_url) if config.log_url else None
        return cls(config, policies, decision_log)

    def close(self) -> None:
        if self.decision_log is not None:
            self.decision_log.close()

    def token_accepted(self, header: str | None) -> bool:
        """A constant-time comparison of ``Authorization: Bearer …`` with the configured token."""
        token = self.config.token
        if not token or not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), token.encode())


def state_of(request: Request) -> ServiceState:
    found: Any = request.app.state.dibao
    assert isinstance(found, ServiceState)
    return found
