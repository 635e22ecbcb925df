; =============================================================================
; Core/dma.asm - DMA and HDMA helpers
; =============================================================================
; VRAM can only be written while the PPU is not drawing: in V-blank or while
; the screen is in forced blank (INIDISP bit 7). This hack does not hook NMI;
; instead it keeps a small queue of VRAM uploads (DmaQueue, $7E0770) and the
; per-frame hook in Core/frame.asm flushes it only while the INIDISP shadow
; ($13) has forced blank set, which is the case during room and area loads.
;
; All routines here are long (JSL/RTL), save the caller's register widths
; with PHP/PLP, and use channel 0 for general DMA. Vanilla ALTTP uses HDMA
; channels 6 and 7, so the hack's HDMA effect uses channel 5.
; =============================================================================

; Maximum number of entries in the VRAM upload queue.
!DmaQueueMax = 4

; HDMA channel used by the hack and its bit in HDMAEN.
!HackHdmaChannel = 5
!HackHdmaBit = (1<<!HackHdmaChannel)

; -----------------------------------------------------------------------------
; Dma_UploadToVram
; Copy a block of bytes to VRAM with DMA channel 0, right now.
; In:  $00-$02 = 24-bit source address
;      $03-$04 = byte count (16-bit, nonzero)
;      $05-$06 = VRAM word address
; Must be called during V-blank or forced blank. Any register widths on entry;
; they are restored on exit. Clobbers A, X.
; -----------------------------------------------------------------------------
Dma_UploadToVram:
{
  PHP
  %SetA8()
  %SetXY16()
  LDA.b #$80 : STA.w VMAIN              ; word writes, increment after $2119
  LDX.b $05 : STX.w VMADDL              ; destination word address
  LDA.b #!DMAP_TwoRegs : STA.w DMAP0    ; alternate $2118 / $2119
  LDA.b #VMDATAL : STA.w BBAD0
  LDX.b $00 : STX.w A1T0L               ; source address (low 16 bits)
  LDA.b $02 : STA.w A1B0                ; source bank
  LDX.b $03 : STX.w DAS0L               ; byte count
  LDA.b #$01 : STA.w MDMAEN             ; run channel 0; the CPU halts until done
  PLP
  RTL
}

; -----------------------------------------------------------------------------
; Dma_FillVram
; Fill a VRAM region with one 16-bit word repeated, using a fixed-source DMA
; of the two bytes at $00-$01 (DMA cannot repeat a word, so the low and high
; bytes are sent in two passes: first the low bytes with VMAIN set to
; increment after $2118, then the high bytes with increment after $2119).
; In:  $00-$01 = fill word (in WRAM bank $7E, direct page)
;      $03-$04 = number of words to fill
;      $05-$06 = VRAM word address
; Must be called during V-blank or forced blank. Any widths; restored on exit.
; -----------------------------------------------------------------------------
Dma_FillVram:
{
  PHP
  %SetA8()
  %SetXY16()
  ; Pass 1: low bytes -> $2118, address increments after each $2118 write.
  STZ.w VMAIN
  LDX.b $05 : STX.w VMADDL
  LDA.b #!DMAP_OneReg|!DMAP_FixedSource : STA.w DMAP0
  LDA.b #VMDATAL : STA.w BBAD0
  LDX.w #$0000 : STX.w A1T0L            ; source: $7E:0000 (the fill word)
  LDA.b #$7E : STA.w A1B0
  LDX.b $03 : STX.w DAS0L
  LDA.b #$01 : STA.w MDMAEN
  ; Pass 2: high bytes -> $2119, address increments after each $2119 write.
  LDA.b #$80 : STA.w VMAIN
  LDX.b $05 : STX.w VMADDL
  LDA.b #VMDATAH : STA.w BBAD0
  LDX.w #$0001 : STX.w A1T0L            ; source: $7E:0001 (high byte)
  LDX.b $03 : STX.w DAS0L
  LDA.b #$01 : STA.w MDMAEN
  PLP
  RTL
}

; -----------------------------------------------------------------------------
; Dma_QueueVramUpload
; Append a VRAM upload request to DmaQueue so that it runs at the next safe
; moment (see Dma_FlushQueue). Same parameters as Dma_UploadToVram:
; In:  $00-$02 = source, $03-$04 = byte count, $05-$06 = VRAM word address
; Out: carry clear = queued, carry set = queue full (request dropped)
; Any widths on entry; restored on exit (the carry result survives PLP because
; it is written into the saved flags on the stack).
; -----------------------------------------------------------------------------
Dma_QueueVramUpload:
{
  PHP
  %SetAXY8()
  LDA.w DmaQueueCount : CMP.b #!DmaQueueMax : BCS .full
  ; X = entry offset = count * 8
  ASL : ASL : ASL : TAX
  LDA.b $00 : STA.w DmaQueueEntry.Source+0, X
  LDA.b $01 : STA.w DmaQueueEntry.Source+1, X
  LDA.b $02 : STA.w DmaQueueEntry.Source+2, X
  LDA.b $03 : STA.w DmaQueueEntry.Size+0, X
  LDA.b $04 : STA.w DmaQueueEntry.Size+1, X
  LDA.b $05 : STA.w DmaQueueEntry.VramAddr+0, X
  LDA.b $06 : STA.w DmaQueueEntry.VramAddr+1, X
  INC.w DmaQueueCount
  ; Clear carry in the flags saved by PHP (bit 0 of the byte at 1,S).
  LDA.b $01, S : AND.b #$FE : STA.b $01, S
  PLP
  RTL

.full
  LDA.b $01, S : ORA.b #$01 : STA.b $01, S     ; report "full" through the saved carry
  PLP
  RTL
}

