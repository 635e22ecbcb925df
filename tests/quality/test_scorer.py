"""Composite quality scorer: weights, renormalisation, components, profiles, spec example."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from afs.errors import ConfigError
from afs.samples import TrainingSample
from afs.quality.scorer import QualityScorer, ScoringConfig, ScoringWeights, length_scores
from afs.quality.config import BUILTIN_PROFILES, load_profiles

ROOT = Path(__file__).resolve().parents[2]
VALID_CODE = "```asm\n  LDA $10\n  STA $7E0012\n  RTL\n```"
INVALID_CODE = "```asm\n  LDA $10\n  BOGUS $12\n```"


class FixedDiscriminator:
    """A tiny real discriminator: probability real = 0.9 when the text has no 'BAD'."""

    def __init__(self):
        self.calls: list[int] = []

    def score_texts(self, texts: list[str], batch_size: int = 32) -> list[float]:
        self.calls.append(len(texts))
        return [0.1 if "BAD" in text else 0.9 for text in texts]


def test_weights_normalise():
    weights = ScoringWeights(electra=2, asar=1, entity=1, length=0)
    assert weights.normalized() == {"electra": 0.5, "asar": 0.25, "entity": 0.25}
    assert sum(ScoringWeights().normalized().values()) == pytest.approx(1.0)
    assert weights.normalized(("asar", "entity")) == {"asar": 0.5, "entity": 0.5}
    with pytest.raises(ConfigError):
        ScoringWeights(electra=-1)
    with pytest.raises(ConfigError):
        ScoringWeights(0, 0, 0, 0)


def test_missing_components_renormalise_and_are_listed():
    no_model = ScoringConfig(electra_model="/nonexistent/electra")  # whatever models/ holds
    score = QualityScorer(no_model).score("Plain prose about the game, no code at all.")
    assert set(score.components) == {"length"}
    assert score.weights == {"length": 1.0}
    assert score.overall == pytest.approx(score.length_score)
    assert math.isnan(score.electra_score)
    assert set(score.skipped) == {"electra", "asar", "entity"}


def test_all_components_with_a_discriminator():
    scorer = QualityScorer(ScoringConfig(), discriminator=FixedDiscriminator())
    score = scorer.score(VALID_CODE)
    assert set(score.components) == {"electra", "asar", "entity", "length"}
    expected = 0.4 * 0.9 + 0.3 * 1.0 + 0.2 * 1.0 + 0.1 * score.length_score
    assert score.overall == pytest.approx(expected)
    assert score.electra_score == pytest.approx(0.9)


def test_asar_component_one_or_zero_with_errors():
    scorer = QualityScorer(ScoringConfig())
    good, bad = scorer.score_batch([VALID_CODE, INVALID_CODE])
    assert good.components["asar"] == 1.0 and good.asar_valid and good.asar_errors == []
    assert bad.components["asar"] == 0.0 and not bad.asar_valid
    assert "BOGUS" in bad.asar_errors[0] or bad.asar_errors[0].startswith("3:")


def test_entity_is_neutral_for_prose_and_code_without_addresses():
    scorer = QualityScorer(ScoringConfig())
    prose = scorer.score("The accumulator holds the value the routine returns to its caller.")
    assert "entity" not in prose.components and prose.skipped["entity"]
    no_address = scorer.score("```asm\n  LDA #$00\n  RTS\n```")
    assert "entity" not in no_address.components and "asar" in no_address.components
    assert scorer.score(VALID_CODE).components["entity"] == 1.0


def test_score_batch_keeps_order_and_batches_the_discriminator():
    disc = FixedDiscriminator()
    scorer = QualityScorer(ScoringConfig(), discriminator=disc)
    scores = scorer.score_batch([TrainingSample("a", "  LDA $10\n  RTS"),
                                 {"output": "  LDA BAD\n  RTS"}, "Prose.", "  INX\n  RTL"])
    assert [s.electra_score for s in scores][:2] == [0.9, 0.1] and scores[3].electra_score == 0.9
    assert math.isnan(scores[2].electra_score)
    assert disc.calls == [3]  # the outputs with code, in one call


class RecordingDiscriminator(FixedDiscriminator):
    """Remembers the texts it was asked to score."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []

    def score_texts(self, texts, batch_size=32):
        self.texts += texts
        return super().score_texts(texts, batch_size)


