"""The versions of a ledger file in git, oldest first.

Like git-history's ``iterate_file_versions``: one ``git log`` lists every commit
that touched the file (following renames), with the blob ids of the file in the
commit and in its parents, and one ``git cat-file --batch`` process serves the
blobs. Nothing here parses YAML or compares versions: see versions and changes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NULL_BLOB = "0" * 40
# Records and fields start with NUL, which git never keeps in a name or a subject. Plain \x1e / \x1f separators
# it does keep: one commit with such a character in its subject or author name broke every build's history.
RECORD = "\x00\x1e"
FIELD = "\x00\x1f"
LOG_FORMAT = "%x00%x1f".join(["%H", "%P", "%an", "%ae", "%aI", "%cI", "%s"])
#: Characters XML 1.0 does not allow: git keeps control characters in names and subjects, feed.xml must not.
XML_INVALID_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class GitError(Exception):
    """git could not answer; the message is git's own."""


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: str
    email: str
    date: dt.datetime  # author date, aware
    committed: dt.datetime  # committer date, aware
    subject: str


@dataclass(frozen=True, slots=True)
class FileVersion:
    """The ledger file as one commit left it, and as each parent had it."""

    commit: Commit
    path: str  # the file's path in this commit
    blob: str | None  # None when the commit deleted the file
    parent_blobs: tuple[str | None, ...]  # None where a parent did not have it


def git(root: Path, *args: str, check: bool = True) -> str:
    """Run git in ``root``; output decoded as UTF-8, undecodable bytes replaced (old commits may be GBK)."""
    proc = subprocess.run(["git", "-c", "core.quotepath=off", *args], cwd=root, capture_output=True)
    if check and proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout.decode("utf-8", "replace")


def repo_root(start: Path) -> Path | None:
    """The top of the git work tree containing ``start``, or None outside git (or without git)."""
    try:
        out = git(start, "rev-parse", "--show-toplevel")
    except (GitError, FileNotFoundError, NotADirectoryError):
        return None
    return Path(out.strip())


def is_shallow(root: Path) -> bool:
    return git(root, "rev-parse", "--is-shallow-repository", check=False).strip() == "true"


def head(root: Path) -> str | None:
    out = git(root, "rev-parse", "--verify", "-q", "HEAD", check=False).strip()
    return out or None


def iterate_file_versions(root: Path, path: str, rev: str = "HEAD") -> Iterator[FileVersion]:
    """Every commit reachable from ``rev`` that changed ``path`` (following renames), oldest first.

    Merges that only took one side are left out by git's history simplification;
    a merge that resolved a conflict in the file is kept, with the file in each parent.
    """
    if head(root) is None:
        return
    common = ("--raw", "-c", "--no-abbrev", "--encoding=UTF-8", f"--format=%x00%x1e{LOG_FORMAT}", "--", path)
    try:
        out = git(root, "log", rev, "--follow", "-M", *common)
    except GitError:
        # A blob git cannot read (missing, damaged) stops the similarity check of --follow, and with it the whole
        # log. Exact renames are found by object id alone: follow those, and let the blob be reported when read.
        out = git(root, "log", rev, "--follow", "-M100%", *common)
    versions = [v for v in (_parse_record(r) for r in out.split(RECORD)[1:]) if v is not None]
    yield from reversed(versions)


def _parse_record(record: str) -> FileVersion | None:
    header, _, raw = record.partition("\n")
    sha, parents, author, email, adate, cdate, subject = header.split(FIELD, 6)
    author, subject = (XML_INVALID_RE.sub("\ufffd", text) for text in (author, subject))
    commit = Commit(sha, tuple(parents.split()), author, email, dt.datetime.fromisoformat(adate),
                    dt.datetime.fromisoformat(cdate), subject)
    for line in raw.splitlines():
        if not line.startswith(":"):
            continue
        meta, _, paths = line.partition("\t")
        fields = meta.lstrip(":").split()
        n = meta.count(":", 0, len(meta) - len(meta.lstrip(":")))  # one colon per parent
        blobs = fields[n + 1: 2 * n + 2]
        status = fields[-1]
        path = paths.split("\t")[-1]
        *parent_blobs, blob = blobs
        if "D" in status and blob == NULL_BLOB:
            return FileVersion(commit, path, None, tuple(_blob(b) for b in parent_blobs))
        return FileVersion(commit, path, _blob(blob), tuple(_blob(b) for b in parent_blobs))
    return None


def _blob(sha: str) -> str | None:
    return None if sha == NULL_BLOB else sha


class Blobs:
    """Blob contents through one long-running ``git cat-file --batch``.

    An object git cannot give (missing from the repository, or damaged) raises GitError for that object only:
    the next read goes on, with a new ``git cat-file`` if the last one stopped. git's own complaints are kept
    for the message rather than printed.
    """

    def __init__(self, root: Path) -> None:
        self._root = root
        # a file, not a pipe, so that git never blocks on what it says; closed by close()
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self._proc = self._start()

    def _start(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["git", "cat-file", "--batch"], cwd=self._root, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=self._errors)

    def read(self, sha: str) -> bytes:
        if self._proc.poll() is not None:  # stopped on an earlier object: a new one for the rest
            self._proc = self._start()
        assert self._proc.stdin and self._proc.stdout
        seen = self._errors.seek(0, 2)
        try:
            self._proc.stdin.write(sha.encode() + b"\n")
            self._proc.stdin.flush()
            header = self._proc.stdout.readline().split()
            data = self._proc.stdout.read(int(header[2])) if len(header) == 3 and header[2].isdigit() else b""
            if len(header) == 3 and len(data) == int(header[2]):
                self._proc.stdout.read(1)  # the newline after the contents
                return data
        except OSError:  # git stopped: a broken pipe
            header = []
        if not header or header[-1] != b"missing":
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
        said = self._said(seen)
        if len(header) == 2 and header[1] == b"missing":
            raise GitError(f"missing object {sha}" + (f" ({said})" if said else ""))
        raise GitError(f"cannot read object {sha}: {said or 'git cat-file stopped'}")

    def _said(self, since: int) -> str:
        """What git wrote to stderr since ``since``, on one line."""
        self._errors.seek(since)
        lines = self._errors.read(4000).decode("utf-8", "replace").split("\n")
        self._errors.seek(0, 2)
        return "; ".join(line.strip() for line in lines if line.strip())

    def close(self) -> None:
        if self._proc.stdin:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        self._proc.wait()
        self._errors.close()

    def __enter__(self) -> Blobs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def file_at(root: Path, path: str, commit: str) -> bytes | None:
    """The ledger ``path`` (as named now) as it was in ``commit``, following renames; None if absent then."""
    ancestors = set(git(root, "rev-list", commit).split())
    found = [v for v in iterate_file_versions(root, path) if v.commit.sha in ancestors]
    if not found or found[-1].blob is None:
        return None
    proc = subprocess.run(["git", "cat-file", "blob", found[-1].blob], cwd=root, capture_output=True, check=True)
    return proc.stdout


def show(root: Path, rev: str, path: str) -> bytes | None:
    """The file at ``rev``, or None when it is not there."""
    proc = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def merge_base(root: Path, candidates: tuple[str, ...] = ("origin/HEAD", "origin/main", "origin/master", "main",
                                                          "master")) -> str | None:
    """Where the current branch left the main branch: the base a merge request is compared with."""
    for ref in candidates:
        out = git(root, "merge-base", "HEAD", ref, check=False).strip()
        if out:
            return out
    return head(root)
