# The ? help and the key hints.

## The help overlay's frame.

help-title = キー一覧 · どのキーでも閉じる
help-title-scroll = キー { $first }–{ $last }(全 { $total }) · ↑ ↓ でスクロール · ほかのキーで閉じる
help-intro = POP3 のコマンドはクライアントペインに打ち込みます：USER alice、PASS wonderland、STAT、LIST、RETR 1、DELE 2、QUIT。
help-mouse-key = マウス
help-mouse = クリックでフォーカス、ホイールで下のペインをスクロール(--no-mouse なら文字を選べる)
help-mouse-off = (マウスは無効：--no-mouse)

## Where keys work (the help's headings).

help-heading-anywhere = どこでも
help-heading-help = このヘルプで
help-heading-list = 章の一覧で
help-heading-menu = シナリオメニューで
help-heading-search = 検索語の入力中
help-heading-typing = 入力行 (pop3>) で
help-heading-lesson = レッスンペインで
help-heading-panes = ペインで(入力行にフォーカスがないとき)

## Keys that are classes of keys.

help-key-any-char = 任意の文字
help-key-any-other = ほかのキー

## What each row of the key map does (src/tui/keys.rs).

help-quit-anywhere = どこからでも終了
help-help-scroll = ヘルプをスクロール
help-help-close = ヘルプを閉じる
help-list-choose = 章を選ぶ
help-list-open = その章を開く
help-list-close = 一覧を閉じる
help-list-lang = 日本語 / English
help-menu-choose = 行を選ぶ
help-menu-change = 値を変える(ラボはその設定で始め直す)
help-menu-apply = 今すぐラボを作り直す
help-menu-close = 閉じる(入力は入力行へ)
help-search-submit = 検索して最も新しい一致へ移る
help-search-cancel = 検索をやめる
help-search-backspace = 最後の1文字を消す
help-search-type = 探す文字列を打つ
help-screen-help = このヘルプ
help-prev-pane = 前のペイン
help-screen-half-page = フォーカス中のペインを半画面ずつスクロール
help-typing-send = コマンドを送る
help-typing-leave = 入力行を離れる(1文字のキーが操作になる)
help-typing-cursor = カーソルを動かす
help-typing-delete = カーソルの前／位置の文字を消す
help-typing-history = コマンドの履歴
help-typing-tab = コマンドを補完(空の行なら次のペイン)
help-typing-lesson = 空の行で、レッスンの次／前のステップ
help-typing-type = POP3 コマンドを打つ：USER alice、STAT、RETR 1…
help-lesson-answer = クイズに答える
help-lesson-next = レッスンの次のステップか問題へ
help-panes-capital = コマンドを打ち始める(フォーカスは入力行へ)
help-panes-free = これらの文字も同じ(dele、top、user、uidl などの頭文字)
help-panes-input = クライアントペインで POP3 コマンドを打つ
help-panes-quit = 終了
help-panes-help = このヘルプ(どのキーでも閉じる)
help-next-pane = 次のペイン
help-panes-focus = クライアント、サーバ、盗聴者、TLS、レッスンへ
help-panes-scroll = フォーカス中のペインをスクロール
help-panes-top = いちばん古い行へ
help-panes-bottom = 最新の行へ(新しい行を追う)
help-panes-zoom = フォーカス中のペインを拡大
help-panes-search = フォーカス中のペインを検索。n でひとつ古い一致へ
help-panes-esc = パスワードの解読を止める。検索を消す
help-panes-view = 盗聴者の表示：テキスト、16進、レコード
help-panes-scenario = シナリオ：通信方式、ログイン、クライアントの方針、攻撃者
help-panes-login = シナリオの方法でログイン(APOP、AUTH PLAIN も)
help-panes-crack = 盗み取った APOP の応答からパスワードを手元で解読(もう一度押すか Esc で中止)
help-panes-step = 通信路を止め、ひとかたまりだけ通す
help-panes-pause = 通信路を止める／流す
help-panes-play = ひとかたまりずつ再生。速く／遅く
help-panes-past = 記録の表示をひとかたまり戻す／進める(通信路は止まらない)
help-panes-live = 過去の表示をやめて現在に戻る(再生では記録の終わりへ)
help-panes-save = ここまでの記録を pcapng キャプチャに保存(Wireshark で開ける)
help-panes-reset = リセット：同じシナリオで新しいラボ
help-panes-lesson = レッスンペインの表示切替。章の一覧
help-panes-lesson-step = レッスンの次／前のステップ
help-panes-lang = 言語：日本語 / English
help-panes-theme = 配色：ダーク、ライト、ハイコントラスト

# The lesson pane's own words (the lessons' text is in lessons/).

lesson-chapter = 第{ $n }章
lesson-step = ステップ { $n }/{ $total }
lesson-quiz = クイズ { $n }/{ $total }
lesson-keys = ] 次へ  [ 戻る  { $lang } English  { $list } 一覧
lesson-intro-hint = ] を押すと最初のステップが始まります。
lesson-end = この章はここまでです。{ $list } で章の一覧を開けます。
lesson-right = 正解
lesson-wrong = 不正解
lesson-only-english = この章は英語版だけです。
lesson-only-japanese = この章は日本語版だけです。
lesson-none = レッスンがありません。
lesson-list-title = 章の一覧 · ↑↓ Enter で開く · Esc で閉じる · { $lang } English
lesson-list-quiz = クイズ { $right }/{ $total }

## TLS ペインのステップ一覧とバイト表示。
help-heading-steps = TLS ペインのハンドシェイク一覧で
help-heading-bytes = TLS ペインのバイト表示で
help-steps-choose = ハンドシェイクのステップを選ぶ(端から先はスクロール)
help-steps-open = 選んだステップのバイトを開く
help-bytes-field = メッセージのフィールドを選ぶ
help-bytes-step = 前または次のステップへ
help-bytes-fold = 選んだフィールドを畳む・開く
help-bytes-tab = メッセージと鍵スケジュールを切り替える
help-bytes-close = バイト表示を閉じる
