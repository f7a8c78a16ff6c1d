"""Import an implementation plan (实施方案) or a rectification report (整改情况报告) into ledger data.

:func:`read_document` turns a file into lines (one paragraph a line), :func:`import_plan` turns
lines into the data of a ledger file (``{"plan": ..., "sections": ...}``, the shape of
``tasks.yaml``, plain dicts, lists, strings and ints) and an :class:`ImportReport`;
:func:`import_file` does both. Nothing here writes files.

Reading
    Regular files only, .txt / .md up to 10 MiB and .docx up to 50 MiB: the size is looked up
    before reading and the file is never read past the limit (:data:`MAX_TEXT_BYTES`,
    :data:`MAX_DOCX_BYTES`).
    .txt / .md in UTF-8 (with or without BOM), UTF-16 (with a BOM, or without one: NULs, and the
    byte order that reads as text) or GB18030, detected in that order; NUL bytes or control
    characters that read as nothing mean a binary file. Big5 and Shift-JIS, which GB18030 would
    read as mojibake, are told by the characters they make and refused by name (see
    :func:`_legacy_encoding`; charset-normalizer proved unreliable on short texts).
    .md loses heading marks, bullets, quotes and ``**`` emphasis.
    .docx paragraphs come in document order, table cells
    row by row, with Word's automatic numbering rendered into the text as a reader sees it
    (numPr of the paragraph or its style -> numbering.xml, counted per numId and level).
    Of a .docx only the relationships, the document, its styles and numbering are decompressed,
    32 MiB together at most (each part's declared size checked before it is opened, the bytes
    counted as they come), and at most 10 Mi characters of text come out of it.
    More than 50,000 numbered items, measures and findings (:data:`MAX_ITEMS`) are refused
    before the ledger is built.

Numbering
    第一部分 / 第一篇 / 第一章 / 第一节, 一、 / （一） / 1. 1、 1． (1.1, 1.1.1, and 1 before a title) / （1） / 1) / ①
    (and ⑴ ⒈), full- or half-width, spaces allowed. After "1." digits are a decimal figure (1.5亿元) unless a date
    word follows them (1.6月底前, 2.9-10月份); after "1、" they never are (3、9月份完成). The levels nest in the
    order the document uses them: a number of a style already open closes that level and starts a sibling, any
    other style opens a level below the current one; when that order contradicts itself (（一） above 1. in one
    part, 1. directly under the next part before its （一）), the usual order of 公文 levels decides.
    （n） and ① written on within a paragraph after 。；！？ (（n） also after ：) are split off when
    they continue the count (n = previous + 1, or 1). Responsibility and time limits in brackets at the end of
    an item (（牵头单位：…；完成时限：…）) belong to that item.

Plans
    Top-level numbers are sections; numbered nodes with numbered children are sections; the
    other (leaf) nodes below the top are tasks. A document with one level only becomes one
    section (titled with the plan title) of tasks. Ids: sections s<number>, s<parent>-<number>
    as printed (二、6. -> s2-6). Tasks t<number> zero-padded to the widest number when the task
    numbers are unique in the plan; when they restart, t<item>-<n> (or t<section path>-<n> when
    that still repeats), and a note says so; unnumbered tasks (problems of a report) are counted in
    order, zero-padded the same way (t01 … t41).
    Unnumbered paragraphs continue the node above them (task details, section details).
Titles
    Text up to the first 。 or ；. Longer than 60 characters: cut at the last ， or , (ASCII too,
    as in the sample's （28）) within the first 60 characters, dropping the comma; with no comma
    there, at the last 、 (the sample's （27）). When that cut would leave fewer than 10
    characters (the sample's （46） "7月份，对…" would become "7月份"), or neither mark is there,
    cut at the first comma after character 60; with none, keep the whole sentence. Details are
    the full text. A section's title is its heading up to the first sub-task, by the same rule.
Responsibility
    Lines 责任领导 / 牵头科室 / 牵头单位 / 牵头部门 / 责任科室 / 责任单位 / 责任部门 / 配合单位 (several
    may share a line) go to the item they close: normally the parent of the task just read (a
    sub-task closes its item; （52） directly under 七、 closes 七、). When several blocks close
    leaf items of one parent, or the parent also holds sub-sections, each block stays with its
    own item (an item that is itself a task then carries them). 责任科室 counts as lead unless
    the block also names a 牵头 line. Tasks inherit; nothing is repeated on them.
Deadlines
    :func:`portal.deadlines.wording.find_deadline_phrases` on the task text, each phrase as written,
    distinct, in text order; one phrase is a string, several a list. Ongoing words (持续,
    长期坚持, 持之以恒, 常态化 ...) count only in the task's first sentence: later they describe
    manner ("持之以恒纠治“四风”" in （26）), and the sample leaves them out. A line 完成时限：… /
    整改时限：… under a task replaces what the text gives.
Rectification reports (detected by a line starting 整改措施：)
    Aspects (the numbered lines whose part holds problems, e.g. （一）关于“…”方面问题) are
    sections; findings 关于“…”问题 are sub-sections; a line followed by 整改措施：… is a problem
    and becomes a task (title and problem = the line, details = the 整改措施 text, measures =
    its 一是/二是… parts without the ordinal and the closing 。；). A finding followed directly by
    整改措施 is itself the problem, a task of the aspect. Aspect and finding titles drop the
    formulaic 关于“ ”（方面）问题 wrapping. Everything else (preamble, 基本情况, 今后打算) is unplaced.
Plan metadata
    Above the title: a 版头 (××局文件, or an office's name alone), a 发文字号 (×发〔2020〕3号), 签发人 lines. The
    title is the first line after them, unless it reads as body text (then the file name, and a note); a title
    broken over two lines is joined; a notice forwarding the plan (关于印发《…》的通知) gives the title in 《》.
    Year: the argument, else the title's, else the 发文字号's, the date line's under the title (（2020年6月5日）,
    also in Chinese numerals 二〇二〇年六月五日) or the 落款's (an office's name over a date line), else
    :class:`ImportFailed`. Issuer: the 落款, else the 版头. id: ``plan_id`` or plan<year>; source: the 发文字号
    above the title, else the last document number in the first paragraph after it; timezone Asia/Shanghai.
Not plans
    A speech (同志们：, a title with 讲话), a summary or report (总结, 汇报, a title ending 情况) or a text whose
    numbered items mostly tell what was done is refused with what was seen, unless ``Options.anyway``.
Closing paragraphs
    After the last numbered item, plain paragraphs from the first that closes the document (各…要结合实际,
    本方案自…, 附件：, 抄送：) are listed as not placed; a heading left with nothing but those is too.
Punctuation
    Half-width , ; : ? ! between Chinese characters and ( ) around Chinese words become full-width (counted in
    the report), unless ``Options.keep_punctuation``; printed numbers stay as printed.
Frequencies
    A recurring phrase is a deadline only when it names a day (每周二, 每月25日前), its clause reports or submits
    (每月通报, 每季度报送) or it starts the task without a minimum (每季度召开一次…); how often an activity
    happens (每周集中学习半天, 每年至少召开1次) is noted and makes nothing due.

Nothing is dropped silently: every non-empty line ends up in a field or in ``report.unplaced``
(line numbers are 1-based lines of a text file, paragraphs of a Word file); only labels
(责任领导：, 整改措施：, the 关于“ ”问题 wrapping) and the punctuation at a cut are not copied.
"""

from __future__ import annotations

import bisect
import io
import os
import posixpath
import re
import stat
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from portal.deadlines.wording import find_deadline_phrases
from portal.i18n import message
from portal.problems import printable

__all__ = ["ImportFailed", "ImportReport", "import_file", "import_plan", "read_document", "terminal_safe"]


@dataclass
class ImportReport:
    """What an import did: counts, the lines placed nowhere (1-based line, text) and notes for people."""

    source: str
    lines: int  # non-empty lines read
    sections: int  # sections at every level
    tasks: int
    unplaced: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    punctuation: int = 0  # half-width marks between Chinese characters made full-width
    shape: str = "outline"  # outline | rectification | table


class ImportFailed(Exception):
    """The document cannot be imported; the message says why, in Chinese."""


# ---------------------------------------------------------------------------------------------------------------------
# Reading documents
# ---------------------------------------------------------------------------------------------------------------------

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Office 97-2003 files, and encrypted Office files
TABLE_SUFFIXES = {".xlsx", ".xls", ".et", ".xltx"}
# Formats read by no library here, or holding macros: asked to be saved as .docx / .xlsx
REFUSED_SUFFIXES = {".doc", ".wps", ".dot", ".wpt", ".docm", ".dotm", ".xlsm", ".xltm"}
MARKDOWN_SUFFIXES = {".md", ".markdown"}
MiB = 1024 * 1024
# A real plan is 20-50 KB of text; 10 MiB is a plan of some 50,000 tasks, and the ledger made from it stays within
# the ledger's own limit (20 MiB). Larger files are refused before they are read.
MAX_TEXT_BYTES = 10 * MiB
# A .docx may carry pictures, which are never decompressed: only the parts read below count against the budget.
MAX_DOCX_BYTES = 50 * MiB
# The decompressed XML parts that are read (relationships, document, styles, numbering), all together. lxml needs
# up to some 25 bytes of memory per byte of XML (a document of empty paragraphs), so this keeps a .docx under 1 GB.
MAX_DOCX_XML_BYTES = 32 * MiB
# The characters a .docx may give, paragraphs and Word's numbers together (a number format can repeat a long text
# on every paragraph, so the XML budget alone does not bound the text).
MAX_DOCX_TEXT_CHARS = 10 * MiB
# Sections, tasks and problems together. A real plan has tens to hundreds; writing and checking the ledger costs
# some 0.4 ms and 10 KB an item, so 50,000 keep `portal import` within half a minute and a gigabyte, while 10 MiB
# of one-line tasks (1.3 million) would take an hour.
MAX_ITEMS = 50_000
_MD_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+)")
_MD_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_MD_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")


def read_document(path: Path) -> list[str]:
    """The document's paragraphs as lines (empty ones kept, so that line numbers match the file)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TEXT_SUFFIXES and suffix != ".docx":
        shown = suffix or _msg("import_no_suffix")
        raise ImportFailed(_msg("import_unsupported", suffix=shown))
    data = _read_capped(path, MAX_DOCX_BYTES if suffix == ".docx" else MAX_TEXT_BYTES)
    if not data.strip():
        raise ImportFailed(_msg("import_empty", name=path.name))
    if suffix == ".docx" and data.startswith(OLE_MAGIC):  # not a zip: encrypted, or a .doc renamed
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise ImportFailed(_msg("import_encrypted", name=path.name))
        raise ImportFailed(_msg("import_save_as", name=path.name, suffix=".doc", target=".docx"))
    if suffix == ".docx":
        lines = _read_docx(data, path.name)
    else:
        lines = _decode(data, path.name).splitlines()
        if suffix in MARKDOWN_SUFFIXES:
            lines = [_from_markdown(line) for line in lines]
    if not any(line.strip() for line in lines):
        raise ImportFailed(_msg("import_no_text", name=path.name))
    return lines


def _read_capped(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes: measured before reading, and never read further."""
    try:
        measured = os.stat(path)
        _check_regular(path, measured.st_mode)
        if measured.st_size > limit:
            raise ImportFailed(_too_big(path.name, measured.st_size, limit))
        # O_NONBLOCK: should the file be swapped for a pipe after the look above, opening it does not hang
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as stream:
            _check_regular(path, os.fstat(stream.fileno()).st_mode)
            data = stream.read(limit + 1)
    except OSError as exc:
        raise ImportFailed(_msg("import_unreadable", file=path, reason=exc.strerror or exc)) from exc
    if len(data) > limit:  # it grew since it was measured, or its size is not known before reading (/proc)
        raise ImportFailed(_too_big(path.name, None, limit))
    return data


