"""The portal's wheel and the offline bundle for an intranet without a package index.

    .venv/bin/python scripts/bundle.py wheel              # dist/progress_portal-VERSION-py3-none-any.whl
    .venv/bin/python scripts/bundle.py bundle             # dist/progress-portal-offline-VERSION.tar.gz, .zip
    .venv/bin/python scripts/bundle.py bundle --current   # only this machine's platform and Python (the tests)

The bundle holds the portal's wheel and a wheel of every pinned requirement (requirements.txt) for each target:
Linux x86_64 (manylinux) and Windows x64, on CPython 3.11, 3.12 and 3.13; a pure-Python wheel is there once.
With it: install.sh and install.ps1 (a virtual environment, then ``pip install --no-index --find-links wheels``),
requirements.txt, a sample project that uses the installed portal (the ``progress-portal`` plugin, no hooks, no
custom_dir), the GitLab CI file for a runner without internet, the portal's documentation (README, deploy,
maintenance), a README in Chinese, and SHA256SUMS.

Downloads go to a cache (``.cache/bundle/wheels`` by default) that is kept between runs: when the cache already
holds every wheel that each target needs, nothing is downloaded (pip resolves each target with ``--no-index``
against the cache, which is also how the bundle's file list is chosen). Packages published only as source
(jieba) are built into wheels once; they must come out pure Python (``py3-none-any``), or no target resolves.

Markers are evaluated by pip for the machine that builds the bundle, not for the target: a dependency needed only
on Windows must therefore be listed in requirements.txt itself (colorama is).

Archives are reproducible: sorted entries, fixed times (``SOURCE_DATE_EPOCH``, default 1980-01-01), no owners.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "packaging" / "offline"
OFFICE = ROOT / "src" / "portal" / "office"  # what `portal init` writes into an office's repository: shared
NAME = "progress-portal"
WHEEL_SOURCES = ("pyproject.toml", "README.md", "src", "overrides")
SAMPLE_FILES = ("tasks.yaml", "departments.yaml")
SAMPLE_DIRS = ("content",)
DOCS = {"README.md": "docs/README.md", "docs/deploy.md": "docs/deploy.md", "docs/maintenance.md": "docs/maintenance.md"}
PYTHONS = ("3.11", "3.12", "3.13")
# The oldest release of each that the pinned requirements accept (pymdown-extensions needs 3.11.5): pip checks
# Requires-Python against it, and install.sh / install.ps1 refuse an older Python.
OLDEST = {"3.11": "3.11.5", "3.12": "3.12.0", "3.13": "3.13.0"}
# Linux wheels: the oldest glibc first (pip prefers the platform tags in the order given).
LINUX = ("manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux_2_24_x86_64", "manylinux_2_26_x86_64",
         "manylinux_2_28_x86_64")
WINDOWS = ("win_amd64",)
PLATFORMS = {"linux-x86_64": LINUX, "windows-x64": WINDOWS}
EPOCH_1980 = 315532800  # the earliest time a zip file can hold


@dataclass(frozen=True, slots=True)
class Target:
    """One platform and Python version the bundle installs on."""

    platform: str  # a key of PLATFORMS
    python: str  # "3.12"

    @property
    def tags(self) -> tuple[str, ...]:
        return PLATFORMS[self.platform]

    def pip_args(self) -> list[str]:
        args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", OLDEST[self.python]]
        for tag in self.tags:
            args += ["--platform", tag]
        return args

    def __str__(self) -> str:
        return f"{self.platform} cp{self.python}"


class BundleError(Exception):
    """The bundle cannot be made; the message says why."""


def version() -> str:
    """portal.__version__, read without importing the package (any Python can run this script)."""
    text = (ROOT / "src" / "portal" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"', text, re.M)
    if not found:
        raise BundleError("src/portal/__init__.py has no __version__")
    return found.group(1)


def all_targets() -> list[Target]:
    return [Target(p, v) for p in PLATFORMS for v in PYTHONS]


def current_target() -> Target | None:
    """This machine's platform and Python, when the bundle supports them."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    machine = platform.machine().lower()
    if python not in PYTHONS or machine not in ("x86_64", "amd64"):
        return None
    if sys.platform.startswith("linux"):
        return Target("linux-x86_64", python)
    if sys.platform == "win32":
        return Target("windows-x64", python)
    return None


