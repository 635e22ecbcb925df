; =============================================================================
; Sprites/sentry_statue.asm - Sentry statue and its bolt
; (custom sprite type $03, subtypes $01 and $02)
; =============================================================================
; The sentry is a statue that stares in one direction. When Link stands in
; its line of sight (within 12 pixels of its centre line, on the side it
; faces) it glows for a moment and fires a bolt. The bolt flies straight,
; hurts Link on contact and vanishes when it hits a wall or after a second
; and a half. Sentries are spawned by Dungeons/sentry_rooms.asm, which stores
; the facing direction in SprMiscA ($0D90,X) before the sentry first runs.
;
; Sentry states (SprAction, $0D80,X):
;   0 Init      snap the facing value to 0/2/4/6
;   1 Watch     look for Link
;   2 Charge    glow for !ChargeTime frames, then fire
;   3 Cooldown  wait !CooldownTime frames, then watch again
; Facing values follow Link's own ($2F): 0 up, 2 down, 4 left, 6 right.
; =============================================================================

namespace Sentry

!SightWidth = 12        ; half-width of the line of sight, pixels
!ChargeTime = 24        ; frames of glowing before a shot
!CooldownTime = 64      ; frames between shots
!BoltSpeed = 32         ; bolt speed, sprite velocity units
!BoltLifetime = 90      ; frames before a bolt fizzles

; -----------------------------------------------------------------------------
; Main
; Per-frame routine of a sentry in slot X. Draws the statue (the glowing
; frame while charging), then runs its state unless a submodule is active.
; In: X = slot, 8-bit A/X/Y. Returns with RTS to HackSprite_Main.
; -----------------------------------------------------------------------------
Main:
{
  JSR Draw
  LDA.b SubMode : BNE .paused
  LDA.w SprAction, X
  JSL JumpTableLocal
  dw Init
  dw Watch
  dw Charge
  dw Cooldown

.paused
  RTS
}

; -----------------------------------------------------------------------------
; Draw
; Frames 2-5 of HackSprite_Frames are the four facings (facing / 2 + 2);
; frame 6 is the glowing statue shown while charging.
; -----------------------------------------------------------------------------
Draw:
{
  LDA.w SprAction, X : CMP.b #$02 : BNE .facing
    LDA.b #$06
    BRA .draw
.facing
  LDA.w SprMiscA, X : LSR : CLC : ADC.b #$02
.draw
  JSR HackSprite_DrawSingle16
  RTS
}

; -----------------------------------------------------------------------------
; Init (state 0)
; Keep only the valid facing bits (0, 2, 4, 6) of SprMiscA and start watching.
; -----------------------------------------------------------------------------
Init:
{
  LDA.w SprMiscA, X : AND.b #$06 : STA.w SprMiscA, X
  LDA.b #$01 : STA.w SprAction, X       ; -> 1 Watch
  RTS
}

; -----------------------------------------------------------------------------
; Watch (state 1)
; Compute Link's offset from the statue on both axes (16-bit: Link minus
; sprite) and test it against the facing direction:
;   up/down:    |dx| < !SightWidth and dy negative (up) or positive (down)
;   left/right: |dy| < !SightWidth and dx negative (left) or positive (right)
; When Link is seen, set SentryAlert and start charging.
; -----------------------------------------------------------------------------
Watch:
{
  ; $04-$05 = Link X - sprite X, $06-$07 = Link Y - sprite Y
  LDA.w SprXLo, X : STA.b $00
  LDA.w SprXHi, X : STA.b $01
  LDA.w SprYLo, X : STA.b $02
  LDA.w SprYHi, X : STA.b $03
  REP #$20
  LDA.b LinkX : SEC : SBC.b $00 : STA.b $04
  LDA.b LinkY : SEC : SBC.b $02 : STA.b $06
  SEP #$20

  LDA.w SprMiscA, X : CMP.b #$04 : BCS .horizontal

.vertical
  ; Facing up (0) or down (2): Link must be near the vertical centre line.
  REP #$20
  LDA.b $04 : CLC : ADC.w #!SightWidth
  CMP.w #!SightWidth*2 : BCS ..not_seen  ; |dx| >= width (unsigned trick)
  LDA.b $06
  SEP #$20
  XBA                                     ; A = high byte of dy (sign in bit 7)
  LDY.w SprMiscA, X : BNE ..wants_positive
    ; Facing up: seen when dy is negative (Link is above).
    AND.b #$80 : BNE .seen
    BRA .return
  ..wants_positive
    ; Facing down: seen when dy is positive (Link is below).
    AND.b #$80 : BEQ .seen
    BRA .return
  ..not_seen
  SEP #$20
  BRA .return

.horizontal
  ; Facing left (4) or right (6): Link must be near the horizontal line.
  REP #$20
  LDA.b $06 : CLC : ADC.w #!SightWidth
  CMP.w #!SightWidth*2 : BCS ..not_seen
  LDA.b $04
  SEP #$20
  XBA                                     ; A = high byte of dx (sign in bit 7)
  LDY.w SprMiscA, X
  CPY.b #$04 : BEQ ..wants_negative
    ; Facing right: seen when dx is positive (Link is to the right).
    AND.b #$80 : BEQ .seen
    BRA .return
  ..wants_negative
    ; Facing left: seen when dx is negative (Link is to the left).
    AND.b #$80 : BNE .seen
    BRA .return
  ..not_seen
  SEP #$20
  BRA .return

.seen
  LDA.b #$01 : STA.w SentryAlert
  LDA.b #!ChargeTime : STA.w SprTimerA, X
  LDA.b #$02 : STA.w SprAction, X       ; -> 2 Charge
.return
  RTS
}

