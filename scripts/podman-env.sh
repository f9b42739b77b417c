# Sourced by the podman scripts: where podman's settings and its Docker-compatible socket live.
# OVU_PODMAN_DIR (default /run/ovu-podman) holds containers.conf, the socket, and the pids of the
# API service and of the healthcheck driver. Images stay in podman's store (cached between runs).
OVU_PODMAN_DIR="${OVU_PODMAN_DIR:-/run/ovu-podman}"
mkdir -p "$OVU_PODMAN_DIR"
# This kind of VM refuses podman's default rlimits (setrlimit RLIMIT_NOFILE) and crun's hybrid
# cgroups: runc and explicit ulimits fix both (see /work/shared/FIELD-NOTES.md).
cat > "$OVU_PODMAN_DIR/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
init_path = "/usr/bin/catatonit"
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$OVU_PODMAN_DIR/containers.conf"
export DOCKER_HOST="unix://$OVU_PODMAN_DIR/podman.sock"
