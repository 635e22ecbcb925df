"""Draw AFS's package import graph (grimp, the graph import-linter checks): one box per package
or top-level module, an arrow A -> B when A imports B anywhere (function-local imports
included), grouped into the floors of pyproject.toml's import contract, and any circle in red.
Imports of the infrastructure floor (errors, config, atomic_dir, ...) are counted for circles but
not drawn: every floor uses them.

    .venv/bin/python scripts/import_graph.py            # docs/import_graph.dot (+ .svg with Graphviz)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "import_graph.dot"
FLOOR_NAMES = ["pipelines and the CLI", "stage packages", "samples and asm", "infrastructure"]


def floors() -> list[list[str]]:
    """The layers of the import contract, top first, as lists of top-level names."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c["layers"] for c in config["contracts"] if c["type"] == "layers")
    return [[name.strip().removeprefix("afs.") for name in layer.split(":")] for layer in layers]


def package_edges(graph: grimp.ImportGraph) -> set[tuple[str, str]]:
    """(importer, imported) between different top-level parts of afs."""
    def top(module: str) -> str:
        return module.split(".")[1] if module.count(".") else module

    edges = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = top(module), top(imported)
            if a != b and "afs" not in (a, b):
                edges.add((a, b))
    return edges


def in_a_circle(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The edges that lie on a cycle (b reaches a again)."""
    reach: dict[str, set[str]] = {}
    for a, b in edges:
        reach.setdefault(a, set()).add(b)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                todo.extend(reach.get(node, ()))
        return False

    return {(a, b) for a, b in edges if reaches(b, a)}


def dot_text(edges: set[tuple[str, str]], circles: set[tuple[str, str]]) -> str:
    infrastructure = set(floors()[-1])
    lines = ["digraph afs {", '  rankdir=TB; newrank=true; ranksep=0.9; nodesep=0.25;',
             '  node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", '
             'fontname="Helvetica", fontsize=11];',
             '  edge [color="#00000040", arrowsize=0.6];']
    for number, (name, members) in enumerate(zip(FLOOR_NAMES, floors(), strict=True)):
        lines.append(f'  subgraph cluster_{number} {{ label="{name}"; style=rounded; '
                     'color="#999999"; fontname="Helvetica";')
        lines += [f'    "{member}";' for member in members]
        lines.append("  }")
    for a, b in sorted(edges):
        if b in infrastructure and (a, b) not in circles:
            continue
        style = ' [color="red", penwidth=2]' if (a, b) in circles else ""
        lines.append(f'  "{a}" -> "{b}"{style};')
    bottom, lowest = floors()[-2], floors()[-1]
    lines += [f'  "{a}" -> "{b}" [style=invis];' for a in bottom for b in lowest]  # floor order
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    graph = grimp.build_graph("afs", cache_dir=None)
    edges = package_edges(graph)
    circles = in_a_circle(edges)
    OUT.write_text(dot_text(edges, circles))
    print(f"{OUT.relative_to(ROOT)}: {len(edges)} imports between packages, "
          f"{len(circles)} on a circle")
    if shutil.which("dot"):
        svg = OUT.with_suffix(".svg")
        subprocess.run(["dot", "-Tsvg", str(OUT), "-o", str(svg)], check=True)
        print(f"{svg.relative_to(ROOT)}")
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
