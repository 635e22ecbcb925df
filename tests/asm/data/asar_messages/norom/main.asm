lorom
org $008000
NOP