def test_electra_applies_to_code_only_like_asar():
    """Issue 17: the spec's example "LDA loads the accumulator from memory." is prose: the
    model (trained on code) does not score it, its weight goes to what applies, and the
    result says why ELECTRA was left out."""
    disc = RecordingDiscriminator()
    scorer = QualityScorer(ScoringConfig(), discriminator=disc)
    prose = scorer.score("LDA loads the accumulator from memory.")
    assert disc.texts == [] and math.isnan(prose.electra_score)
    assert prose.skipped["electra"] == "no code in the output" == prose.skipped["asar"]
    assert set(prose.components) == set(prose.weights) == {"length"}
    assert prose.weights == {"length": 1.0}
    assert prose.overall == pytest.approx(prose.length_score)


def test_electra_reads_only_the_code_of_a_mixed_output():
    disc = RecordingDiscriminator()
    scorer = QualityScorer(ScoringConfig(), discriminator=disc)
    output = ("The routine clears the health.\n```asm\nZeroHealth:\n  STZ $7EF36D\n```\n"
              "It is called from the death handler.\n  JSL ZeroHealth\nThat is all.")
    score = scorer.score(output)
    assert len(disc.texts) == 1
    text = disc.texts[0]
    assert "STZ $7EF36D" in text and "JSL ZeroHealth" in text
    assert "health" not in text.lower().replace("zerohealth", "")  # no prose word reached it
    assert set(score.components) == {"electra", "asar", "entity", "length"}
    weights = ScoringConfig().weights
    assert score.weights["electra"] == pytest.approx(weights.electra / sum(
        weights.as_dict().values()))


def test_per_domain_profiles_by_default_and_a_config_forces_one():
    """Issue 17: without a config the scorer judges each sample by its domain's profile, the
    pipeline's rule (afs.quality.config.ProfileChoice); with one, that config judges all."""
    from afs.quality.config import ProfileChoice

    lookup = "$7E0020 is POSY, Link's Y coordinate (2 bytes)."
    samples = [TrainingSample("q", lookup, domain="asm.symbols"),
               TrainingSample("q", lookup, domain="asm"), {"output": lookup}]
    per_domain = QualityScorer(discriminator=FixedDiscriminator()).score_batch(samples)
    choice = ProfileChoice()
    assert [s.profile for s in per_domain] == [choice.for_domain("asm.symbols"),
                                               choice.for_domain("asm"), choice.default]
    assert per_domain[0].profile == "reference" and per_domain[1].profile == "asm"
    reference = QualityScorer(ScoringConfig.from_profile("reference"))
    assert per_domain[0].overall == reference.score(lookup).overall
    assert per_domain[0].overall > per_domain[1].overall  # a lookup is short, not wrong
    forced = QualityScorer(ScoringConfig.from_profile("asm")).score_batch(samples)
    assert {s.profile for s in forced} == {"asm"}
    assert forced[0].overall == per_domain[1].overall


@given(st.integers(1, 200), st.integers(1, 2000), st.integers(1, 20000))
@settings(max_examples=60, deadline=None)
def test_length_score_is_continuous_and_rises_to_ideal(low, gap, extra):
    config = ScoringConfig(min_output_length=low, ideal_output_length=low + gap,
                           max_output_length=low + gap + extra)
    n = np.arange(0, config.max_output_length * 3 + 2)
    s = length_scores(n, config)
    # no jump: at every breakpoint the score on either side agrees
    for point in (low, config.ideal_output_length, config.max_output_length):
        around = length_scores(np.array([point - 1e-7, point, point + 1e-7]), config)
        assert np.ptp(around) < 1e-5
    assert np.all(np.diff(s[: config.ideal_output_length + 1]) >= 0)
    assert s[config.ideal_output_length] == pytest.approx(1.0)
    assert s[0] == 0.0 and np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s[config.ideal_output_length:]) <= 1e-12)


def test_profiles_are_written_once_in_the_package_file():
    import yaml

    from afs.quality.profiles import profile_names

    shipped = yaml.safe_load((ROOT / "src" / "afs" / "quality" / "profiles.yml").read_text())
    assert BUILTIN_PROFILES == shipped
    assert profile_names() == ["asm", "reference", "generic", "dialogue"]
    parameters = yaml.safe_load((ROOT / "conf" / "base" / "parameters_quality_scoring.yml")
                                .read_text())["quality_scoring"]
    assert "profiles" not in parameters  # no second copy to keep equal
    assert ScoringConfig.from_profile("asm").weights == ScoringWeights(0.4, 0.3, 0.2, 0.1)
    with pytest.raises(ConfigError, match="unknown scoring profile"):
        ScoringConfig.from_profile("nope")


