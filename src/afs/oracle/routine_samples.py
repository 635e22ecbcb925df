"""Samples from one routine: an explanation ("What does `Label` do?") and, when the routine
has a header comment, a code-writing task (the header as the request, the routine as the
answer). The answers are written from the routine's own comments and the facts read off its
code (`afs.oracle.analysis`); nothing is filler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from afs.asm import ValidationResult
from afs.generators.base import TrainingSample
from afs.oracle.analysis import RETURNS, RoutineFacts, Touch
from afs.oracle.comments import as_prose, without_comments
from afs.oracle.quality import provisional_score, validation_metadata, word_count
from afs.oracle.routines import Routine
from afs.oracle.text import asm_fence, first_sentence, join_names, pick, with_period

EXPLAIN_DOMAIN = "asm.explain"
WRITE_DOMAIN = "asm.write"
_EXPLAIN_QUESTIONS = (
    "What does `{name}` do?",
    "Explain the routine `{name}`.",
    "What is the job of `{name}` in this asar codebase?",
    "Walk me through what `{name}` does.",
)
_WRITE_REQUESTS = (
    "Write an asar routine `{name}` that does what this comment describes:\n\n{header}",
    "Write an asar routine `{name}` for this specification:\n\n{header}",
    "Implement `{name}` in 65816 assembly (asar syntax). Its header comment says:\n\n{header}",
)


@dataclass(frozen=True)
class RoutineContext:
    """Where a routine is and what is known around it: its file (relative path), the
    summaries of the other routines of that file, and a lookup of what the address table
    says about a call target (a vanilla routine named in a symbol file)."""

    file: str
    summaries: Mapping[str, str]
    target_description: Callable[[str], str]

    def describe_call(self, target: str) -> str:
        return self.summaries.get(target) or first_sentence(self.target_description(target))


def summary(routine: Routine) -> str:
    """The first sentence of a routine's header ('' when it has none)."""
    return first_sentence(as_prose(list(routine.header))) if routine.header else ""


# --- explanation ------------------------------------------------------------------------------

def _kind_sentence(routine: Routine, facts: RoutineFacts, file: str) -> str:
    returns = sorted({mnemonic for _, mnemonic, _ in facts.exits if mnemonic in RETURNS})
    where = f"`{routine.qualified}` (in `{file}`, line {routine.line})"
    if returns == ["RTL"]:
        return f"{where} is a long routine: it returns with RTL, so callers reach it with JSL."
    if returns == ["RTS"]:
        return (f"{where} is a local routine: it returns with RTS, so callers reach it with JSR "
                "from the same bank.")
    if returns:
        return f"{where} has {join_names(returns)} exits."
    if facts.exits:
        return f"{where} does not return to its caller: it leaves with a jump."
    return f"{where} has no return instruction of its own; it runs on into the code after it."


def _touch_line(touch: Touch) -> str:
    if touch.known:
        about = first_sentence(touch.description) if touch.description else "no description"
        return f"- {touch.access} `{touch.name}` ({touch.where}): {with_period(about)}"
    where = f" ({touch.where})" if touch.address is not None else ""
    return f"- {touch.access} `{touch.written_as}`{where}, which the address table does not name."


def _call_line(mnemonic: str, target: str, context: RoutineContext) -> str:
    if target.startswith("."):
        return f"- `{target}` ({mnemonic}): its own local block."
    about = context.describe_call(target)
    return f"- `{target}` ({mnemonic})" + (f": {with_period(about)}" if about else ".")


def _width_sentences(facts: RoutineFacts) -> list[str]:
    sentences = [f"line {change.line} `{change.text}` makes {change.effect}"
                 for change in facts.widths]
    text = [f"Register widths: {'; '.join(sentences)}."] if sentences else []
    if facts.saves_flags:
        text.append("It saves and restores the caller's flags (and so its widths) with PHP/PLP.")
    return text


def _exit_sentence(facts: RoutineFacts) -> str:
    lines_of: dict[tuple[str, str], list[str]] = {}
    for line, mnemonic, operand in facts.exits:
        lines_of.setdefault((mnemonic, operand), []).append(str(line))
    parts = []
    for (mnemonic, operand), lines in lines_of.items():
        at = f"line{'s' if len(lines) > 1 else ''} {join_names(lines)}"
        if mnemonic in RETURNS:
            parts.append(f"{mnemonic} at {at} ({RETURNS[mnemonic].split(' (')[0]})")
        else:
            parts.append(f"{mnemonic} {operand} at {at} (jumps on without returning)")
    return f"Exits: {'; '.join(parts)}." if parts else ""


