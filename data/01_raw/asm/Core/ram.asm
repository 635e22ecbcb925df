; =============================================================================
; Core/ram.asm - RAM symbols for the hack
; =============================================================================
; Every vanilla address below was checked against the zelda3 C port
; (src/variables.h, which maps WRAM offsets to names) and the MathOnNapkins
; RAM/SRAM logs shipped with the US ALTTP asar disassembly.
;
; Symbols are declared with their full 24-bit WRAM address ($7Exxxx). Asar
; picks the operand size from the value, so code that wants direct page or
; absolute addressing must say so with a suffix:
;   LDA.b GameMode     ; direct page  $10
;   LDA.w SprState, X  ; absolute     $0DD0,X (banks $00-$3F mirror WRAM)
;   LDA.l Rupees       ; long         $7EF360
; Without the suffix asar 1.91 emits a long (3-byte address) operand and warns.
; =============================================================================

; -----------------------------------------------------------------------------
; Direct page: main loop and module control
; -----------------------------------------------------------------------------

; Main module index (game mode). $07 = dungeon/underworld, $09 = overworld,
; $0E = text box / item menu / map, $05 = loading a save file.
GameMode = $7E0010

; Submodule index of the current module. $00 means "normal play" for the
; dungeon and overworld modules; any other value is a transition or cutscene.
SubMode = $7E0011

; Set by NMI when a frame has been drawn; the main loop waits on it.
NmiFlag = $7E0012

; Shadow of INIDISP ($2100). Bit 7 = forced blank, bits 0-3 = brightness.
InidispCopy = $7E0013

; Nonzero asks NMI to upload the HUD tilemap buffer ($7EC700) to VRAM.
HudUploadFlag = $7E0016

; Frame counter, incremented once per game frame, wraps at $FF.
FrameCounter = $7E001A

; $01 while Link is indoors (dungeon, cave, house), $00 on the overworld.
Indoors = $7E001B

; Link's 16-bit Y and X coordinates in the current area (pixels).
LinkY = $7E0020
LinkX = $7E0022

; Link's height above the ground (16-bit, used while jumping or falling).
LinkZ = $7E0024

; Direction Link faces: $00 up, $02 down, $04 left, $06 right.
LinkFacing = $7E002F

; Link's state handler index: $00 = on the ground and in control,
; $01 = falling into a hole, $02 = recoil, $03 = spin attack, $04 = swimming.
LinkState = $7E005D

; Current overworld screen (area) index, 16-bit. Areas $00-$3F are the Light
; World, $40-$7F the Dark World.
OverworldArea = $7E008A

; Current underworld room index, 16-bit ($0000-$0127 in vanilla).
RoomIndex = $7E00A0

; Previous underworld room index.
PrevRoomIndex = $7E00A2

; Shadow of HDMAEN ($420C); NMI writes this value to the register.
; Vanilla uses channels 6 and 7 ($40 and $80).
HdmaEnableCopy = $7E009B

; Link's layer in dungeons: $00 upper level, $01 lower level. Sprites only
; touch Link when their $0F20,X matches this.
LinkLayer = $7E00EE

; Joypad 1, held buttons. High byte: B Y Select Start Up Down Left Right.
JoyHeldH = $7E00F0
; Joypad 1, held buttons. Low byte: A X L R in bits 7-4.
JoyHeldL = $7E00F2
; Joypad 1, buttons newly pressed this frame (high byte, same layout as $F0).
JoyNewH = $7E00F4
; Joypad 1, buttons newly pressed this frame (low byte, same layout as $F2).
JoyNewL = $7E00F6

; -----------------------------------------------------------------------------
; Sound queues: write an id here and the engine sends it to the SPC700
; -----------------------------------------------------------------------------

; Music command ($F1 = fade out, $F2 = half volume, $F3 = full volume).
MusicCmd = $7E012C
; Ambient sound channel (rain, wind).
SfxAmbient = $7E012D
; Sound effect queue 2 (e.g. $26 Link hurt, $3C error buzz).
Sfx2 = $7E012E
; Sound effect queue 3 (e.g. $0A rupee, $0B heart, $1B secret solved, $25 switch).
Sfx3 = $7E012F

; -----------------------------------------------------------------------------
; Sprite tables: 16 slots, indexed by X = slot ($00-$0F)
; -----------------------------------------------------------------------------