def _check_regular(path: Path, mode: int) -> None:
    """ImportFailed unless ``mode`` is a regular file's: a pipe or a device would be read for ever."""
    if stat.S_ISREG(mode):
        return
    kind = ("dir" if stat.S_ISDIR(mode) else "fifo" if stat.S_ISFIFO(mode)
            else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "socket" if stat.S_ISSOCK(mode)
            else "special")
    raise ImportFailed(_msg("import_not_regular", name=path.name, kind=_msg(f"import_kind_file_{kind}")))


def _too_big(name: str, size: int | None, limit: int) -> str:
    told = (_msg("import_size_told", size=_size(size), limit=_size(limit)) if size is not None
            else _msg("import_size_grew", limit=_size(limit)))
    return _msg("import_too_big", name=name, told=told)


def _size(n: int) -> str:
    """1.5 GiB, 10 MiB, 200 KiB, 12 字节."""
    for unit, scale in (("GiB", 1024**3), ("MiB", MiB), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return _msg("import_bytes", n=n)


_SAMPLE = 64 * 1024  # bytes looked at to tell encodings apart


def _decode(data: bytes, name: str) -> str:
    """Text from bytes in UTF-8 (BOM optional), UTF-16 (BOM optional) or GB18030; ImportFailed for anything else.

    Big5 and Shift-JIS decode as GB18030 without error (the byte ranges overlap), as mojibake: they are told apart
    by which characters come out (:func:`_legacy_encoding`) and refused, named, rather than imported garbled.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _strict(data, "utf-16")
    elif b"\x00" in data:  # UTF-16 without a BOM puts a NUL beside every ASCII character; binary data has NULs too
        text = _utf16_without_bom(data)
        if text is None:
            raise ImportFailed(_msg("import_not_text_nul", name=name))
    else:
        text = _strict(data, "utf-8-sig")
        if text is None:
            encoding = _legacy_encoding(data[:_SAMPLE])
            if encoding in _FOREIGN:
                raise ImportFailed(_msg("import_foreign_encoding", name=name, what=_msg(f"import_encoding_{encoding}")))
            text = _strict(data, "gb18030")
            if text is None and _control_bytes(data[:_SAMPLE]):
                raise ImportFailed(_msg("import_not_text_control", name=name))
    if text is None:
        raise ImportFailed(_msg("import_unknown_encoding", name=name))
    if _looks_binary(text):
        raise ImportFailed(_msg("import_not_text_control", name=name))
    return text


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _utf16_without_bom(data: bytes) -> str | None:
    """The text, if ``data`` reads as UTF-16 in one byte order and not as binary; else None.

    The NULs alone do not tell the order: ASCII characters put theirs in the high byte, but so do characters
    U+xx00 in the low one, and 一 (U+4E00) is common in a plan. Read in the wrong order, a text gives some 25%
    control, unassigned, private-use or surrogate characters, and few of the characters a Chinese text is made of.
    """
    if len(data) % 2:
        return None
    sample = data[:_SAMPLE]
    ranked = []
    for encoding in ("utf-16-le", "utf-16-be"):
        text = sample.decode(encoding, errors="surrogatepass")  # a lone surrogate is an odd character
        ranked.append((_odd_characters(text), -len(_TEXT_CHARS.findall(text)), encoding))
    odd, _, encoding = min(ranked)
    if odd > max(2, len(sample) // 200):  # over 1% of the characters (a character is two bytes)
        return None
    return _strict(data, encoding)


# What Chinese text is made of: ASCII, general punctuation (“” — …), enclosed numbers (① ⑴ ⒈), CJK punctuation,
# hanzi and full-width forms
_TEXT_CHARS = re.compile("[\t\n\r\x20-\x7e\u2000-\u206f\u2460-\u24ff\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


# GB2312's symbols (rows A1-A3) and hanzi (B0-F7), as GB18030 bytes: nearly every character of a simplified-Chinese
# document, and well under half of what comes out when Big5 or Shift-JIS bytes are read as GB18030.
def _common_gb(b: bytes) -> bool:
    return len(b) == 2 and (0xA1 <= b[0] <= 0xA3 or 0xB0 <= b[0] <= 0xF7) and b[1] >= 0xA1


def _common_big5(b: bytes) -> bool:  # Big5 symbols (A1-A3) and the 5,401 frequent hanzi (A4-C67E)
    return len(b) == 2 and (0xA1 <= b[0] <= 0xC5 or (b[0] == 0xC6 and b[1] <= 0x7E))


def _common_sjis(b: bytes) -> bool:  # Shift-JIS symbols, full-width letters, kana (81-84) and JIS level 1 kanji
    return len(b) == 2 and (0x81 <= b[0] <= 0x84 or 0x88 <= b[0] <= 0x9F)


_LEGACY = {"gb18030": _common_gb, "big5": _common_big5, "cp932": _common_sjis}
_FOREIGN = {"big5", "cp932"}


def _legacy_encoding(sample: bytes) -> str:
    """'big5' or 'cp932' (Shift-JIS) when the sample reads clearly better in it than in GB18030, else 'gb18030'.

    Each encoding is scored by the share of the sample's non-ASCII characters that are common in it (see above).
    A GB18030 document scores 1.0 as GB18030, so it is never refused; Big5 read as GB18030 scores 0.3-0.7 and as
    Big5 1.0; Shift-JIS scores about 0 as GB18030. (charset-normalizer, which is installed, was tried: on lines of
    12 characters it took a third of GB18030 samples for cp949, Big5 or UTF-16, so it is not used.)
    """
    scores: dict[str, float] = {}
    for encoding, common in _LEGACY.items():
        counts = Counter(sample.decode(encoding, errors="replace"))
        total = sum(n for c, n in counts.items() if c >= "\x80")
        good = sum(n for c, n in counts.items() if c >= "\x80" and c != "\ufffd" and common(c.encode(encoding)))
        scores[encoding] = good / total if total else 0.0
    best = max(scores, key=lambda e: scores[e])
    if best != "gb18030" and scores[best] >= 0.8 and scores[best] - scores["gb18030"] >= 0.2:
        return best
    return "gb18030"


def _control_bytes(sample: bytes) -> bool:
    """More than 1% bytes below 0x20 other than tab, line and page breaks: binary, whatever the encoding."""
    odd = sum(sample.count(bytes([b])) for b in range(32) if b not in b"\t\n\r\f\v")
    return odd > max(2, len(sample) // 100)


def _looks_binary(text: str) -> bool:
    """More than 1% control, private-use or unassigned characters: not something a person wrote."""
    return _odd_characters(text) > max(2, len(text) // 100)


def _odd_characters(text: str) -> int:
    """How many control (but tab and breaks), private-use, unassigned or surrogate characters ``text`` has."""
    counts = Counter(text)  # categories looked up once per distinct character: this runs on whole files
    return sum(n for c, n in counts.items()
               if c not in "\t\n\r\f\v" and unicodedata.category(c) in ("Cc", "Co", "Cn", "Cs"))


terminal_safe = printable  # one rule for what reaches a terminal: problems.printable


def _from_markdown(line: str) -> str:
    """A Markdown line as plain text: no heading marks, bullets, quote marks, rules or emphasis."""
    if _MD_RULE.match(line):
        return ""
    line = _MD_PREFIX.sub("", line)
    line = _MD_EMPHASIS.sub(r"\2", line)
    # Closing marks of an ATX heading ("## 标题 ##"): hashes after a space, at the end. Done with rstrip, not the
    # regex \s+#+\s*$, which backtracks quadratically on a long run of spaces.
    stripped = line.rstrip()
    core = stripped.rstrip("#")
    if core != stripped and core != core.rstrip():
        return core.rstrip()
    return line


# --- .docx -----------------------------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Parts of a paragraph whose text a reader does not see: properties, deleted or moved-away text, the fallback copy
# of a text box (its mc:Choice twin is read).
_SKIP_TAGS = {_W + "pPr", _W + "rPr", _W + "del", _W + "moveFrom", _MC_FALLBACK}
_RT_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_RT_NUMBERING = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"
_RT_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


T = TypeVar("T")


def _docx_errors() -> tuple[type[BaseException], ...]:
    """What reading a damaged .docx raises (lxml only paid for when a .docx is read)."""
    from lxml.etree import XMLSyntaxError

    # RuntimeError: an encrypted member; NotImplementedError: an unknown compression
    return (zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError, zlib.error, EOFError, NotImplementedError,
            RuntimeError)


def open_docx(data: bytes, name: str,
              also: Callable[[zipfile.ZipFile], T] | None = None) -> tuple[Any, _Numbering, T | None]:
    """The main document part of a .docx and its numbering, read within the budget of decompressed XML, and what
    ``also`` reads of the package; ImportFailed when the file is not a readable .docx or holds too much.

    Only the parts that carry text and numbering are decompressed (pictures never are), each within what is left of
    :data:`MAX_DOCX_XML_BYTES`: its declared size is checked before it is opened, and the bytes that come out are
    counted, so that a zip bomb is refused whatever its headers say.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = _DocxParts(archive, name)
            main = parts.related("", _RT_OFFICE_DOCUMENT)
            if main is None:
                raise KeyError("officeDocument")
            root = parts.xml(main)
            if root.tag != _W + "document":  # a spreadsheet or a presentation renamed .docx
                raise ValueError(f"main part is {root.tag}")
            numbering_part, styles_part = parts.related(main, _RT_NUMBERING), parts.related(main, _RT_STYLES)
            numbering = _Numbering(parts.xml(numbering_part) if numbering_part else None,
                                   parts.xml(styles_part) if styles_part else None)
            extra = also(archive) if also is not None else None
    except ImportFailed:
        raise
    except _docx_errors() as exc:
        raise ImportFailed(_msg("import_bad_docx", name=name, reason=type(exc).__name__)) from exc
    return root, numbering, extra


def _read_docx(data: bytes, name: str) -> list[str]:
    """Lines of a Word document; ImportFailed when the file is not a readable .docx or holds too much."""
    root, numbering, _ = open_docx(data, name)
    try:
        body = root.find(_W + "body")
        lines: list[str] = []
        chars = 0
        for p in _docx_paragraphs(body) if body is not None else ():
            text = numbering.label(p) + _paragraph_text(p)
            chars += len(text)
            if chars > MAX_DOCX_TEXT_CHARS:
                raise ImportFailed(_msg("import_docx_text", name=name, limit=f"{MAX_DOCX_TEXT_CHARS:,}"))
            lines.extend(text.split("\n"))
        return lines
    except _docx_errors() as exc:
        raise ImportFailed(_msg("import_bad_docx", name=name, reason=type(exc).__name__)) from exc


class _DocxParts:
    """The XML parts of a .docx, read within a budget of decompressed bytes shared by all of them."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        from lxml import etree

        self.archive = archive
        self.name = name
        self.left = MAX_DOCX_XML_BYTES
        self.rels: dict[str, list[Any]] = {}  # source part -> its relationships, each file read once
        # as python-docx parses: no entities expanded, no DTD or network (and lxml's default depth and size limits)
        self.parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, load_dtd=False,
                                      no_network=True)

    def xml(self, member: str) -> Any:
        """The parsed part; KeyError when the archive has no such member, ImportFailed over the budget."""
        from lxml import etree

        info = self.archive.getinfo(member)
        if info.file_size > self.left:  # declared in the archive: refused before anything is decompressed
            raise ImportFailed(self._too_big(_msg("import_part_size", part=member, size=_size(info.file_size))))
        with self.archive.open(info) as stream:
            data = stream.read(info.file_size + 1)  # never more than declared (so than the budget), whatever comes
        if len(data) > info.file_size:
            raise ImportFailed(self._too_big(_msg("import_part_lied", part=member, size=_size(info.file_size))))
        self.left -= len(data)
        return etree.fromstring(data, self.parser)

    def related(self, source: str, reltype: str) -> str | None:
        """The member that ``source`` ('' for the package) relates to by ``reltype``; None when there is none."""
        folder, base = posixpath.split(source)
        if source not in self.rels:
            try:
                self.rels[source] = list(self.xml(posixpath.join(folder, "_rels", base + ".rels")).iterfind(_PKG_REL))
            except KeyError:
                self.rels[source] = []
        for rel in self.rels[source]:
            if rel.get("Type") == reltype and rel.get("TargetMode") != "External":
                target = rel.get("Target", "")
                path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
                return posixpath.normpath(path)
        return None

    def _too_big(self, what: str) -> str:
        return _msg("import_docx_too_big", name=self.name, limit=_size(MAX_DOCX_XML_BYTES), what=what)


def _docx_paragraphs(parent: Any) -> Iterator[Any]:
    """Every w:p under a body or cell in reading order: tables row by row, cells left to right, content controls."""
    for child in parent.iterchildren():
        if child.tag == _W + "p":
            yield child
        elif child.tag == _W + "tbl":
            for row in child.iterchildren(_W + "tr"):
                for cell in row.iterchildren(_W + "tc"):
                    yield from _docx_paragraphs(cell)
        elif child.tag in (_W + "sdt", _W + "customXml"):
            content = child.find(_W + "sdtContent")
            yield from _docx_paragraphs(content if content is not None else child)


def _paragraph_text(p: Any) -> str:
    """The text a reader sees in a paragraph: runs, hyperlinks, insertions; tabs and breaks as \\t and \\n."""
    parts: list[str] = []

    def walk(element: Any) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP_TAGS:
                continue
            if tag == _W + "t":
                parts.append(child.text or "")
            elif tag == _W + "tab":
                parts.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                parts.append("\n")
            elif tag == _W + "noBreakHyphen":
                parts.append("-")
            else:
                walk(child)

    walk(p)
    return "".join(parts)


_LEVELS = range(9)


@dataclass(slots=True)
class _Level:
    """One level of a Word list: its number format, level text ("%1、"), start and restart rule."""

    fmt: str = "decimal"
    text: str = ""
    start: int = 1
    restart: int | None = None  # w:lvlRestart: restart after a level < this is used; None: after any shallower one


def _val(element: Any, tag: str, default: str | None = None) -> str | None:
    child = element.find(_W + tag) if element is not None else None
    return child.get(_W + "val", default) if child is not None else default


class _Numbering:
    """Word's automatic numbering: renders the label ("一、", "（1）") of each numbered paragraph in turn."""

    def __init__(self, numbering: Any, styles: Any) -> None:
        self.levels: dict[str, dict[int, _Level]] = {}
        self.counters: dict[str, dict[int, int]] = {}
        self.styles: dict[str, tuple[str | None, str | None, str | None]] = {}  # id -> (numId, ilvl, basedOn)
        for style in styles.iterfind(_W + "style") if styles is not None else ():
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            num_id, ilvl = (_val(num_pr, "numId"), _val(num_pr, "ilvl")) if num_pr is not None else (None, None)
            self.styles[style.get(_W + "styleId", "")] = (num_id, ilvl, _val(style, "basedOn"))
        if numbering is not None:
            self._read_definitions(numbering)

    def _read_definitions(self, numbering: Any) -> None:
        abstract: dict[str, dict[int, _Level]] = {}
        links: dict[str, str] = {}  # abstractNumId -> list style it takes its levels from (w:numStyleLink)
        for node in numbering.iterfind(_W + "abstractNum"):
            aid = node.get(_W + "abstractNumId", "")
            # Word has levels 0-8; more would make each number cost as many steps as there are levels
            abstract[aid] = {ilvl: _read_level(lvl) for lvl in node.iterfind(_W + "lvl")
                             if (ilvl := int(lvl.get(_W + "ilvl", "0"))) in _LEVELS}
            if _val(node, "numStyleLink"):
                links[aid] = _val(node, "numStyleLink") or ""
        nums = {n.get(_W + "numId", ""): n for n in numbering.iterfind(_W + "num")}
        for num_id, node in nums.items():
            aid = _val(node, "abstractNumId") or ""
            if aid in links:  # a list style: its own numId points at the real definition
                linked = nums.get(self.styles.get(links[aid], (None, None, None))[0] or "")
                aid = _val(linked, "abstractNumId") or aid
            levels = {k: _Level(v.fmt, v.text, v.start, v.restart) for k, v in abstract.get(aid, {}).items()}
            for override in node.iterfind(_W + "lvlOverride"):
                ilvl = int(override.get(_W + "ilvl", "0"))
                if ilvl not in _LEVELS:
                    continue
                lvl = override.find(_W + "lvl")
                if lvl is not None:
                    levels[ilvl] = _read_level(lvl)
                start = _val(override, "startOverride")
                if start is not None and ilvl in levels:
                    levels[ilvl].start = int(start)
            self.levels[num_id] = levels

    def _num_pr(self, p: Any) -> tuple[str | None, int]:
        """(numId, ilvl) of a paragraph: its own numPr, else the nearest style in its basedOn chain that has one."""
        num_pr = p.find(f"{_W}pPr/{_W}numPr")
        num_id, ilvl = (_val(num_pr, "numId"), _val(num_pr, "ilvl")) if num_pr is not None else (None, None)
        style = _val(p.find(_W + "pPr"), "pStyle")
        for _ in range(20):  # basedOn chains are short; a cycle must not hang the import
            if (num_id is not None and ilvl is not None) or not style or style not in self.styles:
                break
            s_num, s_ilvl, style = self.styles[style]
            num_id = num_id if num_id is not None else s_num
            ilvl = ilvl if ilvl is not None else s_ilvl
        return num_id, int(ilvl or 0)

    def label(self, p: Any) -> str:
        """The number Word shows before this paragraph ("" if none), counting it."""
        num_id, ilvl = self._num_pr(p)
        levels = self.levels.get(num_id or "")
        if not levels or ilvl not in levels:
            return ""
        counts = self.counters.setdefault(num_id or "", {})
        counts[ilvl] = counts.get(ilvl, levels[ilvl].start - 1) + 1
        for deeper in [k for k in counts if k > ilvl]:
            level = levels.get(deeper)
            restart = level.restart if level and level.restart is not None else deeper
            if ilvl < restart:
                del counts[deeper]
        if levels[ilvl].fmt == "bullet":
            return ""  # a bullet is not a number the importer could use

        def number(m: re.Match[str]) -> str:
            k = int(m[1]) - 1
            level = levels.get(k, _Level())
            return format_number(counts.get(k, level.start), level.fmt)

        return re.sub(r"%([1-9])", number, levels[ilvl].text)


def _read_level(lvl: Any) -> _Level:
    restart = _val(lvl, "lvlRestart")
    return _Level(
        fmt=_val(lvl, "numFmt", "decimal") or "decimal",
        text=_val(lvl, "lvlText", "") or "",
        start=int(_val(lvl, "start", "1") or 1),
        restart=int(restart) if restart is not None else None,
    )


_CN_DIGITS = "〇一二三四五六七八九"
_CN_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_HEAVENLY_STEMS = "甲乙丙丁戊己庚辛壬癸"
_EARTHLY_BRANCHES = "子丑寅卯辰巳午未申酉戌亥"
_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"),
          (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def format_number(n: int, fmt: str) -> str:
    """A counter in one of Word's number formats (w:numFmt), e.g. 3 -> '三' for chineseCounting."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "ideographLegalTraditional", "koreanCounting"):
        return chinese_number(n)
    if fmt == "chineseLegalSimplified":
        return "".join(_CN_LEGAL[_CN_DIGITS.index(c)] if c in _CN_DIGITS else c for c in chinese_number(n))
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join(_CN_DIGITS[int(d)] for d in str(n))
    if fmt == "ideographTraditional":
        return _HEAVENLY_STEMS[(n - 1) % 10]
    if fmt == "ideographZodiac":
        return _EARTHLY_BRANCHES[(n - 1) % 12]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese") and 1 <= n <= 50:
        return chr(0x245F + n) if n <= 20 else chr(0x3250 + n - 20) if n <= 35 else chr(0x32B1 + n - 36)
    if fmt == "decimalEnclosedParen" and 1 <= n <= 20:
        return chr(0x2473 + n)
    if fmt == "decimalEnclosedFullstop" and 1 <= n <= 20:
        return chr(0x2487 + n)
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(d) + 0xFEE0) for d in str(n))
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("upperLetter", "lowerLetter") and n <= 26 * 30:  # A … Z, AA … ZZ, … as Word; past that, digits
        letter = chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt in ("upperRoman", "lowerRoman") and n <= 3999:  # a counter of 2·10⁹ would be two million Ms
        roman, rest = "", n
        for value, symbol in _ROMAN:
            count, rest = divmod(rest, value)
            roman += symbol * count
        return roman if fmt == "upperRoman" else roman.lower()
    return "" if fmt == "none" else str(n)


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 15 -> 十五, 21 -> 二十一, 105 -> 一百零五, as numbers are written in headings."""
    if n < 10:
        return _CN_DIGITS[max(n, 0)]
    if n < 20:
        return "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _CN_DIGITS[n // 10] + "十" + (_CN_DIGITS[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        tail = "" if rest == 0 else "零" + _CN_DIGITS[rest] if rest < 10 else "一" * (rest < 20) + chinese_number(rest)
        return _CN_DIGITS[n // 100] + "百" + tail
    return str(n)


def chinese_to_int(text: str) -> int:
    """一 -> 1, 十一 -> 11, 二十 -> 20, 一百零五 -> 105, 两 -> 2."""
    digits = {c: i for i, c in enumerate(_CN_DIGITS)} | {"零": 0, "两": 2}
    total = current = 0
    for c in text:
        if c in digits:
            current = digits[c]
        elif c in "十百千":
            total += (current or 1) * {"十": 10, "百": 100, "千": 1000}[c]
            current = 0
    return total + current


# ---------------------------------------------------------------------------------------------------------------------
# Reading lines: numbers, responsibility, deadlines, measures
# ---------------------------------------------------------------------------------------------------------------------

_CN = "一二三四五六七八九十百零〇两"
_D = "0-9０-９"
# After "1." a run of digits is a decimal figure (1.5亿元) unless a date word follows it (1.6月底前, 2.2020年底前):
# then the line is item 1 whose text starts with a date. After "1、" digits are never a decimal (3、9月份完成).
_NOT_DECIMAL = rf"(?![{_D}]+(?![{_D}])(?!\s*(?:[月日号年季周]|[-－—–~～至到]\s*[{_D}]{{1,2}}\s*月)))"
# Multi-level decimal numbers (1.1 / 2.3.1) need text after them, and no unit that would make them a figure.
_MULTI_NOT_FIGURE = r"(?!\s*[月日号年季周%％万亿千百倍元个次项名人天户家件条所期前后起至到止])"
_NUMBER_RES: list[tuple[str, re.Pattern[str]]] = [
    ("part", re.compile(rf"第\s*(?P<n>[{_CN}{_D}]{{1,4}})\s*部\s*分")),
    ("piece", re.compile(rf"第\s*(?P<n>[{_CN}{_D}]{{1,4}})\s*篇")),
    ("chapter", re.compile(rf"第\s*(?P<n>[{_CN}{_D}]{{1,4}})\s*章")),
    ("node", re.compile(rf"第\s*(?P<n>[{_CN}{_D}]{{1,4}})\s*节")),
    ("cn_dun", re.compile(rf"(?P<n>[{_CN}]{{1,4}})\s*[、．.]")),
    ("cn_paren", re.compile(rf"[（(]\s*(?P<n>[{_CN}]{{1,4}})\s*[）)]")),
    ("cn_paren", re.compile(r"(?P<n>[㈠-㈩])")),
    ("ar_paren", re.compile(rf"[（(]\s*(?P<n>[{_D}]{{1,3}})\s*[）)]")),
    ("ar_paren", re.compile(r"(?P<n>[⑴-⒇])")),
    ("ar_multi", re.compile(rf"(?P<n>[{_D}]{{1,2}}(?:[.．][{_D}]{{1,2}})+)(?![{_D}.．]){_MULTI_NOT_FIGURE}"
                            r"(?=\s|[\u4e00-\u9fff“《（(])")),
    ("ar_dot", re.compile(rf"(?P<n>[{_D}]{{1,3}})\s*(?:、|[.．]{_NOT_DECIMAL})")),
    ("ar_space", re.compile(rf"(?P<n>[{_D}]{{1,2}})[ \t\u3000]+(?=[\u4e00-\u9fff])"
                            r"(?![\u4e00-\u9fff]?[个次项年月日天人家户名万亿元倍])")),
    ("ar_dot", re.compile(r"(?P<n>[⒈-⒛])")),
    ("ar_rparen", re.compile(rf"(?P<n>[{_D}]{{1,3}})\s*[）)]")),
    ("circled", re.compile(r"(?P<n>[①-⑳])")),
]
# Separators printed between a part / chapter number and its title (第一部分 指导思想, 第二章：…)
_AFTER_ORDINAL = "、．.：: \t\u3000"
# Run-on numbers inside a paragraph: （n） / ⑴ / ① after the end of a sentence.
_INLINE_RE = re.compile(r"[（(]\s*(?P<p>[0-9０-９]{1,3})\s*[）)]|(?P<e>[⑴-⒇])|(?P<c>[①-⑳])")
_INLINE_AFTER = "。；;！!？?"
_LEAD_KEYS = ("牵头科室", "牵头单位", "牵头部门")
_UNIT_KEYS = ("责任单位", "责任部门", "配合单位")
_RESP_KEYS = ("责任领导", *_LEAD_KEYS, "责任科室", *_UNIT_KEYS)
# named alone (without a 牵头 line), these are the departments in charge; beside one, the cooperating ones
_RESPONSIBLE_KEYS = ("责任科室", "责任单位", "责任部门")
_RESP_RE = re.compile(rf"({'|'.join(_RESP_KEYS)})\s*[:：]")
_DEADLINE_LINE_RE = re.compile(r"^(?:完成时限|完成时间|整改时限|时限要求|时间要求)\s*[:：]\s*")
_MEASURE_RE = re.compile(r"^整改措施\s*[:：]\s*")
_PROGRESS_RE = re.compile(r"^(?:整改进展|整改情况|进展情况|完成情况|整改结果|整改成效)\s*[:：]")
_NAME_SPLIT = re.compile(r"[、，,；;\s]+")
_FINDING_RE = re.compile(r"关于\s*[“\"「『](?P<w>.+)[”\"」』]\s*(?:的)?问题[。：:]?")
_WRAPPED_RE = re.compile(r"关于\s*[“\"「『](?P<w>.+)[”\"」』]\s*(?:方面)?(?:的)?问题[。：:]?")
_ORDINAL_RE = re.compile(r"(?:^|(?<=[。；;，,：:！!？?\s]))[一二三四五六七八九十]{1,3}是")
_DOCNUM_RE = re.compile(r"[〔［\[【]\s*(?:19|20)\d{2}\s*[〕］\]】]\s*第?\s*\d+\s*号")
_DOCNUM_STOP = set("（()）《》“”\"'‘’，,、：:；;。 \t")
_YEAR_RE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])")


@dataclass(slots=True)
class _Entry:
    """One non-empty line (or a run-on piece of one), classified."""

    line: int
    kind: str  # "num" | "resp" | "deadline" | "measure" | "plain"
    text: str  # after the number for "num"; after the label for "deadline" and "measure"; else the whole line
    style: str = ""
    number: str = ""
    value: int = 0
    fields: list[tuple[str, str]] = field(default_factory=list)  # responsibility (key, value) pairs
    due: str = ""  # a time limit written in brackets after the item (（完成时限：6月底前）)


_INLINE_RESP_RE = re.compile(rf"[（(]\s*(?P<body>(?:{'|'.join(_RESP_KEYS)}|完成时限|完成时间|时间节点|时限)\s*[:：]"
                             r"[^（）()]*)[）)]\s*[。；;]?\s*$")
_INLINE_DUE_KEYS = ("完成时限", "完成时间", "时间节点", "时限")
# the same fields written on after the item's last sentence: '…全覆盖。牵头单位：行政审批科；完成时限：6月底前。'
_TRAILING_RESP_RE = re.compile(rf"(?<=[。；;])\s*(?P<body>(?:{'|'.join(_RESP_KEYS)}|完成时限|完成时间|时间节点)\s*[:：]"
                               r"[^（）()]*?)[。；;]?\s*$")


def _inline_fields(entry: _Entry) -> None:
    """'…清单。（牵头单位：安监科，配合单位：各股室；完成时限：3月底前）' -> the fields and time limit of the item."""
    m = _INLINE_RESP_RE.search(entry.text) or _TRAILING_RESP_RE.search(entry.text)
    if not m:
        return
    pairs: list[list[str]] = []
    for piece in re.split(r"[；;，,。]", m["body"]):
        key = re.match(rf"\s*({'|'.join((*_RESP_KEYS, *_INLINE_DUE_KEYS))})\s*[:：]\s*", piece)
        if key:
            pairs.append([key[1], piece[key.end():].strip()])
        elif pairs and piece.strip():
            pairs[-1][1] += "、" + piece.strip()
    entry.text = entry.text[: m.start()].rstrip()
    entry.fields = [(k, v) for k, v in pairs if k not in _INLINE_DUE_KEYS and v]
    entry.due = " ".join(v for k, v in pairs if k in _INLINE_DUE_KEYS and v)


def _numbered(text: str) -> tuple[str, str, int, str] | None:
    """(style, number as printed without spaces, value, rest) when the line starts with a number."""
    for style, pattern in _NUMBER_RES:
        m = pattern.match(text)
        if m:
            number = re.sub(r"\s+", "", m[0])
            rest = text[m.end():]
            if style in _ORDINAL_STYLES:
                rest = rest.lstrip(_AFTER_ORDINAL)
            elif style == "ar_multi":  # 1.1 and 1.1.1 are levels of their own
                style = f"ar_multi{len(re.findall('[.．]', number))}"
            return style, number, _number_value(m["n"]), rest.strip()
    return None


_ORDINAL_STYLES = {"part", "piece", "chapter", "node"}


def _number_value(n: str) -> int:
    if n[0] in _CN:
        return chinese_to_int(n)
    if "㈠" <= n <= "㈩":
        return ord(n) - 0x321F
    if "①" <= n <= "⑳":
        return ord(n) - 0x245F
    if "⑴" <= n <= "⒇":
        return ord(n) - 0x2473
    if "⒈" <= n <= "⒛":
        return ord(n) - 0x2487
    return int(unicodedata.normalize("NFKC", re.split("[.．]", n)[-1]))


def _classify(items: list[tuple[int, str]], split_inline: bool, punct: ImportReport | None = None) -> list[_Entry]:
    """Entries for the lines after the title, run-on sub-tasks split off when ``split_inline``.

    With ``punct`` (a report to count in), half-width punctuation between Chinese characters in the text (not in
    printed numbers) is made full-width.
    """
    entries: list[_Entry] = []
    last: dict[str, int] = {}  # last value seen per style, so that run-on numbers must continue the count
    # what can make a section or a task: numbered lines and pieces, measures (the problem before each is a task) and
    # lines starting 关于 (a finding); an upper bound, so that a huge ledger is refused before it is built
    items_seen = 0
    for line, text in items:
        start = len(entries)
        bracketed = re.fullmatch(r"[（(](.*)[）)][。；;]?", text)
        if bracketed and _RESP_RE.match(bracketed[1]):  # （牵头单位：办公室）on a line of its own
            text = bracketed[1]
        if _RESP_RE.match(text):
            entries.append(_Entry(line, "resp", text, fields=_resp_fields(text)))
        elif m := _DEADLINE_LINE_RE.match(text):
            entries.append(_Entry(line, "deadline", text[m.end():]))
        elif m := _MEASURE_RE.match(text):
            entries.append(_Entry(line, "measure", text[m.end():]))
            items_seen += 1
        elif num := _numbered(text):
            style, number, value, rest = num
            entry = _Entry(line, "num", rest, style, number, value)
            last[style] = value
            pieces = _split_run_on(entry, last) if split_inline else [entry]
            for piece in pieces:
                _inline_fields(piece)
            entries.extend(pieces)
            items_seen += len(pieces)
        else:
            entries.append(_Entry(line, "plain", text))
            items_seen += text.startswith("关于")
        if items_seen > MAX_ITEMS:
            raise ImportFailed(_msg("import_too_many_items", line=line, limit=f"{MAX_ITEMS:,}"))
        if punct is not None:
            for e in entries[start:]:
                e.text, changed = full_width(e.text)
                if changed:
                    punct.punctuation += changed
                    if e.kind == "resp":
                        e.fields = _resp_fields(e.text)
    return entries


_HAN_SIDE = "\u3000-\u303f\u4e00-\u9fff\uff01-\uff0f\uff1a-\uff20\u2018-\u201d\u2026\u2014"
_HALF_MARK_RE = re.compile(f"(?<=[{_HAN_SIDE}])[,;:?!](?=[{_HAN_SIDE}])")
_HALF_PAIR_RE = re.compile(r"\(([^()（）]*)\)")
_ANY_HALF_RE = re.compile(r"[,;:?!(]")
_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}


