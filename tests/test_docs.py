"""The README and the docs stay true and findable: the README is short and
starts with its two commands, every docs page is reachable from it, every
command, option and setting key the docs name exists, the settings example
validates, the catalog lists every metric, and the generated references are
what the code says now."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
import yaml

from panels.metrics import CATALOG
from tonebridge_dash.settings import DEFAULTS, SCHEMA_PATH, from_mapping

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text(encoding="utf-8")
README_MAX_LINES = 150
# Options of other tools the docs show beside tb-dash's (pytest, the benchmarks, curl, kubectl, prometheus).
OTHER_OPTIONS = {"--enable-feature", "--snapshot-update", "--dist", "--runs", "--sizes", "--data-binary", "--site-dir", "--strict-markers"}


def _reference():
    spec = importlib.util.spec_from_file_location("docs_reference", ROOT / "scripts" / "docs_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _section(page: str, title: str) -> str:
    text = _text(DOCS / page)
    start = text.index(f"# {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def _links(path: Path) -> list[tuple[str, str]]:
    """(target file, anchor) of every relative Markdown link of a page."""
    found = []
    prose = re.sub(r"`[^`\n]+`", "", re.sub(r"^```.*?^```", "", _text(path), flags=re.S | re.M))
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        found.append((file, anchor))
    return found


def _code(text: str) -> list[str]:
    """Every fenced block's lines and every inline code span of a page."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", text, re.S | re.M)
    rest = re.sub(r"^```[a-z]*\n.*?^```", "", text, flags=re.S | re.M)
    return [line for b in blocks for line in b.splitlines()] + re.findall(r"`([^`\n]+)`", rest)


# --- the README ---------------------------------------------------------------------
def test_readme_is_short():
    assert len(README.splitlines()) <= README_MAX_LINES


def test_readme_starts_with_the_render_and_test_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert "tb-dash render" in first_block[0] and first_block[0].startswith("python3 -m venv .venv")
    assert first_block[1].startswith("bash .ci/run")


def test_the_readmes_test_command_is_what_ci_runs():
    command = re.search(r"`(\.venv/bin/python -m pytest [^`]*)`", README).group(1)
    assert "-n auto --dist loadfile" in command
    assert f"CI=true {command}" in _text(ROOT / ".ci" / "run")


def test_every_readme_link_resolves():
    for file, _ in _links(ROOT / "README.md"):
        assert (ROOT / file).exists(), file


def test_every_docs_page_is_reachable_from_the_readme():
    seen, todo = set(), [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        for file, _ in _links(page):
            target = (page.parent / file).resolve() if file else page
            if target.suffix == ".md" and target.exists() and target not in seen:
                seen.add(target)
                todo.append(target)
    missing = [str(p.relative_to(ROOT)) for p in _pages() if p.resolve() not in seen]
    assert not missing, f"not linked from the README or a page it links to: {missing}"


def test_every_docs_link_resolves():
    for page in _pages():
        for file, _ in _links(page):
            if file:
                assert (page.parent / file).exists(), f"{page.relative_to(ROOT)}: {file}"


# --- what the docs name exists ------------------------------------------------------
@cache
def _commands() -> dict[str, set[str]]:
    """Each command -> its options (long and short), as the CLI defines them."""
    import click
    import typer

    from tonebridge_dash.cli import app

    group = typer.main.get_command(app)
    with click.Context(group, info_name="tb-dash") as ctx:
        options = {name: {o for p in group.get_command(ctx, name).params for o in p.opts + p.secondary_opts}
                   | {"--help", "-h"} for name in group.list_commands(ctx)}
        options[""] = {o for p in group.params for o in p.opts + p.secondary_opts} | {"--help", "-h"}
        return options


def _uses(text: str):
    """(command, options) of every ``tb-dash COMMAND ...`` in the code of a page."""
    for line in _code(text):
        for m in re.finditer(r"(?:^|[\s(`$;&|])tb-dash\s+([a-z][a-z-]*)", line):
            rest = re.split(r"\s\|\s(?!-)|&&|;|\s#|\s>|\)", line[m.end():])[0]
            yield m.group(1), re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?=[\s=\]]|$)", rest)


def _written() -> list[Path]:
    """The README and the docs pages written by hand (the references are the CLI's own words)."""
    return [ROOT / "README.md", *(p for p in _pages() if p.parent.name != "reference")]


def test_every_command_and_option_the_docs_name_exists():
    commands = _commands()
    for path in _written():
        for name, options in _uses(_text(path)):
            where = path.relative_to(ROOT)
            assert name in commands, f"{where}: tb-dash {name} is no command"
            unknown = set(options) - commands[name]
            assert not unknown, f"{where}: tb-dash {name} has no option {sorted(unknown)}"


def test_every_option_the_docs_name_exists():
    every = set().union(*_commands().values()) | OTHER_OPTIONS
    for path in _written():
        for span in _code(_text(path)):
            for option in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", span):
                assert option in every, f"{path.relative_to(ROOT)}: no command has {option} ({span!r})"


def _schema_has(schema: dict, path: list[str]) -> bool:
    node = schema
    for part in path:
        while "$ref" in node:
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[1]]
        if part in node.get("properties", {}):
            node = node["properties"][part]
        elif isinstance(node.get("additionalProperties"), dict) and "properties" not in node:
            node = node["additionalProperties"]
        else:
            return False
    return True


def _is_module(parts: list[str]) -> bool:
    base = ROOT / "tonebridge_dash" / parts[0]
    return base.is_dir() and ((base / f"{parts[1]}.py").is_file() or (base / parts[1]).is_dir())


