"""docs/deploy.md's nginx configuration, run: the sample served under /portal/ by a real nginx on 127.0.0.1.

nginx is Debian's: the one installed, or the package fetched with ``apt-get download`` and unpacked into
.cache/nginx (no service is installed or started). Without either the test is skipped.
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import REPO, Build

CACHE = REPO / ".cache" / "nginx"


def debian_nginx() -> tuple[Path, Path] | None:
    """The nginx binary and Debian's mime.types: installed, or unpacked from the packages."""
    binary, mime = shutil.which("nginx") or "/usr/sbin/nginx", Path("/etc/nginx/mime.types")
    if Path(binary).is_file() and mime.is_file():
        return Path(binary), mime
    root = CACHE / "root"
    binary, mime = root / "usr" / "sbin" / "nginx", root / "etc" / "nginx" / "mime.types"
    if not (binary.is_file() and mime.is_file()):
        if not shutil.which("apt-get") or not shutil.which("dpkg"):
            return None
        CACHE.mkdir(parents=True, exist_ok=True)
        got = subprocess.run(["apt-get", "download", "nginx", "nginx-common"], cwd=CACHE, capture_output=True,
                             text=True, timeout=300)
        if got.returncode != 0:
            return None
        for deb in CACHE.glob("nginx*.deb"):
            subprocess.run(["dpkg", "-x", str(deb), str(root)], check=True, timeout=120)
    return (binary, mime) if binary.is_file() and mime.is_file() else None


def documented_config() -> str:
    text = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = text.split("\n## nginx\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```nginx\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "docs/deploy.md: one nginx block under ## nginx"
    return blocks[0]


@dataclass
class Server:
    port: int
    www: Path

    def get(self, path: str, gzip_ok: bool = True) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
        response = conn.getresponse()
        body = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        conn.close()
        if headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return response.status, headers, body


@contextlib.contextmanager
def nginx_serving(site: Path, tmp: Path) -> Iterator[Server | None]:
    """``site`` served at /portal/ by Debian's nginx with the documented configuration (None without nginx)."""
    found = debian_nginx()
    if found is None:
        yield None
        return
    binary, mime = found
    # nginx's workers run as nobody when it is started by root: the site must be readable by anyone, as on a server
    www = Path(tempfile.mkdtemp(prefix="portal-www-"))
    www.chmod(0o755)
    shutil.copytree(site, www / "portal")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = documented_config()
    for old, new in (("listen 80;", f"listen 127.0.0.1:{port};"), ("root /srv/www;", f"root {www};"),
                     ("include /etc/nginx/mime.types;", f"include {mime};")):
        assert server.count(old) == 1, old
        server = server.replace(old, new)
    temp = "".join(f"    {kind}_temp_path {tmp / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                        "scgi"))
    (tmp / "nginx.conf").write_text(
        f"daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\nerror_log {tmp / 'error.log'};\n"
        f"events {{ worker_connections 64; }}\nhttp {{\n    access_log off;\n{temp}{server}}}\n", encoding="utf-8")
    args = [str(binary), "-p", str(tmp), "-c", str(tmp / "nginx.conf")]
    checked = subprocess.run([*args, "-t"], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert "[warn]" not in checked.stderr, checked.stderr
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                time.sleep(0.1)
        yield Server(port, www / "portal")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(www, ignore_errors=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sample_build: Build) -> Iterator[Server]:
    with nginx_serving(sample_build.site, tmp_path_factory.mktemp("nginx")) as served:
        if served is None:
            pytest.skip("nginx is neither installed nor available from apt")
        (served.www / "report.docx").write_bytes(b"PK\x03\x04 a Word document")
        yield served


def test_pages_under_the_sub_path_are_compressed_and_revalidated(server: Server) -> None:
    status, headers, _ = server.get("/portal", gzip_ok=False)
    assert status == 301 and headers["location"].endswith("/portal/")
    status, headers, body = server.get("/portal/")
    assert status == 200 and body == (server.www / "index.html").read_bytes()
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-encoding"] == "gzip" and headers["cache-control"] == "no-cache"
    assert headers["x-content-type-options"] == "nosniff"
    status, headers, body = server.get("/portal/pe2020/s1/")
    assert status == 200 and b'data-task="t05"' in body


def test_every_kind_of_file_has_its_type(server: Server) -> None:
    expected = {
        "tasks.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
        "report.docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", False),
        "tasks.json": ("application/json; charset=utf-8", True),
        "search/search_index.json": ("application/json; charset=utf-8", True),
        "tasks.csv": ("text/csv; charset=utf-8", True),
        "feed.xml": ("application/atom+xml; charset=utf-8", None),
        "sitemap.xml": ("text/xml; charset=utf-8", None),
        "search/userdict.txt": ("text/plain; charset=utf-8", True),
        "assets/stylesheets/portal.css": ("text/css; charset=utf-8", True),
        "assets/javascripts/portal.js": ("application/javascript; charset=utf-8", True),
    }
    for rel, (kind, compressed) in expected.items():
        status, headers, body = server.get(f"/portal/{rel}")
        assert status == 200 and body == (server.www / rel).read_bytes(), rel
        assert headers["content-type"] == kind, (rel, headers["content-type"])
        if compressed is not None and len(body) >= 1024:
            assert ("content-encoding" in headers) == compressed, rel
        assert headers["cache-control"] == "no-cache", rel


def test_hashed_bundles_are_cached_for_a_year_and_the_rest_revalidated(server: Server) -> None:
    hashed = [p.relative_to(server.www).as_posix() for p in (server.www / "assets").rglob("*.min.*")
              if re.search(r"\.[0-9a-f]{8}\.min\.(js|css)$", p.name)]
    assert any(h.startswith("assets/javascripts/bundle.") for h in hashed)
    assert any(h.startswith("assets/stylesheets/main.") for h in hashed)
    for rel in hashed:
        status, headers, _ = server.get(f"/portal/{rel}")
        assert status == 200 and headers["cache-control"] == "public, max-age=31536000, immutable", rel
        assert headers.get("content-encoding") == "gzip", rel
    status, headers, _ = server.get("/portal/assets/javascripts/vendor/tablesort.min.js")
    assert status == 200 and headers["cache-control"] == "no-cache"


def test_a_missing_page_gets_the_portals_404(server: Server) -> None:
    status, _, body = server.get("/portal/no/such/page/")
    assert status == 404 and body == (server.www / "404.html").read_bytes()
