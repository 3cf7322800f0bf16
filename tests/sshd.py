"""A real OpenSSH sshd on a free loopback port, for tests that need an SSH server.

Use `running_sshd(directory)` as a context manager, or the `sshd` fixture (import it into a test
module, or wrap `running_sshd` in a fixture of your own). The server runs as the current user with
its own config, host key and authorized_keys in `directory`; it can be killed (listener and session
processes, like a crashed or rebooted bastion) and started again on the same port.
"""

from __future__ import annotations

import getpass
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from resources.config import TunnelSettings

SSHD = Path("/usr/sbin/sshd")
PRIVSEP_DIR = Path("/run/sshd")
START_TIMEOUT_S = 10.0


def _keygen(path: Path, passphrase: str = "", comment: str = "timesync-test") -> str:
    """Generate an ed25519 key pair at `path`; return the public line ("ssh-ed25519 AAAA… comment")."""
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", comment, "-f", str(path)],
        check=True, capture_output=True, timeout=30,
    )
    return path.with_name(path.name + ".pub").read_text().strip()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int, depth: int | None = None) -> list[int]:
    """Descendants of `pid`, `depth` levels down or all (sessions retitle themselves: pgrep -f misses them)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (ppid) follows the parenthesised command name, which may itself contain spaces.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [(pid, 0)]
    while todo:
        parent, level = todo.pop()
        if depth is not None and level >= depth:
            continue
        for child in parents.get(parent, []):
            found.append(child)
            todo.append((child, level + 1))
    return found


def _kill_all(pids: set[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wait_gone(pids: set[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(Path(f"/proc/{pid}").exists() for pid in pids):
            return
        time.sleep(0.01)


def _pgrep(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@dataclass
class SshdServer:
    """One test sshd. Paths are absolute; `port` stays the same across `kill()`/`start()`."""

    root: Path
    port: int
    user: str
    host_public_key: str
    client_key: Path
    client_key_protected: Path
    passphrase: str = field(repr=False)
    known_hosts: Path
    wrong_known_hosts: Path
    unknown_known_hosts: Path
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(self.config)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"sshd exited with {self.process.returncode}; log:\n{self.log.read_text()[-3000:]}")
            if self._answers():
                return
            time.sleep(0.02)
        self.kill()
        pytest.fail(f"sshd did not accept on 127.0.0.1:{self.port} in {START_TIMEOUT_S}s; log:\n"
                    f"{self.log.read_text()[-3000:]}")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                return s.recv(8).startswith(b"SSH-")
        except OSError:
            return False

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL the listener and every session process (connections die without a goodbye)."""
        listeners: set[int] = set(_pgrep(str(self.config)))
        if self.process is not None:
            listeners.add(self.process.pid)
        # Deepest processes first, so each is reaped by its parent before that parent dies (orphans
        # would stay zombies where the container's init does not reap).
        levels = [listeners]
        while children := {child for pid in levels[-1] for child in _children(pid, depth=1)}:
            levels.append(children)
        for level in reversed(levels[1:]):
            _kill_all(level)
            _wait_gone(level, timeout=0.5)
        _kill_all(listeners)
        if self.process is not None:
            self.process.wait(timeout=10)
            self.process = None
        deadline = time.monotonic() + 5
        while self._answers() and time.monotonic() < deadline:
            time.sleep(0.02)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stall_sessions(self) -> list[int]:
        """SIGSTOP the session processes (a silent stall: no RST, the listener still accepts)."""
        pids = _children(self.process.pid) if self.process is not None else []
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
        return pids

    def resume(self, pids: list[int]) -> None:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass

    # --- client side ---------------------------------------------------------------------------

    def tunnel_settings(
        self,
        *,
        protected_key: bool = False,
        passphrase: str | None = None,
        known_hosts: Path | None = None,
        remote_host: str = "127.0.0.1",
        remote_port: int = 3306,
    ) -> TunnelSettings:
        """Settings for a tunnel through this sshd; by default the plain key and the right known_hosts."""
        if protected_key and passphrase is None:
            passphrase = self.passphrase
        return TunnelSettings(
            host="127.0.0.1",
            port=self.port,
            user=self.user,
            private_key_path=str(self.client_key_protected if protected_key else self.client_key),
            private_key_passphrase=passphrase,
            known_hosts=str(known_hosts or self.known_hosts),
            remote_host=remote_host,
            remote_port=remote_port,
        )

    def env(self, **overrides: str) -> dict[str, str]:
        """The SSH_* variables (USE_SSH_TUNNEL=true) for this sshd, plain key."""
        env = {
            "USE_SSH_TUNNEL": "true",
            "SSH_HOST": "127.0.0.1",
            "SSH_PORT": str(self.port),
            "SSH_USER": self.user,
            "SSH_PRIVATE_KEY_PATH": str(self.client_key),
            "SSH_KNOWN_HOSTS": str(self.known_hosts),
        }
        env.update(overrides)
        return env


