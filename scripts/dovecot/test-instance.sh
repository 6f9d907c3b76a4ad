#!/usr/bin/env bash
# Runs a throwaway Dovecot for the integration tests (tests/dovecot.rs).
#
# Usage: test-instance.sh WORKDIR PLAINPORT TLSPORT CERT KEY USER:PASSWORD:MAILDIR...
#
#   WORKDIR     an empty directory that this Dovecot may own entirely
#   PLAINPORT   port for POP3 with STLS on 127.0.0.1
#   TLSPORT     port for POP3S on 127.0.0.1
#   CERT, KEY   PEM certificate chain and private key for "localhost"
#   USER:PASSWORD:MAILDIR
#               one account per argument; MAILDIR is copied to
#               WORKDIR/mail/USER, so the original is never changed
#
# The script prepares the accounts, then becomes the Dovecot master itself
# (`exec`, through start.sh with DOVECOT_FOREGROUND=1): the caller's child
# process is the master, so the caller stops the server with SIGTERM to
# that PID and reaps it with wait. The script does not wait for the ports;
# the caller polls them, which it must do anyway to know the server is up.
# Logs go to WORKDIR/dovecot/dovecot.log and WORKDIR/dovecot/dovecot.stderr.
#
# APOP is offered (auth_mechanisms = plain apop): the passwd-file keeps the
# passwords in the {PLAIN} scheme, which APOP needs to compute its digest.
# Needs root, because the Maildirs are handed to the `vmail` user.
set -euo pipefail

if [ "$#" -lt 6 ]; then
    sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
workdir=$1 plain_port=$2 tls_port=$3 cert=$4 key=$5
shift 5

here=$(cd "$(dirname "$0")" && pwd -P)

command -v dovecot >/dev/null || {
    echo "test-instance.sh: dovecot is not installed (apt-get install -y dovecot-pop3d)" >&2
    exit 1
}

# start.sh creates the user too, but the Maildirs must be chowned to it
# before Dovecot starts, so it has to exist already here.
if ! id vmail >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin vmail
fi
vmail_uid=$(id -u vmail)
vmail_gid=$(id -g vmail)

mkdir -p "$workdir"
workdir=$(cd "$workdir" && pwd -P)
# Dovecot's unprivileged processes (vmail for mail, dovecot for auth) have
# to walk into WORKDIR to reach the passwd-file and the Maildirs, and a
# temporary directory is usually created with mode 0700.
chmod 755 "$workdir"
mkdir -p "$workdir/mail"
passwd=$workdir/passwd
: >"$passwd"

for account in "$@"; do
    IFS=: read -r user password source <<<"$account"
    if [ -z "$user" ] || [ -z "$password" ] || [ -z "$source" ]; then
        echo "test-instance.sh: expected USER:PASSWORD:MAILDIR, got '$account'" >&2
        exit 2
    fi
    [ -d "$source" ] || {
        echo "test-instance.sh: $source is not a directory" >&2
        exit 1
    }
    mkdir -p "$workdir/mail/$user"
    cp -R "$source/." "$workdir/mail/$user/"
    # A Maildir needs all three directories; the assets only ship cur/.
    mkdir -p "$workdir/mail/$user/cur" "$workdir/mail/$user/new" "$workdir/mail/$user/tmp"
    printf '%s:{PLAIN}%s:%s:%s::%s\n' "$user" "$password" "$vmail_uid" "$vmail_gid" \
        "$workdir/mail/$user" >>"$passwd"
done
chown -R vmail:vmail "$workdir/mail"
chmod 644 "$passwd"

# One pre-started login process is plenty for a handful of test sessions.
export DOVECOT_FOREGROUND=1
export DOVECOT_AUTH_MECHANISMS="plain apop"
export DOVECOT_LOGIN_PROCESSES=${DOVECOT_LOGIN_PROCESSES:-1}
exec "$here/start.sh" "$workdir/dovecot" "$plain_port" "$tls_port" "$cert" "$key" \
    "$passwd" "$workdir/mail"
