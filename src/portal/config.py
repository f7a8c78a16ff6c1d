"""The portal's settings, read from ``extra.portal`` in mkdocs.yml with positions.

The same reading serves the MkDocs hook and the command line, so that
``portal validate`` and a build always agree.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.i18n import lang_of
from portal.ledger.schema import INVALID, Context, Date, Field, Integer, ListOf, Obj, Spec, Text, parse_date
from portal.ledger.yamlread import MappingNode, Node, Reader, ScalarNode, compose_file
from portal.problems import LedgerError, Problem, Problems

DEFAULT_LEDGER = "tasks.yaml"
DEFAULT_REGISTRY = "departments.yaml"


@dataclass(slots=True)
class Ranking:
    """红黑榜 thresholds: ranks 1..red get a red flag, red+1..yellow yellow, the rest black."""

    red: int = 7
    yellow: int = 10


@dataclass(slots=True)
class PortalConfig:
    """Settings of one portal; paths are relative to ``root`` (the folder of mkdocs.yml)."""

    root: Path = field(default_factory=Path.cwd)
    config_file: str = "mkdocs.yml"
    ledgers: list[str] = field(default_factory=lambda: [DEFAULT_LEDGER])
    registry: str | None = DEFAULT_REGISTRY
    as_of: dt.date | None = None
    due_soon_days: int = 7
    ranking: Ranking = field(default_factory=Ranking)
    page_depth: int = 1
    lang: str = "zh"
    cache_dir: str = ".cache/portal"
    archive_dir: str = "archive"
    commit_url: str = "{repo_url}/-/commit/{sha}"
    repo_url: str = ""
    site_url: str = ""
    site_name: str = ""
    # Set by `portal snapshot` for the build of one month (PORTAL_SNAPSHOT): month, as_of, commit,
    # repo (the git work tree), source (the project folder in it), data (a JSON file of the month's figures).
    snapshot: dict[str, Any] | None = None

    @property
    def history_root(self) -> Path:
        """The project folder whose ledgers git knows: the source project when building a snapshot."""
        return Path(self.snapshot["source"]) if self.snapshot else self.root

    def path(self, rel: str) -> Path:
        return (self.root / rel).resolve()


def _build_ranking(v: dict[str, Any], node: MappingNode, ctx: Context) -> Any:
    ranking = Ranking(v.get("red", 7), v.get("yellow", 10))
    if ranking.yellow < ranking.red:
        ctx.reader.error(node, "config_bad", key="ranking", reason="yellow < red")
        return INVALID
    return ranking


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
                },
                build=_build_ranking,
            ),
            "红黑榜",
        ),
        "page_depth": Field(Integer(1, 6), "分页层级", "第几级板块及以上各自成页，默认 1（一、二、…各一页）"),
        "cache_dir": Field(Text(), "缓存目录", "历史记录的缓存，默认 .cache/portal；不要提交到 git"),
        "archive_dir": Field(Text(), "月度快照目录", "已发布的月度快照，默认 archive；发布后不再改动"),
        "commit_url": Field(Text(), "提交链接",
                            "由 repo_url 和提交号 sha 组成，默认 GitLab 的 {repo_url}/-/commit/{sha}"),
    },
    build=lambda v, n, c: v,
)


def _child(node: Node | None, key: str) -> Node | None:
    if not isinstance(node, MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return v
    return None


def read_config(config_file: Path | str, environ: Mapping[str, str] | None = None) -> PortalConfig:
    """Settings from mkdocs.yml; raises LedgerError pointing into mkdocs.yml when they are wrong."""
    path = Path(config_file)
    environ = os.environ if environ is None else environ
    problems = Problems()
    reader = Reader(path.name, problems)
    root = compose_file(path, reader)
    theme = _child(root, "theme")
    language = _child(theme, "language")
    lang = lang_of(language.value if isinstance(language, ScalarNode) else None)
    reader.lang = lang
    cfg = PortalConfig(root=path.parent.resolve(), config_file=path.name, lang=lang)
    for key in ("repo_url", "site_url", "site_name"):
        value = _child(root, key)
        if isinstance(value, ScalarNode) and value.value:
            setattr(cfg, key, value.value.strip())
    node = _child(_child(root, "extra"), "portal")
    if node is not None and not (isinstance(node, ScalarNode) and node.tag.endswith(":null")):
        values = _read(PORTAL_CONFIG, node, Context(reader))
        if values is not INVALID:
            for key, value in values.items():
                setattr(cfg, key, value)
    snapshot = environ.get("PORTAL_SNAPSHOT", "").strip()
    if snapshot:
        cfg.snapshot = json.loads(snapshot)
        environ = {**environ, "PORTAL_AS_OF": cfg.snapshot["as_of"]}
        cfg.ledgers = list(cfg.snapshot.get("ledgers") or cfg.ledgers)
    env_as_of = environ.get("PORTAL_AS_OF", "").strip()
    if env_as_of:
        parsed = parse_date(env_as_of)
        if parsed is None:
            problems.add(Problem("PORTAL_AS_OF", 0, 0, "as_of_env", (("value", env_as_of),)))
        cfg.as_of = parsed
    if problems.errors:
        raise LedgerError(problems, lang)
    return cfg


def _read(spec: Spec, node: Node, ctx: Context) -> Any:
    return spec.read(node, ctx)
