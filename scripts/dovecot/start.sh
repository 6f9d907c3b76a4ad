#!/usr/bin/env bash
# Starts a private Dovecot POP3/POP3S server in the background, for
# comparing popscope's server with an established one on the same machine.
#
# Usage: start.sh WORKDIR PLAINPORT TLSPORT CERT KEY PASSWDFILE MAILROOT
#
#   WORKDIR     directory for dovecot.conf, runtime sockets, state and logs
#   PLAINPORT   port for POP3 with STLS on 127.0.0.1
#   TLSPORT     port for POP3S on 127.0.0.1
#   CERT, KEY   PEM certificate (chain) and private key
#   PASSWDFILE  Dovecot passwd-file: name:{PLAIN}password:UID:GID::home
#   MAILROOT    directory holding one Maildir per user (MAILROOT/USER)
#
# Prints the master process's PID on stdout once both ports greet with
# +OK; stop the server with `kill PID`. Nothing here needs systemd, and
# nothing outside WORKDIR is touched except creating the `vmail` system
# user if it does not exist. Tested with Dovecot 2.3.19 (Debian 12).
#
# Optional settings (environment variables):
#   DOVECOT_FOREGROUND=1     replace this script with `dovecot -F` instead
#                            of starting it in the background and waiting,
#                            so the caller's child process is the master
#                            itself; the caller then waits for the ports
#   DOVECOT_AUTH_MECHANISMS  SASL mechanisms, default "plain"; add "apop"
#                            to offer APOP (it needs {PLAIN} passwords)
#   DOVECOT_LOGIN_PROCESSES  pre-started login processes, default nproc
set -euo pipefail

if [ "$#" -ne 7 ]; then
    sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
foreground=${DOVECOT_FOREGROUND:-0}
mechanisms=${DOVECOT_AUTH_MECHANISMS:-plain}
login_processes=${DOVECOT_LOGIN_PROCESSES:-$(nproc)}
workdir=$1 plain_port=$2 tls_port=$3 cert=$4 key=$5 passwd=$6 mailroot=$7

command -v dovecot >/dev/null || {
    echo "start.sh: dovecot is not installed (apt-get install -y dovecot-pop3d)" >&2
    exit 1
}

# Dovecot follows these paths after dropping privileges and resolves them
# relative to where it was started, so make them absolute now.
abs() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd -P)" "$(basename "$1")"); }
mkdir -p "$workdir"
workdir=$(abs "$workdir")
cert=$(abs "$cert")
key=$(abs "$key")
passwd=$(abs "$passwd")
mailroot=$(abs "$mailroot")

# The mail processes run as an unprivileged user that owns the Maildirs.
if ! id vmail >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin vmail
fi
vmail_uid=$(id -u vmail)
vmail_gid=$(id -g vmail)

# The unprivileged helper processes (dovenull for logins, dovecot for auth
# workers and stats) must be able to reach the sockets under WORKDIR.
chmod 755 "$workdir"
mkdir -p "$workdir/run" "$workdir/state"

cat >"$workdir/dovecot.conf" <<CONF
# Written by scripts/dovecot/start.sh; this file is the whole configuration
# (nothing from /etc/dovecot is included).
protocols = pop3
listen = 127.0.0.1
base_dir = $workdir/run
state_dir = $workdir/state
instance_name = popscope-bench-$plain_port

log_path = $workdir/dovecot.log
info_log_path = $workdir/dovecot.log
verbose_proctitle = no

# The benchmark logs in over plain TCP too, and measures throughput, not
# brute-force protection: no plaintext ban and no delay after failures.
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = $mechanisms

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $passwd
}

mail_location = maildir:$mailroot/%u
mail_uid = $vmail_uid
mail_gid = $vmail_gid
first_valid_uid = $vmail_uid
first_valid_gid = $vmail_gid
pop3_uidl_format = %g

ssl = yes
ssl_cert = <$cert
ssl_key = <$key
ssl_min_protocol = TLSv1.2

# High-performance mode: login and pop3 processes are reused for many
# connections instead of one fork per session, which is the fair
# comparison with popscope's single process.
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $plain_port
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $tls_port
    ssl = yes
  }
  service_count = 0
  process_min_avail = $login_processes
  process_limit = 64
  client_limit = 20000
  vsz_limit = 1G
}
service pop3 {
  service_count = 0
  process_limit = 1024
  client_limit = 1
}
default_client_limit = 20000
CONF

# In foreground mode the caller (a test) owns the master as its direct
# child: it can wait for it and reap it, which a PID printed by a script
# that has already exited does not allow.
if [ "$foreground" = 1 ]; then
    exec dovecot -F -c "$workdir/dovecot.conf" >>"$workdir/dovecot.stderr" 2>&1
fi

# -F keeps the master in the foreground of its own process, so that $! is
# the master's PID; it is put in the background here.
dovecot -F -c "$workdir/dovecot.conf" >>"$workdir/dovecot.stderr" 2>&1 &
pid=$!

# Waits until PORT answers with a +OK greeting (over TLS if asked).
greets() {
    local port=$1 tls=${2:-}
    if [ -n "$tls" ]; then
        echo QUIT | timeout 2 openssl s_client -quiet -connect "127.0.0.1:$port" 2>/dev/null | head -n 1 | grep -q '^+OK'
    else
        # shellcheck disable=SC2016
        timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$0 && read -r line <&3 && [[ $line == +OK* ]] && printf "QUIT\r\n" >&3' "$port" 2>/dev/null
    fi
}
for _ in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "start.sh: dovecot exited; see $workdir/dovecot.log and $workdir/dovecot.stderr" >&2
        cat "$workdir/dovecot.stderr" >&2 || true
        exit 1
    fi
    if greets "$plain_port" && greets "$tls_port" tls; then
        echo "$pid"
        exit 0
    fi
    sleep 0.1
done
echo "start.sh: dovecot did not answer on ports $plain_port and $tls_port within 10 s" >&2
kill "$pid" 2>/dev/null || true
exit 1
