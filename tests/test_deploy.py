"""The deployment files, read as Kubernetes, Compose, Prometheus and Grafana would read them:
the StatefulSet's pods run every shard exactly once (through `run`'s own option parsing), secrets
come from the Secret, the probes ask /healthz on the metrics port, a stop fits in the grace
period; the Compose monitoring profile scrapes the bot and provisions the dashboard, whose every
query names metrics the bot exports (read from bot/metrics.py's registry)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import metrics
from bot.cli import STOP_DEADLINE_S, build_parser, shard_options
from bot.config import Settings
from bot.fish.admission import AdmissionGate
from bot.gateway import IDENTIFY_MARGIN_S, IDENTIFY_WINDOW_S
from bot.shards import processes_needed
from bot.storage.db import normalize_database_url

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "deploy" / "kubernetes"


def kubernetes_objects() -> dict[str, dict[str, Any]]:
    objects = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            objects[f"{document['kind']}/{document['metadata']['name']}"] = document
    return objects


@pytest.fixture(scope="module")
def objects() -> dict[str, dict[str, Any]]:
    return kubernetes_objects()


@pytest.fixture(scope="module")
def statefulset(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return objects["StatefulSet/fishbot"]


def container(statefulset: dict[str, Any]) -> dict[str, Any]:
    (only,) = statefulset["spec"]["template"]["spec"]["containers"]
    return only


def env(statefulset: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container(statefulset)["env"]}


def test_kustomization_applies_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text(encoding="utf-8"))
    files = {path.name for path in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def test_the_pods_run_every_shard_exactly_once(statefulset: dict[str, Any]) -> None:
    """Each pod's shards as `run` itself derives them: the container's arguments through the real
    parser, the index from the pod's host name (<statefulset>-<ordinal>)."""
    args = build_parser().parse_args(container(statefulset)["args"])
    assert args.command == "run" and args.shard_ids is None
    replicas = statefulset["spec"]["replicas"]
    assert replicas == processes_needed(args.shard_count, args.shards_per_process)
    name = statefulset["metadata"]["name"]
    ran: list[int] = []
    for ordinal in range(replicas):
        pod = build_parser().parse_args(container(statefulset)["args"])
        with pytest.MonkeyPatch.context() as patch:
            patch.delenv("FISHBOT_PROCESS_INDEX", raising=False)
            patch.setattr("socket.gethostname", lambda ordinal=ordinal: f"{name}-{ordinal}")
            options = shard_options(pod)
        assert options["shard_count"] == args.shard_count
        ran += options["shard_ids"]
    assert ran == list(range(args.shard_count))


