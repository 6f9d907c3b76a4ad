# The four lab panes: eavesdropper (wire), TLS, client, server.

## Eavesdropper (wire) pane

wire-nothing-yet = nothing has crossed the wire yet
wire-view-text = text
wire-view-hex = hex
wire-view-records = records
wire-locked = { $bytes } bytes of TLS records: unreadable
wire-not-kept = { $bytes } more bytes crossed, not kept (capture limit)
wire-opened = connection { $conn }: { $client } → { $server }
wire-closed = closed ({ $reason })
wire-switch-to-tls = from byte { $offset } on: TLS records
wire-hex-heading = connection { $conn }, { $bytes } bytes from offset { $offset }
wire-record = { $kind } record, { $bytes } bytes
wire-record-encrypted = { $kind } record, { $bytes } bytes (encrypted)
wire-record-body = [+{ $bytes } bytes]
wire-undecodable = cannot decode: { $reason }
wire-loot-title = loot: what the eavesdropper learned
wire-loot-title-attacker = what the attacker learned
wire-nothing-readable = nothing readable so far
wire-nothing-learned = nothing learned so far
wire-learned-connection = connection { $conn }:
wire-apop-captured = { $user }'s APOP digest captured:
wire-apop-crack-hint = guesses the password offline
wire-crack-guessing = guessing { $user }'s APOP password:
wire-crack-tried = { $tried } tried
wire-crack-tried-of = { $tried } of { $total }
wire-crack-stop-hint = { $key } or Esc stops
wire-crack-stopped = stopped

## TLS pane

tls-no-handshake-yet = no handshake yet
tls-none-in-scenario = no TLS in this scenario: everything crosses in clear (s: scenario)
tls-from-client = client
tls-from-server = server
tls-app-data = encrypted application data
tls-alert = alert: { $level } { $description }
tls-alert-fatal = fatal
tls-alert-warning = warning
tls-alert-encrypted = encrypted alert
tls-label-negotiated = negotiated
tls-label-certificate = certificate
tls-label-check = check
tls-label-failed = FAILED
tls-certificate-issued-by = { $subject } (issued by { $issuer })
tls-secrets-heading = secrets derived by the client (never on the wire):

## Client pane

client-lab-error = lab: { $error }
client-starting = starting the lab…
client-replay = Replaying a recording: no client runs here. The eavesdropper and TLS panes show what was captured.
client-attachment-label = attachment:
client-attachment-no-name = (no name)
client-attachment = { $name } ({ $kind }, { $size } bytes)
client-policy-require-tls = TLS required
client-policy-tls-if-offered = TLS if offered
client-policy-any-cert = accepts any cert
client-policy-verify-cert = verifies cert
client-policy-vulnerable = DELIBERATELY VULNERABLE (lab only)
client-typing-hint = typing goes here · Enter sends · Esc leaves
client-input-hint-focused = (i or Enter to type a command)
client-input-hint = (Tab here to type a command)

## Server pane

server-no-session = NO SESSION
server-no-session-yet = no session yet
server-replay = Replaying a recording: no server runs here.
server-state-caption = session state: { $state } (RFC 1939)
server-vulnerable = DELIBERATELY VULNERABLE (lab only)
server-locked-out = LOCKED OUT: { $who } for { $time } (failure budget)
server-locked-account = account { $name }
server-locked-address = address { $address }
server-maildrop-closed = maildrop: not open (it opens at login)
server-quit-removed = QUIT removed { $n } message(s) from disk
server-quit-nothing = QUIT will delete nothing
server-quit-will-delete = QUIT will delete message { $numbers }
server-column-size = size
server-column-uid = UID
