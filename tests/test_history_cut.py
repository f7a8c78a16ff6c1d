"""The incremental cut of ledger versions: taking up the parent's cut gives what a cut of the whole text gives.

A scripted series of edits on the sample ledger (tasks changed, added, removed, moved, sections added before
others so that every later region shifts, lists re-indented, block text that looks like an item, a byte order
mark, the final newline dropped) and a long series of random line edits; after each, the cut taken up from
the previous version is compared with a cut from scratch, and the state read through the chain with a state
read from scratch and with the whole text parsed at once.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from portal.history.cache import Cache
from portal.history.versions import BOM, Cut, LedgerState, StateReader, VersionError, cut

SAMPLE = (Path(__file__).resolve().parents[1] / "tasks.yaml").read_text(encoding="utf-8")


def item(tid: str, title: str, indent: int = 10, extra: str = "") -> str:
    pad = " " * indent
    return (f"{pad}- id: {tid}\n{pad}  title: {title}\n{pad}  deadline: 10月底前\n{pad}  status: 进行中\n"
            f"{pad}  percent: 20\n" + extra)


def once(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)
    return edit


def move_t03_after_t05(text: str) -> str:
    a = text.index("          - id: t03\n")
    b = text.index("          - id: t04\n")
    chunk, rest = text[a:b], text[:a] + text[b:]
    at = rest.index("          - id: t06\n")
    return rest[:at] + chunk + rest[at:]


NEW_SECTION = ("  - id: s0\n    number: 〇、\n    title: 新增的部分\n    lead: [办公室]\n    tasks:\n"
               + item("n01", "新增任务一", 6) + item("n02", "新增任务二", 6))

EDITS: list[tuple[str, Callable[[str], str]]] = [
    ("a task's status", once("status: 进行中\n            percent: 75", "status: 已完成\n            percent: 100")),
    ("a task added in the middle", once("          - id: t04\n", item("x01", "插入的任务") + "          - id: t04\n")),
    ("two tasks far apart", lambda t: once("title: 4月份制定", "title: 5月份制定")(
        t.replace("status: 未启动", "status: 进行中", 1))),
    ("a task removed", lambda t: t.replace(item("x01", "插入的任务"), "")),
    ("a task moved", move_t03_after_t05),
    ("a section before all others: every region shifts", once("sections:\n  - id: s1\n",
                                                              "sections:\n" + NEW_SECTION + "  - id: s1\n")),
    ("the new section's list re-indented one level deeper",
     lambda t: t.replace(item("n01", "新增任务一", 6) + item("n02", "新增任务二", 6),
                         item("n01", "新增任务一", 8) + item("n02", "新增任务二", 8), 1)),
    ("a task's id renamed", once("- id: t02\n", "- id: t02b\n")),
    ("block text that reads like an item", once("          - id: t05\n",
                                                 item("x02", "说明", extra="            details: |\n"
                                                      "              - id: t99\n              tasks:\n")
                                                 + "          - id: t05\n")),
    ("a comment after an id", once("- id: t06\n", "- id: t06  # 重点\n")),
    ("a second task with an id already used", once("          - id: t07\n",
                                                    item("t01", "重复编号") + "          - id: t07\n")),
    ("the duplicate removed again", lambda t: t.replace(item("t01", "重复编号"), "")),
    ("the tasks key of the new section renamed", once("    tasks:\n" + item("n01", "新增任务一", 8)[:10],
                                                      "    items:\n" + item("n01", "新增任务一", 8)[:10])),
    ("and back", once("    items:\n", "    tasks:\n")),
    ("the final newline dropped", lambda t: t.rstrip("\n")),
    ("text added after the last task", lambda t: t + "\n" + item("z01", "末尾新增", 10)),
    ("a byte order mark", lambda t: "\ufeff" + t),
    ("the mark taken off and a blank line in a task", lambda t: t.lstrip("\ufeff").replace(
        "            status: 进行中\n", "            status: 进行中\n\n", 3)),
    ("half the ledger removed", lambda t: t[:t.index("          - id: t10\n")]),
    ("the whole sample again", lambda t: SAMPLE),
]


def shape(c: Cut) -> tuple[bytes, list[tuple[str | None, bytes]]]:
    return c.skeleton, [(s.name, s.text) for s in c.chunks]


def tasks(state: LedgerState) -> list[tuple[str, dict[str, object]]]:
    return [(task_id, t.data) for task_id, t in state.tasks.items()]


def read(reader: StateReader, text: str) -> LedgerState | str:
    try:
        return reader.read_bytes(text.encode("utf-8"), "tasks.yaml")
    except VersionError as err:
        return f"error: {err}"


def check_chain(texts: list[str], *, whole: bool) -> tuple[int, int]:
    """Cut and read each text after the one before; compare with a fresh cut, a fresh read and, when ``whole``,
    the whole text parsed at once. How many versions took up their parent's cut in part, and how many read."""
    chain = StateReader(Cache())
    base: Cut | None = None
    taken_up = states = 0
    for n, text in enumerate(texts):
        data = text.encode("utf-8")
        now = cut(data, base)
        assert shape(now) == shape(cut(data)), n
        assert b"".join(s.text for s in now.segments) == data.removeprefix(BOM), n
        taken_up += base is not None and len(now.fresh) < len(now.segments)
        base = now
        got, fresh = read(chain, text), read(StateReader(Cache()), text)
        if isinstance(fresh, str):
            assert got == fresh, n
            continue
        assert isinstance(got, LedgerState), (n, got)
        states += 1
        assert tasks(got) == tasks(fresh), n
        assert (got.plan_id, got.title, got.year, got.timezone) == (fresh.plan_id, fresh.title, fresh.year,
                                                                    fresh.timezone)
        if whole:
            assert tasks(got) == tasks(StateReader(Cache())._whole(text.lstrip("\ufeff"), "tasks.yaml")), n
    return taken_up, states