def full_width(text: str) -> tuple[str, int]:
    """Half-width , ; : ? ! between Chinese characters, and ( ) around Chinese words, made full-width; the count.

    Figures (1,000), English and numbers in brackets ((1), (GB/T 9704)) stay as written.
    """
    if not _ANY_HALF_RE.search(text):
        return text, 0
    count = 0

    def pair(m: re.Match[str]) -> str:
        nonlocal count
        inner = m[1]
        if re.search("[\u4e00-\u9fff]", inner) and not re.search("[A-Za-z]", inner):
            count += 2
            return f"（{inner}）"
        return m[0]

    def mark(m: re.Match[str]) -> str:
        nonlocal count
        count += 1
        return _FULL[m[0]]

    if "(" in text:
        text = _HALF_PAIR_RE.sub(pair, text)
    text = _HALF_MARK_RE.sub(mark, text)
    return text, count


def _split_run_on(entry: _Entry, last: dict[str, int]) -> list[_Entry]:
    """'深入学习…。（1）4月份…（2）坚持…' -> the item and one entry per sub-task continuing the count."""
    cuts: list[tuple[int, int, str, str, int]] = []  # (start, end, style, number, value)
    text = entry.text
    for m in _INLINE_RE.finditer(text):
        k = m.start()  # the last character before the number, spaces skipped (no slice: a slice per match is quadratic)
        while k > 0 and text[k - 1].isspace():
            k -= 1
        style = "circled" if m["c"] else "ar_paren"
        allowed = _INLINE_AFTER + ("：:" if style == "ar_paren" else "")
        if k > 0 and text[k - 1] not in allowed:
            continue
        value = _number_value(m["p"] or m["e"] or m["c"])
        if value not in (1, last.get(style, 0) + 1):
            continue
        last[style] = value
        cuts.append((m.start(), m.end(), style, re.sub(r"\s+", "", m[0]), value))
    if not cuts:
        return [entry]
    head = _Entry(entry.line, "num", entry.text[: cuts[0][0]].strip(), entry.style, entry.number, entry.value)
    pieces = [head]
    for i, (_, end, style, number, value) in enumerate(cuts):
        stop = cuts[i + 1][0] if i + 1 < len(cuts) else len(entry.text)
        pieces.append(_Entry(entry.line, "num", entry.text[end:stop].strip(), style, number, value))
    return pieces


