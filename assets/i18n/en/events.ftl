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
expect-handshake = the eavesdropper saw { $name } in cleartext
expect-stls-switch = the wire switched to TLS mid-stream (STLS)
expect-app-data-encrypted = POP3 crossed as encrypted application data
expect-secret-derived = the client derived a TLS secret
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
