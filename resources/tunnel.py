"""The SSH tunnel to MySQL: sshtunnel 0.5.1 over paramiko, hardened.

sshtunnel on its own verifies no host key, reports a bad host key as "An error occurred while
opening tunnels", hangs in `stop()` after a failed `start()`, and its `tunnel_is_up` stays True after
the session died (measured: /work/shared/mysql_and_tunnel.md §3). So here:

* the host key comes from `known_hosts` only and is never accepted automatically: a preflight
  handshake compares the key the server offers with the known one and raises `HostKeyError`
  (unknown host, or changed key with both fingerprints); the known key is also pinned in the
  forwarder (`ssh_host_key`) as a second line of defence;
* no ssh config file, agent or ~/.ssh keys: only the configured private key is used;
* a failed start is cleaned up by closing the transport and the listening sockets directly;
* health comes from the transport state; a restart builds a new forwarder (the local port changes).

`shared_tunnel(settings)` gives the one started tunnel of this process for those settings.
"""

from __future__ import annotations

import atexit
import logging
import os
import socket
import threading
import time
from pathlib import Path

import paramiko
import sshtunnel

from resources.config import TunnelSettings
from resources.redact import register_secret

log = logging.getLogger(__name__)
# sshtunnel gets its own logger: without one it installs a stderr handler on itself and on paramiko.
_sshtunnel_log = logging.getLogger(f"{__name__}.sshtunnel")

CONNECT_TIMEOUT_S = 10.0
KEEPALIVE_S = 15.0
# Several threads whose connections died together each ask for a restart; a tunnel that is healthy
# and younger than this was just restarted by one of them and is kept.
RESTART_DEBOUNCE_S = 2.0

_RSA_ALGORITHMS = ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")
_KEY_CLASSES: tuple[type[paramiko.PKey], ...] = (paramiko.Ed25519Key, paramiko.RSAKey, paramiko.ECDSAKey)


class TunnelError(RuntimeError):
    """The SSH tunnel could not be opened or kept open."""


class HostKeyError(TunnelError):
    """The SSH server's host key is not in known_hosts, or differs from the one there."""


def known_hosts_name(host: str, port: int) -> str:
    """The name a host is filed under in known_hosts (OpenSSH writes `[host]:port` unless port 22)."""
    return f"[{host}]:{port}" if port != 22 else host


def _key_type(algorithm: str) -> str:
    return "ssh-rsa" if algorithm in _RSA_ALGORITHMS else algorithm


def _describe_keys(keys: dict[str, paramiko.PKey]) -> str:
    return ", ".join(f"{name} {key.fingerprint}" for name, key in sorted(keys.items()))


def known_host_keys(settings: TunnelSettings) -> dict[str, paramiko.PKey]:
    """The keys known_hosts holds for the SSH server, by key type; `HostKeyError` if there are none."""
    path = Path(settings.known_hosts).expanduser()
    name = known_hosts_name(settings.host, settings.port)
    where = f"{settings.host}:{settings.port}"
    advice = (f"Refusing to connect (host keys are never accepted automatically). Check the server's key "
              f"fingerprint out of band, then add it, e.g. `ssh-keyscan -p {settings.port} {settings.host} "
              f">> {path}`.")
    if not path.is_file():
        raise HostKeyError(f"SSH host key of {where} is unknown: known_hosts file {path} does not exist. {advice}")
    try:
        host_keys = paramiko.HostKeys(str(path))
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise HostKeyError(f"SSH host key of {where} cannot be checked: known_hosts file {path} is unreadable "
                           f"({type(exc).__name__}: {exc})") from None
    entry = host_keys.lookup(name)
    keys = {key_type: entry[key_type] for key_type in entry.keys()} if entry else {}
    if not keys:
        raise HostKeyError(f"SSH host key of {where} is unknown: no entry for '{name}' in known_hosts file "
                           f"{path}. {advice}")
    return keys


