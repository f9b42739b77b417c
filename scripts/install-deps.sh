#!/bin/sh
# Installs what ovudev's build, `make up` and the tests need and this machine lacks:
# Debian packages (apt) and Python tools (pip). Installs nothing that is already there.
set -eu

SUDO=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install-deps: not root and no sudo; install the packages named below by hand" >&2
    fi
fi

need_apt=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in postgresql postgresql-client libpq-dev redis-server redis-tools libhiredis-dev mariadb-server mariadb-client docker-compose cron graphviz; do
    have_pkg "$pkg" || need_apt="$need_apt $pkg"
done
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

need_pip=""
python3 -c 'import dotenv' 2>/dev/null || need_pip="$need_pip python-dotenv"
command -v check-jsonschema >/dev/null 2>&1 || need_pip="$need_pip check-jsonschema"
# Kubernetes manifest schemas, offline (it brings PyYAML, which the manifest tests read with).
command -v kubernetes-validate >/dev/null 2>&1 || need_pip="$need_pip kubernetes-validate"
if [ -n "$need_pip" ]; then
    echo "install-deps: pip install$need_pip"
    python3 -m pip install -q --disable-pip-version-check $need_pip
fi
exit 0
