; Macros: a plain one, a variadic one and one with labels of its own.
macro SetA16()
    REP #$20
endmacro

macro Bytes(first, ...)
    db <first>
    !i #= 0
    while !i < sizeof(...)
        db <...[!i]>
        !i #= !i+1
    endwhile
endmacro

macro WaitLine()
?wait:
    LDA $4212 : AND #$40 : BEQ ?wait
    BRA ?+
    NOP
?+
endmacro
