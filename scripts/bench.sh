#!/usr/bin/env bash
# Compares popscope's POP3 server with Dovecot on this machine.
#
# Both servers get identical inputs: the same users, a copy each of the
# same Maildir, the same certificate, the same ports on 127.0.0.1 only.
# `popscope load` then runs the same session load (connect, TLS, USER/PASS,
# STAT, RETR of every message, QUIT) against each in each mode, and finally
# holds many idle connections to measure memory per connection.
#
# Settings (environment variables):
#   CLIENTS=8           concurrent clients (and users load0..loadN-1)
#   BENCH_SECONDS=10    length of each measured run
#   WARMUP_SECONDS=1    unmeasured run per server first (Dovecot builds its
#                       indexes on the first login of each user)
#   MODES="plain stls pop3s"
#   LOADERS="popscope poplib"   the clients that make the load: our own
#                       `popscope load`, and scripts/poplib_load.py (Python's
#                       standard poplib in one process per client), a
#                       client we did not write
#   IDLE=10000          idle connections for the memory test (0 skips it)
#   IDLE_SECONDS=10     how long they are held
#   IDLE_DOVECOT=1      also measure Dovecot's idle memory (0 skips it)
#   POPSCOPE_PORTS="11110 11995"   plain and POP3S ports for popscope
#   DOVECOT_PORTS="12110 12995"    plain and POP3S ports for Dovecot
#   POPSCOPE_LOG=LEVEL  log level for popscope serve (default: its own)
#   KEEP=1              keep the work directory (logs, configs) afterwards
#
# Needs: cargo, openssl, root (installs dovecot-pop3d if it is missing,
# and creates the vmail user that owns Dovecot's Maildirs).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)

clients=${CLIENTS:-8}
seconds=${BENCH_SECONDS:-10}
warmup=${WARMUP_SECONDS:-1}
modes=${MODES:-plain stls pop3s}
loaders=${LOADERS:-popscope poplib}
idle=${IDLE:-10000}
idle_seconds=${IDLE_SECONDS:-10}
idle_dovecot=${IDLE_DOVECOT:-1}
read -r pp_plain pp_tls <<<"${POPSCOPE_PORTS:-11110 11995}"
read -r dv_plain dv_tls <<<"${DOVECOT_PORTS:-12110 12995}"
password=wonderland

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
    log "$*"
    exit 1
}

if ! command -v dovecot >/dev/null; then
    log "installing Dovecot (dovecot-pop3d) to compare against"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-pop3d >/dev/null
fi
command -v dovecot >/dev/null || die "dovecot is missing: apt-get install -y dovecot-pop3d"
command -v openssl >/dev/null || die "openssl is missing"
[ -d "$repo/assets/maildir/alice" ] || die "assets/maildir/alice is missing"

# Everything the servers inherit: enough descriptors for the idle test.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((idle + 100)) ]; then
    log "warning: the open-file limit $(ulimit -n) is below IDLE=$idle plus headroom"
fi

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$pp_plain" "$pp_tls" "$dv_plain" "$dv_tls"; do
    if port_busy "$port"; then die "port $port on 127.0.0.1 is already in use"; fi
done

log "building the release binary"
(cd "$repo" && cargo build --release --quiet)
bin=$repo/target/release/popscope
"$bin" load --help >/dev/null 2>&1 || die "this popscope has no 'load' command yet"

work=$(mktemp -d /tmp/popscope-bench.XXXXXX)
# Dovecot's unprivileged processes read the passwd-file and the Maildirs
# under this directory, so it must be traversable by them.
chmod 755 "$work"

