lorom
org $008000
macro Open()
  if 1
    NOP
endmacro
  %Open()
  LDA Absent
