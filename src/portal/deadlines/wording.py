"""Reading deadline wording: how Chinese plans write deadlines, into deadline parts.

Reads '6月底前', '7月份前和12月份前', '每周二', '“七一”前', '持续' ... into
:class:`~portal.ledger.model.DeadlinePart` objects, either from a ledger's deadline field
(:func:`parse_deadline`) or from free sub-task text (:func:`find_deadline_phrases`). Pure: the only
module state is constant tables and compiled regular expressions.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from portal.deadlines.calendar import month_end
from portal.ledger.model import DeadlinePart, Every

__all__ = ["find_deadline_phrases", "parse_deadline"]

_ONE_DAY = dt.timedelta(days=1)

# ---------------------------------------------------------------------------
# Reading deadline wording: the patterns
# ---------------------------------------------------------------------------
# One alternation compiled once and scanned with finditer, so that free text is read in a single
# pass (the importer runs it on every sub-task). Each top-level alternative is a named group; the
# match's ``lastgroup`` is that outer name because an outer group closes after its inner groups.
# Order matters where two alternatives can start at the same character (range before single month,
# '一月一' before the month '一月'); elsewhere the alternatives cannot overlap.

_D = "[0-9０-９]"  # ASCII and full-width digits; int() reads both
_CN = "一二三四五六七八九十〇零两"
# 前 as 'before', but not the first character of 前期 / 前置 / 前列 ... (words that merely start with 前).
_BEFORE = "(?:之前|以前|前(?![期置提列沿线端台面瞻]))"
# Characters after which a Chinese-numeral month may start. Numerals are parts of too many words
# (统一, 唯一, 之一 ...) to be read as months after any character, so only after a boundary or a
# word that naturally precedes a month.
_CN_MONTH_AFTER = r"\s，。；：、,;:（）()“”\"‘’'《》年在于至到和及或与从自起前后\-－—–~～〜"
# The character before 上半年 / 下半年 must not make 上 / 下 part of another word (原则上半年内 is
# 'in principle within half a year', not 'first half of the year').
_HALF_NOT_AFTER = "则以础实际体面会线网马加向往之每"
# The character before a bare 年内 / 年底 / 年前 must not make it 'N years' (两年内, 三年前, 半年内).
_YEAR_END_NOT_AFTER = f"0-9０-９{_CN}几多半数近每上下去明前后次翌今本当该同逐个"
# Clause boundaries: 持续 / 长期 alone are deadline words only at the start (or as the whole) of a clause.
_CLAUSE = r"\s，。；：、,;:！!？?（）()【】\[\]“”"


def _year_prefix(p: str) -> str:
    """Optional '2021年' / '今年' / '明年' before a phrase, captured as ``{p}_y`` / ``{p}_rel``."""
    return rf"(?:(?<![0-9０-９])(?P<{p}_y>{_D}{{4}})年|(?P<{p}_rel>今|本|当|明|次|翌)年度?)?"


def _month_number(p: str) -> str:
    """A month number in digits (``{p}_md``) or Chinese numerals (``{p}_mc``), without 月."""
    digits = rf"(?<![0-9０-９])(?P<{p}_md>{_D}{{1,2}})"
    chinese = rf"(?<![^{_CN_MONTH_AFTER}])(?P<{p}_mc>十[一二]?|[一二三四五六七八九])"
    return f"(?:{digits}|{chinese})"


_RANGE = (
    _year_prefix("ra")
    + _month_number("ra1")
    + rf"(?:月份?(?:(?P<ra1_d>{_D}{{1,2}})[日号])?)?"
    + r"\s*(?:[-－—–~～〜]{1,2}|至|到)\s*"
    + rf"(?:(?:(?<![0-9０-９])(?P<rb_y>{_D}{{4}})年|(?P<rb_rel>次年|明年|翌年))?"
    + _month_number("ra2")
    + rf"月份?(?:(?P<ra2_d>{_D}{{1,2}})[日号])?(?:底|末)?|(?P<ra_ye>年底|年末|年终))"
)
_RECUR = (
    rf"(?P<rc_w>每一?个?(?:周|星期|礼拜)|按周)"
    rf"(?:(?P<rc_wd>[一二三四五六日天1-7１-７])(?![次个篇期回遍轮至到、和及或天]){_BEFORE}?)?"
    rf"|(?P<rc_m>每一?个?月|按月)(?:月?[底末]{_BEFORE}?)?"
    rf"|(?P<rc_q>每一?个?季度?|按季度?)(?:(?:季度?)?[底末]{_BEFORE}?)?"
    rf"|(?P<rc_h>每半个?年度?)(?:[底末]{_BEFORE}?)?"
    rf"|(?P<rc_y>每一?年度?)(?:年?[底末]{_BEFORE}?)?"
    rf"|(?<![0-9０-９{_CN}第每])一(?P<rc_1>周|月|季度?|年)一(?![日号月])"  # 一月一通报: once a month
)
_MONTH = (
    _year_prefix("mo")
    + _month_number("mo")
    + rf"月份?(?:(?P<mo_d>{_D}{{1,2}})[日号]|(?P<mo_end>[底末])|(?P<mo_xun>[上中下]旬)"
    + rf"|(?P<mo_early>初)(?![步稿次审核见始级中])|)(?P<mo_pre>{_BEFORE})?"
)
_QUARTER = (
    _year_prefix("qt")
    + rf"(?:第(?P<qt_a>[一二三四1-4１-４])季度?|(?<![0-9０-９{_CN}每])(?P<qt_b>[一二三四1-4１-４])季度)"
    + rf"(?P<qt_end>[末底])?(?P<qt_pre>{_BEFORE})?"
)
_HALF = (
    _year_prefix("hf") + rf"(?<![{_HALF_NOT_AFTER}])(?P<hf_w>[上下])半年度?(?P<hf_end>[末底])?(?P<hf_pre>{_BEFORE})?"
)
# 年终考核 / 年终奖 are things, not deadlines.
_YEAR_END_TAIL = rf"(?:底{_BEFORE}?|末|终(?!考核|奖|决算)|度?内(?![容部外涵]))"
_YEAR_END = (
    rf"(?:(?<![0-9０-９])(?P<ye_y>{_D}{{4}})年|(?P<ye_rel>今|本|当|明|次|翌)年)度?年?{_YEAR_END_TAIL}"
    rf"|(?<![{_YEAR_END_NOT_AFTER}])年(?:{_YEAR_END_TAIL}|前(?![一二三四五六七八九十两几0-9０-９期]))"
)
_HOLIDAY = rf"(?<![0-9０-９{_CN}第])[“\"‘'「『]?(?P<hd_n>七一|五一|十一|国庆|元旦)[”\"’'」』]?节?{_BEFORE}"
_ONGOING = (
    r"长期坚持|持之以恒|常态化(?!疫情)"  # 常态化疫情防控 is the name of a policy, not a deadline
    rf"|(?<![^{_CLAUSE}])(?:持续(?![时性至到了])|长期(?=$|[{_CLAUSE}]))"
)

_ALTERNATIVES = {
    "RANGE": _RANGE,
    "RECUR": _RECUR,
    "MONTH": _MONTH,
    "QUARTER": _QUARTER,
    "HALF": _HALF,
    "YEAR_END": _YEAR_END,
    "HOLIDAY": _HOLIDAY,
    "ONGOING": _ONGOING,
}
# Every phrase starts with one of these characters (keep in sync with the alternatives above); testing
# that first lets the scan skip other positions without trying each alternative (10x faster on plan text).
_FIRST_CHARS = r"0-9０-９一二三四五六七八九十今本当明次翌每按第上下年“\"‘'「『国元长持常"
_PHRASE_RE = re.compile(
    f"(?=[{_FIRST_CHARS}])(?:" + "|".join(f"(?P<{name}>{pat})" for name, pat in _ALTERNATIVES.items()) + ")"
)

# What may stand between phrases in a deadline field: connecting words, punctuation, a few verbs
# people add ('6月底前完成', '坚持每月'), and a count ('每月一次').
# Every alternative must match a different text: '分别[在于]?' next to '在' and '于' let '分别在' match two ways,
# and '6月底前' followed by '分别在' thirty times took minutes (exponential backtracking) in every validation.
_CONNECTOR_RE = re.compile(
    r"(?:[\s,，、;；。.:：()（）]|分别|以及|和|与|及|或|并|在|于|截[至止]|到|之前|以前|前|为止"
    rf"|完成|办结|坚持|开展|推进|(?:至少|不少于)?(?:[一二两三]|{_D}{{1,2}})次)*"
)

_CN_NUM = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_CN_MONTH = {**_CN_NUM, "十一": 11, "十二": 12}
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_XUN_DAY = {"上旬": 10, "中旬": 20}  # 下旬 is the month end
_HOLIDAY_DUE = {"七一": (6, 30), "五一": (4, 30), "十一": (9, 30), "国庆": (9, 30), "元旦": (12, 31)}
_RECUR_EVERY = {
    "rc_w": Every.WEEK,
    "rc_m": Every.MONTH,
    "rc_q": Every.QUARTER,
    "rc_h": Every.HALF_YEAR,
    "rc_y": Every.YEAR,
}
_ONE_X_ONE_EVERY = {"周": Every.WEEK, "月": Every.MONTH, "季": Every.QUARTER, "季度": Every.QUARTER, "年": Every.YEAR}


# ---------------------------------------------------------------------------
# Reading deadline wording: from a match to a part
# ---------------------------------------------------------------------------


def _small_int(s: str) -> int:
    """A number written in digits (ASCII or full width) or as one Chinese numeral."""
    return _CN_NUM[s] if s in _CN_NUM else int(s)


def _year_of(m: re.Match[str], p: str, year: int) -> int:
    """The year a phrase names through its prefix ``p``, else the plan's year."""
    if m.group(f"{p}_y"):
        return int(m.group(f"{p}_y"))
    rel = m.group(f"{p}_rel")
    return year + 1 if rel and rel[0] in "明次翌" else year


