"""The ledger schema, declared once.

Each field is a :class:`Spec` that reads a YAML node (reporting problems at the
node's position) and describes itself as JSON Schema. The same declaration
drives ``portal validate``, every build and the committed JSON Schema that
editors use for completion, in the manner of MkDocs' config options.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from portal.deadlines.wording import parse_deadline
from portal.i18n import STATUS_LABELS, message
from portal.ledger import model
from portal.ledger.yamlread import (
    TAG_FLOAT,
    TAG_INT,
    TAG_STR,
    MappingNode,
    Node,
    Reader,
    ScalarNode,
    SequenceNode,
    is_null,
    kind_of,
    scalar_python,
)


class _Invalid:
    """Marks a value that failed to read; the problem is already reported."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()

#: Limits per value (documented in the README): long enough for any real plan, short enough that a
#: hostile edit cannot make every page huge.
MAX_TEXT = 20_000  # characters in one text (a title, details, an update)
MAX_TITLE = 500
MAX_ITEMS = 2_000  # items in one list (updates of a task, tasks of a section …)
MAX_SECTION_ITEMS = 20_000  # tasks or sub-sections directly in one section

#: Ids, slugs and department names become folder and file names of the site, which is copied to Windows and
#: macOS file systems and onto CDs: at most 255 bytes a name everywhere, 255 UTF-16 units on Windows. An id or
#: slug is ASCII (64 bytes); a name of 60 characters is at most 240 bytes even in four-byte UTF-8.
MAX_ID = 64
MAX_NAME = 60

#: Names the site already uses at its top level (pages, folders and files: outputs/site.py _plan_pages, the
#: files mkdocs_hooks adds, the theme's and the snapshots'). A plan id is a top-level folder, and a department
#: slug a page under departments/ (whose own page is index), so neither may take one of these, alone or before a
#: dot ("tasks" stands for tasks.json, tasks.csv and tasks.xlsx; "feed" for feed.xml).
RESERVED_NAMES = frozenset({
    "index", "table", "overdue", "changelog", "archive", "search", "assets", "departments", "month", "report",
    "feed", "tasks", "versions", "404", "sitemap",
})
#: A section's page is {plan id}/{section id}: only the plan's own page, index, is in the way there.
RESERVED_SECTION_NAMES = frozenset({"index"})
#: Names Windows keeps for devices, alone or before a dot: a page folder named con/ cannot be created or opened.
WINDOWS_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"} | {f"{d}{n}" for d in ("com", "lpt") for n in "123456789"}
)
#: Characters that show nothing: a title or a name made only of these is blank. Zero-width spaces and joiners,
#: the word joiner, the byte-order mark and other format characters (category Cf), fillers that look blank.
_BLANK_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
NAME_PART_RE = re.compile(r"[^、，,；;\s][^、，,；;]*")
URL_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
SAFE_SCHEMES = {"http", "https", "mailto"}


@dataclass(slots=True)
class Context:
    """What reading needs beyond the node: the reader, the plan year, the registry."""

    reader: Reader
    year: int = 0
    registry: model.Registry | None = None
    registry_file: str = ""
    as_of: dt.date | None = None
    # (node, value) of every id read, for the uniqueness check after reading
    ids: list[tuple[Node, str]] = field(default_factory=list)
    # (node, value) of the ids that name a page (plan and section ids), for the check that ignores case
    page_ids: list[tuple[Node, str]] = field(default_factory=list)
    # (node, name) of every department name read without a registry: their pages must not collide
    names: list[tuple[Node, str]] = field(default_factory=list)


class Spec:
    """A kind of value in the ledger."""

    def read(self, node: Node, ctx: Context) -> Any:
        raise NotImplementedError

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


class ScalarSpec(Spec):
    """A single value: anything else is reported, the scalar itself is read by ``read_scalar``."""

    def read(self, node: Node, ctx: Context) -> Any:
        s = _scalar(node, ctx)
        return INVALID if s is None else self.read_scalar(s, ctx)

    def read_scalar(self, s: ScalarNode, ctx: Context) -> Any:
        raise NotImplementedError


#: Characters XML 1.0 does not allow. YAML's double-quoted escapes ("\x01", "\uFFFE") can put them in a value;
#: refused here because the xlsx and docx writers raise on them (a traceback) and feed.xml would not parse.
XML_INVALID_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _scalar(node: Node, ctx: Context) -> ScalarNode | None:
    if isinstance(node, ScalarNode):
        bad = XML_INVALID_RE.search(node.value)
        if bad:
            ctx.reader.error(node, "bad_char", char=f"U+{ord(bad[0]):04X}")
            return None
        return node
    ctx.reader.error(node, "expected_scalar", got=_got(node, ctx))
    return None


