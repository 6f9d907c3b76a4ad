# Events in words: the screen and the demo transcript.

## クライアントのイベント(クライアントペインとデモの記録)。

event-client-connecting = { $addr }(タップ)に { $transport ->
    [plain] 暗号化なしの POP3
    [stls] POP3 + STLS
   *[other] POP3S
} で接続しています
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
event-client-server-closed = サーバが接続を閉じました
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
expect-handshake = 最新の接続で、クライアントとサーバの間でハンドシェイクの { $name } がやりとりされた
expect-stls-switch = 通信が途中で TLS に切り替わった(STLS)
expect-app-data-encrypted = POP3 が暗号化されたアプリケーションデータとして流れた
expect-secret-derived = クライアントが TLS の秘密鍵を導出した
expect-cert-visible-to-eavesdropper = サーバの Certificate が平文で流れ、盗聴者に読めた
expect-cert-hidden-from-eavesdropper = サーバの Certificate は暗号化されて届き、盗聴者には中身の見えないレコードだった
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

## 盗聴者が読んだもの(PASSWORD などの札が前に付きます)。

event-leak-user = ユーザ名 { $name }
event-leak-password = { $password }
event-leak-password-for = { $password }({ $user } のもの)
event-leak-apop = { $user }: { $timestamp } から作ったダイジェスト { $digest }(オフラインで推測できます)
event-leak-apop-no-timestamp = { $user }: ダイジェスト { $digest }(タイムスタンプは見えていません。オフラインで推測できます)
event-leak-auth-plain = { $password }({ $user } のもの。AUTH PLAIN は base64 にしただけです)
event-leak-auth-login = { $password }({ $user } のもの。AUTH LOGIN は base64 にしただけです)
event-leak-headers = 差出人 { $from } · 宛先 { $to } · 件名 { $subject }

## 平文で読めたハンドシェイクのメッセージ。

event-hello-client = ClientHello: SNI { $sni }、バージョン { $versions }、暗号スイート { $suites } 個、鍵共有 { $shares }
event-hello-no-key-share = なし(TLS 1.2 のクライアントは鍵を後の ClientKeyExchange で送ります)
event-hello-no-sni = (なし)
event-hello-legacy = (旧方式)
event-hello-certificate = Certificate(平文、TLS 1.2): { $chain }

## サーバのログ。

event-time-ms = { $n } ミリ秒
event-time-s = { $n } 秒
event-locked-account = アカウント { $name }
event-locked-address = アドレス { $address }
event-server-connected = セッション { $session }: { $port } のポートに接続されました
event-server-tls-up = TLS が確立しました: { $summary }
event-server-tls-up-stls = STLS の後 TLS が確立しました: { $summary }
event-server-tls-failed = TLS に失敗しました: { $reason }
event-server-tls-timed-out = TLS に失敗しました: ハンドシェイクが時間切れになりました
event-server-greeting = 挨拶を送りました
event-server-command = { $command } を処理しました
event-server-logged-in = { $user } がログインしました({ $method })
event-server-login-failed = { $user } のログインに失敗しました({ $method })
event-server-login-failed-locked = { $user } のログインに失敗しました({ $method }): ロックアウト中なので、パスワードは確かめていません
event-server-locked-out = ロックアウト: ログインの失敗が多すぎたので、{ $who } を { $time } 締め出します(その間のログインは確かめずに断ります)
event-server-updated = UPDATE: { $removed } 通をディスクから削除しました
event-server-updated-failed = UPDATE: { $removed } 通をディスクから削除し、{ $failed } 通は削除できませんでした
event-server-discarded = STLS の後、TLS ハンドシェイクの前に届いた { $n } バイトを読まずに捨てました: { $text }(TLS の内側から来たはずがないからです。これで STARTTLS のコマンド注入を防ぎます)
event-server-injected = 脆弱なモード: TLS ハンドシェイクの前に平文で届いた { $n } バイトを、TLS の内側から来たものとして実行しています: { $text }
event-server-ended = セッションが終わりました: { $reason }({ $commands })

## 攻撃者。

