"""Files and paths: the policy tree is read safely, and a revision is never an option to git.

Links out of the tree, links to nothing and special files named ``*.yaml`` are located
errors (a FIFO used to hang ``dibao check``); ``--policies /`` is refused; an empty folder
is an error; a ``seed:`` stays inside ``sources/``; ``diff --rev=--output=FILE`` no longer
truncates FILE.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from policy_trees import BASE, REGION_FILE, tree_with
from test_evaluation_budget import cli

from engine.policy.clauses import read_seed
from engine.policy.policy_files import load_tree
from engine.runtime.policy_check import check_tree

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, so that a hang fails the test instead of stopping the suite."""
    done = subprocess.run([sys.executable, "-m", "engine.cli", *argv], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-2000:]
    return done


def problems(root: Path) -> list[str]:
    return [d.one_line() for d in check_tree(load_tree(root)).diagnostics if d.severity == "error"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_a_fifo_named_yaml_is_refused_not_waited_on(tmp_path: Path) -> None:
    root = tree_with(tmp_path / "policies")
    os.mkfifo(root / "demo" / "pipe.yaml")
    done = run("check", str(root), timeout=60)
    assert done.returncode == 2
    assert "pipe.yaml:1:1: error[E-POLICY]: pipe.yaml is not a regular file" in done.stderr


def test_links_out_of_the_tree_are_refused_and_never_quoted(tmp_path: Path) -> None:
    root = tree_with(tmp_path / "policies")
    secret = tmp_path / "secret.yaml"
    secret.write_text("policy: {id: the-secret-words}\n", encoding="utf-8")
    (root / "demo" / "extra.yaml").symlink_to(secret)
    (root / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    found = problems(root)
    assert any("extra.yaml:1:1: error[E-POLICY]: extra.yaml links outside the policy folder" in p for p in found)
    assert any("elsewhere:1:1: error[E-POLICY]: elsewhere links outside the policy folder" in p for p in found)
    done = run("check", str(root))
    assert done.returncode == 2 and "the-secret-words" not in done.stderr


def test_a_link_that_stays_inside_the_tree_is_followed(tmp_path: Path) -> None:
    root = tree_with(tmp_path / "policies")
    kept = root / "kept-demo-policy.txt"
    (root / REGION_FILE).rename(kept)
    (root / REGION_FILE).symlink_to(Path("..") / kept.name)
    assert problems(root) == []
    assert load_tree(root).regions == ["demo"]


def test_a_link_to_nothing_is_a_located_error(tmp_path: Path) -> None:
    root = tree_with(tmp_path / "policies")
    (root / "demo" / "gone.yaml").symlink_to(tmp_path / "no-such-file.yaml")
    found = problems(root)
    assert any("gone.yaml:1:1: error[E-POLICY]: gone.yaml is a link to nothing" in p for p in found)
    done = run("regions", "--policies", str(root))  # reading the fingerprint of the tree used to crash
    assert done.returncode in (0, 2)


def test_the_top_of_the_disk_is_refused_as_a_policy_folder() -> None:
    for argv in (("check", "/"), ("regions", "--policies", "/"),
                 ("evaluate", "--policies", "/", "--region", "hebi", "--date", "2020-01-01",
                  str(ROOT / "examples" / "households" / "contract_example.json"))):
        done = run(*argv, timeout=60)
        assert done.returncode == 2
        assert "/ is the top of the disk, not a policy folder" in done.stderr


def test_an_empty_policy_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    code, _out, err = cli("check", str(tmp_path / "policies"))
    assert code == 2
    assert "error[E-POLICY]: no region found in" in err


def test_a_seed_must_name_a_file_inside_sources(tmp_path: Path) -> None:
    root = tree_with(tmp_path / "policies")
    region = root / REGION_FILE
    text = region.read_text(encoding="utf-8")
    region.write_text(text.replace("    title: 示例市农村低保实施办法\n",
                                   "    title: 示例市农村低保实施办法\n    seed: ../../etc/passwd\n"), encoding="utf-8")
    (found,) = [d for d in check_tree(load_tree(root)).diagnostics if d.code == "E-SEED"]
    assert found.span is not None and found.span.file.endswith(str(REGION_FILE)) and found.span.line == 13
    assert "a seed names a file inside the sources/ folder" in found.message


def test_a_seed_is_read_only_from_inside_sources(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "doc.txt").write_text("三、第三条。", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("private", encoding="utf-8")
    (sources / "link.txt").symlink_to(outside)
    assert read_seed(sources, "doc.txt") == "三、第三条。"
    assert read_seed(sources, "link.txt") is None
    assert read_seed(sources, "../outside.txt") is None
    assert read_seed(sources, str(outside)) is None
    if hasattr(os, "mkfifo"):
        os.mkfifo(sources / "pipe.txt")
        assert read_seed(sources, "pipe.txt") is None  # refused at once, not waited on


def test_a_revision_that_looks_like_an_option_is_refused(tmp_path: Path) -> None:
    keep = tmp_path / "keep.txt"
    keep.write_text("still here", encoding="utf-8")
    for revision in (f"--output={keep}", "--list", "-h", ""):
        code, _out, err = cli("diff", f"--rev={revision}", "--policies", str(ROOT / "policies"), "hebi@2018-01-01")
        assert code == 2, err
        assert "error[E-REV]" in err and "is not a commit" in err
    assert keep.read_text(encoding="utf-8") == "still here"


def test_the_base_tree_is_still_clean() -> None:
    assert problems(BASE) == []
