"""Hostile input that passed the checks of names: Python's ``$`` also
matches before a final newline, so ``pwn\\n`` passed every uid, Kubernetes
name and settings pattern and then named a file or broke a manifest.
Patterns are matched whole (``fullmatch`` or ``\\Z``, JSON Schema's too),
and the settings refuse control and bidi characters before the schema."""

from __future__ import annotations

import json
import jsonschema
import pytest

from emulated import TOKEN, client, emu  # noqa: F401 (fixtures)
from test_cli_push import one_line
from test_pull import SEARCH, files, seed
from tonebridge_dash import compiled
from tonebridge_dash.targets import kubernetes as k8s
from tonebridge_dash.lint.rules import rule_uid_format
from tonebridge_dash.lint.view import Dashboard
from tonebridge_dash.dashboard.render import problem_of
from tonebridge_dash.errors import SettingsError, TbDashError
from tonebridge_dash.grafana.pull import check_uid
from tonebridge_dash.model import Rendered
from tonebridge_dash.settings import SCHEMA_PATH, from_mapping

TAILS = ["\n", "\r\n", "\n\n"]


# --- uids ------------------------------------------------------------------------
@pytest.mark.parametrize("tail", TAILS)
def test_a_uid_with_a_trailing_newline_is_refused_everywhere(tail):
    uid = "nluid" + tail
    with pytest.raises(TbDashError, match="not a valid dashboard uid"):
        check_uid(uid)
    rendered = Rendered(uid, "T", {"uid": uid, "title": "T", "panels": [], "schemaVersion": 39})
    assert "is not valid for Grafana" in problem_of(rendered)  # render writes no nluid\n.json
    issues = list(rule_uid_format(Dashboard(uid, "T", {"uid": uid}, [])))
    assert issues and "not valid for Grafana" in issues[0].message
    assert not list(rule_uid_format(Dashboard("nluid", "T", {"uid": "nluid"}, [])))


def test_pull_refuses_a_uid_with_a_newline_from_grafana(tb, emu, client, tmp_path):
    seed(client, 2)
    emu.rewrite(SEARCH, lambda hits: [{**h, "uid": "pwn\n"} if h["uid"] == "d01" else h for h in hits])
    code, out, err = tb("pull", "--grafana-url", emu.url, "--all", env={"GRAFANA_TOKEN": TOKEN})
    assert code == 2 and "which is not a valid uid; refused" in one_line(err)
    assert files(tmp_path) == []  # no pwn\n.json


# --- Kubernetes names ---------------------------------------------------------------
def _configmap(**meta):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok", **meta}, "data": {"a.json": "{}"}}


@pytest.mark.parametrize("doc, expected", [
    (_configmap(name="grafana\n"), "metadata.name"),
    (_configmap(namespace="monitoring\n"), "metadata.namespace"),
    (_configmap(labels={"app\n": "x"}), "label key"),
    (_configmap(labels={"example.com\n/app": "x"}), "label key"),
    (_configmap(labels={"app": "x\n"}), "label 'app'"),
    (_configmap(annotations={"note\n": "x"}), "annotation key"),
    ({**_configmap(), "data": {"a.json\n": "{}"}}, "data: key"),
    ({"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard",
      "metadata": {"name": "uid\n", "annotations": {"grafana.app/folder": "ops"}}, "spec": {}}, "metadata.name"),
    ({"apiVersion": "dashboard.grafana.app/v1beta1", "kind": "Dashboard",
      "metadata": {"name": "uid", "annotations": {"grafana.app/folder": "ops\n"}}, "spec": {}}, "folder"),
])
def test_a_kubernetes_name_with_a_trailing_newline_is_a_problem(doc, expected):
    found = k8s.problems(doc)
    assert any(expected in p for p in found), found


def test_the_same_names_without_the_newline_are_fine():
    assert k8s.problems(_configmap(namespace="monitoring", labels={"example.com/app": "x"})) == []


def test_jsonschema_patterns_end_at_the_end_of_the_text():
    """What the settings' and the manifests' schemas are checked with."""
    validator = compiled.end_anchored(jsonschema.Draft7Validator)({"type": "string", "pattern": "^[a-z]+$"})
    assert validator.is_valid("ops") and not validator.is_valid("ops\n")
    assert jsonschema.Draft7Validator({"pattern": "^[a-z]+$"}).is_valid("ops\n")  # why: Python's $


