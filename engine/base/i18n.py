"""Languages: which one the user asked for, and the words in it.

English is the language the code is written in; every other language is a catalogue
(``engine/base/messages_zh.py`` for Chinese) keyed by the English text, as gettext keys by
msgid. ``tr`` translates a fixed text (a header, a help text, a label) and
``tr_message`` a message built at run time (a diagnostic), through the catalogue's
patterns. The language comes from ``--lang``, else from the locale (``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES``, ``LANG``: a ``zh`` locale such as ``zh_CN.UTF-8`` gives
Chinese), else English. Output names can be labelled in Chinese separately
(``--labels zh``): the words people read change, the data does not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

LANGUAGES = ("en", "zh")
_ENV_ORDER = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_current = {"lang": ""}


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """``zh`` when the first locale variable that is set names Chinese, else ``en``."""
    env = os.environ if environ is None else environ
    for name in _ENV_ORDER:
        value = env.get(name, "")
        if value:
            first = value.split(":")[0].lower()
            return "zh" if first.startswith("zh") else "en"
    return "en"


def set_language(lang: str | None) -> None:
    """Use ``lang`` from now on (None: the locale's language)."""
    _current["lang"] = lang if lang in LANGUAGES else ""


def language() -> str:
    return _current["lang"] or language_from_environment()


def tr(text: str, lang: str | None = None, **values: Any) -> str:
    """A fixed text in the current language (``{name}`` fields filled from ``values``).

    A help text is found however it is wrapped: the catalogue is also looked up with its
    white space collapsed.
    """
    words = text
    if (lang or language()) != "en":
        messages = _catalogue(lang or language()).MESSAGES
        words = messages.get(text) or messages.get(" ".join(text.split())) or text
    return words.format(**values) if values else words


def tr_message(message: str, lang: str | None = None) -> str:
    """A message built at run time, translated by the first catalogue pattern that matches it whole."""
    chosen = lang or language()
    if chosen == "en":
        return message
    exact: str | None = _catalogue(chosen).MESSAGES.get(message)
    if exact is not None:
        return exact
    for pattern, template in _patterns(chosen):
        found = pattern.fullmatch(message)
        if found:
            return template.format(**{k: tr_message(v, chosen) if k.endswith("_msg") else v
                                      for k, v in found.groupdict().items()})
    for english, words in _catalogue(chosen).FRAGMENTS.items():
        message = message.replace(english, words)
    return message


@contextmanager
def in_language(lang: str) -> Iterator[None]:
    """Words in ``lang`` inside the block (for files that are always written in one language)."""
    saved = _current["lang"]
    _current["lang"] = lang
    try:
        yield
    finally:
        _current["lang"] = saved


def label(name: str, labels: str | None, fallback: str | None = None) -> str:
    """How an output or parameter is named in a column: its name, or with ``labels="zh"`` its Chinese label."""
    if labels != "zh":
        return name
    return _catalogue("zh").LABELS.get(name) or fallback or name


def severity_word(severity: str) -> str:
    return tr(severity)


def _catalogue(lang: str) -> Any:
    from engine.base import messages_zh

    return messages_zh


@lru_cache(maxsize=4)
def _patterns(lang: str) -> list[tuple[re.Pattern[str], str]]:
    return [(re.compile(pattern, re.DOTALL), template) for pattern, template in _catalogue(lang).PATTERNS]
