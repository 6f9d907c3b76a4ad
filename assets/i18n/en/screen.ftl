# The lab screen: panes, hints, status bar, scenario menu.
# Padding and borders are added by the code; Fluent trims a value's
# leading and trailing spaces.

tls-connection-heading = ── connection { $conn }