event-attack-armed = 攻撃者が経路上にいます: { $attack }
event-attack-removed = { $line } を削除しました({ $what })
event-attack-answered = { $line } をサーバに渡さず、自分で { $answer } と答えました
event-attack-injected = { $dir } に { $text } を注入しました
event-attack-presented = { $name } 用の証明書を提示しました(発行者 '{ $issuer }')
event-attack-presented-lab-ca = { $name } 用の証明書を提示しました(発行者はクライアントが信頼するラボのデモ CA)
event-attack-client-refused = クライアントが拒否しました: { $reason }
event-attack-upstream-tls = 本物のサーバへ自分の TLS を張りました({ $version }, { $suite })
event-attack-upstream-failed = サーバに接続できませんでした: { $reason }
event-attack-read-cleartext = 平文から読み取りました: { $text }
event-attack-read-forged-tls = 偽の TLS の内側から読み取りました: { $text }
event-attack-read-stolen-keys = 盗んだ鍵で復号して読み取りました: { $text }
event-attack-read-guessing = 推測で読み取りました: { $text }
event-attack-decrypted = { $dir } のレコード #{ $seq } を復号({ $content }, { $n } バイト): { $first }
event-attack-sealed = { $n ->
    [0] 開けるレコードがありません
   *[other] { $n } 個のレコードは開けませんでした
}: { $reason }
event-attack-crack-started = { $user } の APOP パスワードをオフラインで推測しています
event-attack-crack-started-of = { $user } の APOP パスワードをオフラインで推測しています(候補 { $n } 個)
event-attack-crack-found = { $tried } 回の推測({ $seconds } 秒、毎秒 { $rate } 回)で見つかりました
event-attack-crack-not-found = { $tried } 回の推測({ $seconds } 秒、毎秒 { $rate } 回)で見つかりませんでした
event-attack-succeeded = 攻撃成功: { $why }
event-attack-failed = 攻撃失敗: { $why }

## 攻撃の名前。

event-attack-name-strip-stls = STLS の削除(ストリッピング)
event-attack-name-forge-cert = 偽の証明書
event-attack-name-wrong-name = 別の名前の証明書
event-attack-name-inject = STARTTLS コマンド注入
event-attack-name-steal-keys = 盗まれたセッション鍵
event-attack-name-crack = APOP のオフライン辞書攻撃

## 攻撃が成功した、または失敗した理由。

event-prize-password = パスワード
event-prize-apop-digest = APOP のダイジェスト(オフラインで推測できます)
event-why-captured-cleartext = { $what }を平文で手に入れました: クライアントは TLS なしで続けました
event-why-captured-forged-tls = { $what }を攻撃者自身の TLS の内側で手に入れました(クライアントが攻撃者の証明書を受け入れました)
event-why-captured-stolen-keys = { $what }を、TLS の内側を盗んだ鍵ログで復号して手に入れました
event-why-captured-guessing = { $what }をオフラインの推測で手に入れました
event-why-forged-reply-taken = クライアントは、サーバが送っていない応答("{ $status }")を受け取りました。ハンドシェイク前のバイトを捨てなかったためです
event-why-injection-ran = 攻撃者が平文で送った { $text } を、サーバはクライアントが TLS の中で送ったかのように実行しました
event-why-client-refused = クライアントが拒否しました: { $reason }
event-why-certificate-refused = クライアントは攻撃者の証明書を拒否しました: { $reason }
event-why-client-stopped = クライアントが止まりました: { $reason }
event-why-discarded = 注入したバイトは効きませんでした: TLS へ切り替わるときに捨てられました
event-why-discarded-by-client = クライアントが注入したバイトを捨てました
event-why-discarded-by-server = サーバが注入したバイトを捨てました
event-why-discarded-by-both = サーバとクライアントが注入したバイトを捨てました
event-why-nothing-to-strip = 消せる平文の STLS がありませんでした(POP3S は最初から TLS です)
event-why-sealed = レコードは閉じたままです: { $reason }
event-why-cracked = { $user } のパスワードは { $password } です({ $tried } 回の推測で、オフラインで見つかりました。サーバはログイン失敗を一度も見ていません)
event-why-not-cracked = 単語リストにありませんでした({ $tried } 回の推測)
event-why-not-cracked-estimate = 単語リストにありませんでした({ $tried } 回の推測)。{ $estimate }
event-why-no-apop-login = APOP のログインが経路を通らなかったので、推測の対象になるダイジェストがありません(apop のシナリオが APOP でログインします)
event-why-connection-ended = 接続は終わり、攻撃者は秘密を何も得られませんでした
event-why-no-secret = 攻撃者は秘密を何も得られませんでした

## シナリオの中身。

