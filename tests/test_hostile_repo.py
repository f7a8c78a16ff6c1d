"""A hostile repository: ledger files that are not files, names that would overwrite pages, links to other hosts,
and words that would take over the terminal that prints them.

Anyone with a merge request can change the ledger, the registry and the links between files, and CI runs
`portal validate` and `portal build` on the result. Each test here builds the files in a temporary project and
checks what the user sees: a located message among all the other problems, a non-zero exit, no traceback, and
nothing read that should not be, nothing overwritten, nothing printed raw. docs/bad-input.md lists each case.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import resource
import subprocess
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import PORTAL, Build, copy_project, run_build
from portal.config import read_config
from portal.ledger import load as load_module
from portal.ledger import model
from portal.ledger.load import load, load_text, read_registry
from portal.ledger.yamlread import MAX_BYTES, Reader, compose_text
from portal.problems import LedgerError, Problem, Problems, printable

AS_OF = dt.date(2020, 9, 30)
MEMORY_LIMIT = 384 * 1024**2  # `portal validate` of the sample needs less than 256 MiB of address space
TIME_LIMIT = 30.0

# --- helpers ---------------------------------------------------------------------------------------------------------


def ledger(*, plan_id: str = "p", plan_title: str = "方案", sections: str = "", tasks: str = "") -> str:
    """A small ledger; ``tasks`` are the task items of section s1 (indented by six), ``sections`` more sections."""
    tasks = tasks or "      - id: t1\n        title: 任务\n"
    return (f"plan:\n  id: {plan_id}\n  title: {plan_title}\n  year: 2020\nsections:\n"
            f"  - id: s1\n    title: 板块\n    lead: [办公室]\n    tasks:\n{tasks}{sections}")


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's escapes are YAML's)."""
    return json.dumps(text, ensure_ascii=False)


def problems(text: str, registry: model.Registry | None = None) -> list[str]:
    """The problem lines `portal validate` would print for a ledger ([] when it is valid)."""
    try:
        load_text(text, as_of=AS_OF, registry=registry)
    except LedgerError as err:
        return err.problems.render()
    return []


def registry_problems(text: str) -> list[str]:
    found = Problems()
    reader = Reader("departments.yaml", found)
    root = compose_text(text, reader)
    assert root is not None
    read_registry(root, reader)
    return found.render()


def registry_of(*names: str) -> str:
    return "departments:\n" + "".join(f"  - name: {q(n)}\n" for n in names)


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def _small_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def validate(project: Path) -> Outcome:
    """`portal validate` in a process limited to 384 MiB of address space; a hang fails the test."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    start = time.monotonic()
    try:
        proc = subprocess.run([str(PORTAL), "validate", "-f", str(project / "mkdocs.yml")], cwd=project, env=env,
                              capture_output=True, text=True, timeout=TIME_LIMIT * 2, preexec_fn=_small_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"portal validate did not answer within {TIME_LIMIT * 2:.0f} s")
    return Outcome(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def assert_refused(out: Outcome | Build, *lines: str) -> None:
    """Exit code 1 (a build: non-zero), each expected line printed, no traceback, in good time."""
    assert out.returncode != 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    # MkDocs puts its log level (in colour) before the first line of a build's error
    printed = [re.sub(r"^(\x1b\[\d+m)?ERROR\s+-\s+(\x1b\[0m)?", "", p) for p in out.stderr.splitlines()]
    for line in lines:
        assert any(p.startswith(line) for p in printed), (line, out.stderr[-3000:])
    if isinstance(out, Outcome):
        assert out.returncode == 1
        assert out.seconds < TIME_LIMIT, out.seconds


def set_ledgers(project: Path, *paths: str, registry: str | None = None) -> None:
    """Point extra.portal.ledgers (and registry) of the project's mkdocs.yml at other paths."""
    cfg = (project / "mkdocs.yml").read_text(encoding="utf-8")
    listed = "".join(f"      - {p}\n" for p in paths)
    cfg = cfg.replace("    ledgers:\n      - tasks.yaml\n", f"    ledgers:\n{listed}")
    if registry is not None:
        cfg = cfg.replace("    registry: departments.yaml\n", f"    registry: {registry}\n")
    (project / "mkdocs.yml").write_text(cfg, encoding="utf-8")