popscope_pid=
dovecot_pid=
idle_pid=
cleanup() {
    local pid
    for pid in "$idle_pid" "$popscope_pid" "$dovecot_pid"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
        fi
    done
    # Dovecot's master is not a child of this shell (start.sh started it),
    # so `wait` cannot be used; poll until the processes are gone instead,
    # so that the work directory is not removed under them.
    for pid in "$idle_pid" "$popscope_pid" "$dovecot_pid"; do
        for _ in $(seq 50); do
            if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then break; fi
            sleep 0.1
        done
    done
    if [ "${KEEP:-0}" = 1 ]; then
        log "work directory kept: $work"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- users and mail ----------------------------------------------------------
if ! id vmail >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin vmail
fi
vmail_uid=$(id -u vmail)
vmail_gid=$(id -g vmail)

mkdir -p "$work/popscope-mail" "$work/dovecot-mail"
: >"$work/users.txt"
: >"$work/dovecot.passwd"
for ((i = 0; i < clients; i++)); do
    user=load$i
    # Separate copies, because Dovecot writes into its Maildirs (indexes,
    # uidlist, new/ to cur/) and popscope must not see those changes.
    for root in "$work/popscope-mail" "$work/dovecot-mail"; do
        mkdir -p "$root/$user"
        cp -R "$repo/assets/maildir/alice/." "$root/$user/"
        mkdir -p "$root/$user/cur" "$root/$user/new" "$root/$user/tmp"
    done
    printf '%s:%s\n' "$user" "$password" >>"$work/users.txt"
    printf '%s:{PLAIN}%s:%s:%s::%s\n' "$user" "$password" "$vmail_uid" "$vmail_gid" \
        "$work/dovecot-mail/$user" >>"$work/dovecot.passwd"
done
chown -R vmail:vmail "$work/dovecot-mail"
messages=$(find "$repo/assets/maildir/alice" -type f | wc -l)
mail_bytes=$(find "$repo/assets/maildir/alice" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')

# --- certificate ---------------------------------------------------------------
# A small CA and a server certificate signed by it, used by both servers so
# the TLS work is the same. A lone self-signed certificate from
# `openssl req -x509` is marked CA:TRUE, which rustls (webpki) refuses as a
# server certificate, hence the two steps.
(
    cd "$work"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
        -keyout ca-key.pem -out ca.pem -subj "/CN=popscope bench CA" 2>/dev/null
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout key.pem -out server.csr -subj /CN=localhost 2>/dev/null
    printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' \
        'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:localhost,IP:127.0.0.1' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 7 \
        -extfile server.ext -out cert.pem 2>/dev/null
)

# --- servers -------------------------------------------------------------------
greets() {
    # shellcheck disable=SC2016
    timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 && read -r line <&3 && [[ $line == +OK* ]] && printf "QUIT\r\n" >&3' "$1" 2>/dev/null
}
greets_tls() {
    echo QUIT | timeout 2 openssl s_client -quiet -connect "127.0.0.1:$1" 2>/dev/null |
        head -n 1 | grep -q '^+OK'
}

log "starting Dovecot $(dovecot --version | cut -d' ' -f1) on $dv_plain/$dv_tls"
dovecot_pid=$("$here/dovecot/start.sh" "$work/dovecot" "$dv_plain" "$dv_tls" \
    "$work/cert.pem" "$work/key.pem" "$work/dovecot.passwd" "$work/dovecot-mail")

log "starting popscope on $pp_plain/$pp_tls"
# Every client of the benchmark comes from 127.0.0.1, so the per-address
# limit (a quarter of --max-connections by default) is lifted to the cap.
"$bin" serve --pop3 "127.0.0.1:$pp_plain" --pop3s "127.0.0.1:$pp_tls" \
    --maildir "$work/popscope-mail" --users "$work/users.txt" \
    --cert "$work/cert.pem" --key "$work/key.pem" --login-delay 0 \
    --max-connections 15000 --max-per-ip 15000 \
    ${POPSCOPE_LOG:+--log "$POPSCOPE_LOG"} >"$work/popscope.log" 2>&1 &
popscope_pid=$!
for ((i = 0; ; i++)); do
    kill -0 "$popscope_pid" 2>/dev/null || {
        cat "$work/popscope.log" >&2
        die "popscope serve exited"
    }
    if greets "$pp_plain" && greets_tls "$pp_tls"; then break; fi
    [ "$i" -lt 100 ] || die "popscope did not answer within 10 s"
    sleep 0.1
done

# --- session throughput --------------------------------------------------------
# Runs one load and prints its key=value line.
# $loader chooses the client: popscope's own load generator or poplib.
load() {
    local label=$1 port=$2 mode=$3 secs=$4
    if [ "$loader" = poplib ]; then
        python3 "$here/poplib_load.py" --port "$port" --mode "$mode" --clients "$clients" \
            --seconds "$secs" --user 'load{n}' --password "$password" \
            --ca "$work/ca.pem" --label "$label" | grep '^label='
    else
        "$bin" load --addr "127.0.0.1:$port" --mode "$mode" --clients "$clients" \
            --seconds "$secs" --user 'load{n}' --password "$password" \
            --ca "$work/ca.pem" --server-name localhost --label "$label" |
            grep '^label='
    fi
}
# Prints the value of KEY from a key=value line.
field() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

tls_port() { if [ "$1" = pop3s ]; then echo "$2"; else echo "$3"; fi; }

if [ "$warmup" != 0 ]; then
    log "warming up both servers for ${warmup} s each"
    loader=popscope
    load warmup "$pp_plain" plain "$warmup" >/dev/null
    load warmup "$dv_plain" plain "$warmup" >/dev/null
fi

declare -A result
for loader in $loaders; do
    for mode in $modes; do
        log "measuring $mode with $loader as the client: popscope"
        result[$loader-popscope-$mode]=$(load "popscope-$mode" "$(tls_port "$mode" "$pp_tls" "$pp_plain")" "$mode" "$seconds")
        log "measuring $mode with $loader as the client: Dovecot"
        result[$loader-dovecot-$mode]=$(load "dovecot-$mode" "$(tls_port "$mode" "$dv_tls" "$dv_plain")" "$mode" "$seconds")
    done
done

echo
echo "## popscope vs Dovecot $(dovecot --version | cut -d' ' -f1)"
echo
echo "$(nproc) CPUs, $(uname -sr); $clients clients (one user each), $seconds s per run; each session: connect," \
    "USER/PASS, STAT, RETR of $messages messages ($mail_bytes bytes on disk), QUIT; TLS without resumption."
echo
echo "| client | mode | popscope sessions/s | Dovecot sessions/s | ratio popscope/Dovecot | popscope p50/p99 ms | Dovecot p50/p99 ms | errors (popscope/Dovecot) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for loader in $loaders; do
    for mode in $modes; do
        p=${result[$loader-popscope-$mode]}
        d=${result[$loader-dovecot-$mode]}
        ratio=$(awk -v a="$(field "$p" sessions_per_sec)" -v b="$(field "$d" sessions_per_sec)" \
            'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
        printf '| %s | %s | %s | %s | %s | %.1f / %.1f | %.1f / %.1f | %s / %s |\n' "$loader" "$mode" \
            "$(field "$p" sessions_per_sec)" "$(field "$d" sessions_per_sec)" "$ratio" \
            "$(field "$p" p50_ms)" "$(field "$p" p99_ms)" \
            "$(field "$d" p50_ms)" "$(field "$d" p99_ms)" \
            "$(field "$p" errors)" "$(field "$d" errors)"
    done
done

# --- idle memory ---------------------------------------------------------------
# Memory of a server in KiB: the proportional set size (Pss) summed over the
# process and its children. For a single process this is close to VmRSS;
# for Dovecot's many processes it does not count shared pages once per
# process, which RSS would.
tree_pss_kb() {
    local total=0 pid v
    for pid in "$1" $(ps -o pid= --ppid "$1"); do
        v=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}
vmrss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Holds IDLE connections to PORT and sets held, before and during (KiB),
# measuring the server's memory with the function named by $3 on PID $2.
idle_memory() {
    local port=$1 pid=$2 measure=$3 out=$work/idle-$1
    before=$($measure "$pid")
    "$bin" load --addr "127.0.0.1:$port" --idle "$idle" --seconds "$idle_seconds" \
        --label "idle-$port" >"$out.out" 2>"$out.err" &
    idle_pid=$!
    for ((i = 0; ; i++)); do
        grep -q 'holding' "$out.err" 2>/dev/null && break
        kill -0 "$idle_pid" 2>/dev/null || break
        [ "$i" -lt 1200 ] || die "the idle connections were not all open after 120 s"
        sleep 0.1
    done
    # Give the server a moment to finish setting up the last connections.
    sleep 1
    during=$($measure "$pid")
    wait "$idle_pid" || die "popscope load --idle failed: $(cat "$out.err")"
    idle_pid=
    held=$(field "$(grep '^label=' "$out.out")" idle_still_open)
}

if [ "$idle" != 0 ]; then
    # Measure first and print afterwards, so the progress lines on stderr
    # do not end up in the middle of the table.
    log "holding $idle idle connections to popscope"
    idle_memory "$pp_plain" "$popscope_pid" vmrss_kb
    rows=$(awk -v h="$held" -v b="$before" -v d="$during" -v n="$idle" 'BEGIN {
        printf "| popscope (VmRSS) | %d of %d | %.1f MiB | %.1f MiB | %.1f KiB |\n",
            h, n, b / 1024, d / 1024, (h > 0 ? (d - b) / h : 0) }')
    if [ "$idle_dovecot" = 1 ]; then
        log "holding $idle idle connections to Dovecot"
        idle_memory "$dv_plain" "$dovecot_pid" tree_pss_kb
        rows+=$'\n'$(awk -v h="$held" -v b="$before" -v d="$during" -v n="$idle" 'BEGIN {
            printf "| Dovecot (Pss, all processes) | %d of %d | %.1f MiB | %.1f MiB | %.1f KiB |\n",
                h, n, b / 1024, d / 1024, (h > 0 ? (d - b) / h : 0) }')
    fi
    echo
    echo "## Idle connections ($idle held for $idle_seconds s, plain port)"
    echo
    echo "| server | still open at the end | memory before | memory while held | per connection |"
    echo "|---|---:|---:|---:|---:|"
    echo "$rows"
fi
