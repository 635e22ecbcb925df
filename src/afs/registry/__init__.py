"""The experiment registry: experiments (``experiments``), their store (``store``), lineage
(``lineage``), dataset fingerprints (``fingerprint``) and registered models (``models``)."""

from __future__ import annotations
