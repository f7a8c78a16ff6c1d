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
from portal.config import PortalConfig, read_config
from portal.ledger import load as load_module
from portal.ledger import model
from portal.ledger.load import load, load_text, read_registry, slugify
from portal.ledger.schema import MAX_ID, MAX_NAME, RESERVED_NAMES
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


# --- 2. where pages are written -------------------------------------------------------------------------------------


def test_department_names_that_make_one_page_are_refused(tmp_path: Path) -> None:
    """`甲 科` and `甲/科` are both departments/甲-科/: one page would overwrite the other."""
    assert registry_problems(registry_of("甲 科", "甲/科")) == [
        "departments.yaml:3:11: “甲/科”与“甲 科”（在 departments.yaml:2:11）会写到同一个网页 departments/甲-科/"
        "（网址名不区分大小写）：请在单位名录中为其中一个写不同的 slug"]
    # without a registry the names in the ledger make the pages
    lines = problems(ledger(tasks="      - id: t1\n        title: 任务\n        lead: [甲 科, 甲/科]\n"))
    assert lines == ["tasks.yaml:12:21: “甲/科”与“甲 科”（在 tasks.yaml:12:16）会写到同一个网页 departments/甲-科/"
                     "（网址名不区分大小写）：请统一单位名称的写法，"
                     "或在单位名录 departments.yaml 中登记这些单位并各写一个 slug"]
    # and the real commands stop before anything is written
    project = copy_project(tmp_path / "p")
    with open(project / "departments.yaml", "a", encoding="utf-8") as f:
        f.write("  - name: 甲 科\n  - name: 甲/科\n")
    lines = len((project / "departments.yaml").read_text(encoding="utf-8").splitlines())
    line = f"departments.yaml:{lines}:11: “甲/科”与“甲 科”（在 departments.yaml:{lines - 1}:11）"
    assert_refused(validate(project), line)
    build = run_build(project)
    assert_refused(build, line)
    assert not build.site.exists()


def test_slugs_differing_only_in_case_or_unicode_form_are_refused() -> None:
    text = "departments:\n  - name: 财务科\n    slug: Finance\n  - name: 计划科\n    slug: finance\n"
    assert registry_problems(text) == [
        "departments.yaml:5:11: “计划科”与“财务科”（在 departments.yaml:3:11）会写到同一个网页 departments/finance/"
        "（网址名不区分大小写）：请在单位名录中为其中一个写不同的 slug"]
    # 'é' as one character and as 'e' with a combining accent: one file name on macOS
    assert len(registry_problems(registry_of("Caf\u00e9 科", "Cafe\u0301 科"))) == 1
    # a zero-width space or a C1 control inside a name changes nothing that shows: the page is the same
    assert slugify("甲\u200b科") == slugify("甲\x85科") == "甲-科"
    assert len(registry_problems(registry_of("甲 科", "甲\u200b科"))) == 1


@pytest.mark.parametrize("plan_id", ["table", "Index", "tasks.json", "feed", "versions", "ARCHIVE", "con", "lpt1.x"])
def test_plan_ids_that_are_names_of_the_site_are_refused(plan_id: str) -> None:
    lines = problems(ledger(plan_id=plan_id))
    assert len(lines) == 1 and lines[0].startswith(f"tasks.yaml:2:7: “{plan_id}”"), lines
    assert ("Windows 的保留设备名" if plan_id[:3] in {"con", "lpt"} else "与网站自带的页面或文件") in lines[0]


def test_section_id_index_and_reserved_slugs_are_refused() -> None:
    lines = problems(ledger(sections="  - id: Index\n    title: 第二部分\n"))
    assert lines == ["tasks.yaml:12:9: “Index”与网站自带的页面或文件“index”重名，会覆盖它：请换一个"]
    assert problems(ledger(sections="  - id: table\n    title: 第二部分\n")) == []  # p/table/ is in no one's way
    text = "departments:\n  - name: 甲\n    slug: index\n  - name: 乙\n    slug: NUL\n  - name: Search\n"
    assert registry_problems(text) == [
        "departments.yaml:3:11: “index”与网站自带的页面或文件“index”重名，会覆盖它：请换一个",
        "departments.yaml:5:11: “NUL”是 Windows 的保留设备名 NUL，网站复制到 Windows 后这个页面无法打开：请换一个",
        "departments.yaml:6:11: 单位名称“Search”生成的网址名“Search”与网站自带的页面或文件重名，或是 Windows 的设备名："
        "请在单位名录 departments.yaml 中登记它并写一个 slug"]
    lines = problems(ledger(tasks="      - id: t1\n        title: 任务\n        lead: [departments]\n"))
    assert len(lines) == 1 and "生成的网址名“departments”" in lines[0]


