"""What the curation steps accept, light (no pandas) so that the CLI offers the same choices
without loading the steps."""

from __future__ import annotations

from afs.samples.model import ORIGIN_KEY

GROUP_BY_CHOICES = ("file", ORIGIN_KEY, "domain", "source")  # what rebalance weights key on
STRATIFY_CHOICES = ("domain", "source", "none")  # what split stratifies by
NO_STRATIFY = (None, "", "none")
# rebalance: a group holding fewer than this share of its weight's samples gives all it has
# instead of capping the others (afs.curation.plan); 0 is the strict mix the scarcest group sizes
SCARCE_BELOW = 0.5
