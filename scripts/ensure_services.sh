#!/usr/bin/env bash
# Makes sure the real parts the tests and the demo use are present and running:
# MariaDB (installed and started), Redis (installed and started: the Celery broker and result backend,
# deploy/celery.yaml), openssh-server (for the tunnel tests), Chromium (UI test).
set -euo pipefail

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need_pkgs=()
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need_pkgs+=(mariadb-server)
[ -x /usr/sbin/sshd ] || need_pkgs+=(openssh-server)
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need_pkgs+=(redis-tools)
if [ "${TIMESYNC_SKIP_BROWSER:-0}" != "1" ]; then
  [ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "ensure_services: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

mariadb_up() { mariadb -h127.0.0.1 -P3306 -uroot -e "SELECT 1" >/dev/null 2>&1; }
if ! mariadb_up; then
  echo "ensure_services: starting MariaDB"
  $SUDO mkdir -p /run/mysqld && $SUDO chown mysql:mysql /run/mysqld 2>/dev/null || true
  if [ ! -d /var/lib/mysql/mysql ]; then
    $SUDO mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
  fi
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql || true
  for _ in $(seq 1 60); do mariadb_up && break; sleep 1; done
  mariadb_up || { echo "ensure_services: MariaDB did not come up on 127.0.0.1:3306" >&2; exit 1; }
fi
# A fresh Debian install lets root in only over the unix socket; the project connects over TCP
# as root with an empty password (the machine's documented default), so make sure that works.
if ! mariadb -h127.0.0.1 -P3306 -uroot --password= -e "SELECT 1" >/dev/null 2>&1; then
  $SUDO mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;" || true
fi

# Redis on 127.0.0.1:6379, without persistence (the tests' broker; see docs/operations.md for production).
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }
if ! redis_up; then
  echo "ensure_services: starting Redis"
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  for _ in $(seq 1 30); do redis_up && break; sleep 1; done
  redis_up || { echo "ensure_services: Redis did not come up on 127.0.0.1:6379" >&2; exit 1; }
fi
echo "ensure_services: MariaDB and Redis up, sshd available at /usr/sbin/sshd"