; -----------------------------------------------------------------------------
; Charge (state 2)
; Wait for the main timer to run out, then fire a bolt and cool down.
; -----------------------------------------------------------------------------
Charge:
{
  LDA.w SprTimerA, X : BNE .return
  JSR FireBolt
  LDA.b #!CooldownTime : STA.w SprTimerA, X
  LDA.b #$03 : STA.w SprAction, X       ; -> 3 Cooldown
.return
  RTS
}

; -----------------------------------------------------------------------------
; Cooldown (state 3)
; Wait for the main timer, then clear the alert and watch again.
; -----------------------------------------------------------------------------
Cooldown:
{
  LDA.w SprTimerA, X : BNE .return
  STZ.w SentryAlert
  LDA.b #$01 : STA.w SprAction, X       ; -> 1 Watch
.return
  RTS
}

; -----------------------------------------------------------------------------
; FireBolt
; Spawn a sentry bolt (type $03, subtype $02) at the statue's position with
; Sprite_SpawnDynamically, which copies the parent's layer and returns the new
; slot in Y (negative when no slot is free, in which case nothing happens).
; The bolt's velocity comes from the statue's facing. Plays the beam sound.
; -----------------------------------------------------------------------------
FireBolt:
{
  LDA.b #!HackSpriteType
  JSL Sprite_SpawnDynamically : BMI .no_slot
  ; $00-$03 hold the parent's X lo, X hi, Y lo, Y hi.
  LDA.b $00 : STA.w SprXLo, Y
  LDA.b $01 : STA.w SprXHi, Y
  LDA.b $02 : STA.w SprYLo, Y
  LDA.b $03 : STA.w SprYHi, Y
  LDA.b #$02 : STA.w SprSubtype, Y
  LDA.b #$00 : STA.w SprAction, Y
  LDA.b #!BoltLifetime : STA.w SprTimerA, Y
  ; Velocity from the facing table (facing / 2 = 0..3).
  PHX
  LDA.w SprMiscA, X : LSR : TAX
  LDA.w .x_speed, X : STA.w SprXSpeed, Y
  LDA.w .y_speed, X : STA.w SprYSpeed, Y
  PLX
  %PlaySFX($36)                         ; beam being fired
.no_slot
  RTS

.x_speed
  db 0, 0, -!BoltSpeed, !BoltSpeed      ; up, down, left, right
.y_speed
  db -!BoltSpeed, !BoltSpeed, 0, 0
}

namespace off

; =============================================================================
; Sentry bolt (subtype $02)
; =============================================================================

namespace SentryBolt

; -----------------------------------------------------------------------------
; Main
; Per-frame routine of a bolt in slot X: draw it, and unless paused move it,
; hurt Link on contact, and remove it when it hits a wall or its lifetime
; (main timer, set by the sentry) runs out.
; In: X = slot, 8-bit A/X/Y. Returns with RTS to HackSprite_Main.
; -----------------------------------------------------------------------------
Main:
{
  LDA.b #$07 : JSR HackSprite_DrawSingle16   ; frame 7: the bolt
  LDA.b SubMode : BNE .return
  LDA.w SprTimerA, X : BEQ .fizzle
  JSL Sprite_MoveLong
  JSL Sprite_CheckDamageToPlayerLong : BCS .fizzle   ; hit Link: gone
  JSL Sprite_CheckTileCollisionLong : BNE .fizzle    ; hit a wall: gone
.return
  RTS

.fizzle
  STZ.w SprState, X
  RTS
}

namespace off
