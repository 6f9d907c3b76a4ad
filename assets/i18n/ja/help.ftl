# The ? help and the key hints.
