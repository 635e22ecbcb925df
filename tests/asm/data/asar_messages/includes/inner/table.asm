Table:
  db $01, $02
  dw Missing
