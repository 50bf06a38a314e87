"""ansible/ checked without a host: lint, syntax, the roles site.yml names, and the files the roles
would install, rendered from the example inventory and checked by the tools that read them.

The real deployment (a fresh host container, HTTPS, reboot, second apply) is tests/deployment,
run by scripts/test-deployment.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from haven_hub.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[3]
ANSIBLE = ROOT / "ansible"
BIN = Path(sys.executable).parent
RENDER = Path(__file__).with_name("render.yml")
UNITS = ("haven-hub.service", "haven-firewall.service", "haven-backup.service", "haven-backup.timer")


def ansible_tool(name: str) -> str:
    tool = BIN / name
    if not tool.exists():
        pytest.fail(f"{name} is not installed in {BIN}: pip install -c requirements.lock -e '.[deploy]'")
    return str(tool)


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = {"PATH": f"{BIN}:/usr/sbin:/usr/bin:/sbin:/bin", "ANSIBLE_CONFIG": str(ANSIBLE / "ansible.cfg"),
           "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": kwargs.pop("tmp", "/tmp"), "HOME": "/root",
           "LANG": "C.UTF-8"}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, **kwargs)


def directives(text: str) -> list[str]:
    """A config file's lines without comments (a commented-out line must not pass for one)."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def example_vars() -> dict:
    inventory = yaml.safe_load((ANSIBLE / "inventory.example.yml").read_text())
    return dict(inventory["haven"]["vars"])


TEST_SECRETS = {"haven_vault_cookie_secret": "ab" * 32, "haven_vault_operator_api_token": "cd" * 32}
# One render.yml run (ansible's start-up is most of its cost) over three hosts, each a case:
# the example inventory, the same with a mistyped setting, and the same without the vault.
CASES = {
    "example": {**example_vars(), **TEST_SECRETS},
    "bad-setting": {**example_vars(), **TEST_SECRETS, "haven_settings": {"hub": {"public_prot": 8000}}},
    "no-vault": example_vars(),
}


@pytest.fixture(scope="module")
def rendering(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """render.yml run once over CASES; each case's files are in its own folder."""
    tmp = tmp_path_factory.mktemp("deploy-render")
    hosts = {}
    for name, variables in CASES.items():
        (tmp / name).mkdir()
        # Host vars win over role defaults, as the inventory's group vars do in site.yml.
        hosts[name] = {**variables, "render_dir": str(tmp / name)}
    inventory = tmp / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"haven": {"hosts": hosts}}))
    result = run([ansible_tool("ansible-playbook"), "-i", str(inventory), str(RENDER), "--forks", "3",
                  "--tags", "preflight,render"], tmp=str(tmp))
    return tmp, result


@pytest.fixture(scope="module")
def rendered(rendering) -> Path:
    tmp, result = rendering
    assert re.search(r"^example\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0 ", result.stdout, re.M), (
        result.stdout + result.stderr)
    return tmp / "example"


def test_every_role_named_by_site_yml_exists_and_every_role_is_named():
    play = yaml.safe_load((ANSIBLE / "site.yml").read_text())[0]
    named = [entry["role"] for entry in play["roles"]]
    present = sorted(path.name for path in (ANSIBLE / "roles").iterdir() if path.is_dir())
    assert len(named) == len(set(named))
    assert sorted(named) == present
    for role in present:
        assert (ANSIBLE / "roles" / role / "tasks" / "main.yml").is_file(), role


