"""Samples from one routine: an explanation ("What does `Label` in `file` do?") and, when the
routine's header comment specifies it, a code-writing task (the header as the request, the
routine as the answer). The answers are written from the routine's own comments and the facts
read off its code (`afs.oracle.analysis`); nothing is filler.

Every question names the routine's file (and its line where the file defines the name more
than once), so that it has one answer. A header is a specification when it says what to do
in words: a title of one or two words, or a bare number (`0x03`, `22D520`), is not, and gives
no write task. The `thinking` is how the answer is found: the lines of the code that show
each fact, in order (explain), or the plan the code follows (write).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from afs.asm import ValidationResult
from afs.generators.base import TrainingSample
from afs.asm.source import strip_comment
from afs.oracle.analysis import RETURNS, RoutineFacts, Touch
from afs.oracle.comments import as_prose, without_comments
from afs.oracle.quality import provisional_score, validation_metadata, word_count
from afs.oracle.routines import Routine
from afs.oracle.text import asm_fence, first_sentence, join_names, pick, with_period

EXPLAIN_DOMAIN = "asm.explain"
WRITE_DOMAIN = "asm.write"
_EXPLAIN_QUESTIONS = (
    "What does `{name}` {where} do?",
    "Explain the routine `{name}` {where}.",
    "What is the job of `{name}` {where}?",
    "Walk me through what `{name}` {where} does.",
)
_WRITE_REQUESTS = (
    "Write an asar routine `{name}` for `{file}` that does what this comment describes:"
    "\n\n{header}",
    "Write an asar routine `{name}` (in `{file}`) for this specification:\n\n{header}",
    "Implement `{name}` of `{file}` in 65816 assembly (asar syntax). Its header comment says:"
    "\n\n{header}",
)
MIN_SPEC_WORDS = 3  # words a header needs to specify a routine
_LETTERS = re.compile(r"[A-Za-z]{2}")
MAX_STEPS = 12  # lines of code the thinking walks through


@dataclass(frozen=True)
class RoutineContext:
    """Where a routine is and what is known around it: its file (relative path), the
    summaries of the other routines of that file, and a lookup of what the address table
    says about a call target (a vanilla routine named in a symbol file)."""

    file: str
    summaries: Mapping[str, str]
    target_description: Callable[[str], str]
    repeated: frozenset[str] = field(default_factory=frozenset)  # names defined twice here

    def describe_call(self, target: str) -> str:
        return self.summaries.get(target) or first_sentence(self.target_description(target))

    def where(self, routine: Routine) -> str:
        """`in `file``, with the line when the file defines the name more than once."""
        if routine.qualified in self.repeated:
            return f"in `{self.file}` (line {routine.line})"
        return f"in `{self.file}`"


def is_specification(header: str) -> bool:
    """Whether a header says in words what to write: at least ``MIN_SPEC_WORDS`` words (a
    token with two letters in a row that is not a `$`/`0x` number), so not a title, a table
    row (`0 = Become (Perma)bunny`) or a bare number (`0x03`, `22D520`)."""
    words = [token for token in header.split()
             if _LETTERS.search(token) and not token.startswith(("$", "0x", "0X"))]
    return len(words) >= MIN_SPEC_WORDS


def summary(routine: Routine) -> str:
    """The first sentence of a routine's header, within its first line ('' when it has none):
    a header that is a table is not flattened into one sentence."""
    return first_sentence(as_prose(list(routine.header)).split("\n")[0]) if routine.header else ""


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
    if routine.heading:
        blocks.append(f"It is in the section headed \u201c{routine.heading}\u201d.")
    if routine.header:
        header = as_prose(list(routine.header))
        lead = ("What it does, from its header comment:" if is_specification(header)
                else "Its header comment reads:")
        blocks.append(f"{lead}\n{header}")
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
        blocks.append("Notes in the code:\n" + "\n".join(
            f"- line {line}: " + text.replace("\n", "\n  ") for line, text in facts.notes))
    return "\n\n".join(blocks)


def _code_at(routine: Routine, line: int) -> str:
    """The code of body line ``line`` (1-based), comment removed, spacing tidied."""
    return " ".join(strip_comment(routine.lines[line - 1]).split())


def _steps(routine: Routine, facts: RoutineFacts) -> list[tuple[int, str]]:
    """(line, what the code there does) for each fact the answers state, in line order."""
    steps: list[tuple[int, str]] = []
    for touch in facts.touches:
        if touch.line:
            named = (f", named in `{touch.source}`" if touch.known and touch.source else
                     "" if touch.known else ", an address the table does not name")
            steps.append((touch.line, f"{touch.access} `{touch.name}` ({touch.where}{named})"))
    for (mnemonic, target), line in facts.call_lines.items():
        steps.append((line, f"calls `{target}` with {mnemonic}"))
    for change in facts.widths:
        steps.append((change.line, f"makes {change.effect}"))
    for line, mnemonic, operand in facts.exits:
        what = (RETURNS[mnemonic].split(" (")[0] if mnemonic in RETURNS
                else f"jumps on to `{operand}` without returning")
        steps.append((line, what))
    return sorted(steps)


def rationale(routine: Routine, facts: RoutineFacts, file: str) -> str | None:
    """How the explanation is found: each line of the body that shows a fact, what the code
    there does, in order; None when the code shows none."""
    steps = _steps(routine, facts)
    if not steps:
        return None
    shown = steps[:MAX_STEPS]
    lines = [f"line {line} `{_code_at(routine, line)}` {what}" for line, what in shown]
    more = f" ({len(steps) - len(shown)} more facts follow the same way)" if steps[MAX_STEPS:] else ""
    sources = []
    if routine.header:
        sources.append("the header comment above the label gives its purpose")
    if any(touch.known for touch in facts.touches):
        sources.append("the address table gives what each named address holds")
    close = f" Besides the code, {' and '.join(sources)}." if sources else ""
    return (f"Reading the code of `{routine.qualified}` (line 1 is its label, line "
            f"{routine.line} of `{file}`): " + "; ".join(lines) + f"{more}.{close}")


def _imperative(step: str) -> str:
    """`reads and writes X` -> `Read and write X` (the steps are written for the code)."""
    words = step.split(" ")
    for index in (0, 2) if words[1:2] == ["and"] else (0,):
        words[index] = words[index][:-1] if words[index].endswith("s") else words[index]
    return words[0][:1].upper() + " ".join(words)[1:]


def plan(routine: Routine, facts: RoutineFacts) -> str | None:
    """The steps a routine meeting its specification takes, in the order its code takes them
    (the write task's thinking); None when the code shows none."""
    steps = _steps(routine, facts)
    if not steps:
        return None
    actions = list(dict.fromkeys(_imperative(what) for _, what in steps))[:MAX_STEPS]
    numbered = " ".join(f"{n}. {what}." for n, what in enumerate(actions, 1))
    return f"Plan for `{routine.name}`, step by step: {numbered}"


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
    header_words = word_count(" ".join(routine.header))
    if "explain" in kinds:
        output = explanation(routine, facts, context)
        notes_words = word_count(" ".join(text for _, text in facts.notes))
        yield TrainingSample(
            instruction=pick(_EXPLAIN_QUESTIONS, source, routine.qualified).format(
                name=routine.qualified, where=context.where(routine)),
            input=routine.code.rstrip("\n"), output=output,
            thinking=rationale(routine, facts, context.file),
            domain=EXPLAIN_DOMAIN, source=source,
            quality_score=provisional_score(output, header_words + notes_words,
                                            valid=result.valid, coverage=facts.coverage),
            _metadata=_metadata("routine_explain", routine, facts, context.file,
                                validation_metadata(result)))
    if "write" in kinds and is_specification(as_prose(list(routine.header))):
        yield _write_sample(routine, facts, context, result, keep_comments, header_words)


def _write_sample(routine: Routine, facts: RoutineFacts, context: RoutineContext,
                  result: ValidationResult, keep_comments: bool,
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
        instruction=request.format(name=routine.name, file=context.file, header=header),
        output=output, thinking=plan(routine, facts), domain=WRITE_DOMAIN, source=source,
        quality_score=provisional_score(output, header_words, valid=result.valid,
                                        coverage=facts.coverage),
        _metadata={**_metadata("routine_write", routine, facts, context.file,
                               validation_metadata(result, line_map)),
                   "comments_kept": keep_comments})