def _write_config(root: Path, port: int) -> Path:
    config = root / "sshd_config"
    config.write_text(
        "\n".join([
            f"Port {port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {root / 'ssh_host_ed25519_key'}",
            f"PidFile {root / 'sshd.pid'}",
            f"AuthorizedKeysFile {root / 'authorized_keys'}",
            "UsePAM no",
            "StrictModes no",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "AllowTcpForwarding yes",
            "X11Forwarding no",
            "PrintMotd no",
            "LogLevel VERBOSE",
            "",
        ])
    )
    return config


def create_sshd(root: Path) -> SshdServer:
    """Keys, known_hosts files and config for a test sshd in `root` (not started yet)."""
    if not SSHD.exists():
        pytest.fail(f"{SSHD} is missing: the tunnel tests need a real OpenSSH server. "
                    "Run scripts/ensure_services.sh (it installs openssh-server).")
    try:
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    except PermissionError:
        pytest.fail(f"sshd needs its privilege separation directory {PRIVSEP_DIR}; create it as root "
                    "(scripts/ensure_services.sh)")
    root.mkdir(parents=True, exist_ok=True)
    host_pub = _keygen(root / "ssh_host_ed25519_key", comment="timesync-test-host")
    other_host_pub = _keygen(root / "other_host_ed25519_key", comment="timesync-test-other-host")
    client_pub = _keygen(root / "id_ed25519")
    passphrase = "pp-" + secrets.token_urlsafe(18)
    protected_pub = _keygen(root / "id_ed25519_protected", passphrase=passphrase)
    (root / "authorized_keys").write_text(f"{client_pub}\n{protected_pub}\n")

    port = _free_port()
    host_key = " ".join(host_pub.split()[:2])
    other_key = " ".join(other_host_pub.split()[:2])
    known_hosts = root / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key}\n")
    wrong = root / "known_hosts_wrong"
    wrong.write_text(f"[127.0.0.1]:{port} {other_key}\n")
    unknown = root / "known_hosts_unknown"
    # The right key, but filed under another port and another host: this server itself is unknown.
    other_port = port + 1 if port < 65535 else port - 1
    unknown.write_text(f"[127.0.0.1]:{other_port} {host_key}\nbastion.example {other_key}\n")
    return SshdServer(
        root=root,
        port=port,
        user=getpass.getuser(),
        host_public_key=host_key,
        client_key=root / "id_ed25519",
        client_key_protected=root / "id_ed25519_protected",
        passphrase=passphrase,
        known_hosts=known_hosts,
        wrong_known_hosts=wrong,
        unknown_known_hosts=unknown,
        config=_write_config(root, port),
        log=root / "sshd.log",
    )


@contextmanager
def running_sshd(root: Path) -> Iterator[SshdServer]:
    """A started test sshd; killed (with its sessions) on exit."""
    server = create_sshd(root)
    for _ in range(3):
        try:
            server.start()
            break
        except pytest.fail.Exception:
            # Another process may have taken the free port between probing and binding: move on.
            if "Address already in use" not in server.log.read_text():
                raise
            new = create_sshd(root / f"retry{secrets.token_hex(2)}")
            server = new
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[SshdServer]:
    with running_sshd(tmp_path / "sshd") as server:
        yield server
