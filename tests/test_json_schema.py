"""The committed JSON Schemas are made from the declared schema and accept the sample files."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import yaml

from conftest import REPO
from portal.cli import schema_files


def _as_json(value: object) -> object:
    """What an editor's YAML extension sees: dates as their text."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if isinstance(v, dt.date) else str(v)))


def test_committed_schemas_are_current() -> None:
    for name, text in schema_files().items():
        committed = (REPO / "schema" / name).read_text(encoding="utf-8")
        assert committed == text, f"schema/{name} is stale: run `make schema`"


def test_sample_ledger_and_registry_conform() -> None:
    files = {name: json.loads(text) for name, text in schema_files().items()}
    ledger = _as_json(yaml.safe_load((REPO / "tasks.yaml").read_text(encoding="utf-8")))
    jsonschema.validate(ledger, files["ledger.schema.json"])
    registry = _as_json(yaml.safe_load((REPO / "departments.yaml").read_text(encoding="utf-8")))
    jsonschema.validate(registry, files["departments.schema.json"])


def test_schema_rejects_what_validation_rejects() -> None:
    schema = json.loads(schema_files()["ledger.schema.json"])
    bad = {"plan": {"id": "p", "title": "x", "year": 2020},
           "sections": [{"id": "s", "title": "y", "tasks": [{"id": "t", "title": "z", "staus": "进行中"}]}]}
    validator = jsonschema.Draft202012Validator(schema)
    errors = list(validator.iter_errors(bad))
    assert errors and "staus" in str(errors[0].message)
    bad["sections"][0]["tasks"][0] = {"id": "t", "title": "z", "status": "完成了"}
    assert list(validator.iter_errors(bad))


def test_readme_field_reference_names_every_declared_field() -> None:
    from portal.ledger.schema import PLAN_META, SECTION, TASK

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    reference = readme.split("### Field reference", 1)[1].split("###", 1)[0]
    for obj in (PLAN_META, SECTION, TASK):
        for key in obj.fields:
            assert f"`{key}`" in reference or f"{key}`" in reference, f"README field reference misses {key}"
