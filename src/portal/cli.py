"""The ``portal`` command: one subcommand per job.

``portal validate`` runs the same loading and validation as every build;
``portal build`` builds the site into a temporary folder and swaps it in only
when the build succeeds, so a failed build leaves the published site as it was.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from portal.config import PortalConfig, read_config
from portal.i18n import HELP, LABELS, message
from portal.ledger.load import Loaded, load
from portal.problems import LedgerError
from portal.round.periods import Period

if TYPE_CHECKING:
    from portal.import_merge import Changes


def cmd_validate(args: argparse.Namespace) -> int:
    cfg = read_config(args.config_file)
    loaded = load(cfg)
    for line in loaded.warnings.render(cfg.lang):
        print(line, file=sys.stderr)
    count = len(loaded.warnings.items)
    warnings = message(cfg.lang, "summary_warnings", {"warnings": count}) if count else ""
    print(message(cfg.lang, "summary_ok", {"plans": len(loaded.ledger.plans), "tasks": len(loaded.ledger.tasks()),
                                           "warnings": warnings}))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """What the working tree changes in each ledger since BASE, as Markdown; non-zero if it does not validate."""
    from portal.history.changes import diff_states, to_markdown
    from portal.history.git import merge_base, repo_root, show
    from portal.history.versions import Cache, StateReader, VersionError
    from portal.ledger.yamlread import Reader, read_bounded
    from portal.problems import Problems

    cfg = read_config(args.config_file)
    root = repo_root(cfg.root)
    if root is None:
        print(message(cfg.lang, "not_git", {}), file=sys.stderr)
        return 2
    base = args.base or os.environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or merge_base(root)
    reader = StateReader(Cache())
    for rel in cfg.ledgers:
        path = Path(os.path.normpath(cfg.root / rel))  # as written: links are for read_bounded to judge
        tracked = path.relative_to(root).as_posix() if path.is_relative_to(root) else None
        old_bytes = show(root, base, tracked) if base and tracked else None
        # the same bounded read as validation (a regular file inside the project, not over the size limit)
        new_bytes = read_bounded(path, Reader(rel, Problems(), cfg.lang), root=cfg.root) \
            if os.path.lexists(path) else None
        try:
            old = reader.read(old_bytes.decode("utf-8-sig"), rel) if old_bytes is not None else None
            new = reader.read(new_bytes.decode("utf-8-sig"), rel) if new_bytes is not None else None
        except (VersionError, UnicodeDecodeError):
            continue  # the validation below says what is wrong
        print(to_markdown(rel, diff_states(old, new), cfg.lang))
    load(cfg)  # the changed ledger must validate: main() reports its problems and exits 1
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    """Publish one month (default: the month that just ended), backfill a range, or verify the archive."""
    from portal.archive.publish import (
        SnapshotError,
        last_complete_month,
        lock_file,
        plan_timezone,
        publish,
        publish_range,
    )
    from portal.archive.store import ArchiveError, archive_lock, verify
    from portal.build import BuildFailed

    cfg = read_config(args.config_file)
    if args.verify:
        try:
            with archive_lock(lock_file(cfg), exclusive=False, lang=cfg.lang, log=print):
                problems = verify(cfg.path(cfg.archive_dir), cfg.lang)
        except ArchiveError as err:
            print(err, file=sys.stderr)
            return 1
        for line in problems:
            print(line, file=sys.stderr)
        print(message(cfg.lang, "verify_failed" if problems else "verify_ok", {}))
        return 1 if problems else 0
    try:
        if args.start or args.end:
            if not (args.start and args.end):
                raise SnapshotError(message(cfg.lang, "snap_range", {}))
            publish_range(cfg, args.start, args.end)
        else:
            publish(cfg, args.month or last_complete_month(plan_timezone(cfg)), force=args.force)
    except (SnapshotError, BuildFailed, ArchiveError) as err:
        print(err, file=sys.stderr)
        return 1
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Read a plan document (.txt, .md, .docx) into a ledger file that passes validation; report what was not placed.

    Everything printed that comes from the document or a file name goes through terminal_safe: a line of the
    document could hold escape sequences that rewrite the terminal.
    """
    import datetime as dt
    import gc

    from portal.import_registry import ledger_ids, ledger_names, merge_registry, prefix_ids
    from portal.importer import ImportFailed, Options, import_file, terminal_safe
    from portal.ledger.load import load_text
    from portal.ledger.yamlout import dump_ledger

    if bool(args.output) == bool(args.into):
        print(message("zh", "import_output_or_into", {}), file=sys.stderr)
        return 2
    output = Path(args.output or args.into)
    source = terminal_safe(args.file)
    if args.into and not output.is_file():
        print(message("zh", "import_into_missing", {"file": terminal_safe(str(output))}), file=sys.stderr)
        return 1
    if args.output and output.exists() and not args.force:
        print(message("zh", "import_exists", {"file": terminal_safe(str(output))}), file=sys.stderr)
        return 1
    try:
        options = Options(keep_punctuation=args.keep_punctuation, anyway=args.anyway)
        data, report = import_file(Path(args.file), args.year, plan_id=args.plan_id, options=options)
    except ImportFailed as err:
        print(f"{source}: {terminal_safe(str(err))}", file=sys.stderr)
        return 1
    listed, config_file = _listed_ledgers(Path(args.config_file), output)
    taken = {i for ids in listed.values() for i in ids}
    if not args.into and data["plan"]["id"] in taken:  # a second plan of the same year: plan2021b
        from portal.importer import _suffixed

        base, k = data["plan"]["id"], 1
        while _suffixed(base, k) in taken:
            k += 1
        data["plan"]["id"] = _suffixed(base, k)
        report.notes.append(message("zh", "import_plan_id", {"id": data["plan"]["id"]}))
    if not args.into and taken & set(ledger_ids(data)):  # a second plan: ids unlike the listed ledgers
        prefix_ids(data, data["plan"]["id"])
        report.notes.append(message("zh", "import_ids_prefixed", {"prefix": data["plan"]["id"]}))
    # Writing and checking the ledger of a large plan makes millions of objects that live to the end and no garbage
    # cycles: CPython's collector, walking them again and again, took half the time of an 8 MB import
    gc.disable()
    changes = None
    try:
        if args.into:
            from portal.import_merge import merge_into

            try:
                text, changes = merge_into(output.read_text(encoding="utf-8-sig"), data)
            except (OSError, ValueError, UnicodeDecodeError) as err:
                print(message("zh", "import_into_bad", {"file": terminal_safe(str(output)),
                                                        "reason": terminal_safe(str(err))}), file=sys.stderr)
                return 1
        else:
            text = dump_ledger(data)
        load_text(text, output.name, as_of=dt.date.max, registry=None)
    except LedgerError as err:  # the importer's own mistake (or a ledger over its size limit): say so, write nothing
        print("\n".join(terminal_safe(line) for line in err.report().splitlines()), file=sys.stderr)
        return 2
    finally:
        gc.enable()
    registry_text, added = "", []
    registry = None if args.no_registry else Path(args.registry or output.with_name("departments.yaml"))
    if registry is not None:
        try:
            registry_text, added = merge_registry(registry, ledger_names(data))
        except (OSError, ValueError) as err:  # an existing registry that does not parse: say so, write nothing
            print(message("zh", "import_registry_bad", {"file": terminal_safe(str(registry)),
                                                       "reason": terminal_safe(str(err))}), file=sys.stderr)
            return 1
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, output)
    if registry is not None and added:
        tmp = registry.with_name(f".{registry.name}.tmp")
        tmp.write_text(registry_text, encoding="utf-8")
        os.replace(tmp, registry)
    print(terminal_safe(message("zh", "import_done", {"file": output, "sections": report.sections,
                                                      "tasks": report.tasks, "source": report.source,
                                                      "lines": report.lines})))
    if changes is not None:
        _print_changes(changes, output)
    for line, words in report.unplaced:
        shown = terminal_safe(words[:60]) + ("…" if len(words) > 60 else "")
        print(message("zh", "import_unplaced", {"where": f"{source}:{line}", "words": shown}), file=sys.stderr)
    for note in report.notes:
        print(f"{source}: {terminal_safe(note)}", file=sys.stderr)
    if config_file is not None and output.resolve() not in listed:
        _list_ledger(config_file, output)
    if config_file is not None:
        _release_as_of(config_file, data)
    if added and registry is not None:
        sep = message("zh", "import_list_sep", {})
        kinds = sep.join(message("zh", "import_name_kind", {"name": name,
                                                            "kind": message("zh", f"import_kind_{kind}", {})})
                         for name, kind in added)
        print(terminal_safe(message("zh", "import_registry_added", {"file": registry, "count": len(added),
                                                                    "names": kinds})))
        from portal.import_registry import similar_names

        for name, other in similar_names(added, registry_text):
            print(terminal_safe(message("zh", "import_registry_similar", {"name": name, "other": other})),
                  file=sys.stderr)
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    """A new repository for an office: from its plan document (any shape portal import reads), or empty."""
    import datetime as dt

    from portal.importer import ImportFailed, import_file, terminal_safe
    from portal.office import InitFailed, empty_ledger, init_repository

    plan, target = args.plan, args.dir
    if plan is not None and target is None and not Path(plan).is_file():
        plan, target = None, plan  # one argument that is not a file: the folder of an empty portal
    target_dir = Path(target or "progress-portal").resolve()
    year = args.year or dt.date.today().year
    try:
        if plan is None:
            data = empty_ledger(args.title or message("zh", "init_untitled", {}), year)
        else:
            data, _ = import_file(Path(plan), args.year)
            if args.title:
                data["plan"]["title"] = args.title
        made = init_repository(target_dir, data)
    except (ImportFailed, InitFailed) as err:
        print(terminal_safe(f"{plan or target_dir}: {err}"), file=sys.stderr)
        return 1
    print(terminal_safe(message("zh", "init_done", {"dir": made.path, "title": made.title, "tasks": made.tasks,
                                                    "departments": made.departments, "commit": made.commit[:8]})))
    return 0