def load_private_key(path: str, passphrase: str | None) -> paramiko.PKey:
    """The client key (Ed25519, RSA or ECDSA), decrypted with `passphrase` if it is encrypted."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise TunnelError(f"SSH private key file {file} does not exist")
    for key_class in _KEY_CLASSES:
        try:
            return key_class.from_private_key_file(str(file), password=passphrase)
        except paramiko.PasswordRequiredException:
            raise TunnelError(f"SSH private key {file} is encrypted and no passphrase is configured "
                              "(set SSH_PRIVATE_KEY_PASSPHRASE)") from None
        except (paramiko.SSHException, ValueError, TypeError, IndexError):
            continue
    if passphrase and _is_encrypted(file):
        raise TunnelError(f"SSH private key {file} could not be decrypted with the configured passphrase "
                          "(is SSH_PRIVATE_KEY_PASSPHRASE right?)")
    raise TunnelError(f"SSH private key {file} is not a readable Ed25519, RSA or ECDSA private key")


def _is_encrypted(file: Path) -> bool:
    for key_class in _KEY_CLASSES:
        try:
            key_class.from_private_key_file(str(file), password=None)
        except paramiko.PasswordRequiredException:
            return True
        except (paramiko.SSHException, ValueError, TypeError, IndexError):
            continue
    return False


class _ThreadErrors(logging.Handler):
    """Collects sshtunnel's WARNING+ messages logged by one thread (it reports causes only by logging)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


def _dispose(forwarder: sshtunnel.SSHTunnelForwarder) -> None:
    """Close a forwarder without `stop()`, which hangs forever if `start()` failed.

    `shutdown()` is called only on servers whose `serve_forever` thread runs (`is_alive`); on the
    others it would wait for a loop that never started.
    """
    serving = bool(forwarder.is_alive)
    transport = forwarder.__dict__.get("_transport")
    if transport is not None:
        try:
            transport.close()
        except Exception:  # noqa: BLE001 - a dead transport may fail to close; its socket is closed below
            pass
        try:
            transport.sock.close()
        except Exception:  # noqa: BLE001
            pass
    for server in list(forwarder._server_list):
        try:
            if serving:
                server.shutdown()
            server.server_close()
        except Exception:  # noqa: BLE001 - best effort: the socket may already be closed
            pass
    forwarder._server_list = []
    forwarder.tunnel_is_up = {}
    forwarder.is_alive = False


