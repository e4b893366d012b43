"""The household docs' tables of kinds are generated from the vocabulary, and current."""

from __future__ import annotations

import dataclasses

from engine.household.vocabulary import Vocabulary, bundled_vocabulary
from engine.tools.vocabulary_table import DOCUMENT, main, updated


def test_the_tables_of_kinds_in_the_household_docs_are_current() -> None:
    assert main(["--check"]) == 0, "run python -m engine.tools.vocabulary_table"


def test_the_tables_follow_the_vocabulary() -> None:
    vocabulary = bundled_vocabulary()
    text = DOCUMENT.read_text(encoding="utf-8")
    for term in vocabulary.terms:
        assert f"`{term.code}`" in text and term.name in text
    renamed = Vocabulary(tuple(dataclasses.replace(t, name="劳动报酬") if t.code == "wages" else t
                               for t in vocabulary.terms))
    changed = updated(text, renamed)
    assert "| `wages` | 劳动报酬 |" in changed and changed != text  # a change to the data is a change to the docs