def _print_changes(changes: Changes, output: Path) -> None:
    """What re-importing a revised plan changed: counts, then each task added, changed or removed."""
    from portal.importer import terminal_safe

    print(terminal_safe(message("zh", "import_into_summary", {
        "file": output, "kept": len(changes.kept), "changed": len(changes.changed), "added": len(changes.added),
        "removed": len(changes.removed)})))
    sep = message("zh", "import_list_sep", {})
    for task_id, keys in changes.changed:
        print(terminal_safe(message("zh", "import_into_changed", {"id": task_id, "fields": sep.join(keys)})))
    for task_id, title in changes.added:
        print(terminal_safe(message("zh", "import_into_added", {"id": task_id, "title": title})))
    for task_id, title, progress in changes.removed:
        warn = message("zh", "import_into_lost_progress", {}) if progress else ""
        print(terminal_safe(message("zh", "import_into_removed", {"id": task_id, "title": title, "warn": warn})))


def _listed_ledgers(config_file: Path, output: Path) -> tuple[dict[Path, list[str]], Path | None]:
    """The ledgers mkdocs.yml lists (their ids, the output's own left out) and the config file; none without one."""
    import yaml

    from portal.import_registry import ledger_ids

    if not config_file.is_file():
        return {}, None
    try:
        cfg = read_config(config_file)
    except (LedgerError, OSError):
        return {}, None
    listed: dict[Path, list[str]] = {}
    for rel in cfg.ledgers:
        path = cfg.path(rel).resolve()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) if path != output.resolve() else {}
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            data = {}
        listed[path] = ledger_ids(data) if isinstance(data, dict) else []
    return listed, config_file


