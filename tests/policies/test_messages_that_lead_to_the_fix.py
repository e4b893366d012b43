"""Mistakes an officer makes editing a policy file get one message, at the right line, that says
what to do: indentation (a dedented ``source:``, an over-indented ``value:``), a second value on
the same day; and a file that does not load brings no follow-on errors from other files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIBAO = [sys.executable, "-m", "engine.cli"]


def check(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIBAO, "check", "policies"], capture_output=True, text=True, cwd=tree.parent, check=False)


def copy_with(tmp_path: Path, file: str, old: str, new: str) -> tuple[Path, int]:
    """A copy of the policy tree with one edit; the 1-based line the edit starts on."""
    tree = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", tree)
    path = tree / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return tree, text[: text.index(old)].count("\n") + 1


def errors(done: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in done.stderr.splitlines() if "error[" in line]


HEBI_2019 = "        to: 2019-12-31\n        value: 3860 yuan/year\n        source: {doc: henan-rural-floor-news"


@pytest.mark.parametrize(("new", "offset", "column", "words"), [
    ("        to: 2019-12-31\n        value: 3860 yuan/year\n      source: {doc: henan-rural-floor-news", 2, 7,
     "`source:` is at column 7, the column of the `- ` that starts the item at line 92, whose keys are at column 9"),
    ("        to: 2019-12-31\n        value: 3860 yuan/year\n    source: {doc: henan-rural-floor-news", 2, 5,
     "`source:` is at column 5, less than `value:` on line 94 (column 9), so YAML reads it as a key of "
     "`dibao.standard_annual`"),
    ("        to: 2019-12-31\n          value: 3860 yuan/year\n        source: {doc: henan-rural-floor-news", 1, 11,
     "`value:` is indented more than `to:` on line 93 (column 11, not 9), so YAML reads it as more of the value of "
     "`to:`"),
], ids=["source under the dash", "source out to the parameter", "value under to"])
def test_an_indentation_mistake_is_one_message_at_its_line(tmp_path: Path, new: str, offset: int, column: int,
                                                           words: str) -> None:
    tree, line = copy_with(tmp_path, "hebi/policy.yaml", HEBI_2019, new)
    done = check(tree)
    assert done.returncode == 2
    (message,) = errors(done)
    assert message.startswith(f"policies/hebi/policy.yaml:{line + offset}:{column}: error[E-YAML]: indentation: ")
    assert words in message
    assert "Indent" in message or "indent it to column 9" in message
    assert done.stderr.splitlines()[-1] == ("policy tree policies: 6 layers, 5 regions checked, 1 not checked (hebi: "
                                            "policies/hebi/policy.yaml did not load): 1 problem")


def test_a_file_that_does_not_load_brings_no_errors_from_the_files_that_use_it(tmp_path: Path) -> None:
    old = "        value: 12\n        source: {doc: inner-mongolia-2021, clause: 二(二), rule: M5,"
    dedented = old.replace("        source", "      source")
    tree, line = copy_with(tmp_path, "inner_mongolia/parameters.yaml", old, dedented)
    done = check(tree)
    (message,) = errors(done)
    assert message.startswith(f"policies/inner_mongolia/parameters.yaml:{line + 1}:7: error[E-YAML]: indentation:")
    assert "rules.yaml" not in done.stderr and "common/policy.yaml" not in done.stderr
    assert "4 regions checked, 2 not checked (inner_mongolia, inner_mongolia/hinggan: " in done.stderr
    evaluate = subprocess.run([*DIBAO, "evaluate", "--policies", str(tree), "--region", "inner_mongolia/hinggan",
                               "--date", "2022-01-01", str(ROOT / "examples/households/contract_example.json")],
                              capture_output=True, text=True, cwd=tmp_path, check=False)
    assert evaluate.returncode == 2 and "indentation:" in evaluate.stderr and "Traceback" not in evaluate.stderr


def test_a_second_value_on_the_same_day_says_to_replace_the_first(tmp_path: Path) -> None:
    old = "      - from: 2019-01-01\n        to: 2019-12-31\n        value: 3860 yuan/year\n"
    new = old + "        source: {doc: henan-rural-floor-news, clause: x}\n" + old
    tree, line = copy_with(tmp_path, "hebi/policy.yaml", old, new)
    done = check(tree)
    (message,) = errors(done)
    assert message == (f"policies/hebi/policy.yaml:{line + 4}:9: error[E-OVERLAP]: dibao.standard_annual: a second "
                       f"value from 2019-01-01 (the value at line {line} starts the same day); two values cannot start "
                       f"together: replace the one at line {line} with this one, or remove this one")
    assert "the day before" not in done.stderr


def test_a_key_between_two_levels_says_which_column_keeps_it_in_its_mapping(tmp_path: Path) -> None:
    old = "    type: money/year\n    label: 农村低保标准\n"
    tree, line = copy_with(tmp_path, "hebi/policy.yaml", old, "    type: money/year\n   label: 农村低保标准\n")
    (message,) = errors(check(tree))
    assert message.startswith(f"policies/hebi/policy.yaml:{line + 1}:4: error[E-YAML]: indentation: `label:` is at "
                              "column 4, less than the keys of `dibao.standard_annual` (column 5, like `type:` on line "
                              f"{line}) and more than the keys at column 3")
    assert message.endswith("To keep it in `dibao.standard_annual`, indent it to column 5")
