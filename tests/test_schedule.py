"""Golden tests for portal.deadlines: reading deadline wording and deciding due states."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from portal.deadlines.calendar import end_of_day, month_end, today_in
from portal.deadlines.due import DueState, due_state, next_due
from portal.deadlines.wording import find_deadline_phrases, parse_deadline
from portal.ledger.model import Deadline, DeadlinePart, Every, Status, Task, Update

SEED = Path(__file__).parents[2] / "shared" / "seeds" / "plan-2020-political-ecology.txt"
Y = 2020


def d(month: int, day: int, year: int = Y) -> dt.date:
    return dt.date(year, month, day)


# Expected parts as plain tuples: (kind, text, start, due, every, weekday).
def D(text: str, due: dt.date) -> tuple:  # short golden-table constructors
    return ("date", text, None, due, None, None)


def W(text: str, start: dt.date, due: dt.date) -> tuple:
    return ("window", text, start, due, None, None)


def R(text: str, every: Every, weekday: int | None = None, year: int = Y) -> tuple:
    return ("recurring", text, dt.date(year, 1, 1), dt.date(year, 12, 31), every, weekday)


def O(text: str) -> tuple:  # noqa: E743
    return ("ongoing", text, None, None, None, None)


def as_tuple(p: DeadlinePart) -> tuple:
    return (p.kind, p.text, p.start, p.due, p.every, p.weekday)


# ---------------------------------------------------------------------------
# parse_deadline: whole field values
# ---------------------------------------------------------------------------

PARSE_CASES: list[tuple[str, list[tuple]]] = [
    # single months
    ("4月份", [W("4月份", d(4, 1), d(4, 30))]),
    ("4月", [W("4月", d(4, 1), d(4, 30))]),
    ("6月底前", [D("6月底前", d(6, 30))]),
    ("6月底", [D("6月底", d(6, 30))]),
    ("6月末", [D("6月末", d(6, 30))]),
    ("6月底之前", [D("6月底之前", d(6, 30))]),
    ("4月上旬", [D("4月上旬", d(4, 10))]),
    ("4月中旬", [D("4月中旬", d(4, 20))]),
    ("2月下旬", [D("2月下旬", d(2, 29))]),
    ("4月中旬前", [D("4月中旬前", d(4, 20))]),
    ("7月初", [D("7月初", d(7, 10))]),
    ("7月份前", [D("7月份前", d(6, 30))]),
    ("7月前", [D("7月前", d(6, 30))]),
    ("1月份前", [D("1月份前", dt.date(2019, 12, 31))]),
    ("5月20日前", [D("5月20日前", d(5, 20))]),
    ("5月20日", [D("5月20日", d(5, 20))]),
    ("５月２０日前", [D("５月２０日前", d(5, 20))]),
    ("１２月底前", [D("１２月底前", d(12, 31))]),
    ("十二月", [W("十二月", d(12, 1), d(12, 31))]),
    ("十一月底前", [D("十一月底前", d(11, 30))]),
    ("2021年6月底前", [D("2021年6月底前", dt.date(2021, 6, 30))]),
    ("明年3月份", [W("明年3月份", dt.date(2021, 3, 1), dt.date(2021, 3, 31))]),
    # month windows
    ("9-11月份", [W("9-11月份", d(9, 1), d(11, 30))]),
    ("9—11月", [W("9—11月", d(9, 1), d(11, 30))]),
    ("9～11月", [W("9～11月", d(9, 1), d(11, 30))]),
    ("9至11月", [W("9至11月", d(9, 1), d(11, 30))]),
    ("9月至11月", [W("9月至11月", d(9, 1), d(11, 30))]),
    ("9月-11月", [W("9月-11月", d(9, 1), d(11, 30))]),
    ("3月1日至5月15日", [W("3月1日至5月15日", d(3, 1), d(5, 15))]),
    ("11月至次年3月", [W("11月至次年3月", d(11, 1), dt.date(2021, 3, 31))]),
    ("4月至年底", [W("4月至年底", d(4, 1), d(12, 31))]),
    # holidays
    ("“七一”前", [D("“七一”前", d(6, 30))]),
    ('"七一"前', [D('"七一"前', d(6, 30))]),
    ("七一前", [D("七一前", d(6, 30))]),
    ("“五一”前", [D("“五一”前", d(4, 30))]),
    ("“十一”前", [D("“十一”前", d(9, 30))]),
    ("国庆前", [D("国庆前", d(9, 30))]),
    # the year
    ("年内", [D("年内", d(12, 31))]),
    ("年底前", [D("年底前", d(12, 31))]),
    ("年底", [D("年底", d(12, 31))]),
    ("年终", [D("年终", d(12, 31))]),
    ("年末", [D("年末", d(12, 31))]),
    ("今年内", [D("今年内", d(12, 31))]),
    ("年前", [D("年前", d(12, 31))]),
    ("2021年底前", [D("2021年底前", dt.date(2021, 12, 31))]),
    ("上半年", [W("上半年", d(1, 1), d(6, 30))]),
    ("下半年", [W("下半年", d(7, 1), d(12, 31))]),
    ("一季度", [W("一季度", d(1, 1), d(3, 31))]),
    ("第二季度", [W("第二季度", d(4, 1), d(6, 30))]),
    ("三季度", [W("三季度", d(7, 1), d(9, 30))]),
    ("第四季度", [W("第四季度", d(10, 1), d(12, 31))]),
    ("三季度末", [D("三季度末", d(9, 30))]),
    # recurring
    ("每周", [R("每周", Every.WEEK)]),
    ("每周二", [R("每周二", Every.WEEK, 1)]),
    ("每周日", [R("每周日", Every.WEEK, 6)]),
    ("每月", [R("每月", Every.MONTH)]),
    ("每季度", [R("每季度", Every.QUARTER)]),
    ("每季", [R("每季", Every.QUARTER)]),
    ("每半年", [R("每半年", Every.HALF_YEAR)]),
    ("每年", [R("每年", Every.YEAR)]),
    ("每月一次", [R("每月", Every.MONTH)]),
    ("坚持每周二", [R("每周二", Every.WEEK, 1)]),
    # ongoing
    ("持续", [O("持续")]),
    ("长期", [O("长期")]),
    ("常态化", [O("常态化")]),
    ("长期坚持", [O("长期坚持")]),
    ("持之以恒", [O("持之以恒")]),
    # several parts and connecting words
    ("7月份前和12月份前", [D("7月份前", d(6, 30)), D("12月份前", d(11, 30))]),
    ("分别在7月份前和12月份前", [D("7月份前", d(6, 30)), D("12月份前", d(11, 30))]),
    ("6月底前、9月底前及12月底前", [D("6月底前", d(6, 30)), D("9月底前", d(9, 30)), D("12月底前", d(12, 31))]),
    ("6月底前完成", [D("6月底前", d(6, 30))]),
    (" 6月底前。", [D("6月底前", d(6, 30))]),
    # not understood: [] so that the loader reports it
    ("", []),
    ("适时", []),
    ("6次", []),
    ("2020年", []),
    ("13月份", []),
    ("0月份", []),
    ("6月31日前", []),
    ("6月底前完成初稿", []),
    ("原则上半年内", []),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES, ids=[c[0] or "empty" for c in PARSE_CASES])
def test_parse_deadline(text: str, expected: list[tuple]) -> None:
    assert [as_tuple(p) for p in parse_deadline(text, Y)] == expected


def test_parse_deadline_uses_the_plan_year() -> None:
    assert [as_tuple(p) for p in parse_deadline("2月底前", 2021)] == [D("2月底前", dt.date(2021, 2, 28))]
    assert [as_tuple(p) for p in parse_deadline("每月", 2022)] == [R("每月", Every.MONTH, year=2022)]


# ---------------------------------------------------------------------------
# find_deadline_phrases: free text
# ---------------------------------------------------------------------------

FIND_CASES: list[tuple[str, list[tuple]]] = [
    ("每月至少安排一次学习会议", [R("每月", Every.MONTH)]),
    ("推广“学习强国”学习平台，每月通报学习积分情况", [R("每月", Every.MONTH)]),
    ("坚持每周二以党支部为单位开展集体学习", [R("每周二", Every.WEEK, 1)]),
    ("每周一次", [R("每周", Every.WEEK)]),  # once a week, not every Monday
    ("每周一、三、五开展巡查", [R("每周", Every.WEEK)]),
    ("实行一月一通报", [R("一月一", Every.MONTH)]),
    ("每年年底前报送", [R("每年年底前", Every.YEAR)]),
    ("在“七一”前，开展重温入党誓词活动", [D("“七一”前", d(6, 30))]),
    ("4月份至年底开展专项整治", [W("4月份至年底", d(4, 1), d(12, 31))]),
    ("6月份前期准备", [W("6月份", d(6, 1), d(6, 30))]),  # 前期 is 'preparatory', not 'before'
    ("年终通过考核评估", [D("年终", d(12, 31))]),
    ("推动作风建设常态化。", [O("常态化")]),
    ("（47）持续精简行政许可事项", [O("持续")]),
    ("完成时限：长期", [O("长期")]),
    (
        "2021年6月底前完成，2021年底前验收",
        [D("2021年6月底前", dt.date(2021, 6, 30)), D("2021年底前", dt.date(2021, 12, 31))],
    ),
]

NOT_PHRASES = [
    "年内组织党员干部开展6次廉政学习"[4:],  # '开展6次廉政学习'
    "力争10个支部均达到3星级以上",
    "每季度至少向领导小组办公室报送1篇工作信息"[3:],
    "督促开展“三会一课”达到100%",
    "制定《2020年局党组理论学习中心组学习计划》",
    "《2020年度党支部工作计划》",
    "2019年视察X重要讲话精神",
    "全面落实中央扫黑除恶第××督导组反馈意见",
    "原则上半年内要有实际成效",
    "中期（2年内）或长期（3年及3年以上）",
    "三年前的问题",
    "年终考核被自治区扣2分以上",
    "切实抓好常态化疫情防控",
    "长期以来存在的问题",
    "推动可持续发展",
    "安排一周时间下基层",
    "每次督查结束后",
    "今年发文数量和开会次数要比上年有明显下降",
    "带头进行年度述职述廉",
    "统一月报格式",
    "联系点1-2次",
    "13月份",
    "6月31日前",
]


@pytest.mark.parametrize(("text", "expected"), FIND_CASES, ids=[c[0] for c in FIND_CASES])
def test_find_deadline_phrases(text: str, expected: list[tuple]) -> None:
    assert [as_tuple(p) for _, _, p in find_deadline_phrases(text, Y)] == expected


@pytest.mark.parametrize("text", NOT_PHRASES)
def test_numbers_that_are_not_deadlines(text: str) -> None:
    assert find_deadline_phrases(text, Y) == []


def test_spans_in_text_order() -> None:
    text = "（9）分别在7月份前和12月份前召开领导干部警示教育大会"
    found = find_deadline_phrases(text, Y)
    assert [(s, e, p.text) for s, e, p in found] == [(6, 10, "7月份前"), (11, 16, "12月份前")]
    assert [p.due for _, _, p in found] == [d(6, 30), d(11, 30)]


# Every (n) sub-task of the seed plan and the part wordings a person reads in it.
SEED_EXPECTED: dict[int, list[str]] = {
    1: ["4月份", "每月"],
    2: ["每周二", "每月", "6月份", "每月", "9-11月份"],
    3: ["7月份"],
    4: ["“七一”前"],
    5: ["6月底前"],
    6: ["4月底前"],
    7: ["“七一”前"],
    8: ["6月底前"],
    9: ["7月份前", "12月份前"],
    10: [],
    11: ["12月底前"],
    12: ["9月底前"],
    13: ["4月份", "4月底前"],
    14: [],
    15: ["5月份", "年终"],
    16: ["4月份", "4月中旬"],
    17: ["5月份"],
    18: ["6月底前"],
    19: [],
    20: [],
    21: [],
    22: [],
    23: [],
    24: [],
    25: [],
    26: ["持之以恒"],  # 持之以恒纠治“四风”: an ongoing duty
    27: [],
    28: [],
    29: [],
    30: [],
    31: [],
    32: ["6月份"],
    33: ["6月份"],
    34: ["12月底前"],
    35: [],
    36: [],
    37: [],
    38: ["年底前"],
    39: ["年内"],
    40: ["6月底前"],
    41: [],
    42: ["7月份"],
    43: [],
    44: ["4月底前"],
    45: ["7月份"],
    46: ["7月份"],
    47: ["持续"],  # 持续精简行政许可事项
    48: ["年底前", "6月底前"],
    49: [],
    50: [],
    51: [],
    52: ["每季度"],
}


def seed_subtasks(text: str) -> dict[int, str]:
    """Sub-task text by number: from after '（n）' to the next marker or the end of the line."""
    marks = list(re.finditer(r"（(\d+)）", text))
    out: dict[int, str] = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        newline = text.find("\n", m.end())
        out[int(m.group(1))] = text[m.end() : end if newline == -1 else min(end, newline)]
    return out


@pytest.mark.skipif(not SEED.exists(), reason=f"seed plan not found at {SEED}")
def test_seed_plan_subtasks() -> None:
    subtasks = seed_subtasks(SEED.read_text(encoding="utf-8"))
    assert sorted(subtasks) == list(range(1, 53))
    got = {n: [p.text for _, _, p in find_deadline_phrases(t, Y)] for n, t in subtasks.items()}
    assert got == SEED_EXPECTED


@pytest.mark.skipif(not SEED.exists(), reason=f"seed plan not found at {SEED}")
def test_seed_plan_part_values() -> None:
    subtasks = seed_subtasks(SEED.read_text(encoding="utf-8"))
    parts = {n: [as_tuple(p) for _, _, p in find_deadline_phrases(t, Y)] for n, t in subtasks.items()}
    assert parts[2] == [
        R("每周二", Every.WEEK, 1),
        R("每月", Every.MONTH),
        W("6月份", d(6, 1), d(6, 30)),
        R("每月", Every.MONTH),
        W("9-11月份", d(9, 1), d(11, 30)),
    ]
    assert parts[9] == [D("7月份前", d(6, 30)), D("12月份前", d(11, 30))]
    assert parts[16] == [W("4月份", d(4, 1), d(4, 30)), D("4月中旬", d(4, 20))]
    assert parts[15] == [W("5月份", d(5, 1), d(5, 31)), D("年终", d(12, 31))]
    assert parts[52] == [R("每季度", Every.QUARTER)]


PHRASE_ALPHABET = (
    "0123456789１２一二三四五六七十年月份底前末旬上中下日号至-—每周季度半内终“”七持续长期坚常态化第个次，、和"
)


def test_find_never_fails_and_spans_are_consistent() -> None:
    rng = random.Random(20200401)  # fixed seed: random-looking text, same every run
    for _ in range(3000):
        text = "".join(rng.choices(PHRASE_ALPHABET, k=rng.randint(0, 30)))
        last_end = 0
        for start, end, part in find_deadline_phrases(text, Y):
            assert last_end <= start < end <= len(text), text
            assert text[start:end] == part.text, text
            assert part.kind in {"date", "window", "recurring", "ongoing"}, text
            if part.start is not None and part.due is not None:
                assert part.start <= part.due, text
            last_end = end


# ---------------------------------------------------------------------------
# next_due
# ---------------------------------------------------------------------------


def rec(every: Every, weekday: int | None = None, year: int = Y) -> DeadlinePart:
    return DeadlinePart(
        kind="recurring", text="每", start=dt.date(year, 1, 1), due=dt.date(year, 12, 31), every=every, weekday=weekday
    )


NEXT_DUE_CASES: list[tuple[str, DeadlinePart, dt.date, dt.date | None]] = [
    ("date part", DeadlinePart("date", "6月底前", due=d(6, 30)), d(8, 1), d(6, 30)),
    ("ongoing part", DeadlinePart("ongoing", "持续"), d(8, 1), None),
    ("monthly", rec(Every.MONTH), d(2, 10), d(2, 29)),
    ("monthly on the due day", rec(Every.MONTH), d(2, 29), d(2, 29)),
    ("weekly Tuesday, on Monday", rec(Every.WEEK, 1), d(3, 9), d(3, 10)),
    ("weekly Tuesday, on Tuesday", rec(Every.WEEK, 1), d(3, 10), d(3, 10)),
    ("weekly Tuesday, on Wednesday", rec(Every.WEEK, 1), d(3, 11), d(3, 17)),
    ("weekly", rec(Every.WEEK), d(3, 11), d(3, 15)),
    ("weekly, last week clamped to the range", rec(Every.WEEK), d(12, 30), d(12, 31)),
    ("weekly Friday after the range", rec(Every.WEEK, 4), d(12, 30), None),
    ("weekly Tuesday before the range", rec(Every.WEEK, 1), dt.date(2019, 12, 1), d(1, 7)),
    ("quarterly", rec(Every.QUARTER), d(5, 5), d(6, 30)),
    ("half-yearly", rec(Every.HALF_YEAR), d(8, 1), d(12, 31)),
    ("yearly", rec(Every.YEAR), d(3, 1), d(12, 31)),
    ("monthly before the range", rec(Every.MONTH), dt.date(2019, 11, 1), d(1, 31)),
    ("monthly after the range", rec(Every.MONTH), dt.date(2021, 1, 1), None),
]


@pytest.mark.parametrize(("name", "part", "as_of", "expected"), NEXT_DUE_CASES, ids=[c[0] for c in NEXT_DUE_CASES])
def test_next_due(name: str, part: DeadlinePart, as_of: dt.date, expected: dt.date | None) -> None:
    assert next_due(part, as_of) == expected


# ---------------------------------------------------------------------------
# due_state
# ---------------------------------------------------------------------------


def date_part(month: int, day: int, done: dt.date | None = None) -> DeadlinePart:
    return DeadlinePart("date", f"{month}月{day}日前", due=d(month, day), done=done)


def task(parts: list[DeadlinePart] | None, status: Status = Status.IN_PROGRESS, updates: list[dt.date] = ()) -> Task:
    deadline = Deadline(text="", parts=parts) if parts is not None else None
    return Task(
        id="t", title="t", deadline=deadline, status=status, updates=[Update(date=u, text="进展") for u in updates]
    )


JUNE = date_part(6, 30)
NOV = date_part(11, 30)
MET_JUNE = date_part(6, 30, done=d(6, 28))
WINDOW = DeadlinePart("window", "9-11月份", start=d(9, 1), due=d(11, 30))
ONGOING = DeadlinePart("ongoing", "持续")
MONTHLY = rec(Every.MONTH)
WEEKLY_TUE = rec(Every.WEEK, 1)
WEEKLY = rec(Every.WEEK)
QUARTERLY = rec(Every.QUARTER)

# (name, task, as_of, (state, due, days, deciding part))
DUE_CASES: list[tuple[str, Task, dt.date, tuple]] = [
    ("due today", task([JUNE]), d(6, 30), ("due_soon", d(6, 30), 0, JUNE)),
    ("due in 7 days", task([JUNE]), d(6, 23), ("due_soon", d(6, 30), 7, JUNE)),
    ("due in 8 days", task([JUNE]), d(6, 22), ("upcoming", d(6, 30), 8, JUNE)),
    ("overdue the next day", task([JUNE]), d(7, 1), ("overdue", d(6, 30), -1, JUNE)),
    ("not started, overdue", task([JUNE], Status.NOT_STARTED), d(7, 1), ("overdue", d(6, 30), -1, JUNE)),
    ("suspended, overdue", task([JUNE], Status.SUSPENDED), d(7, 1), ("overdue", d(6, 30), -1, JUNE)),
    ("earliest overdue decides", task([NOV, JUNE]), d(12, 5), ("overdue", d(6, 30), -158, JUNE)),
    ("met milestone skipped", task([MET_JUNE, NOV]), d(7, 15), ("upcoming", d(11, 30), 138, NOV)),
    ("all milestones met", task([MET_JUNE]), d(7, 15), ("none", None, None, None)),
    ("window", task([WINDOW]), d(10, 1), ("upcoming", d(11, 30), 60, WINDOW)),
    ("window passed", task([WINDOW]), d(12, 1), ("overdue", d(11, 30), -1, WINDOW)),
    ("no deadline", task(None), d(7, 1), ("none", None, None, None)),
    ("empty deadline", task([]), d(7, 1), ("none", None, None, None)),
    ("all ongoing", task([ONGOING]), d(7, 1), ("none", None, None, None)),
    ("ongoing part ignored", task([ONGOING, NOV]), d(11, 25), ("due_soon", d(11, 30), 5, NOV)),
    ("done", task([JUNE, NOV], Status.DONE), d(7, 1), ("closed", d(11, 30), 152, None)),
    ("cancelled", task([JUNE], Status.CANCELLED), d(7, 1), ("closed", d(6, 30), -1, None)),
    ("cancelled, no deadline", task(None, Status.CANCELLED), d(7, 1), ("closed", None, None, None)),
    ("ongoing status never overdue", task([JUNE], Status.ONGOING), d(12, 1), ("none", None, None, None)),
    # recurring
    ("monthly, no update", task([MONTHLY]), d(3, 15), ("overdue", d(2, 29), -15, MONTHLY)),
    (
        "monthly, updated in February",
        task([MONTHLY], updates=[d(2, 10)]),
        d(3, 15),
        ("upcoming", d(3, 31), 16, MONTHLY),
    ),
    # An update dated in March is February's late report (not overdue) and meets March: the next due is April's
    # (it said 3-31 before issue 15: a period already met showed as due).
    ("monthly, late update counts", task([MONTHLY], updates=[d(3, 10)]), d(3, 15), ("upcoming", d(4, 30), 46, MONTHLY)),
    (
        "monthly, update before the period",
        task([MONTHLY], updates=[d(1, 31)]),
        d(3, 15),
        ("overdue", d(2, 29), -15, MONTHLY),
    ),
    ("monthly, first period", task([MONTHLY]), d(1, 25), ("due_soon", d(1, 31), 6, MONTHLY)),
    ("weekly Tuesday, missed", task([WEEKLY_TUE]), d(3, 12), ("overdue", d(3, 10), -2, WEEKLY_TUE)),
    ("weekly Tuesday, updated", task([WEEKLY_TUE], updates=[d(3, 9)]), d(3, 12), ("due_soon", d(3, 17), 5, WEEKLY_TUE)),
    ("weekly, updated last week", task([WEEKLY], updates=[d(3, 2)]), d(3, 11), ("due_soon", d(3, 15), 4, WEEKLY)),
    ("quarterly, missed", task([QUARTERLY]), d(4, 1), ("overdue", d(3, 31), -1, QUARTERLY)),
    (
        "recurring over, last period met",
        task([MONTHLY], updates=[d(12, 5)]),
        dt.date(2021, 1, 5),
        ("none", None, None, None),
    ),
    (
        "recurring over, last period missed",
        task([MONTHLY], updates=[d(11, 5)]),
        dt.date(2021, 1, 5),
        ("overdue", d(12, 31), -5, MONTHLY),
    ),
    (
        "recurring and dated, earliest overdue",
        task([NOV, MONTHLY], updates=[d(1, 10)]),
        d(12, 5),
        ("overdue", d(11, 30), -5, NOV),
    ),
    (
        "recurring and dated, earliest upcoming",
        task([NOV, MONTHLY], updates=[d(9, 20)]),
        d(10, 20),
        ("upcoming", d(10, 31), 11, MONTHLY),
    ),
    (  # October met on 10-02: the duty is next due at November's end, with the milestone (it said 10-31 before)
        "recurring met this month, dated next",
        task([NOV, MONTHLY], updates=[d(10, 2)]),
        d(10, 20),
        ("upcoming", d(11, 30), 41, NOV),
    ),
    ("monthly, met today is not due today", task([MONTHLY], updates=[d(9, 24)]), d(9, 30),
     ("upcoming", d(10, 31), 31, MONTHLY)),
]


@pytest.mark.parametrize(("name", "t", "as_of", "expected"), DUE_CASES, ids=[c[0] for c in DUE_CASES])
def test_due_state(name: str, t: Task, as_of: dt.date, expected: tuple) -> None:
    state = due_state(t, as_of)
    assert (state.state, state.due, state.days, state.part) == expected
    assert state.part is expected[3]


def test_due_state_soon_days() -> None:
    assert due_state(task([JUNE]), d(6, 20), soon_days=10).state == "due_soon"
    assert due_state(task([JUNE]), d(6, 20), soon_days=9).state == "upcoming"
    assert due_state(task([JUNE]), d(6, 30), soon_days=0).state == "due_soon"


def test_due_state_is_frozen() -> None:
    state = due_state(task([JUNE]), d(7, 1))
    assert isinstance(state, DueState)
    with pytest.raises(AttributeError):
        state.state = "none"  # type: ignore[misc]


def test_parsed_deadline_end_to_end() -> None:
    parts = parse_deadline("分别在7月份前和12月份前", Y)
    t = task(parts)
    assert due_state(t, d(7, 1)).due == d(6, 30)
    parts[0].done = d(6, 20)
    assert (due_state(t, d(11, 25)).state, due_state(t, d(11, 25)).due) == ("due_soon", d(11, 30))


# ---------------------------------------------------------------------------
# Calendar helpers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [(2020, 2, d(2, 29)), (2021, 2, dt.date(2021, 2, 28)), (2020, 4, d(4, 30)), (2020, 12, d(12, 31))],
)
def test_month_end(year: int, month: int, expected: dt.date) -> None:
    assert month_end(year, month) == expected


def test_month_end_rejects_bad_month() -> None:
    with pytest.raises(ValueError):
        month_end(2020, 13)


def test_end_of_day() -> None:
    end = end_of_day(d(10, 31), "Asia/Shanghai")
    assert end.tzinfo is not None and end.utcoffset() == dt.timedelta(hours=8)
    assert (end.date(), end.time()) == (d(10, 31), dt.time(23, 59, 59, 999999))
    assert end.astimezone(dt.UTC) == dt.datetime(2020, 10, 31, 15, 59, 59, 999999, tzinfo=dt.UTC)


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Pacific/Kiritimati", "Etc/GMT+12"])
def test_today_in(tz: str) -> None:
    before = dt.datetime.now(ZoneInfo(tz)).date()
    got = today_in(tz)
    after = dt.datetime.now(ZoneInfo(tz)).date()
    assert got in {before, after}
