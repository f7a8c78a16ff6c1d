"""Answers spliced into a ledger's text (portal.round.edit): only the changed tasks' lines differ (issue 14)."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.ledger.load import load_text
from portal.round.commit import LedgerFile
from portal.round.edit import TaskEdit, apply, plan, render

AS_OF = dt.date(2020, 9, 30)
HEAD = "plan:\n  id: p\n  title: 方案\n  year: 2020\nsections:\n  - id: s1\n    title: 一\n    tasks:\n"


def _tasks(text: str) -> dict[str, object]:
    return {t.id: t for t in load_text(text, as_of=AS_OF).walk_tasks()}


def _changed(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_keys_a_task_lacks_are_added_in_the_schemas_order() -> None:
    text = HEAD + ("      - id: t1\n        title: 甲\n        deadline: 6月底前\n        tags: [a]\n"
                   "      - id: t2\n        title: 乙\n")
    edits = {"t1": TaskEdit("t1", status="进行中", percent=30,
                            updates=[{"date": dt.date(2020, 9, 25), "text": "做了", "by": "办公室"}],
                            evidence=["https://a.example/x"])}
    new, pieces = apply(text, edits)
    assert new == HEAD + (
        "      - id: t1\n        title: 甲\n        deadline: 6月底前\n        status: 进行中\n        percent: 30\n"
        "        updates:\n          - date: 2020-09-25\n            text: 做了\n            by: 办公室\n"
        "        evidence:\n          - https://a.example/x\n        tags: [a]\n      - id: t2\n        title: 乙\n")
    assert [(p.first, p.last) for p in pieces] == [(12, 12), (13, 13), (14, 17), (18, 19)]
    t1 = _tasks(new)["t1"]
    assert (t1.status.value, t1.percent, t1.updates[0].text, t1.evidence[0].url) == (
        "in_progress", 30, "做了", "https://a.example/x")


def test_flow_and_single_lists_become_block_lists_and_blocks_are_appended_to() -> None:
    text = HEAD + ("      - id: t1\n        title: 甲\n        updates: []\n"
                   "        evidence: https://old.example  # 旧\n"
                   "      - id: t2\n        title: 乙\n        updates:\n        - date: 2020-01-02\n"
                   "          text: |-\n            一\n            二\n\n        # 关于佐证\n        evidence:\n"
                   "        - https://b.example\n")
    up = {"date": dt.date(2020, 9, 25), "text": "新", "by": "办公室"}
    new, _ = apply(text, {"t1": TaskEdit("t1", updates=[up], evidence=[{"title": "简报", "url": "https://n.example"}]),
                          "t2": TaskEdit("t2", updates=[up])})
    tasks = _tasks(new)
    assert [u.text for u in tasks["t1"].updates] == ["新"]
    assert [e.url for e in tasks["t1"].evidence] == ["https://old.example", "https://n.example"]
    assert [u.text for u in tasks["t2"].updates] == ["一\n二", "新"]
    assert "        # 关于佐证\n        evidence:\n" in new  # the comment before the next key stays with it
    assert "# 旧" in new
    # an indentless list keeps its own indentation
    assert "        - date: 2020-09-25\n          text: 新\n          by: 办公室\n" in new


def test_a_file_without_a_final_line_break_and_a_ledger_with_crlf_and_bom(tmp_path: Path) -> None:
    text = HEAD + "      - id: t1\n        title: 甲\n        status: 未启动"
    new, _ = apply(text, {"t1": TaskEdit("t1", status="进行中", percent=10)})
    assert new == HEAD + "      - id: t1\n        title: 甲\n        status: 进行中\n        percent: 10"
    path = tmp_path / "tasks.yaml"
    path.write_bytes(("\ufeff" + text + "\n").replace("\n", "\r\n").encode("utf-8"))
    f = LedgerFile.read(path)
    assert f.crlf and f.bom and "\r" not in f.text
    new, _ = apply(f.text, {"t1": TaskEdit("t1", status="进行中", percent=10)})
    data = f.encoded(new)
    assert data.startswith("\ufeff".encode()) and data.count(b"\r\n") == data.count(b"\n")
    assert len(_changed(f.text, new)) == 3  # the status line, and the percent added


def test_the_first_departments_splices_make_a_ledger_of_their_own() -> None:
    text = HEAD + "      - id: t1\n        title: 甲\n"
    edits = {"t1": TaskEdit("t1", updates=[{"date": dt.date(2020, 9, 1), "text": "甲", "by": "A"},
                                           {"date": dt.date(2020, 9, 2), "text": "乙", "by": "B"}],
                            refs={("updates", 0): (0, "updates"), ("updates", 1): (1, "updates")})}
    splices = plan(text, edits)
    first, _ = render(text, [s for s in splices if s.ref[0] == 0])
    assert [u.text for u in _tasks(first)["t1"].updates] == ["甲"]
    both, _ = render(text, splices)
    assert [u.text for u in _tasks(both)["t1"].updates] == ["甲", "乙"]


def test_an_unknown_task_is_an_error() -> None:
    with pytest.raises(KeyError):
        apply(HEAD + "      - id: t1\n        title: 甲\n", {"t9": TaskEdit("t9", percent=1)})


PIECES = st.sampled_from(["\n", "\t", ": ", " #", "- ", "'", '"', "yes", "null", "~", "0o17", "2020-01-01", "[a]",
                          "{b}", "@", "%", "`", "!", "&x", "*x", "|", ">", "\u3000", "……", "：", "1e3", "=1+1"])
CHARS = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\ufeff\x85"),
                max_size=8)
TEXT = st.lists(PIECES | CHARS, min_size=1, max_size=6).map("".join).map(str.strip).filter(bool)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, TEXT)
def test_any_text_a_department_types_reads_back_as_typed(text: str, by: str) -> None:
    ledger = HEAD + ("      - id: t1\n        title: 甲\n        updates:\n          - date: 2020-01-02\n"
                     "            text: 旧\n")
    new, _ = apply(ledger, {"t1": TaskEdit("t1", updates=[{"date": dt.date(2020, 9, 25), "text": text, "by": by}])})
    update = _tasks(new)["t1"].updates[-1]
    assert (update.text, update.by) == (text, by)
    assert _changed(ledger, new)[0].startswith("+          - date: 2020-09-25")
