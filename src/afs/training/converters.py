"""``from afs.training.converters import AlpacaConverter, ...``, as the API reference writes it:
re-exports of the record shapes (``afs.samples.formats``) and the file export
(``afs.curation.export``)."""

from __future__ import annotations

from afs.curation.export import ConvertResult, convert_frame, convert_jsonl
from afs.samples.formats import (
                                 FORMATS,
                                 AlpacaConverter,
                                 ChatMLConverter,
                                 Converter,
                                 OpenAIConverter,
                                 ShareGPTConverter,
                                 get_converter,
)

__all__ = ["FORMATS", "AlpacaConverter", "ChatMLConverter", "ConvertResult", "Converter",
           "OpenAIConverter", "ShareGPTConverter", "convert_frame", "convert_jsonl",
           "get_converter"]
