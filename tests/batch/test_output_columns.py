"""The canonical output columns: words written once per distinct value, read back as the interpreter renders
them, and patched row by row by the interpreter's answers."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pyarrow as pa

from engine.batch.columnar import Col, Vocab
from engine.batch.output_columns import WordColumn, arrow_column, canonical, constant_column, empty_column, store
from engine.language import types as t
from engine.runtime.outputs import render


def test_rates_with_several_denominators_read_as_the_interpreter_renders_them() -> None:
    numerators = np.array([1, 3, 1, 2, 7, 0, 1], dtype=np.int64)
    denominators = np.array([2, 4, 2, 3, 8, 5, 2], dtype=np.int64)
    column, bad = canonical(Col("rat", numerators, denominators), t.RATE, len(numerators))
    expected = [str(render(Fraction(int(n), int(d)), t.RATE)) for n, d in zip(numerators, denominators, strict=True)]
    assert arrow_column(column, t.RATE).to_pylist() == expected
    assert not bad.any()
    assert len(column.words) == len(set(expected))  # each distinct value written once


def test_a_bad_rate_row_reads_zero_until_the_interpreter_answers_it() -> None:
    column, bad = canonical(Col("rat", np.array([1, 9, 1]), np.asarray(4), np.array([False, True, False])), t.RATE, 3)
    assert bad.tolist() == [False, True, False]
    zero = str(render(Fraction(0), t.RATE))
    assert arrow_column(column, t.RATE).to_pylist() == ["0.25", zero, "0.25"]
    store(column, 1, Decimal("0.125"), t.RATE)
    assert arrow_column(column, t.RATE).to_pylist() == ["0.25", "0.125", "0.25"]


def test_an_enumeration_keeps_its_codes_and_takes_new_words_from_the_interpreter() -> None:
    vocab = Vocab(("none", "county", "township"))
    level = t.Enum("level", frozenset({"county", "township"}))
    column, _ = canonical(Col("cat", np.array([2, 0, 1, 2], dtype=np.int16), vocab), level, 4)
    assert isinstance(column, WordColumn)
    store(column, 1, "township", t.TEXT)
    store(column, 3, "village", t.TEXT)
    assert arrow_column(column, t.TEXT).to_pylist() == ["township", "township", "county", "village"]


def test_plain_text_and_missing_rows() -> None:
    column, _ = canonical(Col("obj", np.array(["a", "b", "a"], dtype=object)), t.TEXT, 3)
    assert arrow_column(column, t.TEXT, np.array([False, False, True])).to_pylist() == ["a", "b", None]
    assert arrow_column(empty_column(t.TEXT, 2), t.TEXT).to_pylist() == [None, None]
    constant, bad = constant_column("x", t.TEXT, 3)
    assert arrow_column(constant, t.TEXT).type == pa.string()
    assert arrow_column(constant, t.TEXT).to_pylist() == ["x", "x", "x"] and not bad.any()
    assert arrow_column(canonical(Col("obj", np.asarray("y", dtype=object)), t.TEXT, 0)[0], t.TEXT).to_pylist() == []
