"""A ledger read again by its top-level sections (`mkdocs serve` on each save) gives what reading it whole gives.

Each case edits the sample ledger's text; the edited file is loaded once with the memo of the load before it
(sections whose lines are unchanged taken from there) and once as a plain build loads it, and the two must be
equal: the same plans, sections and tasks, the same warnings, or the same errors at the same lines.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO
from portal.config import read_config
from portal.ledger.load import Loaded, load
from portal.ledger.reread import cut_sections
from portal.memo import Memo
from portal.problems import LedgerError

SAMPLE = (REPO / "tasks.yaml").read_text(encoding="utf-8")


def outcome(result: Loaded | LedgerError) -> object:
    if isinstance(result, LedgerError):
        return ("error", result.problems.render("zh"))
    return ("ok", result.ledger, result.as_of, result.warnings.render("zh"))


def loaded(project: Path, memo: Memo | None) -> Loaded | LedgerError:
    try:
        return load(read_config(project / "mkdocs.yml", environ={}), memo=memo)
    except LedgerError as err:
        return err


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("mkdocs.yml", "tasks.yaml", "departments.yaml"):
        shutil.copy(REPO / name, tmp_path / name)
    return tmp_path


def nth_line(text: str, prefix: str, n: int = 0) -> str:
    return [line for line in text.split("\n") if line.startswith(prefix)][n]


EDITS: dict[str, Callable[[str], str]] = {
    "a task retitled": lambda t: t.replace(nth_line(t, "            title: ", 5),
                                           nth_line(t, "            title: ", 5) + "（改）", 1),
    "lines added in the first section": lambda t: t.replace("            percent: 75\n",
                                                            "            percent: 75\n            tags: [新增]\n", 1),
    "a section removed": lambda t: t[:t.index("  - id: s2\n")] + t[t.index("  - id: s3\n"):],
    "the plan's year": lambda t: t.replace("  year: 2020\n", "  year: 2021\n", 1),
    "an unknown status in the fourth section": lambda t: t[:t.index("  - id: s4\n")]
    + t[t.index("  - id: s4\n"):].replace("status: 进行中", "status: 进行吧", 1),
    "an unknown department": lambda t: t.replace("lead: [机关党委, 人教科, 办公室]", "lead: [机关党委, 人教课]", 1),
    "a duplicate id across sections": lambda t: t.replace("  - id: s2\n", "  - id: s1\n", 1),
    "an anchor used in another section": lambda t: t.replace("    number: 一、\n", "    number: &first 一、\n", 1)
    .replace("    number: 二、\n", "    number: *first\n", 1),
    "an anchor used in its own section": lambda t: t.replace("        lead: [机关党委, 人教科, 办公室]\n",
                                                             "        lead: &mine [机关党委, 人教科, 办公室]\n", 1)
    .replace("        units: [机关各科室, 直属各单位]\n", "        units: *mine\n", 1),
    "a bracket left open": lambda t: t.replace("lead: [机关党委, 人教科, 办公室]", "lead: [机关党委, 人教科", 1),
    "a comment between sections": lambda t: t.replace("  - id: s3\n", "# 第三部分\n\n  - id: s3\n", 1),
    "a key after the sections": lambda t: t + "extra: 1\n",
    "Windows line ends": lambda t: t.replace("\n", "\r\n"),
    "a lone carriage return": lambda t: t.replace("    number: 二、\n", "    number: 二、\r", 1),
    "the plan after the sections": lambda t: t[t.index("sections:\n"):] + t[:t.index("sections:\n")],
    "sections in flow style": lambda t: t[:t.index("sections:\n")] + "sections: [{id: x, title: 一个板块}]\n",
    "the sections key twice": lambda t: t + "sections:\n  - id: z\n    title: 重复\n",
    "a tab in a section": lambda t: t.replace("    number: 二、\n", "    number:\t二、\n", 1),
    "an empty ledger of sections": lambda t: t[:t.index("sections:\n")] + "sections:\n",
}


@pytest.mark.parametrize("name", list(EDITS))
def test_a_ledger_read_again_by_its_sections_is_the_ledger_read_whole(project: Path, name: str) -> None:
    memo = Memo()
    first = loaded(project, memo)
    assert outcome(first) == outcome(loaded(project, None))
    ledger = project / "tasks.yaml"
    ledger.write_bytes(EDITS[name](SAMPLE).encode("utf-8"))
    again = loaded(project, memo)
    assert outcome(again) == outcome(loaded(project, None))
    # and once more, every section now from the memo
    assert outcome(loaded(project, memo)) == outcome(loaded(project, None))


def test_a_save_reads_only_the_sections_it_changed(project: Path) -> None:
    memo = Memo()
    loaded(project, memo)
    assert memo.made == 7 and memo.taken == 0  # the sample's seven top-level sections, each read once
    (project / "tasks.yaml").write_text(EDITS["a task retitled"](SAMPLE), encoding="utf-8")
    result = loaded(project, memo)
    assert isinstance(result, Loaded)
    assert memo.made == 1 and memo.taken == 6
    assert any(t.title.endswith("（改）") for t in result.ledger.tasks())


def test_the_cut_keeps_every_line_where_it_was() -> None:
    cut = cut_sections(SAMPLE)
    assert cut is not None
    lines = SAMPLE.split("\n")
    assert len(cut.rest.split("\n")) == len(lines)
    assert [p.line for p in cut.pieces] == [i for i, line in enumerate(lines) if line.startswith("  - id: s")]
    for piece in cut.pieces:
        assert lines[piece.line:piece.line + piece.text.count("\n") + 1] == piece.text.split("\n")
    assert cut_sections(SAMPLE.replace("sections:\n", "sections: []\n", 1)) is None
    assert cut_sections("---\n" + SAMPLE) is None


@pytest.mark.parametrize("seed", range(40))
def test_a_ledger_garbled_at_random_reads_the_same_either_way(project: Path, seed: int) -> None:
    """Lines deleted, repeated, moved in or out, or broken, anywhere: the outcome is the whole read's."""
    rng = random.Random(seed)
    lines = SAMPLE.split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        kind = rng.choice(["delete", "repeat", "indent", "dedent", "break", "item"])
        if kind == "delete":
            del lines[i]
        elif kind == "repeat":
            lines.insert(i, lines[i])
        elif kind == "indent":
            lines[i] = "  " + lines[i]
        elif kind == "dedent":
            lines[i] = lines[i][2:] if lines[i].startswith("  ") else lines[i]
        elif kind == "break":
            lines[i] = lines[i][: len(lines[i]) // 2]
        else:
            lines.insert(i, "  - id: s9\n    title: 插入的板块")
    memo = Memo()
    loaded(project, memo)
    (project / "tasks.yaml").write_text("\n".join(lines), encoding="utf-8")
    assert outcome(loaded(project, memo)) == outcome(loaded(project, None))