def _got(node: Node, ctx: Context) -> str:
    return message(ctx.reader.lang, kind_of(node), {})


def _show(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value) if not isinstance(value, str) else value


def did_you_mean(value: str, options: list[str]) -> str:
    """The closest option to a mistyped value, or ''; for Chinese names only one of the same body (see below)."""
    close = difflib.get_close_matches(value, options, n=5, cutoff=0.5)
    return next((c for c in close if _same_body(value, c)), "")


# What kind of body a name ends in, longest first: 市委直属机关工委 (a 工委) is never 机关党委 (a 党委)
_BODY_TYPES = ("领导小组办公室", "委员会", "办公室", "领导小组", "党委", "工委", "党组", "纪委", "支部", "总支", "中心",
               "大队", "支队", "分局", "科", "室", "处", "局", "部", "所", "队", "站", "股", "组", "办", "委")
_PLACE_PREFIX = re.compile(r"^(?:中共|市委|县委|区委|市局|区局|县局|本局|市|县|区|局|机关|直属)+")


def _same_body(value: str, option: str) -> bool:
    """Whether a suggestion for a Chinese name names the same body: not when both end in a kind of body and the
    kinds differ (工委 / 党委), nor when what distinguishes them (组织 / 宣传 in 组织科 / 宣传科) shares nothing.
    A typo in the kind (机关党季) still gets its suggestion (机关党委)."""
    if not re.search("[\u4e00-\u9fff]", value + option):
        return True
    (core_a, kind_a), (core_b, kind_b) = _body(value), _body(option)
    if kind_a and kind_b and not (kind_a.endswith(kind_b) or kind_b.endswith(kind_a)):  # 室 may be a typo'd 办公室
        return False
    return not (core_a and core_b and not set(core_a) & set(core_b))


def _body(name: str) -> tuple[str, str]:
    """(the distinctive part, the kind of body) of a name: 市委组织部 -> (组织, 部)."""
    kind = next((k for k in _BODY_TYPES if name.endswith(k)), "")
    core = _PLACE_PREFIX.sub("", name[: len(name) - len(kind)])
    return core, kind


def is_blank(text: str) -> bool:
    """True when a text shows nothing: empty, spaces, or zero-width and other invisible characters only."""
    return all(c.isspace() or c in _BLANK_FILLERS or unicodedata.category(c) in ("Cf", "Cc") for c in text)


def reserved_segment(value: str, reserved: frozenset[str]) -> tuple[str, str] | None:
    """(message code, the name in the way) when ``value`` cannot be a folder or file name of the site.

    Compared without case (Windows and macOS ignore it) and alone or before its first dot.
    """
    folded = value.casefold()
    stem = folded.split(".", 1)[0]
    for name in (folded, stem):
        if name in reserved:
            return "id_reserved", name
        if name in WINDOWS_DEVICE_NAMES:
            return "id_device", name.upper()
    return None


@dataclass(slots=True)
class Text(ScalarSpec):
    """Plain text; any scalar is taken as written, up to ``max_len`` characters.

    With ``visible`` (titles and names) the text must show something: not empty, and not only invisible
    characters (zero-width spaces, joiners, BOM, ideographic or no-break spaces …).
    """

    markdown: bool = False
    max_len: int = MAX_TEXT
    visible: bool = False
    too_long: str = "text_too_long"  # the message for a text over max_len

    def read_scalar(self, s: ScalarNode, ctx: Context) -> Any:
        if len(s.value) > self.max_len:
            ctx.reader.error(s, self.too_long, length=len(s.value), limit=self.max_len)
            return INVALID
        value = s.value.strip() if not s.style else s.value.rstrip("\n")
        if self.visible and is_blank(value):
            ctx.reader.error(s, "text_blank")
            return INVALID
        return value

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string"} if not self.markdown else {"type": "string", "contentMediaType": "text/markdown"}