event-scenario-plain = 暗号化なしの POP3 で { $auth }
event-scenario-stls = STLS で TLS に切り替えた POP3 で { $auth }
event-scenario-pop3s = POP3S(最初のバイトから TLS)で { $auth }

## デモの記録: 列の名前、見出し、最後のまとめ。

event-demo-who-lab = ラボ
event-demo-who-client = クライアント
event-demo-who-server = サーバ
event-demo-who-wire = 通信路
event-demo-who-eavesdrop = 盗聴者
event-demo-who-tls = TLS
event-demo-who-attacker = 攻撃者
event-demo-title = popscope demo { $name }: { $what }
event-demo-setup = サーバ { $server } · タップ { $tap } · ユーザ { $user }
event-demo-own-server = { $addr }(ラボのサーバ)
event-demo-outside-server = { $addr }(外部のサーバ)
event-demo-done = ■ 完了
event-demo-stopped = ■ 中断: 失敗しました
event-demo-stopped-because = ■ 中断: { $error }
event-demo-opened = 接続 { $conn }: { $client } → { $server }
event-demo-closed = { $dir } が閉じました({ $reason })
event-demo-gap = { $dir } キャプチャに { $n } バイトの欠落があります(オフセット { $offset })
event-demo-secret = クライアントが { $label } を導出しました({ $n } バイト。通信路には流れません)
event-demo-steps = 接続 { $conn }: クライアントとサーバから見たハンドシェイクの各段階と、盗聴者がそれぞれから得たもの
event-demo-step-clear = 平文で読めた
event-demo-step-sealed = 暗号化: 中身の見えない { $n } バイトのレコード
event-demo-step-same-record = 暗号化: 1つ前の段階と同じレコードの中
event-demo-attacker-reads = { $dir } を読んでいます: { $text }
event-demo-learned = 盗聴者が知ったこと:
event-demo-no-connection = (完了した接続はありません)
event-demo-learned-on = 接続 { $conn }: { $summary }
event-demo-verdict = 判定: { $text }
event-demo-state = 状態 → { $state }
event-demo-maildrop = メールボックス: { $n } 通、{ $size } オクテット
event-demo-maildrop-marked = メールボックス: { $n } 通、{ $size } オクテット。削除の印: { $marked }
event-demo-binary = バイナリ { $n } バイト(TLS レコード)
event-demo-binary-partly-kept = バイナリ { $n } バイト(TLS レコード)。うち { $lost } バイトは保存していません
event-demo-more-lines = (ほか { $n } 行)
event-demo-bytes = { $n } バイト
event-demo-greeting-timestamp = 挨拶に APOP のタイムスタンプ { $timestamp } があります
event-demo-encrypted-record = 🔒 暗号化されたレコード { $n } バイト(外側は { $content }): 読めません
event-demo-encrypted-alert = 🔒 暗号化されたアラート
event-demo-alert-fatal = アラート: 致命的 { $description }
event-demo-alert-warning = アラート: 警告 { $description }
event-demo-switch-client = クライアント: { $offset } バイト目から TLS レコード
event-demo-switch-server = サーバ: { $offset } バイト目から TLS レコード
event-demo-undecodable = 解読できません: { $reason }

## デモの台本の手順。

event-step-connect = 接続({ $what })
event-step-log-in = ログイン
event-step-how-much-mail = メールはどれだけ？
event-step-list-messages = メッセージの一覧
event-step-fetch-first = メッセージ 1 を取り出す
event-step-mark-second = メッセージ 2 に削除の印を付ける
event-step-undo-mark = 印を取り消す: これは誰かの本物のメールボックス(外部のサーバ)なので、デモはそこで削除を実行しません
event-step-quit-applying-marks = セッションを終える: サーバが印の付いたメッセージを削除します
event-step-quit-no-marks = セッションを終える: 実行する印は残っていません
event-step-guess-offline = 記録した APOP ログインからパスワードをオフラインで推測する
expect-cert-kind-unknown-issuer = 発行者が不明
expect-cert-kind-name-mismatch = 名前の不一致
expect-cert-kind-expired = 期限切れ
expect-cert-kind-not-yet-valid = まだ有効でない
expect-cert-kind-ca-used-as-server = CA の証明書をサーバの証明書として使用
expect-cert-kind-server-used-as-ca = サーバの証明書を CA として使用
expect-cert-kind-bad-signature = 署名が不正
expect-cert-kind-unsupported-algorithm = 対応していない署名方式
expect-cert-kind-revoked = 失効
expect-cert-kind-wrong-purpose = 用途違い
expect-cert-kind-malformed = 形式が壊れた証明書
expect-cert-kind-constraint-violated = 制約違反