def test_scripted_edits_cut_and_read_as_from_scratch() -> None:
    texts = [SAMPLE]
    for _, edit in EDITS:
        texts.append(edit(texts[-1]))
    assert all(a != b for a, b in itertools.pairwise(texts)), "every edit changes the text"
    taken_up, states = check_chain(texts, whole=True)
    assert taken_up >= len(EDITS) - 2  # the chain does take up cuts
    assert states == len(texts)  # every version reads, and reads as the whole text parsed at once


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_line_edits_cut_as_from_scratch(seed: int) -> None:
    rng = random.Random(seed)
    lines = SAMPLE.splitlines(keepends=True)
    texts = [SAMPLE]
    for _ in range(120):
        at = rng.randrange(len(lines))
        size = rng.randint(1, 12)
        kind = rng.choice(["delete", "copy", "indent", "dedent", "retitle", "move"])
        if kind == "delete":
            del lines[at:at + size]
        elif kind == "copy":
            lines[at:at] = lines[rng.randrange(len(lines)):][:size]
        elif kind in ("indent", "dedent"):
            lines[at:at + size] = [("  " + line) if kind == "indent" else line.removeprefix("  ")
                                   for line in lines[at:at + size]]
        elif kind == "retitle":
            lines[at] = lines[at].replace("title:", "title: 改", 1) if "title:" in lines[at] else lines[at] + "\n"
        else:
            taken = lines[at:at + size]
            del lines[at:at + size]
            to = rng.randrange(len(lines) + 1)
            lines[to:to] = taken
        if not lines:
            lines = SAMPLE.splitlines(keepends=True)
        texts.append("".join(lines))
    taken_up, _ = check_chain(texts, whole=False)  # most of these texts are not YAML: the cuts still agree
    assert taken_up > 100


ITEM = re.compile(r"^( *)- id: (t\w+)\n(?:\1  .*\n|\n)*", re.MULTILINE)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_task_edits_read_as_the_whole_text(seed: int) -> None:
    rng = random.Random(seed)
    texts = [SAMPLE]
    for step in range(40):
        text = texts[-1]
        items = list(ITEM.finditer(text))
        m = rng.choice(items)
        kind = rng.choice(["delete", "copy", "move", "status", "title", "update"])
        if kind == "delete" and len(items) > 5:
            text = text[:m.start()] + text[m.end():]
        elif kind in ("copy", "move"):
            piece = m[0].replace(f"- id: {m[2]}\n", f"- id: {m[2]}c{step}\n", 1) if kind == "copy" else m[0]
            rest = text if kind == "copy" else text[:m.start()] + text[m.end():]
            to = rng.choice([i for i in ITEM.finditer(rest) if i[1] == m[1]])  # before an item of the same list
            text = rest[:to.start()] + piece + rest[to.start():]
        elif kind == "status":
            status = rng.choice(["已完成", "进行中", "未启动"])
            piece = re.sub(r"status: \S+", f"status: {status}", m[0], count=1)
            text = text[:m.start()] + piece + text[m.end():]
        else:
            piece = m[0].replace("title: ", f"title: 第{step}次", 1) if kind == "title" else (
                m[0] + f"{m[1]}  problem: 第{step}次问题\n")
            text = text[:m.start()] + piece + text[m.end():]
        texts.append(text)
    taken_up, states = check_chain(texts, whole=True)
    assert taken_up == len(texts) - 1 and states == len(texts)


def test_a_version_not_in_utf8_is_an_error_and_the_next_reads() -> None:
    reader = StateReader(Cache())
    first = reader.read_bytes(SAMPLE.encode("utf-8"), "tasks.yaml")
    bad = SAMPLE.replace("title: 4月份制定", "title: 4月份\udcff制定", 1).encode("utf-8", "surrogateescape")
    with pytest.raises(VersionError, match="not UTF-8"):
        reader.read_bytes(bad, "tasks.yaml")
    again = reader.read_bytes(SAMPLE.replace("percent: 75", "percent: 80", 1).encode("utf-8"), "tasks.yaml")
    assert tasks(again) != tasks(first) and len(again.tasks) == len(first.tasks)
