; =============================================================================
; Menu/hud_shards.asm - spirit shard counter and alert icon on the HUD
; =============================================================================
; The HUD is kept in WRAM as a tilemap buffer at $7EC700 (32 tiles per row,
; 2 bytes per tile) and copied to VRAM by NMI whenever $16 is nonzero. Tile
; words use the vanilla HUD tiles: digits are $2490 + digit (palette/priority
; bits $2400 ORed with the digit tile $90-$99), a blank is $207F.
;
; This file draws, in a part of the HUD row 3 that the hack reserves for
; itself (columns 8-12):
;   col 8      the shard icon (hack tile $25A0)
;   col 9-10   the shard count, two digits, leading zero shown as blank
;   col 12     an "!" (hack tile $25A1) while a sentry has spotted Link
; It only rewrites the buffer when the count or the alert changes, and then
; sets $16 so NMI uploads the new HUD.
; =============================================================================

; Tile words used by the counter.
!HudBlank = $207F
!HudDigit0 = $2490
!HudShardIcon = $25A0
!HudAlertIcon = $25A1

; Byte offsets of the counter's tiles in the HUD buffer: (row * 32 + col) * 2.
!HudRow = 3
!HudShardIconPos = ((!HudRow*32+8)*2)
!HudShardTensPos = ((!HudRow*32+9)*2)
!HudShardOnesPos = ((!HudRow*32+10)*2)
!HudAlertPos = ((!HudRow*32+12)*2)

; -----------------------------------------------------------------------------
; Hud_DrawShardCounter
; Called every frame (any submodule) of the dungeon and overworld modules.
; Redraws the counter when SpiritShards or SentryAlert changed since the last
; draw: HudShardsDrawn keeps the last drawn count in bits 0-6 and the alert
; in bit 7. Nothing is drawn before Link owns the shard pouch (HackItems
; bit 1). Long routine; 8-bit A/X/Y on entry and exit.
; -----------------------------------------------------------------------------
Hud_DrawShardCounter:
{
  LDA.l HackItems : AND.b #$02 : BEQ .return
  ; Build the state byte: count | (alert ? $80 : 0).
  LDA.w SentryAlert : BEQ +
    LDA.b #$80
  +
  ORA.l SpiritShards
  CMP.w HudShardsDrawn : BEQ .return    ; unchanged: nothing to do
  STA.w HudShardsDrawn

  PHB : PHK : PLB
  JSR Hud_WriteShardTiles
  PLB
  INC.b HudUploadFlag                   ; ask NMI to upload the HUD
.return
  RTL
}

; -----------------------------------------------------------------------------
; Hud_WriteShardTiles
; Write the icon, the two digits and the alert tile into the HUD buffer.
; The digits come from Math_ToDecimal2; a tens digit of 0 is drawn blank.
; Expects 8-bit A/X/Y; uses 16-bit A for the tile words.
; -----------------------------------------------------------------------------
Hud_WriteShardTiles:
{
  LDA.l SpiritShards
  JSL Math_ToDecimal2                   ; $00 = tens, $01 = ones

  REP #$20
  LDA.w #!HudShardIcon : STA.l HudTilemap+!HudShardIconPos

  ; Tens digit, or blank when zero.
  LDA.b $00 : AND.w #$00FF : BEQ +
    ORA.w #!HudDigit0
    BRA ++
  +
  LDA.w #!HudBlank
  ++
  STA.l HudTilemap+!HudShardTensPos

  ; Ones digit, always drawn.
  LDA.b $01 : AND.w #$00FF : ORA.w #!HudDigit0
  STA.l HudTilemap+!HudShardOnesPos

  ; Alert icon from the table, indexed by bit 7 of the state byte.
  LDA.w HudShardsDrawn : AND.w #$0080 : BEQ +
    LDA.w #$0002                        ; second table entry
  +
  TAX
  LDA.w Hud_AlertTiles, X : STA.l HudTilemap+!HudAlertPos
  SEP #$20
  RTS
}

; -----------------------------------------------------------------------------
; Hud_AlertTiles: tile word for "no alert" and for "alert".
; -----------------------------------------------------------------------------
Hud_AlertTiles:
  dw !HudBlank
  dw !HudAlertIcon

; -----------------------------------------------------------------------------
; Hud_ResetShardCounter
; Force a redraw on the next frame by storing an impossible state ($FF is
; count 127 with the alert bit), e.g. after the HUD buffer was rebuilt.
; Long routine; any A width (stores 8 bits via PHP/SEP).
; -----------------------------------------------------------------------------
Hud_ResetShardCounter:
{
  PHP
  SEP #$20
  LDA.b #$FF : STA.w HudShardsDrawn
  PLP
  RTL
}
