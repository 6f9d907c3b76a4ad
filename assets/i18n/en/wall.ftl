# The workshop screen: the Wall of Sheep, its header and its keys.

wall-screen-title = popscope workshop
wall-title = Wall of Sheep
wall-listeners = Students connect to
wall-listener-plain = POP3 with STLS
wall-listener-pop3s = POP3S
wall-attack-now = Attack on new connections
wall-attack-none = none
wall-sheet = Sheet: { $path }
wall-tally = { $readable } of { $total } { $total ->
    [one] login
   *[other] logins
} readable
wall-tally-attack = { $fell } of { $attacked } attacked { $attacked ->
    [one] client
   *[other] clients
} fell for it

## Column headings.
wall-col-client = Client
wall-col-user = User
wall-col-login = Login
wall-col-transport = Transport
wall-col-leaked = Leaked
wall-col-attack = Attack

## Cells.
wall-transport-plain = plain
wall-leak-digest = APOP digest
wall-leak-nothing = nothing
wall-leak-sealed = sealed by TLS
wall-leak-messages = { $n ->
    [one] 1 message
   *[other] { $n } messages
}
wall-verdict-fell = fell for it
wall-verdict-safe = not fooled
wall-attack-short-strip-stls = strip STLS
wall-attack-short-forge-cert = forged cert
wall-verdict-pending = pending
wall-empty = No connection yet: the students' mail clients appear here as they connect with the settings on the sheet.
wall-revealed = passwords shown
wall-following = the eavesdropper follows the newest connection
wall-showing = the eavesdropper shows connection { $conn }
wall-more = { $n } more below

## Keys, for the help and the key line.
wall-help-title = Workshop keys
wall-key-select = choose a connection on the wall
wall-key-page = choose the row a wall's height up or down
wall-key-zoom = the wall takes the whole screen, or shares it again
wall-key-follow = follow the newest connection again
wall-key-reveal = show or hide the passwords
wall-key-attack = change the attack on new connections: none, strip STLS, forged certificate
wall-key-help = this help
wall-key-close = close the help
wall-key-quit = quit
wall-key-mouse = mouse
wall-key-click = a click chooses a row, the wheel moves the choice
wall-short-select = select
wall-short-reveal = passwords
wall-short-attack = attack
wall-short-help = help
wall-short-quit = quit
