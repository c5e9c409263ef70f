"""Inputs tb-dash reads (settings, dashboard JSON, token files): bounded in
size, nesting and alias expansion, regular files only, and every refusal
one line with exit code 2."""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from test_output import unblocked_after
from tonebridge_dash.errors import EXIT_USAGE, SettingsError
from tonebridge_dash.settings import load_settings


def bomb(levels: int = 9) -> str:
    """A YAML "billion laughs": nine aliases per level, 9**levels strings
    once expanded, in under 400 bytes."""
    expr = "&a0 [" + ",".join(["lol"] * 9) + "]"
    for i in range(1, levels):
        expr = f"&a{i} [{expr}" + f",*a{i - 1}" * 8 + "]"
    return expr


def run_limited(*args, cwd=None, memory=1 << 30, timeout=60):
    """``tb-dash *args`` in a process that may use at most ``memory`` bytes:
    a process of its own, as the limit is what is tested (a regression
    would exhaust the test run's memory, not fail a test)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-m", "tonebridge_dash", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=limit)


def one_line_error(done, code=EXIT_USAGE) -> str:
    """The one line of error of ``done`` (a process's result or tb's)."""
    returncode, stderr = (done.code, done.err) if hasattr(done, "code") else (done.returncode, done.stderr)
    assert returncode == code, stderr[-2000:]
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tb-dash: error: "), stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize("place", [
    "thresholds:\n  error_ratio: {b}\n",
    "dashboards:\n  tags: {b}\n",
    "alerts:\n  teams: {{X: {b}}}\n",
    "validate:\n  exclude: {b}\n",
])
def test_an_alias_bomb_is_refused_in_bounded_memory(tmp_path, place):
    """Before: the schema error quoted the expanded value, gigabytes of it
    (MemoryError under this 1 GiB limit, or the machine's memory without)."""
    content = place.format(b=bomb())
    assert len(content) < 430
    (tmp_path / "bomb.yaml").write_text(content)
    for command in (("validate",), ("render", "--out", "out"), ("rules", "--out", "out")):
        line = one_line_error(run_limited(*command, "--config", "bomb.yaml", cwd=tmp_path))
        assert "bomb.yaml: invalid YAML: aliases expand to more than 100000 values" in line
    assert not (tmp_path / "out").exists()


def test_a_huge_value_is_clipped_in_the_message(tb, tmp_path):
    """Before: the message quoted the whole 200 kB value."""
    (tmp_path / "tb-dash.yaml").write_text("dashboards:\n  refresh: '" + "x" * 200_000 + "'\n")
    line = one_line_error(tb("validate"))
    assert line.startswith("tb-dash: error: tb-dash.yaml: key 'dashboards.refresh': 'xxx")
    assert len(line) < 400


def test_a_value_with_a_newline_stays_on_one_line(tb, tmp_path):
    (tmp_path / "tb-dash.yaml").write_text('thresholds:\n  "a\\nb": {critical: 1}\n')
    line = one_line_error(tb("validate"))
    assert "key 'thresholds.a\\nb': the key holds the control character U+000A" in line


@pytest.mark.parametrize("content, message", [
    ("a: &a [*a]\n", "invalid YAML: an alias refers to a value that contains it at line 1"),
    ("a: " + "[" * 100 + "]" * 100 + "\n", "invalid YAML: nested deeper than 64 levels"),
    ("a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n",
     "invalid YAML: nested deeper than 64 levels"),  # through an alias
    ("1: x\n", "top level: key 1 is not a string (quote it)"),
    ("dashboards:\n  tags: [2026-01-31]\n", "key 'dashboards.tags[0]': a date is not a plain value"),
    ("dashboards:\n  tags: !!set {a, b}\n", "key 'dashboards.tags': a set is not a plain value"),
    ("dashboards:\n  tags: [!!binary aGVsbG8=]\n", "key 'dashboards.tags[0]': a bytes is not a plain value"),
    ("check:\n  series_budget: " + "9" * 5000 + "\n", "invalid YAML: Exceeds the limit"),
])
def test_yaml_that_cannot_be_settings_is_one_settings_error(tmp_path, content, message):
    (tmp_path / "tb-dash.yaml").write_text(content)
    with pytest.raises(SettingsError) as e:
        load_settings(tmp_path / "tb-dash.yaml")
    assert str(e.value).startswith(f"{tmp_path / 'tb-dash.yaml'}: {message}"), str(e.value)
    assert len(str(e.value)) < 400


# --- special files and sizes ---------------------------------------------------------
@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo.json"
    os.mkfifo(path)
    return path


def test_special_files_are_refused_before_they_are_read(tb, tmp_path, fifo):
    """Before: each of these blocked for ever (a FIFO nobody writes) or read
    without end (/dev/zero). /dev/zero is read in a process of its own with
    a memory limit: read without end, it would exhaust the test run's
    memory; a FIFO opened is opened from the other end after a minute, so
    that a hang fails the test."""
    for args, message in [
        (("validate", "--config", fifo), f"{fifo}: is a FIFO, not a regular file; tb-dash reads a settings file"),
        (("validate", tmp_path), f"{fifo}: is a FIFO, not a regular file; tb-dash reads a dashboard JSON file"),
        (("push", "--from", tmp_path, "--dry-run", "--grafana-url", "http://127.0.0.1:9", "--retries", "0"),
         f"{fifo}: is a FIFO, not a regular file"),
        (("diff", "--token-file", fifo, "--grafana-url", "http://127.0.0.1:9"), f"{fifo}: is a FIFO"),
    ]:
        with unblocked_after(fifo) as hung:
            line = one_line_error(tb(*args))
        assert not hung and line.startswith(f"tb-dash: error: {message}"), (args, line)
    for args, message in [
        (("diff", "--token-file", "/dev/zero", "--grafana-url", "http://127.0.0.1:9"),
         "/dev/zero: is a character device, not a regular file; tb-dash reads a token file only from a regular file"),
        (("render", "--config", "/dev/zero", "--out", str(tmp_path / "out")), "/dev/zero: is a character device"),
    ]:
        line = one_line_error(run_limited(*args, cwd=tmp_path))
        assert line.startswith(f"tb-dash: error: {message}"), (args, line)


def test_inputs_are_read_with_size_limits(tb, tmp_path):
    """Sparse files: a limit is checked before anything is read."""
    board = tmp_path / "dir" / "big.json"
    board.parent.mkdir()
    with open(board, "wb") as f:
        f.truncate(17 * 1024 * 1024)
    settings, token = tmp_path / "big.yaml", tmp_path / "token"
    with open(settings, "wb") as f:
        f.truncate(2 * 1024 * 1024)
    token.write_text("x" * 70_000)
    for args, message in [
        (("validate", board.parent), f"{board}: 17825792 bytes, more than the 16777216 a dashboard JSON file"),
        (("validate", "--config", settings), f"{settings}: 2097152 bytes, more than the 1048576 a settings file"),
        (("diff", "--token-file", token, "--grafana-url", "http://127.0.0.1:9"),
         f"{token}: 70000 bytes, more than the 65536 a token file may have"),
    ]:
        assert one_line_error(tb(*args)).startswith(f"tb-dash: error: {message}")


@pytest.mark.parametrize("text, message", [
    ("[" * 100_000 + "]" * 100_000, "not valid JSON (nested deeper than 128 levels)"),
    ('{"a": ' * 200 + "1" + "}" * 200, "key 'a.a.a."),
    ("9" * 5000, "not valid JSON (Exceeds the limit (4300 digits)"),
])
def test_dashboard_json_that_cannot_be_read_is_one_line(tb, tmp_path, text, message):
    (tmp_path / "d.json").write_text(text, encoding="utf-8")
    line = one_line_error(tb("validate", tmp_path))
    assert line.startswith(f"tb-dash: error: {tmp_path / 'd.json'}: ") and message in line, line
    assert len(line) < 400


# --- validate stays linear --------------------------------------------------------------
def _dashboard(rendered, exprs=None, panels=None, variables=None):
    import copy

    from tonebridge_dash.model import Rendered

    data = copy.deepcopy(rendered["tb-overview"].data)
    if exprs is not None:
        data["panels"][0]["targets"] = [{"expr": e, "refId": chr(65 + i), "datasource": data["panels"][0]["datasource"]}
                                        for i, e in enumerate(exprs)]
    if panels is not None:
        data["panels"] = panels(data["panels"])
    if variables:
        data["templating"]["list"].extend(variables)
    return Rendered.of(data, "test")


def test_a_deeply_nested_query_is_a_finding_not_a_crash(rendered, cfg):
    """Before: the parser's time grew with the square of the nesting, and ten
    thousand levels crashed the process (a stack overflow: exit -11)."""
    from tonebridge_dash import lint

    deep = ["(" * 10_000 + "up" + ")" * 10_000, " + ".join(["up"] * 10_000), "-" * 300 + "1"]
    result = lint.validate([_dashboard(rendered, deep)], cfg)
    found = [f.message for f in result.errors() if f.rule == "target-promql"]
    assert len(found) == 3 and all("more than 256 parentheses and operators" in m for m in found), found


def test_a_variable_used_many_times_cannot_blow_a_query_up(rendered, cfg):
    """A 100 kB variable used a thousand times was 100 MB of text to parse."""
    from tonebridge_dash import lint

    variable = {"name": "big", "type": "custom", "query": "x", "current": {"value": "a" * 100_000}}
    result = lint.validate([_dashboard(rendered, ["up{a=~\"$big\"} " + "+ $big " * 1000], variables=[variable])], cfg)
    found = [f.message for f in result.errors() if f.rule == "target-promql"]
    assert found and "longer than 65536 characters" in found[0]


def test_overlapping_panels_are_reported_once_each(rendered, cfg):
    """Before: every pair was a finding (and compared): 200 panels in one
    place made 19,900 findings, 4 MB of them a 10 GB validate."""
    import copy

    from tonebridge_dash import lint

    def pile(panels):
        return [{**copy.deepcopy(panels[1]), "id": i + 1, "gridPos": {"x": 0, "y": 0, "w": 12, "h": 8}}
                for i in range(200)]

    result = lint.validate([_dashboard(rendered, panels=pile)], cfg)
    overlaps = [f for f in result.errors() if f.rule == "panel-overlap"]
    assert len(overlaps) == 199
    assert overlaps[0].message == "overlaps panel 'Response time (p95)' (id 1): x=0, y=0, 12x8 against x=0, y=0, 12x8"


@pytest.mark.parametrize("text", ["1", '"a dashboard"', "null", "[]", "[1, [2]]"])
def test_a_json_file_that_is_not_an_object_is_one_line(tb, tmp_path, text):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.json").write_text(text)
    done = tb("validate", tmp_path / "d")
    assert done.code == 2, done.err
    assert done.err.strip().endswith("x.json: expected a dashboard JSON object")


# -- a YAML text is parsed once: PyYAML's import alone outweighs a no-op push --------

SETTINGS = "grafana:\n  folder: {uid: ops, title: Ops}\nenvironments:\n  prod:\n    url: https://grafana.example.com\n"


def test_the_settings_are_parsed_by_pyyaml_once_then_read_from_the_cache(tmp_path):
    """Two runs with the same settings file: the second does not import
    PyYAML at all, and loads the same settings. Processes of their own:
    what a run imports is seen only in an interpreter that has imported
    nothing else."""
    (tmp_path / "tb-dash.yaml").write_text(SETTINGS)
    probe = ("import sys\nfrom tonebridge_dash.settings import load_settings\n"
             "print(repr(load_settings(None)))\nprint('yaml' in sys.modules)")
    env = {**os.environ, "TB_DASH_CACHE_DIR": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=60) for _ in range(2)]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr
    (first, imported), (second, again) = (r.stdout.rsplit("\n", 2)[:2] for r in runs)
    assert "ops" in first and "https://grafana.example.com" in first
    assert (imported, again) == ("True", "False") and first == second


