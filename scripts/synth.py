"""Synthetic ledgers, registries, projects and git histories for the scale benchmark (scripts/bench.py).

    .venv/bin/python scripts/synth.py ledger --tasks 100 > tasks.yaml
    .venv/bin/python scripts/synth.py project OUT --tasks 1000 [--sections 10 --departments 30 --seed 1]
    .venv/bin/python scripts/synth.py history OUT --tasks 1000 --commits 2000 [--seed 1]
    .venv/bin/python scripts/synth.py plain OUT --tasks 1000      # the same content as hand-written Markdown
    .venv/bin/python scripts/synth.py documents OUT --tasks 1000  # plan.docx and ledger.xlsx for portal import

Everything is deterministic for a seed: the same arguments give the same bytes (and, for a history,
the same commit ids with the same git version). Texts are Chinese as plans and progress reports
write them; deadlines are worded as plans word them (6月底前, 9-11月份, 每月 …); statuses are in
Chinese; lead and responsible units come from a generated registry of D departments.

A history is written with one ``git fast-import`` process: commit k holds the ledger as it stood
on the k-th working day, each commit changing a few tasks the way monthly updates do (a status
moves forward, an update is added, sometimes a deadline is postponed). The ledger is kept as a
list of text pieces, one per task, and only the pieces of the tasks a commit changes are
written again, by an emitter that is checked against ``portal.yamlout.dump_ledger`` on the
first version, so that every version is in the house format without formatting the whole file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from portal.ledger.yamlout import dump_ledger, format_text

REPO = Path(__file__).resolve().parents[1]
PROJECT_DIRS = ("content", "overrides", "hooks")
AS_OF = dt.date(2020, 12, 31)
YEAR = 2020
TZ = dt.timezone(dt.timedelta(hours=8))  # commit times are written in Beijing time, like the office's clocks

# --- vocabulary -------------------------------------------------------------------------------------------------

DEPARTMENTS: list[tuple[str, list[str]]] = [
    ("办公室", ["局办公室"]), ("机关党委", ["党委"]), ("人教科", ["人事教育科"]), ("财务科", ["计划财务科"]),
    ("法规科", ["政策法规科"]), ("新闻宣传与应急管理科", ["新闻宣传科"]), ("食品安全协调科", ["食安协调科"]),
    ("综合执法科", ["执法科"]), ("食品流通监管科", ["食品流通科"]), ("餐饮服务食品监管科", ["餐饮科"]),
    ("药品化妆品监管科", ["药化科"]), ("特种设备安全监察科", ["特设科"]), ("行政许可科", ["审批科"]),
    ("信用监督管理科", ["信用监管科"]), ("质量发展科", []), ("标准化科", []), ("计量科", []), ("认证认可科", []),
    ("价格监督检查科", ["价监科"]), ("网络交易监管科", ["网监科"]), ("广告监管科", []),
    ("消费者权益保护科", ["消保科"]), ("产品质量安全监管科", ["产品质量科"]), ("知识产权科", []),
    ("登记注册科", ["注册科"]), ("反垄断与反不正当竞争科", ["反垄断科"]), ("科技与信息化科", ["信息化科"]),
    ("医疗器械监管科", ["器械科"]), ("食品生产监管科", ["食品生产科"]), ("执法稽查科", ["稽查科"]),
]
GROUPS = ["机关各科室", "直属各单位", "直属各党支部", "各市场监管所"]
PLACES = ["城东", "城西", "城南", "城北", "高新", "开发区", "滨江", "河口", "新城", "老城", "东关", "西关", "南湖",
          "北塘", "桥头", "龙泉", "凤凰", "金山", "银湖", "青石", "白沙", "黄岭", "红旗", "柳林", "松山", "梅园",
          "桃源", "杏花", "石门", "水口", "长岭", "双河", "三里", "五里", "七星", "九龙", "清河", "明德", "安平",
          "永宁"]
UNIT_KINDS = ["市场监管所", "市场监管分局", "检验检测中心", "执法大队"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲红飞波斌宇浩凯健俊帆鹏辉"

SECTION_TITLES = [
    "全面加强思想建设", "严明政治纪律和政治规矩", "压紧压实管党治党责任", "持续深化作风建设", "强化权力运行监督",
    "加强干部队伍建设", "推动基层党组织全面进步全面过硬", "巩固拓展专项整治成果", "深化巡察整改", "提升市场监管效能",
    "守牢食品药品安全底线", "优化营商环境", "推进法治机关建设", "加强信用体系建设", "强化特种设备安全监管",
    "深化“放管服”改革", "推进智慧监管", "加强消费者权益保护", "强化知识产权保护", "落实意识形态工作责任制",
]
ITEM_HEADS = ["深入学习贯彻", "严格落实", "健全完善", "持续推进", "切实加强", "全面开展", "扎实推进", "认真抓好"]
ITEM_TOPICS = [
    "习近平新时代中国特色社会主义思想", "党内政治生活准则", "中央八项规定及其实施细则精神", "民主集中制",
    "“三重一大”决策制度", "党风廉政建设主体责任", "“一岗双责”要求", "干部选拔任用工作", "基层党支部标准化建设",
    "食品安全“四个最严”要求", "药品安全专项整治", "特种设备安全隐患排查治理", "“双随机、一公开”监管",
    "行政执法“三项制度”", "信用分级分类监管", "公平竞争审查制度", "扫黑除恶专项斗争", "巡察反馈问题整改",
    "形式主义、官僚主义问题专项整治", "意识形态工作责任制",
]
ITEM_TAILS = ["，推动工作落地见效", "，营造风清气正的政治生态", "，确保各项要求落到实处", "", "，形成长效机制"]
VERBS = ["开展", "组织", "制定", "完善", "落实", "推进", "深化", "建立", "健全", "加强", "部署", "召开"]
OBJECTS = [
    "理论学习中心组专题学习", "“三会一课”制度执行情况检查", "廉政风险点排查", "作风纪律专项整治", "食品安全专项抽检",
    "药品经营企业飞行检查", "特种设备隐患排查治理", "网络交易平台监测", "“双随机、一公开”联合抽查",
    "基层党支部标准化建设", "警示教育大会", "领导干部述责述廉", "谈心谈话", "集体约谈", "党风廉政建设责任书签订",
    "公务接待和差旅费报销自查", "“一封家书”征集活动", "家风建设主题活动", "干部职工网络培训", "执法案卷评查",
    "行政许可事项清理", "信用修复工作", "价格专项检查", "校园周边食品安全整治", "农村集体聚餐指导",
    "冷链食品追溯管理", "疫苗流通环节检查", "化妆品质量抽检", "电梯维保质量检查", "计量器具强制检定",
    "广告发布监测", "消费投诉处理", "知识产权执法专项行动", "企业年报公示抽查", "个体工商户帮扶",
    "党员积分制管理", "主题党日活动", "支部书记述职评议", "廉政文化进机关活动", "问题线索排查处置",
]
SCOPES = ["", "", "在全局范围内", "在直属各单位", "在机关各科室", "围绕重点领域和关键环节", "针对群众反映强烈的问题",
          "结合“不忘初心、牢记使命”主题教育", "按照市局统一部署"]
MANNERS = ["", "全面", "深入", "扎实", "持续", "认真", "集中"]
TITLE_TAILS = ["", "", "，确保取得实效", "，形成长效机制", "，建立工作台账", "，做到全覆盖", "，按月报送工作情况"]
REQUIREMENTS = [
    "各责任单位要明确专人负责，按月报送进展情况。", "牵头单位要加强统筹协调，及时研究解决工作中的问题。",
    "对发现的问题建立清单，逐项明确整改措施、责任人和完成时限。", "工作完成后形成书面报告报领导小组办公室。",
    "要坚持问题导向，做到边查边改、立行立改。", "把落实情况纳入年度党建目标考核。",
    "对工作不力、进度滞后的单位进行通报。", "及时总结经验做法，形成可复制可推广的制度成果。",
]
RESULTS = [
    "发现问题{a}个，已整改{b}个", "覆盖党员干部{n}人", "约谈{a}人", "下发整改通知书{a}份", "形成调研报告{a}篇",
    "检查企业{n}家，责令整改{a}家", "抽检样品{n}批次，合格率{p}%", "立案查处{a}起", "收集意见建议{a}条",
    "参训{n}人，完成率{p}%",
]
DONE_WORDS = ["已全部完成", "已按期完成", "工作已完成并形成总结报告", "已完成并报领导小组办公室备案"]
TAGS = ["巡察整改", "扫黑除恶", "主题教育", "作风建设", "食品安全", "药品安全", "营商环境", "信用监管"]
UNITS_OF_MEASURE = ["次", "个", "家", "人", "份", "批次"]
CN_DIGITS = "〇一二三四五六七八九"

# 状态 in the ledger's Chinese words; the validator reads them as the status keys.
NOT_STARTED, IN_PROGRESS, DONE = "未启动", "进行中", "已完成"
ONGOING, SUSPENDED, CANCELLED = "长期坚持", "暂缓", "已取消"


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三 (as section numbers are printed), up to 99."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def working_days(end: dt.date, count: int) -> list[dt.date]:
    """The last ``count`` weekdays up to and including ``end``, oldest first."""
    days: list[dt.date] = []
    day = end
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= dt.timedelta(days=1)
    return days[::-1]


# --- the registry ---------------------------------------------------------------------------------------------


def make_registry(n_departments: int, seed: int = 1) -> list[dict[str, Any]]:
    """A registry of ``n_departments`` entries: 科室 first, then units (监管所 …), and a few groups."""
    rng = random.Random(f"registry:{seed}")
    n_groups = min(len(GROUPS), max(0, n_departments // 10)) if n_departments >= 4 else 0
    n_units = max(0, (n_departments - n_groups) // 4)
    n_depts = n_departments - n_groups - n_units
    out: list[dict[str, Any]] = []
    for i in range(n_depts):
        if i < len(DEPARTMENTS):
            name, aliases = DEPARTMENTS[i]
        else:  # beyond the real list: numbered offices, as a big bureau has them
            name, aliases = f"第{chinese_number(i - len(DEPARTMENTS) + 1)}监管科", []
        out.append({"name": name, **({"aliases": aliases} if aliases else {}), "kind": "department"})
    places = [p + k for k in UNIT_KINDS for p in PLACES]
    rng.shuffle(places)
    for i in range(n_units):
        out.append({"name": places[i] if i < len(places) else f"第{i + 1}监管所", "kind": "unit"})
    for name in GROUPS[:n_groups]:
        out.append({"name": name, "kind": "group"})
    return out


def registry_text(departments: list[dict[str, Any]]) -> str:
    """departments.yaml in the house format."""
    text = yaml.safe_dump({"departments": departments}, allow_unicode=True, sort_keys=False, width=1 << 30)
    return "# yaml-language-server: $schema=./schema/departments.schema.json\n" + format_text(text, "departments")


# --- the ledger -------------------------------------------------------------------------------------------------


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _leader(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "××"


class _Words:
    """Chinese texts of tasks and updates, from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def title(self) -> str:
        r = self.rng
        return f"{r.choice(SCOPES)}{r.choice(MANNERS)}{r.choice(VERBS)}{r.choice(OBJECTS)}{r.choice(TITLE_TAILS)}"

    def details(self, title: str) -> str:
        r = self.rng
        return title.rstrip("，") + "。" + "".join(r.sample(REQUIREMENTS, r.choice((1, 2, 2, 3))))

    def result(self) -> str:
        r = self.rng
        a = r.randint(1, 30)
        return r.choice(RESULTS).format(a=a, b=r.randint(0, a), n=r.randint(20, 600), p=r.randint(85, 100))

    def update(self, on: dt.date, done: bool = False) -> str:
        r = self.rng
        head = f"{on.month}月份" if r.random() < 0.5 else f"{on.month}月{on.day}日"
        text = f"{head}{r.choice(VERBS)}{r.choice(OBJECTS)}{r.choice(('1次', '2次', '', ''))}，{self.result()}"
        if r.random() < 0.4:
            text += f"，{self.result()}"
        return text + (f"，{r.choice(DONE_WORDS)}。" if done else "。")

    def item_title(self) -> str:
        r = self.rng
        return f"{r.choice(ITEM_HEADS)}{r.choice(ITEM_TOPICS)}{r.choice(ITEM_TAILS)}"


