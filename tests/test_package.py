"""The portal as a package: a real wheel holds the engine, its templates and assets, the CLI and the plugin.

The wheel installed with every package index switched off, and the sites it builds, are in test_bundle.py.
"""

from __future__ import annotations

import configparser
import email.parser
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

import portal
from conftest import PORTAL, REPO, copy_project, run_build
from htmlq import parse

SRC = REPO / "src" / "portal"
OVERRIDES = REPO / "overrides"


def load_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def pinned(name: str) -> str:
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.lower().startswith(f"{name.lower()}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{name} is not pinned in requirements.txt")


def project_files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return load_script("bundle").build_wheel(tmp_path_factory.mktemp("wheel"))


def test_the_wheel_holds_every_module_template_and_asset_and_nothing_else(wheel: Path) -> None:
    assert wheel.name == f"progress_portal-{portal.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        modules = {f"portal/{rel}": path for rel, path in project_files(SRC).items()}
        overrides = {f"portal/overrides/{rel}": path for rel, path in project_files(OVERRIDES).items()}
        assert "portal/plugin.py" in modules and "portal/cli.py" in modules and "portal/ledger/load.py" in modules
        assert "portal/overrides/portal/dashboard.html" in overrides and "portal/overrides/main.html" in overrides
        assert any(n.endswith(".js") for n in overrides) and any(n.endswith("LICENSE") for n in overrides)
        missing = sorted((set(modules) | set(overrides)) - names)
        assert not missing, f"not in the wheel: {missing}"
        for name, path in {**modules, **overrides}.items():
            assert zf.read(name) == path.read_bytes(), name
        info = f"progress_portal-{portal.__version__}.dist-info/"
        extra = sorted(n for n in names - set(modules) - set(overrides) if not n.startswith(info))
        assert not extra, f"the wheel carries files from outside the engine: {extra}"
        entry_points = configparser.ConfigParser()
        entry_points.read_string(zf.read(info + "entry_points.txt").decode())
        metadata = email.parser.Parser().parsestr(zf.read(info + "METADATA").decode())
    assert entry_points["console_scripts"]["portal"] == "portal.cli:main"
    assert entry_points["mkdocs.plugins"]["progress-portal"] == "portal.plugin:PortalPlugin"
    assert metadata["Name"] == "progress-portal" and metadata["Version"] == portal.__version__
    requires = metadata.get_all("Requires-Dist")
    mkdocs = next(r for r in requires if re.match(r"mkdocs\b(?!-)", r))
    assert "<2" in mkdocs, f"mkdocs is not held below 2.0: {mkdocs}"  # MkDocs 2.0 drops plugins and hooks
    assert any(r.startswith("mkdocs-material") and "<10" in r for r in requires)
    assert any(r.startswith("properdocs") and 'extra == "properdocs"' in r for r in requires)


def test_every_pinned_requirement_satisfies_the_package() -> None:
    """What the bundle installs (requirements.txt) is what the package asks for."""
    from packaging.requirements import Requirement

    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    declared = [Requirement(d) for d in re.findall(r'"([^"]+)"', block)]
    assert len(declared) >= 10
    for req in declared:
        version = pinned(req.name)
        assert req.specifier.contains(version), f"requirements.txt pins {req.name}=={version}, pyproject wants {req}"


def test_portal_version_names_the_package_and_its_engines() -> None:
    proc = subprocess.run([str(PORTAL), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip()
    assert line.startswith(f"portal {portal.__version__} (")
    assert f"mkdocs {pinned('mkdocs')}" in line and f"mkdocs-material {pinned('mkdocs-material')}" in line


def test_the_engine_imports_and_holds_the_archive_without_fcntl(tmp_path: Path) -> None:
    """Windows has no fcntl (the bundle installs there): every module imports, and the archive can be read."""
    code = """
import importlib, pkgutil, sys
sys.modules["fcntl"] = None                        # as on Windows: import fcntl raises ImportError
import portal
names = [m.name for m in pkgutil.walk_packages(portal.__path__, "portal.")]
for name in names:
    importlib.import_module(name)
from pathlib import Path
from portal.archive.store import archive_lock
with archive_lock(Path(sys.argv[1]), exclusive=False):
    print(len(names), "portal.plugin" in names and "portal.mkdocs_hooks" in names)
"""
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "archive.lock")], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert proc.returncode == 0, proc.stderr
    count, both = proc.stdout.split()
    assert int(count) >= 30 and both == "True"  # every module of the engine, the hooks and the plugin among them


def test_a_project_without_overrides_gets_the_engines_templates_and_may_override_one(tmp_path: Path) -> None:
    """No custom_dir: the engine's overrides are a theme folder; a project's custom_dir still comes first."""
    bare = copy_project(tmp_path / "bare")
    config = (bare / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("  custom_dir: overrides\n", "")
    config = config.replace("  - hooks/portal_hooks.py", f"  - {REPO / 'hooks' / 'portal_hooks.py'}")
    assert "custom_dir" not in config and str(REPO) in config
    (bare / "mkdocs.yml").write_text(config, encoding="utf-8")
    for name in ("overrides", "hooks"):
        shutil.rmtree(bare / name)
    build = run_build(bare)
    assert build.returncode == 0, build.stderr
    cards = parse(build.page("pe2020/s1/index.html")).find("article").find_all("article", cls="pp-card")
    assert [c.attrs["data-task"] for c in cards][:2] == ["t01", "t02"]
    assert (build.site / "assets" / "stylesheets" / "portal.css").read_bytes() == (
        OVERRIDES / "assets" / "stylesheets" / "portal.css").read_bytes()
    assert (build.site / "assets" / "javascripts" / "vendor" / "tablesort.min.js").is_file()

    own = copy_project(tmp_path / "own")
    (own / "mkdocs.yml").write_text(config.replace("  name: material\n", "  name: material\n  custom_dir: mine\n"),
                                    encoding="utf-8")
    for name in ("overrides", "hooks"):
        shutil.rmtree(own / name)
    (own / "mine" / "portal").mkdir(parents=True)
    dashboard = (OVERRIDES / "portal" / "dashboard.html").read_text(encoding="utf-8")
    (own / "mine" / "portal" / "dashboard.html").write_text(dashboard + "\n<p id=\"office-own\">本单位说明</p>\n",
                                                          encoding="utf-8")
    mine = run_build(own)
    assert mine.returncode == 0, mine.stderr
    assert 'id="office-own"' in mine.page("index.html")
    assert 'id="office-own"' not in build.page("index.html")
    assert mine.page("pe2020/s1/index.html") == build.page("pe2020/s1/index.html")
