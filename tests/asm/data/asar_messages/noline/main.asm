lorom
org $008000
NOP ;[[ old style
%Gone()
incsrc "part.asm"
