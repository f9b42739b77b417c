#!/bin/sh
# Servers and folders that test runs left behind: every test makes its folders as
# $TMPDIR/ovudev-* (`make test` sets TMPDIR from scripts/test-tmpdir.sh; /tmp otherwise) and
# starts its servers and services inside them, so a process whose working folder or command line
# is under such a folder belongs to a test. Both /tmp and $TMPDIR are looked at. A test that crashed (or was killed) leaves them.
# Usage: test-leftovers.sh [--sweep]   lists them; --sweep (or CI=true) also stops and removes them.
# Without --sweep nothing is touched: another checkout's test run may be using them right now.
set -u
sweep=false
[ "${1:-}" = "--sweep" ] && sweep=true
[ "${CI:-}" = "true" ] && sweep=true

roots="/tmp"
case "${TMPDIR:-/tmp}" in /tmp|/tmp/) ;; *) roots="/tmp ${TMPDIR%/}" ;; esac

pids=""
for proc in /proc/[0-9]*; do
    pid=${proc#/proc/}
    [ "$pid" = "$$" ] && continue
    cwd=$(readlink "$proc/cwd" 2>/dev/null) || continue
    cmd=$(tr '\0' ' ' < "$proc/cmdline" 2>/dev/null) || continue
    [ -n "$cmd" ] || continue  # a zombie or a process that just ended
    case "$cwd $cmd" in *test-leftovers.sh*) continue ;; esac
    for root in $roots; do
        case "$cwd $cmd" in *"$root"/ovudev-*) pids="$pids $pid"; break ;; esac
    done
done
folders=$(for root in $roots; do find "$root" -maxdepth 1 -name 'ovudev-*' 2>/dev/null; done)

if [ -z "$pids" ] && [ -z "$folders" ]; then
    echo "test-leftovers: none"
    exit 0
fi
count=$(echo $folders | wc -w)
echo "test-leftovers: $(echo $pids | wc -w) processes and $count folders under $(echo $roots | sed 's| |, |')/ovudev-*"
for pid in $pids; do echo "  pid $pid: $(tr '\0' ' ' < /proc/$pid/cmdline 2>/dev/null | cut -c1-100)"; done 2>/dev/null
if ! $sweep; then
    echo "test-leftovers: left alone (another test run may own them); sh scripts/test-leftovers.sh --sweep stops and removes them"
    exit 0
fi
# Services and servers: TERM, then KILL what is still there after 5 s.
[ -n "$pids" ] && kill $pids 2>/dev/null
i=0
while [ $i -lt 50 ]; do
    alive=""
    for pid in $pids; do [ -d "/proc/$pid" ] && alive="$alive $pid"; done
    [ -z "$alive" ] && break
    sleep 0.1
    i=$((i + 1))
done
[ -n "${alive:-}" ] && kill -9 $alive 2>/dev/null
for folder in $folders; do rm -rf "$folder"; done
echo "test-leftovers: swept"
