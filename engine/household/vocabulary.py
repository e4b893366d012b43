"""The vocabulary of the household record: kinds of income, expense and event, and causes.

The codes a record may write under ``incomes[].kind``, ``expenses[].kind``, ``events[].kind``
and ``events[].cause`` are data of the policy tree, declared under ``vocabulary:`` in a
policy file: the common layer (``policies/common/vocabulary.yaml``) names each code with its
Chinese name, a one-line meaning and, where a declared document names it, its ``source``;
a region's layer may add codes its own document introduces (additions only).

This module holds the data structure (``Term``, ``Vocabulary``), reads a file's
``vocabulary:`` block (``read_terms``) and knows the vocabulary bundled with dibao. The
policy layer loads, merges and checks the layers' vocabularies
(``engine.policy.vocabulary_check``); the household validator takes one.

Which vocabulary a validation uses: the one passed to it, else the one put *in force* for
the current context with ``using(vocabulary)`` (a batch run puts its region's in force, so
every record read in the run, in any thread the run starts with ``contextvars``, is checked
against it), else the bundled one.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from engine.base.diagnostics import Span
from engine.base.resources import bundled_policies
from engine.base.yaml_source import LoadedYaml, load_yaml

#: The sections of a ``vocabulary:`` block that hold kinds; causes sit under their event kind.
SECTIONS = ("income_kinds", "expense_kinds", "event_kinds")
#: How messages name a code of each section.
WORDS = {"income_kinds": "income kind", "expense_kinds": "expense kind", "event_kinds": "event kind",
         "causes": "cause"}
COMMON = "common"
#: The file of the common layer that declares the vocabulary, relative to the policy tree.
COMMON_FILE = f"{COMMON}/vocabulary.yaml"


@dataclass(frozen=True)
class Term:
    """One code of the household record's vocabulary (an income, expense or event kind, or a cause).

    ``section`` is ``income_kinds``, ``expense_kinds``, ``event_kinds`` or ``causes``; a cause
    belongs to the event kind ``of``. ``span`` is where the code is written, ``layer`` the key of
    the layer that declares it. ``source_doc``/``source_clause`` cite the document that names it."""

    section: str
    code: str
    name: str
    meaning: str
    span: Span
    layer: str
    of: str | None = None
    of_span: Span | None = None
    source_doc: str | None = None
    source_clause: str | None = None
    source_span: Span | None = None
    note: str | None = None

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.section, self.code, self.of)

    def what(self) -> str:
        """How a message names it: ``income kind 'wages'``, ``cause 'illness' of shock events``."""
        if self.section == "causes":
            return f"cause {self.code!r} of {self.of} events"
        return f"{WORDS[self.section]} {self.code!r}"


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """The codes a household record may use, in order, with their terms.

    Compared by identity: derived tables (the validator's schema, the rules' enumeration types)
    are cached per vocabulary, and the library builds one per region."""

    terms: tuple[Term, ...]
    origin: str = ""  # the file(s) the common codes come from
    income_kinds: tuple[str, ...] = field(init=False)
    expense_kinds: tuple[str, ...] = field(init=False)
    event_kinds: tuple[str, ...] = field(init=False)
    event_causes: Mapping[str, tuple[str, ...]] = field(init=False)
    signature: tuple[object, ...] = field(init=False)  # the codes alone: the key of tables derived from them

    def __post_init__(self) -> None:
        for section in SECTIONS:
            object.__setattr__(self, section, tuple(t.code for t in self.terms if t.section == section))
        causes = {kind: tuple(t.code for t in self.terms if t.section == "causes" and t.of == kind)
                  for kind in self.event_kinds}
        object.__setattr__(self, "event_causes", MappingProxyType(causes))
        object.__setattr__(self, "signature", (self.income_kinds, self.expense_kinds, tuple(causes.items())))

    def codes(self, section: str) -> tuple[str, ...]:
        """The codes of ``income_kinds``, ``expense_kinds`` or ``event_kinds``."""
        return tuple(getattr(self, section))

    @property
    def all_causes(self) -> tuple[str, ...]:
        """Every cause of every event kind, each once, in order."""
        return tuple(dict.fromkeys(c for causes in self.event_causes.values() for c in causes))

    def term(self, section: str, code: str, of: str | None = None) -> Term | None:
        """The term declaring ``code`` (a cause: of the event kind ``of``), or None."""
        return next((t for t in self.terms if t.key == (section, code, of)), None)

    def name(self, section: str, code: str, of: str | None = None) -> str:
        """The Chinese name of a code ('' when the code is unknown)."""
        found = self.term(section, code, of)
        return found.name if found is not None else ""

    def added(self) -> tuple[Term, ...]:
        """The codes layers other than the common layer add."""
        return tuple(t for t in self.terms if t.layer != COMMON)


# --------------------------------------------------------------------------------------
# Reading a policy file's `vocabulary:` block (its structure is checked by the policy schema)

def read_terms(doc: LoadedYaml, layer: str) -> list[Term]:
    """The codes a loaded policy file declares under ``vocabulary:``, in the order written."""
    data = doc.data.get("vocabulary") if isinstance(doc.data, dict) else None
    if not isinstance(data, dict):
        return []
    terms: list[Term] = []
    for section in SECTIONS:
        for code, entry in _mapping(data.get(section)).items():
            path = ("vocabulary", section, code)
            terms.append(_term(doc, section, code, entry, path, layer))
            if section == "event_kinds" and isinstance(entry, dict):
                for cause, cause_entry in _mapping(entry.get("causes")).items():
                    terms.append(_term(doc, "causes", cause, cause_entry, (*path, "causes", cause), layer, code,
                                       doc.key_span(path)))
    return terms


def _mapping(value: object) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _term(doc: LoadedYaml, section: str, code: object, entry: object, path: tuple[Any, ...], layer: str,
          of: str | None = None, of_span: Span | None = None) -> Term:
    entry = _mapping(entry)
    source = entry.get("source")
    doc_name = clause = None
    source_span = None
    if isinstance(source, dict):
        doc_name, clause = str(source.get("doc", "")), str(source.get("clause", ""))
        source_span = doc.span((*path, "source"))
    return Term(section=section, code=str(code), name=str(entry.get("name") or "").strip(),
                meaning=str(entry.get("meaning") or "").strip(), span=doc.key_span(path), layer=layer, of=of,
                of_span=of_span, source_doc=doc_name, source_clause=clause, source_span=source_span,
                note=entry.get("note"))


# --------------------------------------------------------------------------------------
# The bundled vocabulary, and the one in force


@lru_cache(maxsize=1)
def bundled_vocabulary() -> Vocabulary:
    """The vocabulary of the policy tree bundled with dibao (its common layer's ``vocabulary.yaml``)."""
    path = bundled_policies() / COMMON_FILE
    loaded = load_yaml(path, name=COMMON_FILE)
    return Vocabulary(tuple(read_terms(loaded, COMMON)), COMMON_FILE)


_IN_FORCE: contextvars.ContextVar[Vocabulary | None] = contextvars.ContextVar("vocabulary", default=None)


def in_force() -> Vocabulary:
    """The vocabulary validations use when none is passed: the one ``using`` put in force, else the bundled one."""
    return _IN_FORCE.get() or bundled_vocabulary()


@contextmanager
def using(vocabulary: Vocabulary | None) -> Iterator[Vocabulary]:
    """Put ``vocabulary`` in force for the current context (None: leave the one in force)."""
    if vocabulary is None:
        yield in_force()
        return
    token = _IN_FORCE.set(vocabulary)
    try:
        yield vocabulary
    finally:
        _IN_FORCE.reset(token)
