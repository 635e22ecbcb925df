lorom
org $008000
%Nope()
incsrc "late.asm"
