; macros for the test
macro Clear(addr)
  STZ <addr>
  STZ.w Unknown
endmacro
incsrc "../inner/table.asm"
