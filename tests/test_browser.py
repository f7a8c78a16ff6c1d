"""The built portal in a real browser: Debian's Chromium driven by Playwright.

Covers what only a browser shows: no request leaves the site, Chinese search
(including words inside longer words), the table's sorting and filtering, print,
accessibility (axe-core), the offline copy opened from disk, and screenshots.
`make test` installs Chromium and axe-core first (see the Makefile).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import struct
import subprocess
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import jieba
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from conftest import FIGURES, PORTAL, REPO, GitProject, run_build
from portal.config import read_config
from portal.ledger.load import load
from portal.outputs.search import ledger_terms, teach_jieba

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
# Chromium as the probe of this machine runs it: no sandbox as root, no background calls home.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-default-apps"]
SHOTS = os.environ.get("PORTAL_SCREENSHOTS", "")  # a folder to keep the screenshots in (make screenshots)

KINDS = {
    "dashboard": "",
    "plan": "pe2020/",
    "section": "pe2020/s1/",
    "table": "table/",
    "overdue": "overdue/",
    "departments": "departments/",
    "department": "departments/机关党委/",
    "changelog": "changelog/",
    "archive": "archive/",
    "snapshot": "archive/2020-09/",
    "snapshot-month": "archive/2020-09/month/",
    "snapshot-report": "archive/2020-09/report/",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample portal with its history and one published month, built as a user would."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)"
    repo = GitProject(tmp_path_factory.mktemp("browser") / "repo")
    repo.git("add", "-A")
    repo.commit("台账", "2020-09-20T10:00:00+08:00", "督查室")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    published = subprocess.run([str(PORTAL), "snapshot", "2020-09"], cwd=repo.path, env=env, capture_output=True,
                               text=True)
    assert published.returncode == 0, published.stderr
    build = run_build(repo.path)
    assert build.returncode == 0, build.stderr
    return build.site


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    p = context.new_page()
    yield p
    context.close()


def report(line: str) -> None:
    """A measured figure: pytest prints them all at the end of the run (see conftest), so CI logs show them."""
    FIGURES.append(f"browser: {line}")


def search(page: Page, words: str) -> None:
    """Type into Material's search box. Chinese arrives through an input method, which ends with a key
    release; Material reads the query on keyup, and Playwright inserts non-ASCII text without one."""
    box = page.locator("input.md-search__input")
    box.fill(words)
    box.press("End")


def test_every_kind_of_page_stays_on_its_own_origin(page: Page, server: str) -> None:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    for kind, path in KINDS.items():
        response = page.goto(server + path, wait_until="networkidle")
        assert response and response.ok, (kind, path)
    foreign = [u for u in requests if not (u.startswith(server) or u.startswith("data:") or u.startswith("blob:"))]
    assert foreign == [], foreign
    assert errors == []
    report(f"{len(KINDS)} kinds of page, {len(requests)} requests, none to another origin")


def test_search_finds_a_word_from_the_middle_of_a_task_and_links_to_its_card(page: Page, server: str) -> None:
    page.goto(server, wait_until="networkidle")
    search(page, "移风易俗")
    link = page.locator(".md-search-result__link[href*='#t06']").first
    link.wait_for(timeout=30_000)
    link.click()
    page.wait_for_url(re.compile(r"#t06$"))
    assert page.locator("#t06").is_visible()
    assert "移风易俗" in page.locator("article[data-task='t06']").inner_text()


def _queries() -> dict[str, list[str]]:
    """Every dictionary word of two or more characters inside each task's text, found by jieba's full mode
    (an independent enumeration from the one the build uses to add sub-words)."""
    cfg = read_config(REPO / "mkdocs.yml")
    ledger = load(cfg).ledger
    teach_jieba(ledger_terms(ledger))
    out: dict[str, list[str]] = {}
    for task in ledger.tasks():
        words = {w for w in jieba.cut(f"{task.title}。{task.details}", cut_all=True)
                 if len(w) >= 2 and re.fullmatch(r"[\u3400-\u9fff]+", w)}
        out[task.id] = sorted(words)
    return out


SEARCH_ALL = """
async ([index, queries]) => {
  const config = JSON.parse(document.getElementById("__config").textContent);
  const worker = new Worker(new URL(config.search, new URL(config.base, location.href)));
  const ask = (message) => new Promise(resolve => {
    worker.onmessage = (event) => resolve(event.data);
    worker.postMessage(message);
  });
  await ask({type: 0, data: {...index, options: {suggest: false}}});  // as the search UI sets it up
  const misses = [];
  let asked = 0;
  for (const [task, words] of Object.entries(queries)) {
    for (const word of words) {
      asked += 1;
      const result = await ask({type: 2, data: word});
      const hit = result.data.items.some(group => group.some(doc => doc.location.endsWith("#" + task)));
      if (!hit) misses.push([task, word]);
    }
  }
  worker.terminate();
  return {asked, misses};
}
"""


def test_every_inner_word_finds_its_task_in_materials_own_search_worker(page: Page, server: str,
                                                                       site: Path) -> None:
    page.goto(server, wait_until="networkidle")
    index_path = site / "search" / "search_index.json"
    index = json.loads(index_path.read_text(encoding="utf-8"))
    result = page.evaluate(SEARCH_ALL, [index, _queries()])
    share = 1 - len(result["misses"]) / result["asked"]
    report(f"search: {result['asked']} inner words of the 52 tasks, {share:.2%} find their task; "
           f"index {index_path.stat().st_size / 1024:.0f} KiB")
    assert result["misses"] == [], result["misses"][:20]


def test_table_sorts_by_workflow_and_date_and_filters(page: Page, server: str) -> None:
    page.goto(server + "table/", wait_until="networkidle")
    headers = page.locator("table[data-pp-table] thead th")
    headers.nth(5).click()  # 状态
    keys = page.eval_on_selector_all("table[data-pp-table] tbody tr td:nth-child(6)",
                                     "cells => cells.map(c => Number(c.dataset.sort))")
    assert keys == sorted(keys) and len(keys) == 52
    headers.nth(4).click()  # 完成时限
    dates = page.eval_on_selector_all("table[data-pp-table] tbody tr td:nth-child(5)",
                                      "cells => cells.map(c => c.dataset.sort)")
    assert dates in (sorted(dates), sorted(dates, reverse=True))
    page.select_option("select[data-pp-filter=status]", "overdue")
    visible = page.locator("table[data-pp-table] tbody tr:not([hidden])")
    assert visible.count() == 6
    page.goto(server + "table/?dept=" + "机关党委", wait_until="networkidle")
    assert 0 < page.locator("table[data-pp-table] tbody tr:not([hidden])").count() < 52


TIME_FILTER = """
async () => {
  const select = document.querySelector("select[data-pp-filter=status]");
  const rows = document.querySelectorAll("table[data-pp-table] tbody tr");
  const runs = [];
  for (const value of ["overdue", "", "done", "", "in_progress", "", "overdue", "", "done", "", "ongoing", ""]) {
    const start = performance.now();
    select.value = value;
    select.dispatchEvent(new Event("change", {bubbles: true}));
    document.body.getBoundingClientRect();  // include the style and layout work the change causes
    await new Promise(requestAnimationFrame);
    runs.push(performance.now() - start);
  }
  const shown = [...rows].filter(r => !r.hidden).length;
  return {rows: rows.length, runs, shown};
}
"""


def test_filtering_ten_thousand_rows(page: Page, server: str, site: Path) -> None:
    html = (site / "table" / "index.html").read_text(encoding="utf-8")
    head, _, rest = html.partition("<tbody>")
    body, _, tail = rest.partition("</tbody>")
    rows = re.findall(r"<tr[\s>].*?</tr>", body, flags=re.S)
    # as the template writes a long table: the first page shown, the rest hidden until paged to
    many = [rows[i % len(rows)] if i < 100 else rows[i % len(rows)].replace("<tr", "<tr hidden", 1)
            for i in range(10_000)]
    big = site / "table-10000"
    big.mkdir(exist_ok=True)
    (big / "index.html").write_text(head + "<tbody>" + "".join(many) + "</tbody>" + tail, encoding="utf-8")
    page.goto(server + "table-10000/", wait_until="load", timeout=120_000)
    result = page.evaluate(TIME_FILTER)
    assert result["rows"] == 10_000
    assert result["shown"] == 100  # one page of matches
    runs = sorted(result["runs"])
    median = runs[len(runs) // 2]
    report(f"table: filtering 10,000 rows takes {median:.0f} ms (median of {len(runs)}; target < 200 ms)")
    assert median < 200


def test_a_section_prints_cleanly_on_a4(page: Page, server: str) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    page.goto(server + "pe2020/s1/", wait_until="networkidle")
    page.emulate_media(media="print")
    styles = page.evaluate("""() => ({
      header: getComputedStyle(document.querySelector(".md-header")).display,
      nav: getComputedStyle(document.querySelector(".md-sidebar--primary")).display,
      card: getComputedStyle(document.querySelector(".pp-card")).breakInside,
      link: getComputedStyle(document.querySelector(".pp-evidence a[href^='http']"), "::after").content,
    })""")
    assert styles["header"] == "none" and styles["nav"] == "none"
    assert styles["card"] == "avoid"
    assert "oa.example.gov.cn" in styles["link"]  # links are shown as text on paper
    pdf = PdfReader(BytesIO(page.pdf(format="A4", print_background=True)))
    # NFKC: the PDF maps some glyphs to Kangxi radicals (⼀ for 一)
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in pdf.pages)).replace(" ", "")
    assert all(unicodedata.normalize("NFKC", words) in text for words in ("全面加强思想建设", "（5）", "一封家书"))
    assert "进度总表" not in text  # no navigation tabs on paper
    width, height = pdf.pages[0].mediabox.width, pdf.pages[0].mediabox.height
    assert abs(float(width) - 595.3) < 2 and abs(float(height) - 841.9) < 2  # A4: 210 x 297 mm in points
    report(f"print: section 一、 prints on {len(pdf.pages)} A4 pages")


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_serious_accessibility_violation(page: Page, server: str, kind: str) -> None:
    assert AXE.exists(), "axe-core is missing: run `make test` (it runs npm ci in tests/browser)"
    page.goto(server + KINDS[kind], wait_until="networkidle")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []


def test_offline_copy_searches_from_disk(browser: Browser, site: Path, tmp_path: Path) -> None:
    project = site.parent
    out = tmp_path / "offline"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([str(PORTAL), "build", "--strict", "-f", str(project / "mkdocs.offline.yml"), "-d",
                           str(out)], cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((out / "index.html").as_uri(), wait_until="load")
    search(page, "器械")
    link = page.locator(".md-search-result__link[href*='#t27']").first
    link.wait_for(timeout=30_000)
    assert all(u.startswith("file://") or u.startswith("data:") or u.startswith("about:") for u in requests), \
        [u for u in requests if not u.startswith("file://")]
    page.goto((out / "pe2020" / "s1.html").as_uri())
    assert page.locator("article[data-task='t05']").is_visible()
    context.close()


def _png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as f:
        f.read(16)
        return struct.unpack(">II", f.read(8))


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots(browser: Browser, server: str, tmp_path: Path, width: int) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1,
                                  locale="zh-CN")
    page = context.new_page()
    for name, path in (("dashboard", ""), ("section", "pe2020/s1/"), ("table", "table/")):
        page.goto(server + path, wait_until="networkidle")
        shot = folder / f"{name}-{width}.png"
        page.screenshot(path=str(shot), full_page=False)
        assert _png_size(shot)[0] == width
        # a phone layout must not scroll sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()

