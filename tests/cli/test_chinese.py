"""Chinese for Chinese users: --lang zh and a zh_CN locale give Chinese messages, help texts, table
headers and explanation labels; every help text the commands have is in the catalogue."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from engine.base.i18n import language_from_environment, tr
from engine.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "households" / "contract_example.json"
DIBAO = [sys.executable, "-m", "engine.cli"]
ENGLISH = {"LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}


def run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DIBAO, *args], capture_output=True, text=True, cwd=cwd, check=False,
                          env={**os.environ, **ENGLISH, **(env or {})})


def test_lang_zh_on_the_command_or_the_group() -> None:
    for args in (("check", "--lang", "zh"), ("--lang", "zh", "check")):
        said = run(*args).stderr.strip().splitlines()
        assert re.fullmatch(r"政策目录 policies（从当前目录找到；sha256:[0-9a-f]{12}…）", said[0])
        assert said[1:] == ["政策目录 policies：7 个层级，已检查 6 个地区：0 个问题"]
    english = run("check").stderr.strip().splitlines()
    assert english[1:] == ["policy tree policies: 7 layers, 6 regions checked: 0 problems"]


@pytest.mark.parametrize(("env", "chinese"), [
    ({"LANG": "zh_CN.UTF-8"}, True),
    ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, True),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, False),
    ({"LANGUAGE": "zh_CN:en", "LANG": "C.UTF-8"}, True),
])
def test_the_locale_chooses_the_language(env: dict[str, str], chinese: bool) -> None:
    done = run("check", env=env)
    assert ("政策目录" in done.stderr) is chinese
    assert language_from_environment({**ENGLISH, **env}) == ("zh" if chinese else "en")


def test_lang_en_wins_over_a_chinese_locale() -> None:
    assert "policy tree" in run("check", "--lang", "en", env={"LANG": "zh_CN.UTF-8"}).stderr


def test_help_is_in_chinese() -> None:
    done = run("--lang", "zh", "check", "--help")
    assert done.stdout.startswith("用法：dibao check")
    assert "加载并检查所有地区" in done.stdout and "选项：" in done.stdout and "显示本帮助并退出。" in done.stdout
    listing = run("--help", env={"LANG": "zh_CN.UTF-8"}).stdout
    assert "命令：" in listing and re.search(r"^  params +地区参数", listing, re.MULTILINE)


def test_every_help_text_has_a_chinese_translation() -> None:
    missing = []

    def walk(command: click.Command) -> None:
        for text in [command.help] + [getattr(p, "help", None) for p in command.params]:
            if text and tr(text, "zh") == text:
                missing.append(text)
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                walk(sub)

    walk(cli)
    assert not missing, missing


def test_table_headers_and_words_in_chinese() -> None:
    header = run("--lang", "zh", "regions").stdout.splitlines()[0]
    assert header.split() == ["地区", "名称", "版本", "适用期间", "摘要", "输出项数", "须补充"]
    text = run("--lang", "zh", "test", "--region", "hebi").stdout
    assert text.splitlines()[0].split()[:3] == ["地区", "通过", "案例数"]
    assert re.search(r"^(\d+) 个通过，0 个未通过$", text, re.MULTILINE)


def test_explanation_labels_in_chinese() -> None:
    text = run("explain", "--lang", "zh", "--region", "hebi", "--date", "2017-10-01", "--output",
               "dibao.standard_annual", str(EXAMPLE)).stdout
    assert text.startswith("HB-0001 · hebi 于 2017-10-01 · 政策 2017.2")
    assert "有效期 2017-07-01 – 2017-12-31" in text
    # each income kind by the vocabulary's Chinese name, its code beside it
    assert re.search(r"^p1 +城乡居民基本养老保险基础养老金 \(basic_pension_base\) +103/月 +103\.00 +不计入", text,
                     re.MULTILINE)
    document = run("explain", "--lang", "zh", "--region", "hebi", "--date", "2017-10-01", "--format", "markdown",
                   str(EXAMPLE)).stdout
    assert "## 收入" in document and "## 输出项" in document


def test_messages_in_chinese() -> None:
    done = run("evaluate", "--lang", "zh", "--region", "hebx", "--date", "2017-10-01", str(EXAMPLE))
    assert done.returncode == 2
    assert done.stderr.strip() == ("错误[E-REGION]: 没有地区 'hebx'；现有地区：dongtai, hebi, inner_mongolia, "
                                   "inner_mongolia/hinggan, suining, yangjiang（是否想输入 'hebi'？）")
    done = run("evaluate", "--lang", "zh", "--region", "hebi", "--date", "2021-06-30", str(EXAMPLE))
    assert ("错误[E-EVAL]: 家庭 HB-0001：dibao.standard_annual（农村低保标准）在 hebi 于 2021-06-30 "
            "须补充：") in done.stderr
    assert "（须补充）；请用 --set dibao.standard_annual=VALUE 或 --params 文件补充" in done.stderr
    done = run("evaluate", "--date", "2017-10-01", str(EXAMPLE), env={"LANG": "zh_CN.UTF-8"})
    assert done.stderr.strip() == "dibao evaluate: 错误: 缺少选项 --region。 (参见 dibao evaluate --help)"


def test_policy_and_household_messages_in_chinese(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    policy = tmp_path / "policies" / "hebi" / "policy.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("        value: 3860 yuan/year",
                                                                  "          value: 3860 yuan/year"), encoding="utf-8")
    done = run("check", "--lang", "zh", "policies", cwd=tmp_path)
    assert "错误[E-YAML]: 缩进：`value:` 比第 93 行的 `to:` 缩进得多（第 11 列，而不是第 9 列）" in done.stderr
    record = EXAMPLE.read_text().replace('"employed": false', '"employed": "yes"')
    (tmp_path / "h.json").write_text(record)
    done = run("evaluate", "--lang", "zh", "--region", "hebi", "--date", "2017-10-01", str(tmp_path / "h.json"))
    assert "members[0].employed：必须是 true 或 false，而不是文本 ('yes')（记录 HB-0001）" in done.stderr


def test_labels_zh_in_outputs() -> None:
    text = run("compare", "--date", "2017-10-01", "--labels", "zh", "--format", "csv", str(EXAMPLE)).stdout
    rows = [line.split(",")[0] for line in text.splitlines()]
    assert rows[1:4] == ["家庭月收入（核算后）", "家庭月人均收入", "低保标准（年）"]
    assert "重点救助对象[p1]" in rows