def test_every_setting_key_the_docs_name_exists():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    tops = "|".join(schema["properties"])
    key = re.compile(rf"^({tops})((?:\.[A-Za-z_][A-Za-z0-9_-]*|\.<[a-z]+>)+)(?=$|[:\s=\[(])")
    checked = 0
    for path in _written():
        for span in _code(_text(path)):
            m = key.match(span.strip())
            if not m or re.search(r"\.(ya?ml|py|json|md|app)\b", m.group(0)):
                continue
            parts = m.group(0).split(".")
            if _is_module(parts):  # grafana.push, dashboard.render: the engine's modules
                continue
            checked += 1
            assert _schema_has(schema, parts), f"{path.relative_to(ROOT)}: no setting {m.group(0)}"
    assert checked > 20  # the docs do name settings: the pattern finds them


# --- examples in the docs -----------------------------------------------------------
def test_settings_example_is_valid_and_shows_the_defaults():
    block = re.search(r"```yaml\n(.*?)```", _section("settings.md", "Settings"), re.S).group(1)
    example = yaml.safe_load(block)
    cfg = from_mapping(example, "docs/settings.md")
    defaults = from_mapping({}).raw  # the engine's defaults under the content's
    assert set(example) == set(DEFAULTS), "the example shows every top-level section"
    for section in ("content", "selectors", "thresholds", "slo", "alerts", "alertmanager"):
        assert example[section] == defaults[section], section
    assert cfg.environment("prod").url.startswith("https://")


def test_metric_catalog_table_lists_every_metric():
    table = _section("writing.md", "Metric catalog")
    for metric in CATALOG:
        assert f"`{metric.name}`" in table, metric.name


# --- the generated references -------------------------------------------------------
def test_the_references_are_current():
    stale = _reference().stale()
    assert not stale, f"{stale}: run python scripts/docs_reference.py"


def test_the_command_reference_is_every_commands_help(tb):
    page = _text(DOCS / "reference" / "commands.md")
    for name in ["", *_commands()]:
        ran = tb(*([name] if name else []), "--help", env={"COLUMNS": "80"})
        assert ran.code == 0
        assert f"```text\n{ran.out.rstrip()}\n```" in page, f"tb-dash {name} --help"


def test_the_settings_reference_names_every_key_and_default():
    page = _text(DOCS / "reference" / "settings.md")
    merged = from_mapping({}).raw

    def leaves(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict) and v:
                yield from leaves(v, f"{prefix}{k}.")
            else:
                yield f"{prefix}{k}", v

    for path, value in leaves(merged):
        if path.startswith("environments."):
            continue
        entry = re.search(rf"- \*\*`{re.escape(path)}`\*\*: [^\n]*", page)
        parent = re.search(rf"- \*\*`{re.escape(path.rsplit('.', 1)[0])}`\*\*: [^\n]*default", page)
        assert entry or parent, path
        if entry and "default" in entry.group(0):
            assert json.dumps(value, ensure_ascii=False) in entry.group(0), path


def test_the_lint_rule_reference_names_every_rule():
    from tonebridge_dash.lint.rules import RULES

    page = _text(DOCS / "reference" / "lint-rules.md")
    for rule in RULES:
        assert f"| `{rule.name}` | {rule.severity} |" in page, rule.name


def test_log_fields_are_generated_only_when_the_content_has_them(tmp_path, monkeypatch):
    reference = _reference()
    assert ("log-fields.md" in reference.pages()) == (reference.log_fields() is not None)
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Field:
        name: str
        type: str
        keyword: bool = False

    page = reference.log_fields_page((Field("level", "keyword"), Field("message", "text", True)))
    assert "| name | type | keyword |" in page and "| `message` | text | True |" in page
    page = reference.log_fields_page({"level": {"type": "keyword"}})
    assert "| field | type |" in page and "| `level` | keyword |" in page


def test_check_names_a_stale_page_and_write_makes_it_current(tmp_path):
    reference = _reference()
    out = tmp_path / "reference"
    assert reference.write(out)
    assert reference.stale(out) == []
    (out / "metrics.md").write_text("hand-written\n")
    (out / "old.md").write_text("gone\n")
    problems = reference.stale(out)
    assert any(p.endswith("metrics.md: stale") for p in problems)
    assert any(p.endswith("old.md: not generated any more") for p in problems)
    assert sorted(reference.write(out)) == ["metrics.md", "old.md"]
    assert reference.stale(out) == []


# --- the site -----------------------------------------------------------------------
def test_every_page_is_in_the_site_nav():
    config = yaml.safe_load(_text(ROOT / "mkdocs.yml"))

    def files(nav):
        for item in nav:
            if isinstance(item, str):
                yield item
            else:
                for value in item.values():
                    yield from (files(value) if isinstance(value, list) else [value])

    listed = set(files(config["nav"]))
    assert all((DOCS / f).is_file() for f in listed), listed
    generated = {f"reference/{n}" for n in ("log-fields.md",)}
    missing = {str(p.relative_to(DOCS)) for p in _pages()} - listed - generated
    assert not missing, f"add to mkdocs.yml's nav: {sorted(missing)}"


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs not installed (pip install -e '.[docs]')")
def test_the_site_builds_strictly(tmp_path):
    # A process: mkdocs is a tool of its own, as CI runs it.
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "index.html").is_file() and (tmp_path / "reference" / "commands" / "index.html").is_file()
    shutil.rmtree(tmp_path, ignore_errors=True)
