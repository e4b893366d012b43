"""dibao: social-assistance rules as data.

The library API: ``evaluate`` (one household, a region, a date → a ``Determination``),
``PolicyLibrary`` (a loaded and checked policy tree), ``validate_household``.
"""

from engine.evaluate import evaluate
from engine.household import validate_household
from engine.library import PolicyLibrary
from engine.outputs import Determination

__all__ = ["Determination", "PolicyLibrary", "evaluate", "validate_household"]