def _deadline(rng: random.Random, ongoing: bool) -> Any:
    """A deadline worded as plans word them."""
    if ongoing:
        return rng.choice(["长期坚持", "持续", "常态化", "每月", "每季度", ["每月", "年底前"]])
    m = rng.randint(3, 12)
    roll = rng.random()
    if roll < 0.35:
        return f"{m}月底前"
    if roll < 0.55:
        return f"{m}月份"
    if roll < 0.65:
        return f"{min(m, 10)}-{min(m, 10) + 2}月份"
    if roll < 0.72:
        return f"{m}月中旬"
    if roll < 0.78:
        return "“七一”前"
    if roll < 0.86:
        return rng.choice(["年底前", "年内", "12月底前"])
    if roll < 0.93:
        return [f"{min(m, 11)}月份", "每月"]
    return f"{min(m, 11)}月份前和12月份前"


def _fresh(day: dt.date) -> dt.date:
    """A new date object: dump_ledger writes an object met twice as a YAML anchor and alias."""
    return dt.date(day.year, day.month, day.day)


def _dates_in(rng: random.Random, start: dt.date, end: dt.date, k: int) -> list[dt.date]:
    span = max((end - start).days, 0)
    return sorted(start + dt.timedelta(days=rng.randint(0, span)) for _ in range(k))


