lorom
org $008000
warn "check [this] later"
error "stop [here]"
assert 1 == 2, "one [1] is not two"
assert 0
NOP