def _month_of(m: re.Match[str], p: str) -> int:
    """The month number captured by :func:`_month_number` with prefix ``p``."""
    digits = m.group(f"{p}_md")
    return int(digits) if digits else _CN_MONTH[m.group(f"{p}_mc")]


def _dated(text: str, due: dt.date) -> DeadlinePart:
    return DeadlinePart(kind="date", text=text, due=due)


def _window(text: str, start: dt.date, due: dt.date) -> DeadlinePart:
    return DeadlinePart(kind="window", text=text, start=start, due=due)


def _range_part(m: re.Match[str], year: int) -> DeadlinePart | None:
    """'9-11月份', '3月1日至5月31日', '10月至次年3月', '4月至年底': a window."""
    y1 = _year_of(m, "ra", year)
    m1 = _month_of(m, "ra1")
    start = dt.date(y1, m1, _small_int(m.group("ra1_d")) if m.group("ra1_d") else 1)
    if m.group("ra_ye"):
        due = dt.date(y1, 12, 31)
    else:
        m2 = _month_of(m, "ra2")
        if m.group("rb_y"):
            y2 = int(m.group("rb_y"))
        elif m.group("rb_rel") or m2 < m1:
            y2 = y1 + 1  # '11月至3月' runs into the next year
        else:
            y2 = y1
        due = dt.date(y2, m2, int(m.group("ra2_d"))) if m.group("ra2_d") else month_end(y2, m2)
    return _window(m.group(0), start, due) if start <= due else None


