"""`HistoryGenerator`: an agent's event log (``.context/history``) as training samples.

``events_YYYYMMDD.jsonl`` files hold one event a line: ``id``, ``timestamp``, ``type`` (model,
tool, fs or cli) and a ``payload`` object, or a ``payload_ref`` to a JSON file under the
history root (``payloads/…json``). Model events become samples; tool events too with
``include_tools``; fs and cli events never do (they record what happened, not the request
that explains it, and that request is already in the model event). Formats:
docs/context_format.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from afs.context.records import (
    ContextGenerator,
    EntryError,
    json_lines,
    json_type,
    parse_tags,
    text_field,
)
from afs.generators.base import TrainingSample
from afs.generators.files import SkipFile, read_source, walk_files
from afs.safe_fs import ContextEscapeError, ContextFS
from afs.secrets.redact import redact_value

EVENT_TYPES = ("model", "tool", "fs", "cli")
EVENTS_FILE = re.compile(r"events_\d{8}\.jsonl")
PROMPT_FIELDS = ("prompt", "instruction", "user")
RESPONSE_FIELDS = ("response", "output", "completion", "assistant")
TOOL_RESULT_FIELDS = ("output", "result")
SPEAKERS = {"user": "User", "assistant": "Assistant", "tool": "Tool"}
TOOL_INSTRUCTION = "Run the `{tool}` tool with the input below and give its result."


class HistoryGenerator(ContextGenerator):
    """Samples from the events under ``history_root`` (see the module docstring)."""

    def __init__(self, history_root: str | Path, include_tools: bool = False,
                 include_tags: Iterable[str] = (), exclude_tags: Iterable[str] = (),
                 limit: int | None = None):
        super().__init__("history", history_root, limit, include_tags, exclude_tags)
        self.include_tools = include_tools

    def _candidates(self) -> Iterator[TrainingSample]:
        first_seen: dict[str, str] = {}  # event id -> where it was first met
        for path in walk_files(self.root, (".jsonl",), self.skipped):
            if not EVENTS_FILE.fullmatch(path.name):
                self.skip(self.relative(path), "not an events_YYYYMMDD.jsonl file")
                continue
            text = self.read(path)
            for line, event in json_lines(text) if text is not None else ():
                where = f"{self.relative(path)}:{line}"
                try:
                    sample = self._event_sample(event, where, first_seen)
                except EntryError as error:
                    self.skip(where, str(error))
                    continue
                if sample is not None:
                    yield sample

    def _event_sample(self, event: Any, where: str, first_seen: dict[str, str]
                      ) -> TrainingSample | None:
        if isinstance(event, EntryError):
            raise event
        if not isinstance(event, dict):
            raise EntryError(f"expected a JSON object, got {json_type(event)}")
        # Reasons name the field, never its value: an id or a type may be a pasted secret.
        raw_id = text_field(event, ("id",))
        if raw_id in first_seen:
            raise EntryError(f"duplicate event id (first at {first_seen[raw_id]})")
        first_seen[raw_id] = where
        text_field(event, ("timestamp",))
        kind = text_field(event, ("type",))
        if kind not in EVENT_TYPES:
            raise EntryError(f"unknown event type (expected {', '.join(EVENT_TYPES)})")
        payload = self._payload(event)  # by the raw payload_ref: a redacted one names no file
        event, redactions = redact_value(event)  # every field that reaches the sample
        payload = event["payload"] if "payload" in event else \
            redact_value(payload, redactions)[0]
        event_id, timestamp = text_field(event, ("id",)), text_field(event, ("timestamp",))
        tags = parse_tags(event.get("tags"))
        build = {"model": _model_fields, "tool": _tool_fields}.get(kind)
        fields = build(payload) if build else None  # checks the payload before any filtering
        left_out = None
        if build is None or (kind == "tool" and not self.include_tools):
            left_out = f"{kind}_event"
        if not self.keep(tags, left_out):
            return None
        metadata = {"event_id": event_id, "event_type": kind, "timestamp": timestamp,
                    "session": event.get("session"), "payload_ref": event.get("payload_ref"),
                    "tags": tags, **fields.pop("metadata")}
        return self.sample(**fields, source=where, redactions=redactions,
                           domain=text_field(event, ("domain",), required=False),
                           metadata=metadata)

    def _payload(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event's payload object, inline or read from its ``payload_ref``."""
        if "payload" in event and "payload_ref" in event:
            raise EntryError("has both 'payload' and 'payload_ref'")
        if "payload_ref" in event:
            payload = self._referenced_payload(text_field(event, ("payload_ref",)))
        elif "payload" in event:
            payload = event["payload"]
        else:
            raise EntryError("missing field 'payload' (or payload_ref)")
        if not isinstance(payload, dict):
            raise EntryError(f"payload must be a JSON object, got {json_type(payload)}")
        return payload

    def _referenced_payload(self, ref: str) -> Any:
        # a log must not make the export read files outside its own folder (~/.ssh, …)
        try:
            path = ContextFS(self.root).resolve(ref)
        except ContextEscapeError:  # absolute, '..', or a symlink that leaves the folder
            raise EntryError("payload_ref points outside the history folder") from None
        if not path.is_file():
            raise EntryError("payload_ref: no such file")
        try:
            return json.loads(read_source(path))
        except SkipFile as error:
            raise EntryError(f"payload_ref: {error.reason}") from None
        except json.JSONDecodeError as error:
            raise EntryError(f"payload_ref: malformed JSON: {error.msg} (line "
                             f"{error.lineno})") from None


