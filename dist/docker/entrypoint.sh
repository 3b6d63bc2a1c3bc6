#!/bin/sh
# The container's entry point: serve display :N (NETUI_DISPLAY_NUMBER, or the number after the
# last '-' of the host name, as a StatefulSet's pod session-3 is display :3), headless, with
# TCP and VNC on every address of the container; `check` asks the display to describe itself
# (netinfo, over its Unix socket), for health checks and Kubernetes probes.
set -eu
number=${NETUI_DISPLAY_NUMBER:-}
if [ -z "$number" ] || [ "$number" = from-hostname ]; then
    host=${HOSTNAME:-}
    number=${host##*-}
fi
case $number in
'' | *[!0-9]*) echo "netui-entrypoint: no display number (set NETUI_DISPLAY_NUMBER)" >&2; exit 2 ;;
esac
if [ "${1:-}" = check ]; then
    NETUI_DISPLAY=":$number" exec netinfo >/dev/null
fi
exec display-server --headless --display ":$number" --listen 0.0.0.0 "$@"