def _month_part(m: re.Match[str], year: int) -> DeadlinePart | None:
    """'4月份', '6月底前', '4月中旬', '7月份前', '5月20日前' ..."""
    y, mo, text = _year_of(m, "mo", year), _month_of(m, "mo"), m.group(0)
    if m.group("mo_d"):
        return _dated(text, dt.date(y, mo, int(m.group("mo_d"))))
    if m.group("mo_end"):
        return _dated(text, month_end(y, mo))
    if m.group("mo_xun"):
        day = _XUN_DAY.get(m.group("mo_xun"))
        return _dated(text, dt.date(y, mo, day) if day else month_end(y, mo))
    if m.group("mo_early"):
        return _dated(text, dt.date(y, mo, 10))  # 月初 read like 上旬
    if m.group("mo_pre"):
        return _dated(text, dt.date(y, mo, 1) - _ONE_DAY)  # '7月份前': before 1 July
    return _window(text, dt.date(y, mo, 1), month_end(y, mo))


def _span_part(text: str, start: dt.date, due: dt.date, end: str | None, pre: str | None) -> DeadlinePart:
    """A quarter or half year: '…末/底' is its last day, '…前' the day before it starts, else a window."""
    if end:
        return _dated(text, due)
    if pre:
        return _dated(text, start - _ONE_DAY)
    return _window(text, start, due)


