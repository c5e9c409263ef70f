"""Fuzz: settings files and dashboard JSON with random types, deep nesting,
huge numbers, NaN and infinities, YAML aliases and tags, through the real
entry point (``cli.main``, in process: the ``tb`` fixture) of validate,
render and rules.

Whatever the input, each run must end with a documented exit code and, when
it fails, with one line on stderr (no traceback): warnings may precede it.
The seed is fixed, so a failure here is reproducible; raise CASES (or change
SEED) locally to search further.
"""

from __future__ import annotations

import copy
import json
import random
import shutil
import subprocess

import pytest
import yaml

SEED = 20261128
CASES = 60  # per kind of input; about 15 s in all
DOCUMENTED = {0, 1, 2, 3}

# Single-line YAML put in place of a value: what YAML can say that JSON cannot.
YAML_SNIPPETS = [
    ".nan", ".inf", "-.inf", "1.0e+999", "1e999", "2026-01-31", "2026-01-31T12:00:00Z", "!!binary aGVsbG8=",
    "!!set {a, b}", "!!python/object:os.system x", "*undefined", "&a [*a]", "{? [a, b]: 1}", "{1: x, 2: y}",
    "[" * 80 + "]" * 80, "9" * 5000, "0x1F", "0o17", "~", "''", "'a\\nb'", '"\\u0000"', "!!str", "&x", "- a",
    "[&b [lol, lol, lol], *b, *b, *b]",
]


def _bomb(levels: int) -> str:
    expr = "&a0 [" + ",".join(["lol"] * 9) + "]"
    for i in range(1, levels):
        expr = f"&a{i} [{expr}" + f",*a{i - 1}" * 8 + "]"
    return expr


def _deep(rng: random.Random, depth: int):
    value = rng.choice([1, "x", None])
    for _ in range(depth):
        value = [value] if rng.random() < 0.5 else {"k": value}
    return value


def _value(rng: random.Random):
    """A random value of a random JSON or Python type."""
    return rng.choice([
        lambda: None, lambda: rng.choice([True, False]), lambda: rng.randint(-10**6, 10**6),
        lambda: rng.choice([10**18, -10**18, 2**63, 10**400]), lambda: rng.uniform(-1e6, 1e6),
        lambda: rng.choice([float("nan"), float("inf"), -float("inf"), 1e308, 5e-324, -0.0]),
        lambda: "", lambda: "x" * rng.choice([1, 100, 100_000]), lambda: "a\nb\rc\x00",
        lambda: rng.choice(["0s", "5m", "30m1h", "99999y", "1h30m", "-5m", "$job", "${x:csv}", "up{", "é🚨"]),
        lambda: [_value(rng) for _ in range(rng.randint(0, 3))],
        lambda: {rng.choice(["a", "critical", "for", "uid", "panels"]): _value(rng) for _ in range(rng.randint(0, 3))},
        lambda: _deep(rng, rng.choice([10, 70, 200])),
    ])()


