"""The nginx configuration that puts several PaySim instances behind one address.

    python -m deploy.proxy --server 10.0.0.11:3000 --server 10.0.0.12:3000 \
        --name my.paysim.ru --certificate /etc/ssl/paysim.pem --key /etc/ssl/paysim.key \
        [--static /srv/paysim/client] > /etc/nginx/conf.d/paysim.conf

Without --static every request goes to the instances (each `make prod` serves the frontend and
the backend on one port). With --static nginx serves the built frontend from that folder (a copy
of .web/build/client built with PAYSIM_PUBLIC_URL set to the public address) and the instances
may run backend-only. The template is deploy/paysim.nginx.conf.template; tests/e2e/
test_two_instances.py renders it with `render` and runs it in front of two instances.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("paysim.nginx.conf.template")
_SERVER = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")  # host:port, [v6]:port
_NAME = re.compile(r"^[A-Za-z0-9.\-_ *]+$")

STATIC = """    # the built frontend, served from here: a page's path without a file of its own gets the
    # app's shell (404.html), which routes in the browser
    root {root};
    gzip_static on;
    location / {{
        try_files $uri $uri.html $uri/index.html /404.html;
    }}"""

PROXIED = """    # every instance serves the frontend too (`make prod`)
    location / {
        proxy_pass http://paysim_app;
    }"""


def _path(value: str, what: str) -> str:
    if not value or any(c in value for c in ";{}\"'\n") or not value.startswith("/"):
        raise ValueError(f"{what}: an absolute path without ; {{ }} or quotes, not {value!r}")
    if any(c.isspace() for c in value):
        raise ValueError(f"{what}: a path without spaces, not {value!r}")
    return value


def render(
    servers: list[str],
    *,
    listen: list[str] | tuple[str, ...] = ("443", "[::]:443"),
    server_name: str = "_",
    certificate: str,
    certificate_key: str,
    static_root: str | None = None,
    fail_timeout: int = 10,
) -> str:
    """The configuration for these instances ("host:port" each), as the template has it."""
    if not servers:
        raise ValueError("at least one instance (--server host:port)")
    for server in servers:
        if not _SERVER.match(server):
            raise ValueError(f"an instance is host:port, not {server!r}")
    for address in listen:
        if not _SERVER.match(address) and not address.isdigit():
            raise ValueError(f"listen on a port or host:port, not {address!r}")
    if not _NAME.match(server_name):
        raise ValueError(f"bad server name {server_name!r}")
    upstreams = "\n".join(
        f"    server {s} max_fails=1 fail_timeout={int(fail_timeout)}s;" for s in servers
    )
    frontend = STATIC.format(root=_path(static_root, "--static")) if static_root else PROXIED
    values = {
        "UPSTREAM_SERVERS": upstreams,
        "LISTEN": "\n".join(f"    listen {a} ssl;" for a in listen),
        "SERVER_NAME": server_name,
        "CERTIFICATE": _path(certificate, "--certificate"),
        "CERTIFICATE_KEY": _path(certificate_key, "--key"),
        "FRONTEND": frontend,
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.proxy", description=__doc__)
    parser.add_argument("--server", action="append", required=True, help="an instance, host:port")
    parser.add_argument("--listen", action="append", help="port or host:port (default 443)")
    parser.add_argument("--name", default="_", help="server_name (the public host)")
    parser.add_argument("--certificate", required=True, help="TLS certificate chain (PEM)")
    parser.add_argument("--key", required=True, help="its private key (PEM)")
    parser.add_argument("--static", help="serve the built frontend from this folder")
    args = parser.parse_args(argv)
    try:
        text = render(
            args.server,
            listen=args.listen or ("443", "[::]:443"),
            server_name=args.name,
            certificate=args.certificate,
            certificate_key=args.key,
            static_root=args.static,
        )
    except ValueError as exc:
        parser.error(str(exc))
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
