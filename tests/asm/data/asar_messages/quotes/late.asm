macro Text()
  db "open
endmacro
