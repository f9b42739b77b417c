#!/bin/bash
# podman behind its Docker-compatible socket, for docker-compose 1.29 and `ovudev up --engine docker`:
#   eval "$(bash scripts/podman-engine.sh start)"   # prints DOCKER_HOST and CONTAINERS_CONF exports
#   bash scripts/podman-engine.sh stop
# `start` runs `podman system service` on $OVU_PODMAN_DIR/podman.sock and, since podman 4.3 schedules
# healthchecks with systemd timers and there is no systemd here, a driver that runs
# `podman healthcheck run` for the running containers with a healthcheck: starting or unhealthy
# ones every $OVU_HEALTH_EVERY seconds (default 1), healthy ones every tenth time. Fails with the reason when podman cannot run a container.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/podman-env.sh"
sock="$OVU_PODMAN_DIR/podman.sock"

alive() { [ -f "$OVU_PODMAN_DIR/$1.pid" ] && kill -0 "$(cat "$OVU_PODMAN_DIR/$1.pid")" 2>/dev/null; }

case "${1:-}" in
start)
    command -v podman >/dev/null || { echo "podman-engine: podman is not installed (make deps)" >&2; exit 1; }
    if ! alive service; then
        rm -f "$sock"
        setsid podman system service --time=0 "unix://$sock" > "$OVU_PODMAN_DIR/service.log" 2>&1 < /dev/null &
        echo $! > "$OVU_PODMAN_DIR/service.pid"
        for _ in $(seq 100); do
            curl -fsS --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 && break
            sleep 0.1
        done
        curl -fsS --unix-socket "$sock" http://d/_ping >/dev/null 2>&1 \
            || { echo "podman-engine: the API service does not answer on $sock:" >&2; tail -5 "$OVU_PODMAN_DIR/service.log" >&2; exit 1; }
    fi
    if ! alive health; then
        # Containers still starting (or unhealthy) are checked every cycle, healthy ones every
        # tenth: one `podman ps` per state instead of an inspect and a check of every container
        # every cycle (that driver took more CPU than the containers it watched).
        every="${OVU_HEALTH_EVERY:-1}"
        setsid bash -c '
            cycle=0
            while :; do
                states="starting unhealthy"; [ $((cycle % 10)) = 0 ] && states="$states healthy"
                for state in $states; do
                    for id in $(podman ps -q --filter status=running --filter health=$state 2>/dev/null); do
                        timeout 30 podman healthcheck run "$id" >/dev/null 2>&1 &
                    done
                done
                wait; cycle=$((cycle + 1)); sleep '"$every"'
            done' > "$OVU_PODMAN_DIR/health.log" 2>&1 < /dev/null &
        echo $! > "$OVU_PODMAN_DIR/health.pid"
    fi
    echo "export CONTAINERS_CONF='$CONTAINERS_CONF' DOCKER_HOST='$DOCKER_HOST'"
    ;;
stop)
    for p in health service; do
        if alive "$p"; then kill -- -"$(cat "$OVU_PODMAN_DIR/$p.pid")" 2>/dev/null || kill "$(cat "$OVU_PODMAN_DIR/$p.pid")" 2>/dev/null || true; fi
        rm -f "$OVU_PODMAN_DIR/$p.pid"
    done
    rm -f "$sock"
    ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
