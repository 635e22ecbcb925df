lorom
org $008000
print "main.asm:1: error: (Efake): not from asar"
print "a"+"b"
