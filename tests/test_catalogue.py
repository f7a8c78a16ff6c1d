"""One catalogue of user-facing words (portal.i18n): no Chinese literal in another module or in a template.

Words a user reads come from the catalogue in both languages, so an English site never shows a Chinese word
written into code. Modules that *read* Chinese (deadline wording, plan documents, the declared schema whose field
names people may type in Chinese) are listed with the reason; font names are not words.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import REPO
from portal import i18n

SRC = REPO / "src" / "portal"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
FONT_NAME = re.compile(r"FONTS?$")

#: Modules whose Chinese is input vocabulary (what they read), with why.
READERS = {
    "deadlines/wording.py": "reads how plans word deadlines (6月底前, 每月, “七一”前 …)",
    "importer.py": "reads plan documents: numbering, 牵头单位 lines, 关于“…”问题 (its messages: see the note below)",
    "import_tables.py": "reads tables: the column names of 任务分工表 and 台账, completion words (已完成, 正在推进 …)",
    "import_registry.py": "reads department names: what kind of body a name ends in (…科, …中心, 各…)",
    "ledger/schema.py": "the declared ledger schema: each field's Chinese name (accepted as a key too) and the "
    "editor hint published in the JSON Schema; aliases of status words people type",
    "config.py": "the declared settings schema, as above",
    "round/collect.py": "reads the report date people type in a returned form (2020年9月24日)",
}


def chinese_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal with Chinese in it, docstrings and font-name constants left out."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and FONT_NAME.search(t.id)
                                                for t in node.targets):
            skip.update(id(n) for n in ast.walk(node.value))
    return [(n.lineno, n.value) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip and HAN.search(n.value)]


def test_no_module_but_the_catalogue_carries_chinese_words() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "i18n.py" or rel in READERS:
            continue
        offenders += [f"src/portal/{rel}:{line}: {text!r}" for line, text in chinese_literals(path.read_text("utf-8"))]
    assert offenders == [], "user-facing words belong in portal/i18n.py:\n" + "\n".join(offenders)


def test_readers_exist() -> None:
    assert all((SRC / rel).is_file() for rel in READERS)


def test_templates_carry_no_chinese_words() -> None:
    offenders = []
    for path in sorted((REPO / "overrides").rglob("*.html")):
        text = re.sub(r"\{#.*?#\}", "", path.read_text("utf-8"), flags=re.DOTALL)  # comments are for developers
        for number, line in enumerate(text.splitlines(), 1):
            if HAN.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == [], "templates take their words from the catalogue:\n" + "\n".join(offenders)


def test_the_check_sees_a_literal_and_passes_over_docstrings_and_fonts() -> None:
    source = ('"""模块说明。"""\nTITLE_FONT = "黑体"\nFONTS = {"zh": "宋体"}\n\n'
              'def f():\n    """说明"""\n    return "已发布"\n')
    assert chinese_literals(source) == [(7, "已发布")]


def test_both_languages_have_every_word() -> None:
    for table in (i18n.MESSAGES, i18n.LABELS, i18n.STATUS_LABELS, i18n.TERM_LABELS):
        assert set(table["zh"]) == set(table["en"]), set(table["zh"]) ^ set(table["en"])


def test_dates_and_months_follow_the_language() -> None:
    import datetime as dt

    day = dt.date(2020, 9, 30)
    assert i18n.format_date(day, "zh") == "2020年9月30日" and i18n.format_date(day, "en") == "2020-09-30"
    assert i18n.format_date(day, "zh", short_in_year=2020) == "9月30日"
    assert i18n.format_date(day, "zh", short_in_year=2021) == "2020年9月30日"
    assert i18n.format_month("2020-09", "zh") == "2020年9月" and i18n.format_month("2020-09", "en") == "2020-09"


def test_a_build_speaks_chinese_in_the_terminal(tmp_path: Path) -> None:
    from conftest import copy_project, run_build

    build = run_build(copy_project(tmp_path / "p"))
    assert build.returncode == 0, build.stderr
    lines = [re.sub(r"^[A-Z]+\s+-\s+", "", line).strip() for line in (build.stderr + build.stdout).splitlines()]
    english = [line for line in lines if line and not HAN.search(line)]
    assert english == [], english  # no library line in English (jieba's, MkDocs' own) reaches the office


def test_the_command_line_help_speaks_chinese() -> None:
    import subprocess

    from conftest import PORTAL

    for args in (["--help"], ["import", "--help"], ["snapshot", "--help"], ["collect", "--help"]):
        out = subprocess.run([str(PORTAL), *args], capture_output=True, text=True, timeout=60, cwd=REPO).stdout
        assert out.startswith("用法：portal") and "show this help message" not in out, out
        described = [line for line in out.splitlines() if re.match(r"^\s{2,}\S.*\s{2,}\S", line)]
        assert described and all(HAN.search(line) for line in described), described
    tree = ast.parse((REPO / "src" / "portal" / "cli.py").read_text(encoding="utf-8"))
    helps = [k.value.value for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords
             if k.arg in ("help", "description") and isinstance(k.value, ast.Constant)]
    assert len(helps) > 40
    for text in helps:  # every help text has its words in the catalogue
        assert " ".join(text.split()) in i18n.HELP["zh"], text
