# ラボ画面: ペイン、ヒント、ステータスバー、シナリオメニュー。

tls-connection-heading = ── 接続 { $conn }

## ペインのタイトル。攻撃中は盗聴者のペインが攻撃者のペインになる。
pane-title-client = クライアント
pane-title-server = サーバ
pane-title-wire = 盗聴者
pane-title-attacker = 攻撃者
pane-title-tls = TLS
pane-title-lesson = レッスン
pane-past = ◀ 過去 { $at }/{ $total }
pane-replay = ▶ 再生 { $at }/{ $total }

## レッスンのステップが指すもの。ペインのタイトルに ★ で示す。
mark-input = 入力行
mark-state = セッションの状態
mark-maildrop = メールドロップ
mark-loot = 盗めたもの
mark-password = パスワード
mark-timeline = 時系列
mark-params = パラメータ
mark-certificate = 証明書
mark-secrets = 秘密の値

## ペインの下の隅に出るスクロールのヒント。
scroll-below = ↓ 下にあと { $n } 行 (j)
scroll-above = ↑ 上に { $n } 行 (k)

## 画面に必要な大きさより小さい端末。
screen-too-small = popscope にはもっと大きな端末が必要です
screen-too-small-size = 最低 { $min_w }×{ $min_h }、この端末は { $w }×{ $h } です
screen-too-small-quit = Ctrl-C で終了

## シナリオメニュー: タイトル、行の名前と値。
menu-title = シナリオ
menu-row-transport = 接続方式
menu-row-auth = 認証方式
menu-row-require-tls = クライアント: TLS 必須
menu-row-trust = クライアント: 証明書の検証
menu-row-tls-version = TLS バージョン
menu-row-attacker = 攻撃者
menu-row-vulnerable-server = 脆弱なサーバ
menu-row-vulnerable-client = 脆弱なクライアント
menu-transport-plain = 平文の POP3 (ポート 110 方式)
menu-transport-stls = POP3 + STLS
menu-transport-implicit = POP3S (最初から TLS)
menu-require-tls-on = オン: TLS なしでは認証情報を送らない
menu-require-tls-off = オフ: 提供されれば TLS を使う
menu-trust-any = オフ: どんな証明書も受け入れる
menu-trust-system = オン: システムの CA で検証
menu-trust-ca-file = オン: CA ファイルで検証
menu-trust-lab = オン: ラボの CA で検証
menu-tls-version-any = 1.3 か 1.2(1.3 で合意)
menu-tls-version-only = { $version } のみ
menu-attacker-none = なし (受け身の盗聴者だけ)
menu-vulnerable-on = オン: わざと脆弱 (ラボ専用)
menu-vulnerable-off = オフ (オンにするとわざと脆弱)

## ステータスバー。場所があれば長い形、狭い端末では短い形を使う。
status-attacker = 攻撃者: { $attack }
status-vulnerable-server = 脆弱なサーバ (ラボ専用)
status-vulnerable-client = 脆弱なクライアント (ラボ専用)
status-attack-short = 攻撃
status-vulnerable-short = 脆弱
status-transport-plain = 平文
status-transport-stls = STLS
status-transport-implicit = POP3S
status-tls-required = TLS:必須
status-tls-optional = TLS:任意
status-tls-required-short = TLS必須
status-tls-optional-short = TLS任意
status-cert-any = 証明書:無検証
status-cert-check = 証明書:検証
status-cert-any-short = 検証✗
status-cert-check-short = 検証✓
status-ports = 盗聴点 :{ $tap } → サーバ :{ $server }
status-starting = 起動中
status-wire-flows = 通信路: 流れている
status-wire-flows-short = 通信中
status-paused = 一時停止中
status-key-help = ヘルプ
status-key-next-step = 次のステップ
status-key-next = 次へ
status-key-lessons = レッスン
status-key-scenario = シナリオ
status-key-scenario-short = シナリオ
status-key-quit = 終了
status-key-crack = 解読
status-key-stop = 停止
status-key-step = 1つ進む
status-key-play = 再生／停止
status-key-back = 戻る
status-past = ◀ 過去を表示中 { $at }/{ $total } · { $back } { $forward } で前後 · { $live } で現在へ
status-past-short = ◀ 過去 { $at }/{ $total }
status-past-oldest = (さかのぼれるのは { $oldest } 個目まで)
status-replay = ▶ 再生 { $at }/{ $total }
status-replay-title = 記録の再生: { $title }
status-saved = キャプチャを保存しました: { $path }
status-saved-from = キャプチャを保存しました: { $path } ({ $from } 個目から。それより前は保持していません)
status-save-failed = キャプチャを書き込めません: { $error }