@dataclass
class Shape:
    """How a synthetic plan is laid out."""

    tasks: int
    sections: int = 10
    departments: int = 30
    seed: int = 1
    year: int = YEAR
    as_of: dt.date = AS_OF


def make_ledger(shape: Shape, registry: list[dict[str, Any]], progress: bool = True) -> dict[str, Any]:
    """Plain ledger data (dicts, lists, str, int, date) for ``shape``.

    With ``progress`` the plan stands as on ``shape.as_of``: most tasks done or in progress, with
    updates, closing dates, some metrics, evidence and tags. Without it, it is the plan as issued:
    nothing started yet (the long-running tasks already marked 长期坚持), as a history begins.
    """
    rng = random.Random(f"ledger:{shape.seed}:{shape.tasks}:{shape.sections}")
    words = _Words(rng)
    leads = [d["name"] for d in registry if d["kind"] != "group"] or ["办公室"]
    groups = [d["name"] for d in registry if d["kind"] == "group"]
    units_pool = [d["name"] for d in registry if d["kind"] == "unit"]
    n_sections = max(1, min(shape.sections, shape.tasks, 99))
    per_section = [shape.tasks // n_sections + (1 if i < shape.tasks % n_sections else 0) for i in range(n_sections)]
    width = len(str(shape.tasks))
    start = dt.date(shape.year, 3, 1)
    task_no = 0
    sections: list[dict[str, Any]] = []
    titles = list(SECTION_TITLES)
    rng.shuffle(titles)
    for s in range(n_sections):
        items: list[dict[str, Any]] = []
        left = per_section[s]
        i = 0
        while left > 0:
            i += 1
            k = min(left, rng.choice((2, 3, 3, 4, 4, 5, 6)))
            left -= k
            units = (rng.sample(groups, 1) if groups and rng.random() < 0.5 else
                     rng.sample(units_pool, min(len(units_pool), rng.randint(1, 3))) if units_pool else [])
            item: dict[str, Any] = {
                "id": f"s{s + 1}-{i}", "number": f"{i}.", "title": words.item_title(), "leader": _leader(rng),
                "lead": rng.sample(leads, min(len(leads), rng.choice((1, 1, 2)))),
                **({"units": units} if units else {}), "tasks": [],
            }
            for j in range(k):
                task_no += 1
                # the first task keeps the item's lead: the portal links a section's lead departments to
                # their pages, and a department that leads no task has none (see the benchmark's report)
                own = leads if j else []
                item["tasks"].append(_task(rng, words, task_no, width, own, item["lead"], start, shape.as_of,
                                           progress))
            items.append(item)
        title = titles[s % len(titles)] + ("" if s < len(titles) else f"（{chinese_number(s // len(titles) + 1)}）")
        sections.append({"id": f"s{s + 1}", "number": f"{chinese_number(s + 1)}、", "title": title,
                         "sections": items})
    return {
        "plan": {"id": "bench", "title": f"{shape.year}年修复净化政治生态工作实施方案（{shape.tasks}项任务）",
                 "year": shape.year, "issuer": "市市场监督管理局党组", "source": f"××办发〔{shape.year}〕12号",
                 "timezone": "Asia/Shanghai"},
        "sections": sections,
    }


def _task(rng: random.Random, words: _Words, no: int, width: int, leads: list[str], item_lead: list[str],
          start: dt.date, as_of: dt.date, progress: bool) -> dict[str, Any]:
    title = words.title()
    ongoing = rng.random() < 0.12
    task: dict[str, Any] = {"id": f"t{no:0{width}d}", "number": f"（{no}）", "title": title,
                            "details": words.details(title)}
    if leads and rng.random() < 0.25:  # a task with its own lead department, not the item's
        task["lead"] = [rng.choice(leads)]
    task["deadline"] = _deadline(rng, ongoing)
    if not progress:
        task["status"] = ONGOING if ongoing else NOT_STARTED
        if not ongoing:
            task["percent"] = 0
        return task
    roll = rng.random()
    status = (ONGOING if ongoing else DONE if roll < 0.58 else IN_PROGRESS if roll < 0.88 else
              NOT_STARTED if roll < 0.95 else SUSPENDED if roll < 0.98 else CANCELLED)
    task["status"] = status
    by = (task.get("lead") or item_lead)[0]
    n_updates = {NOT_STARTED: 0, CANCELLED: 1, SUSPENDED: 1}.get(status, rng.randint(1, 5))
    dates = _dates_in(rng, start, as_of - dt.timedelta(days=1), n_updates)
    if status == DONE:
        task["percent"] = 100
        task["closed"] = _fresh(dates[-1])
    elif status == IN_PROGRESS:
        task["percent"] = rng.randrange(10, 95, 5)
    elif status == NOT_STARTED:
        task["percent"] = 0
    if rng.random() < 0.1:
        target = rng.randint(2, 40)
        actual = target if status == DONE else rng.randint(0, target)
        task["metrics"] = [{"name": rng.choice(OBJECTS), "target": target, "actual": actual,
                            "unit": rng.choice(UNITS_OF_MEASURE)}]
    if dates:
        task["updates"] = [{"date": d, "text": words.update(d, done=status == DONE and j == len(dates) - 1), "by": by}
                           for j, d in enumerate(dates)]
    if status == DONE and rng.random() < 0.3:
        task["evidence"] = [{"title": f"{rng.choice(OBJECTS)}工作总结",
                             "url": f"https://oa.example.gov.cn/docs/{dates[-1].isoformat()}-{no}"}]
    if rng.random() < 0.1:
        task["tags"] = [rng.choice(TAGS)]
    return task


def walk_tasks(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Every task of ledger data, in plan order."""

    def walk(sections: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for section in sections:
            yield from section.get("tasks", [])
            yield from walk(section.get("sections", []))

    yield from walk(data["sections"])


def ledger_text(data: dict[str, Any]) -> str:
    """The ledger file in the house format (``portal.yamlout.dump_ledger``)."""
    return dump_ledger(data)


# --- a ledger kept as pieces, so that a new version rewrites only the tasks it changes -----------------------------

# Keys of a task in the schema's order (the order dump_ledger writes them in).
TASK_KEYS = ["id", "number", "title", "details", "leader", "lead", "units", "deadline", "term", "status", "percent",
             "closed", "problem", "measures", "metrics", "updates", "evidence", "tags"]
FLOW_KEYS = {"lead", "units", "tags"}
# A plain scalar that YAML reads back as the same string: no indicator first, no ': ' or ' #', nothing
# YAML 1.1 would resolve to another type (the generated texts are Chinese, which never does).
_PLAIN_FIRST_BAD = set("-?:,[]{}#&*!|>'\"%@` \t")
_FLOW_BAD = re.compile(r"[,\[\]{}]")
_TYPED = re.compile(r"^(?:[-+]?[0-9][0-9_.:eE+-]*|[-+]?\.(?:inf|nan)|(?:y|n|yes|no|true|false|on|off|null|~))$",
                    re.IGNORECASE)


def _plain(value: str, flow: bool = False) -> str:
    if (not value or value[0] in _PLAIN_FIRST_BAD or value[-1] in " \t" or ": " in value or " #" in value
            or value.endswith(":") or "\n" in value or _TYPED.match(value) or (flow and _FLOW_BAD.search(value))):
        raise _NotPlain(value)
    return value


class _NotPlain(Exception):
    """A value the fast emitter does not write; the task is written by dump_ledger instead."""


def _scalar(value: Any, flow: bool = False) -> str:
    if isinstance(value, bool):
        raise _NotPlain(repr(value))
    if isinstance(value, dt.date | int):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return _plain(str(value), flow)


def _fast_task(task: Mapping[str, Any], indent: int) -> str:
    """One task as dump_ledger writes it, its dash at column ``indent``; _NotPlain when unsure."""
    pad, inner, deep = " " * indent, " " * (indent + 2), " " * (indent + 6)
    out: list[str] = []
    first = True
    for key in TASK_KEYS:
        value = task.get(key)
        if value is None:
            continue
        head = f"{pad}- " if first else inner
        first = False
        if isinstance(value, list):
            if not value:
                raise _NotPlain(key)
            if key in FLOW_KEYS or (key == "deadline" and all(isinstance(v, str) for v in value)):
                out.append(f"{head}{key}: [{', '.join(_scalar(v, True) for v in value)}]\n")
                continue
            out.append(f"{head}{key}:\n")
            for item in value:
                if isinstance(item, Mapping):
                    lines = [f"{k}: {_scalar(v)}" for k, v in item.items() if v is not None]
                    out.append(f"{inner}  - {lines[0]}\n" + "".join(f"{deep}{line}\n" for line in lines[1:]))
                else:
                    out.append(f"{inner}  - {_scalar(item)}\n")
            continue
        if isinstance(value, Mapping):
            raise _NotPlain(key)
        out.append(f"{head}{key}: {_scalar(value)}\n")
    return "".join(out)


_TASK_LINE = re.compile(r"^( *)- id: (\S+)\n", re.MULTILINE)


class PieceLedger:
    """A ledger's text as pieces: text between tasks, and one piece per task (which can be rewritten).

    Built from ``dump_ledger``'s output of the data; a task is written again by the fast emitter,
    or, for a value it does not handle, by dump_ledger on a one-task ledger (slow, the same text).
    """

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.tasks: dict[str, dict[str, Any]] = {t["id"]: t for t in walk_tasks(data)}
        text = ledger_text(data)
        self.pieces: list[str] = []
        self.slot: dict[str, tuple[int, int]] = {}  # task id -> (index in pieces, indent)
        done = 0
        for m in _TASK_LINE.finditer(text):
            if m[2] not in self.tasks or m.start() < done:
                continue
            indent = len(m[1])
            end = re.compile(rf"\n(?= {{0,{indent}}}[^ \n])").search(text, m.end() - 1)
            stop = end.start() + 1 if end else len(text)
            self.pieces.append(text[done:m.start()])
            self.slot[m[2]] = (len(self.pieces), indent)
            self.pieces.append(text[m.start():stop])
            done = stop
        self.pieces.append(text[done:])
        missing = set(self.tasks) - set(self.slot)
        if missing:
            raise ValueError(f"tasks not found in the dumped ledger: {sorted(missing)[:5]}")
        for task_id, task in self.tasks.items():  # the fast emitter must agree with dump_ledger, byte for byte
            index, indent = self.slot[task_id]
            if self.render(task, indent) != self.pieces[index]:
                raise AssertionError(f"the fast emitter differs from dump_ledger on {task_id}:\n"
                                     f"{self.render(task, indent)}---\n{self.pieces[index]}")

    def render(self, task: Mapping[str, Any], indent: int) -> str:
        """The text of one task with its dash at column ``indent``."""
        try:
            return _fast_task(task, indent)
        except _NotPlain:
            return _slow_task(task, indent)

    def edit(self, task_id: str, change: Callable[[dict[str, Any]], None]) -> None:
        """Apply ``change`` to a task's data and rewrite its piece."""
        task = self.tasks[task_id]
        change(task)
        index, indent = self.slot[task_id]
        self.pieces[index] = self.render(task, indent)

    def text(self) -> str:
        return "".join(self.pieces)


def _slow_task(task: Mapping[str, Any], indent: int) -> str:
    text = dump_ledger({"plan": {"id": "x", "title": "x", "year": YEAR},
                        "sections": [{"id": "x", "title": "x", "tasks": [dict(task)]}]})
    body = text[text.index("  - id: " if "    - id: " not in text else "    - id: "):]
    lines = body.splitlines(keepends=True)
    shift = indent - (len(lines[0]) - len(lines[0].lstrip(" ")))
    return "".join((" " * shift + line[max(0, -shift):]) if shift >= 0 else line[-shift:] for line in lines)


# --- a project ----------------------------------------------------------------------------------------------------


def copy_template(dest: Path, template: Path = REPO, as_of: dt.date = AS_OF) -> None:
    """mkdocs.yml, content/, overrides/ and hooks/ of the sample project, the as-of date set to ``as_of``."""
    dest.mkdir(parents=True, exist_ok=True)
    config = (template / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"(?m)^(\s+as_of:) \S+", rf"\1 {as_of.isoformat()}", config)
    (dest / "mkdocs.yml").write_text(config, encoding="utf-8")
    for name in PROJECT_DIRS:
        shutil.copytree(template / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"),
                        dirs_exist_ok=True)


@dataclass
class Project:
    """A generated project: where it is, and the data of its ledger and registry."""

    path: Path
    shape: Shape
    data: dict[str, Any]
    registry: list[dict[str, Any]]


def make_project(dest: Path, shape: Shape, template: Path = REPO) -> Project:
    """A portal project in ``dest``: the sample's config, content and templates with a synthetic ledger."""
    registry = make_registry(shape.departments, shape.seed)
    data = make_ledger(shape, registry)
    copy_template(dest, template, shape.as_of)
    (dest / "departments.yaml").write_text(registry_text(registry), encoding="utf-8")
    (dest / "tasks.yaml").write_text(ledger_text(data), encoding="utf-8")
    return Project(dest, shape, data, registry)


# --- a git history ------------------------------------------------------------------------------------------------


@dataclass
class History:
    """What make_history wrote: the repository, the ledger as the last commit left it, the commit days."""

    repo: Path
    ledger: PieceLedger
    registry: list[dict[str, Any]]
    days: list[dt.date]
    seconds: float  # the time fast-import took, with the texts made on the fly
    changes: int = 0  # task changes over all commits
    authors: list[str] = field(default_factory=list)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment where git ignores the user's and the system's configuration."""
    return {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1", **(extra or {})}


def git(repo: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run git in ``repo`` (isolated from local configuration); its output."""
    return subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.gov.cn", *args],
                          cwd=repo, env=git_env(env), check=True, capture_output=True, text=True).stdout


class _Evolution:
    """Moves a ledger forward one working day at a time, as monthly progress reports do."""

    def __init__(self, ledger: PieceLedger, seed: int) -> None:
        self.ledger = ledger
        self.rng = random.Random(f"history:{seed}")
        self.words = _Words(self.rng)
        self.open = [t for t, task in ledger.tasks.items() if task["status"] in (NOT_STARTED, IN_PROGRESS, ONGOING)]
        self.by = {t["id"]: (t.get("lead") or item.get("lead") or ["办公室"])[0]
                   for section in ledger.data["sections"] for item in section.get("sections", [])
                   for t in item.get("tasks", [])}
        self.changes = 0

    def day(self, on: dt.date) -> list[str]:
        """Change a few tasks on day ``on``; the ids changed."""
        r = self.rng
        k = r.choices((1, 2, 3, 4, 5), weights=(30, 30, 20, 12, 8))[0]
        changed: list[str] = []
        for _ in range(k):
            if not self.open:
                break
            task_id = r.choice(self.open)
            if task_id in changed:
                continue
            self.ledger.edit(task_id, lambda task: self._progress(task, on))
            changed.append(task_id)
            if self.ledger.tasks[task_id]["status"] not in (NOT_STARTED, IN_PROGRESS, ONGOING):
                self.open.remove(task_id)
        self.changes += len(changed)
        return changed

    def _progress(self, task: dict[str, Any], on: dt.date) -> None:
        r = self.rng
        status = task["status"]
        done = False
        if status == NOT_STARTED:
            task["status"], task["percent"] = IN_PROGRESS, r.randrange(5, 25, 5)
        elif status == IN_PROGRESS:
            if r.random() < 0.08 and self._postpone(task):
                pass  # a postponement is reported with an update, the percent unchanged
            elif r.random() < 0.01:
                task["status"] = SUSPENDED
            else:
                percent = task["percent"] + r.randrange(5, 30, 5)
                if percent >= 100:
                    task["status"], task["percent"], task["closed"] = DONE, 100, _fresh(on)
                    done = True
                else:
                    task["percent"] = percent
        by = (task.get("lead") or [self.by[task["id"]]])[0]
        task.setdefault("updates", []).append({"date": _fresh(on), "text": self.words.update(on, done=done), "by": by})

    @staticmethod
    def _postpone(task: dict[str, Any]) -> bool:
        """Move a month deadline later (6月底前 → 9月底前); False when its wording has no month to move."""
        wording = task["deadline"]
        if not isinstance(wording, str):
            return False
        m = re.fullmatch(r"(\d+)月(底前|份)", wording)
        if not m or int(m[1]) >= 12:
            return False
        task["deadline"] = f"{min(12, int(m[1]) + 3)}月{m[2]}"
        return True


def make_history(repo_dir: Path, n_tasks: int, commits: int, seed: int = 1, *, sections: int = 10,
                 departments: int = 30, end: dt.date = AS_OF, extra_files: Mapping[str, bytes] | None = None
                 ) -> History:
    """A git repository in ``repo_dir`` whose tasks.yaml has ``commits`` commits, one per working day up to ``end``.

    The first commit holds the plan as issued (with departments.yaml and ``extra_files``); each later
    one changes a few tasks: a status moves forward, an update is added, sometimes a deadline is
    postponed. Author and committer dates are fixed (18:00 Beijing time), so the commit ids depend
    only on the arguments. The work tree is checked out at the last commit.
    """
    started = time.perf_counter()
    shape = Shape(n_tasks, sections, departments, seed, YEAR, end)
    registry = make_registry(departments, seed)
    ledger = PieceLedger(make_ledger(shape, registry, progress=False))
    days = working_days(end, commits)
    evolution = _Evolution(ledger, seed)
    authors = [_person(random.Random(f"author:{seed}:{i}")) for i in range(8)]
    repo_dir.mkdir(parents=True, exist_ok=True)
    git(repo_dir, "init", "-q", "-b", "main")
    proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=repo_dir, stdin=subprocess.PIPE,
                            env=git_env())
    assert proc.stdin is not None
    out = proc.stdin
    files: dict[str, bytes] = {"departments.yaml": registry_text(registry).encode("utf-8"),
                               ".gitignore": b".cache/\nsite/\n", **(extra_files or {})}
    try:
        for k, day in enumerate(days):
            if k == 0:
                subject = f"导入实施方案（{n_tasks}项任务）"
            else:
                changed = evolution.day(day)
                more = "等" if len(changed) > 3 else ""
                subject = f"更新进展：{'、'.join(changed[:3])}{more}（{len(changed)}项任务）"
            author = authors[k % len(authors)]
            when = int(dt.datetime.combine(day, dt.time(18, 0), TZ).timestamp())
            message = subject.encode("utf-8")
            ident = f"{author} <user{k % len(authors)}@example.gov.cn> {when} +0800".encode()
            out.write(b"commit refs/heads/main\nmark :%d\nauthor %s\ncommitter %s\ndata %d\n%s\n"
                      % (k + 1, ident, ident, len(message), message))
            if k:
                out.write(b"from :%d\n" % k)
            else:
                for name, content in sorted(files.items()):
                    out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (name.encode(), len(content), content))
            body = ledger.text().encode("utf-8")
            out.write(b"M 100644 inline tasks.yaml\ndata %d\n%s\n" % (len(body), body))
        out.write(b"done\n")
        out.close()
    finally:
        if proc.wait() != 0:
            raise RuntimeError("git fast-import failed")
    git(repo_dir, "reset", "-q", "--hard", "main")
    return History(repo_dir, ledger, registry, days, time.perf_counter() - started, evolution.changes, authors)