@dataclass(slots=True)
class Ident(ScalarSpec):
    """A stable id used in URLs: letters, digits, '.', '-', '_'; must be a YAML string.

    With ``file_name`` the id is also a folder or file name of the site: it may not be one of ``reserved`` or a
    Windows device name.
    """

    file_name: bool = False
    reserved: frozenset[str] = frozenset()

    def read_scalar(self, s: ScalarNode, ctx: Context) -> Any:
        if s.tag != TAG_STR:
            value = scalar_python(s)
            typ = message(ctx.reader.lang, kind_of(s), {})
            ctx.reader.error(s, "id_not_string", raw=s.value, typ=typ, value=_show(value))
            return INVALID
        if len(s.value) > MAX_ID:
            ctx.reader.error(s, "id_too_long", value=s.value[:20], length=len(s.value), limit=MAX_ID)
            return INVALID
        # fullmatch: '$' also matches before a final line break, so "s1\n" passed match() and made a page "s1\n".
        if not ID_RE.fullmatch(s.value):
            ctx.reader.error(s, "id_bad", value=s.value)
            return INVALID
        if self.file_name:
            clash = reserved_segment(s.value, self.reserved)
            if clash:
                ctx.reader.error(s, clash[0], value=s.value, name=clash[1])
                return INVALID
        ctx.ids.append((s, s.value))
        if self.file_name:
            ctx.page_ids.append((s, s.value))
        return s.value

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "pattern": ID_RE.pattern}


@dataclass(slots=True)
class Integer(ScalarSpec):
    minimum: int | None = None
    maximum: int | None = None
    allow_percent_sign: bool = False

    def read_scalar(self, s: ScalarNode, ctx: Context) -> Any:
        raw = s.value.strip()
        if self.allow_percent_sign:
            raw = raw.removesuffix("%").removesuffix("％").strip()
        try:
            value = int(raw)
        except ValueError:
            ctx.reader.error(s, "bad_int", value=s.value)
            return INVALID
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            ctx.reader.error(s, "out_of_range", value=value, min=self.minimum, max=self.maximum)
            return INVALID
        return value

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


def parse_date(text: str) -> dt.date | None:
    """A date from 'YYYY-MM-DD', or None when the form or the date is wrong."""
    m = DATE_RE.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


@dataclass(slots=True)
class Date(ScalarSpec):
    def read_scalar(self, s: ScalarNode, ctx: Context) -> Any:
        value = parse_date(s.value)
        if value is None:
            ctx.reader.error(s, "bad_date", value=s.value)
            return INVALID
        return value

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


@dataclass(slots=True)
class Number(ScalarSpec):
    """A number, or a text such as '100%' or '全覆盖' where a figure does not fit."""

    def read_scalar(self, s: ScalarNode, ctx: Context) -> Any:
        if s.tag in (TAG_INT, TAG_FLOAT):
            # Read figures as decimal, as people write them: '05' is five, not YAML 1.1 octal.
            try:
                number = float(s.value.replace("_", ""))
            except ValueError:
                return s.value  # 3:1, 0x1F …: keep the text as written
            if not math.isfinite(number):  # 1.0e+999 or 400 digits: inf would make tasks.json invalid JSON
                return s.value
            return int(number) if number.is_integer() and s.tag == TAG_INT else number
        return s.value

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": ["number", "string"]}


@dataclass(slots=True)
class Choice(ScalarSpec):
    """One of a set of stable keys, written as the key or as its Chinese label."""

    options: Mapping[str, str]  # key -> Chinese label
    label: str
    aliases: Mapping[str, str] = field(default_factory=dict)  # extra spellings -> key

    def read_scalar(self, s: ScalarNode, ctx: Context) -> Any:
        raw = s.value.strip()
        lookup = {k: k for k in self.options} | {v: k for k, v in self.options.items()} | dict(self.aliases)
        key = lookup.get(raw) or lookup.get(raw.lower())
        if key is None:
            allowed = "、".join(f"{v}（{k}）" for k, v in self.options.items())
            suggestion = did_you_mean(raw, list(lookup))
            hint = _hint(ctx, suggestion)
            ctx.reader.error(s, "bad_choice", value=raw, label=self.label, hint=hint, allowed=allowed)
            return INVALID
        return key

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        values = list(self.options) + list(self.options.values()) + list(self.aliases)
        return {"type": "string", "enum": values}


def _hint(ctx: Context, suggestion: str) -> str:
    if not suggestion:
        return ""
    return message(ctx.reader.lang, "did_you_mean", {"suggestion": suggestion})


@dataclass(slots=True)
class Url(ScalarSpec):
    """A link: http(s), mailto or a relative path; never javascript: or data:."""

    def read_scalar(self, s: ScalarNode, ctx: Context) -> Any:
        value = s.value.strip()
        m = URL_SCHEME_RE.match(value)
        # No control characters at all: browsers drop tabs and line breaks inside a URL and C0 controls at its
        # ends, so "java\tscript:…" or "\x01javascript:…" would pass the scheme check and still run as script.
        controls = any(ord(c) < 0x20 or c == "\x7f" for c in value)
        if (m and m[1].lower() not in SAFE_SCHEMES) or not value or controls or any(c in value for c in "\"<>"):
            ctx.reader.error(s, "bad_url", value=value)
            return INVALID
        # Browsers read '//host/…' (and '/\host', '\\host': a backslash is a slash to them) as a link to another
        # site, and Windows reads '\\host\share' as a network share: neither is a path in the site. No link needs
        # a raw backslash (it is %5C), so none is allowed anywhere, which also ends any parser's disagreement.
        if value.startswith("//") or "\\" in value:
            ctx.reader.error(s, "bad_url_host", value=value)
            return INVALID
        return value

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string", "pattern": r"^(https?:|mailto:|[^:]*$)"}


