#!/bin/sh
# The official redis image's contract: `redis-server …` (or flags, or a .conf first) runs as the
# redis user in /data, with protected mode off as the official build has it; anything else as given.
set -e
case "$1" in -*|*.conf) set -- redis-server "$@" ;; esac
if [ "$1" = redis-server ]; then
    case " $* " in *" --protected-mode "*) ;; *) shift; set -- redis-server --protected-mode no "$@" ;; esac
    if [ "$(id -u)" = 0 ]; then
        find . \! -user redis -exec chown redis '{}' +
        exec setpriv --reuid=redis --regid=redis --init-groups "$@"
    fi
fi
exec "$@"