def commit_ledger(repo: Path, ledger: PieceLedger, subject: str, when: dt.datetime, author: str = "bench") -> str:
    """Write the ledger to tasks.yaml and commit it at ``when``; the new commit's id."""
    (repo / "tasks.yaml").write_text(ledger.text(), encoding="utf-8")
    stamp = when.isoformat()
    env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": author,
           "GIT_AUTHOR_EMAIL": "bench@example.gov.cn"}
    git(repo, "commit", "-q", "-m", subject, "--", "tasks.yaml", env=env)
    return git(repo, "rev-parse", "HEAD").strip()


# --- the same content as hand-written Markdown -------------------------------------------------------------------

PLAIN_CONFIG = """\
# The benchmark's reference: the same content as ordinary Markdown pages, with the portal's theme and plugins.
site_name: 进度台账
docs_dir: content
use_directory_urls: true

theme:
  name: material
  language: zh
  font: false
  features:
    - navigation.tabs
    - navigation.indexes
    - navigation.top
    - toc.follow
    - search.highlight
  palette:
    primary: red
    accent: red

plugins:
  - search:
      lang: zh
      separator: '[\\s\\u200b\\u3000\\-、。，．？！；]+'
  - privacy:
      assets_fetch: false
      assets_exclude:
        - unpkg.com/mermaid@11/*

markdown_extensions:
  - toc:
      permalink: true
  - tables
  - admonition
  - attr_list

extra:
  generator: false
"""


