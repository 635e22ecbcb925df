"""asar validation results as sample metadata, and the generator's provisional quality score.

The score is provisional: it lets `[s for s in samples if s.quality_score > 0.6]` work straight
after `generate()`, and the quality stage replaces it. It is a weighted sum in [0, 1]:

- 0.35 * code validity (1 when the sample has no code, or its code validates),
- 0.30 * grounding: how much of the answer is the author's own text (comments, docs), up to
  40 words,
- 0.20 * entity coverage (known / named addresses; 0.5 when the code names none),
- 0.15 * length: 1 for answers of 20-400 words, less for shorter or much longer ones.
"""

from __future__ import annotations

import re

from afs.asm import ValidationResult, validate_sample

WEIGHTS = {"valid": 0.35, "grounding": 0.30, "coverage": 0.20, "length": 0.15}
GROUNDING_WORDS = 40
NEUTRAL_COVERAGE = 0.5  # as afs.knowledge.NO_ENTITIES_COVERAGE: no evidence either way
_WORD = re.compile(r"\w+")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def issue_text(line: int, column: int, code: str, message: str) -> str:
    """An error as `_metadata["asar_errors"]` lists it: `line:col code message`."""
    return f"{line}:{column} {code} {message}"


def validation_metadata(result: ValidationResult, line_map: list[int] | None = None) -> dict:
    """`asar_valid` and, when invalid, `asar_errors`. ``line_map[i]`` is the line in the
    sample's code of line i+1 of the validated text (when the sample shows it stripped)."""
    if result.valid:
        return {"asar_valid": True}
    errors = []
    for issue in result.errors:
        line = issue.line
        if line_map is not None and 0 < line <= len(line_map):
            line = line_map[line - 1]
        errors.append(issue_text(line, issue.column, issue.code, issue.message))
    return {"asar_valid": False, "asar_errors": errors}


def fenced_code_metadata(output: str) -> dict:
    """Validation metadata for the ```asm blocks of an output (empty when it has none)."""
    if "```" not in output:
        return {}
    result = validate_sample(output)
    return validation_metadata(result) if result.lines else {}


def _length_score(words: int) -> float:
    if words < 20:
        return words / 20
    if words <= 400:
        return 1.0
    return max(0.5, 400 / words)


def provisional_score(output: str, grounding_words: int, *, valid: bool = True,
                      coverage: float = NEUTRAL_COVERAGE) -> float:
    """The weighted sum described in the module docstring, rounded to 3 places."""
    parts = {
        "valid": 1.0 if valid else 0.0,
        "grounding": min(1.0, grounding_words / GROUNDING_WORDS),
        "coverage": coverage,
        "length": _length_score(word_count(output)),
    }
    return round(sum(WEIGHTS[key] * value for key, value in parts.items()), 3)