def _release_as_of(config_file: Path, data: dict) -> None:
    """A pinned as_of (the sample portal's 2020-09-30) before the imported plan's year or its progress would show
    the plan as it never stood, or refuse its updates: the line is commented out, so that the portal counts from
    today."""
    import datetime as dt

    from portal.import_registry import ledger_dates
    from portal.importer import terminal_safe

    try:
        as_of = read_config(config_file).as_of
    except (LedgerError, OSError):
        return
    if as_of is None or os.environ.get("PORTAL_AS_OF"):
        return
    latest = max(ledger_dates(data), default=dt.date(int(data["plan"]["year"]), 1, 1))
    if as_of >= latest and as_of.year >= int(data["plan"]["year"]):
        return
    text = config_file.read_text(encoding="utf-8")
    changed, n = re.subn(r"(?m)^(\s+)(as_of:\s*\S+.*)$", r"\1# \2  # portal import: the imported plan is later", text,
                         count=1)
    if n:
        config_file.write_text(changed, encoding="utf-8")
        print(terminal_safe(message("zh", "import_as_of_released", {"config": config_file.name,
                                                                    "as_of": as_of.isoformat()})))


def _list_ledger(config_file: Path, output: Path) -> None:
    """Add the new ledger to extra.portal.ledgers of mkdocs.yml, or say how to."""
    from portal.import_registry import add_ledger
    from portal.importer import terminal_safe

    try:
        rel = os.path.relpath(output.resolve(), config_file.resolve().parent).replace(os.sep, "/")
        text = config_file.read_text(encoding="utf-8")
        changed = add_ledger(text, rel)
        if changed is not None and changed != text:
            config_file.write_text(changed, encoding="utf-8")
            print(terminal_safe(message("zh", "import_listed", {"file": rel, "config": config_file.name})))
            return
    except (OSError, ValueError):
        pass
    print(terminal_safe(message("zh", "import_list_by_hand", {"file": output, "config": config_file.name})),
          file=sys.stderr)