def _resp_fields(text: str) -> list[tuple[str, str]]:
    """'牵头科室：机关党委、人教科 责任单位：…' -> [('牵头科室', '机关党委、人教科'), ('责任单位', '…')]."""
    marks = list(_RESP_RE.finditer(text))
    out = []
    for i, m in enumerate(marks):
        stop = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out.append((m[1], text[m.end():stop].strip().rstrip("。；;，,")))
    return out


def _responsibility(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """leader (as written), lead and units (lists of names) from responsibility fields."""
    has_lead = any(key in _LEAD_KEYS for key, _ in fields)
    leader: list[str] = []
    lead: list[str] = []
    units: list[str] = []
    for key, value in fields:
        names = [n for n in _NAME_SPLIT.split(value) if n]
        if key == "责任领导":
            leader.extend([value] if value else [])
        elif key in _LEAD_KEYS or (key in _RESPONSIBLE_KEYS and not has_lead):  # 责任单位 alone: the one in charge
            lead.extend(names)
        else:
            units.extend(names)
    out: dict[str, Any] = {}
    if leader:
        out["leader"] = "、".join(dict.fromkeys(leader))
    if lead:
        out["lead"] = list(dict.fromkeys(lead))
    if units:
        out["units"] = list(dict.fromkeys(units))
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Titles, deadlines, ids
# ---------------------------------------------------------------------------------------------------------------------

TITLE_MAX = 60
TITLE_MIN = 10


def make_title(text: str) -> str:
    """The title of a task or section: its first sentence, cut at a comma when over 60 characters (see module doc)."""
    sentence = re.split(r"[。；;\n]", text.strip(), maxsplit=1)[0].strip() or text.strip()[:TITLE_MAX]
    if len(sentence) <= TITLE_MAX:
        return sentence.rstrip("：:")
    head = sentence[:TITLE_MAX]
    comma = max(head.rfind("，"), head.rfind(","))
    if comma >= TITLE_MIN:
        return sentence[:comma]
    if comma < 0:
        pause = head.rfind("、")
        if pause >= TITLE_MIN:
            return sentence[:pause]
    after = re.search(r"[，,]", sentence[TITLE_MAX:])
    return sentence[: TITLE_MAX + after.start()] if after else sentence


def _unwrap(text: str) -> str:
    """关于“…”（方面）问题 -> the wording inside the quotes; other text as it is."""
    m = _WRAPPED_RE.fullmatch(text)
    return m["w"].strip() if m else text


def _deadline(text: str, year: int) -> tuple[str | list[str] | None, list[str], list[str]]:
    """(the deadline field from the phrases in ``text``, ongoing words left out as not in the first sentence,
    frequencies of an activity left out as not a time limit)."""
    first = re.search(r"[。；;\n]", text)
    first_end = first.end() if first else len(text)
    found: dict[str, bool] = {}  # distinct phrases in text order, kept or not (a dict: a list's `in` is quadratic)
    skipped: list[str] = []
    for start, end, part in find_deadline_phrases(text, year):
        phrase = text[start:end]
        if part.kind == "ongoing" and start >= first_end:
            skipped.append(phrase)
        else:  # a recurring phrase is a deadline if one of its places in the text is a time limit
            due = part.kind != "recurring" or _recurring_is_due(text, start, end, part.weekday)
            found[phrase] = found.get(phrase, False) or due
    phrases = [p for p, due in found.items() if due]
    value: str | list[str] | None = phrases[0] if len(phrases) == 1 else (phrases or None)
    return value, skipped, [p for p, due in found.items() if not due]


@dataclass(slots=True)
class _TaskRef:
    """A task dict waiting for its id, with what the id scheme needs."""

    task: dict[str, Any]
    value: int | None  # printed number, None when unnumbered
    parent_value: int | None
    parent_id: str


def _assign_task_ids(refs: list[_TaskRef], notes: list[str]) -> None:
    """t01… when the printed numbers are unique; t<item>-<n> (or t<section path>-<n>) when they restart."""
    if not refs:
        return
    values = [r.value for r in refs]
    if all(v is not None for v in values) and len(set(values)) == len(values):
        width = len(str(max(v for v in values if v is not None)))
        ids = [f"t{r.value:0{width}d}" for r in refs]
    elif all(v is not None for v in values):
        ids = [f"t{r.parent_value}-{r.value}" for r in refs]
        if len(set(ids)) != len(ids) or any(r.parent_value is None for r in refs):
            ids = [f"t{r.parent_id[1:]}-{r.value}" for r in refs]
        if len(set(ids)) == len(ids):
            notes.append(_msg("import_ids_per_item", example=ids[0]))
        else:  # a number repeated within one section (1. 2. 1. 2. without headings): count in order instead
            width = len(str(len(refs)))
            ids = [f"t{i:0{width}d}" for i in range(1, len(refs) + 1)]
            notes.append(_msg("import_ids_repeated"))
    else:
        width = len(str(len(refs)))
        ids = [f"t{i:0{width}d}" for i in range(1, len(refs) + 1)]
        if any(v is not None for v in values):
            notes.append(_msg("import_ids_unnumbered"))
    for ref, task_id in zip(refs, ids, strict=True):
        ref.task["id"] = task_id


class _UsedIds(set[str]):
    """The ids given so far, and for each base the next suffix to try: n repeats of one number cost O(n), not O(n²)."""

    def __init__(self) -> None:
        super().__init__()
        self.next_suffix: dict[str, int] = {}


def _unique_id(base: str, used: _UsedIds) -> str:
    """``base``, or base + b, c … z, then base_27, base_28 … when a repeated printed number would give the same id."""
    k = used.next_suffix.get(base, 0)
    candidate = _suffixed(base, k)
    while candidate in used:
        k += 1
        candidate = _suffixed(base, k)
    used.next_suffix[base] = k + 1
    used.add(candidate)
    return candidate


def _suffixed(base: str, k: int) -> str:
    """The k-th candidate for an id: base, base+b … base+z, then base_27 … (ids allow letters, digits, . - _)."""
    if k == 0:
        return base
    return f"{base}{chr(ord('a') + k)}" if k <= 25 else f"{base}_{k + 1}"


# ---------------------------------------------------------------------------------------------------------------------
# Importing
# ---------------------------------------------------------------------------------------------------------------------

NOT_A_PLAN = "import_no_tasks"  # the catalogue's key


@dataclass
class _Ctx:
    """What building the ledger needs besides the lines."""

    title: str
    year: int
    report: ImportReport
    refs: list[_TaskRef] = field(default_factory=list)
    used_ids: _UsedIds = field(default_factory=_UsedIds)
    unplaced_lines: set[int] = field(default_factory=set)  # the lines in report.unplaced, to look up in O(1)

    def unplace(self, entry: _Entry, raw: dict[int, str], note: str = "") -> None:
        """Record a line that goes nowhere (once per source line), with a note when there is something to say."""
        if entry.line not in self.unplaced_lines:
            self.unplaced_lines.add(entry.line)
            self.report.unplaced.append((entry.line, raw[entry.line]))
        if note:
            self.report.notes.append(_msg("import_at_line", line=entry.line, note=note))

    def deadline_of(self, task: dict[str, Any], text: str, line: int) -> None:
        """Set the task's deadline from the phrases in ``text``; note ongoing words left out."""
        value, skipped, frequencies = _deadline(text, self.year)
        if value is not None:
            task["deadline"] = value
        where = _msg("import_line", line=line) + (f" {task['number']}" if task.get("number") else "")
        for phrase in skipped:
            self.report.notes.append(_msg("import_manner", where=where, phrase=phrase))
        for phrase in frequencies:
            self.report.notes.append(_msg("import_frequency", where=where, phrase=phrase))


@dataclass(slots=True)
class Options:
    """How to import: keep half-width punctuation as written; import what does not read as a plan."""

    keep_punctuation: bool = False
    anyway: bool = False


def import_file(path: Path, year: int | None = None, *, plan_id: str | None = None,
                options: Options | None = None) -> tuple[dict, ImportReport]:
    """Read a document and import it: a table (.xlsx, .xls, a .docx whose body is a 任务分工表) by its columns,
    anything else as an outline (see :func:`import_plan`)."""
    path = Path(path)
    options = options or Options()
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES or suffix in REFUSED_SUFFIXES:
        from portal.import_tables import import_table_file

        return import_table_file(path, year, plan_id=plan_id, options=options)
    if suffix == ".docx":
        from portal.import_tables import docx_table_import

        data = _read_capped(path, MAX_DOCX_BYTES)
        tabled = docx_table_import(data, path, year, plan_id=plan_id, options=options)
        if tabled is not None:
            return tabled
    return import_plan(read_document(path), str(path), year, plan_id=plan_id, options=options)


def import_plan(lines: list[str], source: str, year: int | None = None, *, plan_id: str | None = None,
                options: Options | None = None) -> tuple[dict, ImportReport]:
    """Ledger data ``{"plan": …, "sections": …}`` and a report from a document's lines.

    ``year`` defaults to the year of the title, the 发文字号, the date line or the 落款 (in that order);
    ``plan_id`` to plan<year>. Raises ImportFailed for a document without numbered tasks, without a year, or that
    reads as a speech, a summary or a report of past work (unless ``options.anyway``).
    """
    options = options or Options()
    items = [(i, line.strip()) for i, line in enumerate(lines, 1) if line.strip()]
    if not items:
        raise ImportFailed(_msg("import_no_text", name=Path(source).name))
    raw = dict(items)
    items, joined = _unwrap_lines(items)
    report = ImportReport(source, len(raw), 0, 0)
    if joined:
        report.notes.append(_msg("import_unwrapped", count=joined))
    front = _front_matter(items, source, report)
    title, body = front.title, front.body
    rectification = any(_MEASURE_RE.match(text) for _, text in body)
    entries = _classify(body, split_inline=not rectification, punct=None if options.keep_punctuation else report)
    if not any(e.kind in ("num", "measure") for e in entries):
        raise ImportFailed(_msg(NOT_A_PLAN))
    if not rectification and not options.anyway:
        _refuse_what_is_not_a_plan(title, entries)
    ctx = _Ctx(title, _plan_year(year, title, front, report), report)
    if not rectification:
        _mark_closing(entries)
    sections = _rectification(entries, raw, ctx) if rectification else _implementation(entries, raw, ctx)
    _assign_task_ids(ctx.refs, report.notes)
    report.tasks = len(ctx.refs)
    report.sections = _count_sections(sections)
    if not report.tasks:
        raise ImportFailed(_msg(NOT_A_PLAN))
    report.unplaced.sort()
    if report.punctuation:
        report.notes.append(_msg("import_punctuation", count=report.punctuation))
    plan: dict[str, Any] = {"id": plan_id or f"plan{ctx.year}", "title": title}
    if front.issuer:
        plan["issuer"] = front.issuer
    plan["year"] = ctx.year
    number = front.docnum or _source_number(body)
    if number:
        plan["source"] = number
    plan["timezone"] = "Asia/Shanghai"
    return {"plan": plan, "sections": sections}, report


_SENTENCE_END = tuple("。；;：:！!？?”’）)》")


def _unwrap_lines(items: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], int]:
    """Paragraphs broken at a fixed width (text copied out of a PDF) joined again; the number of lines joined.

    The width is the commonest length of the longer lines; it counts only when a third of them have it. A line of
    about that width that does not end a sentence continues onto the next, unless the next is numbered or a
    responsibility line. The joined paragraph keeps the first line's number.
    """
    # distinct lines of body text only: a responsibility line repeated under every item has one length too
    lengths = Counter(len(text) for text in {t for _, t in items} if len(text) >= 16 and not _RESP_RE.match(text))
    if not lengths:
        return items, 0
    width, count = lengths.most_common(1)[0]
    if count * 3 < sum(lengths.values()) or count < 3:
        return items, 0
    out: list[tuple[int, str]] = []
    joined = 0
    carry = False
    for line, text in items:
        if carry and not _numbered(text) and not _RESP_RE.match(text) and not _DEADLINE_LINE_RE.match(text):
            out[-1] = (out[-1][0], out[-1][1] + text)
            joined += 1
        else:
            out.append((line, text))
        carry = len(text) >= width - 2 and not out[-1][1].endswith(_SENTENCE_END)
    return out, joined


