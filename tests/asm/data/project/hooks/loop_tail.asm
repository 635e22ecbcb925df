; The end of the main loop: its sub label's parent label is in the including file.
.tail
    BRA .tail
