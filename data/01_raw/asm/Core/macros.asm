; =============================================================================
; Core/macros.asm - macros shared by every module of the hack
; =============================================================================
; Asar macros are called with %Name(args). Inside a macro body the arguments
; are written <arg>. Labels inside a macro that start with ? are local to one
; expansion of the macro.
; =============================================================================

; -----------------------------------------------------------------------------
; Register width helpers. The 65816 has no way to ask what width it is in, so
; every routine in this hack states the width it expects on entry in its
; comment block and uses these macros to switch.
; -----------------------------------------------------------------------------

; 16-bit accumulator (clears the M flag).
macro SetA16()
  REP #$20
endmacro

; 8-bit accumulator (sets the M flag).
macro SetA8()
  SEP #$20
endmacro

; 16-bit X and Y (clears the X flag).
macro SetXY16()
  REP #$10
endmacro

; 8-bit X and Y (sets the X flag; the high bytes of X and Y become zero).
macro SetXY8()
  SEP #$10
endmacro

; 16-bit accumulator and index registers.
macro SetAXY16()
  REP #$30
endmacro

; 8-bit accumulator and index registers.
macro SetAXY8()
  SEP #$30
endmacro

; -----------------------------------------------------------------------------
; Bank wrappers for long routines: make the data bank equal to the program
; bank so that absolute addressing (LDA Table, X) reads this bank's tables.
; -----------------------------------------------------------------------------

; Push the caller's data bank and switch DB to the current program bank.
macro PushDataBank()
  PHB : PHK : PLB
endmacro

; Restore the caller's data bank.
macro PopDataBank()
  PLB
endmacro

; -----------------------------------------------------------------------------
; Sound. Writing a nonzero id to $012E or $012F queues a sound effect that the
; engine hands to the SPC700 during NMI. Call with an 8-bit accumulator.
; -----------------------------------------------------------------------------

; Queue a sound on effect channel 3 ($012F): rupee $0A, heart $0B,
; secret solved $1B, switch $25, small key $2F.
macro PlaySFX(id)
  LDA.b #<id> : STA.w Sfx3
endmacro

; Queue a sound on effect channel 2 ($012E): Link hurt $26, error buzz $3C.
macro PlaySFX2(id)
  LDA.b #<id> : STA.w Sfx2
endmacro

; -----------------------------------------------------------------------------
; Calls into vanilla code. JSL needs the full 24-bit address; these macros keep
; the address in one place (see the vanilla routine list in main.asm).
; -----------------------------------------------------------------------------

; Jump through a table of 16-bit addresses that follows the JSL, indexed by A
; (8-bit). JumpTableLocal pops the return address to find the table, so the
; code after the table is never returned to: each target must end the way the
; routine that contains the table would have ended.
macro JumpTable()
  JSL JumpTableLocal
endmacro

; Same as above for a table of 24-bit (dl) addresses.
macro JumpTableLong()
  JSL JumpTableLong
endmacro

; -----------------------------------------------------------------------------
; DMA: copy `size` bytes from the 24-bit address `src` to VRAM word address
; `vram` using channel 0. The screen must be in forced blank or in V-blank.
; Expects an 8-bit accumulator and 16-bit index registers; leaves them so.
; -----------------------------------------------------------------------------
macro DmaToVram(src, vram, size)
  LDA.b #$80 : STA.w VMAIN                ; increment after writing $2119
  LDX.w #<vram> : STX.w VMADDL
  LDA.b #!DMAP_TwoRegs : STA.w DMAP0      ; two registers: $2118, $2119
  LDA.b #VMDATAL : STA.w BBAD0            ; B-bus target low byte ($18)
  LDX.w #<src> : STX.w A1T0L
  LDA.b #<src>>>16 : STA.w A1B0
  LDX.w #<size> : STX.w DAS0L
  LDA.b #$01 : STA.w MDMAEN               ; start channel 0
endmacro

; -----------------------------------------------------------------------------
; Wait with `count` NOPs (2 cycles each); used after starting the hardware
; multiplier (8 cycles) or divider (16 cycles). `NOP #n` is asar's repeat
; syntax for implied-mode instructions: it emits n NOPs.
; -----------------------------------------------------------------------------
macro WaitCycles(count)
  NOP #<count>
endmacro

; -----------------------------------------------------------------------------
; Put a 16-bit value in a hack RAM word. Expects an 8-bit accumulator and
; leaves it 8-bit.
; -----------------------------------------------------------------------------
macro StoreWord(addr, value)
  REP #$20
  LDA.w #<value> : STA.w <addr>
  SEP #$20
endmacro

; -----------------------------------------------------------------------------
; Debug-only code: the body is assembled only when !DEBUG is nonzero.
; %DebugMark(id) stores `id` in DebugMarker ($7E07BF), a hack RAM byte that is
; easy to watch in an emulator, so a maintainer can see which code ran last.
; Preserves the processor flags (and so the register widths) of the caller.
; -----------------------------------------------------------------------------
macro DebugMark(id)
  if !DEBUG
    PHP : SEP #$20
    LDA.b #<id> : STA.l DebugMarker
    PLP
  endif
endmacro