def _msg(code: str, **params: object) -> str:
    """An importer message from the catalogue (portal.i18n), in Chinese."""
    return message("zh", code, params)


@dataclass
class _Front:
    """What the head and foot of a document say about the plan, and the lines left for the body."""

    title: str
    body: list[tuple[int, str]]
    issuer: str = ""
    docnum: str = ""  # 发文字号 printed under the 版头
    years: list[tuple[int, str]] = field(default_factory=list)  # (year, where it was read), best first


_BANTOU_RE = re.compile(r"^(?P<org>\S.{1,40}?)\s*文\s*件$")
_DOCNUM_LINE_RE = re.compile(r"^\S{0,16}[〔［\[【(（]\s*(?P<y>(?:19|20)\d{2})\s*[〕］\]】)）]\s*第?\s*\d+\s*号$")
_SIGNER_RE = re.compile(r"^(?:签发人|签\s*发|密级|紧急程度|份号|[★☆]+)\s*[:：]?")
_ZERO = "〇零○ОO０"
_CN_YEAR_DIGITS = {**{c: 0 for c in _ZERO}, **{c: i for i, c in enumerate("〇一二三四五六七八九") if i}}
_DATE_AR = r"(?P<ya>(?:19|20)\d{2})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
_DATE_CN = (rf"(?P<yc>[{_ZERO}一二三四五六七八九]{{4}})\s*年\s*[一二三四五六七八九十]{{1,2}}\s*月"
            r"\s*[一二三四五六七八九十]{1,3}\s*日")