@dataclass(slots=True)
class ListOf(Spec):
    """A list of items (at most ``max_items``); with ``split`` a single string is split on 、，,； as typed in Word."""

    item: Spec
    split: bool = False
    single: bool = False  # a single item may stand without the list
    max_items: int = MAX_ITEMS

    def read(self, node: Node, ctx: Context) -> Any:
        if isinstance(node, ScalarNode) and self.split:
            parts = NAME_PART_RE.finditer(node.value)
            values = (self.item.read(_sub_scalar(node, m.start(), m[0]), ctx) for m in parts)
            return [v for v in values if v is not INVALID]
        if not isinstance(node, SequenceNode):
            if self.single:
                value = self.item.read(node, ctx)
                return [] if value is INVALID else [value]
            ctx.reader.error(node, "expected_list", got=_got(node, ctx))
            return INVALID
        if not ctx.reader.first_visit(node):
            ctx.reader.error(node, "yaml_alias", limit="alias")
            return INVALID
        if len(node.value) > self.max_items:
            ctx.reader.error(node, "too_many_items", count=len(node.value), limit=self.max_items)
            return INVALID
        out = []
        for child in node.value:
            value = self.item.read(child, ctx)
            if value is not INVALID:
                out.append(value)
        return out

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        arr = {"type": "array", "items": self.item.json_schema(defs)}
        if self.split or self.single:
            return {"anyOf": [arr, self.item.json_schema(defs)]}
        return arr


def _sub_scalar(node: ScalarNode, offset: int, value: str) -> ScalarNode:
    """A scalar standing for one part of a split string, at that part's column when the string is plain."""
    start = node.start_mark
    if not node.style and "\n" not in node.value:
        start = yaml.Mark(start.name, start.index + offset, start.line, start.column + offset, None, None)
    return ScalarNode(TAG_STR, value.strip(), start, node.end_mark, style='"')


@dataclass(slots=True)
class Names(ScalarSpec):
    """A department or unit name, checked against the registry and resolved from aliases."""

    def read_scalar(self, s: ScalarNode, ctx: Context) -> Any:
        name = s.value.strip()
        if len(name) > MAX_NAME:
            ctx.reader.error(s, "name_too_long", length=len(name), limit=MAX_NAME)
            return INVALID
        if is_blank(name):
            ctx.reader.error(s, "text_blank")
            return INVALID
        if not ctx.registry:
            ctx.names.append((s, name))
            return name
        dept = ctx.registry.resolve(name)
        if dept is None:
            hint = _hint(ctx, did_you_mean(name, ctx.registry.known_names()))
            ctx.reader.error(s, "unknown_department", value=name, registry=ctx.registry_file, hint=hint)
            return INVALID
        return dept.name

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "string"}


@dataclass(slots=True)
class Field:
    """A named field of a mapping."""

    spec: Spec
    label: str  # Chinese name, shown in messages and documentation
    doc: str = ""
    required: bool = False


@dataclass(frozen=True, slots=True)
class KeyChange:
    """A key that an older portal read in a mapping: renamed to ``new``, or removed (``new`` None), in ``since``.

    A ledger that still has it is read as if it said ``new`` (or did not say it), with a warning that says what
    to change and that ``portal fmt --upgrade`` changes it (:mod:`portal.ledger.upgrade`).
    """

    new: str | None
    since: str  # the portal version that changed it


