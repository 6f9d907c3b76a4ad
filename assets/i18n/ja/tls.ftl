# TLS ペインのハンドシェイクのステップ(両方の視点)と、そのバイト表示。

tls-steps-legend = クライアントとサーバから見た各ステップ・盗聴者に見えるもの
tls-steps-keys = ↑↓ ステップ・Enter バイト
tls-eaves-reads = 盗聴者にも読める
tls-eaves-opaque = 🔒 中の読めない { $bytes } バイトのレコード
tls-eaves-opaque-shared = 🔒 中の読めない { $bytes } バイトのレコード(メッセージ { $count } 個入り)
tls-eaves-same-record = 🔒 上と同じレコードの中

tls-bytes-title = バイト：{ $name } { $who }・{ $at }/{ $total }
tls-bytes-title-keys = 鍵スケジュール
tls-bytes-keys = ↑↓ フィールド・←→ ステップ・Enter 畳む・v 鍵・Esc 閉じる
tls-bytes-waiting = { $name } を待っています。ハンドシェイクで送られるとここに出ます
tls-bytes-no-step = 表示できるハンドシェイクのステップはまだありません
tls-bytes-eaves-heading = 盗聴者に読めるもの
tls-bytes-eaves-clear = このメッセージは平文で流れました。下のバイトは盗聴者にもすべて読めます。
tls-bytes-eaves-sealed = 盗聴者に見えるのは中身の分からない { $bytes } バイトだけです。
tls-bytes-eaves-sealed-shared = 盗聴者に見えるのは中身の分からない { $bytes } バイトだけです。その中に { $count } 個のメッセージが封じられています。
tls-bytes-ends-heading = クライアントとサーバが読むもの
tls-bytes-ends-opened = クライアントとサーバが読むもの(自分たちの鍵ログで開いたもの)
tls-bytes-field-at = { $name }：{ $at } バイト目から { $len } バイト
tls-bytes-size = ({ $n } バイト)