def test_parameter_profiles_add_to_and_replace_the_builtins_by_name(tmp_path):
    stricter = {**BUILTIN_PROFILES["asm"], "min_score": 0.9}
    mine = {"weights": {"electra": 1, "asar": 0, "entity": 0, "length": 1}, "min_score": 0.2}
    assert ScoringConfig.from_profile("asm", {"asm": stricter}).min_score == 0.9
    assert ScoringConfig.from_profile("mine", {"mine": mine}).min_score == 0.2
    assert ScoringConfig.from_profile("reference", {"mine": mine}) == \
        ScoringConfig.from_profile("reference")
    path = tmp_path / "parameters.yml"
    path.write_text("quality_scoring:\n  profiles:\n    asm: {min_score: 0.7}\n")
    assert load_profiles(path) == {"asm": {"min_score": 0.7}}
    assert ScoringConfig.from_profile("asm", path).min_score == 0.7
    assert ScoringConfig.from_profile("dialogue", path) == ScoringConfig.from_profile("dialogue")


def test_bad_config_is_a_config_error():
    with pytest.raises(ConfigError):
        ScoringConfig(min_output_length=600, ideal_output_length=500)
    with pytest.raises(ConfigError):
        ScoringConfig.from_profile("x", {"x": {"weights": {"electra": 1, "typo": 1}}})
    with pytest.raises(ConfigError, match="no discriminator model"):
        QualityScorer(ScoringConfig(), model_path="/nonexistent/electra")


SPEC_EXAMPLE = '''
from afs.quality.scorer import QualityScorer, ScoringConfig, ScoringWeights
from afs.generators.base import TrainingSample

config = ScoringConfig(
    weights=ScoringWeights(electra=0.4, asar=0.3, entity=0.2, length=0.1),
    min_output_length=50,
    ideal_output_length=500,
    max_output_length=5000
)
scorer = QualityScorer(config=config)
sample = TrainingSample(
    instruction="What does LDA do?",
    output="LDA loads the accumulator from memory.",
    domain="asm"
)
score = scorer.score(sample)
print(f"Overall: {score.overall:.2f}")
print(f"ELECTRA: {score.electra_score:.2f}")
print(f"Asar: {score.asar_valid}")
print(f"Entity coverage: {score.entity_coverage:.2f}")
'''


