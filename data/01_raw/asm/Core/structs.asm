; =============================================================================
; Core/structs.asm - structure layouts
; =============================================================================
; Asar structs name the fields of a block of memory. `Name.Field` gives the
; address of a field of the first instance and `Name[i].Field` the field of
; instance i (base + i * size of the struct). Structs only define labels; they
; emit no bytes, so this file can be included anywhere.
; =============================================================================

; -----------------------------------------------------------------------------
; DmaChannel: the 16 byte register block of one DMA/HDMA channel.
; DmaChannel[5].Params is $4350, the mode register of channel 5.
; -----------------------------------------------------------------------------
struct DmaChannel $4300
  .Params: skip 1       ; $43n0 DMAP: direction, addressing, transfer unit
  .BBus: skip 1         ; $43n1 BBAD: B-bus register ($21xx)
  .SrcLo: skip 1        ; $43n2 A1TL: source address low
  .SrcHi: skip 1        ; $43n3 A1TH: source address high
  .SrcBank: skip 1      ; $43n4 A1B: source bank
  .SizeLo: skip 1       ; $43n5 DASL: byte count low / HDMA indirect address
  .SizeHi: skip 1       ; $43n6 DASH: byte count high
  .IndBank: skip 1      ; $43n7 DASB: HDMA indirect bank
  .TableLo: skip 1      ; $43n8 A2AL: HDMA table position low
  .TableHi: skip 1      ; $43n9 A2AH: HDMA table position high
  .LineCount: skip 1    ; $43nA NLTR: HDMA line counter
  .Unused: skip 5       ; $43nB-$43nF: pad to the $10 byte channel stride
endstruct

; -----------------------------------------------------------------------------
; OamEntry: one entry of the OAM buffer at $7E0800 (4 bytes per entry).
; The size/X-high bits are kept separately, one byte per entry, at $7E0A20.
; -----------------------------------------------------------------------------
struct OamEntry $0800
  .XPos: skip 1         ; screen X, low 8 bits
  .YPos: skip 1         ; screen Y ($F0 hides the entry)
  .Tile: skip 1         ; character number, low 8 bits
  .Attr: skip 1         ; vhoopppN: flip, priority, palette, tile bit 8
endstruct

; -----------------------------------------------------------------------------
; DmaQueueEntry: one VRAM upload request in the hack's queue at $7E0770.
; Core/dma.asm fills entries with Dma_QueueVramUpload and sends them with
; Dma_FlushQueue.
; -----------------------------------------------------------------------------
struct DmaQueueEntry $7E0770
  .Source: skip 3       ; 24-bit source address in ROM or WRAM
  .Size: skip 2         ; byte count
  .VramAddr: skip 2     ; VRAM word address
  .Pad: skip 1          ; keeps entries 8 bytes long
endstruct

; -----------------------------------------------------------------------------
; HackSave: the hack's block in the save file (see Core/ram.asm).
; -----------------------------------------------------------------------------
struct HackSave $7EF410
  .Shards: skip 1       ; spirit shards collected
  .Items: skip 1        ; bit 0 heart jar, bit 1 shard pouch
  .SentryCleared: skip 1 ; one bit per sentry room
endstruct