def _model_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """A model call as sample fields: the prompt (or the last user message) -> the response
    (or the last assistant message); earlier turns of a conversation become ``input``."""
    metadata = {"model": payload.get("model")}
    thinking = text_field(payload, ("thinking",), required=False)
    if "messages" not in payload:
        return {"instruction": text_field(payload, PROMPT_FIELDS),
                "output": text_field(payload, RESPONSE_FIELDS), "thinking": thinking,
                "metadata": metadata}
    turns = _turns(payload["messages"])
    output = text_field(payload, RESPONSE_FIELDS, required=False)
    if output is None:
        if not turns or turns[-1][0] != "assistant":
            raise EntryError("model event has no response and its last message is not from "
                             "the assistant")
        output = turns.pop()[1]
    if not turns or turns[-1][0] != "user":
        raise EntryError("model event's messages do not end with a user message before the "
                         "response")
    earlier = "\n\n".join(f"{SPEAKERS[role]}: {text}" for role, text in turns[:-1])
    return {"instruction": turns[-1][1], "output": output, "input": earlier,
            "thinking": thinking, "metadata": metadata}


def _turns(messages: Any) -> list[tuple[str, str]]:
    """``(role, text)`` of each message but system prompts (they are the agent's setup, the
    same in every event, not part of the exchange); content may be text or a list of blocks,
    whose text blocks are joined."""
    if not isinstance(messages, list):
        raise EntryError(f"field 'messages' must be an array, got {json_type(messages)}")
    turns = []
    for number, message in enumerate(messages, start=1):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in (*SPEAKERS, "system"):
            raise EntryError(f"message {number} has no role user, assistant, tool or system")
        text = _content_text(message.get("content"), number)
        if role != "system" and text:
            turns.append((role, text))
    return turns


def _content_text(content: Any, number: int) -> str:
    if isinstance(content, str):
        return content.strip()
    if isinstance(content, list):
        return "\n\n".join(block["text"].strip() for block in content
                           if isinstance(block, dict) and isinstance(block.get("text"), str))
    raise EntryError(f"message {number}: content must be a string or a list of blocks, got "
                     f"{json_type(content)}")


def _tool_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """A tool call as sample fields: which tool and its input -> what the tool returned."""
    tool = text_field(payload, ("tool", "name"))
    if all(payload.get(name) is None for name in TOOL_RESULT_FIELDS):
        raise EntryError("tool event has no 'output' (or result)")
    result = next(payload[name] for name in TOOL_RESULT_FIELDS if payload.get(name) is not None)
    output = _rendered(result)
    if not output:
        raise EntryError("tool event has an empty output")
    metadata = {"tool": tool, "exit_code": payload.get("exit_code"),
                "is_error": payload.get("is_error")}
    return {"instruction": TOOL_INSTRUCTION.format(tool=tool),
            "input": _rendered(payload.get("input")), "output": output, "metadata": metadata}


def _rendered(value: Any) -> str:
    """A tool's input or result as text: strings as they are, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, indent=2, ensure_ascii=False)