def test_spec_example_runs(tmp_path):
    result = subprocess.run([sys.executable, "-c", SPEC_EXAMPLE], cwd=tmp_path,
                            capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["Overall", "ELECTRA", "Asar",
                                                      "Entity coverage"]
    assert lines[1] == "ELECTRA: nan"  # no model in tmp_path/models/electra: left out


def test_scoring_is_deterministic():
    outputs = [VALID_CODE, INVALID_CODE, "prose", "x" * 700]
    first = [s.to_dict() for s in QualityScorer().score_outputs(outputs)]
    assert first == [s.to_dict() for s in QualityScorer().score_outputs(outputs)]


_CODE_LINES = ["  LDA $10", "  STA $7E0012", "Name = $7E0020", "  LDA Name", "  BOGUS $12",
               "  db $01,", "  LDA \\", "  $0D00,X", ".loop: DEX : BNE .loop", "; note", ""]


@st.composite
def _fenced_outputs(draw):
    """Prose with 1-3 fenced blocks, some of them empty or ending in a continuation, and
    code outside the fences too (one more block, ending in a continuation or not)."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        lines = draw(st.lists(st.sampled_from(_CODE_LINES), max_size=6))
        language = draw(st.sampled_from(["asm", "", "65816", "python"]))
        unfenced = draw(st.lists(st.sampled_from(_CODE_LINES), max_size=3))
        parts.append(f"Some prose.\n```{language}\n" + "".join(f"{line}\n" for line in lines)
                     + "```" + "".join(f"\n{line}" for line in unfenced))
    return "\n".join(parts) + draw(st.sampled_from(["", "\nThe end."]))


@given(_fenced_outputs())
def test_blocks_statements_joined_are_the_statements_of_the_joined_code(output):
    from afs.asm.source import statements
    from afs.asm.validator import code_blocks
    from afs.quality.scorer import _joined

    blocks = code_blocks(output)
    joined = "\n".join(code for _, code in blocks)
    assert _joined(blocks, [statements(code) for _, code in blocks]) == statements(joined)


_SCORER = QualityScorer(ScoringConfig.from_profile("asm"), model_path=None)


@settings(max_examples=50)
@given(_fenced_outputs())
def test_code_verdict_is_validate_sample_and_the_entities_of_the_joined_blocks(output):
    from afs.asm.validator import code_blocks, validate_sample
    from afs.knowledge import extract_entities

    score = _SCORER.score_outputs([output])[0]
    blocks = code_blocks(output)
    result = validate_sample(output)
    assert score.asar_valid == result.valid
    assert score.asar_errors == [str(issue) for issue in result.errors]
    report = extract_entities("\n".join(code for _, code in blocks))
    assert score.entity_coverage == (report.coverage if blocks else 0.5)
    assert ("entity" in score.components) == bool(blocks and report.total)


def test_scorer_reads_the_database_it_was_given():
    from afs.knowledge import AddressDatabase, AddressEntry

    db = AddressDatabase(builtin=False)
    db.add(AddressEntry(0x7E0345, "swim_flag", "Link is swimming"))
    code = "```asm\n  LDA $0345\n  STA $7E0FFF\n```"
    assert QualityScorer(ScoringConfig.from_profile("asm"), db=db).score(code) \
        .entity_coverage == 0.5
    assert QualityScorer(ScoringConfig.from_profile("asm")).score(code).entity_coverage == 0.0


def test_one_profile_rule_built_in_with_parameters_over_it():
    """ProfileChoice: the domain map written once in quality/domain_profiles.yml, the
    parameters' domain_profiles added over it by domain, profile the default, forced wins."""
    import yaml

    from afs.quality.config import DEFAULT_PROFILE, ProfileChoice

    shipped = yaml.safe_load((ROOT / "src" / "afs" / "quality" / "domain_profiles.yml")
                             .read_text())
    built_in = ProfileChoice()
    assert built_in.default == DEFAULT_PROFILE == shipped["default"]
    assert {d: built_in.for_domain(d) for d in shipped["domains"]} == shipped["domains"]
    assert built_in.for_domain("anything.else") == shipped["default"]
    parameters = yaml.safe_load((ROOT / "conf" / "base" / "parameters_quality_scoring.yml")
                                .read_text())["quality_scoring"]
    assert not parameters["domain_profiles"] and not parameters["profile"]  # no second copy
    mine = ProfileChoice.from_parameters({"profile": "generic",
                                          "domain_profiles": {"docs": "asm", "new": "dialogue"},
                                          "profiles": {"strict": {"min_score": 0.9}}})
    assert mine.for_domain("docs") == "asm" and mine.for_domain("new") == "dialogue"
    assert mine.for_domain("asm.symbols") == shipped["domains"]["asm.symbols"]  # kept
    assert mine.for_domain("other") == "generic"
    assert mine.names() == {"generic", "asm", "dialogue", *shipped["domains"].values()}
    forced = ProfileChoice.from_parameters({"profiles": {"strict": {"min_score": 0.9}}},
                                           forced="strict")
    assert forced.for_domain("asm.symbols") == "strict" and forced.names() == {"strict"}
    assert forced.config("strict").min_score == 0.9
    with pytest.raises(ConfigError, match="unknown scoring profile"):
        ProfileChoice.from_parameters({"domain_profiles": {"docs": "nope"}})
    with pytest.raises(ConfigError, match="must map a domain"):
        ProfileChoice.from_parameters({"domain_profiles": ["docs"]})


def test_each_score_is_its_components_weighed_as_its_case_says():
    """The shipped samples under every profile: the components used, their renormalised
    weights, the reasons for the others and the overall, recomputed row by row from the
    output's verdict (the scorer works each case out once and reuses it)."""
    from afs.quality.scorer import COMPONENTS, NO_ADDRESSES, NO_CODE, NO_MODEL, ZERO_WEIGHT
    from afs.samples import load_jsonl

    samples = load_jsonl(Path(__file__).parents[2] / "data/01_raw/v1_training.jsonl")
    outputs = samples.frame["output"].tolist()
    cases = set()
    for name in sorted(BUILTIN_PROFILES):
        config = ScoringConfig.from_profile(name)
        weights = config.weights.as_dict()
        scorer = QualityScorer(config, model_path=None)
        for output, score in zip(outputs, scorer.score_outputs(outputs), strict=True):
            verdict = scorer._verdict(output)
            cases.add((verdict.has_code, bool(verdict.entities)))
            reasons = {"electra": NO_MODEL, "asar": None if verdict.has_code else NO_CODE,
                       "entity": (NO_CODE if not verdict.has_code else
                                  None if verdict.entities else NO_ADDRESSES),
                       "length": None}
            skipped = {k: ZERO_WEIGHT if weights[k] <= 0 else reasons[k]
                       for k in COMPONENTS if weights[k] <= 0 or reasons[k] is not None}
            used = tuple(k for k in COMPONENTS if k not in skipped)
            assert score.skipped == skipped
            assert tuple(score.components) == used
            assert score.weights == config.weights.normalized(used)
            assert score.overall == sum(score.weights[k] * score.components[k]
                                        for k in score.weights)
    assert cases == {(False, False), (True, False), (True, True)}
