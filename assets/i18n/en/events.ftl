# Events in words: the screen and the demo transcript.