# what may follow the date in a date line: （2020年6月5日中共××委员会第5次常委会议审议通过）
_DATE_TRAIL = r"(?:[^，,。；;]{0,30}?(?:通过|印发|发布|修订|制定|签发))?"
# A date line: a full date alone (the 落款's), or in brackets (under the title); 年 and 月 alone only in brackets.
# "2020年12月底前完成验收" is a sentence, not a date line.
_DATE_LINE_RE = re.compile(
    rf"^(?P<open>[（(])?\s*(?:{_DATE_AR}|{_DATE_CN}|(?(open)(?P<ym>(?:19|20)\d{{2}})\s*年\s*\d{{1,2}}\s*月|(?!)))"
    rf"{_DATE_TRAIL}\s*(?(open)[）)])$")
# A 落款: a short line naming an office (…局 / …委员会 / …办公室 / …领导小组 …), followed by the date line
_ISSUER_RE = re.compile(
    r"^[^\s，,。；;：:、“”]{2,40}?(?:局|委|委员会|政府|办公室|办公厅|党组|领导小组|小组|办|厅|部|中心|院|所|党委|工委|"
    r"支部|队|站|处|科|公司|集团|学校|大学|医院|总支|协会)(?:[（(]\s*印\s*[）)]|（章）|\(章\))?$")
_NOTICE_TITLE_RE = re.compile(r"^关于印发\s*[《<〈](?P<t>.+)[》>〉]\s*的通知$")
_TITLE_END_RE = re.compile(r"(?:方案|计划|通知|意见|要点|清单|台账|安排|办法|分工|措施|规划|细则|报告|总结|讲话|任务|"
                           r"一览表|统计表|汇总表|分解表|[）)])$")


def _front_matter(items: list[tuple[int, str]], source: str, report: ImportReport) -> _Front:
    """The title, issuer, document number and dates of a document, and the lines of its body.

    Above the title: a 版头 (××局文件), a 发文字号 (×发〔2020〕3号), 签发人 lines. The title may run over two lines,
    or be a notice that forwards the plan (关于印发《…》的通知): the plan is the title in 《》. Under it, a date line
    (（2020年6月5日）, also in Chinese numerals) may follow. Anywhere, a short office name followed by a date line
    is a 落款. These lines are the plan's metadata and leave the body.
    """
    years: list[tuple[int, str]] = []
    issuer_head = ""
    docnum = ""
    k = 0
    while k < len(items) and k < 6:
        line, text = items[k]
        if m := _BANTOU_RE.match(text):
            issuer_head = issuer_head or m["org"].strip()
        elif m := _DOCNUM_LINE_RE.match(text):
            docnum = docnum or re.sub(r"\s+", "", text)
            years.append((int(m["y"]), _msg("import_year_docnum", line=line)))
        elif (_ISSUER_RE.match(text) and not issuer_head and k + 1 < len(items)
              and _TITLE_END_RE.search(items[k + 1][1]) and not _TITLE_END_RE.search(text)):
            issuer_head = text  # an office's name printed above the title, as a 版头 without 文件
        elif not _SIGNER_RE.match(text):
            break
        k += 1
    head_lines = {line for line, _ in items[:k]}
    rest = items[k:] or items
    title, title_lines = _title(rest, source, report)
    consumed = head_lines | title_lines
    # the date line under the title
    after = [it for it in items if it[0] not in consumed]
    if after and (m := _DATE_LINE_RE.match(after[0][1])):
        years.append((_date_year(m), _msg("import_year_dateline", line=after[0][0])))
        consumed.add(after[0][0])
    # 落款: an office name, then a date line; a date line on its own at the very end
    issuers: list[str] = []
    tail = [it for it in items if it[0] not in consumed]
    for i, (line, text) in enumerate(tail):
        m = _DATE_LINE_RE.match(text)
        if not m or len(text) > 40:
            continue
        j = i - 1
        names = []
        while j >= 0 and _ISSUER_RE.match(tail[j][1]) and not _numbered(tail[j][1]) and len(names) < 3:
            names.insert(0, tail[j])
            j -= 1
        if names or i == len(tail) - 1:
            years.append((_date_year(m), _msg("import_year_signature", line=line)))
            consumed.add(line)
            for name_line, name in names:
                consumed.add(name_line)
                issuers.append(re.sub(r"[（(]\s*[印章]\s*[）)]$", "", name))
    issuer = "、".join(dict.fromkeys(issuers)) or issuer_head
    if issuer:
        report.notes.append(_msg("import_issuer", issuer=issuer))
    body = [it for it in items if it[0] not in consumed and not (it[1] == title and it[0] > max(title_lines))]
    return _Front(title, body, issuer, docnum, years)


def _title(items: list[tuple[int, str]], source: str, report: ImportReport) -> tuple[str, set[int]]:
    """(plan title, the lines it was read from): the first line, unless it reads as body text (then the file name).

    A title broken over two lines is joined (关于印发《×××》 / 的通知; a subtitle （2020—2022年） or （试行）);
    a notice forwarding a plan gives the plan's title.
    """
    line, text = items[0]
    body_like = (_numbered(text) or _RESP_RE.match(text) or _MEASURE_RE.match(text) or len(text) > 80
                 or text.endswith(("。", "；", "：", ":")))
    if body_like:
        title = Path(source).stem or _msg("import_untitled")
        report.notes.append(_msg("import_title_from_name", line=line, title=title))
        return title, set()
    lines = {line}
    if len(items) > 1:
        line2, text2 = items[1]
        joined = text + text2
        subtitle = re.fullmatch(r"[（(][^（()）]{1,20}[）)]", text2) and not _DATE_LINE_RE.match(text2)
        continues = (not _numbered(text2) and len(text2) <= 30 and not text2.endswith(("。", "；", "：", ":"))
                     and not _TITLE_END_RE.search(text) and _TITLE_END_RE.search(joined) and len(joined) <= 80)
        if subtitle or continues:
            text, lines = joined, {line, line2}
    if m := _NOTICE_TITLE_RE.match(text):
        report.notes.append(_msg("import_notice_title", notice=text, title=m["t"]))
        text = m["t"].strip()
    return text, lines


def _date_year(m: re.Match[str]) -> int:
    if m["ya"] or m["ym"]:
        return int(m["ya"] or m["ym"])
    return int("".join(str(_CN_YEAR_DIGITS.get(c, 0)) for c in m["yc"]))


def _plan_year(year: int | None, title: str, front: _Front | None = None, report: ImportReport | None = None) -> int:
    """The year given, else the title's, else the 发文字号's, the date line's or the 落款's (noted)."""
    if year is not None:
        return year
    m = _YEAR_RE.search(unicodedata.normalize("NFKC", title))
    if m:
        return int(m[1])
    if front is not None and not front.years and (limits := _limit_years(front.body)):
        front.years.append(limits)
    if front is not None and front.years:
        found, where = front.years[0]
        if report is not None:
            report.notes.append(_msg("import_year_from", year=found, where=where))
        return found
    raise ImportFailed(_msg("import_no_year", title=title))


