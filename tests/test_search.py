"""The portal's own search entries: the same words as Material's parser plus the sub-words, segmented once.

Unit tests need no build: the segmenter against jieba itself, the card reader against Material's parser on
the same HTML, the cache on disk. Build tests compare the sample's index with what Material and the old
post-build rewrite (augment) made of the same pages, and a warm cache with a clean build.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jieba
import pytest
from material.plugins.search.plugin import SearchIndex

from conftest import REPO, Build, copy_project, run_build
from portal import mkdocs_hooks
from portal.build import build_site
from portal.config import read_config
from portal.ledger.load import load
from portal.outputs import segment
from portal.outputs.material_search import rest_indexer, scan_marked_pages_only, utf8_index
from portal.outputs.search import (
    HIDDEN_OPEN,
    TAG_RE,
    TOKEN_SPLIT_RE,
    card_spans,
    indexed_text,
    ledger_terms,
    page_entries,
    plain,
)
from portal.outputs.segment import (
    CACHE_FILE,
    DICTIONARY_FILE,
    HAN_SCRIPT_RE,
    LOOKUP_BUDGET,
    ZWSP,
    Segmenter,
    teach_jieba,
)

SEPARATOR = re.compile(r"[\s\u200b\u3000\-、。，．？！；]+")  # mkdocs.yml's search separator
SEARCH_CONFIG = {"lang": ["zh"], "separator": SEPARATOR.pattern, "pipeline": ["stemmer"],
                 "fields": {"title": {"boost": 1e3}, "text": {"boost": 1.0}, "tags": {"boost": 1e6}}}


@pytest.fixture(scope="module")
def terms() -> list[str]:
    """The sample ledger's terms, taught to this process's jieba (as every build of the sample does)."""
    found = ledger_terms(load(read_config(REPO / "mkdocs.yml")).ledger)
    teach_jieba(found)
    return found


def sample_texts() -> list[str]:
    ledger = load(read_config(REPO / "mkdocs.yml")).ledger
    texts = [t for task in ledger.tasks() for t in (task.title, task.details, task.problem or "",
                                                     *(u.text for u in task.updates))]
    return [*texts, "〇一二三四", "㐀㐁中国人民", "𠀀测试", "长江大桥市长江大桥", "他来到了网易杭研大厦", "龘龘龘",
            "中文English混合123数字", "习近平新时代中国特色社会主义思想"]


# --- the segmenter ------------------------------------------------------------------------------------------------

def test_cut_is_jiebas_cut_with_hmm(terms: list[str]) -> None:
    seg = Segmenter(terms)
    runs = {run for text in sample_texts() for run in re.findall(r"[\u3400-\u9fff\U00020000-\U0002a6df〇]+", text)}
    assert len(runs) > 300
    for run in sorted(runs):
        assert seg.cut(run) == ZWSP.join(jieba.cut(run)), run
    assert seg.misses == len(runs)
    for run in runs:  # remembered: no second graph
        seg.cut(run)
    assert seg.misses == len(runs)


def test_segment_is_materials_segment_chinese(terms: list[str]) -> None:
    seg, material = Segmenter(terms), SearchIndex(**SEARCH_CONFIG)
    for text in sample_texts():
        assert seg.segment(text) == material._segment_chinese(text), text


def test_inner_words_are_every_dictionary_word_inside_the_run(terms: list[str]) -> None:
    seg = Segmenter(terms)
    for run in ["市场监管局医疗器械科", "食品安全协调科", "党风廉政建设", "龘龘"]:
        dag = jieba.get_DAG(run)
        expected = list(dict.fromkeys(run[s:e + 1] for s, ends in dag.items() for e in ends if e > s))
        assert (seg.inner(run).split(ZWSP) if seg.inner(run) else []) == expected
        assert ("器械" in seg.inner(run).split(ZWSP)) == ("器械" in run)


def in_a_fresh_process(cache: Path, terms: list[str], texts: list[str], answer: str) -> Any:
    """``answer`` (an expression of ``seg``, ``texts`` and ``jieba``) worked out in a new Python process by a segmenter
    with the cache folder ``cache``: what a build's own process would see, with nothing this one has loaded."""
    script = (
        "import json, sys, jieba\n"
        "from pathlib import Path\n"
        "from portal.outputs.segment import HAN_SCRIPT_RE, Segmenter\n"
        "terms, texts = json.loads(sys.stdin.read())\n"
        f"seg = Segmenter(terms, Path({str(cache)!r}))\n"
        f"print(json.dumps({answer}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], input=json.dumps([terms, texts]), capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    return json.loads(proc.stdout)


def test_cache_on_disk_answers_without_loading_jieba(terms: list[str], tmp_path: Path) -> None:
    seg = Segmenter(terms, tmp_path)
    texts = sample_texts()[:40]
    first = [seg.segment(t) for t in texts]
    assert seg.misses > 0
    seg.save()
    assert (tmp_path / CACHE_FILE).exists()
    again = Segmenter(terms, tmp_path)
    assert [again.segment(t) for t in texts] == first and again.misses == 0
    # In a fresh process, a warm cache does not even load jieba's dictionary.
    out, misses, initialized = in_a_fresh_process(
        tmp_path, terms, texts, "[[seg.segment(t) for t in texts], seg.misses, jieba.dt.initialized]")
    assert out == first and misses == 0 and initialized is False


def test_new_runs_are_cut_from_the_dictionary_on_disk_without_loading_it(terms: list[str], tmp_path: Path) -> None:
    """A build that edited a task segments its new runs word by word from the copy of jieba's dictionary on disk:
    the cuts are jieba's own, and in a fresh process the whole dictionary (0.6 s, 60 MiB) is never loaded."""
    first = Segmenter(terms, tmp_path)
    first.segment("党风廉政建设")
    assert first.whole  # no copy yet: the whole dictionary, and a copy of it made for the next build
    first.save()
    assert (tmp_path / DICTIONARY_FILE).is_file()
    texts = sample_texts()
    expected = [ZWSP.join(jieba.cut(run)) for text in texts for run in HAN_SCRIPT_RE.findall(text)]
    out, misses, whole, lookups, initialized = in_a_fresh_process(
        tmp_path, terms, texts, "[[seg.cut(run) for text in texts for run in HAN_SCRIPT_RE.findall(text)], seg.misses,"
        " seg.whole, seg.tokenizer.FREQ.lookups, jieba.dt.initialized]")
    assert out == expected
    assert misses > 100 and 0 < lookups < LOOKUP_BUDGET and whole is False and initialized is False


def test_past_the_budget_of_lookups_the_whole_dictionary_is_loaded(terms: list[str], tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    Segmenter(terms, tmp_path).segment("党风廉政建设")  # the copy on disk
    monkeypatch.setattr(segment, "LOOKUP_BUDGET", 30)
    seg = Segmenter(terms, tmp_path)
    runs = [run for text in sample_texts()[:20] for run in HAN_SCRIPT_RE.findall(text)]
    assert [seg.cut(run) for run in runs] == [ZWSP.join(jieba.cut(run)) for run in runs]
    assert seg.whole


@pytest.mark.parametrize("damage", ["garbage", "another dictionary", "a frequency that is text"])
def test_a_damaged_or_foreign_copy_of_the_dictionary_is_not_used(terms: list[str], tmp_path: Path,
                                                                  damage: str) -> None:
    copy = tmp_path / DICTIONARY_FILE
    Segmenter(terms, tmp_path).segment("党风廉政建设")
    if damage == "garbage":
        copy.write_bytes(b"not a database" * 1000)
    else:
        with sqlite3.connect(copy) as db:
            if damage == "another dictionary":
                db.execute("UPDATE meta SET value = 'jieba 0.1' WHERE key = 'stamp'")
            else:
                db.execute("UPDATE freq SET n = 'many' WHERE word IN ('建设', '党风', '廉政')")
        db.close()
    seg = Segmenter(terms, tmp_path)
    assert seg.cut("党风廉政建设") == ZWSP.join(jieba.cut("党风廉政建设"))
    assert seg.whole
    seg.save()
    again = Segmenter(terms, tmp_path)  # the copy was made again
    assert again.cut("廉政建设") == ZWSP.join(jieba.cut("廉政建设")) and not again.whole


def test_other_terms_do_not_read_the_cache(terms: list[str], tmp_path: Path) -> None:
    seg = Segmenter(terms, tmp_path)
    seg.segment("食品安全协调科")
    seg.save()
    other = Segmenter([*terms, "协调科长"], tmp_path)
    other.segment("食品安全协调科")
    assert other.misses == 1 and other.key != seg.key


def test_teaching_again_starts_from_jiebas_own_dictionary(terms: list[str], tmp_path: Path) -> None:
    """mkdocs serve builds again in one process: the second teaching leaves jieba as one teaching of a fresh process
    (jieba adds a word's frequency to its total each time), and fewer terms take the others back."""
    teach_jieba([])
    untaught = jieba.dt.total, {t: jieba.dt.FREQ.get(t) for t in terms}
    teach_jieba(terms)
    once = jieba.dt.total, {t: jieba.dt.FREQ.get(t) for t in terms}
    teach_jieba(terms)
    assert (jieba.dt.total, {t: jieba.dt.FREQ.get(t) for t in terms}) == once
    assert once != untaught
    teach_jieba(terms[1:])
    assert jieba.dt.FREQ.get(terms[0]) == untaught[1][terms[0]]
    teach_jieba([])
    assert (jieba.dt.total, {t: jieba.dt.FREQ.get(t) for t in terms}) == untaught
    teach_jieba(terms)  # as the module's fixture left it
    assert Segmenter(terms[1:], tmp_path).cache_dir == tmp_path


def test_a_damaged_cache_is_set_aside(terms: list[str], tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_bytes(b"not a database at all" * 100)
    seg = Segmenter(terms, tmp_path)
    assert seg.segment("党风廉政建设") == ZWSP.join(jieba.cut("党风廉政建设"))
    seg.save()
    assert (tmp_path / f"{CACHE_FILE}.broken").exists()
    assert Segmenter(terms, tmp_path)._stored_cut == {"党风廉政建设": seg.cut("党风廉政建设")}


def test_a_foreign_value_is_ignored(terms: list[str], tmp_path: Path) -> None:
    seg = Segmenter(terms, tmp_path)
    seg.segment("党风廉政建设")
    seg.save()
    with sqlite3.connect(tmp_path / CACHE_FILE) as db:
        db.execute("UPDATE kv SET value = ?", (json.dumps({"cut": ["a list"], "inner": 3}),))
    again = Segmenter(terms, tmp_path)
    assert again.segment("党风廉政建设") == seg.segment("党风廉政建设") and again.misses == 1


def test_a_cache_that_cannot_be_written_is_gone_without(terms: list[str], tmp_path: Path) -> None:
    blocked = tmp_path / "a file"
    blocked.write_text("", encoding="utf-8")
    said: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("mkdocs.hooks.portal")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        seg = Segmenter(terms, blocked / "cache")
        assert seg.segment("党风廉政建设") == ZWSP.join(jieba.cut("党风廉政建设"))
        seg.save()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    where = blocked / "cache" / CACHE_FILE
    assert said and all(line.startswith(f"portal: 搜索分词缓存 {where} 无法写入") for line in said), said


# --- entries of a page of cards -------------------------------------------------------------------------------------

CARD = """<article class="pp-card pp-card--in_progress" data-task="{id}">
  <h{level} id="{id}" class="pp-card__title"><span class="pp-card__num">（1）</span>{title}<a class="headerlink"
    href="#{id}" title="Permanent link">#</a></h{level}>
  <div class="pp-card__status">
    <span class="pp-badge">进行中</span>
    <span class="pp-light pp-light--green">正常</span>
  </div>
  <dl class="pp-card__meta">
    <div><dt>牵头单位</dt><dd>食品安全协调科</dd></div>
    <div><dt>完成时限</dt><dd>6月底前</dd></div>
  </dl>
  <div class="pp-card__details"><p>医疗器械 &amp; 药品 &lt;专项&gt; 整治 &#34;回头看&#34;</p></div>
  <div class="pp-card__block"><div class="pp-card__label">措施</div>
    <ol class="pp-measures"><li><p>建立 <strong>台账</strong></p></li><li></li></ol>
  </div>
  <details class="pp-history"><summary>变更记录（1）</summary><ol><li>状态改为已完成 沉默寡言</li></ol></details>
</article>"""

PAGE = ("<p>本板块的说明。</p>\n<div class=\"pp-summary\"><p>红灯 2 项任务</p></div>\n"
        + CARD.format(id="t01", level=2, title="开展专项整治") + "\n"
        + '<section class="pp-section"><h3 id="s1-1" class="pp-section__title">1.小节标题<a class="headerlink" '
        + 'href="#s1-1">#</a></h3>\n<dl class="pp-resp"><div><dt>牵头单位</dt><dd>机关党委</dd></div></dl>\n'
        + CARD.format(id="t02", level=4, title="市场监管工作") + "\n</section>\n"
        + '<ul class="pp-subpages"><li><a href="s2/">二、下一板块</a></li></ul>')


def _page(content: str = PAGE) -> Any:
    return SimpleNamespace(content=content, toc=[], url="plan/s1/", meta={"title": "一、板块"}, title="一、板块",
                           file=SimpleNamespace(src_uri="plan/s1.md"))


def _material(content: str) -> list[dict[str, Any]]:
    index = SearchIndex(**SEARCH_CONFIG)
    index.add_entry_from_context(_page(content))
    return index.entries


def _tokens(entry: dict[str, Any]) -> set[str]:
    return set(SEPARATOR.split(TAG_RE.sub(ZWSP, entry["title"] + ZWSP + entry["text"]))) - {""}


def _without_history(content: str) -> str:
    return re.sub(r'<details class="pp-history">.*?</details>', "", content, flags=re.S)


def test_page_entries_are_materials_sections_with_sub_words(terms: list[str]) -> None:
    seg = Segmenter(terms)
    index = SearchIndex(**SEARCH_CONFIG)
    index._segment_chinese = seg.segment
    entries = page_entries(PAGE, "plan/s1/", segmenter=seg, rest=rest_indexer(index, _page()), meta={})
    assert entries is not None
    material = _material(_without_history(PAGE))
    assert [e["location"] for e in entries] == [e["location"] for e in material] == \
        ["plan/s1/", "plan/s1/#t01", "plan/s1/#s1-1", "plan/s1/#t02"]
    assert [e["title"] for e in entries] == [e["title"] for e in material]
    by_location = {e["location"]: e for e in material}
    for entry in entries:
        theirs = by_location[entry["location"]]
        if "#t0" not in entry["location"]:
            assert entry == theirs  # outside the cards: Material's own entries
            continue
        text, _, hidden = entry["text"].partition(HIDDEN_OPEN)
        assert _tokens({"title": entry["title"], "text": text}) == _tokens(theirs)
        assert "器械" in hidden.removesuffix("</span>").split(ZWSP)  # a sub-word
        assert "沉默" not in entry["text"]  # the change record is not indexed
        assert "&amp; ​药品​ &lt;​专项​&gt;" in text and '"​回头​看​"' in text  # escaped as Material escapes
        assert "<li></li>" not in text and "<ol>" in text and "<strong>" not in text


def test_indexed_text_keeps_materials_tags_only() -> None:
    assert indexed_text('<p class="x">a <em>b</em></p>\n\n<div>c</div><ul><li> </li></ul>') == "<p>a b</p> c<ul></ul>"
    assert indexed_text("<dt>牵头</dt><dd>机关</dd>") == "牵头机关"  # no space where Material puts none


def test_pages_material_must_parse_itself(terms: list[str]) -> None:
    seg = Segmenter(terms)
    index = SearchIndex(**SEARCH_CONFIG)

    def entries(content: str) -> list[dict[str, Any]] | None:
        return page_entries(content, "p/", segmenter=seg, rest=rest_indexer(index, _page(content)))

    assert entries("<p>no cards</p>") is None
    assert entries(PAGE.replace("<strong>台账</strong>", '<span data-search-exclude="">台账</span>')) is None
    assert entries(PAGE.replace("<strong>台账</strong>", '<h5 id="x">台账</h5>')) is None
    assert entries(PAGE) is not None


# --- builds --------------------------------------------------------------------------------------------------------

def _old_augment(index: dict[str, Any], task_ids: set[str]) -> dict[str, Any]:
    """What the post-build rewrite did to Material's index before the portal wrote its entries itself."""
    for doc in index["docs"]:
        if doc["location"].rpartition("#")[2] not in task_ids:
            continue
        title, text = doc["title"], doc["text"]
        tokens = set(TOKEN_SPLIT_RE.split(TAG_RE.sub(ZWSP, f"{title}{ZWSP}{text}")))
        seen: dict[str, None] = {}
        for run in re.findall(r"[\u3400-\u9fff]{2,}", f"{plain(title)}。{plain(text)}"):
            dag = jieba.get_DAG(run)
            seen.update(dict.fromkeys(run[s:e + 1] for s, ends in dag.items() for e in ends if e > s))
        words = [w for w in seen if w not in tokens]
        if words:
            doc["text"] = text + HIDDEN_OPEN + ZWSP.join(words) + "</span>"
    return index


def _build_in_process(project: Path, site: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # the hooks date the build; restored afterwards
    monkeypatch.setenv("PORTAL_OWNS_SOURCE_DATE_EPOCH", "1")
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    monkeypatch.chdir(project)
    build_site(project / "mkdocs.yml", site)
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))


def test_the_sample_index_has_materials_entries_and_the_sub_words(tmp_path: Path, terms: list[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_project(tmp_path / "project")
    ours = _build_in_process(project, tmp_path / "ours", monkeypatch)
    with monkeypatch.context() as patched:  # Material parses every page, as before
        patched.setattr(mkdocs_hooks, "page_entries", lambda *args, **kwargs: None)
        material = _build_in_process(project, tmp_path / "material", monkeypatch)
    task_ids = {t.id for t in load(read_config(project / "mkdocs.yml")).ledger.tasks()}
    before = _old_augment(material, task_ids)
    assert ours["config"] == before["config"]
    assert [d["location"] for d in ours["docs"]] == [d["location"] for d in before["docs"]]
    assert [d["title"] for d in ours["docs"]] == [d["title"] for d in before["docs"]]
    cards = [(a, b) for a, b in zip(ours["docs"], before["docs"], strict=True)
             if a["location"].rpartition("#")[2] in task_ids]
    assert len(cards) == len(task_ids) == 52
    for a, b in cards:
        assert _tokens(a) == _tokens(b), a["location"]
        assert HIDDEN_OPEN in a["text"]
    for a, b in zip(ours["docs"], before["docs"], strict=True):
        if a["location"].rpartition("#")[2] not in task_ids:
            assert a == b  # every other entry is Material's own, word for word


def test_a_warm_cache_writes_the_same_index_as_a_clean_build(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    clean = run_build(project, tmp_path / "clean")
    assert clean.returncode == 0, clean.stderr
    cache = project / ".cache" / "portal" / CACHE_FILE
    assert cache.exists()
    written = cache.stat().st_mtime_ns
    warm = run_build(project, tmp_path / "warm")
    assert warm.returncode == 0, warm.stderr
    index = "search/search_index.json"
    assert (clean.site / index).read_bytes() == (warm.site / index).read_bytes()
    assert _pages(clean) == _pages(warm)
    assert cache.stat().st_mtime_ns == written  # every run was in the cache: nothing new to keep


def _pages(build: Build) -> dict[str, bytes]:
    return {str(p.relative_to(build.site)): p.read_bytes() for p in sorted(build.site.rglob("*")) if p.is_file()}


def test_the_sample_search_index_is_one_file_with_every_task(sample_build: Build) -> None:
    index = json.loads(sample_build.page("search/search_index.json"))
    locations = [d["location"] for d in index["docs"]]
    assert len(locations) == len(set(locations))
    cards = [d for d in index["docs"] if re.search(r"#t\d+$", d["location"])]
    assert len(cards) == 52 and all(HIDDEN_OPEN in d["text"] for d in cards)
    assert all(html.unescape(d["text"]).count("<span") == 1 for d in cards)


def test_the_index_file_is_utf8_with_materials_content() -> None:
    def index_of(content: str, utf8: bool) -> SearchIndex:
        index = SearchIndex(**SEARCH_CONFIG)
        index.add_entry_from_context(_page(content))
        if utf8:
            utf8_index(index)
        return index

    first = '<h2 id="a">党风廉政</h2><p>医疗器械 &amp; "引号" \\u0041</p>'
    written, material = index_of(first, True).generate_search_index(None), index_of(first, False)
    assert "党风廉政" in written and "\\u" not in written.replace("\\\\u", "")
    assert json.loads(written) == json.loads(material.generate_search_index(None))
    # a dirty reload: Material puts the page's new entries after the other pages' previous ones
    prev = SearchIndex(**SEARCH_CONFIG)
    prev.entries = [{"location": "other/", "title": "其他", "text": ""}, *material.entries]
    reload = '<h2 id="a">新标题</h2>'
    ours = index_of(reload, True).generate_search_index(prev)
    assert json.loads(ours) == json.loads(index_of(reload, False).generate_search_index(prev))
    assert [d["title"].replace(ZWSP, "") for d in json.loads(ours)["docs"]] == ["其他", "一、板块", "新标题"]
    # a reload that indexed nothing keeps the previous entries
    unchanged = SearchIndex(**SEARCH_CONFIG)
    utf8_index(unchanged)
    assert [d["location"] for d in json.loads(unchanged.generate_search_index(prev))["docs"]] == \
        ["other/", "plan/s1/", "plan/s1/#a"]


def test_materials_search_strips_its_marks_only_from_pages_that_have_them() -> None:
    """The page-context event Material's search runs on every page: the same index entries and the same HTML,
    without scanning a page that has no data-search-* attribute."""
    from mkdocs.config import load_config

    def page(url: str, content: str) -> SimpleNamespace:
        return SimpleNamespace(content=content, meta={}, toc=[], url=url, title="标题",
                               file=SimpleNamespace(src_uri=url + "index.md"))

    marked = '<h2 id="a">甲</h2><p>正文</p><table data-search-exclude="true"><tr><td>表</td></tr></table>'
    plain_html = '<h2 id="b">乙</h2><p>别的正文 data-search</p>'
    outcome = []
    for replaced in (False, True):
        config = load_config(str(REPO / "mkdocs.yml"))
        config.plugins.on_startup(command="build", dirty=False)
        config = config.plugins.on_config(config)
        plugin = config.plugins["material/search"]
        if replaced:
            assert scan_marked_pages_only(config.plugins)
            assert not scan_marked_pages_only(config.plugins)  # Material's own is not in the list any more
        pages = [page("a/", marked), page("b/", plain_html)]
        for p in pages:
            config.plugins.on_page_context({}, page=p, config=config, nav=None)
        outcome.append(([p.content for p in pages], list(plugin.search_index.entries)))
    assert outcome[0] == outcome[1]
    assert "data-search-exclude" not in outcome[1][0][0] and outcome[1][0][1] == plain_html
    assert outcome[1][1] and all("表" not in entry["text"] for entry in outcome[1][1])


def test_cards_are_found_where_they_start_and_end() -> None:
    page = ('<p>intro</p><article class="pp-cards">not a card</article>'
            '<article class="pp-card pp-card--done" data-task="a"><h2 id="a">甲</h2><p>一</p></article>'
            '<article class="pp-card"><h2 id="b">乙</h2></article><article class="pp-card x">unclosed')
    spans = list(card_spans(page))
    assert [page[a:b] for a, b in spans] == [
        '<article class="pp-card pp-card--done" data-task="a"><h2 id="a">甲</h2><p>一</p></article>',
        '<article class="pp-card"><h2 id="b">乙</h2></article>']