OUTSIDE = "这个文件（或它所在的文件夹）是指向项目文件夹之外的符号链接，已拒绝读取"
NOT_REGULAR = "这不是普通文件（是{kind}），已拒绝读取：台账和单位名录必须是普通的 YAML 文件"

# --- 1. what is read ------------------------------------------------------------------------------------------------


def test_ledger_linked_to_dev_zero_is_refused_quickly_in_little_memory(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    (project / "tasks.yaml").unlink()
    (project / "tasks.yaml").symlink_to("/dev/zero")
    out = validate(project)
    assert_refused(out, f"tasks.yaml: {OUTSIDE}")
    assert "台账校验未通过：1 个错误" in out.stderr


def test_ledger_set_to_a_device_in_mkdocs_yml_is_refused_before_reading(tmp_path: Path) -> None:
    """A path written in mkdocs.yml may leave the project, but it must still be a regular file."""
    project = copy_project(tmp_path / "p")
    set_ledgers(project, "/dev/zero")
    assert_refused(validate(project), "/dev/zero: " + NOT_REGULAR.format(kind="设备"))


def test_named_pipe_in_place_of_the_ledger_is_refused_without_waiting(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    (project / "tasks.yaml").unlink()
    os.mkfifo(project / "tasks.yaml")  # opened the ordinary way, it would wait for a writer for ever
    assert_refused(validate(project), "tasks.yaml: " + NOT_REGULAR.format(kind="命名管道"))


def test_folder_in_place_of_the_ledger_or_registry_is_refused(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    for name in ("tasks.yaml", "departments.yaml"):
        (project / name).unlink()
        (project / name).mkdir()
    assert_refused(validate(project), "departments.yaml: " + NOT_REGULAR.format(kind="文件夹"),
                   "tasks.yaml: " + NOT_REGULAR.format(kind="文件夹"))


def test_sparse_huge_ledger_is_refused_by_its_size_without_reading(tmp_path: Path) -> None:
    """fstat's size refuses a 64 GiB file (all holes) before a single byte of it is read."""
    project = copy_project(tmp_path / "p")
    with open(project / "tasks.yaml", "wb") as f:
        f.truncate(64 * 1024**3)
    cfg = read_config(project / "mkdocs.yml", environ={})
    tracemalloc.start()
    try:
        with pytest.raises(LedgerError) as info:
            load(cfg)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert info.value.problems.render() == [f"tasks.yaml: 文件过大（超过 {MAX_BYTES // 1024**2} MiB），已拒绝读取："
                                            "请把台账拆分为几个文件"]
    assert peak < 4 * 1024**2, peak  # not even the first 20 MiB were read


def test_a_file_larger_than_its_stated_size_is_read_no_further_than_the_limit(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """fstat's size is a promise a file can break (it grows while read; /proc files say 0): reading stops one byte
    past the limit instead of reading to the end."""
    project = copy_project(tmp_path / "p")
    with open(project / "tasks.yaml", "wb") as f:
        f.truncate(10 * MAX_BYTES)
    real_fstat = os.fstat

    def fstat_saying_empty(fd: int) -> os.stat_result:
        st = real_fstat(fd)
        return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, st.st_uid, st.st_gid, 0,
                               int(st.st_atime), int(st.st_mtime), int(st.st_ctime)))

    cfg = read_config(project / "mkdocs.yml", environ={})
    monkeypatch.setattr(os, "fstat", fstat_saying_empty)
    tracemalloc.start()
    try:
        with pytest.raises(LedgerError) as info:
            load(cfg)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [p.code for p in info.value.problems.errors] == ["yaml_too_big"]
    assert peak < 3 * MAX_BYTES, peak  # the file holds ten times the limit


def test_links_to_etc_passwd_are_refused_and_nothing_of_it_is_shown(tmp_path: Path) -> None:
    """Both files at once, each at its name; not a word of /etc/passwd is printed."""
    project = copy_project(tmp_path / "p")
    for name in ("tasks.yaml", "departments.yaml"):
        (project / name).unlink()
        (project / name).symlink_to("/etc/passwd")
    out = validate(project)
    assert_refused(out, f"departments.yaml: {OUTSIDE}", f"tasks.yaml: {OUTSIDE}")
    assert "root" not in out.stderr + out.stdout
    assert "台账校验未通过：2 个错误" in out.stderr
    build = run_build(project)
    assert_refused(build, f"departments.yaml: {OUTSIDE}")
    assert not (build.site / "index.html").exists()


def test_folder_linked_out_of_the_project_is_refused(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / "tasks.yaml").rename(elsewhere / "tasks.yaml")
    (project / "data").symlink_to(elsewhere, target_is_directory=True)
    set_ledgers(project, "data/tasks.yaml")
    assert_refused(validate(project), f"data/tasks.yaml: {OUTSIDE}")


def test_links_inside_the_project_still_work(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    (project / "ledgers").mkdir()
    (project / "tasks.yaml").rename(project / "ledgers" / "2020.yaml")
    (project / "tasks.yaml").symlink_to("ledgers/2020.yaml")
    (project / "data").mkdir()
    (project / "departments.yaml").rename(project / "data" / "departments.yaml")
    (project / "linked").symlink_to("data", target_is_directory=True)
    (project / "departments.yaml").symlink_to("linked/departments.yaml")
    out = validate(project)
    assert out.returncode == 0, out.stderr
    assert "台账校验通过：1 个方案，52 项任务" in out.stdout + out.stderr


def test_a_path_outside_the_project_written_in_mkdocs_yml_is_read(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    shared = tmp_path / "shared"
    shared.mkdir()
    (project / "tasks.yaml").rename(shared / "tasks.yaml")
    set_ledgers(project, "../shared/tasks.yaml")
    out = validate(project)
    assert out.returncode == 0, out.stderr


def test_a_default_registry_link_to_nothing_is_reported_not_taken_for_no_registry(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    (project / "departments.yaml").unlink()
    (project / "departments.yaml").symlink_to("gone/departments.yaml")
    assert_refused(validate(project), "departments.yaml: 找不到台账文件：departments.yaml")


def test_the_reading_code_is_given_the_project_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """load() hands the project folder to compose_file for the ledger and the registry (the check above relies on
    it: without a folder, any path is read where it points)."""
    project = copy_project(tmp_path / "p")
    seen: list[tuple[str, Path | None]] = []
    real = load_module.compose_file

    def spy(path: Path, reader: Reader, root: Path | None = None) -> object:
        seen.append((reader.file, root))
        return real(path, reader, root)

    monkeypatch.setattr(load_module, "compose_file", spy)
    load(read_config(project / "mkdocs.yml", environ={}))
    assert seen == [("departments.yaml", project.resolve()), ("tasks.yaml", project.resolve())]


# --- 4. what reaches the terminal ------------------------------------------------------------------------------------

TERMINAL_ATTACK = "\x1b]0;PWNED\x07\x1b[2J"  # retitle the window, then clear the screen


def test_terminal_escapes_from_the_ledger_are_printed_as_visible_escapes(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    # a line break, a tab, CSI in one byte (a C1 control, which YAML takes only as an escape), a right-to-left override
    status = q("进行\n中\t\x9b2J\u202e").replace("\x9b", "\\x9b")
    task = f"      - id: t1\n        title: 任务\n        {q(TERMINAL_ATTACK)}: x\n        status: {status}\n"
    text = ledger(tasks=task)
    (project / "tasks.yaml").write_text(text, encoding="utf-8")
    (project / "departments.yaml").write_text(registry_of("办公室"), encoding="utf-8")
    out = validate(project)
    assert_refused(out, "tasks.yaml:12:9: 没有“\\x1b]0;PWNED\\x07\\x1b[2J”这个字段",
                   "tasks.yaml:13:17: “进行\\n中\\t\\x9b2J\\u202e”不是有效的状态")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out.stderr + out.stdout), out.stderr


def test_printable_keeps_text_and_shows_every_control_character() -> None:
    assert printable("办公室 机关党委　人教科 a-b") == "办公室 机关党委　人教科 a-b"
    assert printable("a\nb\tc\rd\x00e\x7f\x85\u2028\u2066") == "a\\nb\\tc\\rd\\x00e\\x7f\\x85\\u2028\\u2066"
    problem = Problem("tasks\x1b.yaml", 3, 4, "bad_choice", (("value", "x\x1b[2J"), ("label", "状态"), ("hint", ""),
                                                            ("allowed", "…")))
    assert problem.render() == "tasks\\x1b.yaml:3:4: “x\\x1b[2J”不是有效的状态。可选：…"
