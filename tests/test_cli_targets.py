"""render --target and rules --target prometheus-operator at the command
line: the files each writes, the choices in --help, --check, one line and
exit code for what is refused, a Secret with credentials only from the
environment."""

from __future__ import annotations

import yaml

from tonebridge_dash.cli.dashboards import Target
from tonebridge_dash.targets.dashboards import TARGETS


def test_the_help_lists_every_target(tb):
    assert tuple(t.value for t in Target) == TARGETS
    r = tb("render", "--help")
    assert "json|provisioning|configmap|operator|resource" in r.out
    r = tb("rules", "--help")
    assert "files|prometheus-operator" in r.out


def test_render_writes_each_target_into_its_own_directory(tb, tmp_path):
    for target in ("provisioning", "configmap", "operator", "resource"):
        r = tb("render", "--target", target)
        assert r.code == 0, r.err
        assert f"for {target} to build/{target}" in r.err
    assert (tmp_path / "build" / "operator" / "tb-overview.yaml").is_file()
    assert (tmp_path / "build" / "provisioning" / "dashboards" / "tonebridge" / "tb-overview.json").is_file()
    doc = yaml.safe_load((tmp_path / "build" / "configmap" / "tb-slo.yaml").read_text())
    assert doc["kind"] == "ConfigMap"
    assert not (tmp_path / "build" / "dashboards").exists()


def test_render_check_says_whether_the_manifests_are_current(tb, tmp_path):
    out = str(tmp_path / "op")
    assert tb("render", "--target", "operator", "--out", out).code == 0
    assert tb("render", "--target", "operator", "--out", out, "--check").code == 0
    (tmp_path / "op" / "tb-overview.yaml").write_text("changed\n")
    r = tb("render", "--target", "operator", "--out", out, "--check")
    assert r.code == 1 and "tb-overview.yaml" in r.out


def test_render_json_is_still_the_default(tb, tmp_path):
    r = tb("render", "--out", tmp_path)
    assert r.code == 0, r.err
    assert (tmp_path / "tb-overview.json").is_file()


def test_an_unknown_target_is_a_usage_error(tb, tmp_path):
    r = tb("render", "--target", "helm", "--out", tmp_path)
    assert r.code == 2 and "helm" in r.err and "Traceback" not in r.err


def test_a_manifest_kubernetes_would_refuse_is_one_line_and_exit_1(tb, tmp_path):
    (tmp_path / "tb-dash.yaml").write_text("dashboards: {uid_prefix: TB_}\n", encoding="utf-8")
    r = tb("render", "--target", "resource", "--out", tmp_path / "out")
    assert r.code == 1, r.err
    lines = r.err.strip().splitlines()
    assert lines[-1].startswith("tb-dash: error: dashboard 'TB_") and "DNS-1123" in lines[-1]
    assert "Traceback" not in r.err and not (tmp_path / "out").exists()