def _deadline_words(deadline: Any) -> str:
    parts = deadline if isinstance(deadline, list) else [deadline]
    return "、".join(p["text"] if isinstance(p, Mapping) else str(p) for p in parts)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|")


def plain_pages(data: Mapping[str, Any], registry: list[dict[str, Any]]) -> dict[str, str]:
    """The Markdown pages a person would write by hand for the same ledger, by path under docs_dir.

    One page per top-level section (a heading per item, a heading and a bullet list of fields and
    updates per task), a table page with one row per task, and a page per department with a table
    of its tasks, plus an index of departments.
    """
    pages: dict[str, str] = {}
    rows: list[str] = []
    by_dept: dict[str, list[str]] = {d["name"]: [] for d in registry}
    counts: dict[str, list[int]] = {d["name"]: [0, 0] for d in registry}
    for section in data["sections"]:
        out = [f"# {section['number']}{section['title']}\n"]
        for item in section.get("sections", []):
            out.append(f"## {item['number']} {item['title']}\n")
            resp = [f"责任领导：{item['leader']}" if item.get("leader") else "",
                    f"牵头单位：{'、'.join(item.get('lead', []))}" if item.get("lead") else "",
                    f"责任单位：{'、'.join(item.get('units', []))}" if item.get("units") else ""]
            out.append("；".join(r for r in resp if r) + "\n")
            for task in item.get("tasks", []):
                lead = task.get("lead") or item.get("lead") or []
                out.append(f"### {task['number']}{task['title']} {{#{task['id']}}}\n")
                out.append(f"- 编号：`{task['id']}`")
                out.append(f"- 状态：**{task['status']}**" + (f"（{task['percent']}%）" if "percent" in task else ""))
                out.append(f"- 完成时限：{_deadline_words(task['deadline'])}")
                out.append(f"- 牵头单位：{'、'.join(lead)}")
                if item.get("units"):
                    out.append(f"- 责任单位：{'、'.join(item['units'])}")
                if task.get("closed"):
                    out.append(f"- 销号日期：{task['closed']}")
                out.append(f"- 具体内容：{task.get('details', '')}")
                for metric in task.get("metrics", []):
                    out.append(f"- 指标：{metric['name']} {metric['actual']}/{metric['target']}{metric['unit']}")
                if task.get("updates"):
                    out.append("- 工作进展：")
                    for update in reversed(task["updates"]):
                        out.append(f"    - {update['date']} {update['text']}（{update['by']}）")
                for ev in task.get("evidence", []):
                    out.append(f"- 佐证材料：[{ev['title']}]({ev['url']})")
                if task.get("tags"):
                    out.append(f"- 标签：{'、'.join(task['tags'])}")
                out.append("")
                last = task["updates"][-1] if task.get("updates") else None
                link = f"[{_cell(task['title'])}](sections/{section['id']}.md#{task['id']})"
                latest = f"{last['date']} {_cell(last['text'][:40])}" if last else ""
                row = (f"| {section['number']} | {task['number']} | {link} | {'、'.join(lead)} | "
                       f"{_cell(_deadline_words(task['deadline']))} | {task['status']} | "
                       f"{task.get('percent', '')} | {latest} |")
                rows.append(row)
                for name in lead:
                    if name in by_dept:
                        by_dept[name].append(row.replace("](sections/", "](../sections/"))
                        counts[name][0] += 1
                        counts[name][1] += task["status"] == DONE
        pages[f"sections/{section['id']}.md"] = "\n".join(out) + "\n"
    header = ("| 板块 | 序号 | 任务 | 牵头单位 | 完成时限 | 状态 | 进度 | 最新进展 |\n"
              "|---|---|---|---|---|---|---|---|\n")
    pages["table.md"] = "# 进度总表\n\n" + header + "\n".join(rows) + "\n"
    index = ["# 责任单位\n", "| 单位 | 牵头任务 | 已完成 | 完成率 |", "|---|---|---|---|"]
    for dept in registry:
        name = dept["name"]
        total, done = counts[name]
        rate = f"{100 * done / total:.1f}%" if total else "—"
        index.append(f"| [{name}]({name}.md) | {total} | {done} | {rate} |")
        pages[f"departments/{name}.md"] = (f"# {name}\n\n牵头任务 {total} 项，已完成 {done} 项。\n\n" + header
                                           + "\n".join(by_dept[name]) + "\n")
    pages["departments/index.md"] = "\n".join(index) + "\n"
    return pages


