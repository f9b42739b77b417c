#!/bin/sh
# The folder the tests make their projects, servers and bundles in (printed): $OVUDEV_TEST_TMPDIR
# when set; else /dev/shm when it is a tmpfs with 4 GiB free (no journal, no inode-bitmap scans
# after the suite's thousands of deletions: a third of the run's system time on ext4); else /tmp.
set -u
if [ -n "${OVUDEV_TEST_TMPDIR:-}" ]; then echo "$OVUDEV_TEST_TMPDIR"; exit 0; fi
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = "tmpfs" ] && [ -w /dev/shm ] && [ -k /dev/shm ]; then
    free_kib=$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')
    if [ "${free_kib:-0}" -ge 4194304 ]; then echo /dev/shm; exit 0; fi
fi
echo /tmp