def explanation(routine: Routine, facts: RoutineFacts, context: RoutineContext) -> str:
    """The answer to "What does `Label` do?"."""
    blocks = [_kind_sentence(routine, facts, context.file)]
    if routine.header:
        blocks.append("What it does, from its header comment:\n" + as_prose(list(routine.header)))
    if facts.touches:
        blocks.append("Memory it uses:\n" + "\n".join(map(_touch_line, facts.touches)))
    if facts.calls:
        blocks.append("It calls:\n" + "\n".join(_call_line(m, t, context) for m, t in facts.calls))
    if facts.macros:
        blocks.append("Macros it uses: " + join_names([f"`%{m}()`" for m in facts.macros]) + ".")
    blocks += _width_sentences(facts)
    if exits := _exit_sentence(facts):
        blocks.append(exits)
    if facts.notes:
        blocks.append("Notes in the code:\n" + "\n".join(f"- line {line}: {text}"
                                                         for line, text in facts.notes))
    return "\n\n".join(blocks)


def rationale(facts: RoutineFacts) -> str | None:
    """Which calls and memory the routine involves and where it changes widths; None when the
    code shows none of these."""
    sentences = []
    if facts.calls:
        sentences.append("It calls " + join_names([f"{t} ({m})" for m, t in facts.calls]) + ".")
    reads = [f"{t.name} ({t.where})" for t in facts.touches if t.reads]
    writes = [f"{t.name} ({t.where})" for t in facts.touches if t.writes]
    if reads:
        sentences.append(f"It reads {join_names(reads)}.")
    if writes:
        sentences.append(f"It writes {join_names(writes)}.")
    if facts.widths:
        sentences.append("Width changes: " + "; ".join(
            f"{c.text} at line {c.line} ({c.effect})" for c in facts.widths) + ".")
    if not sentences:
        return None
    returns = list(dict.fromkeys(m for _, m, _ in facts.exits if m in RETURNS))
    if returns:
        sentences.append(f"It returns with {join_names(returns)}.")
    return " ".join(sentences)


# --- samples ----------------------------------------------------------------------------------

def _metadata(kind: str, routine: Routine, facts: RoutineFacts, file: str,
              validation: dict) -> dict:
    return {"generator": "oracle", "kind": kind, "label": routine.qualified, "file": file,
            "line": routine.line, "entity_coverage": round(facts.coverage, 3), **validation}


def routine_samples(routine: Routine, facts: RoutineFacts, context: RoutineContext,
                    result: ValidationResult, keep_comments: bool,
                    kinds: frozenset[str]) -> Iterator[TrainingSample]:
    """The explain and write samples of one routine (``result``: its code validated once)."""
    source = f"{context.file}:{routine.line}"
    thinking = rationale(facts)
    header_words = word_count(" ".join(routine.header))
    if "explain" in kinds:
        output = explanation(routine, facts, context)
        notes_words = word_count(" ".join(text for _, text in facts.notes))
        yield TrainingSample(
            instruction=pick(_EXPLAIN_QUESTIONS, source, routine.qualified).format(
                name=routine.qualified),
            input=routine.code.rstrip("\n"), output=output, thinking=thinking,
            domain=EXPLAIN_DOMAIN, source=source,
            quality_score=provisional_score(output, header_words + notes_words,
                                            valid=result.valid, coverage=facts.coverage),
            _metadata=_metadata("routine_explain", routine, facts, context.file,
                                validation_metadata(result)))
    if "write" in kinds and routine.header:
        yield _write_sample(routine, facts, context, result, keep_comments, thinking,
                            header_words)


def _write_sample(routine: Routine, facts: RoutineFacts, context: RoutineContext,
                  result: ValidationResult, keep_comments: bool, thinking: str | None,
                  header_words: int) -> TrainingSample:
    source = f"{context.file}:{routine.line}"
    lines, origin = list(routine.lines), list(range(len(routine.lines)))
    if not keep_comments:
        lines, origin = without_comments(lines)
    line_map = None
    if not result.valid:
        # validator lines are those of the routine as written; errors are reported on the
        # output's lines, as afs.asm.validate_sample counts them (line 1 is the fence)
        position = {index: kept + 2 for kept, index in enumerate(origin)}
        line_map = [position.get(index, 1) for index in range(len(routine.lines))]
    output = asm_fence("\n".join(lines))
    header = as_prose(list(routine.header))
    if routine.namespace:
        header += f"\n\nIt lives in `namespace {routine.namespace}`."
    request = pick(_WRITE_REQUESTS, source, routine.qualified)
    return TrainingSample(
        instruction=request.format(name=routine.name, header=header), output=output,
        thinking=thinking, domain=WRITE_DOMAIN, source=source,
        quality_score=provisional_score(output, header_words, valid=result.valid,
                                        coverage=facts.coverage),
        _metadata={**_metadata("routine_write", routine, facts, context.file,
                               validation_metadata(result, line_map)),
                   "comments_kept": keep_comments})
