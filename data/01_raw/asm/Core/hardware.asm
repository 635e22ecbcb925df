; =============================================================================
; Core/hardware.asm - SNES hardware register names
; =============================================================================
; Standard register names (as in the official manual and anomie's register
; docs). All of them live at $00xxxx; the hack's code runs in banks $20-$24,
; which mirror $2100-$21FF and $4200-$43FF, so absolute (.w) addressing works
; from any of those banks.
; =============================================================================

; -----------------------------------------------------------------------------
; PPU registers ($2100-$2133), write only
; -----------------------------------------------------------------------------

INIDISP = $2100     ; forced blank (bit 7) and master brightness (bits 0-3)
OBSEL = $2101       ; sprite size and character base
OAMADDL = $2102     ; OAM address, low
OAMADDH = $2103     ; OAM address, high / priority rotation
OAMDATA = $2104     ; OAM data write
BGMODE = $2105      ; background mode and tile size
MOSAIC = $2106      ; mosaic size and enable
BG1SC = $2107       ; BG1 tilemap address and size
BG2SC = $2108       ; BG2 tilemap address and size
BG3SC = $2109       ; BG3 tilemap address and size
BG4SC = $210A       ; BG4 tilemap address and size
BG12NBA = $210B     ; BG1/BG2 character data address
BG34NBA = $210C     ; BG3/BG4 character data address
BG1HOFS = $210D     ; BG1 horizontal scroll (write twice)
BG1VOFS = $210E     ; BG1 vertical scroll (write twice)
BG2HOFS = $210F
BG2VOFS = $2110
BG3HOFS = $2111
BG3VOFS = $2112
VMAIN = $2115       ; VRAM address increment mode
VMADDL = $2116      ; VRAM word address, low
VMADDH = $2117      ; VRAM word address, high
VMDATAL = $2118     ; VRAM data write, low byte
VMDATAH = $2119     ; VRAM data write, high byte
CGADD = $2121       ; CGRAM (palette) address
CGDATA = $2122      ; CGRAM data write (write twice: low, high)
W12SEL = $2123      ; window mask settings for BG1/BG2
TM = $212C          ; main screen layer enable
TS = $212D          ; sub screen layer enable
CGWSEL = $2130      ; color math control A
CGADSUB = $2131     ; color math control B
COLDATA = $2132     ; fixed color data
SETINI = $2133      ; screen mode / video select

; -----------------------------------------------------------------------------
; PPU registers, read only
; -----------------------------------------------------------------------------

MPYL = $2134        ; signed multiply result (mode 7 unit), low
MPYM = $2135
MPYH = $2136
SLHV = $2137        ; latch H/V counters on read
OPHCT = $213C       ; horizontal counter (read twice)
OPVCT = $213D       ; vertical counter (read twice)

; -----------------------------------------------------------------------------
; APU I/O ports
; -----------------------------------------------------------------------------

APUIO0 = $2140
APUIO1 = $2141
APUIO2 = $2142
APUIO3 = $2143

; -----------------------------------------------------------------------------
; WRAM port
; -----------------------------------------------------------------------------

WMDATA = $2180      ; WRAM data read/write, auto increments
WMADDL = $2181      ; WRAM address, low
WMADDM = $2182      ; WRAM address, middle
WMADDH = $2183      ; WRAM address, bit 16

; -----------------------------------------------------------------------------
; CPU registers ($4200-$421F)
; -----------------------------------------------------------------------------

NMITIMEN = $4200    ; NMI / IRQ / auto-joypad enable
WRIO = $4201        ; programmable I/O port out
WRMPYA = $4202      ; unsigned multiplicand (8-bit)
WRMPYB = $4203      ; unsigned multiplier (8-bit); writing starts the multiply
WRDIVL = $4204      ; unsigned dividend, low
WRDIVH = $4205      ; unsigned dividend, high
WRDIVB = $4206      ; unsigned divisor (8-bit); writing starts the divide
HTIMEL = $4207
HTIMEH = $4208
VTIMEL = $4209
VTIMEH = $420A
MDMAEN = $420B      ; general DMA enable: bit n starts channel n
HDMAEN = $420C      ; HDMA channel enable (ALTTP writes it from $9B in NMI)
MEMSEL = $420D      ; FastROM select
RDNMI = $4210       ; NMI flag and CPU version (read clears the flag)
TIMEUP = $4211      ; IRQ flag
HVBJOY = $4212      ; H/V blank flags and joypad busy flag
RDDIVL = $4214      ; quotient of the divide, low
RDDIVH = $4215      ; quotient of the divide, high
RDMPYL = $4216      ; product of the multiply, or remainder of the divide, low
RDMPYH = $4217      ; product / remainder, high
JOY1L = $4218       ; auto-read joypad 1, low
JOY1H = $4219       ; auto-read joypad 1, high

; -----------------------------------------------------------------------------
; DMA / HDMA channel registers. Channel n uses $43n0-$43nA; only channel 0
; gets names here, the others are reached with the DmaChannel struct
; (Core/structs.asm) or by adding $10 per channel.
; -----------------------------------------------------------------------------

DMAP0 = $4300       ; transfer mode and direction
BBAD0 = $4301       ; B-bus destination ($21xx low byte)
A1T0L = $4302       ; A-bus source address, low
A1T0H = $4303       ; A-bus source address, high
A1B0 = $4304        ; A-bus source bank
DAS0L = $4305       ; byte count, low (HDMA: indirect address, low)
DAS0H = $4306       ; byte count, high (HDMA: indirect address, high)
DASB0 = $4307       ; HDMA indirect bank
A2A0L = $4308       ; HDMA table current address, low
A2A0H = $4309       ; HDMA table current address, high
NLTR0 = $430A       ; HDMA line counter

; Values for DMAP (transfer unit / direction).
!DMAP_OneReg = $00          ; 1 byte to one register
!DMAP_TwoRegs = $01         ; 2 bytes to reg, reg+1 (VRAM word writes)
!DMAP_OneRegTwice = $02     ; 2 bytes to the same register (CGDATA)
!DMAP_FixedSource = $08     ; do not increment the A-bus address
