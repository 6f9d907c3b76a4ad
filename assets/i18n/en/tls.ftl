# The TLS pane's handshake steps, both points of view, and its byte view.

tls-steps-legend = each step as the client and server see it · what an eavesdropper gets
tls-steps-keys = ↑↓ step · Enter bytes
tls-eaves-reads = eavesdropper reads it too
tls-eaves-opaque = 🔒 eavesdropper: an opaque record of { $bytes } bytes
tls-eaves-opaque-shared = 🔒 eavesdropper: an opaque record of { $bytes } bytes, { $count } messages in it
tls-eaves-same-record = 🔒 in the same opaque record

tls-bytes-title = bytes: { $name } { $who } · { $at }/{ $total }
tls-bytes-title-keys = key schedule
tls-bytes-keys = ↑↓ field · ←→ step · Enter fold · v keys · Esc close
tls-bytes-waiting = waiting for { $name }: it shows here once the handshake has sent it
tls-bytes-no-step = no handshake step to show yet
tls-bytes-eaves-heading = What the eavesdropper reads
tls-bytes-eaves-clear = This message crossed in clear: the eavesdropper reads every byte below as well.
tls-bytes-eaves-sealed = The eavesdropper sees { $bytes } opaque bytes and nothing of what is inside.
tls-bytes-eaves-sealed-shared = The eavesdropper sees { $bytes } opaque bytes; { $count } messages are sealed in them.
tls-bytes-ends-heading = What the client and server read
tls-bytes-ends-opened = What the client and server read (opened with their own key log)
tls-bytes-field-at = { $name }: { $len ->
    [one] 1 byte
   *[other] { $len } bytes
} from byte { $at }
tls-bytes-size = ({ $n ->
    [one] 1 byte
   *[other] { $n } bytes
})
