"""``haven k8s values``: the chart's values validate against the chart's published schema
(tests/fixtures/z2jh, chart 4.4.0), the objects beside them against the Kubernetes API."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from haven_cli import dispatch
from haven_hub.kubernetes import hub_config, values
from haven_hub.settings import parse_settings

from .conftest import KUBERNETES_VERSION

CHART = Path(__file__).parents[2] / "fixtures" / "z2jh"
SCHEMA = json.loads((CHART / "values.schema.json").read_text())
DEFAULTS = yaml.safe_load((CHART / "values.yaml").read_text())
DEPLOYMENT = values.Deployment(hub_image="registry.example/haven-hub:1.0", namespace="haven",
                               postgres_host="haven-postgresql")


def merged(defaults, given):
    """Helm's merge of a values file over the chart's defaults: maps merge, anything else replaces."""
    if isinstance(defaults, dict) and isinstance(given, dict):
        return {**defaults, **{key: merged(defaults.get(key), value) for key, value in given.items()}}
    return given


def chart_errors(chart_values) -> list[str]:
    """What helm install would refuse: the merged values checked against the chart's schema."""
    validator = jsonschema.Draft7Validator(SCHEMA)
    return [f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
            for error in validator.iter_errors(merged(DEFAULTS, chart_values))]


def test_the_values_validate_against_the_charts_schema_and_carry_havens_choices(settings):
    chart_values = values.values(settings, DEPLOYMENT)
    assert chart_errors(chart_values) == []
    hub = chart_values["hub"]
    assert hub["db"] == {"type": "postgres", "url": "postgresql+psycopg://haven@haven-postgresql:5432/jupyterhub"}
    assert {port["name"] for port in hub["service"]["extraPorts"]} == {"egress", "admin"}
    singleuser = chart_values["singleuser"]
    # The chart's own single-user policy (DNS, and the internet unless each rule is off) is not used.
    assert singleuser["networkPolicy"] == {"enabled": False}
    assert singleuser["cloudMetadata"] == {"blockWithIptables": False}
    assert singleuser["allowPrivilegeEscalation"] is False
    assert chart_values["cull"] == {"enabled": True, "timeout": 3600, "every": 300,
                                    "removeNamedServers": False, "users": False}


def test_the_schema_refuses_what_the_chart_does_not_know(settings):
    # The vendored schema bites: a misspelt key and a wrong type are both errors.
    chart_values = values.values(settings, DEPLOYMENT)
    chart_values["singleuser"]["networkPolicy"]["enabeld"] = True
    chart_values["cull"]["timeout"] = "an hour"
    errors = chart_errors(chart_values)
    assert any("enabeld" in error for error in errors) and any(error.startswith("cull.timeout") for error in errors)


def test_every_object_validates_against_the_kubernetes_api(settings):
    objects = values.objects(settings, DEPLOYMENT)
    for manifest in objects:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
    kinds = [(manifest["kind"], manifest["metadata"]["name"]) for manifest in objects]
    assert ("NetworkPolicy", "haven-project-demo") in kinds and ("NetworkPolicy", "haven-project-other") in kinds
    assert ("NetworkPolicy", "haven-singleuser-default-deny") in kinds and ("Role", "haven-hub-networkpolicies") in kinds
    secret = next(manifest for manifest in objects if manifest["kind"] == "Secret")
    deployed = parse_settings(yaml.safe_load(secret["stringData"]["haven.yaml"]))
    assert deployed.egress.database_url == "postgresql+psycopg://haven@haven-postgresql:5432/egress"


def test_a_hub_port_the_chart_does_not_use_is_refused(tmp_path):
    settings = parse_settings({"hub": {"data_dir": str(tmp_path), "api_port": 9081}})
    with pytest.raises(values.ValuesError, match="hub.api_port is 9081"):
        values.values(settings, DEPLOYMENT)


def test_the_hub_pod_runs_havens_configuration_on_havenkubespawner(settings, tmp_path):
    from haven_hub.bootstrap import ensure_secrets

    ensure_secrets(settings)
    c = hub_config.kube_configuration(settings, str(tmp_path / "haven.yaml"))
    assert c.JupyterHub.spawner_class == hub_config.SPAWNER_CLASS
    for section, owned in hub_config.CHART_OWNED.items():
        assert not owned & set(c[section]), section
    # The audit hooks and settings reach whichever engine's spawner (both have HavenProjectSpawner).
    assert callable(c.HavenProjectSpawner.pre_spawn_hook) and c.HavenProjectSpawner.haven_settings is not None
    assert "HavenSpawner" not in c
    services = {service["name"]: service for service in c.JupyterHub.services}
    assert "idle-culler" not in services  # the chart's culler runs instead
    assert services["egress"]["url"] == f"http://hub:{settings.egress.port}"


def test_haven_k8s_values_writes_both_files(settings, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(dispatch, "use_private_umask", lambda: None)
    settings_file = tmp_path / "haven.yaml"
    settings_file.write_text(yaml.safe_dump(settings.model_dump(mode="json")))
    out = tmp_path / "out"
    out.mkdir()
    argv = ["k8s", "values", "--settings", str(settings_file), "--out", str(out), "--hub-image", "hub:1",
            "--namespace", "haven", "--postgres-host", "db"]
    assert dispatch.main(argv) == 0
    assert chart_errors(yaml.safe_load((out / "values.yaml").read_text())) == []
    assert len(list(yaml.safe_load_all((out / "haven-objects.yaml").read_text()))) == 6
    assert dispatch.main([*argv[:-1], "--no-such-option"]) == 64
    missing = tmp_path / "missing"
    assert dispatch.main([*argv[:5], str(missing), *argv[6:]]) == 1
    assert "is not a directory" in capsys.readouterr().err