class SshTunnel:
    """One local port forwarded through SSH to MySQL (`settings.remote_host:remote_port`)."""

    def __init__(
        self,
        settings: TunnelSettings,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        keepalive: float = KEEPALIVE_S,
    ) -> None:
        self.settings = settings
        self.connect_timeout = connect_timeout
        self.keepalive = keepalive
        self.starts = 0
        register_secret(settings.private_key_passphrase)
        self._lock = threading.RLock()
        self._forwarder: sshtunnel.SSHTunnelForwarder | None = None
        self._pkey: paramiko.PKey | None = None
        self._started_at = 0.0

    def __repr__(self) -> str:
        state = f"127.0.0.1:{self._local_port_or_none()}" if self._forwarder else "not started"
        return f"SshTunnel({self.describe()}, {state})"

    def describe(self) -> str:
        s = self.settings
        return f"ssh {s.user}@{s.host}:{s.port} -> {s.remote_host}:{s.remote_port}"

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Open the tunnel (no-op once started; `ensure_started` reopens a dead one).

        Raises `HostKeyError` (unknown or changed host key) or `TunnelError`.
        """
        with self._lock:
            if self._forwarder is not None:
                return
            if self._pkey is None:
                self._pkey = load_private_key(self.settings.private_key_path, self.settings.private_key_passphrase)
            pinned = self._preflight(self._pkey)
            self._forwarder = self._open_forwarder(self._pkey, pinned)
            self._started_at = time.monotonic()
            self.starts += 1
            log.info("SSH tunnel open: 127.0.0.1:%s -> %s", self._forwarder.local_bind_port, self.describe())

    def restart(self, force: bool = False) -> None:
        """Open a new forwarder in place of the current one; the local port may change.

        Unless `force`, a healthy tunnel opened less than RESTART_DEBOUNCE_S ago is kept.
        """
        with self._lock:
            if (not force and self._forwarder is not None and self.is_healthy()
                    and time.monotonic() - self._started_at < RESTART_DEBOUNCE_S):
                return
            self._close_forwarder()
            self.start()

    def ensure_started(self) -> None:
        """Start the tunnel if it is not open; restart it if its session died."""
        with self._lock:
            if self._forwarder is None:
                self.start()
            elif not self.is_healthy():
                log.warning("SSH tunnel %s is down; reopening it", self.describe())
                self.restart(force=True)

    def close(self) -> None:
        with self._lock:
            self._close_forwarder()

    def __enter__(self) -> SshTunnel:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _close_forwarder(self) -> None:
        forwarder, self._forwarder = self._forwarder, None
        if forwarder is not None:
            _dispose(forwarder)

    # --- state ---------------------------------------------------------------------------------

    @property
    def local_port(self) -> int:
        """The loopback port to give pymysql (it changes on restart)."""
        with self._lock:
            port = self._local_port_or_none()
            if port is None:
                raise TunnelError(f"SSH tunnel {self.describe()} is not open")
            return port

    def _local_port_or_none(self) -> int | None:
        forwarder = self._forwarder
        if forwarder is None or len(forwarder._server_list) != 1:
            return None
        return int(forwarder._server_list[0].local_port)

    def is_healthy(self) -> bool:
        """True while the SSH session is up and the local port listens (`tunnel_is_up` would lie)."""
        with self._lock:
            forwarder = self._forwarder
            if forwarder is None or not forwarder.is_alive or len(forwarder._server_list) != 1:
                return False
            transport = forwarder.__dict__.get("_transport")
            if transport is None or not transport.is_active() or not transport.is_authenticated():
                return False
            return bool(forwarder._server_list[0].socket.fileno() != -1)

    # --- opening -------------------------------------------------------------------------------

    def _preflight(self, pkey: paramiko.PKey) -> paramiko.PKey:
        """Handshake and log in once ourselves, to report host key and login problems precisely.

        Returns the known host key the server proved it holds (to pin in the forwarder).
        """
        s = self.settings
        where = f"{s.host}:{s.port}"
        known = known_host_keys(s)
        try:
            sock = socket.create_connection((s.host, s.port), timeout=self.connect_timeout)
        except OSError as exc:
            raise TunnelError(f"SSH server {where} is unreachable: {exc.strerror or exc}") from None
        transport = paramiko.Transport(sock)
        try:
            transport.banner_timeout = self.connect_timeout
            transport.handshake_timeout = self.connect_timeout
            transport.auth_timeout = self.connect_timeout
            options = transport.get_security_options()
            # Ask only for key types known_hosts has, so a server holding several keys offers one we can check.
            options.key_types = [a for a in options.key_types if _key_type(a) in known]
            try:
                transport.start_client(timeout=self.connect_timeout)
            except paramiko.IncompatiblePeer as exc:
                if "host key" not in str(exc):
                    raise TunnelError(f"SSH handshake with {where} failed: {exc}") from None
                raise HostKeyError(
                    f"SSH host key of {where} has CHANGED (mismatch): the server offers none of the key types "
                    f"known_hosts file {s.known_hosts} holds for it ({_describe_keys(known)}). Refusing to "
                    "connect; verify the server's new key out of band before updating known_hosts."
                ) from None
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise TunnelError(f"SSH handshake with {where} failed: {type(exc).__name__}: {exc}") from None
            offered = transport.get_remote_server_key()
            expected = known.get(offered.get_name())
            if expected is None or expected.asbytes() != offered.asbytes():
                raise HostKeyError(
                    f"SSH host key of {where} has CHANGED (mismatch): the server offered {offered.get_name()} "
                    f"{offered.fingerprint}, but known_hosts file {s.known_hosts} expects "
                    f"{_describe_keys(known)}. Refusing to connect: this may be a man-in-the-middle or a "
                    "reinstalled server; verify the new key out of band before updating known_hosts."
                )
            try:
                remaining = transport.auth_publickey(s.user, pkey)
            except paramiko.AuthenticationException as exc:
                raise TunnelError(
                    f"SSH server {where} refused login as '{s.user}' with key {s.private_key_path} "
                    f"({pkey.get_name()} {pkey.fingerprint}): {exc}"
                ) from None
            except (paramiko.SSHException, OSError, EOFError) as exc:
                raise TunnelError(f"SSH login to {where} failed: {type(exc).__name__}: {exc}") from None
            if remaining or not transport.is_authenticated():
                raise TunnelError(f"SSH server {where} wants more than a key to log in as '{s.user}' "
                                  f"(also: {', '.join(remaining)}); the tunnel only supports key login")
            return expected
        finally:
            transport.close()
            sock.close()

    def _open_forwarder(self, pkey: paramiko.PKey, pinned: paramiko.PKey) -> sshtunnel.SSHTunnelForwarder:
        s = self.settings
        try:
            forwarder = sshtunnel.SSHTunnelForwarder(
                (s.host, s.port),
                ssh_username=s.user,
                ssh_pkey=pkey,
                ssh_host_key=pinned,
                remote_bind_address=(s.remote_host, s.remote_port),
                local_bind_address=("127.0.0.1", 0),
                ssh_config_file=None,
                host_pkey_directories=[],
                allow_agent=False,
                set_keepalive=self.keepalive,
                logger=_sshtunnel_log,
            )
        except (ValueError, sshtunnel.BaseSSHTunnelForwarderError) as exc:
            raise TunnelError(f"SSH tunnel {self.describe()} is misconfigured: {exc}") from None
        errors = _ThreadErrors()
        _sshtunnel_log.addHandler(errors)
        try:
            forwarder.start()
            transport = forwarder.__dict__.get("_transport")
            offered = transport.get_remote_server_key() if transport is not None else None
            if offered is None or offered.asbytes() != pinned.asbytes():
                raise HostKeyError(f"SSH host key of {s.host}:{s.port} changed between checks; refusing to connect")
            if len(forwarder._server_list) != 1:
                raise TunnelError(f"SSH tunnel {self.describe()} opened no local port")
        except Exception as exc:
            _dispose(forwarder)
            if isinstance(exc, TunnelError):
                raise
            detail = "; ".join(dict.fromkeys(errors.messages)) or f"{type(exc).__name__}: {exc}"
            if "Bad host key" in detail:
                raise HostKeyError(f"SSH host key of {s.host}:{s.port} has CHANGED (mismatch): the server's key is "
                                   f"not the pinned {pinned.get_name()} {pinned.fingerprint} from known_hosts "
                                   f"file {s.known_hosts}; refusing to connect ({detail})") from None
            raise TunnelError(f"SSH tunnel {self.describe()} could not be opened: {detail}") from None
        finally:
            _sshtunnel_log.removeHandler(errors)
        return forwarder


# --- one tunnel per process -----------------------------------------------------------------------

_shared: dict[TunnelSettings, SshTunnel] = {}
_shared_lock = threading.Lock()


def shared_tunnel(settings: TunnelSettings) -> SshTunnel:
    """This process's open tunnel for `settings`: started on first use, reopened if its session died."""
    with _shared_lock:
        tunnel = _shared.get(settings)
        if tunnel is None:
            tunnel = _shared[settings] = SshTunnel(settings)
    tunnel.ensure_started()
    return tunnel


def close_shared_tunnels() -> None:
    with _shared_lock:
        tunnels = list(_shared.values())
        _shared.clear()
    for tunnel in tunnels:
        try:
            tunnel.close()
        except Exception:  # noqa: BLE001 - closing at exit must not raise
            log.debug("closing %r failed", tunnel, exc_info=True)


def _forget_after_fork() -> None:
    # A forked child has the parent's sockets but none of its threads: it must open its own tunnel.
    global _shared_lock
    _shared_lock = threading.Lock()
    _shared.clear()


atexit.register(close_shared_tunnels)
os.register_at_fork(after_in_child=_forget_after_fork)