def test_reserved_names_are_every_top_level_name_of_the_built_site(sample_build: Build) -> None:
    """The one list of reserved names covers what a build writes at the top (the sample has one plan, pe2020,
    and the pages of content/)."""
    content = {p.stem for p in (Path(__file__).parents[1] / "content").glob("*.md")}
    names = {p.name.split(".", 1)[0].casefold() for p in sample_build.site.iterdir()}
    assert names - content - {"pe2020"} <= RESERVED_NAMES, names - content - {"pe2020"} - RESERVED_NAMES


def test_dot_names_get_a_safe_page_and_the_dashboard_stays(tmp_path: Path) -> None:
    """A department named `..` would be departments/../ (the dashboard's folder) and `.` departments/ itself."""
    assert slugify("..") == slugify(".") == "unit" and slugify(".hidden.") == "hidden"
    assert len(registry_problems(registry_of("..", "."))) == 1  # both 'unit': one page, refused
    project = copy_project(tmp_path / "p")
    (project / "departments.yaml").write_text(registry_of(".."), encoding="utf-8")
    (project / "tasks.yaml").write_text(ledger().replace("lead: [办公室]", "lead: ['..']"), encoding="utf-8")
    build = run_build(project)
    assert build.returncode == 0, build.stderr[-3000:]
    heading = re.compile(r"<h1[^>]*>([^<]*)")
    assert heading.search(build.page("departments/unit/index.html"))[1].strip() == ".."
    assert 'href="unit/"' in build.page("departments/index.html")
    assert heading.search(build.page("index.html"))[1].startswith("2020年")  # the dashboard is still the dashboard
    assert sorted(p.name for p in (build.site / "departments").iterdir()) == ["index.html", "unit"]


def test_ids_and_names_over_the_limits_are_refused() -> None:
    long_id, ok_id = "a" * (MAX_ID + 1), "a" * MAX_ID
    assert problems(ledger(plan_id=ok_id, tasks=f"      - id: {ok_id[:-1]}t\n        title: 任务\n")) == []
    assert problems(ledger(plan_id=long_id)) == [
        f"tasks.yaml:2:7: “{'a' * 20}…”有 {MAX_ID + 1} 个字符，超过上限 {MAX_ID}"
        "（编号和网址名会用作网址和文件名）：请缩短"]
    assert len(problems(ledger(tasks=f"      - id: {long_id}\n        title: 任务\n"))) == 1
    assert len(registry_problems(f"departments:\n  - name: 甲\n    slug: {long_id}\n")) == 1
    name = "很" * (MAX_NAME + 1)
    assert registry_problems(registry_of("很" * MAX_NAME)) == []
    assert registry_problems(registry_of(name)) == [
        f"departments.yaml:2:11: 单位名称有 {MAX_NAME + 1} 个字符，超过上限 {MAX_NAME}"
        "（名称会用作网页的文件名）：请改用简称"]
    assert len(problems(ledger(tasks=f"      - id: t1\n        title: 任务\n        lead: [{name}]\n"))) == 1


def test_an_id_with_a_final_line_break_is_refused() -> None:
    """'$' matches before a final line break: "s1\\n" passed the id pattern and made a page named 's1\\n'."""
    assert problems(ledger(plan_id=q("p\n"))) == [
        "tasks.yaml:2:7: 编号“p\\n”只能包含字母、数字、点、短横线和下划线，且以字母或数字开头"]
    assert len(problems(ledger(sections=f"  - id: {q('s2' + chr(10))}\n    title: 第二部分\n"))) == 1


