"""The sample ledger is the import of the seed plan plus its demo progress, nothing typed by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conftest import REPO, SHARED

SEED = SHARED / "seeds" / "plan-2020-political-ecology.txt"


@pytest.mark.skipif(not SEED.exists(), reason=f"the seed plan is not at {SEED}")
def test_tasks_yaml_is_the_import_of_the_seed_plus_demo_progress() -> None:
    spec = importlib.util.spec_from_file_location("make_sample", REPO / "scripts" / "make_sample.py")
    assert spec and spec.loader
    make_sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_sample)
    expected = make_sample.sample(SEED)
    committed = (REPO / "tasks.yaml").read_text(encoding="utf-8")
    assert committed == expected, "tasks.yaml is stale: run .venv/bin/python scripts/make_sample.py > tasks.yaml"


def test_demo_progress_stays_within_the_sample_as_of_date() -> None:
    import yaml

    progress = yaml.safe_load((REPO / "scripts" / "sample_progress.yaml").read_text(encoding="utf-8"))
    dates = [u["date"] for t in progress["tasks"].values() for u in t.get("updates", [])]
    dates += [t["closed"] for t in progress["tasks"].values() if "closed" in t]
    assert dates and max(dates).isoformat() <= "2020-09-30"
    assert Path(REPO / "scripts" / "make_sample.py").exists()