@dataclass(slots=True)
class Obj(Spec):
    """A mapping with declared fields; unknown, duplicate and missing keys are reported."""

    fields: dict[str, Field]
    build: Callable[[dict[str, Any], MappingNode, Context], Any]
    name: str = ""  # a name puts the schema in $defs, which also allows recursion
    doc: str = ""
    #: the keys older portals read here (old key -> change); none so far: every key ever declared is still read
    changed: dict[str, KeyChange] = field(default_factory=dict)

    def read(self, node: Node, ctx: Context) -> Any:
        if not isinstance(node, MappingNode):
            ctx.reader.error(node, "expected_mapping", got=_got(node, ctx))
            return INVALID
        if not ctx.reader.first_visit(node):
            ctx.reader.error(node, "yaml_alias", limit="alias")
            return INVALID
        values: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        ok = True
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else str(key_node.value)
            if key in first_line:
                ctx.reader.error(key_node, "duplicate_key", key=key, first=first_line[key])
                ok = False
                continue
            change = self.changed.get(key)
            if change is not None:
                # an older portal's key: read as what it became (or not at all), with a warning saying so
                ctx.reader.warn(key_node, "key_renamed" if change.new else "key_removed", key=key,
                                new=change.new or "", since=change.since)
                if change.new is None:
                    continue
                key = change.new
                if key in first_line:
                    ctx.reader.error(key_node, "duplicate_key", key=key, first=first_line[key])
                    ok = False
                    continue
            first_line[key] = key_node.start_mark.line + 1
            f = self.fields.get(key)
            if f is None:
                self._unknown(key_node, key, ctx)
                ok = False
                continue
            if is_null(value_node):
                if f.required:
                    ctx.reader.error(value_node, "empty_value", key=key, label=f.label)
                    ok = False
                continue
            value = f.spec.read(value_node, ctx)
            if value is INVALID:
                ok = False
            else:
                values[key] = value
        for key, f in self.fields.items():
            if f.required and key not in first_line:
                ctx.reader.error(node, "missing_field", key=key, label=f.label)
                ok = False
        if not ok and any(f.required and k not in values for k, f in self.fields.items()):
            return INVALID
        return self.build(values, node, ctx)

    def _unknown(self, key_node: Node, key: str, ctx: Context) -> None:
        by_label = {f.label: k for k, f in self.fields.items()}
        suggestion = by_label.get(key) or did_you_mean(key, list(self.fields))
        hint = _hint(ctx, suggestion)
        allowed = "、".join(f"{k}（{f.label}）" for k, f in self.fields.items()) if ctx.reader.lang == "zh" else (
            ", ".join(self.fields))
        ctx.reader.error(key_node, "unknown_field", key=key, hint=hint, allowed=allowed)

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        if self.name and self.name in defs:
            return {"$ref": f"#/$defs/{self.name}"}
        if self.name:
            defs[self.name] = {}  # placeholder first: the schema may refer to itself
        props = {}
        for key, f in self.fields.items():
            description = f.label + (f"：{f.doc}" if f.doc else "")
            props[key] = {"description": description, **f.spec.json_schema(defs)}
        out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        required = [k for k, f in self.fields.items() if f.required]
        if required:
            out["required"] = required
        if self.doc:
            out = {"description": self.doc, **out}
        if self.name:
            defs[self.name] = out
            return {"$ref": f"#/$defs/{self.name}"}
        return out


# --- the deadline ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class DeadlineSpec(Spec):
    """A deadline: a phrase as the plan writes it, a date, a part mapping, or a list of these."""

    def read(self, node: Node, ctx: Context) -> Any:
        if isinstance(node, SequenceNode):
            parts: list[model.DeadlinePart] = []
            texts: list[str] = []
            for child in node.value:
                got = self._one(child, ctx)
                if got is INVALID:
                    return INVALID
                parts.extend(got[1])
                texts.append(got[0])
            return model.Deadline("、".join(t for t in texts if t), parts)
        got = self._one(node, ctx)
        return INVALID if got is INVALID else model.Deadline(got[0], got[1])

    def _one(self, node: Node, ctx: Context) -> Any:
        if isinstance(node, MappingNode):
            part = DEADLINE_PART.read(node, ctx)
            if part is INVALID:
                return INVALID
            if isinstance(part, list):  # a mapping with only 'text' (and 'done'): parsed from the phrase
                return (part[0].text if part else "", part)
            return (part.text, [part])
        s = _scalar(node, ctx)
        if s is None:
            return INVALID
        text = s.value.strip()
        date = parse_date(text)
        if date is not None:
            return (text, [model.DeadlinePart("date", text=text, due=date)])
        if DATE_RE.match(text):
            ctx.reader.error(s, "bad_date", value=text)
            return INVALID
        parts = parse_deadline(text, ctx.year)
        if not parts:
            ctx.reader.error(s, "deadline_unparsed", value=text)
            return INVALID
        return (text, parts)

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        one = {"anyOf": [{"type": "string"}, DEADLINE_PART.json_schema(defs)]}
        return {"anyOf": [one, {"type": "array", "items": one}]}


EVERY = Choice(
    {"week": "每周", "month": "每月", "quarter": "每季度", "half_year": "每半年", "year": "每年"},
    label="周期",
    aliases={"每季": "quarter", "weekly": "week", "monthly": "month", "quarterly": "quarter", "yearly": "year"},
)


