# 鍵スケジュール表示：クライアントの鍵ログにある秘密からレコードの鍵まで、
# 各鍵が開いたレコード、各 Finished の検証結果。
# 式(HKDF-Expand-Label、PRF)は RFC の書き方のままコードが描きます。
# ここにはそのまわりの言葉だけを置きます。

keys-title = 接続 {$conn} の鍵スケジュール：{$version}、{$suite}
keys-no-tls = 接続 {$conn} には TLS のハンドシェイクが(まだ)ないため、表示する鍵がありません。
keys-no-server-hello = 接続 {$conn} では ClientHello は送られましたが、ServerHello は(まだ)届いていません。サーバが選ぶバージョンと暗号スイートがないと、鍵は計算できません。
keys-no-connection = TLS の接続はまだありません。ハンドシェイクが流れると鍵スケジュールが表示されます。
keys-client-random = クライアント乱数
keys-server-random = サーバ乱数
keys-unsupported-suite = 暗号スイート {$suite} は鍵スケジュールが扱えないものなので、鍵を表示できません。
keys-unsupported-version = プロトコルバージョン {$version} は鍵スケジュールが扱えないものなので、鍵を表示できません。
keys-suite-not-for-version = 暗号スイート {$suite} は {$version} のものではありません。実際のハンドシェイクでこの組み合わせが選ばれることはありません。
keys-holds-13 = 鍵ログにあるもの：以下の4つのトラフィック秘密です。クライアントが導出するたびに書き出したものです。
keys-lacks-13 = 鍵ログにないもの：(EC)DHE の共有秘密(クライアントとサーバの外へは決して出ません)と、そこから作られるハンドシェイク秘密およびマスタシークレットです。トラフィック秘密はこれらから導出され、逆にたどることはできません。
keys-how-13 = トラフィック秘密ごとにレコードの鍵と IV が1組できます。各レコードのノンスは、IV とレコードの通し番号の排他的論理和です。
keys-holds-12 = 鍵ログにあるもの：マスタシークレット(CLIENT_RANDOM の行)です。
keys-lacks-12 = 鍵ログにないもの：(EC)DHE の共有秘密(プリマスタシークレット)です。クライアントとサーバの外へは決して出ません。マスタシークレットはこれと双方の乱数から作られます。
keys-how-12 = マスタシークレットと双方の乱数から鍵ブロックを1つ作り、それを各側の書き込み鍵と書き込み IV に切り分けます。
keys-eavesdropper = 鍵ログを持たない盗聴者には、これらの値はどれも計算できません。
keys-secret-for = ({$dir}、{$keys})
keys-dir-client = クライアントからサーバへ
keys-dir-server = サーバからクライアントへ
keys-epoch-handshake = ハンドシェイク用の鍵
keys-epoch-application = アプリケーションデータ用の鍵
keys-secret-missing = 鍵ログにこの秘密がないため、これらの鍵は計算できません。
keys-secret = 秘密
keys-bytes = {$len} バイト
keys-opened-handshake = 開いたもの：暗号化レコード {$records} 個、中身は {$steps}
keys-opened-application = 開いたもの：アプリケーションデータのレコード {$records} 個(POP3 のやりとり、チケット、アラート)
keys-opened-none = 開いたもの：まだレコードはありません
keys-master = マスタシークレット
keys-key-block = 鍵ブロック、{$len} バイト
keys-opened-12 = 開いたもの：クライアントからのレコード {$client} 個、サーバからのレコード {$server} 個(最初が Finished、続いて POP3 のやりとり)
keys-finished-client = クライアントの Finished
keys-finished-server = サーバの Finished
keys-finished-verified = {$who}：検証成功。verify_data が鍵ログとここまでのハンドシェイクから計算した値と一致するので、両者は同じハンドシェイクを見ています
keys-finished-fails = {$who}：検証失敗。この Finished が保証するハンドシェイクは、ここで見えたものと違います
keys-finished-expected = 期待値
keys-finished-received = 受信値
keys-finished-missing = {$who}：検証できません。鍵ログに元になる秘密がありません
keys-finished-unsupported = {$who}：検証できません。暗号スイートかバージョンを鍵スケジュールが扱えません
keys-finished-not-yet = {$who}：まだ届いていません
keys-finished-how-13 = verify_data = HMAC(finished_key, ここまでのハンドシェイクのハッシュ)
keys-finished-how-12 = verify_data = PRF(マスタシークレット, "{$label}", ここまでのハンドシェイクのハッシュ)、12 バイト
