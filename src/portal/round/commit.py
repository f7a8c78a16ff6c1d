"""Collected answers written out: the ledger files in place, or one git commit per department on a new branch.

A ledger file keeps its line endings and byte order mark: the answers are spliced into its text with line feeds
and written back as the file had them. Files are replaced atomically (a reader sees the old or the new file).
With git, the ledger files must have no uncommitted changes; a new branch ``round/<period>`` (``-2``, ``-3`` …
when taken) is made at HEAD and checked out, and each department's answers are one commit with a Chinese
subject (``办公室：2020年9月进展报送（5项）``) and the forms, the people who filled them in and the tasks in its body,
ready to push for a merge request.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from portal.config import PortalConfig
from portal.history.git import GitError, git, repo_root
from portal.i18n import LABELS, message
from portal.round.collect import DeptResult
from portal.round.periods import Period

BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class LedgerFile:
    """A ledger file's text with line feeds, and how to write it back as it was."""

    path: Path
    text: str
    crlf: bool = False
    bom: bool = False

    @classmethod
    def read(cls, path: Path) -> LedgerFile:
        raw = path.read_bytes().decode("utf-8")
        bom = raw.startswith(BOM)
        raw = raw.removeprefix(BOM)
        crlf = "\r\n" in raw
        return cls(path, raw.replace("\r\n", "\n"), crlf, bom)

    def encoded(self, text: str) -> bytes:
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return ((BOM if self.bom else "") + text).encode("utf-8")


class CommitError(Exception):
    """The answers could not be committed; the message says why, in the portal's language."""


def write_atomically(path: Path, data: bytes) -> None:
    """Replace a file so that a reader sees the old or the new content, keeping its permissions."""
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(files: Mapping[str, LedgerFile], texts: Mapping[str, str]) -> list[Path]:
    """Write the new texts of the ledger files that change; the paths written."""
    written = []
    for rel, text in texts.items():
        write_atomically(files[rel].path, files[rel].encoded(text))
        written.append(files[rel].path)
    return written


def subject(result: DeptResult, period: Period, lang: str) -> str:
    return LABELS[lang]["round_commit"].format(dept=result.dept.name, period=period.label(lang), n=len(result.tasks))


def body(result: DeptResult, lang: str) -> str:
    L = LABELS[lang]
    lines = [L["round_commit_files"].format(files=L["list_sep"].join(result.files))]
    if result.persons:
        lines.append(L["round_commit_persons"].format(names=L["list_sep"].join(result.persons)))
    return "\n".join([*lines, "", *result.lines])


def commit(cfg: PortalConfig, files: Mapping[str, LedgerFile], steps: Iterable[tuple[DeptResult, dict[str, str]]],
           period: Period, lang: str) -> tuple[str, int]:
    """One commit per department on a new branch; (branch, commits). CommitError when it cannot."""
    root = repo_root(cfg.root)
    if root is None:
        raise CommitError(message(lang, "collect_not_git", {}))
    paths = [files[rel].path.resolve().relative_to(root).as_posix() for rel in files]
    try:
        dirty = [line[3:] for line in git(root, "status", "--porcelain", "--", *paths).splitlines() if line.strip()]
        if dirty:
            raise CommitError(message(lang, "collect_dirty", {"files": LABELS[lang]["list_sep"].join(dirty)}))
        base = f"round/{period.key}"
        branch, n = base, 1
        while git(root, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).strip():
            n += 1
            branch = f"{base}-{n}"
        git(root, "checkout", "-q", "-b", branch)
        count = 0
        for result, texts in steps:
            count += 1
            changed = list(texts)
            for rel in changed:
                write_atomically(files[rel].path, files[rel].encoded(texts[rel]))
            mine = [files[rel].path.resolve().relative_to(root).as_posix() for rel in changed]
            git(root, "add", "--", *mine)
            git(root, "commit", "-q", "-m", subject(result, period, lang), "-m", body(result, lang), "--", *mine)
    except GitError as err:
        raise CommitError(message(lang, "collect_git_failed", {"reason": str(err)})) from err
    return branch, count
