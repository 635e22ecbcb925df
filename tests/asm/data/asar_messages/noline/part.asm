NOP
;[[ another
