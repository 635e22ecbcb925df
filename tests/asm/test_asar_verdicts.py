"""The built-in validator against the real asar 1.91's verdicts (tests/asm/data/asar_verdicts.tsv,
see its README): every snippet, with asar's prelude and postlude around it, must get asar's
verdict, and an error asar puts on a snippet line must be on the same line here.

Two kinds of difference are allowed, each for a stated reason:
- by contract, a name asar cannot find (label, define, macro, file) is an `unresolved` warning
  here, not an error: validate() sees one file or one sample, and such names are usually
  defined in another file;
- KNOWN_GAPS below: asar behaviour the built-in validator does not model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from afs.asm import validate

VERDICTS = Path(__file__).parent / "data" / "asar_verdicts.tsv"
NOT_FOUND = ("_not_found)", "(Eorg_label_forward)", "(Elabel_cross_assignment)",
             "(Edefine_label_math)", "(Elabel_in_conditional)")
KNOWN_GAPS = {
    # asar's built-in and user functions are not modelled: their names and arity are not checked
    'LDA #sizeof(Near)', 'LDA #read1($FF8000)', 'LDA #abs(-3)', 'LDA #strlen("abc")',
    'LDA #hex(5)', 'LDA #unknownfunc(5)', 'function f(x) = x*2\ndb f(3,4)',
    'function f(x) = x*2\ndb f()', 'function f() = 1\ndb f()', 'function f(x) = y*2\ndb f(3)',
    'function f(x) = \ndb f(1)', 'function 1f(x) = x',
    'macro Foo(...)\ndb sizeof(...)\nendmacro\n%Foo(1,2,3)',
    # strings compared as numbers, and strings glued together
    'assert "a" == "a"', 'if "a" == "a"\nNOP\nendif', 'db "a""b"',
    # other architectures are not checked (their code is skipped)
    'arch spc700', 'arch spc700\nMOV A,#$12', 'arch spc700-inline', 'arch superfx',
    # freespace bookkeeping, warning ids, spc blocks, start-of-file rules
    'autoclean JSL FarAway', 'autoclean dl FarAway', 'prot Near', 'warnings pull',
    'warnings enable Wfoo', 'startpos $0200', 'includefrom main.asm', 'optimize foo',
    'base on', 'INCLUDE "x"',
    # defines built by nested braces
    '!x = Val\nLDA #!!{x}ue',
}


def _unescape(text: str) -> str:
    return text.replace("\\\\", "\0").replace("\\n", "\n").replace("\\t", "\t").replace("\0", "\\")


def _load():
    prelude, postlude, rows = [], [], []
    for line in VERDICTS.read_text(encoding="utf-8").split("\n"):
        if line.startswith("#prelude\t"):
            prelude.append(line.split("\t", 1)[1])
        elif line.startswith("#postlude\t"):
            postlude.append(line.split("\t", 1)[1])
        elif line and not line.startswith("#"):
            snippet, verdict, message, _warning, where, _bytes = line.split("\t")
            rows.append((_unescape(snippet), verdict, _unescape(message), where))
    return prelude, postlude, rows


PRELUDE, POSTLUDE, ROWS = _load()


def _check(snippet: str):
    return validate("\n".join([*PRELUDE, snippet, *POSTLUDE]) + "\n")


def test_the_corpus_is_large_and_balanced():
    verdicts = [row[1] for row in ROWS]
    assert len(ROWS) > 4000
    assert verdicts.count("ok") > 1500 and verdicts.count("error") > 2000


def test_every_verdict_agrees_with_asar_except_the_documented_gaps():
    disagreements = []
    for snippet, verdict, message, where in ROWS:
        if snippet in KNOWN_GAPS:
            continue
        result = _check(snippet)
        unresolved_by_contract = verdict == "error" and any(k in message for k in NOT_FOUND) \
            and (any(w.code == "unresolved" for w in result.warnings) or "(Efile_" in message)
        if ("ok" if result.valid else "error") != verdict and not unresolved_by_contract:
            disagreements.append((snippet, verdict, message, result.errors[:1]))
    assert disagreements == []


def test_errors_land_on_the_line_asar_names():
    wrong = []
    for snippet, verdict, _message, where in ROWS:
        if verdict != "error" or not where.startswith("snippet:") or "macro" in snippet:
            continue  # in a macro asar names the macro's line, this validator the call's
        result = _check(snippet)
        line = int(where.split(":")[1]) + len(PRELUDE)
        if result.errors and result.errors[0].line != line and snippet not in KNOWN_GAPS:
            wrong.append((snippet, where, result.errors[0]))
    assert len(wrong) <= 1, wrong  # one: a struct defined twice is named at its first field


@pytest.mark.parametrize("snippet", sorted(KNOWN_GAPS))
def test_known_gaps_are_still_in_the_corpus(snippet):
    assert snippet in {row[0] for row in ROWS}


def test_shared_statements_give_the_same_verdicts():
    """The quality scorer hands validate() the statements it parsed once for entity
    extraction too: over the whole corpus that must change nothing."""
    from afs.asm.source import statements

    for snippet, *_ in ROWS:
        text = "\n".join([*PRELUDE, snippet, *POSTLUDE]) + "\n"
        assert validate(text, statements=statements(text)) == validate(text), snippet
