; A small program in several files, written for the tests of afs.asm (see ../README.md).
; asar assembles it from here: asar --no-title-check -Ilib main.asm out.sfc
lorom
incsrc "defines.asm"
incsrc macros.asm

org $008000
Reset:
    SEI : CLC : XCE
    %SetA16()
    JSL Engine_Init
    pushpc
    incsrc "hooks/vectors.asm"      ; its pullpc returns here
    %Bytes($01, $02, $03)
    %Bytes($04)
    %WaitLine()
    %WaitLine()
Reset_Loop:
    LDA.w !Frame
    incsrc hooks/loop_tail.asm      ; .tail is a sub label of Reset_Loop

incsrc engine/init.asm
incsrc tables.asm                   ; found in the include directory (-Ilib)

org $0DB080+ScreenOffset            ; an org with a label in it: $0DB0F3
Screen_Table:
    dw pixels(2), pixels(ScreenOffset)
    db #$0B                         ; a deprecated '#' (asar warns)