## 能動的な攻撃者が取り除いた行と、その理由。

event-removal-stls-in-capa = CAPA 応答の中の STLS

## オフライン推測の数。日本語では万・億・兆・京と 4 桁ごとに数える。

event-number-scales = 万 億 兆 京
event-number-scale-digits = 4
event-number-scaled = { $n }{ $scale }
event-crack-rate = 毎秒 { $n } 回
event-duration-under-second = 1 秒未満
event-duration-forever = 5000億年以上
event-duration-seconds = 約 { $n } 秒
event-duration-minutes = 約 { $n } 分
event-duration-hours = 約 { $n } 時間
event-duration-days = 約 { $n } 日
event-duration-years = 約 { $n } 年
event-crack-estimate = { $symbols } 種類の文字で { $length } 文字のパスワードをすべて試すと、{ $rate }の速さで{ $duration }かかります

## 盗聴者が 1 つの接続から得たもの。

event-loot-nothing = 読めるものなし
event-loot-nothing-but = 読めるものなし: { $parts }
event-loot-server-name = サーバ名 { $name }
event-loot-encrypted-bytes = 暗号化された { $bytes } バイト
event-loot-password-for = { $user } のパスワード { $password }
event-loot-password = パスワード { $password }(ユーザは不明)
event-loot-apop = { $user } の APOP ダイジェスト { $digest }、タイムスタンプ { $timestamp }(オフラインの辞書攻撃に使える)
event-loot-apop-no-timestamp = { $user } の APOP ダイジェスト { $digest }
event-loot-user = ユーザ名 { $name }
event-loot-users = ユーザ名 { $names }
event-loot-subjects = { $n } 通のメッセージの件名: { $subjects }
event-loot-no-subject = (件名なし)
event-loot-list-separator = 、
event-loot-parts-separator = {" / "}

## サーバのセッションが終わった理由。
event-end-server-closed = サーバが閉じました
event-end-client-closed = クライアントが接続を閉じました
event-end-idle = 無通信のまま時間切れになりました
event-end-shutdown = サーバが停止します
event-end-stls-handshake = STLS 後の TLS ハンドシェイクに失敗しました
event-end-io = 入出力エラー: { $message }
event-end-io-gone = やり取りの途中で接続が切れました(相手がいなくなりました)
event-end-io-timed-out = 相手を待つうちに時間切れになりました

## タップの片方向が終わった理由。
event-close-closed = 送り手が閉じました
event-close-no-close-notify = 送り手が閉じました(TLS の close_notify なし)
event-close-read-error = 読み取りエラー: { $message }
event-close-write-error = 書き込みエラー: { $message }
event-close-server-side-failed = サーバ側が失敗しました
event-close-client-side-failed = クライアント側が失敗しました
event-close-attacker-gave-up = 攻撃者があきらめました
event-close-client-refused-attacker = クライアントが攻撃者の証明書を拒否しました
event-close-reset = TCP のリセット(RST)で切れました
event-close-capture-ended = 接続より先にキャプチャが終わりました

## サーバ側から見た、クライアントによる証明書の拒否。
event-refused-certificate = クライアントがサーバの証明書を拒否しました: { $why }(アラート { $alert })
event-refused-unknown-ca = 署名した CA を信頼していません(クライアントにはその CA の証明書が必要です)
event-refused-bad-certificate = 証明書を使えないと判断しました。多くはクライアントが求めた名前向けに発行されていないためです
event-refused-expired = 証明書が期限切れか、まだ有効になっていないと言っています(両方のマシンの時計を確かめてください)
event-refused-revoked = CA が証明書を取り消したと言っています
event-refused-unsupported = 証明書が TLS サーバ向けに発行されていないと言っています
event-refused-unknown = 別の理由で証明書を拒否しました(CA の証明書をサーバ自身の証明書として使っている、など)

