"""dibao: social-assistance rules as data.

The library API (docs/api.md): ``evaluate`` (one household, a region, a date → a
``Determination`` with ``to_dict()`` and ``explain()``), ``evaluate_table`` (a caseload
as pyarrow Tables or pandas DataFrames → outputs and rejected rows), ``PolicyLibrary``
(a loaded and checked policy tree), ``validate_household``. Bad input raises
``DiagnosticError``, which carries every located diagnostic.
"""

from engine.api import evaluate, evaluate_table
from engine.base.diagnostics import Diagnostic, DiagnosticError
from engine.base.resources import package_version
from engine.household.record import Household, validate_household
from engine.runtime.library import PolicyLibrary
from engine.runtime.outputs import Determination

__version__ = package_version()

__all__ = ["Determination", "Diagnostic", "DiagnosticError", "Household", "PolicyLibrary", "__version__",
           "evaluate", "evaluate_table", "validate_household"]
