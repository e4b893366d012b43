"""Tests for engine.base.yaml_source: safe YAML loading with a position for every node."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.base.diagnostics import DiagnosticError, Span, render_with_caret
from engine.base.yaml_source import LoadedYaml, ScalarSource, load_yaml, load_yaml_text

FIXTURES = Path(__file__).parent / "fixtures"


def load(text: str | bytes, **limits: int) -> LoadedYaml:
    return load_yaml_text(text, "t.yaml", **limits)


def errors(text: str | bytes, **limits: int) -> list[str]:
    with pytest.raises(DiagnosticError) as info:
        load_yaml_text(text, "t.yaml", **limits)
    diagnostics = info.value.diagnostics
    assert diagnostics
    assert all(d.code == "E-YAML" for d in diagnostics)
    assert all(d.span is not None for d in diagnostics)
    return [d.one_line() for d in diagnostics]


def fixture_lines() -> list[str]:
    return (FIXTURES / "nested.yaml").read_text(encoding="utf-8").splitlines()


def at(span: Span) -> tuple[int, int]:
    return span.line, span.column


# --------------------------------------------------------------------------- node positions


@pytest.fixture(scope="module")
def nested() -> LoadedYaml:
    return load_yaml(FIXTURES / "nested.yaml")


def test_nested_key_and_value_positions(nested: LoadedYaml) -> None:
    assert nested.file == str(FIXTURES / "nested.yaml")
    assert at(nested.span(("name",))) == (2, 7)
    assert at(nested.key_span(("name",))) == (2, 1)
    assert at(nested.key_span(("params", "dibao", "standard_annual"))) == (6, 5)
    value = nested.span(("params", "dibao", "standard_annual"))
    assert (value.line, value.column, value.end_line, value.end_column) == (6, 22, 6, 29)
    assert at(nested.span(("params", "dibao"))) == (6, 5)
    assert at(nested.key_span(("params", "dibao"))) == (5, 3)
    assert at(nested.span(("rules",))) == (10, 3)
    assert at(nested.span(("rules", 1))) == (13, 5)
    assert at(nested.span(("rules", 1, "when"))) == (14, 11)
    assert at(nested.key_span(("rules", 1, "when"))) == (14, 5)


def test_span_end_of_nodes(nested: LoadedYaml) -> None:
    quoted = nested.span(("rules", 0, "amount"))
    assert (quoted.line, quoted.column, quoted.end_line, quoted.end_column) == (12, 13, 12, 31)
    block = nested.span(("rules", 2, "when"))
    assert (block.line, block.column) == (16, 11)
    assert (block.end_line, block.end_column) == (19, 16)  # trailing line break not included
    mapping = nested.span(("params",))
    assert (mapping.line, mapping.column, mapping.end_line) == (5, 3, 8)


def test_missing_path_gives_nearest_ancestor(nested: LoadedYaml) -> None:
    assert nested.span(("params", "dibao", "nope")) == nested.span(("params", "dibao"))
    assert nested.span(("rules", 99, "when")) == nested.span(("rules",))
    assert nested.span(("rules", "when")) == nested.span(("rules",))
    assert nested.span(("nope",)) == nested.span(())
    assert nested.key_span(("params", "nope")) == nested.span(("params",))
    assert nested.has_path(("rules", 4, "when"))
    assert not nested.has_path(("rules", 5))
    assert nested.scalar_source(("rules", 99)) is None


def test_key_span_of_sequence_item_is_the_item(nested: LoadedYaml) -> None:
    assert nested.key_span(("rules", 0)) == nested.span(("rules", 0))


def test_scalar_source_only_for_strings(nested: LoadedYaml) -> None:
    assert nested.scalar_source(("version",)) is None
    assert nested.scalar_source(("params",)) is None
    assert nested.scalar_source(("params", "dibao", "standard_annual")) is None
    assert isinstance(nested.scalar_source(("params", "dibao", "start")), ScalarSource)
    key = nested.key_source(("params", "dibao", "start"))
    assert key is not None
    assert at(key.span_at(2)) == (7, 7)


def test_render_with_caret_uses_text(nested: LoadedYaml) -> None:
    from engine.base.diagnostics import Diagnostic

    diagnostic = Diagnostic("E-TEST", "bad value", nested.span(("params", "dibao", "enabled")))
    rendered = render_with_caret(diagnostic, nested.text)
    assert "enabled: yes" in rendered
    assert rendered.splitlines()[-1].endswith("^^^")


# --------------------------------------------------------------------------- scalar values


def test_scalar_typing(nested: LoadedYaml) -> None:
    data = nested.data
    assert isinstance(data, dict)
    assert data["version"] == 3 and type(data["version"]) is int
    dibao = data["params"]["dibao"]
    assert dibao["standard_annual"] == Decimal("9600.50")
    assert str(dibao["standard_annual"]) == "9600.50"
    assert dibao["start"] == "2017-01-01"
    assert dibao["enabled"] == "yes"
    assert list(data) == ["name", "version", "params", "rules"]


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("0.1", Decimal("0.1")),
        ("-2.50", Decimal("-2.50")),
        ("1e3", Decimal("1e3")),
        (".5", Decimal("0.5")),
        ("12", 12),
        ("-7", -7),
        ("+3", 3),
        ("0", 0),
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("null", None),
        ("Null", None),
        ("~", None),
        ("", None),
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("Yes", "Yes"),
        ("y", "y"),
        ("2017-01-01", "2017-01-01"),
        ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
        ("12:30", "12:30"),
        (".inf", ".inf"),
        ("-.inf", "-.inf"),
        (".nan", ".nan"),
        ("0o12", "0o12"),
        ("0x1A", "0x1A"),
        ("1_000", "1_000"),
        ("007", "007"),
        ("1.2.3", "1.2.3"),
        ("'12'", "12"),
        ('"true"', "true"),
        ("'null'", "null"),
        ("!!str 12", "12"),
    ],
)
def test_scalar_resolution(literal: str, expected: object) -> None:
    value = load(f"v: {literal}\n").data["v"]  # type: ignore[index]
    assert value == expected
    assert type(value) is type(expected)


def test_decimal_keeps_exact_digits() -> None:
    data = load("a: 0.1\nb: 0.30000000000000004\nc: 1.10\n").data
    assert data == {"a": Decimal("0.1"), "b": Decimal("0.30000000000000004"), "c": Decimal("1.10")}
    assert str(data["c"]) == "1.10"
    assert not any(isinstance(v, float) for v in data.values())


def test_quoted_and_block_scalars_are_strings() -> None:
    data = load("a: |\n  12\nb: >-\n  true\nc: '0.1'\n").data
    assert data == {"a": "12\n", "b": "true", "c": "0.1"}


def test_empty_file_and_comment_only() -> None:
    assert load("").data is None
    assert load(b"").data is None
    assert load("# just a comment\n").data is None
    assert load("---\n").data is None
    assert load("   \n\n").data is None
    assert load("").span(()) == Span("t.yaml", 1, 1)


def test_schema_comment_is_just_a_comment() -> None:
    text = "# yaml-language-server: $schema=https://example.org/rules.json\nname: x\n"
    loaded = load(text)
    assert loaded.data == {"name": "x"}
    assert at(loaded.span(("name",))) == (2, 7)


def test_explicit_document_markers_are_fine() -> None:
    assert load("---\na: 1\n...\n").data == {"a": 1}


# --------------------------------------------------------------------------- ScalarSource.span_at


def word_span(loaded: LoadedYaml, path: tuple[str | int, ...], word: str) -> Span:
    source = loaded.scalar_source(path)
    assert source is not None
    value = loaded.data
    for element in path:
        value = value[element]  # type: ignore[index]
    assert isinstance(value, str)
    offset = value.index(word)
    return source.span_at(offset, offset + len(word))


def assert_word_at(loaded: LoadedYaml, path: tuple[str | int, ...], word: str, line: int, column: int) -> None:
    span = word_span(loaded, path, word)
    assert (span.line, span.column) == (line, column)
    assert (span.end_line, span.end_column) == (line, column + len(word))
    assert fixture_lines()[line - 1][column - 1: column - 1 + len(word)] == word


def test_span_at_plain(nested: LoadedYaml) -> None:
    assert_word_at(nested, ("rules", 0, "when"), "household", 11, 11)
    assert_word_at(nested, ("rules", 0, "when"), "size", 11, 21)
    assert_word_at(nested, ("rules", 0, "when"), "0", 11, 28)


def test_span_at_single_quoted(nested: LoadedYaml) -> None:
    assert_word_at(nested, ("rules", 0, "amount"), "min", 12, 14)
    assert_word_at(nested, ("rules", 0, "amount"), "income", 12, 18)
    assert_word_at(nested, ("rules", 0, "amount"), "100", 12, 26)


def test_span_at_single_quoted_with_doubled_quote() -> None:
    loaded = load("k: 'it''s a test'\n")
    assert loaded.data == {"k": "it's a test"}
    source = loaded.scalar_source(("k",))
    assert source is not None
    assert at(source.span_at(0)) == (1, 5)
    assert at(source.span_at(3)) == (1, 9)  # 's' after the doubled quote
    assert at(source.span_at(5)) == (1, 11)  # 'a'


def test_span_at_double_quoted_with_escapes(nested: LoadedYaml) -> None:
    value = nested.data["rules"][1]["when"]  # type: ignore[index]
    assert value == 'income \u2265 "low" and\tflag'
    assert_word_at(nested, ("rules", 1, "when"), "income", 14, 12)
    assert_word_at(nested, ("rules", 1, "when"), "low", 14, 28)
    assert_word_at(nested, ("rules", 1, "when"), "and", 14, 34)
    assert_word_at(nested, ("rules", 1, "when"), "flag", 14, 39)
    source = nested.scalar_source(("rules", 1, "when"))
    assert source is not None
    escape = source.span_at(value.index("\u2265"))
    assert (escape.line, escape.column, escape.end_column) == (14, 19, 25)  # the whole \u2265
    quote = source.span_at(value.index('"'))
    assert (quote.column, quote.end_column) == (26, 28)  # the whole \"


def test_span_at_double_quoted_escaped_line_break() -> None:
    loaded = load('k: "alpha \\\n   beta"\n')
    assert loaded.data == {"k": "alpha beta"}
    source = loaded.scalar_source(("k",))
    assert source is not None
    assert at(source.span_at(6)) == (2, 4)


def test_span_at_literal_block(nested: LoadedYaml) -> None:
    assert nested.data["rules"][2]["when"] == (  # type: ignore[index]
        "first_line\n  indented and_more\nlast_line\n"
    )
    assert_word_at(nested, ("rules", 2, "when"), "first_line", 17, 7)
    assert_word_at(nested, ("rules", 2, "when"), "indented", 18, 9)
    assert_word_at(nested, ("rules", 2, "when"), "and_more", 18, 18)
    assert_word_at(nested, ("rules", 2, "when"), "last_line", 19, 7)


def test_span_at_folded_block(nested: LoadedYaml) -> None:
    assert nested.data["rules"][3]["when"] == "alpha beta gamma delta epsilon zeta\n"  # type: ignore[index]
    assert_word_at(nested, ("rules", 3, "when"), "alpha", 22, 7)
    assert_word_at(nested, ("rules", 3, "when"), "delta", 23, 13)
    assert_word_at(nested, ("rules", 3, "when"), "epsilon", 24, 7)
    assert_word_at(nested, ("rules", 3, "when"), "zeta", 24, 15)


def test_span_at_multi_line_plain(nested: LoadedYaml) -> None:
    assert nested.data["rules"][4]["when"] == "one two three four five six"  # type: ignore[index]
    assert_word_at(nested, ("rules", 4, "when"), "one", 26, 11)
    assert_word_at(nested, ("rules", 4, "when"), "three", 27, 7)
    assert_word_at(nested, ("rules", 4, "when"), "six", 28, 12)


def test_span_at_range_over_lines(nested: LoadedYaml) -> None:
    source = nested.scalar_source(("rules", 3, "when"))
    assert source is not None
    value = nested.data["rules"][3]["when"]  # type: ignore[index]
    start = value.index("beta")
    end = value.index("gamma") + len("gamma")
    span = source.span_at(start, end)
    assert (span.line, span.column, span.end_line, span.end_column) == (22, 13, 23, 12)


def test_span_at_clamps_and_end_of_value() -> None:
    loaded = load("k: abc\n")
    source = loaded.scalar_source(("k",))
    assert source is not None
    assert at(source.span_at(-5)) == (1, 4)
    assert at(source.span_at(3)) == (1, 7)
    assert at(source.span_at(100)) == (1, 7)
    empty = load("k: ''\n").scalar_source(("k",))
    assert empty is not None
    assert at(empty.span_at(0)) == (1, 5)


def test_span_at_with_anchor_and_tag_in_front() -> None:
    loaded = load("a: &name !!str foo bar\nb: *name\n")
    assert loaded.data == {"a": "foo bar", "b": "foo bar"}
    assert at(loaded.span(("a",))) == (1, 16)
    source = loaded.scalar_source(("a",))
    assert source is not None
    assert at(source.span_at(4)) == (1, 20)
    # through the alias the characters are where the anchored text is
    via_alias = loaded.scalar_source(("b",))
    assert via_alias is source
    assert at(loaded.span(("b",))) == (2, 4)


def test_span_at_in_flow_collections() -> None:
    loaded = load('rules: [{when: "a > b"}, {when: c and d}]\n')
    source = loaded.scalar_source(("rules", 1, "when"))
    assert source is not None
    assert at(source.span_at(6)) == (1, 39)


def test_positions_with_crlf_line_endings() -> None:
    loaded = load("a: 1\r\nb:\r\n  c: >\r\n    x y\r\n    z w\r\n")
    assert loaded.data == {"a": 1, "b": {"c": "x y z w\n"}}
    assert at(loaded.span(("b", "c"))) == (3, 6)
    source = loaded.scalar_source(("b", "c"))
    assert source is not None
    assert at(source.span_at(6)) == (5, 7)


def test_positions_count_characters_not_bytes() -> None:
    loaded = load("名前: 低保 标准\nx: 1\n")
    assert at(loaded.span(("名前",))) == (1, 5)
    source = loaded.scalar_source(("名前",))
    assert source is not None
    assert at(source.span_at(3)) == (1, 8)
    assert at(loaded.span(("x",))) == (2, 4)


# --------------------------------------------------------------------------- mapping keys


def test_duplicate_keys_reported_at_second_key() -> None:
    with pytest.raises(DiagnosticError) as info:
        load_yaml(FIXTURES / "duplicate_keys.yaml")
    [diagnostic] = info.value.diagnostics
    assert diagnostic.message == "duplicate key 'params.dibao.standard_annual' (first defined at line 3)"
    assert diagnostic.span is not None
    assert at(diagnostic.span) == (5, 5)


def test_duplicate_keys_in_flow_mapping_and_list_paths() -> None:
    [line] = errors("rules:\n  - {a: 1, a: 2}\n")
    assert "t.yaml:2:12" in line and "duplicate key 'rules[0].a'" in line


def test_every_problem_is_reported_in_one_pass() -> None:
    lines = errors("a: 1\na: 2\nb: 1\nb: 2\n1: x\n")
    assert len(lines) == 3


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("1: a\n", "t.yaml:1:1"),
        ("null: a\n", "t.yaml:1:1"),
        ("true: a\n", "t.yaml:1:1"),
        ("a: 1\n0.5: b\n", "t.yaml:2:1"),
        ("? [a, b]\n: c\n", "t.yaml:1:3"),
        ("? {a: b}\n: c\n", "t.yaml:1:3"),
        ("?\n: no key\n", "t.yaml:1:2"),
    ],
)
def test_keys_must_be_text(text: str, where: str) -> None:
    [line] = errors(text)
    assert line.startswith(where) and "mapping keys must be text" in line


def test_quoted_number_key_is_text() -> None:
    assert load("'1': a\n\"2\": b\n").data == {"1": "a", "2": "b"}


def test_merge_keys_are_not_supported() -> None:
    [line] = errors("base: &b {x: 1}\nthing:\n  <<: *b\n  y: 2\n")
    assert line.startswith("t.yaml:3:3") and "merge keys" in line


def test_tags_are_rejected() -> None:
    [line] = errors("a: !!python/object/apply:os.system ['echo hi']\n")
    assert "tags are not supported" in line
    [line] = errors("a: !!float 1\n")
    assert "!!float" in line
    [line] = errors("a: !!set {x}\n")
    assert "!!set" in line
    assert load("a: ! 12\n").data == {"a": "12"}


# --------------------------------------------------------------------------- anchors and aliases


def test_aliases_are_expanded_as_copies() -> None:
    loaded = load("base: &b {x: 1, y: [1, 2]}\nother: *b\n")
    data = loaded.data
    assert data == {"base": {"x": 1, "y": [1, 2]}, "other": {"x": 1, "y": [1, 2]}}
    assert data["base"] is not data["other"]
    # paths through an alias lead into the anchored text
    assert at(loaded.span(("other", "y", 1))) == (1, 24)
    assert at(loaded.span(("other",))) == (2, 8)


def test_billion_laughs_is_rejected_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(DiagnosticError) as info:
        load_yaml(FIXTURES / "billion_laughs.yaml")
    assert time.perf_counter() - start < 1.0
    [diagnostic] = info.value.diagnostics
    assert diagnostic.message == "too many alias expansions (limit 1000): possible alias bomb"
    assert diagnostic.span is not None
    line = (FIXTURES / "billion_laughs.yaml").read_text().splitlines()[diagnostic.span.line - 1]
    assert line[diagnostic.span.column - 1] == "*"


def test_alias_limit_is_configurable() -> None:
    text = "a: &a [1]\nb: [*a, *a, *a]\n"
    assert load(text, max_alias_expansions=3).data == {"a": [1], "b": [[1], [1], [1]]}
    [line] = errors(text, max_alias_expansions=2)
    assert line.startswith("t.yaml:2:13") and "limit 2" in line


def test_wide_alias_copies_are_bounded() -> None:
    big = "[" + ", ".join("1" for _ in range(2000)) + "]"
    text = f"a: &a {big}\nb: [" + ", ".join("*a" for _ in range(100)) + "]\n"
    start = time.perf_counter()
    [line] = errors(text)
    assert "possible alias bomb" in line
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [*a]\n",
        "a: &a {b: *a}\n",
        "a: &a\n  - x\n  - *a\n",
        "&a [1, [2, *a]]\n",
    ],
)
def test_recursive_alias_is_an_error(text: str) -> None:
    start = time.perf_counter()
    [line] = errors(text)
    assert "recursive alias" in line
    assert time.perf_counter() - start < 1.0


def test_undefined_alias() -> None:
    [line] = errors("a: *nothing\n")
    assert line.startswith("t.yaml:1:4") and "'*nothing'" in line


def test_alias_expansion_counts_toward_depth() -> None:
    deep = "&d " + "[" * 40 + "]" * 40
    text = f"a: {deep}\nb: " + "[" * 30 + "*d" + "]" * 30 + "\n"
    [line] = errors(text)
    assert "nesting is too deep" in line and line.startswith("t.yaml:2:")


# --------------------------------------------------------------------------- input checks


def test_tab_indentation_is_an_error() -> None:
    with pytest.raises(DiagnosticError) as info:
        load_yaml(FIXTURES / "tab_indent.yaml")
    [diagnostic] = info.value.diagnostics
    assert diagnostic.message == "a tab is used for indentation at line 4; YAML needs spaces"
    assert diagnostic.span is not None
    assert at(diagnostic.span) == (4, 1)


def test_tab_after_spaces_in_indentation() -> None:
    [line] = errors("a:\n  \tb: 1\n")
    assert line.startswith("t.yaml:2:3")


def test_tabs_inside_quotes_and_comments_are_fine() -> None:
    assert load('a: "x\ty"  # a\tcomment\nb: \'p\tq\'\n').data == {"a": "x\ty", "b": "p\tq"}


def test_not_utf8_names_line_and_column() -> None:
    with pytest.raises(DiagnosticError) as info:
        load_yaml(FIXTURES / "latin1.yaml")
    [diagnostic] = info.value.diagnostics
    assert diagnostic.message == "not UTF-8: byte 0xe9 at line 3 column 7"
    assert diagnostic.span is not None and at(diagnostic.span) == (3, 7)
    [line] = errors(b"a: 1\nb: 2\n  x: \xff\n")
    assert "not UTF-8: byte 0xff at line 3 column 6" in line


def test_utf8_bom_is_accepted() -> None:
    loaded = load_yaml(FIXTURES / "bom.yaml")
    assert loaded.data == {"name": "bom"}
    assert at(loaded.span(("name",))) == (1, 7)
    assert not loaded.text.startswith("\ufeff")
    assert load("\ufeffname: bom\n").data == {"name": "bom"}


def test_control_characters_are_reported() -> None:
    [line] = errors("a: 1\nb: x\x07y\n")
    assert line.startswith("t.yaml:2:5") and "U+0007" in line


def test_deep_nesting_is_an_error() -> None:
    ok = "[" * 64 + "]" * 64
    assert load(ok).data is not None
    [line] = errors("[" * 65 + "]" * 65)
    assert line.startswith("t.yaml:1:65") and "more than 64 levels" in line
    block = "".join("  " * i + f"k{i}:\n" for i in range(70)) + "  " * 70 + "v\n"
    [line] = errors(block)
    assert line.startswith("t.yaml:65:")
    [line] = errors("[" * 10 + "]" * 10, max_depth=5)
    assert "more than 5 levels" in line


def test_very_deep_nesting_finishes_quickly() -> None:
    start = time.perf_counter()
    errors("[" * 200_000)
    errors("- " * 5_000 + "x\n")
    assert time.perf_counter() - start < 5.0


def test_size_limit() -> None:
    [line] = errors("a: " + "x" * 200 + "\n", max_bytes=100)
    assert "too large" in line
    [line] = errors(b"a: " + b"x" * 200 + b"\n", max_bytes=100)
    assert "too large" in line
    [line] = errors("a: " + "\u00e9" * 60 + "\n", max_bytes=100)
    assert "too large" in line


def test_load_yaml_size_limit_and_missing_file(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 500 + "\n", encoding="utf-8")
    with pytest.raises(DiagnosticError, match="too large"):
        load_yaml(big, max_bytes=100)
    with pytest.raises(DiagnosticError) as info:
        load_yaml(tmp_path / "missing.yaml")
    assert info.value.diagnostics[0].code == "E-YAML"
    assert "cannot read" in info.value.diagnostics[0].message


def test_multiple_documents_are_an_error() -> None:
    with pytest.raises(DiagnosticError) as info:
        load_yaml(FIXTURES / "two_documents.yaml")
    [diagnostic] = info.value.diagnostics
    assert diagnostic.message == "one YAML document per file"
    assert diagnostic.span is not None and at(diagnostic.span) == (2, 1)
    [line] = errors("a: 1\n---\n")
    assert "one YAML document per file" in line


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("a: b: c\n", "t.yaml:1:5", "mapping values are not allowed here"),
        ("a: [1, 2\nb: 3\n", "t.yaml:", "could not parse YAML"),
        ("a: 'unterminated\n", "t.yaml:2:1", "could not parse YAML"),
        ("a:\n  - 1\n b: 2\n", "t.yaml:3:2", "indentation: `b:` is at column 2, more than `a:` on line 1"),
        ("@foo: 1\n", "t.yaml:1:1", "cannot start any token"),
    ],
)
def test_syntax_errors_are_located(text: str, where: str, problem: str) -> None:
    [line] = errors(text)
    assert line.startswith(where), line
    assert problem in line, line


# --------------------------------------------------------------------------- fuzzing

YAMLISH = st.lists(
    st.sampled_from([*"ab1.0-:?[]{},&*!|>'\"#%@`\\ \n\t~<=\ufeff\u00e9\r", "  ", "- ", ": ", "&a ", "*a"]),
    max_size=120,
).map("".join)


def fuzz_load(source: str | bytes) -> None:
    start = time.perf_counter()
    try:
        loaded = load(source)
    except DiagnosticError as exc:
        assert exc.diagnostics
        for diagnostic in exc.diagnostics:
            assert diagnostic.code == "E-YAML"
            assert diagnostic.span is not None and diagnostic.span.line >= 1 and diagnostic.span.column >= 1
    else:
        exercise(loaded, loaded.data, ())
    assert time.perf_counter() - start < 2.0


def exercise(loaded: LoadedYaml, value: object, path: tuple[str | int, ...]) -> None:
    """Every path in the data has a span; every string has a usable ScalarSource."""
    span = loaded.span(path)
    assert span.line >= 1 and span.column >= 1
    loaded.key_span(path)
    if isinstance(value, str):
        source = loaded.scalar_source(path)
        assert source is not None
        for offset in range(len(value) + 1):
            assert source.span_at(offset).line >= 1
    elif isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            exercise(loaded, item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            exercise(loaded, item, (*path, index))
    else:
        assert value is None or isinstance(value, (bool, int, Decimal))


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.text(max_size=300))
def test_fuzz_arbitrary_text(text: str) -> None:
    fuzz_load(text)


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_arbitrary_bytes(data: bytes) -> None:
    fuzz_load(data)


@FUZZ
@given(YAMLISH)
def test_fuzz_yaml_like_text(text: str) -> None:
    fuzz_load(text)


@FUZZ
@given(YAMLISH)
def test_fuzz_yaml_like_bytes(text: str) -> None:
    fuzz_load(text.encode("utf-8"))


WORDS = st.text(alphabet=st.sampled_from(list("abcxyz()<>=+*/_\"'\\\u00e9\u4e2d")), min_size=1, max_size=12)
VALUES = st.lists(WORDS, min_size=1, max_size=12).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(VALUES, st.sampled_from([None, "'", '"', "|", ">"]), st.integers(min_value=10, max_value=40))
def test_span_at_points_at_the_character(value: str, style: str | None, width: int) -> None:
    """Dump a string in each style (folded at various widths), load it back, and check that
    every non-space character maps to a place in the file holding that character (or the
    backslash of its escape)."""
    text = yaml.safe_dump({"rules": [{"when": value}]}, default_style=style, width=width, allow_unicode=True)
    loaded = load(text)
    if loaded.data != {"rules": [{"when": value}]}:  # the dumper may pick another style; skip
        return
    source = loaded.scalar_source(("rules", 0, "when"))
    assert source is not None
    lines = text.splitlines()
    previous = (0, 0)
    for offset, char in enumerate(value):
        if char == " ":
            continue
        span = source.span_at(offset)
        found = lines[span.line - 1][span.column - 1]
        assert found == char or (found in "\\'" and char in "\"\\'"), (offset, char, span, text)
        assert (span.line, span.column) > previous
        previous = (span.line, span.column)


SAFE_TEXT = st.text(alphabet=st.sampled_from(list("abc xyz_-()<>'\"\\\u00e9\n")), max_size=20)
DATA = st.recursive(
    st.one_of(SAFE_TEXT, st.integers(min_value=-(10**20), max_value=10**20), st.booleans(), st.none()),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(alphabet="abcdefgh_", min_size=1, max_size=6), children, max_size=4),
    ),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(DATA, st.sampled_from([None, True, False]), st.integers(min_value=20, max_value=80))
def test_dumped_documents_round_trip_with_positions(data: object, flow: bool | None, width: int) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, width=width, allow_unicode=True)
    loaded = load(text)
    assert loaded.data == data
    exercise(loaded, loaded.data, ())
