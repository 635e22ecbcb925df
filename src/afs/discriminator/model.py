"""ElectraDiscriminator: a small ELECTRA sequence classifier that scores how much a piece of
text looks like real 65816 asm (probability of the ``real`` class).

The saved folder is a standard transformers model (``save_pretrained``: config.json +
model.safetensors) plus the ASMTokenizer files and ``training.json``; both
``ElectraDiscriminator.load`` and ``AutoModelForSequenceClassification.from_pretrained`` read
it. Inputs are ``[bos] + tokens`` of the code without ``;`` comments (the classification head
reads position 0), truncated to ``max_length``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from afs.asm.opcodes import MNEMONICS
from afs.asm.source import strip_comment
from afs.discriminator.calibration import Calibration
from afs.discriminator.defaults import DEFAULT_MAX_LENGTH
from afs.errors import ConfigError
from afs.tokenizer import ASMTokenizer

REAL_LABEL = 1  # class index of "real asm"; 0 is "corrupted"
ID2LABEL = {0: "corrupted", 1: "real"}
TRAINING_FILE = "training.json"
TOKEN_HEAD_FILE = "token_head.safetensors"  # the replaced-token-detection head, when trained
DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str = "auto") -> str:
    """``auto`` -> ``cuda`` when torch sees a GPU, else ``cpu``; ``cuda`` without one is an
    error that says so."""
    import torch

    if device not in DEVICES and not str(device).startswith("cuda:"):
        raise ConfigError(f"unknown device {device!r} (use auto, cpu or cuda)")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device cuda asked for, but torch sees no CUDA GPU (use --device cpu)")
    return device


def build_config(vocab_size: int, *, layers: int = 4, hidden: int = 256, heads: int | None = None,
                 max_length: int = DEFAULT_MAX_LENGTH, pad_token_id: int = 0,
                 dropout: float = 0.1) -> Any:
    """An ``ElectraConfig`` sized for CPU: ``layers`` blocks of width ``hidden`` (4x FFN),
    embeddings of ``hidden // 2`` (ELECTRA's factorised embeddings), two labels."""
    from transformers import ElectraConfig

    heads = heads or max(1, hidden // 64)
    return ElectraConfig(
        vocab_size=vocab_size, embedding_size=max(16, hidden // 2), hidden_size=hidden,
        num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=4 * hidden,
        max_position_embeddings=max_length, hidden_dropout_prob=dropout,
        attention_probs_dropout_prob=dropout, pad_token_id=pad_token_id, num_labels=2,
        id2label=dict(ID2LABEL), label2id={v: k for k, v in ID2LABEL.items()},
        type_vocab_size=1)


_HEX = re.compile(r"\$[0-9A-Fa-f]+")
# a statement's first word: after an optional label (``Name:``, ``.sub:``, ``+``/``-`` runs)
# and a `` : `` statement separator; the mnemonic and its width suffix are groups 2 and 3
_MNEMONIC = re.compile(r"(^|:\s*|^\s*[-+]+\s+|^\s*)([A-Za-z]{3})(\.[A-Za-z])?(?=\s|$)")
_FLAG_OPERANDS = re.compile(r"^\s*(?:\S+:\s*)?(?:REP|SEP)\b", re.IGNORECASE)


def _code_only(text: str) -> str:
    """``text`` without ``;`` comments, trailing blanks and lines left empty."""
    lines = (strip_comment(line).rstrip() for line in text.splitlines())
    return "\n".join(line for line in lines if line.strip())


def mnemonic_case(code: str) -> str:
    """``code`` with every 65816 mnemonic in capitals and its width suffix in lower case:
    ``lda.B $10`` -> ``LDA.b $10``. asar reads both in any case, and codebases keep one style
    each (the training trees write ``LDA.b``, SMWDisX writes ``LDA.B`` on every line): as BPE
    pieces an unseen style splits the mnemonic (``LD`` + ``A.B``), and the model, which learnt
    that a split mnemonic is a mistake, flagged half the real windows of an unseen tree for it.
    Labels, macros and defines keep their case (asar's names are case-sensitive)."""
    def canonical(match: re.Match) -> str:
        lead, word, suffix = match.group(1), match.group(2), match.group(3) or ""
        if word.upper() not in MNEMONICS:
            return match.group(0)
        return lead + word.upper() + suffix.lower()
    return "\n".join(_MNEMONIC.sub(canonical, line) for line in code.split("\n"))


def number_shapes(code: str) -> str:
    """``code`` with the digits of every hex number but REP/SEP's flags turned to ``0``:
    ``LDA.w #$1234 : STA $7EF36D`` -> ``LDA.w #$0000 : STA $000000``. What makes asm right
    or wrong is a number's width (2, 4 or 6 digits), not its value; as BPE pieces, each value
    is a rare token of its own whose width a small model must learn digit by digit, and a
    held-out snippet full of unseen values looks corrupted. REP/SEP keep their operands: they
    set the register widths that the other numbers must match."""
    def line_shapes(line: str) -> str:
        parts = re.split(r"(\s:\s)", line)  # statements of one line, separators kept
        return "".join(part if _FLAG_OPERANDS.match(part)
                       else _HEX.sub(lambda m: "$" + "0" * (len(m.group()) - 1), part)
                       for part in parts)
    return "\n".join(line_shapes(line) for line in code.split("\n"))


def token_margins(token_logits: Any, mask: Any) -> Any:
    """Per snippet, the lowest ``logit(original) - logit(replaced)`` over its tokens but bos
    (position 0) and padding (``mask`` 0); a snippet of bos alone gets 0."""
    import torch

    per_token = token_logits[..., REAL_LABEL] - token_logits[..., 1 - REAL_LABEL]
    valid = mask.bool().clone()
    valid[:, 0] = False
    lowest = per_token.masked_fill(~valid, float("inf")).min(dim=1).values
    return torch.where(valid.any(dim=1), lowest, torch.zeros_like(lowest))


class ElectraDiscriminator:
    """An ELECTRA classifier + its ASMTokenizer; ``score_texts`` gives P(real asm)."""

    def __init__(self, model: Any, tokenizer: Any, device: str = "auto",
                 max_length: int | None = None, training: dict | None = None,
                 token_head: Any = None):
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        # the per-token head (ELECTRA's own objective): with it a snippet's margin is that of
        # its most suspicious token (``margins``); without it (older models), the sequence head
        self.token_head = token_head.to(self.device).eval() if token_head is not None else None
        self.tokenizer = tokenizer
        self.max_length = int(max_length or min(model.config.max_position_embeddings,
                                                DEFAULT_MAX_LENGTH))
        self.training = training or {}
        # comments carry no signal about the code's correctness (corruptions touch code only)
        # and are half the tokens; models trained before this existed read them
        self.strip_comments = bool(self.training.get("strip_comments", False))
        self.normalize_numbers = bool(self.training.get("normalize_numbers", False))
        self.normalize_mnemonics = bool(self.training.get("normalize_mnemonics", False))
        # fitted on the validation split by training; without one, the plain softmax
        self.calibration = Calibration.from_dict(self.training.get("calibration")) \
            or Calibration()

    @classmethod
    def create(cls, tokenizer: Any = None, *, layers: int = 4, hidden: int = 256,
               max_length: int = DEFAULT_MAX_LENGTH, device: str = "auto",
               seed: int = 42, strip_comments: bool = True,
               normalize_numbers: bool = True,
               normalize_mnemonics: bool = True) -> ElectraDiscriminator:
        """A fresh (randomly initialised, seeded) discriminator over ``tokenizer``'s vocabulary
        (the shipped ASMTokenizer by default)."""
        import torch
        from transformers import ElectraForSequenceClassification

        tokenizer = tokenizer or ASMTokenizer()
        torch.manual_seed(seed)
        config = build_config(len(tokenizer), layers=layers, hidden=hidden,
                              max_length=max_length, pad_token_id=tokenizer.pad_token_id)
        model = ElectraForSequenceClassification(config)
        return cls(model, tokenizer, device, max_length,
                   {"strip_comments": strip_comments, "normalize_numbers": normalize_numbers,
                    "normalize_mnemonics": normalize_mnemonics},
                   torch.nn.Linear(config.hidden_size, 2))

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> ElectraDiscriminator:
        """Load a folder written by ``save`` / ``train_discriminator``."""
        from transformers import ElectraForSequenceClassification

        directory = Path(path).expanduser()
        if not (directory / "config.json").is_file():
            what = "no such folder" if not directory.exists() else "no config.json in it"
            raise ConfigError(f"{directory}: {what} (train one with `afs discriminator train`)")
        training = {}
        if (directory / TRAINING_FILE).is_file():
            training = json.loads((directory / TRAINING_FILE).read_text(encoding="utf-8"))
        model = ElectraForSequenceClassification.from_pretrained(str(directory))
        token_head = None
        if (directory / TOKEN_HEAD_FILE).is_file():
            import torch
            from safetensors.torch import load_file

            weights = load_file(str(directory / TOKEN_HEAD_FILE))
            token_head = torch.nn.Linear(weights["weight"].shape[1], 2)
            token_head.load_state_dict(weights)
        return cls(model, ASMTokenizer(directory), device, training.get("max_length"), training,
                   token_head)

    def save(self, path: str | Path) -> Path:
        """Write model (safetensors), tokenizer and training.json to the folder ``path``."""
        directory = Path(path).expanduser()
        directory.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(directory))
        if self.token_head is not None:
            from safetensors.torch import save_file

            save_file({k: v.detach().cpu().contiguous()
                       for k, v in self.token_head.state_dict().items()},
                      str(directory / TOKEN_HEAD_FILE))
        self.tokenizer.save_pretrained(directory)
        facts = {**self.training, "max_length": self.max_length,
                 "strip_comments": self.strip_comments,
                 "normalize_numbers": self.normalize_numbers,
                 "normalize_mnemonics": self.normalize_mnemonics}
        facts["calibration"] = self.calibration.to_dict()  # the identity when none was fitted
        (directory / TRAINING_FILE).write_text(json.dumps(facts, indent=2, sort_keys=True) + "\n",
                                               encoding="utf-8")
        return directory

    # -- inputs ------------------------------------------------------------------------------

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        """``[bos] + token ids`` of each text (without ``;`` comments and trailing blanks when
        ``strip_comments``, hex digits as ``number_shapes`` when ``normalize_numbers``,
        mnemonics as ``mnemonic_case`` when ``normalize_mnemonics``), truncated to
        ``max_length``."""
        bos = self.tokenizer.bos_token_id
        if self.strip_comments:
            texts = [_code_only(text) for text in texts]
        if self.normalize_numbers:
            texts = [number_shapes(text) for text in texts]
        if self.normalize_mnemonics:
            texts = [mnemonic_case(text) for text in texts]
        encodings = self.tokenizer.backend_tokenizer.encode_batch(list(texts),
                                                                  add_special_tokens=False)
        return [[bos] + e.ids[:self.max_length - 1] for e in encodings]

    def collate(self, sequences: Sequence[Sequence[int]]) -> tuple[Any, Any]:
        """Right-padded ``input_ids`` and ``attention_mask`` for one batch (its own longest
        length: dynamic padding)."""
        import torch

        width = max(len(s) for s in sequences)
        ids = torch.full((len(sequences), width), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for row, sequence in enumerate(sequences):
            ids[row, :len(sequence)] = torch.tensor(sequence, dtype=torch.long)
            mask[row, :len(sequence)] = 1
        return ids.to(self.device), mask.to(self.device)

    # -- scoring -----------------------------------------------------------------------------

    def margins(self, texts: Sequence[str], batch_size: int = 32) -> list[float]:
        """``logit(real) - logit(corrupted)`` for each text, in input order (uncalibrated).
        Batches are formed over texts sorted by token length, so each is padded only to its
        own longest member."""
        import torch

        if batch_size < 1:
            raise ConfigError(f"batch_size must be at least 1, not {batch_size}")
        texts = list(texts)
        if not texts:
            return []
        sequences = self.encode(texts)
        order = sorted(range(len(texts)), key=lambda i: (len(sequences[i]), i))
        margins = [0.0] * len(texts)
        self.model.eval()
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                chunk = order[start:start + batch_size]
                ids, mask = self.collate([sequences[i] for i in chunk])
                values = self.batch_margins(ids, mask).float().cpu().tolist()
                for index, value in zip(chunk, values):
                    margins[index] = float(value)
        return margins

    def batch_margins(self, ids: Any, mask: Any) -> Any:
        """Margins of one batch (a tensor, differentiable: training uses it too): with a token
        head, the lowest ``logit(original) - logit(replaced)`` over the code tokens (bos and
        padding left out) - a snippet is as real as its most suspicious token, whatever its
        length; else the sequence head's ``logit(real) - logit(corrupted)``."""
        if self.token_head is None:
            logits = self.model(input_ids=ids, attention_mask=mask).logits
            return logits[:, REAL_LABEL] - logits[:, 1 - REAL_LABEL]
        hidden = self.model.electra(input_ids=ids, attention_mask=mask).last_hidden_state
        return token_margins(self.token_head(hidden), mask)

    def score_texts(self, texts: Sequence[str], batch_size: int = 32) -> list[float]:
        """P(real asm) for each text, in input order: the margin through the calibration
        saved with the model (``training.json``), else the plain softmax."""
        return [self.calibration.probability(m) for m in self.margins(texts, batch_size)]

    def score_text(self, text: str) -> float:
        """``score_texts`` for one text."""
        return self.score_texts([text])[0]

    def __repr__(self) -> str:
        config = self.model.config
        return (f"ElectraDiscriminator(layers={config.num_hidden_layers}, "
                f"hidden={config.hidden_size}, vocab={config.vocab_size}, device={self.device})")
