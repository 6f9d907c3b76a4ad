# Events in words: the screen and the demo transcript.

## The client's events (the client pane and the demo transcript).

event-client-connecting = connecting to { $addr } (the tap), { $transport }
event-client-tls-up = TLS up: { $summary }
event-client-certificate = certificate { $subject } issued by { $issuer }; { $checked }
event-client-no-certificate = no certificate; { $checked }
event-client-checked-lab-ca = verified against the lab's demo CA
event-client-checked-system = verified against the system's trusted CAs
event-client-checked-file = verified against { $path }
event-client-not-checked = NOT checked: --insecure accepts any certificate
event-client-tls-failed = TLS FAILED: { $reason }
event-client-logged-in = logged in as { $user } ({ $method })
event-client-leftover-kept = VULNERABLE CLIENT MODE: kept { $n } bytes sent after +OK to STLS and reads them as if they came inside TLS: { $preview }
event-client-leftover-discarded = discarded { $n } bytes sent after +OK to STLS, before the handshake (RFC 2595 §4): { $preview }
event-client-stays-cleartext = WARNING: the server does not offer STLS; going on in cleartext (require-TLS is off)
event-client-error = ERROR: { $problem }
event-client-body-size = [+ { $n } bytes of data]

## Why the client stopped.

event-client-tls-required-plain = TLS is required, but the transport is plain TCP (choose STLS or POP3S); no credentials were sent
event-client-tls-required-no-stls = TLS is required, but the server does not offer STLS; no credentials were sent
event-client-cleartext-login = refusing to log in with { $method } over an unencrypted connection: it would send the password in cleartext (use STLS or POP3S, or APOP); nothing was sent
event-client-user-refused = the server refused USER (-ERR { $text }), so the client stopped before sending the password
event-client-no-apop-timestamp = the server's greeting has no APOP timestamp, so it does not support APOP
event-client-sasl-not-offered = the server does not offer SASL { $mechanism } on this connection (not in its CAPA), so the client stopped before sending the password
event-client-stls-refused = STLS refused: -ERR { $text }
event-client-err-reply = { $step } failed: -ERR { $text }
event-client-tap-failed = tap connection { $conn }: { $reason }
event-client-server-closed = the server closed the connection
event-client-other = connection: { $message }

## Why a TLS handshake failed, and what was wrong with a certificate.

