# ラボ画面: ペイン、ヒント、ステータスバー、シナリオメニュー。

tls-connection-heading = ── 接続 { $conn }