def _build_part(v: dict[str, Any], node: MappingNode, ctx: Context) -> Any:
    text = v.get("text", "")
    done = v.get("done")
    if v.get("ongoing"):
        return model.DeadlinePart("ongoing", text=text or "长期")
    if "every" in v:
        weekday = v.get("weekday")
        return model.DeadlinePart(
            "recurring",
            text=text,
            every=model.Every(v["every"]),
            weekday=None if weekday is None else weekday - 1,
            start=v.get("start") or dt.date(ctx.year or 1970, 1, 1),
            due=v.get("due") or dt.date(ctx.year or 1970, 12, 31),
        )
    if "due" in v:
        start, due = v.get("start"), v["due"]
        if start and start > due:
            ctx.reader.error(node, "window_reversed", start=start.isoformat(), due=due.isoformat())
            return INVALID
        return model.DeadlinePart("window" if start else "date", text=text or due.isoformat(), due=due, start=start,
                                  done=done)
    if text:
        parts = parse_deadline(text, ctx.year)
        if not parts:
            ctx.reader.error(node, "deadline_unparsed", value=text)
            return INVALID
        for p in parts:
            p.done = done
        return parts
    ctx.reader.error(node, "deadline_part_empty")
    return INVALID


class _Bool(ScalarSpec):
    def read_scalar(self, s: ScalarNode, ctx: Context) -> Any:
        return s.value.strip().lower() in {"true", "yes", "on", "是", "1"}

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"type": "boolean"}


DEADLINE_PART = Obj(
    {
        "text": Field(Text(), "原文", "期限的原文，如“7月份前”；只写原文时按原文推算日期"),
        "due": Field(Date(), "截止日期", "YYYY-MM-DD"),
        "start": Field(Date(), "开始日期", "时间段或周期的开始"),
        "every": Field(EVERY, "周期", "周期性任务：week / month / quarter / half_year / year"),
        "weekday": Field(Integer(1, 7), "星期几", "每周任务的星期几，1 为星期一"),
        "done": Field(Date(), "完成日期", "这一节点实际完成的日期"),
        "ongoing": Field(_Bool(), "长期", "长期坚持、常态化，没有截止日期"),
    },
    build=_build_part,
    name="deadline_part",
    doc="期限的一项：一个日期、一个时间段、一个周期或长期",
)

# --- tasks, sections, plans ----------------------------------------------------------------------------------

STATUS = Choice(
    {s.value: model.STATUS_ZH[s] for s in model.Status},
    label="状态",
    aliases={"完成": "done", "已办结": "done", "已整改": "done", "未开始": "not_started", "推进中": "in_progress",
             "持续推进": "ongoing", "常态化": "ongoing", "取消": "cancelled"},
)
TERM = Choice({t.value: model.TERM_ZH[t] for t in model.Term}, label="整改期限")
DEPT_KIND = Choice({"department": "科室", "unit": "单位", "group": "集体"}, label="单位类型",
                   aliases={"直属单位": "unit", "部门": "department"})

@dataclass(slots=True)
class NameList(ListOf):
    """Department names; a name written twice (or as a name and its alias) counts once."""

    def read(self, node: Node, ctx: Context) -> Any:
        names = ListOf.read(self, node, ctx)
        return names if names is INVALID else list(dict.fromkeys(names))


NAMES = NameList(Names(), split=True)


def _build_update(v: dict[str, Any], node: MappingNode, ctx: Context) -> Any:
    _not_after_as_of(ctx, node, "date", v["date"], "进展" if ctx.reader.lang == "zh" else "update")
    return model.Update(v["date"], v["text"], v.get("by", ""))


def _not_after_as_of(ctx: Context, node: MappingNode, key: str, value: dt.date, what: str) -> None:
    if ctx.as_of is not None and value > ctx.as_of:
        ctx.reader.error(value_node(node, key), "after_as_of", what=what, value=value.isoformat(),
                         as_of=ctx.as_of.isoformat())


def value_node(node: MappingNode, key: str) -> Node:
    """The value node of ``key`` in a mapping, or the mapping itself."""
    for k, v in node.value:
        if isinstance(k, ScalarNode) and k.value == key:
            return v
    return node


def _build_metric(v: dict[str, Any], node: MappingNode, ctx: Context) -> Any:
    return model.Metric(v["name"], v.get("target"), v.get("actual"), v.get("unit", ""))