event-tls-certificate-failed = certificate check failed: { $problem }
event-tls-handshake-failed = TLS handshake failed: { $message }
event-cert-unknown-issuer = unknown issuer (the server's certificate is not signed by a CA you trust; if you know which CA signed it, trust that CA's certificate with --ca)
event-cert-unknown-issuer-named = unknown issuer (the server's certificate was issued by { $issuer }, a CA you do not trust; if you trust it, give its certificate with --ca)
event-cert-name-mismatch = name mismatch (the certificate is not valid for { $expected }; connect with a name the certificate lists)
event-cert-name-mismatch-listed = name mismatch (the certificate is not valid for { $expected }; it is for { $names }: connect with one of those names)
event-cert-expired-on = expired (the certificate was valid until { $date }; check this machine's clock, and if it is right the server needs a new certificate)
event-cert-expired = expired (the certificate is past its validity period; check this machine's clock, and if it is right the server needs a new certificate)
event-cert-not-yet-valid-from = not yet valid (the certificate is valid from { $date }; check this machine's clock)
event-cert-not-yet-valid = not yet valid (check this machine's clock)
event-cert-ca-as-server = CA certificate used as a server certificate (the server presents a certificate authority's own certificate, which may only sign others; give the server a certificate issued by that CA for its name)
event-cert-server-as-ca = server certificate used as a CA (a certificate in the chain was signed by a certificate that is not allowed to sign others; the server's chain is built wrongly)
event-cert-bad-signature = bad signature (the certificate's signature does not verify against its issuer: it was altered, or the chain is mixed up)
event-cert-unsupported-algorithm = unsupported signature algorithm (the certificate is signed in a way this client does not accept; the server needs a certificate with a current algorithm)
event-cert-revoked = revoked (the CA has withdrawn this certificate)
event-cert-wrong-purpose = wrong purpose (the certificate is not issued for TLS servers; the server needs one with the serverAuth key usage)
event-cert-bad-encoding = malformed certificate (it cannot be parsed)
event-cert-constraint-violated = constraint violated (the certificate breaks a limit its CA set on names or on the length of the chain)
event-cert-other = certificate refused ({ $kind }; the check failed for a reason popscope has no words for yet)

## The lesson's checks: what each expectation says, beside its ✓ or ✗.

expect-password-leaked = the eavesdropper read the password
expect-user-leaked = the eavesdropper read the user name
expect-apop-digest-seen = the eavesdropper saw the APOP digest and its timestamp
expect-mail-leaked = the eavesdropper read a message's headers
expect-no-credential = the eavesdropper captured no credential (user name, password, APOP digest)
expect-nothing-readable = the eavesdropper could read no POP3 at all
expect-state = the server's session is in the { $state } state
expect-reply-ok = the client's newest reply is +OK
expect-reply-err = the client's newest reply is -ERR
expect-logged-in = the client logged in
expect-tls-established = the TLS handshake finished and the certificate was accepted
expect-tls-version = TLS { $version } was negotiated
expect-handshake = the handshake step { $name } took place on the newest connection (as the client and the server see it)
expect-stls-switch = the wire switched to TLS mid-stream (STLS)
expect-app-data-encrypted = POP3 crossed as encrypted application data
expect-secret-derived = the client derived a TLS secret
expect-cert-visible-to-eavesdropper = the server's Certificate crossed in cleartext: the eavesdropper could read it
expect-cert-hidden-from-eavesdropper = the server's Certificate reached the client encrypted: the eavesdropper saw only an opaque record
expect-cert-failed = the certificate check failed
expect-cert-failed-kind = the certificate check failed: { $kind }
expect-deleted = { $n ->
    [one] QUIT removed 1 message
   *[other] QUIT removed { $n } messages
}
expect-marked = { $n ->
    [one] 1 message is marked for deletion
   *[other] { $n } messages are marked for deletion
}
expect-attack-succeeded = the attack succeeded
expect-attack-blocked = the attack failed
expect-stls-stripped = the attacker stripped STLS
expect-cert-forged = the attacker presented a certificate of its own
expect-injection-discarded = the injected command was thrown away and the login went on
expect-decrypted = the stolen keys decrypted the TLS records
expect-password-cracked = the offline search found the password

## What the eavesdropper read (a tag such as PASSWORD goes before it).

event-leak-user = user name { $name }
event-leak-password = { $password }
event-leak-password-for = { $password } (for { $user })
event-leak-apop = { $user }: digest { $digest } of { $timestamp } (guessable offline)
event-leak-apop-no-timestamp = { $user }: digest { $digest } of (timestamp not seen) (guessable offline)
event-leak-auth-plain = { $password } (for { $user }, AUTH PLAIN is only base64)
event-leak-auth-login = { $password } (for { $user }, AUTH LOGIN is only base64)
event-leak-headers = From { $from } · To { $to } · Subject { $subject }

## Handshake messages read in cleartext.

event-hello-client = ClientHello: SNI { $sni }, versions { $versions }, { $suites } suites, key share { $shares }
event-hello-no-key-share = none (a TLS 1.2 client sends its key later, in ClientKeyExchange)
event-hello-no-sni = (none)
event-hello-legacy = (legacy)
event-hello-certificate = Certificate (in clear, TLS 1.2): { $chain }

## The server's log.

event-time-ms = { $n } ms
event-time-s = { $n } s
event-locked-account = account { $name }
event-locked-address = address { $address }
event-server-connected = session { $session }: connected on the { $port } port
event-server-tls-up = TLS up: { $summary }
event-server-tls-up-stls = TLS up after STLS: { $summary }
event-server-tls-failed = TLS failed: { $reason }
event-server-tls-timed-out = TLS failed: the handshake timed out
event-server-greeting = greeting sent
event-server-command = handled { $command }
event-server-logged-in = { $user } logged in ({ $method })
event-server-login-failed = login failed for { $user } ({ $method })
event-server-login-failed-locked = login failed for { $user } ({ $method }): locked out, password not checked
event-server-locked-out = LOCKED OUT: { $who } for { $time } after too many failed logins (its logins are refused unchecked until then)
event-server-updated = UPDATE: { $removed } message(s) removed from disk
event-server-updated-failed = UPDATE: { $removed } message(s) removed from disk, { $failed } could not be
event-server-discarded = discarded { $n ->
    [one] 1 byte
   *[other] { $n } bytes
} sent after STLS before the TLS handshake, unread: { $text } (they cannot have come from inside TLS; this stops STARTTLS command injection)
event-server-injected = VULNERABLE MODE: running { $n ->
    [one] 1 byte
   *[other] { $n } bytes
} that arrived in cleartext before the TLS handshake as if they came inside TLS: { $text }
event-server-ended = session ended: { $reason } ({ $commands })

## The attacker.

event-attack-armed = ATTACKER on the wire: { $attack }
event-attack-removed = removed { $line } ({ $what })
event-attack-answered = kept { $line } from the server and answered { $answer } itself
event-attack-injected = injected { $dir } { $text }
event-attack-presented = presented a certificate for { $name }, issued by '{ $issuer }'
event-attack-presented-lab-ca = presented a certificate for { $name }, issued by the lab's demo CA, which the client trusts
event-attack-client-refused = the client refused: { $reason }
event-attack-upstream-tls = opened its own TLS to the real server ({ $version }, { $suite })
event-attack-upstream-failed = could not reach the server: { $reason }
event-attack-read-cleartext = READ in cleartext: { $text }
event-attack-read-forged-tls = READ inside its forged TLS: { $text }
event-attack-read-stolen-keys = READ decrypted with the stolen keys: { $text }
event-attack-read-guessing = READ by guessing: { $text }
event-attack-decrypted = decrypted { $dir } record #{ $seq } ({ $content }, { $n } bytes): { $first }
event-attack-sealed = { $n ->
    [0] no record to open
    [one] 1 record could not be opened
   *[other] { $n } records could not be opened
}: { $reason }
event-attack-crack-started = guessing { $user }'s APOP password offline
event-attack-crack-started-of = guessing { $user }'s APOP password offline ({ $n } candidates)
event-attack-crack-found = FOUND after { $tried } guesses in { $seconds } s ({ $rate } guesses/s)
event-attack-crack-not-found = not found after { $tried } guesses in { $seconds } s ({ $rate } guesses/s)
event-attack-succeeded = ATTACK SUCCEEDED: { $why }
event-attack-failed = ATTACK FAILED: { $why }

## The attacks by name.

event-attack-name-strip-stls = strip STLS
event-attack-name-forge-cert = forged certificate
event-attack-name-wrong-name = certificate for another name
event-attack-name-inject = STARTTLS command injection
event-attack-name-steal-keys = stolen session keys
event-attack-name-crack = offline APOP dictionary attack

## Why an attack succeeded or failed.

event-prize-password = the password
event-prize-apop-digest = the APOP digest (open to offline guessing)
event-why-captured-cleartext = { $what } captured in cleartext: the client went on without TLS
event-why-captured-forged-tls = { $what } captured inside the attacker's own TLS (the client accepted its certificate)
event-why-captured-stolen-keys = { $what } captured inside TLS, decrypted with the stolen key log
event-why-captured-guessing = { $what } captured by guessing offline
event-why-forged-reply-taken = the client took a reply the server never sent ("{ $status }"), because it kept bytes from before the handshake
event-why-injection-ran = the server ran { $text }, sent in cleartext by the attacker, as if the client had sent it inside TLS
event-why-client-refused = the client refused: { $reason }
event-why-certificate-refused = the client refused the attacker's certificate: { $reason }
event-why-client-stopped = the client stopped: { $reason }
event-why-discarded = the injected bytes had no effect: they were discarded at the switch to TLS
event-why-discarded-by-client = the client threw the injected bytes away
event-why-discarded-by-server = the server threw the injected bytes away
event-why-discarded-by-both = the server and the client threw the injected bytes away
event-why-nothing-to-strip = the session never offered the attacker a cleartext STLS to remove (POP3S starts with TLS)
event-why-sealed = the records stay sealed: { $reason }
event-why-cracked = { $user }'s password is { $password } (found after { $tried } guesses, offline; the server never saw a failed login)
event-why-not-cracked = not in the word list ({ $tried } guesses)
event-why-not-cracked-estimate = not in the word list ({ $tried } guesses); { $estimate }
event-why-no-apop-login = no APOP login crossed the wire, so there is no digest to guess against (the apop scenario logs in with APOP)
event-why-connection-ended = the connection ended and the attacker learned no secret
event-why-no-secret = the attacker learned no secret

## What a scenario runs.

event-scenario-plain = { $auth } over cleartext POP3
event-scenario-stls = { $auth } over POP3 upgraded with STLS
event-scenario-pop3s = { $auth } over POP3S (TLS from the first byte)

## The demo transcript: its columns, heading and closing summary.

event-demo-who-lab = lab
event-demo-who-client = client
event-demo-who-server = server
event-demo-who-wire = wire
event-demo-who-eavesdrop = eavesdrop
event-demo-who-tls = tls
event-demo-who-attacker = attacker
event-demo-title = popscope demo { $name }: { $what }
event-demo-setup = server { $server } · tap { $tap } · user { $user }
event-demo-own-server = { $addr } (the lab's own)
event-demo-outside-server = { $addr } (outside)
event-demo-done = ■ done
event-demo-stopped = ■ stopped: failed
event-demo-stopped-because = ■ stopped: { $error }
event-demo-opened = connection { $conn }: { $client } → { $server }
event-demo-closed = { $dir } closed ({ $reason })
event-demo-gap = { $dir } { $n ->
    [one] 1 byte
   *[other] { $n } bytes
} missing from the capture at offset { $offset }
event-demo-secret = client derived { $label } ({ $n } bytes, never on the wire)
event-demo-steps = connection { $conn }: the handshake as the client and the server see it, and what the eavesdropper got of each step
event-demo-step-clear = read in cleartext
event-demo-step-sealed = sealed: an opaque { $n }-byte record
event-demo-step-same-record = sealed: in the same record as the previous step
event-demo-attacker-reads = reads { $dir } { $text }
event-demo-learned = What the eavesdropper learned:
event-demo-no-connection = (no connection was completed)
event-demo-learned-on = connection { $conn }: { $summary }
event-demo-verdict = Verdict: { $text }
event-demo-state = state → { $state }
event-demo-maildrop = maildrop: { $n } messages, { $size } octets
event-demo-maildrop-marked = maildrop: { $n } messages, { $size } octets; marked for deletion: { $marked }
event-demo-binary = { $n } bytes of binary (TLS records)
event-demo-binary-partly-kept = { $n } bytes of binary (TLS records), { $lost } bytes not kept
event-demo-more-lines = (+{ $n } lines)
event-demo-bytes = { $n } bytes
event-demo-greeting-timestamp = greeting with APOP timestamp { $timestamp }
event-demo-encrypted-record = 🔒 encrypted record, { $n } bytes ({ $content } on the outside): cannot read it
event-demo-encrypted-alert = 🔒 encrypted alert
event-demo-alert-fatal = alert: fatal { $description }
event-demo-alert-warning = alert: warning { $description }
event-demo-switch-client = client: from byte { $offset } on, TLS records
event-demo-switch-server = server: from byte { $offset } on, TLS records
event-demo-undecodable = cannot decode: { $reason }

## The steps of the demo's scripted run.

event-step-connect = connect ({ $what })
event-step-log-in = log in
event-step-how-much-mail = how much mail?
event-step-list-messages = list the messages
event-step-fetch-first = fetch message 1
event-step-mark-second = mark message 2 for deletion
event-step-undo-mark = undo the mark: this is someone's real mailbox (an outside server), so the demo never applies a deletion there
event-step-quit-applying-marks = end the session: the server applies the marks
event-step-quit-no-marks = end the session: no marks are left to apply
event-step-guess-offline = guess the password offline from the recorded APOP login
expect-cert-kind-unknown-issuer = unknown issuer
expect-cert-kind-name-mismatch = name mismatch
expect-cert-kind-expired = expired
expect-cert-kind-not-yet-valid = not yet valid
expect-cert-kind-ca-used-as-server = CA certificate used as a server certificate
expect-cert-kind-server-used-as-ca = server certificate used as a CA
expect-cert-kind-bad-signature = bad signature
expect-cert-kind-unsupported-algorithm = unsupported signature algorithm
expect-cert-kind-revoked = revoked
expect-cert-kind-wrong-purpose = wrong purpose
expect-cert-kind-malformed = malformed certificate
expect-cert-kind-constraint-violated = constraint violated

## What the active attacker removed, and why.

event-removal-stls-in-capa = STLS in the CAPA reply

## The offline search's numbers. Large numbers are counted in the
## scales below, one scale every event-number-scale-digits digits.

event-number-scales = thousand million billion trillion
event-number-scale-digits = 3
event-number-scaled = { $n } { $scale }
event-crack-rate = { $n } guesses/s
event-duration-under-second = less than a second
event-duration-forever = more than 500 billion years
event-duration-seconds = { $n ->
    [one] about 1 second
   *[other] about { $n } seconds
}
event-duration-minutes = { $n ->
    [one] about 1 minute
   *[other] about { $n } minutes
}
event-duration-hours = { $n ->
    [one] about 1 hour
   *[other] about { $n } hours
}
event-duration-days = { $n ->
    [one] about 1 day
   *[other] about { $n } days
}
event-duration-years = { $n ->
    [one] about 1 year
   *[other] about { $n } years
}
event-crack-estimate = exhaustive search of { $length } characters from { $symbols } symbols would take { $duration } at { $rate }

## What the eavesdropper kept of one connection.

event-loot-nothing = nothing readable
event-loot-nothing-but = nothing readable: { $parts }
event-loot-server-name = server name { $name }
event-loot-encrypted-bytes = { $bytes } encrypted bytes
event-loot-password-for = password { $password } for { $user }
event-loot-password = password { $password } (user not seen)
event-loot-apop = APOP digest { $digest } for { $user } with timestamp { $timestamp } (enough for an offline dictionary attack)
event-loot-apop-no-timestamp = APOP digest { $digest } for { $user }
event-loot-user = user name { $name }
event-loot-users = user names { $names }
event-loot-subjects = subjects of { $n ->
    [one] 1 message
   *[other] { $n } messages
}: { $subjects }
event-loot-no-subject = (no subject)
event-loot-list-separator = {", "}
event-loot-parts-separator = {"; "}

## Why a server session ended.
event-end-server-closed = closed
event-end-client-closed = client closed the connection
event-end-idle = idle timeout
event-end-shutdown = server shutdown
event-end-stls-handshake = STLS handshake failed
event-end-io = I/O error: { $message }
event-end-io-gone = the connection broke mid-exchange: the other side had gone
event-end-io-timed-out = timed out waiting for the other side

## Why one direction of the tap ended.
event-close-closed = closed by the sender
event-close-no-close-notify = closed by the sender (without a TLS close_notify)
event-close-read-error = read error: { $message }
event-close-write-error = write error: { $message }
event-close-server-side-failed = the server's side failed
event-close-client-side-failed = the client's side failed
event-close-attacker-gave-up = the attacker gave up
event-close-client-refused-attacker = the client refused the attacker's certificate
event-close-reset = reset (TCP RST)
event-close-capture-ended = the capture ended before the connection did

## A client's refusal of the server's certificate, as the server hears it.
event-refused-certificate = the client refused the server's certificate: { $why } (alert { $alert })
event-refused-unknown-ca = it does not trust the CA that signed it (the client needs that CA's certificate)
event-refused-bad-certificate = it found the certificate unusable, most often because it is not issued for the name the client asked for
event-refused-expired = it says the certificate has expired or is not valid yet (check both machines' clocks)
event-refused-revoked = it says the CA has withdrawn the certificate
event-refused-unsupported = it says the certificate is not issued for TLS servers
event-refused-unknown = it rejected the certificate for another reason, such as a CA certificate used as the server's own

## Why bytes on the wire could not be decoded.
event-undecodable-record-too-long = the record at offset { $offset } declares { $length } bytes, more than the { $limit } TLS allows; TLS has no marker to find the next record boundary, so the rest of this direction is not decoded
event-undecodable-not-tls-record = the bytes at offset { $offset } are not a TLS record header (type byte { $type_byte }, version { $version }); TLS has no marker to find the next record boundary, so the rest of this direction is not decoded
event-undecodable-alert-length = an alert record of { $bytes } bytes (alerts are two bytes each)
event-undecodable-handshake-cut = { $bytes } bytes of an incomplete handshake message before ChangeCipherSpec
event-undecodable-unknown-content-type = record content type { $byte } is not one TLS defines
event-undecodable-handshake-too-long = the handshake message at offset { $offset } declares { $length } bytes, more than the { $limit } this dissector reassembles; the rest of this direction's handshake is not decoded
event-undecodable-handshake = { $message }
event-undecodable-client-too-far-ahead = the client sent more than { $limit } bytes while waiting for the server's answer, which decides how to read them; this direction is no longer decoded
event-undecodable-client-line-too-long = a client line longer than { $limit } bytes; skipped
event-undecodable-server-line-too-long = a server line longer than { $limit } bytes; skipped (not counted in a body's length)
event-undecodable-too-many-pending = more than { $limit } commands without a reply; the oldest is forgotten
event-undecodable-not-greeting = the server's first line is not a POP3 greeting
event-undecodable-not-reply = not a POP3 reply (+OK, -ERR or a "+ " continuation)
event-undecodable-sasl-not-base64 = the SASL response is not base64
event-undecodable-auth-plain-shape = the AUTH PLAIN response is not authzid NUL authcid NUL password

## Why the stolen keys opened no record.
event-sealed-no-record = no TLS record crossed on this connection
event-sealed-no-client-hello = no ClientHello was seen, so there is no client random to look up in the key log
event-sealed-no-server-hello = no ServerHello was seen before this record, so the version and cipher suite are unknown
event-sealed-before-ccs = an application_data record before this side's ChangeCipherSpec
event-sealed-no-key = no key: the key log has no { $label } for client random { $client_random }
event-sealed-unsupported-suite = cipher suite { $suite } ({ $name }) is not supported by this decryptor
event-sealed-unsupported-version = protocol version { $version } ({ $name }) is not supported by this decryptor
event-sealed-too-short = a { $n }-byte record body is too short to hold a nonce and an authentication tag
event-sealed-tag-mismatch = tag mismatch: the record does not open with this key (wrong secret, or altered bytes)
event-sealed-no-content-type = the record decrypts to padding only, with no content type
event-sealed-framing = { $message }

## Why the man in the middle could not go on to the server.
event-upstream-no-certificate = the attacker has no certificate to present
event-upstream-cannot-forge = could not make a certificate for { $name }: { $message }
event-upstream-tls = { $message }

## popscope inspect: a capture read from a file.
event-inspect-title = Capture { $file }: what an eavesdropper on that network saw
event-inspect-summary = In the capture:
event-inspect-packets = { $packets } packets, { $tcp } of them TCP
event-inspect-found = POP3 conversations found: { $pop3 } in cleartext, { $stls } with STLS, { $pop3s } POP3S (TLS from the first byte)
event-inspect-skipped = { $n } other TCP conversations skipped
event-inspect-gaps = { $n ->
    [0] no bytes missing
    [one] 1 gap: { $bytes } bytes the capture does not hold
   *[other] { $n } gaps: { $bytes } bytes the capture does not hold
}
event-inspect-keys = TLS secrets held: { $n } (from the key log and the capture's own secrets block)
event-inspect-bad-keys = the capture's secrets block at byte { $offset } is not a key log the decryptor reads: { $problem }
