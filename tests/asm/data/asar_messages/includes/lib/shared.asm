Shared:
  JSR Routine
  ZAP
