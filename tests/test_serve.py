"""`mkdocs serve` on a ledger with errors: the browser shows them, with their lines, and recovers on a fix."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from conftest import FIGURES, copy_project

MKDOCS = Path(sys.executable).with_name("mkdocs")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().decode("utf-8")
    except OSError:
        return ""


def stop(server: subprocess.Popen[Any]) -> None:
    """Stop `mkdocs serve` as Ctrl-C would, and for good if it does not stop."""
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=20)


def wait_for(url: str, needle: str, seconds: float) -> tuple[str, float]:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        page = fetch(url)
        if needle in page:
            return page, time.monotonic() - start
        time.sleep(0.2)
    return fetch(url), time.monotonic() - start


def test_serve_shows_ledger_errors_in_the_browser_and_recovers(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "p")
    ledger = project / "tasks.yaml"
    good = ledger.read_text(encoding="utf-8")
    broken = good.replace("status: 进行中", "status: 进行吧", 1).replace("lead: 办公室", "lead: 办工室", 1)
    assert broken != good
    ledger.write_text(broken, encoding="utf-8")
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "进行吧" in text)
    port = free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    server = subprocess.Popen([str(MKDOCS), "serve", "--dev-addr", f"127.0.0.1:{port}", "-f",
                               str(project / "mkdocs.yml")], cwd=project, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        page, _ = wait_for(url, "台账有错误", 120)
        assert "台账有错误" in page, page[:500]
        assert f"tasks.yaml:{line}:" in page and "“进行吧”不是有效的状态" in page
        assert "status: 进行吧" in page  # the line itself, quoted
        ledger.write_text(good, encoding="utf-8")
        page, took = wait_for(url, "pp-kpis", 60)
        assert "pp-kpis" in page and "台账有错误" not in page
        assert took < 10, took  # a save is shown within seconds (MkDocs polls the watched files)
        recovered = took
        ledger.write_text(broken, encoding="utf-8")
        page, took = wait_for(url, "台账有错误", 60)
        assert "台账有错误" in page and took < 10, took
        FIGURES.append(f"serve: a fix shown in {recovered:.1f} s, a new error in {took:.1f} s")
    finally:
        stop(server)


def fetch_bytes(url: str) -> bytes | None:
    """The body of ``url``, None when the server says it has no such file."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return bytes(response.read())
    except urllib.error.HTTPError:
        return None


def test_serve_writes_the_downloads_of_the_last_save_when_they_are_asked_for(tmp_path: Path) -> None:
    """After a save, tasks.xlsx, .csv and .json are those of the saved ledger, byte for byte as `mkdocs build`
    writes them, though the rebuild left them to the first request; a ledger with errors offers none."""
    project = copy_project(tmp_path / "p")
    ledger = project / "tasks.yaml"
    good = ledger.read_text(encoding="utf-8")
    title_line = next(line for line in good.splitlines() if line.startswith("            title: "))
    edited = good.replace(title_line, title_line + "（已改）", 1)
    (project / "content" / "downloads.md").write_text("# 下载\n\n[进度台账](tasks.xlsx)\n", encoding="utf-8")
    port = free_port()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    said = (tmp_path / "serve.log").open("w", encoding="utf-8")
    server = subprocess.Popen([str(MKDOCS), "serve", "--dev-addr", f"127.0.0.1:{port}", "-f",
                               str(project / "mkdocs.yml")], cwd=project, env=env,
                              stdout=said, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        page, _ = wait_for(url + "table/", "pp-filters", 120)
        assert "pp-filters" in page
        first = fetch_bytes(url + "tasks.csv")
        assert first is not None and "（已改）".encode() not in first
        time.sleep(1.0)  # a save of its own, after the watcher's first look
        ledger.write_text(edited, encoding="utf-8")
        page, _ = wait_for(url + "table/", "（已改）", 60)
        assert "（已改）" in page
        served = {name: fetch_bytes(url + name) for name in ("tasks.csv", "tasks.json", "tasks.xlsx")}
        ledger.write_text(edited.replace("status: 进行中", "status: 进行吧", 1), encoding="utf-8")
        page, _ = wait_for(url, "台账有错误", 60)
        assert "台账有错误" in page
        assert fetch_bytes(url + "tasks.csv") is None  # no download of the ledger before the errors
        ledger.write_text(edited, encoding="utf-8")
        page, _ = wait_for(url + "table/", "pp-filters", 60)
        again = fetch_bytes(url + "tasks.xlsx")
    finally:
        stop(server)
        said.close()
    log = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert log.count("网站已生成") >= 4 and "tasks.xlsx" not in log, log[-2000:]  # the page's link is no warning
    site = tmp_path / "built"
    subprocess.run([str(MKDOCS), "build", "-f", str(project / "mkdocs.yml"), "-d", str(site)], cwd=project,
                   env=env, check=True, capture_output=True)
    for name, body in served.items():
        assert body == (site / name).read_bytes(), name
    assert "（已改）".encode() in served["tasks.csv"]  # type: ignore[operator]
    assert again == (site / "tasks.xlsx").read_bytes()
