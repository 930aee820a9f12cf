"""Known vulnerabilities in the pinned requirements (pip-audit against PyPI's advisory data).

Fails on any known vulnerability that is not listed in IGNORED below with the reason it does
not apply. A package the vulnerability service cannot look up is reported, not failed: an
offline or mirrored index (this CI machine's) knows none of the pinned versions, and a green
run must not pretend they were checked.
"""

from __future__ import annotations

import json
import subprocess
import sys

# {"PYSEC-... / GHSA-...": "why it does not apply to PaySim"}; none today.
IGNORED: dict[str, str] = {}


def main() -> int:
    args = [
        sys.executable, "-m", "pip_audit", "-r", "requirements.txt", "--no-deps",
        "--disable-pip", "--progress-spinner", "off", "--format", "json",
    ]  # fmt: skip
    for vuln_id in IGNORED:
        args += ["--ignore-vuln", vuln_id]
    run = subprocess.run(args, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit could not run (exit {run.returncode}):\n{run.stderr[-2000:]}")
        print("audit: NOT CHECKED (the vulnerability service did not answer)")
        return 0
    deps = report["dependencies"]
    skipped = [d for d in deps if d.get("skip_reason")]
    found = [(d["name"], d["version"], v["id"]) for d in deps for v in d.get("vulns", [])]
    for name, version, vuln_id in found:
        print(f"VULNERABLE {name} {version}: {vuln_id}")
    audited = len(deps) - len(skipped)
    print(
        f"audit: {len(deps)} pinned packages, {audited} audited, {len(skipped)} unknown to the "
        f"vulnerability service, {len(found)} known vulnerabilities, {len(IGNORED)} ignored"
    )
    if skipped and not audited:
        print("audit: NOT CHECKED (the index this machine uses is a mirror the service cannot see)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
