"""The import corpus: every document under tests/import_cases/ (and the seed documents) against its golden file.

Each document imports to the ledger in ``tests/import_cases/expected/<file>.yaml`` with the report (notes and
lines not placed) in ``<file>.report.txt``, or is refused with the message in ``<file>.error.txt``. Every ledger
passes validation together with the registry the import writes for it (so it builds at once).

After a deliberate change of the importer: ``PORTAL_UPDATE_GOLDEN=1 pytest tests/test_import_corpus.py`` rewrites
the golden files; review their diff before committing.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from conftest import SHARED
from portal.import_registry import ledger_names, merge_registry
from portal.importer import ImportFailed, Options, import_file
from portal.ledger.load import load_text, read_registry
from portal.ledger.yamlout import dump_ledger
from portal.ledger.yamlread import Reader, compose_text
from portal.problems import Problems

CASES = Path(__file__).resolve().parent / "import_cases"
EXPECTED = CASES / "expected"
SEEDS = SHARED / "seeds"
SUFFIXES = {".txt", ".md", ".docx", ".xlsx", ".xls", ".doc", ".xlsm"}
UPDATE = bool(os.environ.get("PORTAL_UPDATE_GOLDEN"))
#: what a person passes for a document that does not say it itself
ARGS: dict[str, dict[str, int]] = {"special-action-plan.txt": {"year": 2022}}


def documents() -> list[Path]:
    found = sorted(p for p in CASES.iterdir() if p.suffix.lower() in SUFFIXES)
    seeds = sorted(SEEDS.glob("*.txt")) if SEEDS.exists() else []
    return found + seeds


def golden(path: Path, suffix: str) -> Path:
    return EXPECTED / f"{path.name}{suffix}"


def report_text(report: object) -> str:
    lines = [f"notes: {n}" for n in report.notes]  # type: ignore[attr-defined]
    lines += [f"unplaced: {line}: {text}" for line, text in report.unplaced]  # type: ignore[attr-defined]
    lines.append(f"counts: {report.sections} sections, {report.tasks} tasks")  # type: ignore[attr-defined]
    return "\n".join(lines) + "\n"


def check(path: Path, text: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with PORTAL_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), path.name


def test_the_corpus_has_every_shape() -> None:
    names = [p.name for p in documents()]
    assert len(names) >= 15
    for suffix in (".txt", ".md", ".docx", ".xlsx", ".xls", ".doc", ".xlsm"):
        assert any(n.endswith(suffix) for n in names), suffix


@pytest.mark.parametrize("path", documents(), ids=lambda p: p.name)
def test_document_imports_as_its_golden_file(path: Path, tmp_path: Path) -> None:
    error = golden(path, ".error.txt")
    try:
        data, report = import_file(path, **ARGS.get(path.name, {}))  # type: ignore[arg-type]
    except ImportFailed as failed:
        if UPDATE and not error.exists():
            error.write_text(str(failed) + "\n", encoding="utf-8")
        assert error.exists(), f"{path.name} was refused: {failed}"
        check(error, str(failed) + "\n")
        return
    assert not error.exists() or UPDATE, f"{path.name} should be refused"
    text = dump_ledger(data)
    check(golden(path, ".yaml"), text)
    check(golden(path, ".report.txt"), report_text(report))
    # the ledger and the registry the import writes beside it pass validation together: the portal builds at once
    registry_text, _ = merge_registry(tmp_path / "departments.yaml", ledger_names(data))
    problems = Problems()
    reader = Reader("departments.yaml", problems, "zh")
    registry = read_registry(compose_text(registry_text, reader), reader)
    assert not problems.errors
    load_text(text, as_of=dt.date(2100, 1, 1), registry=registry)


def test_non_plans_import_when_asked(tmp_path: Path) -> None:
    data, report = import_file(CASES / "speech.txt", 2021, options=Options(anyway=True))
    assert report.tasks >= 3 and data["plan"]["year"] == 2021


def test_punctuation_kept_when_asked() -> None:
    data, report = import_file(CASES / "dated-in-numerals.txt", options=Options(keep_punctuation=True))
    assert report.punctuation == 0
    assert "(含下属单位)" in dump_ledger(data)


def test_suggestions_never_name_another_body() -> None:
    from portal.ledger.schema import did_you_mean

    registry = ["机关党委", "办公室", "组织科", "宣传科", "新闻宣传与应急管理科"]
    assert did_you_mean("市委直属机关工委", registry) == ""  # a 工委 is not a 党委
    assert did_you_mean("组织部", registry) == ""  # nor a 部 a 科
    assert did_you_mean("机关党季", registry) == "机关党委"  # a typo still gets its suggestion
    assert did_you_mean("办工室", registry) == "办公室"
    assert did_you_mean("staus", ["status", "title"]) == "status"


def test_registry_kinds_and_merge(tmp_path: Path) -> None:
    from portal.import_registry import guess_kind

    kinds = {n: guess_kind(n) for n in ["办公室", "食品生产科", "机关党委", "信息中心", "执法支队", "各市场监管所",
                                        "城关市场监管所", "机关各科室", "直属各单位", "各县区局", "特种设备检验所"]}
    assert kinds == {"办公室": "department", "食品生产科": "department", "机关党委": "department",
                     "信息中心": "unit", "执法支队": "unit", "各市场监管所": "group", "城关市场监管所": "unit",
                     "机关各科室": "group", "直属各单位": "group", "各县区局": "group", "特种设备检验所": "unit"}
    registry = tmp_path / "departments.yaml"
    registry.write_text("# 名录\ndepartments:\n  - name: 办公室  # 综合\n    aliases: [局办公室]\n", encoding="utf-8")
    text, added = merge_registry(registry, ["局办公室", "信息中心", "机关各科室"])
    assert added == [("信息中心", "unit"), ("机关各科室", "group")]
    assert "# 名录" in text and "# 综合" in text and text.index("办公室") < text.index("信息中心")
    assert merge_registry(registry, ["办公室"]) == (registry.read_text(encoding="utf-8"), [])


def test_a_sheet_of_a_hundred_thousand_rows_is_refused_within_bounds(tmp_path: Path) -> None:
    import time

    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(["序号", "工作任务", "牵头单位", "完成时限"])
    for i in range(100_000):
        sheet.append([i + 1, f"第{i + 1}项任务", "办公室", "6月底前"])
    path = tmp_path / "huge.xlsx"
    book.save(str(path))
    start = time.monotonic()
    with pytest.raises(ImportFailed, match="行数过多"):
        import_file(path)
    assert time.monotonic() - start < 30  # counted while streaming, refused before the sheet is loaded whole


def test_an_xlsx_bomb_is_refused_by_its_declared_size(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<c/>" * (10 * 1024 * 1024))  # 40 MiB that pack to 40 KiB
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(ImportFailed, match="表格过大"):
        import_file(path)


def test_names_close_to_the_registry_are_pointed_out() -> None:
    from portal.import_registry import similar_names

    registry = "departments:\n  - name: 人教科\n  - name: 机关党委\n  - name: 人事科\n  - name: 市委直属机关工委\n"
    assert similar_names([("人事科", "department"), ("市委直属机关工委", "department")], registry) == [
        ("人事科", "人教科")]


def test_a_sentence_starting_with_a_date_is_no_date_line() -> None:
    from portal.importer import import_plan

    data, _ = import_plan(["方案", "一、建设", "1.建设监管系统。", "2021年12月底前完成验收。",
                           "××市市场监督管理局", "2021年3月1日"], "plan.txt")
    task = data["sections"][0]["tasks"][0]
    assert task["details"].endswith("2021年12月底前完成验收。") and task["deadline"] == "2021年12月底前"
    assert data["plan"]["year"] == 2021 and data["plan"]["issuer"] == "××市市场监督管理局"
