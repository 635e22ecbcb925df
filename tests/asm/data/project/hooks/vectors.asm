; The NMI vector; the pushpc is in the file that includes this one.
org $00FFEA
    dw Reset
pullpc