def _schema_patterns():
    """Every pattern of the settings schema that says how a value ends (the
    others, a prefix such as ``^https?://``, meet the control character check)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.append(node["pattern"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    return sorted(p for p in set(found) if p.endswith("$"))


@pytest.mark.parametrize("pattern", _schema_patterns())
def test_no_settings_pattern_lets_a_final_newline_through(pattern):
    validator = compiled.end_anchored(jsonschema.Draft7Validator)({"pattern": pattern})
    for sample in ("a", "ops", "30s", "https://x.example", "/var", "a.b", "x_1", ""):
        if validator.is_valid(sample):
            assert not validator.is_valid(sample + "\n"), (pattern, sample)


# --- settings ------------------------------------------------------------------------
@pytest.mark.parametrize("raw, key", [
    ({"grafana": {"folder": {"uid": "ops\n"}}}, "grafana.folder.uid"),
    ({"grafana": {"folder": {"title": "Ops\x1b]0;owned\x07"}}}, "grafana.folder.title"),
    ({"kubernetes": {"namespace": "monitoring\n"}}, "kubernetes.namespace"),
    ({"kubernetes": {"labels": {"team": "ops\n"}}}, "kubernetes.labels.team"),
    ({"kubernetes": {"labels": {"team\n": "ops"}}}, "kubernetes.labels.team\\n"),
    ({"kubernetes": {"alertmanager": {"secret_name": "am\n"}}}, "kubernetes.alertmanager.secret_name"),
    ({"dashboards": {"uid_prefix": "tb\n"}}, "dashboards.uid_prefix"),
    ({"alerts": {"interval": "1m\n"}}, "alerts.interval"),
    ({"provisioning": {"path": "/var/lib/dash\n"}}, "provisioning.path"),
    ({"grafana": {"url": "https://grafana.example\n"}}, "grafana.url"),
    ({"validate": {"exclude": [{"rule": "uid-format", "reason": "see \u202eelif"}]}}, "validate.exclude[0].reason"),
    ({"grafana": {"folder": {"title": "a\x85b"}}}, "grafana.folder.title"),
    ({"grafana": {"folder": {"title": "a\x7fb"}}}, "grafana.folder.title"),
])
def test_settings_refuse_control_and_bidi_characters_naming_the_key(raw, key):
    with pytest.raises(SettingsError) as e:
        from_mapping(raw, "tb-dash.yaml")
    message = e.value.message
    assert message.startswith(f"tb-dash.yaml: key '{key}': ") and "control character U+" in message
    assert "\n" not in message and "\x1b" not in message and "\u202e" not in message


def test_a_tab_and_plain_unicode_are_fine_in_settings():
    cfg = from_mapping({"grafana": {"folder": {"title": "Équipe\tops — 監視"}}})
    assert cfg.grafana.folder.title == "Équipe\tops — 監視"


def test_rules_for_prometheus_operator_refuse_a_secret_name_with_a_newline(tb, tmp_path):
    """The reported case: exit 0 and a Secret whose YAML did not parse."""
    (tmp_path / "tb-dash.yaml").write_text('kubernetes: {alertmanager: {secret_name: "am\\n"}}\n')
    r = tb("rules", "--target", "prometheus-operator", "--out", "out")
    assert r.code == 2, r.err
    assert r.err.splitlines() == ["tb-dash: error: tb-dash.yaml: key 'kubernetes.alertmanager.secret_name': "
                                     "the value holds the control character U+000A (not allowed in settings)"]
    assert not (tmp_path / "out").exists()


def _patterns_ending_in_dollar():
    """Every regular expression the engine compiles whose pattern ends in a
    bare ``$`` (not escaped, no MULTILINE): each would pass a final newline."""
    import ast
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "tonebridge_dash"
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("compile", "match", "search",
                                                                                       "fullmatch")):
                continue
            if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
                continue
            pattern = node.args[0].value
            flags = ast.unparse(node.args[1]) if len(node.args) > 1 else ""
            flags += "".join(ast.unparse(k.value) for k in node.keywords if k.arg == "flags")
            if "MULTILINE" in flags or "re.M" in flags.split("|"):
                continue
            if re.search(r"(?<!\\)\$\)*$|(?<!\\)\$\)*\|", pattern) and not pattern.rstrip(")$").endswith(r"\s*"):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {pattern}")
    return found


def test_no_engine_pattern_lets_a_final_newline_through():
    """The class, not the examples: a pattern anchored with ``$`` matches
    ``name\\n`` too; ``\\Z`` (or ``fullmatch`` without ``$``) does not."""
    assert _patterns_ending_in_dollar() == []
