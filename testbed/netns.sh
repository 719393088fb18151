#!/usr/bin/env bash
# A multi-node test bed on one machine: K network namespaces ("nodes"), each linked by a veth pair
# to a bridge in a hub namespace, plus a "coord" namespace for the coordinator; addresses from
# 198.18.0.0/15 (set aside for network benchmarks); any node's link can be shaped with tc.
# Nothing is added to the caller's own network namespace. Needs root and iproute2.
#
#   testbed/netns.sh up ID K [NODE=RATE | A~B=RATE ...]
#                                              create ID's namespaces; e.g. `up t1 4 3=1gbit` shapes node
#                                              3's link, `up t1 8 4~5=20mbit` only what nodes 4 and 5
#                                              send each other
#   testbed/netns.sh addr ID NODE              print a node's address (NODE: 1..K or coord)
#   testbed/netns.sh exec ID NODE CMD...       run CMD inside a node's namespace
#   testbed/netns.sh shape ID NODE RATE        (re)shape a node's link, both directions
#   testbed/netns.sh link ID A B RATE          a cable of its own between nodes A and B, shaped: their
#                                              traffic to each other only, both ways
#   testbed/netns.sh clear ID NODE             remove a node's shaping (its own and its links')
#   testbed/netns.sh down ID                   kill what runs inside and delete everything of ID
#
# ID is a short name (letters and digits, at most 6) so several beds can coexist.
set -euo pipefail

die() { echo "netns.sh: $*" >&2; exit 2; }

check_id() {
    [[ "$1" =~ ^[a-z0-9]{1,6}$ ]] || die "ID '$1' must be 1-6 lower-case letters or digits"
}

ns() { # ns ID NODE -> namespace name
    echo "pf-$1-$2"
}

addr() { # addr NODE -> address without prefix length
    local node=$1
    if [ "$node" = coord ]; then echo "198.18.0.254"; return; fi
    [[ "$node" =~ ^[0-9]+$ ]] && [ "$node" -ge 1 ] && [ "$node" -le 250 ] || die "NODE '$node' must be 1-250 or coord"
    echo "198.18.0.$node"
}

hub_port() { # hub-side veth name for a node (interface names are at most 15 characters)
    if [ "$2" = coord ]; then echo "pf$1hc"; else echo "pf$1h$2"; fi
}

shape() {
    local id=$1 node=$2 rate=$3
    check_rate "$rate"
    # tbf on both ends: the node's egress, and the hub port's egress (the node's ingress)
    ip netns exec "$(ns "$id" "$node")" tc qdisc replace dev eth0 root tbf rate "$rate" burst 256kb latency 50ms
    ip netns exec "$(ns "$id" hub)" tc qdisc replace dev "$(hub_port "$id" "$node")" root tbf rate "$rate" burst 256kb latency 50ms
}

check_rate() {
    [[ "$1" =~ ^[0-9]+(kbit|mbit|gbit)$ ]] || die "RATE '$1' must be like 100mbit or 1gbit"
}

link_port() { # the veth end in node $2's namespace of the cable between nodes $2 and $3
    echo "pf$1l$2x$3"
}

link() { # link ID A B RATE: a cable of its own between two nodes, shaped with tbf at both ends
    local id=$1 a=$2 b=$3 rate=$4 from to
    check_rate "$rate"
    [ "$a" != "$b" ] || die "link $a~$b: two different nodes expected"
    # the kernel here may lack classful qdiscs (prio, htb): route the pair's traffic over its own veth
    ip -n "$(ns "$id" "$a")" link add "$(link_port "$id" "$a" "$b")" type veth peer name "$(link_port "$id" "$b" "$a")" \
        netns "$(ns "$id" "$b")"
    for from in "$a" "$b"; do
        to=$([ "$from" = "$a" ] && echo "$b" || echo "$a")
        # the peer's packets arrive on the cable, not eth0, where its address lives: no reverse-path filter
        ip netns exec "$(ns "$id" "$from")" sysctl -qw net.ipv4.conf.all.rp_filter=0
        ip netns exec "$(ns "$id" "$from")" sysctl -qw net.ipv4.conf."$(link_port "$id" "$from" "$to")".rp_filter=0
        ip -n "$(ns "$id" "$from")" link set "$(link_port "$id" "$from" "$to")" up
        ip -n "$(ns "$id" "$from")" route add "$(addr "$to")/32" dev "$(link_port "$id" "$from" "$to")" src "$(addr "$from")"
        ip netns exec "$(ns "$id" "$from")" tc qdisc replace dev "$(link_port "$id" "$from" "$to")" root tbf rate "$rate" \
            burst 256kb latency 50ms
    done
}

