"""load_apart: the ledger loaded in a forked child process comes back as load() gives it, warnings and errors
with their line:column included; the YAML node graph is never made in the building process."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from portal.config import PortalConfig, read_config
from portal.ledger import load as load_module
from portal.ledger.load import load, load_apart
from portal.problems import LedgerError

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2020, 9, 30)

pytestmark = pytest.mark.skipif(not hasattr(load_module.os, "fork"), reason="no fork on this system")


def _project(tmp_path: Path, ledger: str | None = None) -> PortalConfig:
    for name in ("mkdocs.yml", "tasks.yaml", "departments.yaml"):
        shutil.copy2(REPO / name, tmp_path / name)
    if ledger is not None:
        (tmp_path / "tasks.yaml").write_text(ledger, encoding="utf-8")
    return read_config(tmp_path / "mkdocs.yml")


def test_the_sample_as_load_gives_it_composed_in_the_child(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _project(tmp_path)
    here = load(cfg)
    composed: list[int] = []
    real = yaml.compose
    monkeypatch.setattr(yaml, "compose", lambda *a, **k: composed.append(1) or real(*a, **k))
    apart = load_apart(cfg)
    assert composed == []  # the child composed (its own copy of the list counted), this process did not
    assert apart.ledger == here.ledger and apart.as_of == here.as_of
    assert [t.id for t in apart.ledger.tasks()] == [t.id for t in here.ledger.tasks()]
    assert apart.ledger.registry.resolve("办公室") == here.ledger.registry.resolve("办公室")
    load(cfg)
    assert composed  # the same patch, in this process: the count above was no accident


LEDGER = """\
plan:
  id: p2020
  title: 2020年工作方案
  year: 2020
sections:
  - id: s1
    title: 加强思想建设
    tasks:
      - id: t01
        title: 制定学习计划
        lead: 办公室
      - id: t02
        title: 开展集体学习
"""


def test_warnings_and_errors_come_back_with_their_places(tmp_path: Path) -> None:
    cfg = _project(tmp_path, LEDGER)  # t02 has no lead: a warning
    here, apart = load(cfg), load_apart(cfg)
    assert apart.warnings.render("zh") == here.warnings.render("zh")
    assert [w.split(": ")[0] for w in apart.warnings.render("zh")] == ["tasks.yaml:12:9"]
    cfg = _project(tmp_path, LEDGER + "        status: 已完成\n        closed: 2020-13-01\n")
    with pytest.raises(LedgerError) as in_here:
        load(cfg)
    with pytest.raises(LedgerError) as in_child:
        load_apart(cfg)
    assert in_child.value.report() == in_here.value.report()
    assert in_child.value.lang == in_here.value.lang
    assert "tasks.yaml:15:17" in in_child.value.report()


def test_a_child_that_fails_leaves_the_loading_to_this_process(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _project(tmp_path)
    monkeypatch.setattr(load_module.pickle, "dumps", lambda *a, **k: 1 / 0)  # the child cannot hand it over
    assert load_apart(cfg).ledger == load(cfg).ledger


def test_work_meanwhile_runs_here_while_the_child_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _project(tmp_path)
    composed: list[int] = []
    real = yaml.compose
    monkeypatch.setattr(yaml, "compose", lambda *a, **k: composed.append(1) or real(*a, **k))
    done: list[int] = []
    apart = load_apart(cfg, lambda: done.append(load_module.os.getpid()))
    assert done == [load_module.os.getpid()] and composed == []  # the work here, the ledger in the child
    assert apart.ledger == load(cfg).ledger

    def fails() -> None:
        raise OSError("the work here failed")

    children: list[int] = []
    fork = load_module.os.fork
    monkeypatch.setattr(load_module.os, "fork", lambda: children.append(fork()) or children[-1])
    with pytest.raises(OSError, match="the work here failed"):
        load_apart(cfg, fails)
    assert len(children) == 1
    with pytest.raises(ChildProcessError):  # the child was reaped all the same
        load_module.os.waitpid(children[0], load_module.os.WNOHANG)


def test_without_a_child_the_work_meanwhile_follows_the_ledger(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(load_module.threading, "active_count", lambda: 2)  # as under mkdocs serve: no fork
    cfg = _project(tmp_path)
    done: list[str] = []
    assert load_apart(cfg, lambda: done.append("history")).ledger == load(cfg).ledger
    assert done == ["history"]
    cfg = _project(tmp_path, LEDGER + "        status: 已完成\n        closed: 2020-13-01\n")
    with pytest.raises(LedgerError):
        load_apart(cfg, lambda: done.append("history"))
    assert done == ["history"]  # a ledger with errors: no work done for a build that stops