; Sprite Y position, low and high bytes.
SprYLo = $7E0D00
SprYHi = $7E0D20
; Sprite X position, low and high bytes.
SprXLo = $7E0D10
SprXHi = $7E0D30
; Sprite Y and X velocity (signed, used by Sprite_MoveLong).
SprYSpeed = $7E0D40
SprXSpeed = $7E0D50
; Sprite AI sub-state; custom sprites use it as their state machine index.
SprAction = $7E0D80
; Free per-sprite scratch bytes.
SprMiscA = $7E0D90
SprMiscB = $7E0DA0
; Animation frame / graphics index.
SprGfx = $7E0DC0
; Sprite slot state: $00 = empty, $09 = active (running its main routine).
SprState = $7E0DD0
; Main countdown timer, decremented by the engine every frame while nonzero.
SprTimerA = $7E0DF0
; Auxiliary countdown timer, also decremented by the engine.
SprTimerB = $7E0E00
; Sprite type id (which routine from the sprite table runs for this slot).
SprType = $7E0E20
; Sprite subtype; the hack's dispatcher selects a custom sprite with it.
SprSubtype = $7E0E30
; OAM properties: low 5 bits = number of OAM entries reserved minus one.
SprOamProps = $7E0E40
; Sprite hit points.
SprHealth = $7E0E50
; Tile collision result of the last Sprite_CheckTileCollisionLong call.
SprTileColl = $7E0E70
; Sprite floor/layer (compared with Link's layer $EE).
SprFloor = $7E0F20
; Sprite height above its shadow.
SprHeight = $7E0F70

; -----------------------------------------------------------------------------
; OAM buffer (copied to the PPU by NMI)
; -----------------------------------------------------------------------------

; 128 entries x 4 bytes: X, Y, tile, attributes.
OamBuffer = $7E0800
; One byte per entry for the size / X-bit-8 flags, expanded form.
OamExtBuffer = $7E0A20

; -----------------------------------------------------------------------------
; HUD
; -----------------------------------------------------------------------------

; HUD tilemap buffer, 32 tiles per row, 2 bytes per tile. NMI copies it to
; VRAM when HudUploadFlag is set. Digit tiles are $2490-$2499, blank is $207F.
HudTilemap = $7EC700

; -----------------------------------------------------------------------------
; Save file (SRAM mirror in WRAM)
; -----------------------------------------------------------------------------

; First inventory byte: bow ($7EF340). The Y-item inventory continues to the
; moon pearl at $7EF357.
InvBow = $7EF340
InvBoomerang = $7EF341
InvHookshot = $7EF342
; Number of bombs carried.
InvBombs = $7EF343
; Lamp: $00 none, $01 lamp.
InvLamp = $7EF34A
; Bottles owned flag.
InvBottles = $7EF34F
; Gloves: $00 none, $01 power glove, $02 titan's mitt.
InvGloves = $7EF354
; Moon pearl: $00 none, $01 owned.
InvMoonPearl = $7EF357
; Sword level: $00 none, $01 fighter ... $04 golden.
InvSword = $7EF359

; Rupees, 16-bit. Write the target amount here; the HUD counts the displayed
; value ($7EF362) towards it one rupee per frame.
Rupees = $7EF360
RupeesShown = $7EF362

; Heart containers: $08 per heart, vanilla maximum $A0 (20 hearts).
MaxHealth = $7EF36C
; Current health, same units.
Health = $7EF36D
; Magic power, $00-$80.
Magic = $7EF36E
; Small keys for the current dungeon ($FF when the dungeon has none).
Keys = $7EF36F
; Add this many health units (multiples of $08); the HUD fills them in.
HeartRefill = $7EF372
; Add this much magic; the HUD fills it in.
MagicRefill = $7EF373
; Arrows carried.
Arrows = $7EF377
; Magic consumption: $00 normal, $01 half, $02 quarter.
MagicUsage = $7EF37B
; Set to $40 while the file is in the Dark World.
InDarkWorld = $7EF3CA

; -----------------------------------------------------------------------------
; Hack RAM: $7E0760-$7E07BF
; -----------------------------------------------------------------------------
; The RAM log lists $7E0728-$7E07FF as free in vanilla. The zelda3 port moves
; some arrays to $0728-$074F, so this hack starts at $0760 to stay clear.

; Copy of OverworldArea from the last frame (16-bit); used to detect entering
; a new area.
LastArea = $7E0760

; Copy of RoomIndex from the last frame (16-bit); used to detect entering
; a new room.
LastRoom = $7E0762

; 16-bit state of the hack's own pseudo random generator.
RngState = $7E0766

; Nonzero while the sentry statue in this room has spotted Link.
SentryAlert = $7E0768

; Cooldown, in frames, before the heart jar can be used again.
HeartJarCooldown = $7E0769

; What the HUD shard counter last drew: shard count in bits 0-6, sentry
; alert in bit 7. $FF (an impossible state) forces a redraw.
HudShardsDrawn = $7E076A

; Wisps still to be released by Overworld_ReleaseWisps (kept in hack RAM
; because the vanilla sprite routines it calls use the $00-$0F scratch bytes).
WispsToSpawn = $7E076C

; Number of entries waiting in the VRAM upload queue.
DmaQueueCount = $7E076B

; Last id written by the %DebugMark() macro (only when !DEBUG is set).
DebugMarker = $7E07BF

; VRAM upload queue, 4 entries x 8 bytes (see Core/structs.asm, DmaQueueEntry).
DmaQueue = $7E0770

; -----------------------------------------------------------------------------
; Hack save data: $7EF410-$7EF41F
; -----------------------------------------------------------------------------
; The SRAM log marks $7EF407-$7EF4FD of each save slot as unused, so these
; bytes travel with the save file.

; Number of spirit shards collected (0-99).
SpiritShards = $7EF410

; Hack item flags. Bit 0: heart jar owned. Bit 1: shard pouch owned.
HackItems = $7EF411

; Bitfield of the hack's sentry rooms that have been cleared (bit n = room n
; of the SentryRooms table in Dungeons/sentry_rooms.asm).
SentryRoomsCleared = $7EF412

; -----------------------------------------------------------------------------
; Defines (used with !Name)
; -----------------------------------------------------------------------------

; Main module values.
!Module_Dungeon = $07
!Module_Overworld = $09
!Module_Messaging = $0E

; Link state value for "on the ground and in control".
!LinkState_Ground = $00

; Sprite state value for an active sprite.
!SprState_Active = $09

; Heart and magic units.
!OneHeart = $08
!MaxMagic = $80
