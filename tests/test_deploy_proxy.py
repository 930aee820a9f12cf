"""deploy/proxy.py: the nginx configuration for several app instances behind one address
(tests/e2e/test_two_instances.py runs it in front of two real instances)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from deploy.proxy import main, render
from tests.messaging.conftest import _certificates

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def test_the_configuration_names_both_instances_and_upgrades_the_socket():
    text = render(
        ["10.0.0.11:3000", "10.0.0.12:3000"],
        server_name="my.paysim.ru",
        certificate="/etc/ssl/paysim.pem",
        certificate_key="/etc/ssl/paysim.key",
    )
    assert "server 10.0.0.11:3000 max_fails=1" in text and "server 10.0.0.12:3000" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_next_upstream error timeout" in text
    assert "listen 443 ssl;" in text and "server_name my.paysim.ru;" in text
    assert "{{" not in text and "root " not in text  # no static folder: all proxied


@pytest.mark.skipif(
    not Path(NGINX).exists(), reason="nginx is not installed (apt-get install nginx)"
)
def test_nginx_accepts_the_configuration(tmp_path):
    main_conf, site = tmp_path / "nginx.conf", tmp_path / "site.conf"
    _ca, cert, key = _certificates(tmp_path)
    site.write_text(
        render(
            ["127.0.0.1:3001", "127.0.0.1:3002"],
            listen=["127.0.0.1:8443"],
            certificate=cert,
            certificate_key=key,
            static_root=str(tmp_path),
        )
    )
    main_conf.write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\n"
        f"events {{}}\nhttp {{ include {site}; }}\n"
    )
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(main_conf), "-p", str(tmp_path), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize(
    "servers, kwargs",
    [
        ([], {}),
        (["10.0.0.11"], {}),  # no port
        (["10.0.0.11:3000; evil"], {}),
        (["10.0.0.11:3000"], {"static_root": "relative/path"}),
        (["10.0.0.11:3000"], {"static_root": "/srv/x; include /etc/passwd"}),
        (["10.0.0.11:3000"], {"certificate": "/etc/ssl/a.pem\n}"}),
        (["10.0.0.11:3000"], {"static_root": "/srv/with space"}),
        (["10.0.0.11:3000"], {"certificate_key": ""}),
        (["10.0.0.11:3000"], {"server_name": "a;b"}),
        (["10.0.0.11:3000"], {"listen": ["443; evil"]}),
    ],
)
def test_bad_values_are_refused(servers, kwargs):
    values = {"certificate": "/etc/ssl/a.pem", "certificate_key": "/etc/ssl/a.key", **kwargs}
    with pytest.raises(ValueError):
        render(servers, **values)


def test_the_command_line_writes_the_configuration(capsys):
    args = ["--server", "10.0.0.11:3000", "--server", "10.0.0.12:3000", "--name", "my.paysim.ru"]
    args += ["--certificate", "/etc/ssl/p.pem", "--key", "/etc/ssl/p.key"]
    assert main([*args, "--static", "/srv/paysim/client"]) == 0
    out = capsys.readouterr().out
    assert "root /srv/paysim/client;" in out and "try_files $uri" in out
    with pytest.raises(SystemExit):
        main(["--server", "nope", "--certificate", "/a", "--key", "/b"])
    assert "an instance is host:port" in capsys.readouterr().err
