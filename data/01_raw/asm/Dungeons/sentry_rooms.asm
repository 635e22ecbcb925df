; =============================================================================
; Dungeons/sentry_rooms.asm - rooms guarded by sentry statues
; =============================================================================
; The frame hook calls Dungeon_FrameHook every frame of normal dungeon play
; (module $07, submodule $00). It notices when Link has entered a new room
; by comparing the room index $A0 with the copy kept in LastRoom, and then:
;   - spawns the sentry statues listed for that room in SentryRooms, unless
;     the room is marked cleared in the save file;
;   - starts the blue "cave" HDMA gradient in the rooms of DarkRooms and
;     stops it elsewhere;
;   - asks the HUD code to redraw the shard counter.
; A room counts as cleared once Link stands on its exit tile area while no
; sentry is alert (see Dungeon_CheckSentryRoomCleared).
;
; Sprite coordinates in the underworld are absolute: a room's top-left corner
; is at X = (room & $0F) * $200, Y = (room >> 4) * $200 (the same layout
; zelda3 uses for its camera in dungeon.c). The tables below store positions
; relative to the room's corner.
; =============================================================================

; Size in bytes of one SentryRooms entry, and the offsets of its fields
; (used as `LDA.w !SentryRooms_x, Y` with Y = offset of the entry, or of the
; entry + 3 for its second sentry).
!SentryEntrySize = 10
!SentryRooms_room = SentryRooms+0
!SentryRooms_x = SentryRooms+2
!SentryRooms_y = SentryRooms+3
!SentryRooms_facing = SentryRooms+4
!SentryRooms_exit_x = SentryRooms+8
!SentryRooms_exit_y = SentryRooms+9

; -----------------------------------------------------------------------------
; Dungeon_FrameHook
; Detect a room change and set the room up. Long routine; 8-bit A/X/Y.
; -----------------------------------------------------------------------------
Dungeon_FrameHook:
{
  PHB : PHK : PLB
  REP #$20
  LDA.b RoomIndex : CMP.w LastRoom : BEQ .same_room
    STA.w LastRoom
    SEP #$20
    STZ.w SentryAlert
    JSL Hud_ResetShardCounter           ; redraw the shard counter
    JSR Dungeon_SpawnRoomSentries
    JSR Dungeon_SetRoomGradient
    BRA .done
.same_room
  SEP #$20
  JSR Dungeon_CheckSentryRoomCleared
.done
  PLB
  RTL
}

; -----------------------------------------------------------------------------
; Dungeon_FindSentryRoom
; Look the current room up in SentryRooms.
; Out: carry set and X = entry index (0, 1, 2...) if found; carry clear if not.
; Expects 8-bit A/X/Y; uses 16-bit A internally. Data bank = this bank.
; -----------------------------------------------------------------------------
Dungeon_FindSentryRoom:
{
  LDX.b #$00
  LDY.b #$00                            ; Y = byte offset of the entry
.next
  REP #$20
  LDA.w !SentryRooms_room, Y
  CMP.w #$FFFF : BEQ .not_found         ; end of table
  CMP.b RoomIndex : BEQ .found
  SEP #$20
  TYA : CLC : ADC.b #!SentryEntrySize : TAY
  INX
  BRA .next

.found
  SEP #$20
  SEC
  RTS

.not_found
  SEP #$20
  CLC
  RTS
}

; -----------------------------------------------------------------------------
; Dungeon_SpawnRoomSentries
; If the current room has an entry in SentryRooms and its bit in
; SentryRoomsCleared is clear, spawn the entry's two sentry statues (a facing
; of $FF means "no sentry in this position").
; -----------------------------------------------------------------------------
Dungeon_SpawnRoomSentries:
{
  JSR Dungeon_FindSentryRoom : BCC .return
  ; Skip rooms that are already cleared: test bit X of the cleared mask.
  LDA.l SentryRoomsCleared : AND.l BitMasks, X : BNE .return
  JSR .spawn_one                        ; sentry 1 (bytes 2-4 of the entry)
  INY #3
  JSR .spawn_one                        ; sentry 2 (bytes 5-7)
.return
  RTS

; Spawn the sentry whose x, y, facing start at !SentryRooms_x + Y, at
; room corner + 2 * offset, with subtype $01, and store its facing in the new
; sprite's SprMiscA. Keeps Y; clobbers X and $00-$03.
.spawn_one
  LDA.w !SentryRooms_facing, Y : CMP.b #$FF : BEQ ..skip
  REP #$20
  LDA.b RoomIndex : AND.w #$000F : XBA : ASL : STA.b $00     ; corner X
  LDA.w !SentryRooms_x, Y : AND.w #$00FF : ASL
  CLC : ADC.b $00 : STA.b $00
  LDA.b RoomIndex : AND.w #$0FF0 : ASL #5 : STA.b $02        ; corner Y
  LDA.w !SentryRooms_y, Y : AND.w #$00FF : ASL
  CLC : ADC.b $02 : STA.b $02
  SEP #$20
  PHY
  LDA.b #$01                            ; subtype: sentry statue
  JSL HackSprite_SpawnAt : BCS ..full   ; Y = new slot on success
    TYX
    PLY : PHY                           ; Y = table offset again
    LDA.w !SentryRooms_facing, Y : STA.w SprMiscA, X
  ..full
  PLY
  ..skip
  RTS
}

