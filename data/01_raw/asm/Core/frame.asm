; =============================================================================
; Core/frame.asm - the hack's once-per-frame hook
; =============================================================================
; Vanilla's main loop waits for NMI, increments the frame counter, clears the
; OAM buffer and then calls Module_MainRouting ($0080B5), which reads the
; module index $10 and jumps to the module's handler. The hack replaces the
; first five bytes of Module_MainRouting:
;     $0080B5: LDY.b $10           (A4 10)
;     $0080B7: LDA.w $8061, Y      (B9 61 80)
; with a JML to HackFrame_Hook (4 bytes) and a NOP, runs its own per-frame
; code, then replays those two instructions and jumps back to $0080BA.
; The main loop runs with 8-bit A/X/Y and the data bank at $00.
; =============================================================================

pushpc
org Module_MainRouting
  JML HackFrame_Hook
  NOP
pullpc

; -----------------------------------------------------------------------------
; HackFrame_Hook
; Entry from the Module_MainRouting patch. Runs HackFrame_Main with the data
; bank set to this bank, then performs the two instructions the patch replaced
; and resumes the module dispatcher at $0080BA.
; -----------------------------------------------------------------------------
HackFrame_Hook:
{
  PHB : PHK : PLB
  JSR HackFrame_Main
  PLB                                   ; back to the main loop's bank $00
  SEP #$30                              ; the dispatcher expects 8-bit registers
  LDY.b GameMode
  LDA.w Module_MainRouting_Low, Y       ; data bank is $00 again here
  JML Module_MainRouting+5
}

; -----------------------------------------------------------------------------
; HackFrame_Main
; The hack's per-frame work, chosen by the current module ($10):
;   - any module: send queued VRAM uploads while the screen is force-blanked
;   - dungeon ($07) with submodule $00: room-change check and the heart jar
;   - overworld ($09) with submodule $00: area-change check and the heart jar
;   - dungeon or overworld, any submodule: HUD shard counter
; With !DEBUG set, L+R+Select also refills health and magic.
; Local routine (JSR/RTS); 8-bit A/X/Y on entry and exit.
; -----------------------------------------------------------------------------
HackFrame_Main:
{
  ; VRAM uploads are only safe while INIDISP bit 7 (forced blank) is set;
  ; $13 is the value NMI wrote to INIDISP at the start of this frame.
  LDA.b InidispCopy : BPL .no_flush
    JSL Dma_FlushQueue
.no_flush

  if !DEBUG
    JSR HackFrame_DebugRefill
  endif

  LDA.b GameMode
  CMP.b #!Module_Dungeon : BEQ .dungeon
  CMP.b #!Module_Overworld : BEQ .overworld
  RTS

.dungeon
  LDA.b SubMode : BNE ..hud_only
    JSL Dungeon_FrameHook               ; Dungeons/sentry_rooms.asm
    JSL HeartJar_CheckUse               ; Items/heart_jar.asm
  ..hud_only
  JSL Hud_DrawShardCounter              ; Menu/hud_shards.asm
  RTS

.overworld
  LDA.b SubMode : BNE ..hud_only
    JSL Overworld_FrameHook             ; Overworld/area_hooks.asm
    JSL HeartJar_CheckUse
  ..hud_only
  JSL Hud_DrawShardCounter
  RTS
}

if !DEBUG
; -----------------------------------------------------------------------------
; HackFrame_DebugRefill (debug builds only)
; While L and R are held, pressing Select fills health to the maximum and
; magic to $80 through the vanilla refill counters, and plays the heart sound.
; Local routine; 8-bit A on entry and exit.
; -----------------------------------------------------------------------------
HackFrame_DebugRefill:
{
  LDA.b JoyHeldL : AND.b #$30 : CMP.b #$30 : BNE .return    ; L ($20) + R ($10)
  LDA.b JoyNewH : AND.b #$20 : BEQ .return                  ; Select pressed
  LDA.l MaxHealth : STA.l HeartRefill
  LDA.b #!MaxMagic : STA.l MagicRefill
  %PlaySFX($0B)
  %DebugMark($01)
.return
  RTS
}
endif
