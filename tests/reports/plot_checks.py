"""Checks that a bar chart's category labels can be read: each category's name is on the
axis whole (wrapped at most), no two tick labels overlap, and all lie inside the image."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

# fifteen domains with long names, as a project with many generators could have
LONG_DOMAINS = [
    "asm.register_allocation_walkthroughs", "knowledge.hardware_registers_ppu_and_dma",
    "docs.memory_map_and_bank_layout_reference", "history.commit_messages", "oracle.qa",
    "asm.symbols", "asm.macro_expansion_and_conditional_assembly_examples",
    "memory.agent_context_notes", "asm.write", "asm.explain", "asm.struct",
    "docs.sprite_and_tile_format_descriptions", "knowledge.opcode_timing_tables",
    "history.bug_fix_explanations_from_changelogs", "oracle.unit_test_questions",
]


def assert_tick_labels_readable(figure, names: Sequence[str]) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    (axes,) = figure.axes
    (left, right), (bottom, top) = sorted(axes.get_xlim()), sorted(axes.get_ylim())
    labels = [label for label in axes.get_xticklabels()
              if label.get_text() and left <= label.get_position()[0] <= right]
    labels += [label for label in axes.get_yticklabels()
               if label.get_text() and bottom <= label.get_position()[1] <= top]
    shown = {label.get_text().replace("\n", "") for label in labels}
    assert set(names) <= shown, set(names) - shown
    boxes = [label.get_window_extent(renderer) for label in labels]
    page = figure.bbox  # the figure as laid out, before savefig's tight crop
    overlapping = [(a.get_text(), b.get_text()) for (a, box_a), (b, box_b)
                   in combinations(zip(labels, boxes, strict=True), 2) if box_a.overlaps(box_b)]
    assert overlapping == []
    assert all(page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1 for box in boxes)
