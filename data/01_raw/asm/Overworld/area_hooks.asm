; =============================================================================
; Overworld/area_hooks.asm - per-area behaviour on the overworld
; =============================================================================
; The frame hook calls Overworld_FrameHook every frame of normal overworld
; play (module $09, submodule $00). When the area index $8A differs from the
; copy in LastArea, Link has just arrived in a new area, and the hack:
;   - starts the red "dusk" HDMA gradient in Dark World areas ($40-$7F, i.e.
;     bit 6 of the area index set) and stops it in the Light World;
;   - looks the area up in WispAreas and, if listed, releases that many
;     spirit wisps around Link;
;   - asks the HUD code to redraw the shard counter.
; Wisps are placed relative to Link's own position, using the offsets in
; WispOffsets, so the code needs no knowledge of where an area lies on the
; world map.
; =============================================================================

; Most wisps released on one area change (size of WispOffsets).
!MaxWispsPerArea = 4

; -----------------------------------------------------------------------------
; Overworld_FrameHook
; Detect an area change and set the new area up. Long routine; 8-bit A/X/Y.
; -----------------------------------------------------------------------------
Overworld_FrameHook:
{
  PHB : PHK : PLB
  REP #$20
  LDA.b OverworldArea : CMP.w LastArea : BEQ .same_area
    STA.w LastArea
    SEP #$20
    JSL Hud_ResetShardCounter           ; redraw the shard counter
    JSR Overworld_SetWorldGradient
    JSR Overworld_ReleaseWisps
.same_area
  SEP #$20
  PLB
  RTL
}

; -----------------------------------------------------------------------------
; Overworld_SetWorldGradient
; Dark World areas (bit 6 of $8A set) get gradient 0 (dusk); Light World
; areas have it switched off.
; -----------------------------------------------------------------------------
Overworld_SetWorldGradient:
{
  LDA.b OverworldArea : AND.b #$40 : BEQ .light_world
    LDA.b #$00                          ; gradient 0: dusk
    JSL Hdma_StartGradient
    RTS
.light_world
  JSL Hdma_StopGradient
  RTS
}

; -----------------------------------------------------------------------------
; Overworld_ReleaseWisps
; Find the current area in WispAreas (pairs of area id, wisp count, ended by
; $FF). For a listed area, spawn up to !MaxWispsPerArea wisps (subtype $00)
; at Link's position plus the offsets in WispOffsets. Stops early if the
; sprite slots run out.
; -----------------------------------------------------------------------------
Overworld_ReleaseWisps:
{
  LDX.b #$00
.find_area
  LDA.w WispAreas, X : CMP.b #$FF : BEQ .return
  CMP.b OverworldArea : BEQ .found      ; area ids fit in the low byte of $8A
  INX #2
  BRA .find_area

.found
  LDA.w WispAreas+1, X : BEQ .return   ; number of wisps for this area
  CMP.b #!MaxWispsPerArea+1 : BCC +
    LDA.b #!MaxWispsPerArea
  +
  STA.w WispsToSpawn
  LDY.b #$00                            ; Y = offset into WispOffsets

.next_wisp
  REP #$20
  LDA.w WispOffsets, Y : CLC : ADC.b LinkX : STA.b $00
  LDA.w WispOffsets+2, Y : CLC : ADC.b LinkY : STA.b $02
  SEP #$20
  PHY
  LDA.b #$00                            ; subtype: spirit wisp
  JSL HackSprite_SpawnAt
  PLY
  BCS .return                           ; no free slot left
  INY #4
  DEC.w WispsToSpawn : BNE .next_wisp
.return
  RTS
}

; -----------------------------------------------------------------------------
; WispAreas: area id, number of wisps. Ends with $FF.
; The hack's story places the wisps in these Light World areas.
; -----------------------------------------------------------------------------
WispAreas:
  db $00, 3
  db $18, 2
  db $2C, 1
  db $FF

; -----------------------------------------------------------------------------
; WispOffsets: where each released wisp appears, relative to Link
; (dw x offset, y offset, in pixels; signed).
; -----------------------------------------------------------------------------
WispOffsets:
  dw  48, -32
  dw -48, -32
  dw  32,  48
  dw -32,  48
