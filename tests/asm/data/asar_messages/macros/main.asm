lorom
org $008000
macro Store(value)
  LDA #<value>
  STA.w Nowhere
endmacro
macro Twice(value)
  %Store(<value>)
  FROB <value>
endmacro
Start:
  %Store($01)
  %Twice($02)
  %Missing()
  LDA.w Later1
  %Store()
  LDA.w Later2
macro Bad(a, a)
  NOP
endmacro
  RTS