clear_shaping() {
    local id=$1 node=$2 port
    ip netns exec "$(ns "$id" "$node")" tc qdisc del dev eth0 root 2>/dev/null || true
    # deleting one end of a node's cable removes the other end and both routes over it
    for port in $(ip -n "$(ns "$id" "$node")" -o link show type veth 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 \
        | grep "^pf${id}l${node}x" || true); do
        ip -n "$(ns "$id" "$node")" link del "$port" 2>/dev/null || true
    done
    ip netns exec "$(ns "$id" hub)" tc qdisc del dev "$(hub_port "$id" "$node")" root 2>/dev/null || true
}

attach() { # attach ID NODE: a namespace with eth0 on the hub's bridge
    local id=$1 node=$2 name
    name=$(ns "$id" "$node")
    ip netns add "$name"
    ip -n "$name" link set lo up
    ip -n "$(ns "$id" hub)" link add "$(hub_port "$id" "$node")" type veth peer name eth0 netns "$name"
    ip -n "$(ns "$id" hub)" link set "$(hub_port "$id" "$node")" master br0 up
    ip -n "$name" addr add "$(addr "$node")/24" dev eth0
    ip -n "$name" link set eth0 up
}

down() {
    local id=$1 name
    for name in $(ip netns list | awk '{print $1}' | grep "^pf-$id-" || true); do
        for pid in $(ip netns pids "$name" 2>/dev/null || true); do
            kill -TERM "$pid" 2>/dev/null || true
        done
    done
    sleep 0.2
    for name in $(ip netns list | awk '{print $1}' | grep "^pf-$id-" || true); do
        for pid in $(ip netns pids "$name" 2>/dev/null || true); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        ip netns del "$name" 2>/dev/null || true
    done
}

up() {
    local id=$1 count=$2 spec node
    shift 2
    [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -ge 1 ] && [ "$count" -le 250 ] || die "K '$count' must be 1-250"
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
    command -v ip >/dev/null || die "needs iproute2 (ip)"
    ip netns list | grep -q "^pf-$id-" && die "test bed '$id' exists; run: $0 down $id"
    trap 'down "$id"' ERR
    ip netns add "$(ns "$id" hub)"
    ip -n "$(ns "$id" hub)" link add br0 type bridge
    ip -n "$(ns "$id" hub)" link set br0 up
    ip -n "$(ns "$id" hub)" link set lo up
    attach "$id" coord
    for ((node = 1; node <= count; node++)); do
        attach "$id" "$node"
    done
    for spec in "$@"; do
        if [[ "$spec" =~ ^([0-9]+)~([0-9]+)=(.+)$ ]]; then
            link "$id" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}"
            continue
        fi
        [[ "$spec" =~ ^([0-9]+)=(.+)$ ]] || die "shape '$spec' must be NODE=RATE (3=1gbit) or A~B=RATE (4~5=20mbit)"
        shape "$id" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    done
    trap - ERR
}

[ $# -ge 2 ] || die "usage: $0 up|addr|exec|shape|link|clear|down ID ..."
command=$1 id=$2
check_id "$id"
shift 2
case "$command" in
    up) [ $# -ge 1 ] || die "usage: $0 up ID K [NODE=RATE ...]"; up "$id" "$@" ;;
    addr) [ $# -eq 1 ] || die "usage: $0 addr ID NODE"; addr "$1" ;;
    exec) [ $# -ge 2 ] || die "usage: $0 exec ID NODE CMD..."; node=$1; shift; exec ip netns exec "$(ns "$id" "$node")" "$@" ;;
    shape) [ $# -eq 2 ] || die "usage: $0 shape ID NODE RATE"; shape "$id" "$1" "$2" ;;
    link) [ $# -eq 3 ] || die "usage: $0 link ID A B RATE"; addr "$1" >/dev/null; addr "$2" >/dev/null; link "$id" "$1" "$2" "$3" ;;
    clear) [ $# -eq 1 ] || die "usage: $0 clear ID NODE"; addr "$1" >/dev/null; clear_shaping "$id" "$1" ;;
    down) down "$id" ;;
    *) die "unknown command '$command' (up, addr, exec, shape, link, clear, down)" ;;
esac