def make_plain_project(dest: Path, data: Mapping[str, Any], registry: list[dict[str, Any]],
                       template: Path = REPO) -> Path:
    """A plain MkDocs + Material project with the same content (no hooks, no custom templates)."""
    docs = dest / "content"
    docs.mkdir(parents=True, exist_ok=True)
    (dest / "mkdocs.yml").write_text(PLAIN_CONFIG, encoding="utf-8")
    for page in sorted((template / "content").glob("*.md")):
        shutil.copy2(page, docs / page.name)
    for rel, text in plain_pages(data, registry).items():
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text(text, encoding="utf-8")
    return dest


# --- plan documents and Excel ledgers for the importer ------------------------------------------------------------


def plan_lines(data: Mapping[str, Any]) -> list[str]:
    """The ledger as an office's plan document words it: a title, an opening paragraph, 一、/（一）/1． headings with
    the responsibility and the deadline in brackets after each task, and the issuer and date at the end. Tasks are
    numbered 1．, 2．… again under each 一、, as long plans number them (the importer reads at most three digits)."""
    plan = data["plan"]
    lines = [str(plan["issuer"]), str(plan["title"]).split("（")[0],
             "为深入贯彻落实上级部署，结合工作实际，制定本方案。"]
    numerals = "一二三四五六七八九十"
    k = 0
    for i, section in enumerate(data["sections"]):
        head = numerals[i] if i < 10 else chinese_number(i + 1)
        lines.append(f"{head}、{section['title']}")
        k = 0
        for j, item in enumerate(section.get("sections", [])):
            lines.append(f"（{chinese_number(j + 1)}）{item['title']}")
            for task in item.get("tasks", []):
                k += 1
                who = "、".join(task.get("lead") or item.get("lead") or [])
                units = "、".join(task.get("units") or item.get("units") or [])
                duty = f"牵头单位：{who}" + (f"；责任单位：{units}" if units else "")
                lines.append(f"{k}．{task['details']}（{duty}；完成时限：{_deadline_words(task['deadline'])}）")
    lines += [str(plan["issuer"]), f"{plan['year']}年1月20日"]
    return lines


