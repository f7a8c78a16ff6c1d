"""Upgrades: a ledger written for an older portal keeps validating, each older key gets a message saying what to
change, and `portal fmt --upgrade` changes those keys and nothing else.

No key has been renamed or removed in the portal's history so far (the schema's ``changed`` tables are empty),
so these tests declare the kinds of change there can be on the real schema objects for their duration: a task
key renamed, task keys removed (inline, with a nested block and a comment, opening a list item, alone in an
item), a plan key renamed, a registry key renamed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO, copy_project
from portal.cli import main
from portal.ledger import schema
from portal.ledger.schema import KeyChange
from portal.ledger.upgrade import upgrade_text

CHANGES = [
    (schema.TASK, {"owner": KeyChange("leader", "0.3.0"), "weight": KeyChange(None, "0.3.0"),
                   "remarks": KeyChange(None, "0.4.0")}),
    (schema.PLAN_META, {"org": KeyChange("issuer", "0.3.0")}),
    (schema.DEPARTMENT, {"alias": KeyChange("aliases", "0.3.0")}),
]
T01 = "          - id: t01\n            number: （1）\n"


@pytest.fixture
def older_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    for obj, changes in CHANGES:
        for old, change in changes.items():
            monkeypatch.setitem(obj.changed, old, change)


def older_project(tmp_path: Path) -> Path:
    """The sample with keys of an older portal, in a ledger and registry that carry comments."""
    project = copy_project(tmp_path / "project")
    ledger = project / "tasks.yaml"
    text = ledger.read_text(encoding="utf-8")
    assert text.count(T01) == 1
    text = text.replace("  issuer: 市市场监督管理局党组\n", "  org: 市市场监督管理局党组  # 制定单位\n", 1)
    text = text.replace(T01, T01 + "            owner: 张三  # the leader in charge\n            weight: 3\n", 1)
    text = text.replace("          - id: t02\n", "          - weight: 2  # opens the item\n            id: t02\n", 1)
    # a removed key with a nested block and a comment inside it
    text = text.replace("            percent: 70\n", "            percent: 70\n            remarks:\n"
                        "              # kept from 2019\n              - 旧备注一\n              - 旧备注二\n", 1)
    ledger.write_text(text, encoding="utf-8")
    registry = project / "departments.yaml"
    reg = registry.read_text(encoding="utf-8")
    registry.write_text(reg.replace("    aliases: [党委]\n", "    alias: [党委]  # 简称\n", 1), encoding="utf-8")
    return project


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_an_older_ledger_validates_with_one_message_per_older_key(older_schema: None, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    project = older_project(tmp_path)
    code, _, err = run(capsys, "validate", "-f", str(project / "mkdocs.yml"))
    assert code == 0, err
    lines = [line for line in err.splitlines() if "portal fmt --upgrade" in line]
    text = (project / "tasks.yaml").read_text(encoding="utf-8").splitlines()
    owner = next(i for i, line in enumerate(text) if "owner:" in line) + 1
    assert any(re.search(rf"tasks\.yaml:{owner}:13: .*“owner”自 0\.3\.0 版起改名为“leader”.*请把“owner”改为“leader”",
                         x) for x in lines), err
    assert sum("“weight”自 0.3.0 版起不再使用" in x for x in lines) == 2
    assert sum("“remarks”自 0.4.0 版起不再使用" in x for x in lines) == 1
    assert sum("“org”自 0.3.0 版起改名为“issuer”" in x for x in lines) == 1
    assert sum(re.search(r"departments\.yaml:\d+:5: .*“alias”.*“aliases”", x) is not None for x in lines) == 1
    assert len(lines) == 6
    # read as what the keys became: the renamed leader reaches the exports
    code, _, err = run(capsys, "export", "csv", "-f", str(project / "mkdocs.yml"), "-o", str(tmp_path / "t.csv"))
    assert code == 0, err
    assert "张三" in (tmp_path / "t.csv").read_text(encoding="utf-8-sig")


def test_fmt_upgrade_changes_those_keys_and_nothing_else(older_schema: None, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    project = older_project(tmp_path)
    config = str(project / "mkdocs.yml")
    ledger, registry = project / "tasks.yaml", project / "departments.yaml"
    before = ledger.read_text(encoding="utf-8")
    code, out, _ = run(capsys, "fmt", "--upgrade", "--check", "-f", config)
    assert code == 1 and "（5 处）" in out and "（1 处）" in out, out
    assert ledger.read_text(encoding="utf-8") == before
    code, out, err = run(capsys, "fmt", "--upgrade", "-f", config)
    assert code == 0 and "已改为新版写法" in out, err
    sample = (REPO / "tasks.yaml").read_text(encoding="utf-8")
    expected = sample.replace("  issuer: 市市场监督管理局党组\n", "  issuer: 市市场监督管理局党组  # 制定单位\n", 1)
    expected = expected.replace(T01, T01 + "            leader: 张三  # the leader in charge\n", 1)
    # only the older keys' lines differ from the sample: the removed ones went with their comments
    assert ledger.read_text(encoding="utf-8") == expected
    reg = registry.read_text(encoding="utf-8")
    assert "    aliases: [党委]  # 简称\n" in reg and "alias:" not in reg
    code, _, err = run(capsys, "validate", "-f", config)
    assert code == 0 and "portal fmt --upgrade" not in err, err
    code, out, _ = run(capsys, "fmt", "--upgrade", "--check", "-f", config)
    assert code == 0 and out == ""


def test_forms_of_older_keys_changed_in_place(older_schema: None) -> None:
    flow = "plan: {id: p, title: T, year: 2020, org: 办}\nsections: []\n"
    assert upgrade_text(flow, schema.LEDGER)[0] == "plan: {id: p, title: T, year: 2020, issuer: 办}\nsections: []\n"
    quoted = 'plan:\n  "org": 办   # x\n  id: p\nsections: []\n'
    assert upgrade_text(quoted, schema.LEDGER)[0] == "plan:\n  issuer: 办   # x\n  id: p\nsections: []\n"
    alone = "sections:\n  - id: s\n    title: S\n    tasks:\n      - weight: 1\n"
    assert upgrade_text(alone, schema.LEDGER)[0] == "sections:\n  - id: s\n    title: S\n    tasks:\n      - {}\n"
    crlf = ("plan:\r\n  id: p\r\n  org: 办\r\nsections:\r\n  - id: s\r\n    tasks:\r\n      - weight: 1\r\n"
            "        id: t\r\n")
    assert upgrade_text(crlf, schema.LEDGER)[0] == (
        "plan:\r\n  id: p\r\n  issuer: 办\r\nsections:\r\n  - id: s\r\n    tasks:\r\n      - id: t\r\n")
    text, edits = upgrade_text("plan: {id: p}\nsections: []\n", schema.LEDGER)
    assert edits == [] and text == "plan: {id: p}\nsections: []\n"


def test_what_cannot_be_changed_in_place_is_refused_and_left(older_schema: None, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="2:3: both 'org' and 'issuer'"):
        upgrade_text("plan:\n  org: 办\n  issuer: 办\nsections: []\n", schema.LEDGER)
    with pytest.raises(ValueError, match=r"in a \{ \} mapping"):
        upgrade_text("sections: [{id: s, tasks: [{id: t, weight: 1}]}]\n", schema.LEDGER)
    project = copy_project(tmp_path / "project")
    ledger = project / "tasks.yaml"
    text = ledger.read_text(encoding="utf-8").replace("  issuer: 市市场监督管理局党组\n",
                                                      "  issuer: 市市场监督管理局党组\n  org: 办\n", 1)
    ledger.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "fmt", "--upgrade", "-f", str(project / "mkdocs.yml"))
    assert code == 1 and "both 'org' and 'issuer'" in err
    assert ledger.read_text(encoding="utf-8") == text
    code, _, err = run(capsys, "validate", "-f", str(project / "mkdocs.yml"))
    assert code == 1 and "写了两次" in err


def _objs() -> Iterator[schema.Obj]:
    """Every declared mapping of the ledger and the registry."""
    seen: set[int] = set()
    todo: list[object] = [schema.LEDGER, schema.REGISTRY, schema.TASK, schema.SECTION, schema.PLAN_META]
    while todo:
        spec = todo.pop()
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        if isinstance(spec, schema.Obj):
            yield spec
            todo += [f.spec for f in spec.fields.values()]
        todo += [getattr(spec, attr) for attr in ("item", "target") if hasattr(spec, attr)]


def test_the_schemas_record_of_changes_is_consistent() -> None:
    """Every recorded older key is no longer declared, and a renamed one names a declared key of its mapping."""
    objs = list(_objs())
    assert all(any(o is want for o in objs) for want in (schema.TASK, schema.DEPARTMENT, schema.UPDATE))
    for obj in objs:
        for old, change in obj.changed.items():
            assert old not in obj.fields, old
            assert change.new is None or change.new in obj.fields, (old, change.new)
            assert re.fullmatch(r"\d+\.\d+\.\d+", change.since), change.since
