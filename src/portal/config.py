"""The portal's settings, read from ``extra.portal`` of the configuration MkDocs has loaded.

A build hands :func:`from_mkdocs` the config MkDocs loaded (so ``INHERIT``,
``!ENV`` and every other MkDocs feature apply); the command line loads the same
file through MkDocs too (:func:`read_config`). Both read one declared schema, so
``portal validate`` and a build always agree. Problems point at the setting's
key path (``mkdocs.yml › extra.portal.ranking.red``), as MkDocs' own messages do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from portal.i18n import lang_of
from portal.ledger.schema import INVALID, Choice, Context, Date, Field, Integer, ListOf, Obj, Text, parse_date
from portal.ledger.yamlread import MappingNode, Node, Reader, SequenceNode, compose_text
from portal.problems import LedgerError, Problem, Problems
from portal.round.periods import ReportingRule

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig

DEFAULT_LEDGER = "tasks.yaml"
DEFAULT_REGISTRY = "departments.yaml"


#: The criteria of the 红黑榜, in the order ties are broken by default: completion of the tasks due so far and
#: on-time completion (percent, more is better); overdue tasks, postponements and missed reporting periods
#: (counts, fewer is better).
CRITERIA = ("completion", "on_time", "overdue", "postponed", "missed")
#: Reporting cadences an office may set (the period a recurring duty is judged by, at the finest).
CADENCES = ("week", "month", "quarter")


@dataclass(frozen=True, slots=True)
class Ranking:
    """The 红黑榜: ranks 1..red get a red flag, red+1..yellow yellow, the rest black.

    The score is the sum of each criterion's value times its weight (percentages add, counts subtract); equal
    scores are told apart by ``tie_break``, criterion by criterion. ``basis`` 'due' ranks by the tasks due so
    far (done, or overdue), as the special-action plan ranks the indicators due; 'all' by every lead task.
    ``commend`` quarters of red in a row earn a commendation (通报表扬), ``talk`` quarters of black a talk (约谈).
    """

    red: int = 7
    yellow: int = 10
    basis: str = "due"
    weights: tuple[tuple[str, int], ...] = (("completion", 1),)
    tie_break: tuple[str, ...] = CRITERIA
    commend: int = 2
    talk: int = 2

    def weight(self, criterion: str) -> int:
        return dict(self.weights).get(criterion, 0)


@dataclass(frozen=True, slots=True)
class Supervision:
    """When a task is lagging (亮灯) and the reporting cadence recurring duties are judged at."""

    cadence: str = ""  # week | month | quarter; '' judges at the reporting cadence (extra.portal.reporting)
    soon_progress: int = 50
    behind_margin: int = 20
    reply_days: int = 7  # a 督办通知单 asks for a written reply within this many days


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """The monthly report as a 公文: its title's form, 主送机关 and 落款 (empty: the plan's issuer / none)."""

    title: str = ""  # e.g. 关于{plan}{year}年{month}月进展情况的报告; empty: the catalogue's form
    to: str = ""
    issuer: str = ""


@dataclass(frozen=True, slots=True)
class PortalConfig:
    """Settings of one portal; paths are relative to ``root`` (the folder of mkdocs.yml)."""

    root: Path = field(default_factory=Path.cwd)
    config_file: str = "mkdocs.yml"
    ledgers: tuple[str, ...] = (DEFAULT_LEDGER,)
    registry: str | None = DEFAULT_REGISTRY
    as_of: dt.date | None = None
    due_soon_days: int = 7
    ranking: Ranking = field(default_factory=Ranking)
    reporting: ReportingRule = field(default_factory=ReportingRule)
    supervision: Supervision = field(default_factory=Supervision)
    report: ReportSettings = field(default_factory=ReportSettings)
    page_depth: int = 1
    lang: str = "zh"
    cache_dir: str = ".cache/portal"
    archive_dir: str = "archive"
    commit_url: str = "{repo_url}/-/commit/{sha}"
    edit_url: str = ""  # a task's lines in the repository's web interface; '' picks GitLab's or GitHub's form
    branch: str = "main"
    repo_url: str = ""
    site_url: str = ""
    site_name: str = ""

    def path(self, rel: str) -> Path:
        return (self.root / rel).resolve()

    def replace(self, **changes: Any) -> PortalConfig:
        return dataclasses.replace(self, **changes)


def _build_ranking(v: dict[str, Any], node: MappingNode, ctx: Context) -> Any:
    weights = v.get("score", {"completion": 1})
    tie_break = tuple(v.get("tie_break", CRITERIA))
    ranking = Ranking(v.get("red", 7), v.get("yellow", 10), v.get("basis", "due"),
                      tuple((k, weights[k]) for k in CRITERIA if weights.get(k)), tie_break,
                      v.get("commend", 2), v.get("talk", 2))
    if ranking.yellow < ranking.red:
        ctx.reader.error(node, "config_bad", key="ranking", reason="yellow < red")
        return INVALID
    if not ranking.weights:
        ctx.reader.error(node, "config_bad", key="ranking.score", reason="all weights are 0")
        return INVALID
    if len(set(tie_break)) != len(tie_break):
        ctx.reader.error(node, "config_bad", key="ranking.tie_break", reason="a criterion twice")
        return INVALID
    return ranking


def _criterion() -> Choice:
    return Choice({k: k for k in CRITERIA}, "排名指标",
                  {"完成率": "completion", "按期完成率": "on_time", "逾期": "overdue", "延期": "postponed",
                   "未报送": "missed"})


def _weight(label: str, doc: str) -> Field:
    return Field(Integer(0, 1000), label, doc)


PORTAL_CONFIG = Obj(
    {
        "ledgers": Field(ListOf(Text(), single=True), "台账文件", "一个或多个台账 YAML 文件，默认 tasks.yaml"),
        "registry": Field(Text(), "单位名录", "科室和单位名录文件，默认 departments.yaml"),
        "as_of": Field(Date(), "统计日期", "逾期、临期和排名按此日期计算；默认今天（方案时区）"),
        "due_soon_days": Field(Integer(0, 366), "临期天数", "距截止日期不超过此天数为临期，默认 7"),
        "ranking": Field(
            Obj(
                {
                    "red": Field(Integer(0, 10000), "红旗名次", "第 1 名到此名次为红旗，默认 7"),
                    "yellow": Field(Integer(0, 10000), "黄旗名次", "红旗之后到此名次为黄旗，默认 10"),
                    "basis": Field(Choice({"due": "到期任务", "all": "全部牵头任务"}, "排名范围"), "排名范围",
                                   "due：按截至统计日期已到期的任务（已完成或已逾期）排名，默认；all：按全部牵头任务"),
                    "score": Field(
                        Obj(
                            {
                                "completion": _weight("完成率权重", "每个百分点计的分数，默认 1"),
                                "on_time": _weight("按期完成率权重", "每个百分点计的分数，默认 0"),
                                "overdue": _weight("逾期扣分", "每项逾期任务扣的分数，默认 0"),
                                "postponed": _weight("延期扣分", "每次延期扣的分数，默认 0"),
                                "missed": _weight("未报送扣分", "每个无进展的报送周期扣的分数，默认 0"),
                            },
                            build=lambda v, n, c: v,
                        ),
                        "得分",
                        "得分 = 各项指标 × 权重之和（完成率、按期完成率加分，逾期、延期、未报送扣分）",
                    ),
                    "tie_break": Field(ListOf(_criterion()), "同分比较",
                                       "得分相同时依次比较的指标，默认 completion、on_time、overdue、"
                                       "postponed、missed"),
                    "commend": Field(Integer(1, 100), "表扬连续季数", "连续几个季度红旗予以通报表扬，默认 2"),
                    "talk": Field(Integer(1, 100), "约谈连续季数", "连续几个季度黑旗约谈科室负责人，默认 2"),
                },
                build=_build_ranking,
            ),
            "红黑榜",
        ),
        "reporting": Field(
            Obj(
                {
                    "cadence": Field(Choice({"monthly": "每月", "quarterly": "每季度"}, label="报送周期"), "报送周期",
                                     "monthly 每月（默认）或 quarterly 每季度"),
                    "day": Field(Integer(1, 31), "报送日", "每期最后一个月的几号前报送，默认 25"),
                },
                build=lambda v, n, c: ReportingRule(v.get("cadence", "monthly"), v.get("day", 25)),
            ),
            "进展报送",
        ),
        "supervision": Field(
            Obj(
                {
                    "cadence": Field(Choice({"week": "每周", "month": "每月", "quarter": "每季度"}, "报送周期"),
                                     "报送周期",
                                     "周期性任务按此周期（或其自身更长的周期）判断是否报送进展；"
                                     "默认与进展报送周期（reporting.cadence）相同"),
                    "soon_progress": Field(Integer(0, 100), "临期进度线", "临期且进度低于此值亮黄灯，默认 50"),
                    "behind_margin": Field(Integer(0, 100), "进度落后线",
                                           "进度落后于时间进度超过此百分点亮黄灯，默认 20"),
                    "reply_days": Field(Integer(1, 366), "督办回复天数",
                                        "督办通知单要求在统计日期后几天内书面回复，默认 7"),
                },
                build=lambda v, n, c: Supervision(**v),
            ),
            "督办亮灯",
        ),
        "report": Field(
            Obj(
                {
                    "title": Field(Text(), "报告标题",
                                   "可用 {plan}（方案名称）、{year}、{month}；"
                                   "默认 关于《{plan}》{year}年{month}月落实情况的报告"),
                    "to": Field(Text(), "主送机关", "默认为方案的制定单位"),
                    "issuer": Field(Text(), "落款单位", "报告末尾署名的单位"),
                },
                build=lambda v, n, c: ReportSettings(**v),
            ),
            "月度报告",
        ),
        "page_depth": Field(Integer(1, 6), "分页层级", "第几级板块及以上各自成页，默认 1（一、二、…各一页）"),
        "cache_dir": Field(Text(), "缓存目录", "历史记录的缓存，默认 .cache/portal；不要提交到 git"),
        "archive_dir": Field(Text(), "月度快照目录", "已发布的月度快照，默认 archive；发布后不再改动"),
        "commit_url": Field(Text(), "提交链接",
                            "由 repo_url 和提交号 sha 组成，默认 GitLab 的 {repo_url}/-/commit/{sha}"),
        "edit_url": Field(Text(), "编辑链接",
                          "任务卡片上“编辑”链接，由 repo_url、branch、path（台账文件）和 line（行号）组成；"
                          "默认按 GitLab（{repo_url}/-/blob/{branch}/{path}#L{line}）或 GitHub 的写法"),
        "branch": Field(Text(), "主分支", "编辑链接指向的分支，默认 main"),
    },
    build=lambda v, n, c: v,
)


@dataclass(slots=True)
class _KeyPathReader(Reader):
    """Places problems at a setting's key path: MkDocs has already parsed the file, its lines are gone."""

    paths: dict[int, str] = field(default_factory=dict)

    def _add(self, node: Node | None, code: str, params: dict[str, object], severity: str) -> None:
        self.problems.add(Problem(self._at(node), 0, 0, code, tuple(params.items()), severity))

    def where(self, node: Node) -> str:
        return self._at(node)

    def _at(self, node: Node | None) -> str:
        return f"{self.file} › {self.paths.get(id(node), 'extra.portal')}"


