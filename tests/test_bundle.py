"""The offline bundle, for real: made by scripts/bundle.py, installed with every package index switched off (and,
where the machine allows, in a network namespace with no network at all), and building the sample from it.

The bundle is made for this machine's platform and Python only (``--current``), from the wheel cache in
.cache/bundle/wheels that ``make bundle`` fills too: the first run downloads, later runs resolve from the cache.
The install runs the offline GitLab CI file of the bundle's sample (its before_script runs install.sh), as a
runner without internet would, then its pages job; the site it builds must be the sample built in development,
byte for byte, and ProperDocs from the bundle must build the same pages.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import portal
from conftest import FIGURES, REPO, Build
from test_package import load_script

bundle_script = load_script("bundle")
NAME = f"progress-portal-offline-{portal.__version__}"
UNREACHABLE = "http://127.0.0.1:9/simple"  # the discard port: nothing answers


def no_network_prefix() -> list[str]:
    """``unshare -n``: a network namespace with only a loopback that is down, when the machine allows it."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n"]
    return []


def offline_env(**extra: str) -> dict[str, str]:
    """The environment of a machine without a package index: no pip configuration, an index nobody answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))
           and k not in ("SOURCE_DATE_EPOCH", "PORTAL_OWNS_SOURCE_DATE_EPOCH")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_INDEX_URL=UNREACHABLE,
               HTTP_PROXY=UNREACHABLE, HTTPS_PROXY=UNREACHABLE, http_proxy=UNREACHABLE, https_proxy=UNREACHABLE,
               NO_MKDOCS_2_WARNING="1", **extra)
    return env


@dataclass
class Made:
    out: Path
    seconds: float

    @property
    def tar(self) -> Path:
        return self.out / f"{NAME}.tar.gz"

    @property
    def zip(self) -> Path:
        return self.out / f"{NAME}.zip"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    if bundle_script.current_target() is None:
        pytest.skip("the bundle has no target for this machine's platform and Python")
    out = tmp_path_factory.mktemp("dist")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "bundle.py"), "bundle", "--current", "-o", str(out)],
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-5000:]
    made = Made(out, time.monotonic() - start)
    FIGURES.append(f"bundle ({bundle_script.current_target()}): made in {made.seconds:.1f} s, "
                   f"{made.tar.stat().st_size / 2**20:.1f} MiB tar.gz")
    return made


def pins() -> dict[str, str]:
    """requirements.txt as {normalized name: version}."""
    lines = (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("#")[0].strip().split("==") for line in lines if line.split("#")[0].strip()]
    assert len(pairs) > 30 and all(len(p) == 2 for p in pairs)
    return {bundle_script.normalize(name): version for name, version in pairs}


def tar_members(path: Path) -> dict[str, tuple[int, bytes]]:
    with tarfile.open(path) as tar:
        return {m.name: (m.mode, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]


def test_the_archives_hold_the_same_files_every_one_in_the_checksums(made: Made) -> None:
    files = tar_members(made.tar)
    with zipfile.ZipFile(made.zip) as zf:
        zipped = {i.filename: zf.read(i) for i in zf.infolist() if not i.is_dir()}
    assert {k: v[1] for k, v in files.items()} == zipped
    top = f"{NAME}/"
    assert all(name.startswith(top) for name in files)
    rel = {name.removeprefix(top): data for name, (_, data) in files.items()}
    for needed in ("README.md", "install.sh", "install.ps1", "requirements.txt", "SHA256SUMS",
                   "sample/mkdocs.yml", "sample/tasks.yaml", "sample/departments.yaml", "sample/content/index.md",
                   "sample/.gitlab-ci.yml", "docs/deploy.md", "docs/maintenance.md",
                   f"wheels/progress_portal-{portal.__version__}-py3-none-any.whl"):
        assert needed in rel, needed
    assert files[top + "install.sh"][0] == 0o755

    sums = dict(reversed(line.split("  ", 1)) for line in rel["SHA256SUMS"].decode().splitlines())
    assert set(sums) == set(rel) - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(rel[name]).hexdigest() == digest, name
    listed = (made.out / f"{NAME}.sha256").read_text(encoding="utf-8").split()
    assert listed == [hashlib.sha256(made.tar.read_bytes()).hexdigest(), made.tar.name,
                      hashlib.sha256(made.zip.read_bytes()).hexdigest(), made.zip.name]

    # a wheel of every pinned requirement, at the pinned version
    wheels = bundle_script.versions_of(Path(n) for n in rel if n.startswith("wheels/"))
    assert rel["requirements.txt"] == (REPO / "requirements.txt").read_bytes()
    pinned = pins()
    assert {k: wheels.get(k) for k in pinned} == pinned
    assert {"properdocs", "mkdocs", "mkdocs-material", "jieba"} <= set(wheels)

    readme = rel["README.md"].decode()
    assert "离线安装" in readme and portal.__version__ in readme and not re.search(r"@[A-Z]+@", readme)
    assert rel["install.ps1"].startswith(b"\xef\xbb\xbf")  # Windows PowerShell 5.1 reads UTF-8 only with a BOM
    assert b"\r\n" in rel["install.ps1"] and f'"{portal.__version__}"'.encode() in rel["install.ps1"]


def test_the_archives_are_reproducible(made: Made, tmp_path: Path) -> None:
    """The same sources and wheels give the same bytes: an office can check a bundle against its checksum."""
    again = tmp_path / "again"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "bundle.py"), "bundle", "--current", "-o",
                           str(again)], capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert (again / made.tar.name).read_bytes() == made.tar.read_bytes()
    assert (again / made.zip.name).read_bytes() == made.zip.read_bytes()


def site_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*no_network_prefix(), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_the_bundle_installs_with_no_index_and_builds_the_sample(made: Made, tmp_path: Path,
                                                                 sample_build: Build) -> None:
    # An office's repository: the bundle's sample, the bundle itself in vendor/, a runner with no index.
    with tarfile.open(made.tar) as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    office = tmp_path / "office"
    shutil.copytree(tmp_path / "unpacked" / NAME / "sample", office)
    (office / "vendor").mkdir()
    shutil.copy2(made.tar, office / "vendor" / made.tar.name)

    ci = yaml.safe_load((office / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    env = offline_env(PYTHON=sys.executable)  # the interpreter whose wheels the bundle holds
    for key, value in ci["variables"].items():  # as GitLab expands them, in order
        env[key] = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], str(value))
    assert env["PORTAL_VERSION"] == portal.__version__ and env["PIP_NO_INDEX"] == "1"
    before = "\n".join(["set -eu", *ci["default"]["before_script"]])
    start = time.monotonic()
    installed = run(["bash", "-c", before], office, env)
    install_seconds = time.monotonic() - start
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    assert "Successfully installed" in installed.stdout and f"progress-portal-{portal.__version__}" in installed.stdout

    venv = office / ".venv"
    probe = run([str(venv / "bin" / "python"), "-c",
                 "import json, portal, portal.resources as r; print(json.dumps([portal.__file__, "
                 "str(r.overrides_dir())]))"], office, env)
    assert probe.returncode == 0, probe.stderr
    module, overrides = json.loads(probe.stdout)
    site_packages = next((venv / "lib").glob("python3.*/site-packages"))
    assert Path(module).is_relative_to(site_packages) and Path(overrides) == site_packages / "portal" / "overrides"
    listed = run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format", "json"], office, env)
    assert listed.returncode == 0, listed.stderr
    have = {bundle_script.normalize(p["name"]): p["version"] for p in json.loads(listed.stdout)}
    pinned = pins()
    assert {k: have.get(k) for k in pinned} == pinned
    assert have["progress-portal"] == portal.__version__

    # The pages job of the offline CI file, in the same offline environment.
    pages = "\n".join(["set -eu", *ci["pages"]["script"]])
    start = time.monotonic()
    built = run(["bash", "-c", pages], office, env)
    build_seconds = time.monotonic() - start
    assert built.returncode == 0, built.stderr[-5000:]
    public = office / "public"
    assert (public / "pe2020" / "s1" / "index.html").is_file()
    assert site_digest(public) == site_digest(sample_build.site), \
        "the sample built from the bundle differs from the sample built in development"

    # ProperDocs from the bundle: the same site but for the generator named in each page.
    start = time.monotonic()
    proper = run([str(venv / "bin" / "properdocs"), "build", "--strict", "-d", str(tmp_path / "proper")], office, env)
    proper_seconds = time.monotonic() - start
    assert proper.returncode == 0, proper.stderr[-5000:]
    assert set(site_digest(tmp_path / "proper")) == set(site_digest(public))
    dashboard = (tmp_path / "proper" / "index.html").read_text(encoding="utf-8")
    assert "ProperDocs" in dashboard
    FIGURES.append(f"bundle install with no index{' and no network' if no_network_prefix() else ''}: "
                   f"{install_seconds:.1f} s; sample built from it: portal build {build_seconds:.1f} s, "
                   f"properdocs build {proper_seconds:.1f} s")
