# Events in words: the screen and the demo transcript.

## クライアントのイベント(クライアントペインとデモの記録)。

event-client-connecting = { $addr }(タップ)に { $transport } で接続しています
event-client-tls-up = TLS が確立しました: { $summary }
event-client-certificate = 証明書 { $subject }(発行者 { $issuer })。{ $checked }
event-client-no-certificate = 証明書がありません。{ $checked }
event-client-checked-lab-ca = ラボのデモ用 CA で検証しました
event-client-checked-system = システムが信頼する CA で検証しました
event-client-checked-file = { $path } の CA で検証しました
event-client-not-checked = 検証していません: --insecure はどんな証明書も受け入れます
event-client-tls-failed = TLS に失敗しました: { $reason }
event-client-logged-in = { $user } としてログインしました({ $method })
event-client-leftover-kept = 脆弱なクライアントのモード: STLS への +OK の後に届いた { $n } バイトを捨てず、TLS の内側から来たものとして読みます: { $preview }
event-client-leftover-discarded = STLS への +OK の後、ハンドシェイクの前に届いた { $n } バイトを捨てました(RFC 2595 §4): { $preview }
event-client-stays-cleartext = 警告: サーバが STLS を提供していないので、暗号化せずに続けます(TLS の必須設定は切ってあります)
event-client-error = エラー: { $problem }
event-client-body-size = [+ データ { $n } バイト]

## クライアントが止まった理由。

event-client-tls-required-plain = TLS が必須なのに、通信方式が暗号化なしの TCP です(STLS か POP3S を選んでください)。認証情報は送っていません
event-client-tls-required-no-stls = TLS が必須なのに、サーバが STLS を提供していません。認証情報は送っていません
event-client-cleartext-login = 暗号化されていない接続では { $method } でログインしません: パスワードが平文で流れるからです(STLS か POP3S、または APOP を使ってください)。何も送っていません
event-client-user-refused = サーバが USER を拒否したので(-ERR { $text })、クライアントはパスワードを送る前に止まりました
event-client-no-apop-timestamp = サーバの挨拶に APOP のタイムスタンプがないので、このサーバは APOP に対応していません
event-client-sasl-not-offered = サーバはこの接続で SASL { $mechanism } を提供していない(CAPA にない)ので、クライアントはパスワードを送る前に止まりました
event-client-stls-refused = STLS が拒否されました: -ERR { $text }
event-client-err-reply = { $step } に失敗しました: -ERR { $text }
event-client-tap-failed = タップの接続 { $conn }: { $reason }
event-client-other = 接続: { $message }

## TLS ハンドシェイクが失敗した理由と、証明書の問題。

event-tls-certificate-failed = 証明書の検証に失敗しました: { $problem }
event-tls-handshake-failed = TLS ハンドシェイクに失敗しました: { $message }
event-cert-unknown-issuer = 発行者が不明です(サーバの証明書は、信頼している CA の署名を受けていません。署名した CA が分かっていれば、その CA の証明書を --ca で信頼してください)
event-cert-unknown-issuer-named = 発行者が不明です(サーバの証明書は { $issuer } が発行したもので、この CA は信頼されていません。信頼するなら、その証明書を --ca で渡してください)
event-cert-name-mismatch = 名前が一致しません(証明書は { $expected } には使えません。証明書に載っている名前で接続してください)
event-cert-name-mismatch-listed = 名前が一致しません(証明書は { $expected } には使えず、{ $names } 用です。そのどれかの名前で接続してください)
event-cert-expired-on = 期限切れです(証明書の有効期限は { $date } まででした。この機械の時計を確かめ、合っていればサーバに新しい証明書が必要です)
event-cert-expired = 期限切れです(証明書は有効期間を過ぎています。この機械の時計を確かめ、合っていればサーバに新しい証明書が必要です)
event-cert-not-yet-valid-from = まだ有効ではありません(証明書は { $date } から有効です。この機械の時計を確かめてください)
event-cert-not-yet-valid = まだ有効ではありません(この機械の時計を確かめてください)
event-cert-ca-as-server = CA の証明書がサーバの証明書として使われています(サーバは認証局自身の証明書を見せていますが、それは他の証明書に署名するためのものです。その CA がサーバの名前で発行した証明書をサーバに持たせてください)
event-cert-server-as-ca = サーバの証明書が CA として使われています(チェーンの中に、署名を許されていない証明書が署名したものがあります。サーバのチェーンの組み方が誤っています)
event-cert-bad-signature = 署名が正しくありません(証明書の署名が発行者の鍵で検証できません。書き換えられたか、チェーンが混ざっています)
event-cert-unsupported-algorithm = 対応していない署名方式です(このクライアントが受け入れない方式で署名されています。サーバには今の方式の証明書が必要です)
event-cert-revoked = 失効しています(CA がこの証明書を取り消しました)
event-cert-wrong-purpose = 用途が違います(この証明書は TLS サーバ用に発行されていません。サーバには serverAuth の鍵用途を持つ証明書が必要です)
event-cert-bad-encoding = 証明書の形式が壊れています(解析できません)
event-cert-constraint-violated = 制約に違反しています(証明書が、CA の定めた名前やチェーンの長さの制限を破っています)
event-cert-other = 証明書が拒否されました({ $kind }。popscope がまだ言葉を持たない理由で検証に失敗しました)

## レッスンの確認項目: ✓ か ✗ の横に出る言葉。

expect-password-leaked = 盗聴者がパスワードを読んだ
expect-user-leaked = 盗聴者がユーザ名を読んだ
expect-apop-digest-seen = 盗聴者が APOP のダイジェストとタイムスタンプを見た
expect-mail-leaked = 盗聴者がメールのヘッダを読んだ
expect-no-credential = 盗聴者は認証情報(ユーザ名・パスワード・APOP ダイジェスト)を得ていない
expect-nothing-readable = 盗聴者には POP3 が一行も読めない
expect-state = サーバのセッションは { $state } 状態
expect-reply-ok = 最新の応答は +OK
expect-reply-err = 最新の応答は -ERR
expect-logged-in = クライアントがログインした
expect-tls-established = TLS ハンドシェイクが完了し、証明書が受け入れられた
expect-tls-version = TLS { $version } で接続した
expect-handshake = 盗聴者が { $name } を平文で見た
expect-stls-switch = 通信が途中で TLS に切り替わった(STLS)
expect-app-data-encrypted = POP3 が暗号化されたアプリケーションデータとして流れた
expect-secret-derived = クライアントが TLS の秘密鍵を導出した
expect-cert-failed = 証明書の検証に失敗した
expect-cert-failed-kind = 証明書の検証に失敗した({ $kind })
expect-deleted = QUIT で { $n } 通が削除された
expect-marked = { $n } 通に削除の印が付いている
expect-attack-succeeded = 攻撃は成功した
expect-attack-blocked = 攻撃は失敗した
expect-stls-stripped = 攻撃者が STLS を消した
expect-cert-forged = 攻撃者が自分の証明書を見せた
expect-injection-discarded = 注入されたコマンドは捨てられ、ログインは続いた
expect-decrypted = 盗んだ鍵で TLS レコードを復号した
expect-password-cracked = オフラインの辞書攻撃でパスワードが見つかった