_LIMIT_YEAR_RE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})\s*年\s*(?:[0-9]{1,2}\s*月|底|末|内|年?[上下]半年)")


def _limit_years(body: list[tuple[int, str]]) -> tuple[int, str] | None:
    """The earliest year a time limit names (2022年6月底前, 2022年底前), and its line: a last guess at the year."""
    found = [(int(m[1]), line) for line, text in body for m in _LIMIT_YEAR_RE.finditer(text)]
    if not found:
        return None
    year, line = min(found)
    return year, _msg("import_year_limit", line=line)


def _source_number(body: list[tuple[int, str]]) -> str:
    """The last document number (××办发〔2020〕12号) in the first unnumbered paragraph after the title."""
    for _, text in body:
        if _numbered(text):
            return ""
        numbers = []
        for m in _DOCNUM_RE.finditer(text):
            start = m.start()
            while start > 0 and m.start() - start < 8 and text[start - 1] not in _DOCNUM_STOP:
                start -= 1
            numbers.append(re.sub(r"\s+", "", text[start:m.end()]))
        return numbers[-1] if numbers else ""
    return ""


def _count_sections(sections: list[dict[str, Any]]) -> int:
    return sum(1 + _count_sections(s.get("sections", [])) for s in sections)


# --- what is not a plan, and what closes one ---------------------------------------------------------------------

_SPEECH_TITLE_RE = re.compile(r"讲话|致辞|发言|讲稿")
_SUMMARY_TITLE_RE = re.compile(r"总结|述职|汇报|工作报告|情况的?报告|情况通报|综述|情况$")
_PLAN_TITLE_RE = re.compile(r"方案|计划|安排|要点|意见|分工|台账|清单|整改|任务|措施|规划|办法|细则|通知")
_SPEECH_BODY_RE = re.compile(r"^(?:各位)?同志们\s*[：:，,！!]?|^(?:下面|最后)，?我(?:再)?(?:讲|强调|谈)")
_PAST_RE = re.compile(r"已经|已[^经]|(?<![为除])了(?![解])|取得|累计|共计|先后|圆满|同比")
_FUTURE_RE = re.compile(r"要|将|确保|力争|[底月]前|计划|拟|务必|年内|年底|月份|每[周月季年]|负责|牵头")


def _refuse_what_is_not_a_plan(title: str, entries: list[_Entry]) -> None:
    """ImportFailed for a speech, a work summary or a report of past work, saying what was seen."""
    numbered = [e for e in entries if e.kind == "num"]
    speech = next((e for e in entries[:40] if e.kind == "plain" and _SPEECH_BODY_RE.match(e.text)), None)
    if speech is not None:
        raise ImportFailed(_msg("import_not_plan_speech",
                                seen=_msg("import_seen_line", line=speech.line, text=speech.text[:20])))
    if (m := _SPEECH_TITLE_RE.search(title)) and not _PLAN_TITLE_RE.search(title):
        raise ImportFailed(_msg("import_not_plan_speech", seen=_msg("import_seen_title", word=m[0])))
    if (m := _SUMMARY_TITLE_RE.search(title)) and not _PLAN_TITLE_RE.search(title):
        raise ImportFailed(_msg("import_not_plan_summary", seen=_msg("import_seen_title", word=m[0])))
    past = [e for e in numbered if _PAST_RE.search(e.text) and not _FUTURE_RE.search(e.text)]
    # a 方案 / 计划 that quotes problems ("出现了…") is still a plan: its title says so
    if len(numbered) >= 4 and len(past) * 2 >= len(numbered) and not _PLAN_TITLE_RE.search(title):
        example = _first_sentence(past[0].text)[:30]
        raise ImportFailed(_msg("import_not_plan_past", past=len(past), items=len(numbered),
                                example=f"{past[0].number}{example}"))


def _first_sentence(text: str) -> str:
    return re.split(r"[。；;！!？?\n]", text, maxsplit=1)[0]


_CLOSING_RE = re.compile(
    r"^(?:各|请各|全[局市县区]各|各级|各地|各部门|各单位|各科室)[^。；]{0,24}(?:要|应|须|务必|结合实际|认真)"
    r"|^本(?:方案|计划|意见|办法|通知|规定|细则|要点|清单)"
    r"|^(?:特此通知|特此报告|此复|以上|上述)"
    r"|^附\s*件\s*[:：0-9１-９一二三四五六七八九]"
    r"|^(?:抄送|抄报|主送|印发|联系人|联系电话|报送)\s*[:：]"
    r"|^[^，。；]{2,30}(?:办公室|厅)\s*(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*印发")


def _mark_closing(entries: list[_Entry]) -> None:
    """Plain paragraphs after the last numbered item, from the first that reads as a closing one, are "closing"."""
    last = max((i for i, e in enumerate(entries) if e.kind == "num"), default=-1)
    closing = False
    for e in entries[last + 1:]:
        if e.kind == "plain" and (closing or _CLOSING_RE.match(e.text)):
            e.kind = "closing"
            closing = True


# Words of a report or a submission: a recurring phrase in their clause is a duty with a period (每月25日前报送)
_DUTY_RE = re.compile(r"报|公示|公布|提交|统计|汇总|更新|通报")
# A minimum or a length: how often or how long an activity happens (每年至少召开1次, 每周集中学习半天)
_HOW_OFTEN_RE = re.compile(r"至少|不少于|不低于|不超过|以上|半天|[一两1-9]天|比例")
_DAY_AFTER_RE = re.compile(r"\s*[0-9０-９一二三四五六七八九十]{1,3}\s*[日号]")
_CLAUSE_STOP = "，,。；;！!？?\n"


def _recurring_is_due(text: str, start: int, end: int, weekday: int | None) -> bool:
    """Whether a recurring phrase at text[start:end] is a time limit: it names a day (每周二, 每月25日前, 每月底前),
    the task is the recurring duty (每季度召开一次形势分析会 at the start of the task), or its clause is a report
    or submission (每月通报, 每季度报送). Otherwise it says how often an activity happens (每周集中学习半天,
    每年至少召开1次) and makes nothing due."""
    phrase = text[start:end]
    if weekday is not None or re.search(r"[日号底末]", phrase) or _DAY_AFTER_RE.match(text, end):
        return True
    left = max(text.rfind(c, 0, start) for c in _CLAUSE_STOP)
    rights = [k for c in _CLAUSE_STOP if (k := text.find(c, end)) >= 0]
    clause = text[left + 1: min(rights, default=len(text))]
    if _DUTY_RE.search(clause):
        return True
    at_start = re.fullmatch(r"\s*(?:坚持|要|应|须|在|于|并|按)?\s*", text[:start])
    sentence_end = min((k for c in "。；;！!？?\n" if (k := text.find(c, end)) >= 0), default=len(text))
    return bool(at_start) and not _HOW_OFTEN_RE.search(text, start, sentence_end)


# --- implementation plans --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    """A numbered line in the outline, with what belongs to it."""

    entry: _Entry
    parent: _Node | None = None
    children: list[_Node] = field(default_factory=list)
    paras: list[str] = field(default_factory=list)  # unnumbered paragraphs that continue it
    deadlines: list[_Entry] = field(default_factory=list)  # 完成时限：… lines
    fields: list[tuple[str, str]] = field(default_factory=list)  # responsibility it carries


def _implementation(entries: list[_Entry], raw: dict[int, str], ctx: _Ctx) -> list[dict[str, Any]]:
    """Sections of an implementation plan: the outline, responsibility attached, nodes turned into dicts."""
    roots, blocks = _outline(entries, raw, ctx)
    _attach_responsibility(blocks)
    if all(not root.children for root in roots):  # one level only: the items are the tasks of one section
        section: dict[str, Any] = {"id": _unique_id("s1", ctx.used_ids), "title": ctx.title, "tasks": []}
        section["tasks"] = [_task(node, section["id"], None, raw, ctx) for node in roots]
        return [section]
    kept = []
    for root in roots:  # a heading whose text all closes the document (二、工作要求 then 各单位要…) holds nothing
        if root.children or root.paras or root.fields or len(root.entry.text) > 20:
            kept.append(root)
        else:
            ctx.unplace(root.entry, raw, _msg("import_empty_heading"))
    ids = _child_ids(kept, "s", ctx)
    return [_section(node, sid, raw, ctx) for node, sid in zip(kept, ids, strict=True)]



# The usual order of numbering levels in a 公文 (GB/T 9704 and custom): 第一部分 > 第一篇 > 第一章 > 第一节 > 一、 >
# （一） > 1. (1.1, 1.1.1) > （1） > 1) > ①
_CANONICAL = {"part": 0, "piece": 1, "chapter": 2, "node": 3, "cn_dun": 4, "cn_paren": 5, "ar_space": 5.9,
              "ar_dot": 6, "ar_paren": 7, "ar_rparen": 7.5, "circled": 8}


def _style_rank(style: str) -> float:
    if style.startswith("ar_multi"):
        return 6 + int(style[8:] or 1) / 10
    return _CANONICAL.get(style, 9)


def _levels_contradict(entries: list[_Entry]) -> bool:
    """Whether nesting each new style under the open one (the document's own order) puts a style both above and
    below another: 第二部分 with 1. directly under it and （一） after, when 第一部分 had （一） above 1."""
    below: set[tuple[str, str]] = set()  # (parent style, child style)
    stack: list[str] = []
    for e in entries:
        if e.kind != "num":
            continue
        if e.style in stack:
            del stack[stack.index(e.style):]
        if stack:
            pair = (stack[-1], e.style)
            if (pair[1], pair[0]) in below or any((e.style, s) in below for s in stack):
                return True
            below.add(pair)
        stack.append(e.style)
    return False


def _outline(entries: list[_Entry], raw: dict[int, str],
             ctx: _Ctx) -> tuple[list[_Node], list[tuple[_Node, list[_Entry]]]]:
    """The tree of numbered lines, and the responsibility blocks with the node open when each was read."""
    roots: list[_Node] = []
    stack: list[_Node] = []
    blocks: list[tuple[_Node, list[_Entry]]] = []
    closed = False  # responsibility lines closed the open item: plain text after them belongs to nothing
    previous = ""
    canonical = _levels_contradict(entries)
    for e in entries:
        if e.kind == "num":
            styles = [n.entry.style for n in stack]
            if canonical:  # the document's own order contradicts itself: the usual order of 公文 levels decides
                rank = _style_rank(e.style)
                while stack and _style_rank(stack[-1].entry.style) >= rank:
                    stack.pop()
            elif e.style in styles:  # a number of an open level: a sibling of that level
                del stack[styles.index(e.style):]
            node = _Node(e, stack[-1] if stack else None)
            node.fields.extend(e.fields)
            if e.due:
                node.deadlines.append(_Entry(e.line, "due", e.due))
            (node.parent.children if node.parent else roots).append(node)
            stack.append(node)
            closed = False
        elif e.kind == "closing":
            ctx.unplace(e, raw, "" if previous == "closing" else _msg("import_closing"))
        elif e.kind == "resp" and stack:
            if previous == "resp":
                blocks[-1][1].append(e)
            else:
                blocks.append((stack[-1], [e]))
            closed = True
        elif e.kind == "deadline" and stack:
            stack[-1].deadlines.append(e)
        elif e.kind == "plain" and stack and not closed:
            stack[-1].paras.append(e.text)
        elif e.kind == "resp":
            ctx.unplace(e, raw, _msg("import_resp_orphan", key=e.fields[0][0]))
        elif stack:
            ctx.unplace(e, raw, _msg("import_after_resp"))
        else:
            ctx.unplace(e, raw)  # preamble before the first number
        previous = e.kind
    return roots, blocks