; -----------------------------------------------------------------------------
; Dungeon_CheckSentryRoomCleared
; In a sentry room that is not yet cleared: once no sentry is alert and Link
; is inside the entry's exit box, set the room's bit in SentryRoomsCleared and
; play the "secret solved" sound. The exit box is given in the table as a
; top-left corner (x, y, in 2-pixel units relative to the room) and is 32x32.
; -----------------------------------------------------------------------------
Dungeon_CheckSentryRoomCleared:
{
  LDA.w SentryAlert : BNE .return
  JSR Dungeon_FindSentryRoom : BCC .return
  LDA.l SentryRoomsCleared : AND.l BitMasks, X : BNE .return

  ; Link's position relative to the room corner, halved to match the table.
  REP #$20
  LDA.b RoomIndex : AND.w #$000F : XBA : ASL : STA.b $08
  LDA.b LinkX : SEC : SBC.b $08 : LSR : STA.b $00
  LDA.b RoomIndex : AND.w #$0FF0 : ASL #5 : STA.b $0A
  LDA.b LinkY : SEC : SBC.b $0A : LSR : STA.b $02
  SEP #$20

  ; Inside the 32x32 box = 16x16 in halved units.
  LDA.b $00 : SEC : SBC.w !SentryRooms_exit_x, Y : CMP.b #16 : BCS .return
  LDA.b $02 : SEC : SBC.w !SentryRooms_exit_y, Y : CMP.b #16 : BCS .return

  LDA.l SentryRoomsCleared : ORA.l BitMasks, X : STA.l SentryRoomsCleared
  %PlaySFX($1B)                         ; secret solved
.return
  RTS
}

; -----------------------------------------------------------------------------
; Dungeon_SetRoomGradient
; Start the cave gradient (Hdma_StartGradient id 1) in the rooms listed in
; DarkRooms, stop it in every other room.
; -----------------------------------------------------------------------------
Dungeon_SetRoomGradient:
{
  LDX.b #DarkRooms_end-DarkRooms-2
- REP #$20
  LDA.w DarkRooms, X : CMP.b RoomIndex
  SEP #$20
  BEQ .dark
  DEX : DEX : BPL -
  JSL Hdma_StopGradient
  RTS

.dark
  LDA.b #$01
  JSL Hdma_StartGradient
  RTS
}

; -----------------------------------------------------------------------------
; BitMasks: bit n set in entry n. Used to test and set one bit of a flag byte.
; -----------------------------------------------------------------------------
BitMasks:
  db $01, $02, $04, $08, $10, $20, $40, $80

; -----------------------------------------------------------------------------
; SentryRooms
; One 10-byte entry per room, at most 8 rooms (one bit each in
; SentryRoomsCleared). Positions are in 2-pixel units relative to the room's
; top-left corner, so $00-$FF covers the whole $200 x $200 room.
;   dw room
;   db sentry 1: x, y, facing ($FF = no sentry)
;   db sentry 2: x, y, facing
;   db exit box: x, y
; The table ends with room $FFFF. The room ids are the hack's choice.
; -----------------------------------------------------------------------------
SentryRooms:
  ;   room      sentry 1        sentry 2        exit
  dw $0050 : db $40, $20, $02,  $C0, $20, $02,  $78, $E0
  dw $0061 : db $20, $80, $06,  $FF, $FF, $FF,  $E0, $78
  dw $0072 : db $80, $20, $02,  $80, $E0, $00,  $E0, $78
  dw $FFFF

; -----------------------------------------------------------------------------
; DarkRooms: rooms that get the blue cave gradient (16-bit room ids).
; -----------------------------------------------------------------------------
DarkRooms:
  dw $0050, $0061, $0072
.end