def test_ansible_lint_passes_the_production_profile():
    # The playbook (and through it every role) and the examples an operator copies.
    result = run([ansible_tool("ansible-lint"), "site.yml", "inventory.example.yml", "vault.example.yml"],
                 cwd=ANSIBLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


def test_the_playbook_passes_ansible_syntax_check():
    result = run([ansible_tool("ansible-playbook"), "-i", "inventory.example.yml", "--syntax-check", "site.yml"],
                 cwd=ANSIBLE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_templated_settings_file_is_accepted_by_havens_loader(rendered):
    settings = load_settings(rendered / "haven.yaml")
    # What the roles decide: listeners on loopback behind nginx, the proxy the role installs.
    assert settings.hub.public_ip == "127.0.0.1"
    assert settings.hub.proxy_command == ["/opt/haven/proxy/node_modules/.bin/configurable-http-proxy"]
    # What the inventory says, merged over it.
    assert settings.auth.kind == "oidc"
    assert settings.egress.required_approvals == 2
    assert [account.name for account in settings.auth.accounts] == ["admin", "checker1", "checker2"]


def test_a_bad_setting_in_the_inventory_is_refused_naming_the_key(rendering):
    tmp, _ = rendering
    # The role's template task validates with this same loader and keeps the old file.
    with pytest.raises(SettingsError, match="hub.public_prot"):
        load_settings(tmp / "bad-setting" / "haven.yaml")


def test_without_vault_secrets_the_play_stops_before_changing_anything(rendering):
    tmp, result = rendering
    assert "must be set in an Ansible Vault file" in result.stdout
    assert list((tmp / "no-vault").iterdir()) == []
    assert (tmp / "bad-setting" / "haven.yaml").exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_every_systemd_unit_passes_systemd_analyze_verify(rendered, tmp_path):
    # A root holding the units, systemd's own units they refer to, and stand-ins for the
    # programs they run (verify checks that each command is executable).
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    (root / "etc/systemd/system").mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(rendered / unit, root / "etc/systemd/system" / unit)
    for unit in UNITS:
        for line in (rendered / unit).read_text().splitlines():
            if line.startswith("Exec"):
                program = root / line.split("=", 1)[1].split()[0].lstrip("/")
                program.parent.mkdir(parents=True, exist_ok=True)
                program.write_text("#!/bin/sh\n")
                program.chmod(0o755)
    result = subprocess.run(["systemd-analyze", "verify", f"--root={root}",
                             *(f"/etc/systemd/system/{unit}" for unit in UNITS)],
                            capture_output=True, text=True, timeout=60)
    # verify reports unknown keys and bad values on stderr and still exits 0.
    assert result.returncode == 0 and result.stderr == "", result.stderr
    hub = directives((rendered / "haven-hub.service").read_text())
    assert "Restart=on-failure" in hub and "WantedBy=multi-user.target" in hub


@pytest.mark.skipif(shutil.which("nft") is None, reason="nft is not installed here")
def test_the_host_firewall_rules_parse_and_open_only_the_listed_ports(rendered):
    result = subprocess.run(["nft", "-c", "-f", str(rendered / "haven-firewall.nft")],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0 and "Operation not permitted" in result.stderr:
        pytest.skip("nft -c needs CAP_NET_ADMIN")
    assert result.returncode == 0, result.stderr
    rules = directives((rendered / "haven-firewall.nft").read_text())
    assert "type filter hook input priority filter + 10; policy drop;" in rules
    assert "tcp dport { 22, 80, 443 } accept" in rules
    # The hub API and egress ports are not opened to the outside here.
    assert not any("8081" in rule or "8082" in rule for rule in rules)


def test_the_tls_front_redirects_http_sets_hsts_and_proxies_websockets(rendered):
    site = directives((rendered / "haven.conf").read_text())
    assert "return 301 https://$host$request_uri;" in site
    assert 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;' in site
    assert "ssl_certificate /etc/haven/tls/haven.example.org.crt;" in site
    assert "proxy_set_header Upgrade $http_upgrade;" in site
    assert "proxy_pass http://127.0.0.1:8000;" in site


def test_logs_are_rotated_and_metrics_are_scraped_with_the_token_file(rendered):
    rotation = directives((rendered / "haven.logrotate").read_text())
    assert rotation[0] == "/var/lib/haven/logs/*.log {" and "daily" in rotation
    scrape = yaml.safe_load((rendered / "haven-scrape.yml").read_text())
    job = scrape["scrape_configs"][0]
    assert job["metrics_path"] == "/hub/metrics"
    assert job["authorization"]["credentials_file"] == "/etc/haven/prometheus/metrics-token"
