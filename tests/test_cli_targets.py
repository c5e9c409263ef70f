"""render --target and rules --target prometheus-operator at the command
line: the files each writes, the choices in --help, --check, one line and
exit code for what is refused, a Secret with credentials only from the
environment."""

from __future__ import annotations

import os
import subprocess
import sys

import yaml

from tonebridge_dash.cli.dashboards import Target
from tonebridge_dash.targets.dashboards import TARGETS


def run(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "tonebridge_dash", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


def test_the_help_lists_every_target():
    assert tuple(t.value for t in Target) == TARGETS
    r = run("render", "--help")
    assert "json|provisioning|configmap|operator|resource" in r.stdout
    r = run("rules", "--help")
    assert "files|prometheus-operator" in r.stdout


def test_render_writes_each_target_into_its_own_directory(tmp_path):
    for target in ("provisioning", "configmap", "operator", "resource"):
        r = run("render", "--target", target, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert f"for {target} to build/{target}" in r.stderr
    assert (tmp_path / "build" / "operator" / "tb-overview.yaml").is_file()
    assert (tmp_path / "build" / "provisioning" / "tonebridge" / "tb-overview.json").is_file()
    doc = yaml.safe_load((tmp_path / "build" / "configmap" / "tb-slo.yaml").read_text())
    assert doc["kind"] == "ConfigMap"
    assert not (tmp_path / "build" / "dashboards").exists()


def test_render_check_says_whether_the_manifests_are_current(tmp_path):
    out = str(tmp_path / "op")
    assert run("render", "--target", "operator", "--out", out).returncode == 0
    assert run("render", "--target", "operator", "--out", out, "--check").returncode == 0
    (tmp_path / "op" / "tb-overview.yaml").write_text("changed\n")
    r = run("render", "--target", "operator", "--out", out, "--check")
    assert r.returncode == 1 and "tb-overview.yaml" in r.stdout


def test_render_json_is_still_the_default(tmp_path):
    r = run("render", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "tb-overview.json").is_file()


def test_an_unknown_target_is_a_usage_error(tmp_path):
    r = run("render", "--target", "helm", "--out", str(tmp_path))
    assert r.returncode == 2 and "helm" in r.stderr and "Traceback" not in r.stderr


def test_a_manifest_kubernetes_would_refuse_is_one_line_and_exit_1(tmp_path):
    (tmp_path / "tb-dash.yaml").write_text("dashboards: {uid_prefix: TB_}\n", encoding="utf-8")
    r = run("render", "--target", "resource", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("tb-dash: error: dashboard 'TB_") and "DNS-1123" in lines[-1]
    assert "Traceback" not in r.stderr and not (tmp_path / "out").exists()
