; =============================================================================
; main.asm - build file of the AFS sample hack for ALTTP (US)
; =============================================================================
; Assemble with asar 1.91 onto a 2 MiB (expanded) ALTTP ROM:
;     asar --no-title-check main.asm zelda3_hack.sfc
; The hack adds spirit wisps (collectibles), sentry statues that guard some
; dungeon rooms, a heart jar that trades magic for health, a shard exchange,
; a HUD shard counter and HDMA color gradients.
;
; Memory map of the hack:
;   $0080B5        hook: per-frame JML (Core/frame.asm)
;   $06FFF8        hook: sprite type $03 stub (Sprites/hack_sprites.asm)
;   $069289        sprite type $03 main pointer
;   $068661        sprite type $03 prep pointer
;   $0DB083 etc.   sprite type $03 properties
;   $208000-       Core code (frame hook, DMA, math)
;   $218000-       Sprites
;   $228000-       Items
;   $238000-       Dungeons and Overworld
;   $248000-       Menu
; Banks $20-$3F exist only in a ROM expanded to 2 MiB. Code in banks $20-$3F
; can reach WRAM $0000-$1FFF and the hardware registers with absolute (.w)
; addressing, because LoROM mirrors them into every bank from $00 to $3F.
; The vanilla hooks are far apart and each is checked with warnpc or by size
; (see the notes next to each org).
; =============================================================================

lorom

; Set to 1 to assemble the debug helpers (%DebugMark, L+R+Select refill).
; Can also be set from the command line: asar -DDEBUG=1 ...
if not(defined("DEBUG"))
  !DEBUG = 0
endif

; -----------------------------------------------------------------------------
; Symbols and macros: these emit no code.
; -----------------------------------------------------------------------------
incsrc "Core/ram.asm"
incsrc "Core/hardware.asm"
incsrc "Core/vanilla.asm"
incsrc "Core/structs.asm"
incsrc "Core/macros.asm"

; -----------------------------------------------------------------------------
; Core: frame hook, DMA and math helpers.
; -----------------------------------------------------------------------------
org $208000
HackCoreStart:
incsrc "Core/frame.asm"
incsrc "Core/dma.asm"
incsrc "Core/math.asm"
print "Core:      ", hex(HackCoreStart), "-", pc
assert pc() <= $218000, "section overflows into bank $21"

; -----------------------------------------------------------------------------
; Sprites: the type $03 dispatcher and the custom sprites it runs.
; -----------------------------------------------------------------------------
org $218000
HackSpritesStart:
incsrc "Sprites/hack_sprites.asm"
incsrc "Sprites/spirit_wisp.asm"
incsrc "Sprites/sentry_statue.asm"
print "Sprites:   ", hex(HackSpritesStart), "-", pc
assert pc() <= $228000, "section overflows into bank $22"

; -----------------------------------------------------------------------------
; Items: heart jar and shard exchange.
; -----------------------------------------------------------------------------
org $228000
HackItemsStart:
incsrc "Items/heart_jar.asm"
incsrc "Items/shard_exchange.asm"
print "Items:     ", hex(HackItemsStart), "-", pc
assert pc() <= $238000, "section overflows into bank $23"

; -----------------------------------------------------------------------------
; Dungeons and Overworld: room and area hooks.
; -----------------------------------------------------------------------------
org $238000
HackWorldStart:
incsrc "Dungeons/sentry_rooms.asm"
incsrc "Overworld/area_hooks.asm"
print "World:     ", hex(HackWorldStart), "-", pc
assert pc() <= $248000, "section overflows into bank $24"

; -----------------------------------------------------------------------------
; Menu: HUD counter.
; -----------------------------------------------------------------------------
org $248000
HackMenuStart:
incsrc "Menu/hud_shards.asm"
print "Menu:      ", hex(HackMenuStart), "-", pc
assert pc() <= $258000, "section overflows into bank $25"
