"""libyaml reads for speed only: every text gives the same tree, positions and problems as PyYAML's parser.

The composer reads with libyaml when PyYAML has it and reads again with PyYAML's own parser when
libyaml reports a syntax error (the diagnostics are worded from PyYAML's errors). These tests hold
the two readings to the same result on every YAML file of the project and on texts chosen for the
corners where the two parsers are known to differ, so the faster reading can never accept what the
slower one refuses or read a value differently.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from engine.base.yaml_composer import HAS_LIBYAML, Composer, Stop
from engine.base.yaml_positions import AliasNode, MappingNode, ScalarNode, SequenceNode, YamlNode

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    path for folder in ("policies", "examples", "tests/corpus", "tests/yaml_source/fixtures")
    for path in (ROOT / folder).rglob("*") if path.suffix in {".yaml", ".yml"}
)
TRICKY = [
    "a: 1\nb: [1, 2,]\n",
    "a: {x: 1, y: 2,}\n",
    "? complex\n: key\n",
    "a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n  e: 2\n",
    "plain: multi\n  line\n  scalar\n",
    "a: 'it''s'\nb: \"\\u00e9\\x41\"\n",
    "a: |+\n  keep\n\nb: >-\n  fold\n  ed\n",
    "--- \na: 1\n...\n",
    "a: 1\r\nb: 2\r\n",
    "- a\n- - b\n  - c\n- {d: e}\n",
    "a: !!str 12\nb: !!int '7'\n",
    "a: !custom x\n",
    "a: b: c\n",
    "a:\n  - 1\n b: 2\n",
    "a: [1, 2\n",
    "a: \"unterminated\n",
    "a: @reserved\n",
    "key with spaces: value: with colon\n",
    "a: x #comment\nb: 'y'#notcomment\n",
    "a: \"X\\ud83d\\ude00\"\nb: \"\\ud83d\"\n",
    "a: 1\na: 2\n",
    "{a: 1} : b\n",
    "a: -\n",
    "- - - - deep\n",
    "a:\n\t- tab\n",
    "%YAML 1.1\n---\na: 1\n",
    "%TAG ! tag:example.com,2000:\n---\na: !x 1\n",
    "a: 1\n--- \nb: 2\n",
    "*undefined\n",
    "a: &anchor\nb: *anchor\n",
]


def shape(node: YamlNode | None) -> object:
    """Everything the loader keeps of a node: kind, offsets, values, styles, children."""
    if node is None:
        return None
    if isinstance(node, ScalarNode):
        return ("scalar", node.start, node.end, node.value, node.raw, node.style, node.token_start, node.token_end)
    if isinstance(node, SequenceNode):
        return ("sequence", node.start, node.end, node.flow, [shape(item) for item in node.items])
    if isinstance(node, MappingNode):
        return ("mapping", node.start, node.end, node.flow,
                [(key, shape(k), shape(v)) for key, (k, v) in node.entries.items()])
    if isinstance(node, AliasNode):
        return ("alias", node.start, node.end, node.name, node.target.start)  # the target is shaped where it stands
    raise AssertionError(f"unknown node {node!r}")


def reading(text: str, fast: bool) -> tuple[str, object, list[str]]:
    composer = Composer(text, "t.yaml", max_alias_expansions=100, max_depth=64, fast=fast)
    try:
        root = composer.compose()
    except Stop:
        return "stopped", None, [d.one_line() for d in composer.diagnostics]
    except yaml.YAMLError as error:
        return "refused", str(error), [d.one_line() for d in composer.diagnostics]
    return "read", shape(root), [d.one_line() for d in composer.diagnostics]


@pytest.mark.parametrize("text", TRICKY)
def test_a_tricky_text_reads_the_same_with_libyaml(text: str) -> None:
    assert reading(text, fast=True) == reading(text, fast=False)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_project_reads_the_same_with_libyaml(path: Path) -> None:
    text = path.read_bytes().decode("utf-8", errors="replace").removeprefix("\ufeff")
    assert reading(text, fast=True) == reading(text, fast=False)


def test_libyaml_is_used_where_pyyaml_has_it() -> None:
    """The speed is only there with PyYAML's C extension; the wheels for this platform carry it."""
    assert HAS_LIBYAML
    assert FILES, "no YAML files found"
