# The four lab panes: eavesdropper (wire), TLS, client, server.

## 盗聴者(wire)ペイン

wire-nothing-yet = まだ何も通信路を通っていません
wire-view-text = テキスト
wire-view-hex = 16進
wire-view-records = レコード
wire-locked = TLS レコード { $bytes } バイト: 読めません
wire-not-kept = さらに { $bytes } バイトが通過しましたが、保存していません(キャプチャ上限)
wire-opened = 接続 { $conn }: { $client } → { $server }
wire-closed = 切断({ $reason })
wire-switch-to-tls = { $offset } バイト目以降は TLS レコード
wire-hex-heading = 接続 { $conn }、オフセット { $offset } から { $bytes } バイト
wire-record = { $kind } レコード、{ $bytes } バイト
wire-record-encrypted = { $kind } レコード、{ $bytes } バイト(暗号化)
wire-record-body = [本文 +{ $bytes } バイト]
wire-undecodable = 解読できません: { $reason }
wire-loot-title = 戦利品: 盗聴者が知ったこと
wire-loot-title-attacker = 攻撃者が知ったこと
wire-nothing-readable = 今のところ読めるものはありません
wire-nothing-learned = 今のところ何も知られていません
wire-learned-connection = 接続 { $conn }:
wire-apop-captured = { $user } の APOP ダイジェストを入手:
wire-apop-crack-hint = でパスワードをオフラインで推測
wire-crack-guessing = { $user } の APOP パスワードを推測中:
wire-crack-tried = { $tried } 件試行
wire-crack-tried-of = { $total } 件中 { $tried } 件
wire-crack-stop-hint = { $key } か Esc で中止
wire-crack-stopped = 中止しました

## TLS ペイン

tls-no-handshake-yet = ハンドシェイクはまだです
tls-none-in-scenario = このシナリオに TLS はありません: すべて平文で流れます(s: シナリオ)
tls-from-client = クライアント
tls-from-server = サーバ
tls-app-data = 暗号化されたアプリケーションデータ
tls-alert = アラート: { $level } { $description }
tls-alert-fatal = 致命的
tls-alert-warning = 警告
tls-alert-encrypted = 暗号化されたアラート
tls-label-negotiated = 合意内容
tls-label-certificate = 証明書
tls-label-check = 検証
tls-label-failed = 失敗
tls-certificate-issued-by = { $subject }(発行者 { $issuer })
tls-secrets-heading = クライアントが導出した秘密(通信路には決して流れません):

## クライアントペイン

client-lab-error = ラボ: { $error }
client-starting = ラボを起動しています…
client-replay = 記録を再生しています。ここで動くクライアントはありません。記録された通信は盗聴者と TLS のペインに出ます。
client-attachment-label = 添付:
client-attachment-no-name = (名前なし)
client-attachment = { $name }({ $kind }、{ $size } バイト)
client-policy-require-tls = TLS 必須
client-policy-tls-if-offered = 提供されれば TLS を使う
client-policy-any-cert = どの証明書も受け入れる
client-policy-verify-cert = 証明書を検証する
client-policy-vulnerable = 意図的に脆弱(ラボ専用)
client-typing-hint = 入力はここに入ります · Enter で送信 · Esc で離れる
client-input-hint-focused = (i か Enter でコマンドを入力)
client-input-hint = (Tab でここに移ってコマンドを入力)

## サーバペイン

server-no-session = セッションなし
server-no-session-yet = まだセッションはありません
server-replay = 記録を再生しています。ここで動くサーバはありません。
server-state-caption = セッションの状態: { $state }(RFC 1939)
server-vulnerable = 意図的に脆弱(ラボ専用)
server-locked-out = ロックアウト中: { $who } を { $time }(失敗回数の上限)
server-locked-account = アカウント { $name }
server-locked-address = アドレス { $address }
server-maildrop-closed = メールドロップ: まだ開いていません(ログイン時に開きます)
server-quit-removed = QUIT でディスクから { $n } 通を削除しました
server-quit-nothing = QUIT で削除されるものはありません
server-quit-will-delete = QUIT でメッセージ { $numbers } を削除します
server-column-size = サイズ
server-column-uid = UID
