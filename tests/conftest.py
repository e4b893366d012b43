"""The test suite reads English messages whatever the developer's locale; Chinese ones are
tested with ``--lang zh``."""

from __future__ import annotations

import os

from engine.base.i18n import language_from_environment

if language_from_environment() != "en":
    os.environ.update({"LANGUAGE": "", "LC_ALL": "C.UTF-8", "LC_MESSAGES": ""})