def test_the_pod_index_comes_from_the_pod_index_label(statefulset: dict[str, Any]) -> None:
    field = env(statefulset)["FISHBOT_PROCESS_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert field == "metadata.labels['apps.kubernetes.io/pod-index']"
    # Started together: the IDENTIFY turns come from PostgreSQL, not from the start order.
    assert statefulset["spec"]["podManagementPolicy"] == "Parallel"


def test_secrets_come_from_the_secret_the_readme_creates(statefulset: dict[str, Any]) -> None:
    variables = env(statefulset)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    create = re.search(r"kubectl create secret generic (\S+)((?:.|\\\n)*?)\n(?!\s)", readme)
    assert create is not None, "README: the kubectl create secret command"
    for name in ("DISCORD_TOKEN", "FISH_API_KEY", "DATABASE_URL"):
        assert "value" not in variables[name], f"{name} must not be written into the manifest"
        ref = variables[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == create.group(1)
        assert f"--from-literal={ref['key']}=" in create.group(2)


def test_postgresql_is_an_external_service_the_database_url_names(objects: dict[str, dict[str, Any]]) -> None:
    service = objects["Service/fishbot-postgres"]
    assert service["spec"]["type"] == "ExternalName" and service["spec"]["externalName"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    url = re.search(r"--from-literal=DATABASE_URL='([^']+)'", readme)
    assert url is not None
    assert "@fishbot-postgres:5432/" in normalize_database_url(url.group(1))


def test_probes_ask_healthz_on_the_metrics_server(statefulset: dict[str, Any]) -> None:
    spec = container(statefulset)
    variables = env(statefulset)
    port = int(variables["FISHBOT_METRICS__PORT"]["value"])
    assert variables["FISHBOT_METRICS__HOST"]["value"] == "0.0.0.0"  # the kubelet asks from outside the pod
    ports = {p["name"]: p["containerPort"] for p in spec["ports"]}
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        get = spec[probe]["httpGet"]
        assert get["path"] == "/healthz"
        assert ports[get["port"]] == port


def test_the_startup_probe_waits_for_every_identify_turn(statefulset: dict[str, Any]) -> None:
    """/healthz answers once the pod's shards are connected; the last pod may wait for every
    shard's turn in one bucket (max_concurrency 1), after start-up's own retries."""
    args = build_parser().parse_args(container(statefulset)["args"])
    startup = container(statefulset)["startupProbe"]
    allowed = startup["periodSeconds"] * startup["failureThreshold"]
    retries = Settings.model_fields["startup_retry_s"].default
    assert allowed >= retries + args.shard_count * (IDENTIFY_WINDOW_S + IDENTIFY_MARGIN_S)


def test_a_stop_fits_in_the_grace_period(statefulset: dict[str, Any]) -> None:
    # `run` ends at the latest STOP_DEADLINE_S after SIGTERM, finished or not.
    assert statefulset["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > STOP_DEADLINE_S


def test_a_disruption_budget_covers_the_pods(objects: dict[str, dict[str, Any]],
                                             statefulset: dict[str, Any]) -> None:
    budget = objects["PodDisruptionBudget/fishbot"]
    labels = statefulset["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["maxUnavailable"] == 1
    service = objects["Service/fishbot"]
    assert service["spec"]["clusterIP"] == "None" and statefulset["spec"]["serviceName"] == "fishbot"
    assert service["spec"]["selector"].items() <= labels.items()


# --- Compose, Prometheus, Grafana ------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path → host path of a service's bind mounts (named volumes left out)."""
    found = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("./"):
            found[target] = ROOT / source
    return found


def test_the_monitoring_profile_scrapes_the_bot(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "profiles" not in services["bot"]  # `docker compose up` alone starts what it did
    for name in ("prometheus", "grafana"):
        assert services[name]["profiles"] == ["monitoring"]
    bot_env = services["bot"]["environment"]
    assert bot_env["FISHBOT_METRICS__HOST"] == "0.0.0.0"  # reachable from the Prometheus container
    config_path = mounts(services["prometheus"])["/etc/prometheus/prometheus.yml"]
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    targets = [t for job in config["scrape_configs"] for c in job["static_configs"] for t in c["targets"]]
    assert targets == [f"bot:{bot_env['FISHBOT_METRICS__PORT']}"]


def grafana_files(compose: dict[str, Any]) -> tuple[dict[str, Any], list[Path]]:
    """The provisioned datasource, and the dashboard files Grafana loads."""
    volumes = mounts(compose["services"]["grafana"])
    provisioning = volumes["/etc/grafana/provisioning"]
    (datasource,) = yaml.safe_load(
        (provisioning / "datasources" / "prometheus.yaml").read_text(encoding="utf-8"))["datasources"]
    (provider,) = yaml.safe_load(
        (provisioning / "dashboards" / "fishbot.yaml").read_text(encoding="utf-8"))["providers"]
    dashboards = sorted(volumes[provider["options"]["path"]].glob("*.json"))
    assert dashboards
    return datasource, dashboards


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard(compose: dict[str, Any]) -> None:
    datasource, dashboards = grafana_files(compose)
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    for path in dashboards:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        for panel in dashboard["panels"]:
            if panel["type"] != "row":
                assert panel["datasource"]["uid"] == datasource["uid"], panel["title"]


# PromQL words that are not metric names.
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "offset", "bool",
                   "and", "or", "unless"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers left after removing strings, label
    matchers, grouping label lists and ranges, that are not function calls or keywords."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        if expr[match.end():].lstrip().startswith("(") or match.group(0) in PROMQL_KEYWORDS:
            continue
        names.add(match.group(0))
    return names


def test_metric_names_are_read_from_promql() -> None:
    expr = 'histogram_quantile(0.95, sum by (le) (rate(a_bucket{job="x"}[5m]))) / on (instance) b or c'
    assert metric_names(expr) == {"a_bucket", "b", "c"}


def exported_series(monkeypatch: pytest.MonkeyPatch) -> tuple[set[str], set[str]]:
    """(metric families, series names) in bot/metrics.py's registry, as the exposition names them."""
    monkeypatch.setattr(metrics.LIVE, "balance", 1.0)  # the credit gauge appears once it is known
    gate = AdmissionGate(5)  # the slot gauges appear once the Fish client has its gate
    families, series = set(), set()
    for family in metrics.REGISTRY.collect():
        families.add(family.name)
        suffixes = {"counter": ("_total",),
                    "histogram": ("_bucket", "_sum", "_count")}.get(family.type, ("",))
        series |= {family.name + suffix for suffix in suffixes}
    metrics.LIVE.gates.discard(gate)
    return families, series


def test_every_panel_queries_metrics_the_bot_exports(compose: dict[str, Any],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    families, series = exported_series(monkeypatch)
    _datasource, dashboards = grafana_files(compose)
    used: set[str] = set()
    for path in dashboards:
        dashboard = json.loads(path.read_text(encoding="utf-8"))
        panels = [panel for panel in dashboard["panels"] if panel["type"] != "row"]
        assert panels
        for panel in panels:
            assert panel["targets"], panel["title"]
            for target in panel["targets"]:
                names = metric_names(target["expr"])
                assert names, (panel["title"], target["expr"])
                assert names <= series, (panel["title"], names - series)
                used |= names
    # …and every metric the bot exports is on the dashboard.
    assert {family for family in families if not any(name.startswith(family) for name in used)} == set()
