"""Units of portal.outputs.site: relative links, section titles, and that ledger text can never inject HTML."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from urllib.parse import urljoin

import pytest
from mkdocs.structure.files import Files

from portal.config import PortalConfig
from portal.ledger import model
from portal.ledger.load import load_text
from portal.outputs.site import Site, relative_url, section_title, task_title
from portal.survey import survey

ROOT = Path(__file__).parents[1]
TEMPLATES = ROOT / "overrides" / "portal"
AS_OF = dt.date(2020, 9, 30)

# --- relative_url -------------------------------------------------------------------------------------------------

URL_CASES = [
    # (target, page, expected): site-relative URLs as MkDocs gives them (directory URLs end in '/', home is './')
    ("table/", "p2020/s1/", "../../table/"),  # page to page, up two levels
    ("p2020/s2/", "p2020/s1/", "../s2/"),  # sibling
    ("p2020/", "p2020/s1/", "../"),  # parent
    ("p2020/s1/", "p2020/", "s1/"),  # child
    ("./", "table/", "../"),  # to the root
    ("./", "p2020/s1/", "../../"),
    ("table/", "./", "table/"),  # from the root
    ("table/", "table/", "./"),  # same page
    ("./", "./", "./"),
    ("", "", "./"),
    ("departments/%E5%8A%9E%E5%85%AC%E5%AE%A4/", "p2020/s1/", "../../departments/%E5%8A%9E%E5%85%AC%E5%AE%A4/"),
    ("assets/portal.css", "p2020/s1/", "../../assets/portal.css"),  # a file from a directory URL
    ("assets/portal.css", "./", "assets/portal.css"),
    # without directory URLs
    ("table.html", "p2020/s1.html", "../table.html"),
    ("p2020/s2.html", "p2020/s1.html", "s2.html"),
    ("p2020/s1.html", "p2020/s1.html", "s1.html"),  # same page
    ("index.html", "p2020/s1.html", "../index.html"),
    ("p2020/s1.html", "index.html", "p2020/s1.html"),
    # absolute links are left alone
    ("https://oa.example.gov.cn/docs/1", "p2020/s1/", "https://oa.example.gov.cn/docs/1"),
    ("mailto:office@example.gov.cn", "table/", "mailto:office@example.gov.cn"),
]


@pytest.mark.parametrize(("url", "page", "expected"), URL_CASES)
def test_relative_url(url: str, page: str, expected: str) -> None:
    assert relative_url(url, page) == expected


@pytest.mark.parametrize(("url", "page", "expected"), [*URL_CASES, ("", "table/", None), ("", "a/b/c/", None)])
def test_relative_url_resolves_to_the_target(url: str, page: str, expected: str | None) -> None:
    """Whatever the spelling, a browser on ``page`` must land on ``url``."""
    host = "http://portal.example/site/"
    target = urljoin(host, url)
    assert urljoin(urljoin(host, page), relative_url(url, page)) == target


# --- titles -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "title", "expected"),
    [
        ("一、", "全面加强思想建设", "一、全面加强思想建设"),
        ("（一）", "加强政治建设", "（一）加强政治建设"),
        ("(2)", "健全制度", "(2)健全制度"),
        ("1.", "深入学习", "1.深入学习"),
        ("2．", "深入学习", "2．深入学习"),
        ("第一部分", "总体要求", "第一部分 总体要求"),
        ("一", "总体要求", "一 总体要求"),
        ("3 ", "总体要求", "3 总体要求"),
        ("", "总体要求", "总体要求"),
    ],
)
def test_section_title(number: str, title: str, expected: str) -> None:
    assert section_title(model.Section("s", title, number=number)) == expected


def test_task_title() -> None:
    assert task_title(model.Task("t", "制定计划", number="（1）")) == "（1）制定计划"
    assert task_title(model.Task("t", "制定计划")) == "制定计划"


# --- a tiny site ----------------------------------------------------------------------------------------------------

TINY = """\
plan:
  id: p2020
  title: 2020年工作方案
  year: 2020
