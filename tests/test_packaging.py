"""The project installs the way the README says: one list of dependencies, two quickstart commands."""

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _norm(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", req)
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def pyproject_deps() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + [r for extra in meta["optional-dependencies"].values() for r in extra]
    return dict(_norm(r) for r in reqs)


def conda_deps() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith("-e") or item.split("=")[0] in ("python", "pip"):
                continue
            out.update([_norm(item)])
    return out


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    assert conda_deps() == pyproject_deps()


def test_the_client_stack_is_declared():
    assert {"pandas", "matplotlib", "seaborn", "papermill", "nbconvert", "jupyterlab"} <= set(pyproject_deps())


def quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"## Quickstart\n(.*?)\n## ", readme, re.S).group(1)
    block = re.search(r"```(?:sh|bash)?\n(.*?)```", section, re.S).group(1)
    return [ln.split("#")[0].strip() for ln in block.splitlines() if ln.split("#")[0].strip()]


def test_readme_quickstart_is_two_commands_and_ci_runs_the_test_one():
    cmds = quickstart_commands()
    assert len(cmds) == 2, cmds
    ci = (ROOT / ".ci" / "run").read_text()
    test_cmd = next(c for c in cmds if "test" in c)
    assert test_cmd in ci


def test_make_help_documents_every_target():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    listed = set(re.findall(r"make (\S+)", out))
    declared = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))
    assert declared - {"help"} <= listed, declared - listed
