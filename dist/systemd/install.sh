#!/bin/sh
# Installs netui display :N as a per-user systemd service started by its sockets
# (socket activation): the two template units, and the drop-in with display N's TCP ports
# (7100+N for netui in TLS, 5900+N for VNC viewers; systemd cannot add them up itself).
#
#   dist/systemd/install.sh N [--listen IP] [--no-tcp] [--no-enable]
#
# --listen IP   the address of the TCP ports (default 127.0.0.1, this machine only)
# --no-tcp      the Unix socket only (local applications and viewers)
# --no-enable   install the files, do not run systemctl (for tests and packaging)
#
# The program must be in ~/.local/bin:
#   cargo install --path display-server --root ~/.local
set -eu

usage() {
    echo "usage: $0 N [--listen IP] [--no-tcp] [--no-enable]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
number=$1
shift
case $number in
'' | *[!0-9]*) echo "$0: the display number must be a number, such as 1 (not '$number')" >&2; exit 2 ;;
esac
if [ "$number" -gt 58000 ]; then
    echo "$0: display $number is too large (its port 7100+N would pass 65535)" >&2
    exit 2
fi
ip=127.0.0.1
tcp=yes
enable=yes
while [ $# -gt 0 ]; do
    case $1 in
    --listen) [ $# -ge 2 ] || usage; ip=$2; shift 2 ;;
    --no-tcp) tcp=no; shift ;;
    --no-enable) enable=no; shift ;;
    *) usage ;;
    esac
done
# An IPv6 address goes in brackets before its port.
case $ip in *:*) host="[$ip]" ;; *) host=$ip ;; esac

here=$(cd "$(dirname "$0")" && pwd)
units=${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user
mkdir -p "$units"
cp "$here/netui-display@.socket" "$here/netui-display@.service" "$units/"
dropin="$units/netui-display@$number.socket.d"
mkdir -p "$dropin"
if [ "$tcp" = yes ]; then
    cat >"$dropin/ports.conf" <<PORTS
# Display :$number's TCP ports, written by dist/systemd/install.sh.
[Socket]
# netui (TLS; clients need the token file display-$number.token)
ListenStream=$host:$((7100 + number))
# VNC viewers (RFB; passwords in display-$number.rfb-password)
ListenStream=$host:$((5900 + number))
PORTS
else
    rm -f "$dropin/ports.conf"
fi
echo "installed netui-display@.socket and .service in $units, ports in $dropin"

if [ ! -x "$HOME/.local/bin/display-server" ]; then
    echo "note: $HOME/.local/bin/display-server is missing; build it with" >&2
    echo "  cargo install --path display-server --root ~/.local" >&2
fi
if [ "$enable" = yes ]; then
    systemctl --user daemon-reload
    systemctl --user enable --now "netui-display@$number.socket"
    echo "display :$number starts at its first connection (systemctl --user status netui-display@$number.socket)"
fi
