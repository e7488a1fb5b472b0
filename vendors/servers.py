"""Installing, starting and stopping the servers of vendors/: the mechanics, no policy.

Installs go into a cache folder (one per server: a venv, or npm's node_modules) and are
skipped when the same install was done before. A server is started in a process group of
its own, under coreutils `timeout` (so it dies even if this script is killed), bound to
127.0.0.1, and stopped by that group's id, never by a name.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from vendors.entry import Vendor, VendorError, fill

WHEELS = Path.home() / ".cache" / "oaiconform-wheels"  # e.g. a llama-cpp-python built once
_MARKER = "installed.json"


def prefix_of(vendor: Vendor, cache: Path) -> Path:
    return cache / vendor.name


def _run(command: list[str], log: Path, env: dict[str, str]) -> None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        done = subprocess.run(
            command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}, check=False
        )
    if done.returncode != 0:
        raise VendorError(f"install step failed (exit {done.returncode}); see {log}")


def install(vendor: Vendor, cache: Path) -> bool:
    """Install unless the same install is there; True when it installed now."""
    prefix = prefix_of(vendor, cache)
    marker = prefix / _MARKER
    fingerprint = vendor.install.fingerprint()
    if marker.is_file() and json.loads(marker.read_text()).get("install") == fingerprint:
        return False
    prefix.mkdir(parents=True, exist_ok=True)
    log = prefix / "install.log"
    values = {"wheels": str(WHEELS), "prefix": str(prefix)}
    env = {k: fill(v, values, {}) for k, v in vendor.install.env.items()}
    if vendor.install.pip or vendor.install.pip_no_deps:
        venv = prefix / "venv"
        if not (venv / "bin" / "python").exists():
            _run([sys.executable, "-m", "venv", str(venv)], log, env)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
        if vendor.install.pip:
            _run([*pip, *(fill(p, values, {}) for p in vendor.install.pip)], log, env)
        if vendor.install.pip_no_deps:
            _run([*pip, "--no-deps", *vendor.install.pip_no_deps], log, env)
    if vendor.install.npm:
        _run(["npm", "install", "--prefix", str(prefix), *vendor.install.npm], log, env)
    marker.write_text(json.dumps({"install": fingerprint, "version": vendor.version}) + "\n")
    return True


def _site_packages(venv: Path) -> str:
    if not (venv / "bin" / "python").exists():
        return ""
    done = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import sysconfig;print(sysconfig.get_paths()['purelib'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@dataclass
class Running:
    vendor: Vendor
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Stop its process group (the server and what it spawned), by id only."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start(
    vendor: Vendor,
    cache: Path,
    key: str,
    others: dict[str, dict[str, str]],
    spec: str,
    logs: Path,
    limit_s: int,
) -> Running:
    """Start it and wait until it is ready; VendorError (and nothing left running) if not."""
    prefix = prefix_of(vendor, cache)
    values = {
        "venv": str(prefix / "venv"),
        "prefix": str(prefix),
        "site": _site_packages(prefix / "venv"),
        "here": str(vendor.here),
        "port": str(vendor.port),
        "key": key,
        "base_url": vendor.base_url,
        "spec": spec,
        "wheels": str(WHEELS),
    }
    command = [fill(part, values, others) for part in vendor.start]
    env = {**os.environ, **{k: fill(v, values, others) for k, v in vendor.env.items()}}
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{vendor.name}.server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["timeout", str(limit_s), *command],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=prefix,
            start_new_session=True,
        )
    running = Running(vendor, process, log)
    try:
        _wait_ready(running, key)
    except VendorError:
        running.stop()
        raise
    return running


def _wait_ready(running: Running, key: str) -> None:
    vendor = running.vendor
    url = vendor.base_url + vendor.ready_path
    deadline = time.monotonic() + vendor.ready_timeout_s
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            tail = running.log.read_text(errors="replace").splitlines()[-3:]
            raise VendorError(f"{vendor.name} exited before it was ready: {' / '.join(tail)}")
        try:
            answer = httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=3)
            if vendor.ready_status is None or answer.status_code == vendor.ready_status:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise VendorError(f"{vendor.name} not ready at {url} within {vendor.ready_timeout_s:g} s")