def source_date() -> int:
    """The time stamped on every file of the wheel and the archives: SOURCE_DATE_EPOCH, at least 1980-01-01."""
    return max(int(os.environ.get("SOURCE_DATE_EPOCH", EPOCH_1980)), EPOCH_1980)


def pip(*args: str, isolated: bool = False, capture: bool = False, env_extra: dict[str, str] | None = None) -> str:
    """Run this interpreter's pip. ``isolated``: no pip configuration file and no PIP_* variable counts."""
    env = {**os.environ, **(env_extra or {})}
    if isolated:
        env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    proc = subprocess.run([sys.executable, "-m", "pip", *args], env=env, text=True,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)
    if proc.returncode != 0:
        detail = f"\n{proc.stderr[-3000:]}" if capture else ""
        raise BundleError(f"pip {' '.join(args[:2])} … failed (exit {proc.returncode}){detail}")
    return proc.stdout or ""


# --- the wheel ---------------------------------------------------------------------------------------------------


def build_wheel(out: Path) -> Path:
    """Build the portal's wheel from a clean copy of what it is made of (no build/ or egg-info left behind)."""
    out.mkdir(parents=True, exist_ok=True)
    name = f"progress_portal-{version()}-py3-none-any.whl"
    with tempfile.TemporaryDirectory(prefix="portal-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
        for rel in WHEEL_SOURCES:
            path = ROOT / rel
            if path.is_dir():
                shutil.copytree(path, src / rel, ignore=ignore)
            else:
                shutil.copy2(path, src / rel)
        built = Path(tmp) / "out"
        pip("wheel", "--no-deps", "--quiet", "--wheel-dir", str(built), str(src), capture=True,
            env_extra={"SOURCE_DATE_EPOCH": str(source_date())})  # the same sources give the same wheel
        wheel = built / name
        if not wheel.is_file():
            raise BundleError(f"pip built {sorted(p.name for p in built.iterdir())}, not {name}")
        (out / name).unlink(missing_ok=True)
        shutil.copy2(wheel, out / name)
    return out / name


# --- the wheels of the requirements ------------------------------------------------------------------------------


def requirements() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def resolve(target: Target, links: Sequence[Path], portal_version: str) -> list[Path]:
    """The wheel files that install the portal and its pinned requirements on ``target``, found in ``links`` only.

    pip resolves for the target with every index switched off; BundleError when a wheel is missing.
    """
    with tempfile.TemporaryDirectory(prefix="portal-resolve-") as tmp:
        report = Path(tmp) / "report.json"
        args = ["install", "--dry-run", "--ignore-installed", "--no-index", "--quiet", "--report", str(report),
                *target.pip_args()]
        for link in links:
            args += ["--find-links", str(link)]
        args += ["-r", str(ROOT / "requirements.txt"), f"{NAME}=={portal_version}"]
        try:
            pip(*args, isolated=True, capture=True)
        except BundleError as err:
            raise BundleError(f"{target}: {err}") from None
        installs = json.loads(report.read_text(encoding="utf-8"))["install"]
    files = []
    for item in installs:
        url = item["download_info"]["url"]
        if not url.startswith("file://"):
            raise BundleError(f"{target}: {item['metadata']['name']} would come from {url}")
        files.append(Path(url.removeprefix("file://")))
    return files


def fetch(targets: Sequence[Target], cache: Path, portal_wheel: Path) -> dict[Target, list[Path]]:
    """Every target's wheels, downloaded into ``cache`` unless they are all there already."""
    cache.mkdir(parents=True, exist_ok=True)
    links = [cache, portal_wheel.parent]
    try:
        return {t: resolve(t, links, version()) for t in targets}
    except BundleError:
        pass  # something is missing: download what each target needs, then resolve again
    print(f"bundle: downloading wheels into {cache}", flush=True)
    # This interpreter's wheel of every requirement; packages published only as source are built here.
    pip("wheel", "--no-deps", "--quiet", "--wheel-dir", str(cache), "--find-links", str(cache),
        "-r", str(ROOT / "requirements.txt"), capture=True)
    for target in targets:
        print(f"bundle: {target}", flush=True)
        pip("download", "--no-deps", "--quiet", "--dest", str(cache), "--find-links", str(cache),
            *target.pip_args(), "-r", str(ROOT / "requirements.txt"), capture=True)
    return {t: resolve(t, links, version()) for t in targets}


def glibc_needed(wheels: Iterable[Path]) -> str:
    """The newest glibc that the Linux wheels ask for (manylinux2014 is glibc 2.17)."""
    needed = (2, 17)
    for wheel in wheels:
        tags = [(int(a), int(b)) for a, b in re.findall(r"manylinux_(\d+)_(\d+)_", wheel.name)]
        if "manylinux2014" in wheel.name:
            tags.append((2, 17))
        if tags:
            needed = max(needed, min(tags))  # a wheel with several tags runs where its oldest one does
    return f"{needed[0]}.{needed[1]}"


# --- the bundle --------------------------------------------------------------------------------------------------


def office_config(text: str) -> str:
    """The sample's mkdocs.yml for a project using the installed portal: the plugin instead of hooks and custom_dir.

    Each edit must apply exactly once, and the result must read as intended, so that a change to mkdocs.yml that
    this does not foresee stops the bundle rather than ship a sample that does not build.
    """
    import yaml

    edits = [
        (r"\n  custom_dir: overrides\n", "\n"),
        # the hooks follow the plugins: the plugin takes their place, last of the plugins
        (r"\n\nhooks:\n  - hooks/portal_hooks\.py\n",
         "\n  # The portal, installed with the progress-portal package (its templates too).\n  - progress-portal\n"),
    ]
    for pattern, replacement in edits:
        text, count = re.subn(pattern, replacement, text)
        if count != 1:
            raise BundleError(f"mkdocs.yml: expected one match of {pattern!r}, found {count}")
    config = yaml.safe_load(text)
    plugins = [p if isinstance(p, str) else next(iter(p)) for p in config.get("plugins", [])]
    if plugins[-1:] != ["progress-portal"] or "hooks" in config or "custom_dir" in config.get("theme", {}):
        raise BundleError(f"mkdocs.yml: the sample's config did not come out as intended (plugins: {plugins})")
    return text


def normalize(name: str) -> str:
    """A project name as PEP 503 compares them (ruamel.yaml, ruamel_yaml and Ruamel-YAML are one)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def versions_of(wheels: Iterable[Path]) -> dict[str, str]:
    return {normalize(wheel.name.split("-")[0]): wheel.name.split("-")[1] for wheel in wheels}


def stage(root: Path, wheels: list[Path], targets: Sequence[Target]) -> None:
    """Lay out the bundle's folder."""
    v = version()
    (root / "wheels").mkdir(parents=True)
    for wheel in wheels:
        shutil.copy2(wheel, root / "wheels" / wheel.name)
    shutil.copy2(ROOT / "requirements.txt", root / "requirements.txt")
    sample = root / "sample"
    sample.mkdir()
    (sample / "mkdocs.yml").write_text(office_config((ROOT / "mkdocs.yml").read_text(encoding="utf-8")),
                                       encoding="utf-8")
    for name in SAMPLE_FILES:
        shutil.copy2(ROOT / name, sample / name)
    for name in SAMPLE_DIRS:
        shutil.copytree(ROOT / name, sample / name)
    (root / "docs").mkdir()
    for source, dest in DOCS.items():
        shutil.copy2(ROOT / source, root / dest)
    pinned = versions_of(wheels)
    linux = [w for w in wheels if "manylinux" in w.name]
    words = {
        "VERSION": v,
        "PYTHONS": "、".join(sorted({t.python for t in targets})),
        "PLATFORMS": "、".join(dict.fromkeys({"linux-x86_64": "Linux x86_64", "windows-x64": "Windows x64"}[t.platform]
                                             for t in targets)),
        "GLIBC": glibc_needed(linux),
        "WHEELS": str(len(wheels)),
        "MKDOCS": pinned.get("mkdocs", "?"),
        "MATERIAL": pinned.get("mkdocs-material", "?"),
        "PROPERDOCS": pinned.get("properdocs", "?"),
    }
    for name, dest in (("README.md", "README.md"), ("install.sh", "install.sh"), ("install.ps1", "install.ps1"),
                       ("gitlab-ci.yml", "sample/.gitlab-ci.yml"), ("gitignore", "sample/.gitignore")):
        text = ((OFFICE if name in ("gitlab-ci.yml", "gitignore") else TEMPLATES) / name).read_text(encoding="utf-8")
        for key, value in words.items():
            text = text.replace(f"@{key}@", value)
        leftover = re.findall(r"@[A-Z]+@", text)
        if leftover:
            raise BundleError(f"{name}: unknown placeholders {leftover}")
        # Windows PowerShell 5.1 reads a script without a byte order mark in the ANSI code page (GBK in China).
        encoding = "utf-8-sig" if name.endswith(".ps1") else "utf-8"
        newline = "\r\n" if name.endswith(".ps1") else "\n"
        with open(root / dest, "w", encoding=encoding, newline=newline) as out:
            out.write(text)
    sums = [f"{sha256(path)}  {path.relative_to(root).as_posix()}" for path in files_of(root)]
    (root / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")


def files_of(root: Path) -> list[Path]:
    return sorted((p for p in root.rglob("*") if p.is_file()), key=lambda p: p.relative_to(root).as_posix())


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _mode(rel: str) -> int:
    return 0o755 if rel.endswith(".sh") else 0o644


def write_archives(root: Path, out: Path) -> list[Path]:
    """``root`` as NAME.tar.gz and NAME.zip in ``out``, with the folder's name at the top of each."""
    when = source_date()
    top = root.name
    entries = files_of(root)
    tar_path, zip_path = out / f"{top}.tar.gz", out / f"{top}.zip"
    with open(tar_path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=when) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted({p.relative_to(root).parent.as_posix() for p in entries} - {"."})
        for rel in ["", *dirs]:
            info = tarfile.TarInfo(f"{top}/{rel}".rstrip("/"))
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, when
            tar.addfile(info)
        for path in entries:
            rel = path.relative_to(root).as_posix()
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size, info.mode, info.mtime = path.stat().st_size, _mode(rel), when
            with path.open("rb") as f:
                tar.addfile(info, f)
    stamp = time.gmtime(when)[:6]
    with zipfile.ZipFile(zip_path, "w") as zf:
        for path in entries:
            rel = path.relative_to(root).as_posix()
            info = zipfile.ZipInfo(f"{top}/{rel}", date_time=stamp)
            info.external_attr = (0o100000 | _mode(rel)) << 16
            info.compress_type = zipfile.ZIP_STORED if rel.endswith(".whl") else zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return [tar_path, zip_path]


def make_bundle(out: Path, targets: Sequence[Target], cache: Path) -> list[Path]:
    """Build the wheel, fetch the requirements' wheels, and write the bundle's archives into ``out``."""
    v = version()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="portal-bundle-") as tmp:
        portal_wheel = build_wheel(Path(tmp) / "portal")
        chosen = fetch(targets, cache, portal_wheel)
        wheels = sorted({w.resolve() for files in chosen.values() for w in files}, key=lambda p: p.name)
        if portal_wheel.resolve() not in wheels:
            raise BundleError("the portal's own wheel was not chosen")
        root = Path(tmp) / f"{NAME}-offline-{v}"
        stage(root, wheels, targets)
        archives = write_archives(root, out)
    checksums = out / f"{NAME}-offline-{v}.sha256"
    checksums.write_text("".join(f"{sha256(a)}  {a.name}\n" for a in archives), encoding="utf-8")
    return [*archives, checksums]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("wheel", help="build the portal's wheel")
    p.add_argument("-o", "--out", type=Path, default=ROOT / "dist")
    p = sub.add_parser("bundle", help="build the offline bundle")
    p.add_argument("-o", "--out", type=Path, default=ROOT / "dist")
    p.add_argument("--cache", type=Path, default=ROOT / ".cache" / "bundle" / "wheels")
    p.add_argument("--current", action="store_true", help="only this machine's platform and Python version")
    args = parser.parse_args(argv)
    try:
        if args.command == "wheel":
            print(build_wheel(args.out))
            return 0
        if args.current:
            target = current_target()
            if target is None:
                raise BundleError(f"no bundle target for {sys.platform} {platform.machine()} Python "
                                  f"{sys.version_info.major}.{sys.version_info.minor}")
            targets = [target]
        else:
            targets = all_targets()
        for path in make_bundle(args.out, targets, args.cache):
            print(f"{path}  {path.stat().st_size / 2**20:.1f} MiB")
    except BundleError as err:
        print(f"bundle: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