class _EvidenceSpec(Spec):
    """A link {title, url}, or just the URL."""

    def read(self, node: Node, ctx: Context) -> Any:
        if isinstance(node, ScalarNode):
            url = Url().read(node, ctx)
            return INVALID if url is INVALID else model.Evidence(url, url)
        return EVIDENCE_OBJ.read(node, ctx)

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return {"anyOf": [{"type": "string"}, EVIDENCE_OBJ.json_schema(defs)]}


EVIDENCE_OBJ = Obj(
    {"title": Field(Text(), "名称"), "url": Field(Url(), "链接", required=True)},
    build=lambda v, n, c: model.Evidence(v.get("title") or v["url"], v["url"]),
    name="evidence",
)

UPDATE = Obj(
    {
        "date": Field(Date(), "日期", "YYYY-MM-DD", required=True),
        "text": Field(Text(markdown=True), "进展", "本次进展，可用 Markdown", required=True),
        "by": Field(Text(), "填报人", "填报的科室或个人"),
    },
    build=_build_update,
    name="update",
    doc="一条进展：日期、内容、填报人",
)

METRIC = Obj(
    {
        "name": Field(Text(), "指标名称", required=True),
        "target": Field(Number(), "目标值"),
        "actual": Field(Number(), "完成值"),
        "unit": Field(Text(), "单位", "如 个、次、%"),
    },
    build=_build_metric,
    name="metric",
)

RESPONSIBILITY = {
    "leader": Field(Text(), "责任领导", "下级任务未填写时继承"),
    "lead": Field(NAMES, "牵头单位", "牵头科室或单位，列表；下级任务未填写时继承"),
    "units": Field(NAMES, "责任单位", "责任或配合单位，列表；下级任务未填写时继承"),
}


def _build_task(v: dict[str, Any], node: MappingNode, ctx: Context) -> Any:
    status = model.Status(v.get("status", "not_started"))
    # Check progress only against a status the user wrote and we read: a misspelt key or an
    # unreadable value is reported already, and the default status would only add a false error.
    keys = {k.value for k, _ in node.value if isinstance(k, ScalarNode)}
    if keys <= TASK.fields.keys() and ("status" in v or "status" not in keys):
        _check_progress(v, node, ctx, status)
    task = model.Task(
        id=v["id"],
        title=v["title"],
        number=v.get("number", ""),
        details=v.get("details", ""),
        leader=v.get("leader", ""),
        lead=v.get("lead", []),
        units=v.get("units", []),
        deadline=v.get("deadline"),
        term=model.Term(v["term"]) if "term" in v else None,
        status=status,
        percent=v.get("percent"),
        closed=v.get("closed"),
        problem=v.get("problem", ""),
        measures=v.get("measures", []),
        metrics=v.get("metrics", []),
        updates=v.get("updates", []),
        evidence=v.get("evidence", []),
        tags=v.get("tags", []),
        line=node.start_mark.line + 1,
        column=node.start_mark.column + 1,
    )
    return task


def _check_progress(v: dict[str, Any], node: MappingNode, ctx: Context, status: model.Status) -> None:
    """Percent and closing date must agree with the status."""
    label = STATUS_LABELS[ctx.reader.lang][status.value]
    percent = v.get("percent")
    fix = ""
    if percent is not None:
        if status is model.Status.DONE and percent != 100:
            fix = "percent_fix_done"
        elif status is model.Status.NOT_STARTED and percent != 0:
            fix = "percent_fix_not_started"
        elif status is model.Status.IN_PROGRESS and percent == 100:
            fix = "percent_fix_in_progress"
    if fix:
        ctx.reader.error(value_node(node, "percent"), "percent_status", percent=percent, status=label,
                         fix=message(ctx.reader.lang, fix, {}))
    if "closed" in v:
        if status is not model.Status.DONE:
            ctx.reader.error(value_node(node, "closed"), "closed_not_done", status=label)
        else:
            _not_after_as_of(ctx, node, "closed", v["closed"], "销号" if ctx.reader.lang == "zh" else "closing")

