; =============================================================================
; Items/heart_jar.asm - Heart Jar: trade magic for health with the R button
; =============================================================================
; Once Link owns the heart jar (bit 0 of HackItems, $7EF411), pressing R while
; he stands in control on the ground converts magic into health: each use
; costs !JarMagicCost magic points and refills one heart through the vanilla
; heart refill counter ($7EF372), which the HUD then fills in with its usual
; animation and sound. Vanilla ALTTP gives R no function in normal play.
;
; The half / quarter magic upgrade ($7EF37B) halves or quarters the cost, in
; the same way it does for vanilla items.
; =============================================================================

; Magic cost of one use at normal consumption.
!JarMagicCost = $10
; Frames before the jar can be used again.
!JarCooldown = 30
; Bit in HackItems that marks the jar as owned.
!HackItem_HeartJar = $01

; -----------------------------------------------------------------------------
; HeartJar_CheckUse
; Called every frame by the frame hook while the dungeon or overworld module
; is in normal play. Counts down the cooldown; on a fresh press of R tries to
; use the jar. Fails with the error buzz if the jar cannot be used right now
; (not enough magic, or health already full).
; Long routine; 8-bit A/X/Y on entry and exit.
; -----------------------------------------------------------------------------
HeartJar_CheckUse:
{
  LDA.w HeartJarCooldown : BEQ +
    DEC.w HeartJarCooldown
    RTL
  +
  LDA.l HackItems : AND.b #!HackItem_HeartJar : BEQ .return
  LDA.b JoyNewL : AND.b #$10 : BEQ .return     ; R newly pressed?
  LDA.b LinkState : CMP.b #!LinkState_Ground : BNE .return

  JSR HeartJar_GetCost                  ; A = cost after upgrades
  STA.b $00
  LDA.l Magic : CMP.b $00 : BCC .fail   ; not enough magic
  LDA.l Health : CMP.l MaxHealth : BCS .fail   ; already full

  ; Pay the magic and queue one heart of refill.
  LDA.l Magic : SEC : SBC.b $00 : STA.l Magic
  LDA.l HeartRefill : CLC : ADC.b #!OneHeart : STA.l HeartRefill
  LDA.b #!JarCooldown : STA.w HeartJarCooldown
  %DebugMark($10)
  RTL

.fail
  %PlaySFX2($3C)                        ; error buzz
  LDA.b #!JarCooldown : STA.w HeartJarCooldown
.return
  RTL
}

; -----------------------------------------------------------------------------
; HeartJar_GetCost
; Magic cost of one use: !JarMagicCost shifted right once per level of the
; magic upgrade in MagicUsage ($7EF37B: 0 normal, 1 half, 2 quarter).
; Out: A (8-bit) = cost. Clobbers X.
; -----------------------------------------------------------------------------
HeartJar_GetCost:
{
  LDA.l MagicUsage : AND.b #$03 : TAX
  LDA.b #!JarMagicCost
  CPX.b #$00 : BEQ .done
- LSR
  DEX : BNE -
.done
  RTS
}
