"""Chat data for LoRA training: read the OpenAI-format JSONL splits, render each conversation
with the tokenizer's chat template, and label only the assistant turns.

A conversation is ``{"messages": [{"role": …, "content": …}, …]}`` as
:class:`afs.samples.formats.OpenAIConverter` writes it. The tokens of each assistant turn's
content and its end-of-turn marker carry labels; every other token (system, user, the role
headers, padding) is ``-100`` and adds nothing to the loss.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from afs.errors import DataError
from afs.jsonl_input import iter_json_lines

IGNORE_INDEX = -100
ROLES = ("system", "user", "assistant", "tool")


@dataclass(frozen=True)
class EncodedChat:
    """One conversation as token ids and labels (``IGNORE_INDEX`` off the assistant turns)."""

    input_ids: list[int]
    labels: list[int]

    @property
    def label_count(self) -> int:
        return sum(label != IGNORE_INDEX for label in self.labels)


def read_chat_jsonl(path: str | Path) -> list[list[dict[str, Any]]]:
    """The conversations of an OpenAI-format JSONL file (blank lines skipped); a line that is
    not such a conversation is a :class:`DataError` naming the file and line."""
    path = Path(path).expanduser()
    return [_check_messages(record, path, number) for number, record in iter_json_lines(path)]


def _check_messages(record: Any, path: Path, number: int) -> list[dict[str, Any]]:
    messages = record.get("messages") if isinstance(record, dict) else None
    if not isinstance(messages, list) or not messages:
        raise DataError('expected {"messages": [...]} (OpenAI chat format)', path=path,
                        line=number)
    for message in messages:
        if (not isinstance(message, dict) or message.get("role") not in ROLES
                or not isinstance(message.get("content"), str)):
            raise DataError(f"each message needs a role in {ROLES} and a string content, "
                            f"got {str(message)[:80]}", path=path, line=number)
    if not any(m["role"] == "assistant" for m in messages):
        raise DataError("conversation has no assistant turn to learn from", path=path,
                        line=number)
    return messages


def dataset_fingerprint(paths: dict[str, str | Path]) -> dict[str, Any]:
    """sha256 over the named split files' bytes (in name order) and their row counts."""
    digest = hashlib.sha256()
    rows = {}
    for name in sorted(paths):
        data = Path(paths[name]).expanduser().read_bytes()
        digest.update(name.encode() + b"\x00" + len(data).to_bytes(8, "little") + data)
        rows[name] = sum(1 for line in data.splitlines() if line.strip())
    return {"hash": digest.hexdigest(), "rows": rows}


def assistant_spans(tokenizer: Any, messages: Sequence[dict[str, Any]]
                    ) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans to learn: each assistant turn from
    the end of its generation prompt to the end of the turn (its end-of-turn marker)."""
    def render(part: Sequence[dict[str, Any]], prompt: bool = False) -> str:
        return tokenizer.apply_chat_template(list(part), tokenize=False,
                                             add_generation_prompt=prompt)

    text = render(messages)
    spans = []
    for index, message in enumerate(messages):
        if message["role"] == "assistant":
            end = len(render(messages[:index + 1]))
            if index:
                start = len(render(messages[:index], prompt=True))
            else:  # templates refuse an empty conversation: find the content in the turn
                start = max(0, text.find(message["content"]) if message["content"] else 0)
            spans.append((start, end))
    return text, spans


def encode_chat(tokenizer: Any, messages: Sequence[dict[str, Any]],
                max_length: int) -> EncodedChat:
    """Token ids of the rendered conversation (truncated to ``max_length``) with labels on
    the tokens that start inside an assistant span."""
    text, spans = assistant_spans(tokenizer, messages)
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,
                        truncation=True, max_length=max_length)
    ids = list(encoded["input_ids"])
    labels = [token if any(a <= start < b for a, b in spans) else IGNORE_INDEX
              for token, (start, _end) in zip(ids, encoded["offset_mapping"], strict=True)]
    return EncodedChat(ids, labels)


def encode_chats(tokenizer: Any, conversations: Sequence[Sequence[dict[str, Any]]],
                 max_length: int) -> tuple[list[EncodedChat], int]:
    """The encoded conversations that keep at least one labelled token after truncation,
    and how many were dropped because none did."""
    encoded = [encode_chat(tokenizer, messages, max_length) for messages in conversations]
    kept = [chat for chat in encoded if chat.label_count]
    return kept, len(encoded) - len(kept)


def collate(chats: Sequence[EncodedChat], pad_id: int) -> dict[str, Any]:
    """A right-padded batch: input_ids, attention_mask and labels tensors."""
    import torch

    width = max(len(chat.input_ids) for chat in chats)
    ids = torch.full((len(chats), width), pad_id, dtype=torch.long)
    labels = torch.full((len(chats), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(chats), width), dtype=torch.long)
    for row, chat in enumerate(chats):
        size = len(chat.input_ids)
        ids[row, :size] = torch.tensor(chat.input_ids)
        labels[row, :size] = torch.tensor(chat.labels)
        mask[row, :size] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def epoch_order(count: int, seed: int, epoch: int) -> list[int]:
    """The seeded shuffle of epoch ``epoch``: a pure function of (seed, epoch), so a run
    resumed mid-epoch sees the same order as one that never stopped."""
    import torch

    generator = torch.Generator().manual_seed(seed * 1_000_003 + epoch)
    return torch.randperm(count, generator=generator).tolist()


def iter_batches(chats: Sequence[EncodedChat], order: Sequence[int], batch_size: int
                 ) -> Iterator[list[EncodedChat]]:
    """``chats`` in ``order``, ``batch_size`` at a time (the last batch may be smaller)."""
    for start in range(0, len(order), batch_size):
        yield [chats[i] for i in order[start:start + batch_size]]
