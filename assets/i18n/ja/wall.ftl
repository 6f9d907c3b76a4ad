# ワークショップ画面: ウォール・オブ・シープ、見出し行、キー。

wall-screen-title = popscope ワークショップ
wall-title = ウォール・オブ・シープ
wall-listeners = 受講者の接続先
wall-listener-plain = POP3 (STLS あり)
wall-listener-pop3s = POP3S
wall-attack-now = 新規接続への攻撃
wall-attack-none = なし
wall-sheet = 配布シート: { $path }
wall-tally = ログイン { $total } 件中 { $readable } 件が読めた
wall-tally-attack = 攻撃した { $attacked } 件中 { $fell } 件がだまされた

## 列の見出し。
wall-col-client = クライアント
wall-col-user = ユーザ
wall-col-login = ログイン
wall-col-transport = 接続方式
wall-col-leaked = 漏れたもの
wall-col-attack = 攻撃

## セルの言葉。
wall-transport-plain = 平文
wall-leak-digest = APOP のダイジェスト
wall-leak-nothing = なし
wall-leak-sealed = TLS で保護
wall-leak-messages = メール { $n } 通
wall-verdict-fell = だまされた
wall-verdict-safe = だまされず
wall-attack-short-strip-stls = STLS 削除
wall-attack-short-forge-cert = 偽の証明書
wall-verdict-pending = 判定待ち
wall-empty = まだ接続はありません。受講者のメールクライアントは、配布シートの設定で接続するとここに並びます。
wall-revealed = パスワード表示中
wall-following = 盗聴者は最新の接続を追っています
wall-showing = 盗聴者は接続 { $conn } を表示中
wall-more = 下にあと { $n } 行

## キー。ヘルプとキーの行に出る。
wall-help-title = ワークショップのキー
wall-key-select = ウォールの接続を選ぶ
wall-key-page = ウォールの高さ分、上下の行を選ぶ
wall-key-zoom = ウォールを画面いっぱいに広げる・戻す
wall-key-follow = 最新の接続を追う状態に戻る
wall-key-reveal = パスワードを表示する・隠す
wall-key-attack = 新規接続への攻撃を切り替える：なし、STLS の削除、偽の証明書
wall-key-help = このヘルプ
wall-key-close = ヘルプを閉じる
wall-key-quit = 終了
wall-key-mouse = マウス
wall-key-click = クリックで行を選び、ホイールで選択を動かす
wall-short-select = 選択
wall-short-reveal = パスワード
wall-short-attack = 攻撃
wall-short-help = ヘルプ
wall-short-quit = 終了