TASK = Obj(
    {
        "id": Field(Ident(), "编号", "稳定、唯一，用于网址，如 t01", required=True),
        "number": Field(Text(), "序号", "方案中印的序号，如（1）"),
        "title": Field(Text(max_len=MAX_TITLE, visible=True), "任务名称", required=True),
        "details": Field(Text(markdown=True), "具体内容", "任务原文或说明，可用 Markdown"),
        **RESPONSIBILITY,
        "deadline": Field(DeadlineSpec(), "完成时限",
                          "原文（6月底前、9-11月份、7月份前和12月份前、每月、长期坚持）、日期或列表"),
        "term": Field(TERM, "整改期限", "短期 / 中期 / 长期"),
        "status": Field(STATUS, "状态", "未启动、进行中、已完成、长期坚持、暂缓、已取消"),
        "percent": Field(Integer(0, 100, allow_percent_sign=True), "进度", "0–100 的整数"),
        "closed": Field(Date(), "销号日期", "完成并核实的日期"),
        "problem": Field(Text(markdown=True), "问题", "整改任务所针对的问题"),
        "measures": Field(ListOf(Text(markdown=True), single=True), "整改措施", "列表"),
        "metrics": Field(ListOf(METRIC), "指标", "目标值与完成值"),
        "updates": Field(ListOf(UPDATE), "工作进展", "按日期记录的进展"),
        "evidence": Field(ListOf(_EvidenceSpec(), single=True), "佐证材料", "链接列表"),
        "tags": Field(ListOf(Text(), split=True), "标签"),
    },
    build=_build_task,
    name="task",
    doc="一项任务",
)


def _build_section(v: dict[str, Any], node: MappingNode, ctx: Context) -> Any:
    section = model.Section(
        id=v["id"],
        title=v["title"],
        number=v.get("number", ""),
        details=v.get("details", ""),
        leader=v.get("leader", ""),
        lead=v.get("lead", []),
        units=v.get("units", []),
        sections=v.get("sections", []),
        tasks=v.get("tasks", []),
    )
    return section


SECTION = Obj({}, build=_build_section, name="section", doc="方案的一个部分（一、（一）1. 等），可以逐级嵌套")
SECTION.fields.update(
    {
        "id": Field(Ident(file_name=True, reserved=RESERVED_SECTION_NAMES), "编号", "稳定、唯一，用于网址，如 s1",
                    required=True),
        "number": Field(Text(), "序号", "方案中印的序号，如 一、"),
        "title": Field(Text(max_len=MAX_TITLE, visible=True), "标题", required=True),
        "details": Field(Text(markdown=True), "说明"),
        **RESPONSIBILITY,
        "sections": Field(ListOf(SECTION, max_items=MAX_SECTION_ITEMS), "下级板块"),
        "tasks": Field(ListOf(TASK, max_items=MAX_SECTION_ITEMS), "任务"),
    }
)


def _build_plan_meta(v: dict[str, Any], node: MappingNode, ctx: Context) -> Any:
    return v


PLAN_META = Obj(
    {
        "id": Field(Ident(file_name=True, reserved=RESERVED_NAMES), "方案编号", "稳定、唯一，用于网址", required=True),
        "title": Field(Text(visible=True), "方案名称", required=True),
        "year": Field(Integer(1990, 2200), "年度", "期限中未写年份的日期按此年度推算", required=True),
        "issuer": Field(Text(), "制定单位"),
        "source": Field(Text(), "文件依据", "如 ××办发〔2020〕12号"),
        "timezone": Field(Text(), "时区", "默认 Asia/Shanghai"),
    },
    build=_build_plan_meta,
    name="plan",
)


class _Placeholder(Spec):
    """Top-level keys read separately by the loader (plan first, for its year)."""

    def __init__(self, target: Spec) -> None:
        self.target = target

    def read(self, node: Node, ctx: Context) -> Any:
        return node

    def json_schema(self, defs: dict[str, Any]) -> dict[str, Any]:
        return self.target.json_schema(defs)


LEDGER = Obj(
    {
        "plan": Field(_Placeholder(PLAN_META), "方案", required=True),
        "sections": Field(_Placeholder(ListOf(SECTION)), "板块", required=True),
    },
    build=lambda v, n, c: v,
    doc="进度台账：一个实施方案或整改方案",
)

DEPARTMENT = Obj(
    {
        "name": Field(Text(max_len=MAX_NAME, visible=True, too_long="name_too_long"), "名称", required=True),
        "aliases": Field(ListOf(Text(), split=True), "别名", "其他写法，会被归为正式名称"),
        "kind": Field(DEPT_KIND, "类型", "科室 / 单位 / 集体（集体不参与红黑榜排名）"),
        "slug": Field(Ident(file_name=True, reserved=RESERVED_NAMES), "网址名", "单位页面网址中的名称，默认用单位名称"),
    },
    build=lambda v, n, c: (model.Department(v["name"], v.get("aliases", []), v.get("kind", "department"),
                                            v.get("slug", "")), n),
    name="department",
)

REGISTRY = Obj(
    {"departments": Field(ListOf(DEPARTMENT), "单位名录", required=True)},
    build=lambda v, n, c: v["departments"],
    doc="科室和单位名录",
)


def json_schema(root: Obj, title: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a root spec, for editors."""
    defs: dict[str, Any] = {}
    body = root.json_schema(defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **body, "$defs": defs}
