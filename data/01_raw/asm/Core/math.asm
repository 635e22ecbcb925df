; =============================================================================
; Core/math.asm - arithmetic helpers using the SNES multiply/divide unit
; =============================================================================
; The CPU-side math unit at $4202-$4217:
;   multiply: write WRMPYA ($4202) and WRMPYB ($4203); 8 cycles later the
;             16-bit product is in RDMPYL/RDMPYH ($4216/$4217).
;   divide:   write the 16-bit dividend to WRDIVL/WRDIVH ($4204/$4205) and the
;             8-bit divisor to WRDIVB ($4206); 16 cycles later the quotient is
;             in RDDIVL/RDDIVH ($4214/$4215) and the remainder in RDMPYL/H.
; A NOP takes 2 cycles, so the waits below are 4 and 8 NOPs. The instructions
; that read the result add a few more cycles of margin.
; =============================================================================

; -----------------------------------------------------------------------------
; Math_Multiply8
; Unsigned 8 x 8 -> 16 bit multiply.
; In:  A (8-bit) = first factor, Y (8-bit) = second factor
; Out: $00-$01 = product; A = low byte of the product
; Expects 8-bit A and X/Y. Clobbers nothing else.
; -----------------------------------------------------------------------------
Math_Multiply8:
{
  STA.w WRMPYA
  STY.w WRMPYB                          ; starts the multiply
  %WaitCycles(4)
  LDA.w RDMPYH : STA.b $01
  LDA.w RDMPYL : STA.b $00
  RTL
}

; -----------------------------------------------------------------------------
; Math_Divide16by8
; Unsigned 16 / 8 bit divide.
; In:  $00-$01 = dividend, A (8-bit) = divisor (nonzero)
; Out: $00-$01 = quotient, $02 = remainder (the remainder of a divide by an
;      8-bit divisor always fits in one byte)
; Expects 8-bit A. Dividing by zero gives a quotient of $FFFF on hardware.
; -----------------------------------------------------------------------------
Math_Divide16by8:
{
  PHA
  LDA.b $00 : STA.w WRDIVL
  LDA.b $01 : STA.w WRDIVH
  PLA : STA.w WRDIVB                    ; starts the divide
  %WaitCycles(8)
  LDA.w RDDIVL : STA.b $00
  LDA.w RDDIVH : STA.b $01
  LDA.w RDMPYL : STA.b $02              ; remainder
  RTL
}

; -----------------------------------------------------------------------------
; Math_ToDecimal2
; Split a value 0-99 into its tens and ones digits with the hardware divider.
; In:  A (8-bit) = value; values above 99 are clamped to 99
; Out: $00 = tens digit, $01 = ones digit
; Expects 8-bit A. Used by the HUD shard counter (Menu/hud_shards.asm).
; -----------------------------------------------------------------------------
Math_ToDecimal2:
{
  CMP.b #100 : BCC +
    LDA.b #99
  +
  STA.w WRDIVL
  STZ.w WRDIVH
  LDA.b #10 : STA.w WRDIVB
  %WaitCycles(8)
  LDA.w RDDIVL : STA.b $00              ; quotient = tens
  LDA.w RDMPYL : STA.b $01              ; remainder = ones
  RTL
}

; -----------------------------------------------------------------------------
; Math_Random
; 16-bit xorshift generator (shifts 7, 9, 8) on RngState ($7E0766).
; If the state is zero (it starts zeroed), it is seeded first from the
; vanilla GetRandomInt ($0DBA71), which mixes the H counter, the frame counter
; and its own accumulator at $0FA1.
; Out: A (8-bit) = new random byte (low byte of the state)
; Expects 8-bit A on entry; returns with 8-bit A. X and Y are preserved.
; -----------------------------------------------------------------------------
Math_Random:
{
  REP #$20
  LDA.w RngState : BNE .have_seed
    SEP #$20
    JSL GetRandomInt : XBA
    JSL GetRandomInt
    REP #$20
    ORA.w #$0001                        ; never let the state be zero
.have_seed
  ; x ^= x << 7
  STA.b $00
  ASL #7
  EOR.b $00 : STA.b $00
  ; x ^= x >> 9
  LSR #9
  EOR.b $00 : STA.b $00
  ; x ^= x << 8
  XBA : AND.w #$FF00
  EOR.b $00
  STA.w RngState
  SEP #$20
  RTL
}

; -----------------------------------------------------------------------------
; Math_RandomBelow
; Random number in the range 0 .. A-1, using the high byte of
; random * A so that every result is (nearly) equally likely.
; In:  A (8-bit) = range (1-255)
; Out: A (8-bit) = result
; Expects 8-bit A and X/Y. Clobbers $00-$01 and Y.
; -----------------------------------------------------------------------------
Math_RandomBelow:
{
  PHA
  JSL Math_Random
  PLY                                   ; Y = range
  JSL Math_Multiply8                    ; $00-$01 = random * range
  LDA.b $01                             ; high byte = random * range / 256
  RTL
}

; -----------------------------------------------------------------------------
; Math_LinkDistance
; Distance between Link and sprite slot X along both axes, as absolute values.
; In:  X (8-bit) = sprite slot
; Out: $00-$01 = |LinkX - spriteX|, $02-$03 = |LinkY - spriteY| (16-bit)
;      A (8-bit) = the larger of the two, clamped to $FF
; Expects 8-bit A and X/Y; returns with 8-bit A.
; -----------------------------------------------------------------------------
Math_LinkDistance:
{
  ; Build the sprite's 16-bit X in $04-$05 and Y in $06-$07.
  LDA.w SprXLo, X : STA.b $04
  LDA.w SprXHi, X : STA.b $05
  LDA.w SprYLo, X : STA.b $06
  LDA.w SprYHi, X : STA.b $07
  REP #$20
  LDA.b LinkX : SEC : SBC.b $04 : BPL +
    EOR.w #$FFFF : INC                  ; negate
  +
  STA.b $00
  LDA.b LinkY : SEC : SBC.b $06 : BPL +
    EOR.w #$FFFF : INC
  +
  STA.b $02
  ; A = max(dx, dy)
  CMP.b $00 : BCS +
    LDA.b $00
  +
  CMP.w #$0100 : BCC +
    LDA.w #$00FF                        ; clamp to one byte
  +
  SEP #$20
  RTL
}