def write_plan_docx(data: Mapping[str, Any], path: Path) -> Path:
    """The plan document as a .docx: one paragraph per line, headings bold as offices type them."""
    from docx import Document

    document = Document()
    for line in plan_lines(data):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(line)
        run.bold = line[:1] in "一二三四五六七八九十" and "、" in line[:4]
    document.save(str(path))
    return path


LEDGER_HEADER = ("序号", "重点任务", "牵头单位", "配合单位", "完成时限", "工作进展", "完成情况")


def write_ledger_xlsx(data: Mapping[str, Any], path: Path) -> Path:
    """The ledger as an office keeps it in Excel: a title row, a header, a section row per 一、 and a row per task."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "任务台账"
    ws.append([f"{data['plan']['title'].split('（')[0]}任务台账"])
    ws.append(list(LEDGER_HEADER))
    k = 0
    for section in data["sections"]:
        ws.append([f"{section['number']}{section['title']}"])
        for item in section.get("sections", []):
            for task in item.get("tasks", []):
                k += 1
                updates = task.get("updates") or []
                ws.append([k, task["details"], "、".join(task.get("lead") or item.get("lead") or []),
                           "、".join(task.get("units") or item.get("units") or []),
                           _deadline_words(task["deadline"]), updates[-1]["text"] if updates else None,
                           task["status"]])
    wb.save(path)
    return path


# --- command line -----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["ledger", "registry", "project", "plain", "history", "documents"])
    parser.add_argument("out", nargs="?", type=Path, help="the folder to write (project, plain, history)")
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--sections", type=int, default=10)
    parser.add_argument("--departments", type=int, default=30)
    parser.add_argument("--commits", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    shape = Shape(args.tasks, args.sections, args.departments, args.seed)
    registry = make_registry(shape.departments, shape.seed)
    if args.what == "ledger":
        sys.stdout.write(ledger_text(make_ledger(shape, registry)))
        return 0
    if args.what == "registry":
        sys.stdout.write(registry_text(registry))
        return 0
    if args.out is None:
        parser.error(f"{args.what} needs an output folder")
    if args.what == "project":
        make_project(args.out, shape)
    elif args.what == "plain":
        make_plain_project(args.out, make_ledger(shape, registry), registry)
    elif args.what == "documents":
        args.out.mkdir(parents=True, exist_ok=True)
        data = make_ledger(shape, registry)
        write_plan_docx(data, args.out / "plan.docx")
        write_ledger_xlsx(data, args.out / "ledger.xlsx")
    else:
        history = make_history(args.out, args.tasks, args.commits, args.seed, sections=args.sections,
                               departments=args.departments)
        copy_template(args.out)
        print(f"{args.commits} commits, {history.changes} task changes, in {history.seconds:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
