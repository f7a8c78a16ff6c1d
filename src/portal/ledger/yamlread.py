"""Compose YAML into position-carrying nodes with libyaml, and report against them.

We compose instead of load: the node graph keeps every value's line and column,
keeps duplicate keys (which ``load`` would silently collapse) and shows how YAML
resolved a plain scalar (``1.10`` is a float), so that each problem can point at
the exact value and say what to do.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from portal.i18n import YAML_PROBLEMS, message
from portal.problems import Problem, Problems

try:  # libyaml makes composing several times faster; fall back quietly if absent
    from yaml import CSafeLoader as _Loader

    _C_READER = True
except ImportError:  # pragma: no cover - PyYAML wheels ship libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    _C_READER = False

Node = yaml.Node
ScalarNode = yaml.ScalarNode
MappingNode = yaml.MappingNode
SequenceNode = yaml.SequenceNode

TAG_STR = "tag:yaml.org,2002:str"
TAG_NULL = "tag:yaml.org,2002:null"
TAG_INT = "tag:yaml.org,2002:int"
TAG_FLOAT = "tag:yaml.org,2002:float"
TAG_BOOL = "tag:yaml.org,2002:bool"
TAG_TIMESTAMP = "tag:yaml.org,2002:timestamp"

#: Limits that keep a hostile file from exhausting the build machine (documented in the README).
#: A 10,000-task ledger is about 5 MB; 20 MB leaves room and bounds memory and time.
MAX_BYTES = 20 * 1024 * 1024
MAX_DEPTH = 64


@dataclass(slots=True)
class Reader:
    """Problems found while reading one file, with its display path."""

    file: str
    problems: Problems
    lang: str = "zh"
    _seen_collections: set[int] = field(default_factory=set)

    def error(self, node: Node | None, code: str, **params: object) -> None:
        self._add(node, code, params, "error")

    def warn(self, node: Node | None, code: str, **params: object) -> None:
        self._add(node, code, params, "warning")

    def _add(self, node: Node | None, code: str, params: dict[str, object], severity: str) -> None:
        line, col = position(node)
        self.problems.add(Problem(self.file, line, col, code, tuple(params.items()), severity))

    def where(self, node: Node) -> str:
        line, col = position(node)
        return f"{self.file}:{line}:{col}"

    def first_visit(self, node: Node) -> bool:
        """False when a mapping or list is reached a second time through a YAML alias.

        Aliases of collections are refused: they are never needed in a ledger and
        they are how a "billion laughs" file explodes in memory.
        """
        key = id(node)
        if key in self._seen_collections:
            return False
        self._seen_collections.add(key)
        return True


def position(node: Node | None) -> tuple[int, int]:
    """1-based line and column of a node, (0, 0) without one."""
    if node is None:
        return 0, 0
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def compose_file(path: Path, reader: Reader, root: Path | None = None) -> Node | None:
    """The root node of a YAML file, or None after reporting why it cannot be read.

    With ``root`` (the project folder), a file named inside the project must also be inside it once its
    symbolic links are followed: see :func:`read_bounded`.
    """
    data = read_bounded(path, reader, root)
    return None if data is None else compose_text(data, reader)


#: Bytes asked of the operating system at a time while reading a file.
_CHUNK = 1024 * 1024


def read_bounded(path: Path, reader: Reader, root: Path | None = None) -> bytes | None:
    """The bytes of a regular file of at most MAX_BYTES, or None after reporting why not.

    A repository is hostile input: ``tasks.yaml`` may be a symbolic link to /dev/zero, /etc/passwd or a named
    pipe, or a file of a terabyte. So the file is opened without blocking (a pipe would wait for a writer for
    ever), checked with fstat on the open descriptor (a regular file, not over MAX_BYTES) and then read at most
    MAX_BYTES + 1 bytes, so that nothing is ever read whole before it is judged.

    With ``root``, a path that lies inside the project folder is read only if its real location (symbolic
    links followed) is inside the project too. A path that itself leads out of the project (``../shared/x.yaml``
    or an absolute path) was written in mkdocs.yml on purpose, and is read where it points.
    """
    target = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    if root is not None:
        base = os.path.normpath(os.path.abspath(root))
        target = os.path.join(base, path)
        lexical = os.path.normpath(target)
        if _inside(lexical, base):
            real = os.path.realpath(lexical)
            if not _inside(real, os.path.realpath(base)):
                reader.error(None, "file_outside_project")
                return None
            # Open the place that was checked, and refuse it if it has become a link since.
            target, flags = real, flags | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags)
    except FileNotFoundError:
        reader.error(None, "file_missing", file=reader.file)
        return None
    except OSError as exc:
        reader.error(None, "file_unreadable", reason=exc.strerror or str(exc))
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = message(reader.lang, _file_kind(info.st_mode), {})
            reader.error(None, "file_not_regular", kind=kind)
            return None
        if info.st_size > MAX_BYTES:
            reader.error(None, "yaml_too_big", limit=_size_limit())
            return None
        # fstat's size is only a promise (a file may grow, /proc files say 0): stop one byte past the limit.
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, min(_CHUNK, MAX_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        reader.error(None, "file_unreadable", reason=exc.strerror or str(exc))
        return None
    finally:
        os.close(fd)
    if size > MAX_BYTES:
        reader.error(None, "yaml_too_big", limit=_size_limit())
        return None
    return b"".join(chunks)


def _inside(path: str, folder: str) -> bool:
    """Whether a normalised absolute path is the folder or lies within it."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _file_kind(mode: int) -> str:
    """The catalogue key naming what a file that is not a regular file is."""
    if stat.S_ISDIR(mode):
        return "file_kind_directory"
    if stat.S_ISFIFO(mode):
        return "file_kind_fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "file_kind_device"
    if stat.S_ISSOCK(mode):
        return "file_kind_socket"
    return "file_kind_other"


