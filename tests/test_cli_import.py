"""`portal import` and `portal fmt` as a user runs them."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest

from conftest import PORTAL, SHARED
from portal.ledger.load import load_text

SEEDS = SHARED / "seeds"


def portal(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(PORTAL), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


@pytest.mark.skipif(not SEEDS.exists(), reason=f"no seeds at {SEEDS}")
def test_import_writes_a_valid_ledger_and_reports_what_it_left_out(tmp_path: Path) -> None:
    out = tmp_path / "ledger.yaml"
    done = portal("import", str(SEEDS / "plan-2020-political-ecology.txt"), "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "52 项任务" in done.stdout
    assert ":3: 未放入台账：为全面贯彻落实" in done.stderr  # the preamble, named by its line
    plan = load_text(out.read_text(encoding="utf-8"), as_of=dt.date(2100, 1, 1))
    assert len(plan.walk_tasks()) == 52 and plan.sections[0].sections[0].lead == ["机关党委", "人教科", "办公室"]
    again = portal("import", str(SEEDS / "plan-2020-political-ecology.txt"), "-o", str(out), cwd=tmp_path)
    assert again.returncode == 1 and "已存在" in again.stderr


def test_import_refuses_what_is_not_a_plan_and_writes_nothing(tmp_path: Path) -> None:
    cases = {"empty.txt": b"", "binary.txt": b"\x00\x01\x02PK", "broken.docx": b"not a zip at all",
             "prose.txt": "这是一段没有编号的文字。\n只是说明，没有任务。\n".encode()}
    for name, data in cases.items():
        source = tmp_path / name
        source.write_bytes(data)
        out = tmp_path / f"{name}.yaml"
        done = portal("import", str(source), "-o", str(out), "--year", "2020", cwd=tmp_path)
        assert done.returncode == 1, name
        assert name in done.stderr and not out.exists(), name
        assert "Traceback" not in done.stderr


def test_fmt_check_and_rewrite_keep_comments(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    messy = ("# 台账\nsections:\n- tasks:\n  - title: 制定计划  # 注释\n    id: t1\n    status: 进行中\n  title: 板块\n"
             "  id: s1\nplan: {title: 方案, year: 2020, id: p}\n")
    ledger = tmp_path / "tasks.yaml"
    ledger.write_text(messy, encoding="utf-8")
    check = portal("fmt", "--check", cwd=tmp_path)
    assert check.returncode == 1 and ledger.read_text(encoding="utf-8") == messy
    assert portal("fmt", cwd=tmp_path).returncode == 0
    text = ledger.read_text(encoding="utf-8")
    assert "# 台账" in text and "# 注释" in text
    assert text.index("plan:") < text.index("sections:") and text.index("id: t1") < text.index("title: 制定计划")
    assert portal("fmt", "--check", cwd=tmp_path).returncode == 0
    before = load_text(messy, as_of=dt.date(2100, 1, 1))
    after = load_text(text, as_of=dt.date(2100, 1, 1))
    assert [t.title for t in before.walk_tasks()] == [t.title for t in after.walk_tasks()]


def test_an_imported_ledger_and_its_registry_build_at_once(tmp_path: Path) -> None:
    """The office's Excel 台账 imported into a fresh portal: the departments it names go into departments.yaml
    (merged into the one there), and the portal builds without a hand edit."""
    from conftest import copy_project, run_build

    project = copy_project(tmp_path / "portal")
    cases = Path(__file__).resolve().parent / "import_cases"
    first = portal("import", str(cases / "rectification-ledger.xlsx"), "-o", "ledger.yaml", cwd=project)
    assert first.returncode == 0, first.stderr  # a second ledger: its updates are of 2021, listed in mkdocs.yml
    done = portal("import", str(cases / "division-table.docx"), "-o", "tasks.yaml", "--force", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "departments.yaml：加入" in done.stdout and "食品生产科（科室）" in done.stdout
    registry = (project / "departments.yaml").read_text(encoding="utf-8")
    assert "name: 机关党委" in registry and "name: 食品检验检测中心" in registry  # merged, nothing lost
    # the sample's pinned as_of (2020-09-30) is before this 2021 plan: commented out, the portal counts from today
    assert "as_of" in first.stdout and "# as_of: 2020-09-30" in (project / "mkdocs.yml").read_text(encoding="utf-8")
    build = run_build(project)
    assert build.returncode == 0, build.stderr
    assert "落实企业主体责任" in (build.site / "tasks.json").read_text(encoding="utf-8")


def test_bad_inputs_get_a_message_and_no_file(tmp_path: Path) -> None:
    cases = Path(__file__).resolve().parent / "import_cases"
    for name, needle in [("legacy.doc", "另存为"), ("password.xlsx", "密码"), ("macros.xlsm", "宏"),
                         ("speech.txt", "--anyway")]:
        out = tmp_path / f"{name}.yaml"
        done = portal("import", str(cases / name), "-o", str(out), cwd=tmp_path)
        assert done.returncode == 1 and needle in done.stderr and not out.exists(), (name, done.stderr)
        assert not (tmp_path / "departments.yaml").exists()


def test_a_second_plan_gets_ids_of_its_own_and_is_listed(tmp_path: Path) -> None:
    from conftest import copy_project

    project = copy_project(tmp_path / "portal")
    cases = Path(__file__).resolve().parent / "import_cases"
    (project / "ledgers").mkdir()
    done = portal("import", str(cases / "dated-in-numerals.txt"), "-o", "ledgers/mofan.yaml", "--registry",
                  "departments.yaml", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "前缀“plan2020-”" in done.stderr  # s1, t1 … are the sample's ids too
    assert "- ledgers/mofan.yaml" in (project / "mkdocs.yml").read_text(encoding="utf-8")
    text = (project / "ledgers" / "mofan.yaml").read_text(encoding="utf-8")
    assert "id: plan2020-s1" in text and "id: plan2020-t1" in text
    check = portal("validate", cwd=project)
    assert check.returncode == 0, check.stderr
    assert "2 个方案" in check.stdout


@pytest.mark.skipif(not SEEDS.exists(), reason=f"no seeds at {SEEDS}")
def test_a_revised_plan_reimported_into_its_ledger_keeps_ids_progress_and_comments(tmp_path: Path) -> None:
    import yaml

    from conftest import REPO

    ledger = tmp_path / "tasks.yaml"
    ledger.write_text((REPO / "tasks.yaml").read_text(encoding="utf-8").replace(
        "          - id: t05\n", "          - id: t05  # 家书征集\n", 1), encoding="utf-8")
    seed = (SEEDS / "plan-2020-political-ecology.txt").read_text(encoding="utf-8")
    revised = (seed.replace("（5）6月底前组织广大党员干部", "（5）7月底前组织广大党员干部")  # a deadline moved
               .replace("（51）做好机关和直属单位基本工资、地区附加津贴和公务员奖金调整，落实公务员职级晋升、体检、休假等制度，"
                        "进一步激发干部干事创业的热情。", "")  # a task dropped
               .replace("亮点特色类信息随时报送。",
                        "亮点特色类信息随时报送。（53）年底前开展政治生态建设评估。"))  # one task added
    (tmp_path / "revised.txt").write_text(revised, encoding="utf-8")
    done = portal("import", "revised.txt", "--into", "tasks.yaml", "--no-registry", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "保留 51 项任务" in done.stdout and "新增 1 项，删除 1 项" in done.stdout
    assert "修改 t05：title、details、deadline" in done.stdout and "删除 t51" in done.stdout
    text = ledger.read_text(encoding="utf-8")
    assert "- id: t05  # 家书征集" in text  # comments survive
    after = {t["id"]: t for s in yaml.safe_load(text)["sections"] for t in _tasks(s)}
    before = {t["id"]: t for s in yaml.safe_load((REPO / "tasks.yaml").read_text(encoding="utf-8"))["sections"]
              for t in _tasks(s)}
    assert after["t05"]["deadline"] == "7月底前" and after["t05"]["status"] == before["t05"]["status"]
    assert after["t01"] == before["t01"]  # untouched: its progress, milestone marks and all
    assert after["t53"]["title"] == "年底前开展政治生态建设评估" and "t51" not in after
    load_text(text, as_of=dt.date(2100, 1, 1))


def _tasks(section: dict) -> list[dict]:
    return section.get("tasks", []) + [t for s in section.get("sections", []) for t in _tasks(s)]
