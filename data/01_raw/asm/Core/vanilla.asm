; =============================================================================
; Core/vanilla.asm - addresses of vanilla ALTTP (US) routines the hack calls
; =============================================================================
; Each address was checked in the US asar disassembly, whose comments give PC
; (file) offsets; the SNES address is bank = offset >> 15, address =
; $8000 | (offset & $7FFF). Example: GetRandomInt at file offset $06BA71 is
; SNES $0DBA71.
; All of these are long routines: call them with JSL, they return with RTL.
; =============================================================================

; -----------------------------------------------------------------------------
; Bank $00 - engine
; -----------------------------------------------------------------------------

; Jump through the table of `dw` addresses that follows the JSL, indexed by
; A (8-bit). Uses $00-$03 as scratch, returns with 8-bit A/X/Y. The target is
; entered with JML, so it returns to whoever called the routine holding the
; table.
JumpTableLocal = $008781

; Same, for a table of `dl` (24-bit) addresses. Uses $00-$05 as scratch.
JumpTableLong = $00879C

; Top-level module dispatcher, reads $10 and jumps to the module's handler.
; The hack hooks its first instruction (see Core/frame.asm).
Module_MainRouting = $0080B5

; Low-byte table of module handler addresses used by Module_MainRouting.
Module_MainRouting_Low = $008061

; -----------------------------------------------------------------------------
; Bank $05 - sprite drawing and text
; -----------------------------------------------------------------------------

; Draw several OAM tiles for sprite X. A = number of tiles; $08-$09 = pointer
; (in the current data bank) to 8-byte entries: dw x, y : db tile, attr, 0, size
; (size $02 = 16x16, $00 = 8x8).
Sprite_DrawMultiple = $05DF6C

; Open a text box with message id A (low) / Y (high), whatever Link faces.
Sprite_ShowMessageUnconditional = $05E219

; Open text box A/Y only if Link touches sprite X, faces it and has just
; pressed A; carry set if the message was shown, clear otherwise.
Sprite_ShowSolicitedMessageIfPlayerFacing = $05E1A7

; -----------------------------------------------------------------------------
; Bank $06 - sprite engine
; -----------------------------------------------------------------------------

; Prepare screen coordinates of sprite X for drawing.
Sprite_PrepOamCoordLong = $06E416

; Check sprite X against the tilemap; returns A = collision bits ($0E70,X).
Sprite_CheckTileCollisionLong = $06E496

; Set sprite X's velocities ($0D40/$0D50) so that it moves towards Link with
; overall speed A (sprite velocity units, as used by Sprite_MoveLong).
Sprite_ApplySpeedTowardsPlayerLong = $06EA12

; Hurt Link if sprite X touches him; carry set on contact.
Sprite_CheckDamageToPlayerLong = $06F121

; Do-nothing sprite prep routine (a lone RTS), used as the prep pointer of the
; hack's custom sprite type.
SpritePrep_DoNothing = $068873

; Sprite main-routine pointer table (dw, indexed by sprite type * 2) and the
; prep-routine pointer table. Both are in bank $06.
SpriteActive_Table = $069283
SpritePrep_Table = $06865B

; Eight unused $FF bytes at the end of bank $06.
Bank06_FreeBytes = $06FFF8

; -----------------------------------------------------------------------------
; Bank $07 - Link
; -----------------------------------------------------------------------------

; Give Link item Y (receive-item id); $02E9 selects how it is received.
Link_ReceiveItem = $0799AD

; -----------------------------------------------------------------------------
; Bank $0D - sprite data and sound
; -----------------------------------------------------------------------------

; Random byte in A; mixes the H counter, frame counter and $0FA1.
GetRandomInt = $0DBA71

; Load the per-type properties (OAM count, health, hitbox, damage...) of
; sprite slot X from the tables below, using its type $0E20,X.
Sprite_LoadProperties = $0DB818

; Per-sprite-type property tables read by Sprite_LoadProperties when a sprite
; spawns (one byte per type).
SpriteData_OAMHarm = $0DB080      ; -> $0E40,X
SpriteData_Health = $0DB173       ; -> $0E50,X
SpriteData_Bump = $0DB266         ; -> $0CD2,X (damage dealt to Link)

; -----------------------------------------------------------------------------
; Bank $1D - sprite helpers
; -----------------------------------------------------------------------------

; Move sprite X by its velocities ($0D40/$0D50).
Sprite_MoveLong = $1D808C

; Spawn a new sprite of type A next to sprite X in the first free slot.
; Out: Y = new slot, or negative (N flag set) if every slot is in use;
;      $00-$03 = X lo, X hi, Y lo, Y hi of the parent sprite.
Sprite_SpawnDynamically = $1DF65D