def test_a_kept_parse_is_used_only_whole_and_in_a_trusted_directory(tmp_path, monkeypatch):
    from tonebridge_dash.files import read as inputs

    cache = tmp_path / "cache"
    monkeypatch.setenv("TB_DASH_CACHE_DIR", str(cache))
    value = inputs.load_yaml(SETTINGS, "tb-dash.yaml")
    (entry,) = (cache / "yaml").iterdir()

    def no_pyyaml(text, source):
        raise AssertionError("parsed again")

    monkeypatch.setattr(inputs, "_load_yaml", no_pyyaml)
    assert inputs.load_yaml(SETTINGS, "tb-dash.yaml") == value  # from the cache
    monkeypatch.undo()
    monkeypatch.setenv("TB_DASH_CACHE_DIR", str(cache))
    blob = entry.read_bytes()
    entry.write_bytes(blob.replace(b"ops", b"evil"))  # altered: its digest no longer matches
    assert inputs.load_yaml(SETTINGS, "tb-dash.yaml") == value
    assert b"evil" not in entry.read_bytes()  # parsed afresh and kept again
    entry.write_bytes(blob.replace(b"ops", b"evil"))
    os.chmod(cache / "yaml", 0o777)  # others may write there: not used, not written
    assert inputs.load_yaml(SETTINGS, "tb-dash.yaml") == value and b"evil" in entry.read_bytes()


def test_yaml_that_is_not_plain_data_is_never_kept(tmp_path, monkeypatch):
    """A date (or a key that is not a string) is refused later by the settings
    with its own message: such a parse is not kept, JSON would change it."""
    from tonebridge_dash.files import read as inputs

    monkeypatch.setenv("TB_DASH_CACHE_DIR", str(tmp_path / "cache"))
    assert str(inputs.load_yaml("when: 2024-01-01\n", "x.yaml")["when"]) == "2024-01-01"
    assert inputs.load_yaml("1: one\n", "x.yaml") == {1: "one"}
    assert not (tmp_path / "cache" / "yaml").exists() or not any((tmp_path / "cache" / "yaml").iterdir())
    monkeypatch.setenv("TB_DASH_CACHE_DIR", "off")
    assert inputs.load_yaml(SETTINGS, "tb-dash.yaml")["grafana"]["folder"]["uid"] == "ops"
