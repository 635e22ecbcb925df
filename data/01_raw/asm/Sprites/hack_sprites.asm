; =============================================================================
; Sprites/hack_sprites.asm - custom sprite type $03 and its dispatcher
; =============================================================================
; Vanilla sprite type $03 has a null ($0000) entry in both the main-routine
; table (SpriteActive_Table, $069283) and the prep table ($06865B); nothing
; in the game uses it. The hack claims it for all of its custom sprites and
; tells them apart by subtype ($0E30,X):
;   subtype $00  spirit wisp      (Sprites/spirit_wisp.asm)
;   subtype $01  sentry statue    (Sprites/sentry_statue.asm)
;   subtype $02  sentry bolt      (Sprites/sentry_statue.asm)
;
; The bank $06 table holds 16-bit addresses, so the main pointer must point
; into bank $06. The hack puts a 5 byte stub in the unused $FF bytes at
; $06FFF8 that calls the real code in the hack's sprite bank with JSL.
; =============================================================================

!HackSpriteType = $03

; Number of custom sprite subtypes in HackSprite_Routines.
!HackSprite_Count = 3

pushpc
  ; Main routine pointer for type $03 -> the stub below.
  org SpriteActive_Table+(!HackSpriteType*2)
    dw HackSprite_Stub

  ; Prep routine pointer for type $03 -> vanilla's lone RTS. The custom
  ; sprites do their own setup in their first state instead.
  org SpritePrep_Table+(!HackSpriteType*2)
    dw SpritePrep_DoNothing

  ; Properties loaded by Sprite_LoadProperties when a type $03 sprite spawns.
  org SpriteData_OAMHarm+!HackSpriteType
    db $03                              ; reserve 4 OAM entries
  org SpriteData_Health+!HackSpriteType
    db $04                              ; 4 hit points
  org SpriteData_Bump+!HackSpriteType
    db $01                              ; damage class used when touching Link

  org Bank06_FreeBytes
  ; ---------------------------------------------------------------------------
  ; HackSprite_Stub (bank $06)
  ; Reached from the vanilla sprite dispatcher for every active type $03
  ; sprite, with X = slot. Runs the hack's dispatcher and returns to the
  ; vanilla engine with RTS, as every entry of that table must.
  ; ---------------------------------------------------------------------------
  HackSprite_Stub:
    JSL HackSprite_Main
    RTS
  assert pc() <= $070000, "stub does not fit in the free bytes of bank $06"
pullpc

; -----------------------------------------------------------------------------
; HackSprite_Main
; Run the custom sprite in slot X: picks the routine for its subtype from
; HackSprite_Routines. Unknown subtypes are removed (slot state set to $00)
; so a bad spawn cannot crash the game.
; In: X = sprite slot, 8-bit A/X/Y. Long routine (called from the bank $06
; stub). The data bank is set to this bank for the sprite's code.
; -----------------------------------------------------------------------------
HackSprite_Main:
{
  PHB : PHK : PLB
  JSR .dispatch
  PLB
  RTL

.dispatch
  LDA.w SprSubtype, X
  CMP.b #!HackSprite_Count : BCC +
    STZ.w SprState, X                   ; invalid subtype: despawn
    RTS
  +
  ; JumpTableLocal drops its own return address and jumps to the entry, so
  ; each sprite routine's RTS returns straight to HackSprite_Main above.
  JSL JumpTableLocal
  dw SpiritWisp_Main                    ; $00
  dw Sentry_Main                        ; $01
  dw SentryBolt_Main                    ; $02
}

; -----------------------------------------------------------------------------
; HackSprite_SpawnAt
; Create a custom sprite in the first free slot, without a parent sprite.
; Searches the 16 slots from $0F down to $00 for one whose state is $00.
; In:  A (8-bit) = subtype
;      $00-$01 = X position, $02-$03 = Y position (16-bit, area coordinates)
; Out: carry clear and Y = slot on success; carry set if all slots are busy
; Expects 8-bit A/X/Y; preserves X.
; -----------------------------------------------------------------------------
HackSprite_SpawnAt:
{
  PHA
  PHX
  LDX.b #$0F
.find_slot
  LDA.w SprState, X : BEQ .found
  DEX : BPL .find_slot
  ; No free slot.
  PLX
  PLA
  SEC
  RTL

.found
  LDA.b #!HackSpriteType : STA.w SprType, X
  LDA.b #!SprState_Active : STA.w SprState, X
  JSL Sprite_LoadProperties             ; OAM count, health, damage for type $03
  LDA.b $00 : STA.w SprXLo, X
  LDA.b $01 : STA.w SprXHi, X
  LDA.b $02 : STA.w SprYLo, X
  LDA.b $03 : STA.w SprYHi, X
  LDA.b LinkLayer : STA.w SprFloor, X         ; same layer as Link
  STZ.w SprAction, X                    ; start in state 0 (init)
  STZ.w SprHeight, X
  TXY                                   ; return the slot in Y
  PLX
  PLA : STA.w SprSubtype, Y             ; set after LoadProperties, which resets it
  CLC
  RTL
}

; -----------------------------------------------------------------------------
; HackSprite_DrawSingle16
; Draw one 16x16 tile for sprite X through the vanilla Sprite_DrawMultiple.
; In:  X = slot, A (8-bit) = index into HackSprite_Frames (one entry each)
; The frame table must be in the current data bank, which HackSprite_Main
; guarantees (Sprite_DrawMultiple reads ($08),Y in the data bank).
; -----------------------------------------------------------------------------
HackSprite_DrawSingle16:
{
  REP #$20
  AND.w #$00FF
  ASL #3                                ; 8 bytes per entry
  CLC : ADC.w #HackSprite_Frames
  STA.b $08
  SEP #$20
  LDA.b #$01                            ; one OAM tile
  JSL Sprite_DrawMultiple
  RTS
}

; -----------------------------------------------------------------------------
; HackSprite_Frames
; OAM pieces for Sprite_DrawMultiple: dw x offset, y offset : db tile, attr,
; 0, size ($02 = 16x16). attr is vhoopppN; the vanilla routine EORs it with
; the sprite's own OAM properties, so palette and priority come from the
; sprite and the table only adds flips. Tiles $C0-$CE are where the
; hack's sprite sheet keeps its custom graphics.
; -----------------------------------------------------------------------------
HackSprite_Frames:
  dw 0, 0 : db $C0, $00, $00, $02       ; 0: wisp, frame 1
  dw 0, 0 : db $C2, $00, $00, $02       ; 1: wisp, frame 2
  dw 0, 0 : db $C4, $00, $00, $02       ; 2: sentry, facing up
  dw 0, 0 : db $C6, $00, $00, $02       ; 3: sentry, facing down
  dw 0, 0 : db $C8, $00, $00, $02       ; 4: sentry, facing left
  dw 0, 0 : db $C8, $40, $00, $02       ; 5: sentry, facing right (h-flip)
  dw 0, 0 : db $CA, $00, $00, $02       ; 6: sentry, charging
  dw 4, 4 : db $CE, $00, $00, $00       ; 7: bolt (8x8, centred)