def _size_limit() -> str:
    return f"{MAX_BYTES // (1024 * 1024)} MiB"


def compose_text(data: bytes | str, reader: Reader) -> Node | None:
    """The root node of a YAML document, or None after reporting a problem."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            reader.error(None, "yaml_too_big", limit=_size_limit())
            return None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            reader.problems.add(Problem(reader.file, *_offset_to_line(data, exc.start), "file_not_utf8"))
            return None
    else:
        text = data
    depth_problem = _too_deep(text)
    if depth_problem:
        reader.problems.add(Problem(reader.file, depth_problem, 1, "yaml_too_deep", (("limit", MAX_DEPTH),)))
        return None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        reader.problems.add(_syntax_problem(exc, reader))
        return None
    except yaml.reader.ReaderError as exc:
        # A raw control character: libyaml gives no mark, only an offset (in UTF-8 bytes for the C reader), and
        # an English message over two lines. Point at the character, in words, like every other problem.
        prefix = text.encode("utf-8")[: exc.position].decode("utf-8", "ignore") if _C_READER else text[: exc.position]
        line, col = prefix.count("\n") + 1, len(prefix) - (prefix.rfind("\n") + 1) + 1
        reader.problems.add(Problem(reader.file, line, col, "bad_char", (("char", f"U+{exc.character:04X}"),)))
        return None
    except yaml.YAMLError as exc:
        reader.problems.add(Problem(reader.file, 0, 0, "yaml_syntax", (("problem", str(exc)),)))
        return None
    if node is None:
        reader.error(None, "file_empty")
    return node


def _syntax_problem(exc: yaml.MarkedYAMLError, reader: Reader) -> Problem:
    """A syntax error at the place to fix, explained in the reader's language."""
    mark = exc.problem_mark or exc.context_mark
    context = exc.context or ""
    # libyaml notices an unclosed bracket or quote only where the next thing starts: point at the opening.
    if exc.context_mark and any(w in context for w in ("flow", "quoted")):
        mark = exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    raw = (exc.problem or context).strip()
    problem = explain_yaml_problem(raw, context, reader.lang)
    return Problem(reader.file, line, col, "yaml_syntax", (("problem", problem),))


def explain_yaml_problem(problem: str, context: str, lang: str) -> str:
    """libyaml's message, with an explanation in the reader's words in front when the catalogue has one."""
    original = f"{context}: {problem}" if context and context not in problem else problem
    for key, words in YAML_PROBLEMS[lang]:
        if key in original:
            return message(lang, "yaml_explained", {"words": words, "original": original})
    return original


def _offset_to_line(data: bytes, offset: int) -> tuple[int, int]:
    before = data[:offset]
    line = before.count(b"\n") + 1
    return line, offset - (before.rfind(b"\n") + 1) + 1


def _too_deep(text: str) -> int:
    """The line where flow or block nesting first exceeds MAX_DEPTH, or 0.

    libyaml's composer recurses per level; a file nested thousands of levels deep
    would overflow the C stack before any error could be raised, so refuse it first.
    Block nesting is judged by indentation, flow nesting by open brackets.
    """
    depth = 0
    for lineno, line in enumerate(text.splitlines(), 1):
        # '? ' (explicit key) and ': ' nest on one line like '- ' does: '? ? ? … a' 20,000 deep overflowed
        # Python's stack (RecursionError), and deeper libyaml's C stack (a segfault), before this counted them.
        stripped = line.lstrip(" -?:")
        indent = len(line) - len(stripped)
        if indent > MAX_DEPTH * 4:
            return lineno
        if "[" not in line and "{" not in line and not depth:
            continue
        for ch in line:
            if ch in "[{":
                depth += 1
                if depth > MAX_DEPTH:
                    return lineno
            elif ch in "]}":
                depth = max(0, depth - 1)
    return 0


def kind_of(node: Node) -> str:
    """The catalogue key naming what a node is, for 'expected X, got Y' messages."""
    if isinstance(node, MappingNode):
        return "type_mapping"
    if isinstance(node, SequenceNode):
        return "type_list"
    return {
        TAG_INT: "type_int",
        TAG_FLOAT: "type_float",
        TAG_TIMESTAMP: "type_date",
        TAG_BOOL: "type_bool",
        TAG_NULL: "type_null",
    }.get(node.tag, "type_scalar")


def is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag == TAG_NULL)


def scalar_python(node: ScalarNode) -> object:
    """What a plain YAML loader would make of a scalar (for messages only)."""
    try:
        return yaml.safe_load(node.value) if not node.style else node.value
    except yaml.YAMLError:
        return node.value
