# The key schedule view: from the secrets of the client's key log to the
# record keys, what each key opened, and whether each Finished verifies.
# The formulas (HKDF-Expand-Label, PRF) are drawn by the code as written
# in the RFCs; only the words around them are here.

keys-title = Key schedule of connection {$conn}: {$version}, {$suite}
keys-no-tls = Connection {$conn} has no TLS handshake (yet), so it has no keys to show.
keys-no-server-hello = Connection {$conn} has sent its ClientHello but no ServerHello has come (yet): without the version and cipher suite the server chooses, there are no keys to show.
keys-no-connection = No TLS connection yet: the key schedule appears once a handshake has crossed.
keys-client-random = client random
keys-server-random = server random
keys-unsupported-suite = Cipher suite {$suite} is not one the key schedule knows, so its keys cannot be shown.
keys-unsupported-version = Protocol version {$version} is not one the key schedule knows, so its keys cannot be shown.
keys-suite-not-for-version = Cipher suite {$suite} does not belong to {$version}: no real handshake negotiates that.
keys-holds-13 = What the key log holds: the four traffic secrets below, written by the client as it derived them.
keys-lacks-13 = What it does not hold: the (EC)DHE shared secret, which never leaves the client and the server, nor the handshake secret and master secret made from it. The traffic secrets are derived from those, and nothing leads back.
keys-how-13 = Each traffic secret gives a record key and an IV; each record's nonce is the IV XOR the record's sequence number.
keys-holds-12 = What the key log holds: the master secret (its CLIENT_RANDOM line).
keys-lacks-12 = What it does not hold: the (EC)DHE shared secret (the premaster secret), which never leaves the client and the server. The master secret is made from it and both randoms.
keys-how-12 = The master secret and both randoms give one key block, cut into each side's write key and write IV.
keys-eavesdropper = An eavesdropper without the key log can compute none of these values.
keys-secret-for = ({$dir}, {$keys})
keys-dir-client = client to server
keys-dir-server = server to client
keys-epoch-handshake = handshake keys
keys-epoch-application = application data keys
keys-secret-missing = The key log does not hold this secret, so these keys cannot be computed.
keys-secret = secret
keys-bytes = {$len} bytes
keys-opened-handshake = Opened: { $records ->
    [one] 1 sealed record, holding {$steps}
   *[other] {$records} sealed records, holding {$steps}
}
keys-opened-application = Opened: { $records ->
    [one] 1 application data record
   *[other] {$records} application data records
} (the POP3 conversation, tickets and alerts)
keys-opened-none = Opened: no record yet
keys-master = master secret
keys-key-block = key block, {$len} bytes
keys-opened-12 = Opened from the client: { $client ->
    [one] 1 record
   *[other] {$client} records
}; from the server: { $server ->
    [one] 1 record
   *[other] {$server} records
} (Finished first, then the POP3 conversation)
keys-finished-client = client Finished
keys-finished-server = server Finished
keys-finished-verified = {$who} verifies: its verify_data is what the key log and the transcript give, so both ends saw the same handshake
keys-finished-fails = {$who} does NOT verify: the handshake it covers is not the one seen here
keys-finished-expected = expected
keys-finished-received = received
keys-finished-missing = {$who} cannot be checked: the key log lacks the secret it is made from
keys-finished-unsupported = {$who} cannot be checked: the suite or version is unknown to the key schedule
keys-finished-not-yet = {$who}: not seen yet
keys-finished-how-13 = verify_data = HMAC(finished_key, hash of the handshake so far)
keys-finished-how-12 = verify_data = PRF(master secret, "{$label}", hash of the handshake so far), 12 bytes