def _alike(rng: random.Random, value):
    """A random value of the same type as ``value``: what passes a schema
    and reaches the code behind it."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return rng.choice([0, 1, -1, 39, 42, 64, 10**9, 10**18, 2**63 - 1])
    if isinstance(value, float):
        return rng.choice([0.0, 5e-324, 1e-9, 0.5, 0.999999, 1.0, 2.0, 1e15, 1e300, float("nan"), float("inf")])
    if isinstance(value, str):
        return rng.choice(["", " ", "x" * 2000, "a\nb", '"}', 'job="x"', 'job=~"a|b",x!~"', "{", "é🚨", "$job",
                           "0s", "1ms", "1s", "292y", "30m1h", "1h30m", "now-99999y", "-", "_", "a" * 41, value])
    if isinstance(value, list):
        return rng.choice([[], value * 3, value[:1], [_alike(rng, v) for v in value]])
    if isinstance(value, dict):
        return {k: _alike(rng, v) if rng.random() < 0.3 else v for k, v in value.items()}
    return value


def _paths(value, path=()):
    """Every path to a value inside ``value``, containers included."""
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def _set(data, path, value):
    if not path:
        return value
    target = data
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return data


def _get(data, path):
    for p in path:
        data = data[p]
    return data


def _mutate(rng: random.Random, data, marker=None, alike=0.0):
    """``data`` with one to three random places replaced (by ``marker`` once,
    when given): by a value of the same type with probability ``alike``,
    else of any type."""
    data = copy.deepcopy(data)
    for i in range(rng.randint(1, 3)):
        path = rng.choice(list(_paths(data)))
        value = _alike(rng, _get(data, path)) if rng.random() < alike else _value(rng)
        data = _set(data, path, marker if (marker and i == 0) else value)
    return data


def check_outcome(args, code, out, err, what):
    """A documented exit code, no traceback, and a failure said in one line
    (the last on stderr; progress and warnings may come before it)."""
    context = (args, code, err[-3000:], what[:500])
    assert code in DOCUMENTED, context
    assert "Traceback" not in err + out, context
    lines = err.strip().splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("tb-dash: error: ")]
    assert all(len(line) <= 1100 for line in lines), context
    assert errors in ([], [len(lines) - 1]), context
    if code == 2 or (code == 1 and args[0] != "validate"):
        assert errors or (code == 2 and lines and lines[-1].startswith("Error:")), context


@pytest.fixture(scope="module")
def settings_base(cfg):
    return json.loads(json.dumps(dict(cfg.raw)))  # every key the settings have, as plain data


def _settings_text(rng: random.Random, base) -> str:
    roll = rng.random()
    if roll < 0.1:
        place = rng.choice(["dashboards:\n  tags: ", "thresholds:\n  error_ratio: ", "validate:\n  exclude: "])
        return place + _bomb(rng.choice([3, 6, 9])) + "\n"
    if roll < 0.3:
        text = yaml.safe_dump(_mutate(rng, base, "@@RAW@@"), sort_keys=False, allow_unicode=True)
        return text.replace("'@@RAW@@'", rng.choice(YAML_SNIPPETS)).replace("@@RAW@@", rng.choice(YAML_SNIPPETS))
    section = rng.choice([k for k, v in base.items() if isinstance(v, dict)])
    return yaml.safe_dump({section: _mutate(rng, base[section], alike=0.8)}, sort_keys=False, allow_unicode=True)


def promtool_accepts(directory) -> None:
    """What rules wrote (exit 0) is what Prometheus loads: never `> nan`,
    never a duration it cannot parse."""
    if shutil.which("promtool") is None:
        return
    files = sorted(str(p) for p in directory.glob("*.rules.yml"))
    done = subprocess.run(["promtool", "check", "rules", *files], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_fuzzed_settings_end_in_a_documented_exit_code_and_one_line(tb, tmp_path, settings_base):
    rng = random.Random(SEED)
    commands = [("validate",), ("render", "--out", str(tmp_path / "d")), ("rules", "--out", str(tmp_path / "r"))]
    for case in range(CASES):
        text = _settings_text(rng, settings_base)
        settings = tmp_path / f"s{case}.yaml"
        settings.write_text(text, encoding="utf-8", errors="surrogatepass")
        args = (*commands[case % len(commands)], "--config", str(settings))
        code, out, err = tb(*args)
        check_outcome(args, code, out, err, text)
        if args[0] == "rules" and code == 0:
            promtool_accepts(tmp_path / "r")


def test_a_content_package_the_settings_name_but_nobody_has_is_a_settings_error(tb, tmp_path):
    """Found by this fuzz: rules imported content.dashboards (to link each
    alert to its panel) without the settings error import_content gives."""
    (tmp_path / "s.yaml").write_text("content:\n  dashboards: " + "x" * 2000 + "\n")
    code, out, err = tb("rules", "--out", tmp_path / "r", "--config", tmp_path / "s.yaml")
    assert code == 2
    assert err.startswith("tb-dash: error: content.dashboards: no module named 'xxx")
    assert len(err.strip().splitlines()) == 1 and len(err) < 400


@pytest.fixture(scope="module")
def dashboard_base(rendered):
    return json.loads(json.dumps(rendered["tb-overview"].data))


JSON_SNIPPETS = ["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "9" * 5000, "[" * 3000 + "]" * 3000,
                 '{"a": ' * 150 + "1" + "}" * 150, '"\\ud800"', "1.5e308", "-0", "[1,]", "{'a': 1}", "undefined"]


def _dashboard_text(rng: random.Random, base) -> str:
    if rng.random() < 0.3:
        return json.dumps(_mutate(rng, base, "@@RAW@@")).replace('"@@RAW@@"', rng.choice(JSON_SNIPPETS))
    return json.dumps(_mutate(rng, base, alike=0.7))  # NaN and Infinity as Python writes them


def test_fuzzed_dashboard_json_ends_in_a_documented_exit_code_and_one_line(tb, tmp_path, dashboard_base):
    rng = random.Random(SEED + 1)
    for case in range(CASES):
        directory = tmp_path / f"c{case}"
        directory.mkdir()
        text = _dashboard_text(rng, dashboard_base)
        (directory / "d.json").write_text(text, encoding="utf-8", errors="surrogatepass")
        args = ("validate", str(directory), "--format", rng.choice(["text", "json"]))
        check_outcome(args, *tb(*args), text)
