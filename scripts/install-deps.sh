#!/bin/sh
# Installs what ovudev's build, `make up` and the tests need and this machine lacks:
# Debian packages (apt) and Python tools (pip, into .venv/). Installs nothing that is already there.
set -eu

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-deps: not root and no sudo; install the packages named below by hand" >&2
    fi
fi

need_apt=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# podman, runc, catatonit (`init: true`), debootstrap and curl: the compose bundle under a real engine
# (PodmanBundleTests; scripts/podman-images.sh, scripts/podman-engine.sh), rootful, without systemd.
for pkg in postgresql postgresql-client libpq-dev libssl-dev redis-server redis-tools libhiredis-dev mariadb-server mariadb-client docker-compose cron python3-venv graphviz \
           podman runc catatonit debootstrap curl chromium; do
    have_pkg "$pkg" || need_apt="$need_apt $pkg"
done
# Tools the tests run, from Debian unless the machine has them already from elsewhere:
# kubectl (`kubectl kustomize`; Debian's kubernetes-client 1.20 builds the folders) and node.
command -v kubectl >/dev/null 2>&1 || need_apt="$need_apt kubernetes-client"
command -v node >/dev/null 2>&1 || need_apt="$need_apt nodejs"
if [ -n "$need_apt" ]; then
    echo "install-deps: apt-get install$need_apt"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need_apt >/dev/null
fi
# Debian's postgresql package starts a cluster on 5432; ovudev runs its own servers.
if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q online; then
    if [ -n "$need_apt" ] && printf '%s' "$need_apt" | grep -q postgresql; then
        $SUDO pg_ctlcluster 15 main stop 2>/dev/null || true
    fi
fi
if [ -n "$need_apt" ] && printf '%s' "$need_apt" | grep -q redis-server; then
    # The packaged service would hold 6379; ovudev starts its own redis-server.
    $SUDO service redis-server stop >/dev/null 2>&1 || true
fi
if [ -n "$need_apt" ] && printf '%s' "$need_apt" | grep -q mariadb-server; then
    # The packaged service would hold 3306 and /run/mysqld; ovudev starts its own mariadbd.
    $SUDO service mariadb stop >/dev/null 2>&1 || true
    if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable mariadb >/dev/null 2>&1 || true; fi
fi

# Python tools for the tests live in a project-local virtual environment (.venv/, git-ignored):
# Debian's python3 refuses `pip install` into the system (PEP 668). `make test` puts .venv/bin
# first on PATH. Debian's python3 makes it when there is one (another python3 may come first on PATH).
VENV="$(cd "$(dirname "$0")/.." && pwd)/.venv"
if [ ! -x "$VENV/bin/python3" ]; then
    PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
    echo "install-deps: $PY -m venv $VENV"
    "$PY" -m venv "$VENV"
fi
need_pip=""
"$VENV/bin/python3" -c 'import dotenv, yaml' 2>/dev/null || need_pip="$need_pip python-dotenv pyyaml"
[ -x "$VENV/bin/check-jsonschema" ] || need_pip="$need_pip check-jsonschema"
# Kubernetes manifest schemas, offline.
[ -x "$VENV/bin/kubernetes-validate" ] || need_pip="$need_pip kubernetes-validate"
if [ -n "$need_pip" ]; then
    echo "install-deps: pip install$need_pip (into $VENV)"
    "$VENV/bin/python3" -m pip install -q --disable-pip-version-check $need_pip
fi
exit 0
