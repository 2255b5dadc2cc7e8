"""The deploy artefacts, checked without Docker or Kubernetes: docker-compose.yml, deploy/Dockerfile
and deploy/k8s/*.yaml parse, run modules that exist, use only settings Lazo reads, probe the right
port and paths; and the image's entry points run from what the image holds (only the files its
.dockerignore lets in), against a real broker and database.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import uuid
from importlib.util import find_spec
from pathlib import Path

import httpx
import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from shared.events import Topic
from shared.settings import SERVICES, Settings
from ops.embedded_broker import EmbeddedBroker, free_port
from tests.harness import drop_schemas
from tests.support import poll

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / "deploy" / "Dockerfile.dockerignore"
K8S = ROOT / "deploy" / "k8s"

# Every name Settings reads from the environment.
SETTINGS_ENV = Settings.env_names()
# What else Lazo's image may be given: the Python runtime's and pip's own switches.
RUNTIME_ENV = frozenset(
    {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_CACHE_DIR"}
)
# Third-party images configured through their documented variables.
THIRD_PARTY_ENV = {
    "apache/kafka": lambda name: name.startswith("KAFKA_") or name == "CLUSTER_ID",
    "postgres": lambda name: name in {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"},
}
PYTHON_M = re.compile(r"\bpython -m ([\w.]+)")
# What compose requires from the environment or .env, beyond Lazo's settings: secrets with no default.
COMPOSE_REQUIRED = frozenset({"POSTGRES_PASSWORD"})
ENV_EXAMPLE = ROOT / ".env.example"
PASSTHROUGH = re.compile(r"\$\{(\w+)(:?[-?])?([^}]*)\}")


def runnable(module: str) -> bool:
    """`python -m module` would run: a module, or a package with a __main__."""
    spec = find_spec(module)
    if spec is None:
        return False
    return not spec.submodule_search_locations or find_spec(f"{module}.__main__") is not None


def modules_run_by(command: list[str] | str) -> list[str]:
    text = command if isinstance(command, str) else " ".join(command)
    return PYTHON_M.findall(text)


def port_of(module: str) -> int | None:
    name = module.removeprefix("services.")
    return Settings().port_of(name) if name in SERVICES else None


# --- docker-compose.yml ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())  # PyYAML resolves the `<<:` merges as compose does


def lazo_services(compose: dict) -> dict[str, dict]:
    return {name: s for name, s in compose["services"].items() if s.get("build", {}).get("dockerfile")}


def test_compose_runs_real_modules(compose):
    services = lazo_services(compose)
    assert set(services) >= {"setup", *SERVICES}
    for name, service in services.items():
        modules = modules_run_by(service["command"])
        assert modules, f"{name}: no `python -m` in its command {service['command']}"
        for module in modules:
            assert runnable(module), f"{name}: `python -m {module}` would not run"
    assert modules_run_by(services["setup"]["command"]) == ["ops.provision", "ops.migrate"]


def test_compose_env_names_are_settings_or_the_images_own(compose):
    for name, service in compose["services"].items():
        env = service.get("environment", {})
        assert isinstance(env, dict), f"{name}: environment as a mapping"
        if name in lazo_services(compose):
            unknown = set(env) - SETTINGS_ENV - RUNTIME_ENV
        else:
            image = service["image"].split(":")[0]
            unknown = {n for n in env if not THIRD_PARTY_ENV[image](n)}
        assert not unknown, f"{name}: variables nothing reads: {sorted(unknown)}"
        # ${VAR:-default} passes the host's value through: it must be a setting too, or a secret
        # compose requires.
        for value in map(str, env.values()):
            for passed in re.findall(r"\$\{(\w+)", value):
                assert passed in SETTINGS_ENV | COMPOSE_REQUIRED, f"{name}: passes through unknown {passed}"


def test_compose_publishes_no_broker_or_database_and_has_no_default_password(compose):
    """Kafka (unauthenticated here) and PostgreSQL stay on compose's network; every password comes
    from the environment or .env, required, never a default written in the file."""
    for name, service in compose["services"].items():
        if name not in lazo_services(compose):
            assert not service.get("ports"), f"{name} is published on the host: {service['ports']}"
    kafka = compose["services"]["kafka"]["environment"]
    assert "localhost" not in kafka["KAFKA_ADVERTISED_LISTENERS"]
    assert set(kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].replace(",", " ").split()) == {
        "PLAINTEXT:PLAINTEXT",
        "CONTROLLER:PLAINTEXT",
    }, "a PLAINTEXT listener beyond the services' own"
    text = COMPOSE.read_text()
    required = {m.group(1) for m in PASSTHROUGH.finditer(text) if m.group(2) == ":?"}
    assert required == COMPOSE_REQUIRED
    for name, service in compose["services"].items():
        for key, value in service.get("environment", {}).items():
            value = str(value)
            if "PASSWORD" in key:
                assert PASSTHROUGH.fullmatch(value) and PASSTHROUGH.fullmatch(value).group(2) == ":?", (name, key)
            if key == "DATABASE_URL":
                password = value.split("://", 1)[1].split("@", 1)[0].split(":", 1)[1]
                assert PASSTHROUGH.fullmatch(password).group(1) == "POSTGRES_PASSWORD", (name, value)
            for passed in PASSTHROUGH.finditer(value):
                secret = passed.group(1) in COMPOSE_REQUIRED or "KEY" in passed.group(1)
                if secret and passed.group(2) == ":-":
                    assert passed.group(3) == "", f"{name}: {key} defaults {passed.group(1)} to a value"
    # .env.example names what must be set; .env itself is never committed.
    example = {
        line.split("=", 1)[0].lstrip("# ").strip() for line in ENV_EXAMPLE.read_text().splitlines() if "=" in line
    }
    assert COMPOSE_REQUIRED <= example
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_compose_healthchecks_probe_readyz_on_each_service_port(compose):
    for name, service in lazo_services(compose).items():
        if name == "setup":
            continue
        port = port_of(modules_run_by(service["command"])[0])
        published = [str(p).rsplit(":", 1)[-1] for p in service["ports"]]
        assert published == [str(port)], f"{name}: the container port is {port}"
        probe = " ".join(service["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/readyz" in probe, f"{name}: healthcheck {probe}"


def test_compose_has_two_scoring_replicas_in_one_group(compose):
    scoring = {n: s for n, s in lazo_services(compose).items() if modules_run_by(s["command"]) == ["services.scoring"]}
    assert len(scoring) == 2
    # Same settings (hence the same consumer group, database schema and topics); different host ports.
    first, second = scoring.values()
    assert first["environment"] == second["environment"]
    assert first["ports"] != second["ports"]


def test_compose_limits_resources_and_orders_start_up(compose):
    for name, service in compose["services"].items():
        limits = service.get("deploy", {}).get("resources", {}).get("limits", {})
        assert {"cpus", "memory"} <= set(limits), f"{name}: no resource limits"
    for name, service in lazo_services(compose).items():
        if name == "setup":
            assert service["restart"] == "no"
            continue
        assert service["depends_on"]["setup"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert "healthcheck" in service, f"{name}: no healthcheck"
    kafka = compose["services"]["kafka"]["environment"]
    assert kafka["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"  # only `setup` creates topics


# --- deploy/Dockerfile -------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1].strip())
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for op, rest in dockerfile_instructions():
        if op == "ENV":
            env.update(pair.split("=", 1) for pair in rest.split())
    return env


def image_context() -> list[str]:
    """What the build context holds: the .dockerignore ignores everything (`*`) but its `!` lines."""
    lines = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    assert "*" in lines
    return [line[1:].rstrip("/") for line in lines if line.startswith("!")]


def test_dockerfile_runs_a_real_module_as_a_non_root_user():
    instructions = dockerfile_instructions()
    cmd = json.loads(next(rest for op, rest in reversed(instructions) if op == "CMD"))
    assert cmd[:2] == ["python", "-m"] and runnable(cmd[2])
    user = next(rest for op, rest in reversed(instructions) if op == "USER")
    assert user.split(":")[0].isdigit() and int(user.split(":")[0]) > 0, "USER numeric and not root"
    unknown = set(dockerfile_env()) - SETTINGS_ENV - RUNTIME_ENV
    assert not unknown, f"ENV names nothing reads: {sorted(unknown)}"
    context = set(image_context())
    for op, rest in instructions:
        if op == "COPY" and not rest.startswith("--from"):
            for source in rest.split()[:-1]:
                assert source.rstrip("/") in context, f"COPY {source}: not in the build context"
                assert (ROOT / source).exists()


# --- deploy/k8s --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests() -> dict[str, list[dict]]:
    return {path.name: [d for d in yaml.safe_load_all(path.read_text()) if d] for path in sorted(K8S.glob("*.yaml"))}


def objects(manifests: dict[str, list[dict]], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for docs in manifests.values() for d in docs if d["kind"] == kind}


def containers(pod_spec: dict) -> list[dict]:
    return [*pod_spec.get("initContainers", []), *pod_spec["containers"]]


def test_k8s_manifests_are_complete_and_namespaced(manifests):
    kustomization = manifests["kustomization.yaml"][0]
    assert sorted(kustomization["resources"]) == sorted(
        n for n in manifests if n not in ("kustomization.yaml", "secret.example.yaml")
    )
    for name, docs in manifests.items():
        for doc in docs:
            assert doc.get("apiVersion") and doc.get("kind"), name
            if doc["kind"] not in ("Namespace", "Kustomization"):
                assert doc["metadata"]["namespace"] == "lazo", f"{name}: {doc['kind']} outside the namespace"
    assert set(objects(manifests, "Deployment")) == set(SERVICES)
    assert objects(manifests, "Deployment")["scoring"]["spec"]["replicas"] == 2


def mounted(manifests: dict[str, list[dict]]) -> set[str]:
    """ConfigMaps and Secrets mounted as files (a CA certificate), not read as settings."""
    pods = [d["spec"]["template"]["spec"] for kind in ("Deployment", "Job") for d in objects(manifests, kind).values()]
    return {
        v.get("secret", {}).get("secretName") or v.get("configMap", {}).get("name")
        for pod in pods
        for v in pod.get("volumes", [])
    } - {None}


def test_k8s_config_names_only_settings(manifests):
    config = objects(manifests, "ConfigMap")
    secrets = objects(manifests, "Secret")
    files = mounted(manifests)
    for kind, found in (("ConfigMap", config), ("Secret", secrets)):
        for name, obj in found.items():
            if name in files:
                continue
            keys = set(obj.get("data", {})) | set(obj.get("stringData", {}))
            assert keys and not keys - SETTINGS_ENV, f"{kind} {name}: {sorted(keys - SETTINGS_ENV)}"
    pods = [
        d["spec"]["template"]["spec"]
        for d in [*objects(manifests, "Deployment").values(), *objects(manifests, "Job").values()]
    ]
    for pod in pods:
        for c in containers(pod):
            refs = c.get("envFrom", [])
            assert {r["configMapRef"]["name"] for r in refs if "configMapRef" in r} <= set(config)
            assert {r["secretRef"]["name"] for r in refs if "secretRef" in r} <= set(secrets)
            assert not {e["name"] for e in c.get("env", [])} - SETTINGS_ENV - RUNTIME_ENV


def test_k8s_pods_reach_kafka_over_tls_each_as_its_own_principal(manifests):
    config = objects(manifests, "ConfigMap")
    secrets = objects(manifests, "Secret")
    principals = {}
    for kind in ("Deployment", "Job"):
        for name, obj in objects(manifests, kind).items():
            pod = obj["spec"]["template"]["spec"]
            for c in containers(pod):
                env: dict[str, str] = {}
                for ref in c.get("envFrom", []):
                    if "configMapRef" in ref:
                        env.update(config[ref["configMapRef"]["name"]]["data"])
                    else:
                        env.update(secrets[ref["secretRef"]["name"]]["stringData"])
                settings = Settings(**{k: v for k, v in env.items() if k != "DATABASE_URL"})
                assert settings.kafka_security_protocol == "SASL_SSL", name
                assert settings.kafka_sasl_mechanism.startswith("SCRAM-"), name
                principals.setdefault(settings.kafka_sasl_username, set()).add(name)
                ca = str(settings.kafka_ssl_cafile)
                mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
                volume = mounts.get(ca.rsplit("/", 1)[0])
                assert volume, f"{name}: {ca} is not mounted"
                source = next(v for v in pod["volumes"] if v["name"] == volume)["secret"]["secretName"]
                assert ca.rsplit("/", 1)[1] in secrets[source]["stringData"], name
    # One principal per workload (the ACLs are per service); the setup Job's containers share one.
    assert len(principals) == len(SERVICES) + 1 and all(len(users) == 1 for users in principals.values())
    plan = (ROOT / "docs" / "operations.md").read_text()
    assert all(f"`{user}`" in plan for user in principals), "docs/operations.md: an ACL per principal"


def test_k8s_pods_run_real_modules_as_non_root(manifests):
    var_dir = dockerfile_env()["LAZO_VAR_DIR"]
    jobs = objects(manifests, "Job")
    job_modules = [
        m
        for job in jobs.values()
        for c in containers(job["spec"]["template"]["spec"])
        for m in modules_run_by(c["command"])
    ]
    assert job_modules == ["ops.provision", "ops.migrate"]
    for kind in ("Deployment", "Job"):
        for name, obj in objects(manifests, kind).items():
            pod = obj["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["runAsUser"] > 0
            for c in containers(pod):
                assert all(runnable(m) for m in modules_run_by(c["command"])), f"{name}: {c['command']}"
                assert {"cpu", "memory"} <= set(c["resources"]["requests"]), f"{name}/{c['name']}: requests"
                assert {"cpu", "memory"} <= set(c["resources"]["limits"]), f"{name}/{c['name']}: limits"
                assert c["securityContext"]["allowPrivilegeEscalation"] is False
                if c["securityContext"].get("readOnlyRootFilesystem"):
                    # var/ must stay writable (dev key, generated secrets key)
                    assert var_dir in {m["mountPath"] for m in c.get("volumeMounts", [])}, name


def test_k8s_probes_and_services_use_each_service_port(manifests):
    services = objects(manifests, "Service")
    for name, deployment in objects(manifests, "Deployment").items():
        pod = deployment["spec"]["template"]
        (container,) = pod["spec"]["containers"]
        assert modules_run_by(container["command"]) == [f"services.{name}"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"http": port_of(name)}, f"{name}: the process listens on {port_of(name)}"

        def target(probe: dict) -> tuple[str, int]:
            port = probe["httpGet"]["port"]
            return probe["httpGet"]["path"], ports.get(port, port)

        assert target(container["livenessProbe"]) == ("/healthz", port_of(name))
        assert target(container["readinessProbe"]) == ("/readyz", port_of(name))
        assert target(container["startupProbe"]) == ("/healthz", port_of(name))
        service = services[name]
        assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
        assert deployment["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
        (port,) = service["spec"]["ports"]
        assert port["port"] == port_of(name) and ports.get(port["targetPort"], port["targetPort"]) == port_of(name)


# --- docs/operations.md --------------------------------------------------------------------------


def test_the_topic_plan_covers_every_topic():
    plan = (ROOT / "docs" / "operations.md").read_text()
    missing = [t for t in Topic.ALL if f"`{t}`" not in plan]
    assert not missing, f"docs/operations.md does not plan {missing}"


# --- the image's entry points, run from what the image holds ---------------------------------


@pytest.fixture
def image(tmp_path):
    """A stand-in for the image: only the build context's files on PYTHONPATH, an empty working
    directory (the image's /app), and the Dockerfile's ENV, on a real broker and database."""
    site, app = tmp_path / "site", tmp_path / "app"
    app.mkdir()
    for entry in image_context():
        source = ROOT / entry
        if source.is_dir():
            shutil.copytree(source, site / entry, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            site.mkdir(exist_ok=True)
            shutil.copy(source, site / entry)
    broker = EmbeddedBroker(log_path=str(tmp_path / "broker.log")).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAZO_") and k != "DATABASE_URL"}
    env.update(dockerfile_env())
    prefix = f"d{uuid.uuid4().hex[:8]}_"
    env.update(
        {
            "PYTHONPATH": str(site),
            "LAZO_HOST": "127.0.0.1",
            "LAZO_VAR_DIR": str(app / "var"),
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "LAZO_KAFKA_IDEMPOTENCE": "false",
            "LAZO_KAFKA_PARTITIONS": "3",
            "LAZO_SCHEMA_PREFIX": prefix,
            "LAZO_LOG_LEVEL": "WARNING",
        }
    )
    database_url = os.environ.get("TEST_DATABASE_URL")
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update({f"LAZO_{name.upper()}_PORT": str(free_port()) for name in SERVICES})
    try:
        yield {"site": site, "app": app, "env": env, "bootstrap": broker.bootstrap}
    finally:
        broker.stop()
        if database_url:
            drop_schemas(database_url, prefix)


def run_in(image: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=image["app"], env=image["env"], capture_output=True, text=True, timeout=timeout
    )


async def topic_settings(bootstrap: str) -> tuple[dict[str, int], dict[str, str]]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = await admin.describe_topics(list(Topic.ALL))
        configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, Topic.PROGRAMS)])
    finally:
        await admin.close()
    partitions = {t["topic"]: len(t["partitions"]) for t in topics}
    entries = configs[0].resources[0][4]
    return partitions, {e[0]: e[1] for e in entries}


async def test_the_images_entry_points_run(image):
    found = run_in(image, "-c", "import shared, services; print(shared.__file__, services.__path__[0])")
    assert found.returncode == 0, found.stderr
    assert all(p.startswith(str(image["site"])) for p in found.stdout.split()), found.stdout

    # compose's and the Job's one-shots: topics (and the shared dev key, no keys being set), schemas
    provision = run_in(image, "-m", "ops.provision")
    assert provision.returncode == 0, provision.stdout + provision.stderr
    key = (image["app"] / "var" / "api-key").read_text().strip()
    partitions, programs = await topic_settings(image["bootstrap"])
    assert partitions == {t: 3 for t in Topic.ALL}
    assert programs.get("cleanup.policy") == "compact"
    migrate = run_in(image, "-m", "ops.migrate")
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    assert migrate.stdout.count("migrated") == len(SERVICES)

    # the four services, as the image's CMD and the manifests start them
    procs = {}
    logs = {name: open(image["app"] / f"{name}.log", "wb") for name in SERVICES}
    try:
        for name in SERVICES:
            procs[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"],
                cwd=image["app"],
                env=image["env"],
                stdout=logs[name],
                stderr=subprocess.STDOUT,
            )
        async with httpx.AsyncClient(timeout=5) as client:
            for name in SERVICES:
                base = f"http://127.0.0.1:{image['env'][f'LAZO_{name.upper()}_PORT']}"

                async def ready() -> bool:
                    assert procs[name].poll() is None, (image["app"] / f"{name}.log").read_text()
                    try:
                        return (await client.get(f"{base}/readyz")).status_code == 200
                    except httpx.HTTPError:
                        return False

                await poll(ready, timeout=90, interval=0.2, what=f"{name} ready")
                assert (await client.get(f"{base}/healthz")).status_code == 200
            # the key provision generated is the one the services accept
            scoring = f"http://127.0.0.1:{image['env']['LAZO_SCORING_PORT']}"
            missing = await client.get(
                f"{scoring}/v1/customers/nobody-{uuid.uuid4().hex[:6]}", headers={"Authorization": f"Bearer {key}"}
            )
            assert missing.status_code == 404, missing.text
        for proc in procs.values():  # SIGTERM, as docker stop and Kubernetes send it
            proc.send_signal(signal.SIGTERM)
        for name, proc in procs.items():
            # uvicorn shuts down, then re-raises the signal: the exit status says "terminated".
            code = proc.wait(30)
            log = (image["app"] / f"{name}.log").read_text()
            assert code in (0, -signal.SIGTERM) and "Traceback" not in log, f"{name} exited {code}:\n{log}"
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for log in logs.values():
            log.close()