## 通信路上のバイトを解読できなかった理由。
event-undecodable-record-too-long = オフセット { $offset } のレコードは { $length } バイトと宣言していますが、TLS が許すのは { $limit } バイトまでです。TLS には次のレコードの境目を見つける目印がないため、この方向の残りは解読しません
event-undecodable-not-tls-record = オフセット { $offset } のバイトは TLS のレコードヘッダではありません(タイプバイト { $type_byte }、バージョン { $version })。TLS には次のレコードの境目を見つける目印がないため、この方向の残りは解読しません
event-undecodable-alert-length = { $bytes } バイトのアラートレコードです(アラートは 1 件 2 バイトです)
event-undecodable-handshake-cut = ChangeCipherSpec の前に、途中までのハンドシェイクメッセージが { $bytes } バイト残っていました
event-undecodable-unknown-content-type = レコードのコンテントタイプ { $byte } は TLS が定めるものではありません
event-undecodable-handshake-too-long = オフセット { $offset } のハンドシェイクメッセージは { $length } バイトと宣言していますが、この解析器が組み立てるのは { $limit } バイトまでです。この方向のハンドシェイクの残りは解読しません
event-undecodable-handshake = ハンドシェイクメッセージを解読できません: { $message }
event-undecodable-client-too-far-ahead = クライアントが、読み方を決めるサーバの応答を待つ間に { $limit } バイトを超えて送りました。この方向はもう解読しません
event-undecodable-client-line-too-long = クライアントの行が { $limit } バイトを超えています。読み飛ばしました
event-undecodable-server-line-too-long = サーバの行が { $limit } バイトを超えています。読み飛ばしました(本文の長さには数えません)
event-undecodable-too-many-pending = 応答のないコマンドが { $limit } 個を超えました。いちばん古いものを忘れます
event-undecodable-not-greeting = サーバの最初の行が POP3 の挨拶ではありません
event-undecodable-not-reply = POP3 の応答(+OK、-ERR、"+ " の継続)ではありません
event-undecodable-sasl-not-base64 = SASL の応答が base64 ではありません
event-undecodable-auth-plain-shape = AUTH PLAIN の応答が「authzid、NUL、authcid、NUL、パスワード」の形ではありません

## 盗んだ鍵でレコードを開けなかった理由。
event-sealed-no-record = この接続では TLS のレコードが 1 つも通りませんでした
event-sealed-no-client-hello = ClientHello を見ていないので、鍵ログを引くためのクライアント乱数がありません
event-sealed-no-server-hello = このレコードより前に ServerHello を見ていないので、バージョンも暗号スイートもわかりません
event-sealed-before-ccs = この側の ChangeCipherSpec より前に application_data のレコードが来ました
event-sealed-no-key = 鍵がありません: 鍵ログにクライアント乱数 { $client_random } の { $label } がありません
event-sealed-unsupported-suite = 暗号スイート { $suite } ({ $name }) はこの復号器では扱えません
event-sealed-unsupported-version = プロトコルバージョン { $version } ({ $name }) はこの復号器では扱えません
event-sealed-too-short = { $n } バイトのレコード本体は短すぎて、ノンスと認証タグが入りません
event-sealed-tag-mismatch = 認証タグが合いません: この鍵ではレコードが開きません(秘密が違うか、バイトが書き換えられています)
event-sealed-no-content-type = 復号するとパディングだけで、コンテントタイプがありません
event-sealed-framing = TLS のレコードの区切りを見失いました: { $message }

## 中間者がサーバへ進めなかった理由。
event-upstream-no-certificate = 攻撃者には見せる証明書がありません
event-upstream-cannot-forge = { $name } 向けの証明書を作れませんでした: { $message }
event-upstream-tls = TLS の接続に失敗しました: { $message }

## popscope inspect: ファイルから読んだキャプチャ。
event-inspect-title = キャプチャ { $file }: その経路で盗聴した者が見たもの
event-inspect-summary = キャプチャの中身:
event-inspect-packets = パケット { $packets } 個(うち TCP は { $tcp } 個)
event-inspect-found = 見つかった POP3 の会話: 平文 { $pop3 } 件、STLS { $stls } 件、POP3S(最初から TLS) { $pop3s } 件
event-inspect-skipped = ほかの TCP の会話 { $n } 件は読み飛ばしました
event-inspect-gaps = { $n ->
    [0] 欠落したバイトはありません
   *[other] 欠落 { $n } か所: キャプチャにない { $bytes } バイト
}
event-inspect-keys = 手元の TLS の秘密: { $n } 件(鍵ログとキャプチャ自身の秘密ブロックから)
event-inspect-bad-keys = バイト { $offset } の秘密ブロックは復号器が読める鍵ログではありません: { $problem }