sections:
  - id: s1
    number: 一、
    title: 加强<b>思想</b>建设
    details: 说明 <i>斜体</i>
    tasks:
      - id: t01
        number: （1）
        title: <script>alert(1)</script>制定学习计划
        details: "**重点**内容 <img src=x onerror=alert(1)>"
        lead: 办公室
        deadline: 6月底前
        status: 进行中
        percent: 50
        updates:
          - date: 2020-09-01
            text: "见[通知](javascript:alert(1))"
            by: <b>办公室</b>
        evidence:
          - title: <b>学习计划</b>
            url: https://oa.example.gov.cn/docs?a=1&b=2
"""


@pytest.fixture(scope="module")
def site() -> Site:
    plan = load_text(TINY, as_of=AS_OF)
    return Site(survey(model.Ledger([plan]), AS_OF), PortalConfig(), TEMPLATES)


class _Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def assert_no_active_content(html: str) -> None:
    for tag, attrs in tags_of(html):
        assert tag not in {"script", "img", "iframe", "object", "embed", "style"}, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        for name in ("href", "src"):
            assert not (attrs.get(name) or "").strip().lower().startswith(("javascript:", "data:")), (tag, attrs)


# --- Site.markdown ------------------------------------------------------------------------------------------------


def test_markdown_escapes_script(site: Site) -> None:
    out = str(site.markdown("<script>alert(1)</script>"))
    assert "<script" not in out
    assert out == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


@pytest.mark.parametrize("text", ["[x](javascript:alert(1))", "[x](JavaScript:alert(1))", "[x]( javascript:alert(1))",
                                  "[x](data:text/html,hi)", '<a href="javascript:alert(1)">x</a>'])
def test_markdown_drops_script_links(site: Site, text: str) -> None:
    out = str(site.markdown(text))
    assert "javascript:" not in out.lower() or "&lt;a" in out  # only ever as escaped text
    assert_no_active_content(out)


def test_markdown_keeps_safe_links(site: Site) -> None:
    out = str(site.markdown("[通知](https://oa.example.gov.cn/a)"))
    assert tags_of(out) == [("p", {}), ("a", {"href": "https://oa.example.gov.cn/a", "rel": "noopener noreferrer"})]


def test_markdown_escapes_img_onerror(site: Site) -> None:
    out = str(site.markdown("<img src=x onerror=alert(1)>"))
    # the words stay visible as text, but there is no element to carry the handler
    assert "<img" not in out
    assert_no_active_content(out)
    assert out == "<p>&lt;img src=x onerror=alert(1)&gt;</p>"


def test_markdown_plain_sentence(site: Site) -> None:
    assert str(site.markdown("已印发学习计划，明确12个专题。")) == "<p>已印发学习计划，明确12个专题。</p>"
    assert str(site.markdown("a < b")) == "<p>a &lt; b</p>"
    assert str(site.markdown("甲 & 乙")) == "<p>甲 &amp; 乙</p>"
    assert str(site.markdown("第一行\n第二行")) == "<p>第一行<br>\n第二行</p>"  # a literal block keeps its breaks
    assert str(site.markdown("")) == ""


def test_markdown_formatting(site: Site) -> None:
    assert str(site.markdown("**粗体**")) == "<p><strong>粗体</strong></p>"
    assert "<em>斜体</em>" in str(site.markdown("*斜体*"))
    assert str(site.markdown("- 一\n- 二")) == "<ul>\n<li>一</li>\n<li>二</li>\n</ul>"
    assert str(site.markdown("a<b 且 **粗体**")) == "<p>a&lt;b 且 <strong>粗体</strong></p>"
    assert str(site.markdown("第一段\n\n第二段")) == "<p>第一段</p>\n<p>第二段</p>"


def test_markdown_code_span_with_less_than(site: Site) -> None:
    assert str(site.markdown("用 `a<b` 表示")) == "<p>用 <code>a&lt;b</code> 表示</p>"


def test_markdown_blockquote_with_less_than(site: Site) -> None:
    assert str(site.markdown("> 引用：比例 <5%")).startswith("<blockquote>")


def test_markdown_plain_english_lines_keep_a_space(site: Site) -> None:
    assert str(site.markdown("line one\nline two")) == "<p>line one<br>\nline two</p>"


# --- a rendered page ------------------------------------------------------------------------------------------------


def url_for(src: str) -> str:
    return src.replace(".md", "/")


def test_section_page_escapes_ledger_text(site: Site) -> None:
    html, toc = site.render("section:p2020:s1", "p2020/s1/", url_for=url_for)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;制定学习计划" in html
    assert "<script" not in html
    assert "<b>" not in html and "<i>" not in html  # section details, update 'by', evidence title
    assert "&lt;b&gt;学习计划&lt;/b&gt;" in html
    assert "<strong>重点</strong>" in html  # Markdown in details still works
    assert "javascript:" not in html
    assert_no_active_content(html)
    # the evidence link keeps its query, HTML-escaped in the attribute
    assert 'href="https://oa.example.gov.cn/docs?a=1&amp;b=2"' in html
    assert [(i.id, i.level) for i in toc] == [("t01", 2)]


def test_section_page_links_are_relative(site: Site) -> None:
    html, _ = site.render("section:p2020:s1", "p2020/s1/", url_for=url_for)
    hrefs = {attrs.get("href") for tag, attrs in tags_of(html) if tag == "a"}
    assert "../../departments/办公室/" in hrefs
    assert not any(h.startswith("/") for h in hrefs if h)


# --- what MkDocs shows outside the page body --------------------------------------------------------------------
# MkDocs' Jinja environment does not autoescape (mkdocs/theme.py), and mkdocs-material prints
# toc_item.title and nav titles as they are: titles handed to MkDocs must already be HTML.


def _hooks() -> ModuleType:
    import portal.mkdocs_hooks

    return portal.mkdocs_hooks


def test_toc_titles_handed_to_mkdocs_are_escaped(site: Site) -> None:
    _, toc = site.render("section:p2020:s1", "p2020/s1/", url_for=url_for)
    hooks = _hooks()
    titles = [hooks._anchor(item).title for item in toc]
    assert titles == ["（1）&lt;script&gt;alert(1)&lt;/script&gt;制定学习计划"]


def test_nav_titles_handed_to_mkdocs_are_escaped(site: Site) -> None:
    hooks = _hooks()
    nav = hooks._nav(site, Files([]))

    def titles(entries: list) -> list[str]:
        out = []
        for entry in entries:
            if isinstance(entry, dict):
                for title, value in entry.items():
                    out.append(title)
                    if isinstance(value, list):
                        out.extend(titles(value))
        return out

    all_titles = titles(nav)
    assert any("思想" in t for t in all_titles), all_titles
    assert not any("<b>" in t for t in all_titles), all_titles


def test_compiled_templates_kept_on_disk_for_the_next_process(tmp_path: Path) -> None:
    """A second process loads the compiled template instead of compiling it; a damaged file is compiled again."""
    import jinja2

    from portal.outputs.site import MemoryBytecodeCache

    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "page.html").write_text("{{ x | upper }}!", encoding="utf-8")
    store = tmp_path / "code"
    store.mkdir()

    def render() -> tuple[str, int]:
        cache = MemoryBytecodeCache("unit")
        cache._disk = jinja2.FileSystemBytecodeCache(str(store))  # as Jinja's private folder, here in tmp_path
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path / "t")), bytecode_cache=cache)
        compiled = 0
        original = env.compile

        def counting(*args: object, **kwargs: object) -> object:
            nonlocal compiled
            compiled += 1
            return original(*args, **kwargs)  # type: ignore[arg-type]

        env.compile = counting  # type: ignore[method-assign]
        return env.get_template("page.html").render(x="ok"), compiled

    assert render() == ("OK!", 1)
    assert render() == ("OK!", 0)
    for file in store.iterdir():
        file.write_bytes(b"not compiled code")
    assert render() == ("OK!", 1)
