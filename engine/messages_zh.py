"""The Chinese catalogue: every text the commands print, keyed by its English form.

``MESSAGES`` holds fixed texts (headers, help texts, labels, summaries with ``{fields}``);
``PATTERNS`` holds messages built at run time, as regular expressions over the English
message with named groups, and the Chinese template they fill (a group whose name ends in
``_msg`` is itself translated). ``LABELS`` names the contract outputs and common
parameters in Chinese, for ``--labels zh``. ``engine/i18n.py`` reads this module; nothing
else does.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {}

PATTERNS: list[tuple[str, str]] = []

LABELS: dict[str, str] = {}
