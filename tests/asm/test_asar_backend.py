"""The asar backend's own failures are verdicts on the text, never a crash of the caller: a run
that does not finish in time is an `asar_failed` error at 1:1 saying so."""

from __future__ import annotations

import stat

from afs.asm.asar_backend import validate_with_asar


def test_an_asar_that_does_not_finish_in_time_gives_an_error_not_a_traceback(tmp_path):
    hanging = tmp_path / "asar"  # stands in for an asar stuck on the patch
    hanging.write_text("#!/bin/sh\nsleep 30\n")
    hanging.chmod(hanging.stat().st_mode | stat.S_IEXEC)

    result = validate_with_asar("LDA #$00\nRTS\n", asar_path=str(hanging), timeout=0.5)

    assert not result.valid
    assert [(e.line, e.column, e.code) for e in result.errors] == [(1, 1, "asar_failed")]
    assert "did not finish within 0.5 s" in result.errors[0].message
    assert result.lines == 2
