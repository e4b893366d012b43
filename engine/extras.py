"""Optional dependencies: which extra a feature needs, and a clear message when it is missing.

The core (``pip install dibao``) evaluates, explains, compares, diffs and checks. Columnar
batches and tables need ``dibao[batch]`` (NumPy, PyArrow), runs on a cluster ``dibao[dask]``,
and ``dibao consistency`` ``dibao[consistency]`` (Hypothesis).
"""

from __future__ import annotations

import importlib

from engine.base.diagnostics import Diagnostic, DiagnosticError

EXTRAS: dict[str, tuple[str, ...]] = {
    "batch": ("numpy", "pyarrow"),
    "dask": ("numpy", "pyarrow", "dask", "distributed"),
    "consistency": ("hypothesis",),
}


def require_extra(extra: str, feature: str) -> None:
    """Raise ``DiagnosticError`` (E-EXTRA) naming the extra to install when one of its modules is missing."""
    missing = [module for module in EXTRAS[extra] if not _importable(module)]
    if missing:
        raise DiagnosticError([Diagnostic(
            "E-EXTRA", f"{feature} needs the optional dependencies of dibao[{extra}] ({', '.join(missing)} "
            f"not installed): pip install 'dibao[{extra}]'")])


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True
