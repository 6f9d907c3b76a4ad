# The lab screen: panes, hints, status bar, scenario menu.
# Padding and borders are added by the code; Fluent trims a value's
# leading and trailing spaces.

tls-connection-heading = ── connection { $conn }

## Pane titles. The eavesdropper's pane is the attacker's while an attack
## is on.
pane-title-client = Client
pane-title-server = Server
pane-title-wire = Eavesdropper
pane-title-attacker = Attacker
pane-title-tls = TLS
pane-title-lesson = Lesson
pane-past = ◀ past { $at }/{ $total }
pane-replay = ▶ replay { $at }/{ $total }

## What a lesson's step points at, marked with ★ in the pane's title.
mark-input = input
mark-state = state
mark-maildrop = maildrop
mark-loot = loot
mark-password = password
mark-timeline = timeline
mark-params = params
mark-certificate = certificate
mark-secrets = secrets

## Scroll hints in a pane's bottom corner.
scroll-below = ↓ { $n } more (j)
scroll-above = ↑ { $n } above (k)

## A terminal smaller than the screen needs.
screen-too-small = popscope needs a larger terminal
screen-too-small-size = at least { $min_w }×{ $min_h }; this one is { $w }×{ $h }
screen-too-small-quit = Ctrl-C quits

## The scenario menu: its title, the rows' names and their values.
menu-title = scenario
menu-row-transport = Transport
menu-row-auth = Authentication
menu-row-require-tls = Client: require TLS
menu-row-trust = Client: verify cert
menu-row-tls-version = TLS version
menu-row-attacker = Attacker
menu-row-vulnerable-server = Vulnerable server
menu-row-vulnerable-client = Vulnerable client
menu-transport-plain = plain POP3 (port 110 style)
menu-transport-stls = POP3 + STLS
menu-transport-implicit = POP3S (TLS from the start)
menu-require-tls-on = on: no credentials without TLS
menu-require-tls-off = off: TLS if offered
menu-trust-any = off: accept any certificate
menu-trust-system = on: against the system CAs
menu-trust-ca-file = on: against a CA file
menu-trust-lab = on: against the lab's CA
menu-tls-version-any = 1.3 or 1.2 (1.3 agreed)
menu-tls-version-only = { $version } only
menu-attacker-none = none (a passive eavesdropper)
menu-vulnerable-on = ON: deliberately vulnerable (lab only)
menu-vulnerable-off = off (deliberately vulnerable when on)

## The status bar. The long forms are used when the line has room, the
## short ones on a narrow terminal.
status-attacker = ATTACKER: { $attack }
status-vulnerable-server = VULNERABLE SERVER (lab only)
status-vulnerable-client = VULNERABLE CLIENT (lab only)
status-attack-short = ATTACK
status-vulnerable-short = VULN
status-transport-plain = plain
status-transport-stls = stls
status-transport-implicit = pop3s
status-tls-required = tls:required
status-tls-optional = tls:optional
status-tls-required-short = req-TLS
status-tls-optional-short = opt-TLS
status-cert-any = cert:ANY
status-cert-check = cert:check
status-cert-any-short = cert✗
status-cert-check-short = cert✓
status-ports = tap :{ $tap } → server :{ $server }
status-starting = starting
status-wire-flows = wire flows
status-wire-flows-short = flows
status-paused = PAUSED
status-key-help = help
status-key-next-step = next step
status-key-next = next
status-key-lessons = lessons
status-key-scenario = scenario
status-key-scenario-short = scen
status-key-quit = quit
status-key-crack = crack
status-key-stop = stop
status-key-step = step
status-key-play = play/pause
status-key-back = back
status-past = ◀ PAST: chunk { $at } of { $total } · { $back } { $forward } step · { $live } live
status-past-short = ◀ PAST { $at }/{ $total }
status-past-oldest = (kept back to chunk { $oldest })
status-replay = ▶ REPLAY { $at }/{ $total }
status-replay-title = replay of { $title }
status-saved = capture written: { $path }
status-saved-from = capture written: { $path } (from chunk { $from }; older chunks were not kept)
status-save-failed = cannot write the capture: { $error }