def _key_paths(node: Node, path: str, out: dict[int, str]) -> None:
    out[id(node)] = path
    if isinstance(node, MappingNode):
        for key, value in node.value:
            out[id(key)] = f"{path}.{key.value}"
            _key_paths(value, f"{path}.{key.value}", out)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _key_paths(item, f"{path}[{i}]", out)


def portal_settings(extra: Any, file: str, lang: str, problems: Problems) -> dict[str, Any]:
    """The values of ``extra.portal`` as loaded by MkDocs, read through the declared schema."""
    if extra is None:
        return {}
    reader = _KeyPathReader(file, problems, lang)
    try:
        # The schema reads YAML nodes: give it the loaded values as one small document of their own.
        text = yaml.safe_dump(extra, allow_unicode=True, sort_keys=False)
    except yaml.YAMLError:
        reader.error(None, "config_bad", key="", reason=type(extra).__name__)
        return {}
    root = compose_text(text, reader)
    if root is None:
        return {}
    _key_paths(root, "extra.portal", reader.paths)
    values = PORTAL_CONFIG.read(root, Context(reader))
    return {} if values is INVALID else values


def from_mkdocs(config: MkDocsConfig, environ: Mapping[str, str] | None = None) -> PortalConfig:
    """Settings from the configuration MkDocs has loaded for a build; LedgerError when they are wrong."""
    return _settings(Path(config.config_file_path or "mkdocs.yml"), _loaded_theme_language(config),
                     config.extra, config.site_name, config.repo_url, config.site_url, environ)