def _quarter_part(m: re.Match[str], year: int) -> DeadlinePart | None:
    """'一季度', '第三季度', '2021年第1季度末' ..."""
    q = _small_int(m.group("qt_a") or m.group("qt_b"))
    y = _year_of(m, "qt", year)
    first = 3 * (q - 1) + 1
    return _span_part(m.group(0), dt.date(y, first, 1), month_end(y, first + 2), m.group("qt_end"), m.group("qt_pre"))


def _half_part(m: re.Match[str], year: int) -> DeadlinePart | None:
    """'上半年' / '下半年' (and '…末', '…前')."""
    y = _year_of(m, "hf", year)
    first = 1 if m.group("hf_w") == "上" else 7
    return _span_part(m.group(0), dt.date(y, first, 1), month_end(y, first + 5), m.group("hf_end"), m.group("hf_pre"))


def _year_end_part(m: re.Match[str], year: int) -> DeadlinePart | None:
    """'年内', '年底前', '年终', '今年内', '2021年底前' ...: the last day of the year."""
    return _dated(m.group(0), dt.date(_year_of(m, "ye", year), 12, 31))


def _holiday_part(m: re.Match[str], year: int) -> DeadlinePart | None:
    """'“七一”前', '国庆前' ...: the day before the holiday."""
    month, day = _HOLIDAY_DUE[m.group("hd_n")]
    return _dated(m.group(0), dt.date(year, month, day))


def _recurring_part(m: re.Match[str], year: int) -> DeadlinePart | None:
    """'每周二', '每月', '每季度', '每半年', '每年', '一月一…': recurring over the plan's year."""
    every = _ONE_X_ONE_EVERY[m.group("rc_1")] if m.group("rc_1") else None
    for group, value in _RECUR_EVERY.items():
        if m.group(group):
            every = value
    wd = m.group("rc_wd")
    weekday = (_WEEKDAY[wd] if wd in _WEEKDAY else int(wd) - 1) if wd else None
    return DeadlinePart(
        kind="recurring",
        text=m.group(0),
        start=dt.date(year, 1, 1),
        due=dt.date(year, 12, 31),
        every=every,
        weekday=weekday,
    )


def _ongoing_part(m: re.Match[str], year: int) -> DeadlinePart | None:
    """'持续', '长期', '常态化', '长期坚持', '持之以恒': no end date."""
    return DeadlinePart(kind="ongoing", text=m.group(0))


_BUILDERS: dict[str, Callable[[re.Match[str], int], DeadlinePart | None]] = {
    "RANGE": _range_part,
    "RECUR": _recurring_part,
    "MONTH": _month_part,
    "QUARTER": _quarter_part,
    "HALF": _half_part,
    "YEAR_END": _year_end_part,
    "HOLIDAY": _holiday_part,
    "ONGOING": _ongoing_part,
}


# ---------------------------------------------------------------------------
# Reading deadline wording: public API
# ---------------------------------------------------------------------------


def find_deadline_phrases(text: str, year: int) -> list[tuple[int, int, DeadlinePart]]:
    """Every deadline phrase found inside free text, as (start, end, part) character spans in text order.

    Used by the importer on sub-task text such as '（9）分别在7月份前和12月份前召开领导干部警示教育大会'
    -> two parts. ``year`` is the plan's year, used unless a phrase names its own. Phrases naming
    impossible dates ('13月份', '6月31日') are skipped.
    """
    found: list[tuple[int, int, DeadlinePart]] = []
    for m in _PHRASE_RE.finditer(text):
        try:
            part = _BUILDERS[m.lastgroup or ""](m, year)
        except ValueError:  # month 13, 31 June, year 0: not a phrase
            part = None
        if part is not None:
            found.append((m.start(), m.end(), part))
    return found


def parse_deadline(text: str, year: int) -> list[DeadlinePart]:
    """Parts read from a ledger's deadline wording (the whole field value).

    E.g. '6月底前', '7月份前和12月份前', '每周二', '持续'. Connecting words ('分别在', '和', '、', '及',
    '前', '完成' ...) and punctuation are allowed around phrases; anything else left over means the
    wording was not understood, and the result is [] so that the caller reports it.
    """
    found = find_deadline_phrases(text, year)
    pos = 0
    for start, end, _ in found:
        if not _CONNECTOR_RE.fullmatch(text, pos, start):
            return []
        pos = end
    if not found or not _CONNECTOR_RE.fullmatch(text, pos):
        return []
    return [part for _, _, part in found]


