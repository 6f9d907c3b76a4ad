# The ? help and the key hints.

## The help overlay's frame.

help-title = keys · any key closes
help-title-scroll = keys { $first }–{ $last } of { $total } · ↑ ↓ scroll · any other key closes
help-intro = Type POP3 commands in the client pane: USER alice, PASS wonderland, STAT, LIST, RETR 1, DELE 2, QUIT.
help-mouse-key = mouse
help-mouse = click focuses, wheel scrolls the pane under it (--no-mouse: select text)
help-mouse-off = (the mouse is off: --no-mouse)

## Where keys work (the help's headings).

help-heading-anywhere = anywhere
help-heading-help = in this help
help-heading-list = in the list of chapters
help-heading-menu = in the scenario menu
help-heading-search = typing a search
help-heading-typing = on the input line (pop3>)
help-heading-lesson = in the lesson pane
help-heading-panes = in the panes (input line not focused)

## Keys that are classes of keys.

help-key-any-char = any character
help-key-any-other = any other key

## What each row of the key map does (src/tui/keys.rs).

help-quit-anywhere = quit, from anywhere
help-help-scroll = scroll the help
help-help-close = close the help
help-list-choose = choose a chapter
help-list-open = open it
help-list-close = close the list
help-list-lang = 日本語 / English
help-menu-choose = choose a row
help-menu-change = change it: the lab restarts with it
help-menu-apply = a fresh lab now
help-menu-close = close; typing goes to the input line
help-search-submit = search: jump to the newest match
help-search-cancel = forget the search
help-search-backspace = delete the last character
help-search-type = type what to find
help-screen-help = this help
help-prev-pane = previous pane
help-screen-half-page = scroll the focused pane by half a screen
help-typing-send = send the command
help-typing-leave = leave the input line: single keys work as commands
help-typing-cursor = move the cursor
help-typing-delete = delete before / under the cursor
help-typing-history = command history
help-typing-tab = complete the command; on an empty line, next pane
help-typing-lesson = next / previous lesson step, on an empty line
help-typing-type = type a POP3 command: USER alice, STAT, RETR 1…
help-lesson-answer = answer the quiz question
help-lesson-next = next lesson step or question
help-panes-capital = start typing a command: focus moves to the input line
help-panes-free = the same, for these letters (dele, top, user, uidl…)
help-panes-input = type a POP3 command in the client pane
help-panes-quit = quit
help-panes-help = this help; any key closes it
help-next-pane = next pane
help-panes-focus = focus client, server, eavesdropper, TLS, lesson
help-panes-scroll = scroll the focused pane
help-panes-top = oldest lines
help-panes-bottom = newest lines, following new ones
help-panes-zoom = zoom the focused pane
help-panes-search = search the focused pane; next older match
help-panes-esc = stop the password search; clear the search
help-panes-view = eavesdropper view: text, hex, records
help-panes-scenario = scenario: transport, login, client policies, attacker
help-panes-login = log in the scenario's way (APOP, AUTH PLAIN too)
help-panes-crack = crack a captured APOP password offline; again or Esc stops
help-panes-step = pause the wire and let one chunk cross
help-panes-pause = pause the wire / let it flow
help-panes-play = play one chunk at a time; faster, slower
help-panes-past = view one chunk back / forward over the record; the wire goes on
help-panes-live = back to the live lab (in a replay: its end)
help-panes-save = write what was recorded as a pcapng capture (opens in Wireshark)
help-panes-reset = reset: a fresh lab, same scenario
help-panes-lesson = lesson pane on/off; list of chapters
help-panes-lesson-step = next / previous lesson step
help-panes-lang = language: 日本語 / English
help-panes-theme = theme: dark, light, high contrast

# The lesson pane's own words (the lessons' text is in lessons/).

lesson-chapter = Chapter { $n }
lesson-step = Step { $n }/{ $total }
lesson-quiz = Quiz { $n }/{ $total }
lesson-keys = ] next  [ back  { $lang } 日本語  { $list } list
lesson-intro-hint = Press ] to start the first step.
lesson-end = That is the end of this chapter. { $list } opens the list of chapters.
lesson-right = right
lesson-wrong = not quite
lesson-only-english = This chapter is in English only.
lesson-only-japanese = This chapter is in Japanese only.
lesson-none = No lessons are loaded.
lesson-list-title = chapters · ↑↓ Enter opens · Esc closes · { $lang } 日本語
lesson-list-quiz = quiz { $right }/{ $total }

## The TLS pane's steps and byte view.
help-heading-steps = in the TLS pane's list of handshake steps
help-heading-bytes = in the TLS pane's byte view
help-steps-choose = choose a handshake step (past either end: scroll)
help-steps-open = open the chosen step's bytes
help-bytes-field = choose a field of the message
help-bytes-step = the previous or next handshake step
help-bytes-fold = fold or unfold the chosen field
help-bytes-tab = switch between the message and the key schedule
help-bytes-close = close the byte view