def _attach_responsibility(blocks: list[tuple[_Node, list[_Entry]]]) -> None:
    """Give each responsibility block to the item it closes (see the module doc)."""
    per_parent: dict[int, int] = {}
    for node, _ in blocks:
        if node.parent is not None:
            per_parent[id(node.parent)] = per_parent.get(id(node.parent), 0) + 1
    for node, block in blocks:
        parent = node.parent
        target = node
        if (not node.children and parent is not None and per_parent[id(parent)] == 1
                and parent.children[-1] is node and all(not c.children for c in parent.children)):
            target = parent  # the block closes a list of sub-tasks: it belongs to their item
        for e in block:
            target.fields.extend(e.fields)


def _child_ids(nodes: list[_Node], prefix: str, ctx: _Ctx) -> list[str]:
    """Section ids from printed numbers: s1, s1-1, s2-6 …"""
    return [_unique_id(f"{prefix}{node.entry.value or i}", ctx.used_ids) for i, node in enumerate(nodes, 1)]


def _section(node: _Node, sid: str, raw: dict[int, str], ctx: _Ctx) -> dict[str, Any]:
    """A section dict for a numbered node with children (or a top-level heading), its children inside."""
    first = node.entry.text or (node.paras[0] if node.paras else "")
    title = make_title(first) if first else node.entry.number
    details = [first] if first and first.rstrip("。；;：: ") != title else []
    details += node.paras if node.entry.text else node.paras[1:]
    out: dict[str, Any] = {"id": sid, "number": node.entry.number, "title": title}
    if details:
        out["details"] = "\n".join(details)
    out.update(_responsibility(node.fields))
    for e in node.deadlines:
        ctx.unplace(e, raw, _msg("import_section_deadline"))
    subs: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    ids = iter(_child_ids([c for c in node.children if c.children or _narrative(c)], sid + "-", ctx))
    for child in node.children:
        if child.children or _narrative(child):
            subs.append(_section(child, next(ids), raw, ctx))
        else:
            tasks.append(_task(child, sid, node, raw, ctx))
    if subs:
        out["sections"] = subs
    if tasks:
        out["tasks"] = tasks
    return out


_NARRATIVE_RE = re.compile(r"(?:指导思想|总体要求|工作目标|主要目标|总体目标|基本原则|工作原则|目标任务|"
                           r"适用范围|编制依据|"
                           r"工作背景|基本情况|总体思路)[。：:]?")


def _narrative(node: _Node) -> bool:
    """A heading such as （一）指导思想 followed by prose: a part of the plan to read, not a task."""
    return not node.children and bool(node.paras) and bool(_NARRATIVE_RE.fullmatch(node.entry.text))


def _task(node: _Node, parent_id: str, parent: _Node | None, raw: dict[int, str], ctx: _Ctx) -> dict[str, Any]:
    """A task dict for a leaf node; its id is given once all tasks are known."""
    text = "\n".join(t for t in (node.entry.text, *node.paras) if t)
    task: dict[str, Any] = {"id": "", "number": node.entry.number, "title": make_title(text) or node.entry.number}
    if not text:
        ctx.report.notes.append(_msg("import_empty_item", line=node.entry.line, number=node.entry.number))
    if text:
        task["details"] = text
    explicit = " ".join(e.text for e in node.deadlines)
    ctx.deadline_of(task, explicit or text, node.entry.line)
    if explicit and "deadline" not in task:
        for e in node.deadlines:
            if e.kind == "due":  # written in brackets on the task's own line, which is placed
                ctx.report.notes.append(_msg("import_deadline_unread", where=_msg("import_line", line=e.line),
                                             text=e.text))
            else:
                ctx.unplace(e, raw, _msg("import_deadline_line_unread"))
    task.update(_responsibility(node.fields))
    ctx.refs.append(_TaskRef(task, node.entry.value or None, parent.entry.value if parent else None, parent_id))
    return task


# --- rectification reports -------------------------------------------------------------------------------------------


def _rectification(entries: list[_Entry], raw: dict[int, str], ctx: _Ctx) -> list[dict[str, Any]]:
    """Sections of a problem-and-measure report: aspects, findings, one task per problem."""
    problems = {i for i, e in enumerate(entries[:-1])
                if e.kind in ("num", "plain") and entries[i + 1].kind == "measure"}
    scopes = _aspect_scopes(entries, problems)
    inside = {i for start, stop in scopes for i in range(start, stop)}
    outside = [e for i, e in enumerate(entries) if i not in inside]
    for e in outside:
        ctx.unplace(e, raw)
    if outside:
        count = len({e.line for e in outside})
        ctx.report.notes.append(_msg("import_report_outside", count=count))
    sections: list[dict[str, Any]] = []
    for start, stop in scopes:
        header = entries[start] if start not in problems and entries[start].kind == "num" else None
        body = range(start + 1 if header else start, stop)
        sections.append(_aspect(header, [(i, entries[i]) for i in body], problems, raw, ctx))
    return sections


def _aspect_scopes(entries: list[_Entry], problems: set[int]) -> list[tuple[int, int]]:
    """(start, stop) index ranges of the aspects that hold problems; one range when problems are not grouped."""
    if not problems:
        return []
    first = min(problems)
    style = next((entries[i].style for i in range(first - 1, -1, -1)
                  if entries[i].kind == "num" and i not in problems and not _FINDING_RE.fullmatch(entries[i].text)),
                 None)
    if style is None:  # no numbered aspect: everything from the first finding or problem is one group
        start = next(i for i, e in enumerate(entries) if i == first or _FINDING_RE.fullmatch(e.text))
        return [(start, len(entries))]
    rank: dict[str, int] = {}
    for e in entries:
        if e.kind == "num":
            rank.setdefault(e.style, len(rank))
    scopes: list[tuple[int, int]] = []
    start: int | None = None
    ordered = sorted(problems)
    for i, e in enumerate([*entries, _Entry(0, "num", "")]):  # a sentinel closes the last one
        same = e.style == style and i not in problems
        higher = e.kind == "num" and rank.get(e.style, -1) < rank[style]
        if e.kind == "num" and (same or higher):
            if start is not None and _any_between(ordered, start, i):
                scopes.append((start, i))
            start = i if same else None
    return scopes


def _any_between(ordered: list[int], low: int, high: int) -> bool:
    """Whether a number of the sorted list lies strictly between low and high (a bisection, not a scan)."""
    k = bisect.bisect_right(ordered, low)
    return k < len(ordered) and ordered[k] < high


def _aspect(header: _Entry | None, body: list[tuple[int, _Entry]], problems: set[int], raw: dict[int, str],
            ctx: _Ctx) -> dict[str, Any]:
    """One aspect section: findings as sub-sections, problems as tasks with their measures."""
    sid = _unique_id(f"s{header.value if header else len(ctx.used_ids) + 1}", ctx.used_ids)
    section: dict[str, Any] = {"id": sid}
    if header:
        section["number"] = header.number
    section["title"] = _unwrap(header.text) if header else ctx.title
    finding: dict[str, Any] | None = None
    task: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = []
    for i, e in body:
        if i in problems:
            wrapped = bool(_FINDING_RE.fullmatch(e.text))
            home = section if wrapped or finding is None else finding
            finding = None if wrapped else finding
            task = _problem_task(e, home, ctx)
            tasks.append(task)
        elif e.kind in ("num", "plain") and _FINDING_RE.fullmatch(e.text):
            finding = _finding(e, section, ctx)
            task = None
        elif task is not None and _task_line(task, e):
            continue
        else:
            progress = _PROGRESS_RE.match(e.text)
            ctx.unplace(e, raw, _msg("import_progress_line") if progress else _msg("import_report_other"))
    for task in tasks:
        _finish_problem(task, ctx)
    return section


def _finding(e: _Entry, section: dict[str, Any], ctx: _Ctx) -> dict[str, Any]:
    """A finding (关于“…”问题) as a sub-section of its aspect."""
    subs = section.setdefault("sections", [])
    finding: dict[str, Any] = {"id": _unique_id(f"{section['id']}-{e.value or len(subs) + 1}", ctx.used_ids)}
    if e.number:
        finding["number"] = e.number
    finding["title"] = _unwrap(e.text)
    subs.append(finding)
    return finding


def _problem_task(e: _Entry, home: dict[str, Any], ctx: _Ctx) -> dict[str, Any]:
    """A task for a problem line; its measures follow."""
    task: dict[str, Any] = {"id": ""}
    if e.number:
        task["number"] = e.number
    task["title"] = make_title(_unwrap(e.text))
    task["problem"] = e.text
    task["details"] = ""
    home.setdefault("tasks", []).append(task)
    ctx.refs.append(_TaskRef(task, e.value or None, None, home["id"]))
    task["_line"] = e.line
    return task


def _task_line(task: dict[str, Any], e: _Entry) -> bool:
    """Take a line that belongs to the problem just read (measures and what continues them); False if not."""
    if e.kind == "measure":
        task["details"] = "\n".join(t for t in (task["details"], e.text) if t)
        task.setdefault("_measure_line", e.line)
    elif e.kind == "resp":
        task.setdefault("_fields", []).extend(e.fields)
    elif e.kind == "deadline":
        task["_deadline"] = " ".join(t for t in (task.get("_deadline", ""), e.text) if t)
    elif e.kind == "plain" and task["details"] and not _PROGRESS_RE.match(e.text):
        task["details"] += "\n" + e.text  # measures running on over several paragraphs (二是… on a line of its own)
    else:
        return False
    return True


def _finish_problem(task: dict[str, Any], ctx: _Ctx) -> None:
    """Measures split from the 整改措施 text, deadline and responsibility, helper keys removed."""
    line = task.pop("_line")
    line = task.pop("_measure_line", line)  # deadline notes point at the measures, where the phrases are
    details = task.pop("details")
    fields = task.pop("_fields", [])
    explicit = task.pop("_deadline", "")
    if details:
        task["details"] = details
    task["measures"] = split_measures(details)
    ctx.deadline_of(task, explicit or details, line)
    task.update(_responsibility(fields))


def split_measures(text: str) -> list[str]:
    """'一是加强学习。…；二是…' -> ['加强学习。…', '…']: the parts without ordinals and closing 。；."""
    starts = [m.start() for m in _ORDINAL_RE.finditer(text)]
    pieces = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=False)]
    lead = text[: starts[0]] if starts else text
    if lead.strip() and not (starts and lead.strip().endswith(("：", ":"))):
        pieces.insert(0, lead)  # text before 一是 is a measure too, unless it only introduces them ('采取以下措施：')
    out = []
    for piece in pieces:
        piece = re.sub(r"^[一二三四五六七八九十]{1,3}是[：:，,]?", "", piece.strip())
        piece = piece.strip().rstrip("。；;，, \n")
        if piece:
            out.append(piece)
    return out
