"""The supervision signals in words: lights and why, missed periods, postponements, the 红黑榜's rules.

Pages, the monthly report and the 督办通知单 say the same thing the same way; every word is the catalogue's.
"""

from __future__ import annotations

from collections.abc import Sequence

from portal.config import CRITERIA, Ranking, Supervision
from portal.deadlines.due import Moved, Period
from portal.deadlines.lights import Light
from portal.i18n import cn_number, format_date, label
from portal.ledger.model import Every
from portal.survey import Streak

__all__ = ["light_reasons", "light_word", "lights_rule", "missed_words", "moves_words", "period_words",
           "quarter_words", "ranking_rules", "streak_words"]


def period_words(period: Period, lang: str, year: int) -> str:
    """A reporting period as people name it: 5月 (2019年12月 in another year), 第三季度, 上半年, 9月7日当周."""
    start = period.start
    if period.every is Every.MONTH:
        key = "period_month" if start.year == year else "period_month_year"
        return label(lang, key, y=start.year, m=start.month)
    if period.every is Every.QUARTER:
        q = (start.month - 1) // 3 + 1
        return label(lang, "period_quarter", y=start.year, q=cn_number(q) if lang == "zh" else q)
    if period.every is Every.HALF_YEAR:
        return label(lang, "period_half1" if start.month <= 6 else "period_half2", y=start.year)
    if period.every is Every.YEAR:
        return label(lang, "period_year", y=start.year)
    return label(lang, "period_week", day=format_date(start, lang, short_in_year=year))


def missed_words(periods: Sequence[Period], lang: str, year: int) -> str:
    """'5月、7月 无进展' for the missed periods; '' when none was missed."""
    missed = [p for p in periods if not p.met]
    if not missed:
        return ""
    names = label(lang, "list_sep").join(period_words(p, lang, year) for p in missed)
    return label(lang, "missed_periods", periods=names)


def moves_words(moves: Sequence[Moved], lang: str, year: int) -> str:
    """'6月30日 → 9月30日；9月30日 → 10月31日': each postponement with its old and new final due date."""
    return label(lang, "clause_sep").join(
        label(lang, "moved", old=format_date(m.old, lang, short_in_year=year),
              new=format_date(m.new, lang, short_in_year=year)) for m in moves)


def light_word(color: str, lang: str) -> str:
    """正常 / 滞后 / 逾期 / 按期完成 / 逾期完成 ('' for none)."""
    return label(lang, f"light_{color}")


def light_reasons(light: Light, periods: Sequence[Period], lang: str, year: int,
                  supervision: Supervision) -> list[str]:
    """Why a task has its light, a phrase per reason (yellow: lagging; late: done late)."""
    out = []
    for reason in light.reasons:
        if reason == "soon":
            out.append(label(lang, "why_soon", progress=light.progress, line=supervision.soon_progress))
        elif reason == "behind":
            out.append(label(lang, "why_behind", progress=light.progress, expected=light.expected))
        elif reason == "missed":
            latest = [p for p in periods if not p.met]
            out.append(label(lang, "why_missed", period=period_words(latest[-1], lang, year)) if latest else "")
        elif reason == "after_due":
            out.append(label(lang, "why_after_due", due=format_date(light.due, lang, short_in_year=year),
                             finished=format_date(light.finished, lang, short_in_year=year)))
        elif reason == "postponed":
            out.append(label(lang, "why_postponed"))
    return [x for x in out if x]


def lights_rule(supervision: Supervision, lang: str, cadence_value: str = "month") -> str:
    """The rule of the lights, as the pages state it (``cadence_value``: the period duties are judged at)."""
    cadence = label(lang, f"cadence_{supervision.cadence or cadence_value}")
    return label(lang, "lights_rule", soon=supervision.soon_progress, margin=supervision.behind_margin,
                 cadence=cadence)


def _criterion(c: str, lang: str) -> str:
    return label(lang, f"crit_{c}")


def ranking_rules(ranking: Ranking, lang: str) -> list[str]:
    """The 红黑榜's rules, a sentence each: what is counted, the score, ties, flags, streaks."""
    terms = []
    for c in CRITERIA:
        weight = ranking.weight(c)
        if weight:
            sign = "plus" if c in ("completion", "on_time") else "minus"
            terms.append((sign, label(lang, "rule_term", criterion=_criterion(c, lang), weight=weight)))
    score = ""
    for i, (sign, words) in enumerate(terms):
        if i == 0:
            score = words if sign == "plus" else label(lang, "rule_minus") + words
        else:
            score += label(lang, f"rule_{sign}") + words
    return [
        label(lang, f"rule_basis_{ranking.basis}"),
        label(lang, "rule_score", score=score),
        label(lang, "rule_ties", criteria=label(lang, "list_sep").join(_criterion(c, lang) for c in ranking.tie_break)),
        label(lang, "rule_flags", red=ranking.red, red1=ranking.red + 1, yellow=ranking.yellow,
              yellow1=ranking.yellow + 1),
        label(lang, "rule_counts"),
        label(lang, "rule_streaks", commend=ranking.commend, talk=ranking.talk),
    ]


def quarter_words(month: str, lang: str) -> str:
    """A quarter by its last month 'YYYY-MM': 2020年第三季度."""
    year, q = int(month[:4]), (int(month[5:7]) - 1) // 3 + 1
    return label(lang, "quarter_name", y=year, q=cn_number(q) if lang == "zh" else q)


def streak_words(streaks: Sequence[Streak], lang: str) -> str:
    """'财务科（2020年第二季度、2020年第三季度）、…', or 暂无."""
    if not streaks:
        return label(lang, "streak_none")
    sep = label(lang, "list_sep")
    return sep.join(label(lang, "streak_item", dept=s.dept, quarters=sep.join(quarter_words(q, lang)
                                                                                 for q in s.quarters))
                    for s in streaks)