def _loaded_theme_language(config: MkDocsConfig) -> str | None:
    """The theme language as the project set it: MkDocs keeps what the project wrote (``user_configs``), which
    tells a language the project chose from the theme's own default (Material's is English)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # MkDocs 1.6 marks it for 2.0, which the portal pins out
        user_configs = getattr(config, "user_configs", None)
    if user_configs is None:  # an engine without it: the theme's language, defaults included
        language = config.theme.get("language") if config.theme is not None else None
        return language if isinstance(language, str) else None
    return _user_theme_language(user_configs)


def read_config(config_file: Path | str, environ: Mapping[str, str] | None = None) -> PortalConfig:
    """Settings of the portal whose MkDocs configuration is ``config_file``, for the command line and tools.

    The file is read by MkDocs' own YAML loader (``INHERIT``, ``!ENV``, ``!relative``), without the checks of a
    build (a docs folder, the theme's files), so that ``portal validate`` and ``portal fmt`` work in any checkout.
    """
    path = Path(config_file)
    raw = _mkdocs_yaml(path)
    return _settings(path, _user_theme_language([raw]), raw.get("extra"), raw.get("site_name"), raw.get("repo_url"),
                     raw.get("site_url"), environ)


def _mkdocs_yaml(path: Path) -> dict[str, Any]:
    from mkdocs.exceptions import ConfigurationError
    from mkdocs.utils.yaml import get_yaml_loader, yaml_load

    try:
        with path.open("rb") as f:
            raw = yaml_load(f, get_yaml_loader())
    except (ConfigurationError, OSError) as exc:
        problems = Problems()
        reason = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
        problems.add(Problem(path.name, 0, 0, "config_mkdocs", (("reason", reason),)))
        raise LedgerError(problems) from None
    return raw if isinstance(raw, dict) else {}


def _user_theme_language(user_configs: list[Any]) -> str | None:
    """The theme language the project set itself (a theme's own default does not count: the portal is Chinese)."""
    for raw in reversed(user_configs):
        theme = raw.get("theme") if isinstance(raw, Mapping) else None
        if isinstance(theme, Mapping) and isinstance(theme.get("language"), str):
            return theme["language"]
    return None


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _settings(config_path: Path, language: str | None, extra: Any, site_name: Any, repo_url: Any, site_url: Any,
              environ: Mapping[str, str] | None) -> PortalConfig:
    environ = os.environ if environ is None else environ
    lang = lang_of(language)
    problems = Problems()
    portal = extra.get("portal") if isinstance(extra, Mapping) else None
    values = portal_settings(portal, config_path.name, lang, problems)
    if "ledgers" in values:
        values["ledgers"] = tuple(values["ledgers"])
    env_as_of = environ.get("PORTAL_AS_OF", "").strip()
    if env_as_of:
        parsed = parse_date(env_as_of)
        if parsed is None:
            problems.add(Problem("PORTAL_AS_OF", 0, 0, "as_of_env", (("value", env_as_of),)))
        values["as_of"] = parsed
    if problems.errors:
        raise LedgerError(problems, lang)
    return PortalConfig(root=config_path.parent.resolve(), config_file=config_path.name, lang=lang,
                        repo_url=_text(repo_url), site_url=_text(site_url), site_name=_text(site_name), **values)