def test_page_ids_differing_only_in_case_or_a_final_dot_are_refused(tmp_path: Path) -> None:
    lines = problems(ledger(sections="  - id: S1\n    title: 第二部分\n  - id: s1.\n    title: 第三部分\n"))
    assert lines == [
        "tasks.yaml:12:9: 编号“S1”与“s1”（在 tasks.yaml:6:9）只差大小写或末尾的点：网站复制到 Windows 或 macOS 后"
        "两者是同一个文件，会互相覆盖：请换一个编号",
        "tasks.yaml:14:9: 编号“s1.”与“s1”（在 tasks.yaml:6:9）只差大小写或末尾的点：网站复制到 Windows 或 macOS 后"
        "两者是同一个文件，会互相覆盖：请换一个编号"]
    # task ids are anchors in a page, where case counts
    assert problems(ledger(tasks="      - id: T1\n        title: 任务\n      - id: t1\n        title: 任务\n")) == []
    # plan ids in two ledgers
    (tmp_path / "a.yaml").write_text(ledger(plan_id="Plan"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(ledger(plan_id="plan").replace("s1", "s9").replace("t1", "t9"),
                                     encoding="utf-8")
    with pytest.raises(LedgerError) as info:
        load(PortalConfig(root=tmp_path, ledgers=["a.yaml", "b.yaml"], registry=None, as_of=AS_OF))
    assert [p.render() for p in info.value.problems.errors] == [
        "b.yaml:2:7: 编号“plan”与“Plan”（在 a.yaml:2:7）只差大小写或末尾的点：网站复制到 Windows 或 macOS 后"
        "两者是同一个文件，会互相覆盖：请换一个编号"]


BLANKS = {"empty": "", "spaces": "   ", "spaces-and-a-tab": "  \t ", "ideographic-space": "\u3000",
          "no-break-space": " \u00a0 ", "zero-width-space": "\u200b", "joiners": "\u200c\u200d",
          "word-joiner-bom": "\u2060\ufeff"}
BLANK = "这里没有可见的文字（只有空格或零宽空格等不可见字符）：请写上内容"


@pytest.mark.parametrize("blank", list(BLANKS.values()), ids=list(BLANKS))
def test_titles_and_names_without_visible_text_are_refused(blank: str) -> None:
    task = f"      - id: t1\n        title: {q(blank)}\n        units: [{q(blank)}]\n"
    text = ledger(plan_title=q(blank), tasks=task, sections=f"  - id: s2\n    title: {q(blank)}\n")
    assert problems(text) == [f"tasks.yaml:3:10: {BLANK}", f"tasks.yaml:11:16: {BLANK}",
                              f"tasks.yaml:12:17: {BLANK}", f"tasks.yaml:14:12: {BLANK}"]
    assert registry_problems(registry_of(blank)) == [f"departments.yaml:2:11: {BLANK}"]
    assert problems(ledger(tasks=f"      - id: t1\n        title: {q('任务' + blank)}\n")) == []


# --- 3. links -------------------------------------------------------------------------------------------------------

OTHER_HOSTS = {"protocol-relative": "//evil.example/x", "triple-slash": "///evil.example/x",
               "unc-share": "\\\\evil.example\\share", "slash-backslash": "/\\evil.example/x",
               "backslash-path": "材料\\报告.pdf", "backslash-in-https": "https://example.gov.cn\\@evil.example/"}


@pytest.mark.parametrize("url", list(OTHER_HOSTS.values()), ids=list(OTHER_HOSTS))
def test_links_to_other_hosts_or_shares_are_refused(url: str) -> None:
    text = ledger(tasks=f"      - id: t1\n        title: 任务\n        evidence:\n          - {q(url)}\n")
    assert problems(text) == [f"tasks.yaml:13:13: 链接“{url}”无效："
                              "以 // 开头或含反斜杠 \\ 的链接会被浏览器当作其他网站的地址；"
                              "站外链接请写完整的 https://…，站内路径请用 /"]


def test_links_in_the_site_and_on_the_web_still_pass() -> None:
    urls = ["材料/报告.pdf", "./材料/x.pdf", "../files/x.pdf", "/files/x.pdf", "https://example.gov.cn/a//b",
            "http://example.gov.cn", "mailto:office@example.gov.cn", "报告.pdf#page=2"]
    items = "".join(f"          - {q(u)}\n" for u in urls)
    plan = load_text(ledger(tasks=f"      - id: t1\n        title: 任务\n        evidence:\n{items}"), as_of=AS_OF)
    assert [e.url for e in plan.walk_tasks()[0].evidence] == urls


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


# --- the other commands that read the ledger: fmt and diff -------------------------------------------------------


def test_fmt_refuses_a_link_and_leaves_it_a_link(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    real = project / "real.yaml"
    (project / "tasks.yaml").rename(real)
    (project / "tasks.yaml").symlink_to(real)
    done = subprocess.run([str(PORTAL), "fmt", "-f", str(project / "mkdocs.yml")], cwd=project,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "portal fmt 只整理普通文件" in done.stderr
    assert (project / "tasks.yaml").is_symlink()


def test_diff_reads_the_ledger_as_validation_does(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    git = ["git", "-c", "user.name=T", "-c", "user.email=t@example.gov.cn"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=project, check=True)
    subprocess.run([*git, "add", "."], cwd=project, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "初始"], cwd=project, check=True)
    (project / "tasks.yaml").unlink()
    (project / "tasks.yaml").symlink_to("/dev/zero")
    started = time.monotonic()
    done = subprocess.run([str(PORTAL), "diff", "HEAD", "-f", str(project / "mkdocs.yml")], cwd=project,
                          capture_output=True, text=True, timeout=60, preexec_fn=_small_memory)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert time.monotonic() - started < 30
    assert "tasks.yaml:" in done.stderr