def cmd_fmt(args: argparse.Namespace) -> int:
    """Normalise ledger and registry files in place (comments kept); with --check, only say which would change.

    With --upgrade, only the keys that older portals wrote are changed (:mod:`portal.ledger.upgrade`).
    """
    from portal.ledger.upgrade import upgrade_file
    from portal.ledger.yamlout import format_file
    from portal.ledger.yamlread import Reader, read_bounded
    from portal.problems import Problem, Problems

    cfg = read_config(args.config_file)
    # the paths as written (cfg.path would follow a link to its target)
    files = [Path(f) for f in args.files] or [cfg.root / rel for rel in cfg.ledgers] + (
        [cfg.root / cfg.registry] if cfg.registry and os.path.lexists(cfg.root / cfg.registry) else [])
    changed = 0
    for path in files:
        # fmt rewrites the file: never through a link (it would replace the link), never a file too large to read
        problems = Problems()
        if path.is_symlink():
            problems.add(Problem(str(path), 0, 0, "fmt_link"))
        else:
            read_bounded(path, Reader(str(path), problems, cfg.lang))
        if problems.errors:
            print("\n".join(problems.render(cfg.lang)), file=sys.stderr)
            return 1
        try:
            if args.upgrade:
                edits = upgrade_file(path, check=args.check)
                if edits:
                    changed += 1
                    print(message(cfg.lang, "fmt_upgrade_would" if args.check else "fmt_upgraded",
                                  {"file": path, "n": len(edits)}))
            elif format_file(path, check=args.check):
                changed += 1
                print(message(cfg.lang, "fmt_would" if args.check else "fmt_done", {"file": path}))
        except (OSError, ValueError) as err:
            print(f"{path}: {err}", file=sys.stderr)
            return 1
    return 1 if args.check and changed else 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the ledger as an Excel 台账 (xlsx) or a CSV table, at the configured as-of date."""
    from portal.outputs.tables import to_csv
    from portal.outputs.xlsx import to_xlsx
    from portal.survey import Rules, survey

    cfg = read_config(args.config_file)
    loaded = load(cfg)
    surveyed = survey(loaded.ledger, loaded.as_of, Rules.of(cfg))
    output = Path(args.output or f"tasks.{args.format}")
    if args.format == "xlsx":
        output.write_bytes(to_xlsx(surveyed, cfg.lang))
    else:
        output.write_text(to_csv(surveyed, cfg.lang), encoding="utf-8", newline="")
    print(message(cfg.lang, "export_written", {"file": output}))
    return 0


def _load_frozen(cfg: PortalConfig) -> Loaded:
    """The ledger loaded without the garbage collector, then frozen out of its sight (the round's commands).

    A large ledger is millions of objects without cycles: the collector walking them again and again took two
    thirds of the time of collecting the forms of 10,000 tasks. Frozen, they are left alone, while the workbooks
    read or written afterwards (which do have cycles) are still collected. The caller unfreezes at the end.
    """
    gc.disable()
    try:
        loaded = load(cfg)
    finally:
        gc.enable()
    gc.freeze()
    return loaded


def _round_period(args: argparse.Namespace, cfg: PortalConfig, as_of: dt.date) -> Period | None:
    """The reporting period of --month (YYYY-MM), or of the as-of date; None (said) when --month is not a month."""
    from portal.round.periods import parse_month, period_of

    if args.month:
        first = parse_month(args.month)
        if first is None:
            print(message(cfg.lang, "month_bad", {"text": args.month}), file=sys.stderr)
            return None
        return period_of(first, cfg.reporting)
    return period_of(as_of, cfg.reporting)


def cmd_forms(args: argparse.Namespace) -> int:
    """Write one report form (.xlsx) per department for the period: the monthly round's forms out."""
    from portal.i18n import format_date
    from portal.round.forms import make_forms
    from portal.survey import Rules, survey

    cfg = read_config(args.config_file)
    loaded = _load_frozen(cfg)
    try:
        period = _round_period(args, cfg, loaded.as_of)
        if period is None:
            return 2
        surveyed = survey(loaded.ledger, loaded.as_of, Rules.of(cfg))
        forms = list(make_forms(surveyed, period, cfg.lang))
    finally:
        gc.unfreeze()
    out = Path(args.out or Path("forms") / period.key)
    if not forms:
        print(message(cfg.lang, "forms_none", {}))
        return 0
    taken = [out / f.file_name for f in forms if (out / f.file_name).exists()]
    if taken and not args.force:
        for path in taken:
            print(message(cfg.lang, "forms_exists", {"file": path}), file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    for form in forms:
        (out / form.file_name).write_bytes(form.data)
        print(message(cfg.lang, "forms_one", {"file": form.file_name, "lead": form.lead, "shared": form.shared}))
    print(message(cfg.lang, "forms_written", {"n": len(forms), "dir": out, "period": period.label(cfg.lang),
                                              "due": format_date(period.due, cfg.lang)}))
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    """Read filled forms into the ledger: every problem at once; nothing written on an error unless --partial."""
    from portal.round import commit
    from portal.round.collect import collect

    cfg = read_config(args.config_file)
    loaded = _load_frozen(cfg)  # the ledger must be valid before anything is added to it
    try:
        period = _round_period(args, cfg, loaded.as_of)
        if period is None:
            return 2
        lang = cfg.lang
        files = {rel: commit.LedgerFile.read(cfg.path(rel)) for rel in cfg.ledgers if cfg.path(rel).exists()}
        outcome = collect([Path(f) for f in args.files], loaded.ledger, {rel: f.text for rel, f in files.items()},
                          period, loaded.as_of, lang, partial=args.partial)
    finally:
        gc.unfreeze()
    for problem in outcome.problems:
        print(problem.render(lang), file=sys.stderr)
    errors = len(outcome.errors)
    if errors and not outcome.texts:
        if not args.partial:
            print(message(lang, "collect_refused", {"errors": errors}), file=sys.stderr)
        return 1
    sep = LABELS[lang]["list_sep"]
    for d in (d for d in outcome.departments if d.tasks):
        already = message(lang, "collect_dept_already", {"n": d.already}) if d.already else ""
        print(message(lang, "collect_dept", {"dept": d.dept.name, "tasks": len(d.tasks), "files": sep.join(d.files),
                                             "already": already}))
    if not outcome.texts:
        print(message(lang, "collect_nothing", {}))
        return 0
    if args.commit:
        try:
            branch, n = commit.commit(cfg, files, outcome.steps(), period, lang)
        except commit.CommitError as err:
            print(err, file=sys.stderr)
            return 1
        print(message(lang, "collect_committed", {"branch": branch, "n": n}))
    else:
        for path in commit.write(files, outcome.texts):
            print(message(lang, "collect_written", {"file": path.name}))
    if errors:
        print(message(lang, "collect_partial", {"rows": outcome.dropped}), file=sys.stderr)
        return 1
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    """Who has not reported in the period of the as-of date (未报送), and the tasks without progress in it."""
    from portal.round.periods import render_status
    from portal.survey import Rules, survey

    cfg = read_config(args.config_file)
    loaded = load(cfg)
    surveyed = survey(loaded.ledger, loaded.as_of, Rules.of(cfg))
    assert surveyed.reporting is not None
    for line in render_status(surveyed.reporting, cfg.lang):
        print(line)
    return 0


def cmd_notices(args: argparse.Namespace) -> int:
    """Write a 督办通知单 (.docx) for each department with red or yellow items, and a summary for the leader:
    at the as-of date, or at the end of --month as that month's ledger stood."""
    from portal.archive.publish import SnapshotError, month_survey, plan_timezone
    from portal.history.timeline import load_history
    from portal.outputs.docx import write_notice_docx, write_notice_summary_docx
    from portal.outputs.notices import build_notices, file_name
    from portal.survey import Rules, survey

    cfg = read_config(args.config_file)
    if args.month:
        try:
            surveyed = month_survey(cfg, args.month)
        except SnapshotError as err:
            print(err, file=sys.stderr)
            return 1
    else:
        loaded = load(cfg)
        history = load_history(cfg, plan_timezone(cfg))
        surveyed = survey(loaded.ledger, loaded.as_of, Rules.of(cfg), history.postponements(), history.moves())
    month = f"{surveyed.as_of.year:04d}-{surveyed.as_of.month:02d}"
    folder = Path(args.output or Path("notices") / month)
    folder.mkdir(parents=True, exist_ok=True)
    notices, summary = build_notices(surveyed, cfg.lang, cfg.report, cfg.supervision.reply_days)
    for notice in notices:
        write_notice_docx(notice, folder / file_name(notice, month), surveyed.as_of)
    write_notice_summary_docx(summary, folder / f"{month} {summary.title}.docx", surveyed.as_of)
    key = "notices_written" if notices else "notices_none"
    print(message(cfg.lang, key, {"n": len(notices), "as_of": surveyed.as_of.isoformat(), "folder": folder}))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    """Build into a temporary folder beside the site, then swap it in (portal.sitedir): the old site stays
    whole until the new one is complete, and stays as it was when the build fails."""
    from portal.build import BuildFailed, build_site_with, default_engine
    from portal.logs import LogWords
    from portal.sitedir import SiteDirError, publish

    config_file = Path(args.config_file).resolve()
    site_dir = Path(args.site_dir or config_file.parent / "site").resolve()
    try:
        lang = read_config(config_file).lang
    except (LedgerError, OSError):
        lang = "zh"  # the build itself says what is wrong with the settings
    try:
        engine = args.engine or default_engine()
        publish(site_dir, lambda tmp: build_site_with(engine, config_file, tmp, strict=args.strict,
                                                      verbose=args.verbose), lang=lang)
    except BuildFailed as exc:
        if str(exc):
            print(LogWords(lang).say(str(exc)), file=sys.stderr)
        return 1
    except SiteDirError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(message(lang, "site_built", {"dir": site_dir}))
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Write the JSON Schemas of the ledger and the registry, made from the declared schema."""
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in schema_files().items():
        (out / name).write_text(text, encoding="utf-8")
        print(out / name)
    return 0


def schema_files() -> dict[str, str]:
    """File name -> JSON text of every committed schema."""
    import json

    from portal.i18n import LABELS
    from portal.ledger.schema import LEDGER, REGISTRY, json_schema

    docs = {
        "ledger.schema.json": json_schema(LEDGER, LABELS["zh"]["schema_ledger"]),
        "departments.schema.json": json_schema(REGISTRY, LABELS["zh"]["schema_registry"]),
    }
    return {name: json.dumps(doc, ensure_ascii=False, indent=2) + "\n" for name, doc in docs.items()}


def _version_text() -> str:
    """``portal 0.2.0 (mkdocs 1.6.1, mkdocs-material 9.8.1)``: the version and the engines installed with it."""
    from portal.resources import versions

    (_, own), *engines = versions()
    return f"portal {own} ({', '.join(f'{name} {version}' for name, version in engines)})"


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="portal", description="Progress Portal: ledger tools and site builds.")
    parser.add_argument("--version", action="version", version=_version_text(),
                        help="print the portal's version and the engines' it runs on")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check the ledger files named in mkdocs.yml")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("build", help="build the site; the old site stays unless the build succeeds")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.add_argument("-d", "--site-dir", default=None)
    p.add_argument("-s", "--strict", action="store_true", help="fail on warnings")
    p.add_argument("-v", "--verbose", action="store_true")
    p.add_argument("--engine", choices=["mkdocs", "properdocs"], default=None,
                   help="the site engine: MkDocs 1.6.1, or ProperDocs (default: MkDocs where installed)")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("diff", help="the ledger changes since BASE as Markdown for a merge request")
    p.add_argument("base", nargs="?", default=None, help="a commit; default: the merge base with the main branch")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.set_defaults(func=cmd_diff)

    p = sub.add_parser("snapshot", help="publish the portal as it stood at a month's end, once and for good")
    p.add_argument("month", nargs="?", default=None, help="YYYY-MM; default: the month that just ended")
    p.add_argument("--from", dest="start", default=None, help="backfill from this month (YYYY-MM)")
    p.add_argument("--to", dest="end", default=None, help="backfill to this month (YYYY-MM)")
    p.add_argument("--force", action="store_true", help="publish a month again, replacing what was published")
    p.add_argument("--verify", action="store_true", help="check every published snapshot against its record")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.set_defaults(func=cmd_snapshot)

    p = sub.add_parser("import", help="read a plan (.docx .txt .md) or a ledger table (.xlsx .xls) into a ledger file")
    p.add_argument("file")
    p.add_argument("-o", "--output", default=None, help="the ledger file to write, e.g. tasks.yaml")
    p.add_argument("--into", default=None, metavar="LEDGER",
                   help="re-import a revised plan into this ledger: ids, status and progress kept, changes listed")
    p.add_argument("--year", type=int, default=None, help="the plan's year when its title does not say")
    p.add_argument("--plan-id", default=None, help="the plan's id (default: plan<year>)")
    p.add_argument("--force", action="store_true", help="overwrite the output file")
    p.add_argument("--anyway", action="store_true",
                   help="import a document that reads as a speech, a summary or a report of past work")
    p.add_argument("--keep-punctuation", action="store_true",
                   help="keep half-width punctuation between Chinese characters as written")
    p.add_argument("--registry", default=None,
                   help="the registry to add the departments found to (default: departments.yaml beside the output)")
    p.add_argument("--no-registry", action="store_true", help="write no registry")
    p.add_argument("-f", "--config-file", default="mkdocs.yml",
                   help="the portal's settings: the ledgers listed there keep their ids, the new one is added")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("init", help="a new portal repository for an office, from its plan document or empty")
    p.add_argument("plan", nargs="?", default=None, help="the plan document (.txt .md .docx); omit for an empty ledger")
    p.add_argument("dir", nargs="?", default=None, help="the folder to create (default: progress-portal)")
    p.add_argument("--year", type=int, default=None, help="the plan's year when the document does not say")
    p.add_argument("--title", default=None, help="the plan's title (for an empty ledger, or to replace the imported)")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("fmt", help="normalise ledger files for people and reviewable diffs, keeping comments")
    p.add_argument("files", nargs="*", help="default: the ledgers and registry named in mkdocs.yml")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file would change")
    p.add_argument("--upgrade", action="store_true",
                   help="only rewrite the keys that older portal versions wrote (renamed or removed), nothing else")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.set_defaults(func=cmd_fmt)

    p = sub.add_parser("export", help="write the ledger as an Excel ledger (xlsx) or CSV")
    p.add_argument("format", choices=["xlsx", "csv"])
    p.add_argument("-o", "--output", default=None, help="the file to write; default tasks.xlsx / tasks.csv")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("forms", help="write one report form (.xlsx) per department for the monthly round")
    p.add_argument("--month", default=None, help="YYYY-MM: the period to report (default: that of the as-of date)")
    p.add_argument("--out", default=None, help="the folder to write (default: forms/<period>)")
    p.add_argument("--force", action="store_true", help="overwrite forms of the same name")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.set_defaults(func=cmd_forms)

    p = sub.add_parser("collect", help="read filled report forms into the ledger")
    p.add_argument("files", nargs="+", help="the filled forms (.xlsx)")
    p.add_argument("--month", default=None, help="YYYY-MM: the period collected (default: that of the as-of date)")
    p.add_argument("--partial", action="store_true", help="write the rows without errors even when others have them")
    p.add_argument("--commit", action="store_true", help="one git commit per department, on a new branch")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.set_defaults(func=cmd_collect)

    p = sub.add_parser("status", help="the departments that have not reported in the current period")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("notices", help="write a supervision notice (.docx) per department with red "
                       "or yellow items, and a summary for the leader")
    p.add_argument("--month", default=None, help="YYYY-MM: as the ledger stood at that month's end (needs git)")
    p.add_argument("-o", "--output", default=None, help="the folder to write; default notices/YYYY-MM")
    p.add_argument("-f", "--config-file", default="mkdocs.yml")
    p.set_defaults(func=cmd_notices)

    p = sub.add_parser("schema", help="write the JSON Schemas that editors use to complete and check fields")
    p.add_argument("-o", "--output", default="schema")
    p.set_defaults(func=cmd_schema)
    return parser


class _Formatter(argparse.HelpFormatter):
    """argparse's help in the portal's language: its ``usage:`` too."""

    words: ClassVar[dict[str, str]] = {}

    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, self.words.get("usage: ", prefix))


def localise(parser: argparse.ArgumentParser, lang: str) -> argparse.ArgumentParser:
    """The help of ``parser`` and of its subcommands in ``lang`` (the catalogue's HELP words)."""
    words = HELP.get(lang, {})
    _Formatter.words = words

    def say(text: str | None) -> str | None:
        return words.get(" ".join(text.split()), text) if text else text

    def walk(p: argparse.ArgumentParser) -> None:
        p.formatter_class = _Formatter
        p.description = say(p.description)
        for group in p._action_groups:
            group.title = say(group.title)
        for action in p._actions:
            action.help = say(action.help)
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    choice.help = say(choice.help)
                for child in dict.fromkeys(action.choices.values()):
                    walk(child)

    walk(parser)
    return parser


def _cli_lang(argv: Sequence[str]) -> str:
    """The portal's language for the command line: that of the mkdocs.yml named (-f) or in this folder."""
    args = list(argv)
    config = next((args[i + 1] for i, a in enumerate(args[:-1]) if a in ("-f", "--config-file")), "mkdocs.yml")
    try:
        return read_config(config).lang if Path(config).is_file() else "zh"
    except (LedgerError, OSError):
        return "zh"


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = localise(make_parser(), _cli_lang(argv)).parse_args(argv)
    try:
        return int(args.func(args))
    except LedgerError as err:  # settings or ledger not valid: every problem on its own line, no traceback
        print(err.report(), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
