; =============================================================================
; Items/shard_exchange.asm - spending spirit shards and rupees
; =============================================================================
; Routines shared by the hack's shops and rewards:
;   Item_AddRupees / Item_SpendRupees  change the rupee target $7EF360 (the
;       HUD then counts the displayed value $7EF362 towards it, one rupee per
;       frame, with the vanilla counting sound)
;   Item_TradeShards  exchange spirit shards for a reward from a table
; Rupees are 16-bit and capped at 999, the most the vanilla HUD can show.
; =============================================================================

!MaxRupees = 999

; Columns of the ShardRewards table (4 bytes per entry).
!ShardRewards_cost = ShardRewards+0
!ShardRewards_kind = ShardRewards+1
!ShardRewards_value = ShardRewards+2

; -----------------------------------------------------------------------------
; Item_AddRupees
; Add a 16-bit amount to Link's rupees, stopping at !MaxRupees.
; In:  $00-$01 = amount
; Expects 8-bit A; returns with 8-bit A. Preserves X and Y.
; -----------------------------------------------------------------------------
Item_AddRupees:
{
  REP #$20
  LDA.l Rupees : CLC : ADC.b $00
  BCS .cap                              ; overflowed 16 bits
  CMP.w #!MaxRupees+1 : BCC .store
.cap
  LDA.w #!MaxRupees
.store
  STA.l Rupees
  SEP #$20
  RTL
}

; -----------------------------------------------------------------------------
; Item_SpendRupees
; Take a 16-bit amount from Link's rupees if he has that many.
; The check uses the target value $7EF360, so rupees still being counted in
; on the HUD already count as owned.
; In:  $00-$01 = price
; Out: carry set = paid, carry clear = not enough (nothing changed)
; Expects 8-bit A; returns with 8-bit A. Preserves X and Y.
; -----------------------------------------------------------------------------
Item_SpendRupees:
{
  REP #$20
  LDA.l Rupees : CMP.b $00 : BCC .too_poor
  SBC.b $00                             ; carry is set from the CMP
  STA.l Rupees
  SEP #$20
  SEC
  RTL

.too_poor
  SEP #$20
  CLC
  RTL
}

; -----------------------------------------------------------------------------
; Item_TradeShards
; Exchange spirit shards for reward A, an index into ShardRewards. If Link
; has enough shards they are removed and the reward is applied through
; ShardRewards' handler; otherwise the error buzz plays.
; In:  A (8-bit) = reward index
; Out: carry set = traded, carry clear = not enough shards
; Long routine; 8-bit A/X/Y. Sets the data bank to this bank while reading
; the reward table.
; -----------------------------------------------------------------------------
Item_TradeShards:
{
  PHB : PHK : PLB
  ASL #2 : TAX                          ; 4 bytes per reward
  LDA.l SpiritShards : CMP.w !ShardRewards_cost, X : BCC .too_few
  SBC.w !ShardRewards_cost, X : STA.l SpiritShards
  LDA.w !ShardRewards_value, X : STA.b $04
  STZ.b $05
  LDA.w !ShardRewards_kind, X
  JSR Item_ApplyReward
  %PlaySFX($2D)                         ; "major achievement" jingle
  PLB
  SEC
  RTL

.too_few
  %PlaySFX2($3C)
  PLB
  CLC
  RTL
}

; -----------------------------------------------------------------------------
; Item_ApplyReward
; Give one reward. A = kind (0 rupees, 1 magic refill, 2 arrows, 3 heart
; jar), $04-$05 = amount. Dispatches through a local jump table of the
; routines below; every routine returns with RTS to Item_TradeShards.
; The amount is not kept in $00-$03 because JumpTableLocal uses those bytes.
; -----------------------------------------------------------------------------
Item_ApplyReward:
{
  JSL JumpTableLocal
  dw .rupees
  dw .magic
  dw .arrows
  dw .heart_jar

.rupees
  REP #$20
  LDA.b $04 : STA.b $00                 ; Item_AddRupees takes $00-$01
  SEP #$20
  JSL Item_AddRupees
  RTS

.magic
  ; Queue a magic refill; the HUD fills the meter up to $80.
  LDA.b $04 : STA.l MagicRefill
  RTS

.arrows
  ; Add arrows directly, capped at 99 (the HUD shows two digits).
  LDA.l Arrows : CLC : ADC.b $04
  CMP.b #100 : BCC +
    LDA.b #99
  +
  STA.l Arrows
  RTS

.heart_jar
  LDA.l HackItems : ORA.b #!HackItem_HeartJar : STA.l HackItems
  RTS
}

; -----------------------------------------------------------------------------
; ShardRewards
; One 4-byte entry per reward: cost in shards, reward kind, amount, unused.
; Read as columns through the !ShardRewards_* defines at the top of the file
; (asar does not allow `label = otherlabel+1`, so the offsets are defines).
; -----------------------------------------------------------------------------
ShardRewards:
  ;  cost kind amount pad
  db 3,   0,   50,    0           ; 0: 3 shards -> 50 rupees
  db 5,   1,   $80,   0           ; 1: 5 shards -> full magic refill
  db 5,   2,   20,    0           ; 2: 5 shards -> 20 arrows
  db 20,  3,   1,     0           ; 3: 20 shards -> the heart jar
