; =============================================================================
; Sprites/spirit_wisp.asm - Spirit Wisp (custom sprite type $03, subtype $00)
; =============================================================================
; A small floating light. It drifts in random directions until Link comes
; within 48 pixels, then flies towards him. When it reaches him it is
; collected: the spirit shard counter in the save file goes up by one (at most
; 99), a sound plays, and the sprite disappears.
;
; State machine, index in SprAction ($0D80,X):
;   0 Init     pick a first drift direction
;   1 Drift    wander, bob up and down, watch for Link
;   2 Follow   home in on Link
;   3 Collect  give the shard and despawn
;
; Labels in this file are in the SpiritWisp namespace: `Main` here is
; SpiritWisp_Main everywhere else.
; =============================================================================

namespace SpiritWisp

; Distance (pixels, on the longer axis) at which the wisp notices Link.
!NoticeRange = 48
; Distance at which the wisp counts as collected.
!CollectRange = 10
; Homing speed, in the sprite velocity units Sprite_ApplySpeedTowardsPlayerLong
; takes in A.
!FollowSpeed = 20
; Frames between changes of drift direction.
!DriftTime = 40
; Largest shard count the HUD can show.
!MaxShards = 99

; -----------------------------------------------------------------------------
; Main
; Per-frame routine for a wisp in slot X. Draws it, then runs the current
; state. Nothing moves while the game is paused in a submodule ($11 != 0),
; but the wisp is still drawn.
; In: X = slot, 8-bit A/X/Y, data bank = this bank. Returns with RTS to
; HackSprite_Main (entered through JumpTableLocal).
; -----------------------------------------------------------------------------
Main:
{
  JSR Draw
  LDA.b SubMode : BNE .paused
  LDA.w SprAction, X
  JSL JumpTableLocal
  dw Init
  dw Drift
  dw Follow
  dw Collect

.paused
  RTS
}

; -----------------------------------------------------------------------------
; Draw
; Choose animation frame 0 or 1 (switching every 8 frames, offset by the slot
; number so that several wisps do not blink together) and draw it. The
; vanilla OAM setup subtracts the height ($0F70,X) from the drawn Y, so the
; bobbing set up in Drift shows without extra work here.
; -----------------------------------------------------------------------------
Draw:
{
  TXA : CLC : ADC.b FrameCounter
  LSR #3 : AND.b #$01                   ; frame 0 or 1
  JSR HackSprite_DrawSingle16
  RTS
}

; -----------------------------------------------------------------------------
; Init (state 0)
; Give the wisp a first drift direction and move on to Drift.
; -----------------------------------------------------------------------------
Init:
{
  JSR PickDriftSpeed
  INC.w SprAction, X                    ; -> 1 Drift
  RTS
}

; -----------------------------------------------------------------------------
; Drift (state 1)
; Move with the current drift speed. Every !DriftTime frames (when the main
; timer runs out) pick a new random direction. Bob up and down by setting
; the height from a small table indexed by the frame counter. If the wisp
; bumps into a wall, reverse both speeds. Switch to Follow when Link is within
; !NoticeRange pixels on both axes.
; -----------------------------------------------------------------------------
Drift:
{
  LDA.w SprTimerA, X : BNE +
    JSR PickDriftSpeed
  +
  JSL Sprite_MoveLong
  JSL Sprite_CheckTileCollisionLong : BEQ .no_wall
    ; Reverse direction: negate both velocities.
    LDA.w SprXSpeed, X : EOR.b #$FF : INC : STA.w SprXSpeed, X
    LDA.w SprYSpeed, X : EOR.b #$FF : INC : STA.w SprYSpeed, X
.no_wall

  ; Bob: height follows an 8 step table, one step every 4 frames.
  LDA.b FrameCounter : LSR #2 : AND.b #$07 : TAY
  LDA.w .bob_heights, Y : STA.w SprHeight, X

  JSL Math_LinkDistance                 ; A = larger axis distance
  CMP.b #!NoticeRange : BCS .return
    LDA.b #$02 : STA.w SprAction, X     ; -> 2 Follow
.return
  RTS

.bob_heights
  db 4, 5, 6, 6, 5, 4, 3, 3
}

; -----------------------------------------------------------------------------
; Follow (state 2)
; Fly straight at Link at !FollowSpeed. The speed is recomputed every frame
; so the wisp curves after him. Switch to Collect when close enough.
; -----------------------------------------------------------------------------
Follow:
{
  LDA.b #!FollowSpeed
  JSL Sprite_ApplySpeedTowardsPlayerLong
  JSL Sprite_MoveLong
  JSL Math_LinkDistance
  CMP.b #!CollectRange : BCS .return
    LDA.b #$03 : STA.w SprAction, X     ; -> 3 Collect
.return
  RTS
}

; -----------------------------------------------------------------------------
; Collect (state 3)
; Add one spirit shard to the save file (unless already at !MaxShards), play
; the rupee pickup sound on channel 3, and free the sprite slot.
; -----------------------------------------------------------------------------
Collect:
{
  LDA.l SpiritShards : CMP.b #!MaxShards : BCS +
    INC : STA.l SpiritShards
  +
  %PlaySFX($0A)
  STZ.w SprState, X                     ; slot is free again
  RTS
}

; -----------------------------------------------------------------------------
; PickDriftSpeed
; Set a random drift velocity: each axis gets one of the eight speeds in
; .speeds (signed sprite velocities from -8 to +8), and restart the timer.
; Clobbers $00-$01 and Y.
; -----------------------------------------------------------------------------
PickDriftSpeed:
{
  LDA.b #$08 : JSL Math_RandomBelow : TAY
  LDA.w .speeds, Y : STA.w SprXSpeed, X
  LDA.b #$08 : JSL Math_RandomBelow : TAY
  LDA.w .speeds, Y : STA.w SprYSpeed, X
  LDA.b #!DriftTime : STA.w SprTimerA, X
  RTS

.speeds
  db -8, -6, -4, -2, 2, 4, 6, 8
}

namespace off
