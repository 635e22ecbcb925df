; A table found through the include directory.
org $028000
Table:
    dw Reset, Engine_Init