; -----------------------------------------------------------------------------
; Dma_FlushQueue
; Send every queued upload to VRAM in order and empty the queue. Copies each
; entry into the $00-$06 parameter block and calls Dma_UploadToVram.
; Must be called during V-blank or forced blank. Any widths; restored.
; -----------------------------------------------------------------------------
Dma_FlushQueue:
{
  PHP
  %SetAXY8()
  LDA.w DmaQueueCount : BEQ .done
  LDY.b #$00                            ; Y = entry offset

.next_entry
  TYX
  LDA.w DmaQueueEntry.Source+0, X : STA.b $00
  LDA.w DmaQueueEntry.Source+1, X : STA.b $01
  LDA.w DmaQueueEntry.Source+2, X : STA.b $02
  LDA.w DmaQueueEntry.Size+0, X : STA.b $03
  LDA.w DmaQueueEntry.Size+1, X : STA.b $04
  LDA.w DmaQueueEntry.VramAddr+0, X : STA.b $05
  LDA.w DmaQueueEntry.VramAddr+1, X : STA.b $06
  PHY
  JSL Dma_UploadToVram                  ; restores our 8-bit widths on return
  PLY
  TYA : CLC : ADC.b #$08 : TAY
  DEC.w DmaQueueCount : BNE .next_entry

.done
  PLP
  RTL
}

; -----------------------------------------------------------------------------
; Hdma_StartGradient
; Start an HDMA effect on channel 5 that rewrites COLDATA ($2132) down the
; screen, giving a vertical color gradient when color math is enabled.
; In:  A (8-bit) = gradient id (index into Hdma_GradientTables)
; The channel registers are written directly; the enable bit is set in the
; HDMAEN shadow ($9B) so that NMI starts the channel at the next frame.
; Any widths; restored on exit.
; -----------------------------------------------------------------------------
Hdma_StartGradient:
{
  PHP
  PHB : PHK : PLB
  %SetAXY8()
  ASL : TAX                             ; word index into the pointer table
  LDA.b #!DMAP_OneReg : STA.w DmaChannel[!HackHdmaChannel].Params
  LDA.b #COLDATA : STA.w DmaChannel[!HackHdmaChannel].BBus
  LDA.w Hdma_GradientTables+0, X : STA.w DmaChannel[!HackHdmaChannel].SrcLo
  LDA.w Hdma_GradientTables+1, X : STA.w DmaChannel[!HackHdmaChannel].SrcHi
  PHK : PLA : STA.w DmaChannel[!HackHdmaChannel].SrcBank
  LDA.b HdmaEnableCopy : ORA.b #!HackHdmaBit : STA.b HdmaEnableCopy
  PLB
  PLP
  RTL
}

; -----------------------------------------------------------------------------
; Hdma_StopGradient
; Turn the hack's HDMA channel off by clearing its bit in the HDMAEN shadow.
; Any widths; restored on exit.
; -----------------------------------------------------------------------------
Hdma_StopGradient:
{
  PHP
  %SetA8()
  LDA.b HdmaEnableCopy : AND.b #($FF^!HackHdmaBit) : STA.b HdmaEnableCopy
  PLP
  RTL
}

; -----------------------------------------------------------------------------
; HDMA tables. Format (mode 0): a line count byte, then one byte for COLDATA;
; a count of $00 ends the table. COLDATA bytes: bit 7 = blue, bit 6 = green,
; bit 5 = red plane select, bits 0-4 = intensity.
; -----------------------------------------------------------------------------
Hdma_GradientTables:
  dw Hdma_Gradient_Dusk
  dw Hdma_Gradient_Cave

; Dusk: red fading out towards the bottom of the screen.
Hdma_Gradient_Dusk:
  db 32, $20|$0C
  db 32, $20|$09
  db 32, $20|$06
  db 32, $20|$03
  db 96, $20|$00
  db $00

; Cave: a faint blue that deepens towards the bottom.
Hdma_Gradient_Cave:
  db 56, $80|$01
  db 56, $80|$03
  db 56, $80|$05
  db 56, $80|$07
  db $00
