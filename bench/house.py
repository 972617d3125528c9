"""``python -m bench.house [ROOT]``: the house's rooms (packages) and floors (each room one
floor above the highest room it imports), from static imports; and the engine's modules over
400 lines. How the layout is reported before and after a change (tests/test_layers.py keeps
the rules)."""

from __future__ import annotations

import ast
import collections
import sys
from pathlib import Path

ENGINE = {"shared.backfill", "shared.warehouse"}
MAX_ENGINE_LINES = 400


def room(module: str) -> str | None:
    """The room of a dotted module name; None outside the project."""
    parts = module.split(".") + [""]
    top, second = parts[0], parts[1]
    if top == "tests":
        return "tests.doubles" if second == "doubles" else "tests"
    if top == "bench":
        return "bench.chaos" if second == "chaos" else "bench"
    if top == "shared":
        if second in {"backfill", "warehouse", "nba", "bigquery_sim", "ingest", "sample_data",
                      "schemas"}:  # fmt: skip
            return f"shared.{second}"
        return "shared (top)"
    if top == "backfill_jobs":
        if second in {"analytics", "precompute"} and len(parts) > 3:
            return f"backfill_jobs.{parts[2]}"
        return "backfill_jobs (top)"
    return None


def survey(root: Path) -> tuple[dict[str, set[str]], collections.Counter[str], list[str]]:
    imports: dict[str, set[str]] = collections.defaultdict(set)
    lines: collections.Counter[str] = collections.Counter()
    large = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "build"}:
            continue
        here = room(".".join(relative.with_suffix("").parts).removesuffix(".__init__"))
        if here is None:
            continue
        text = path.read_text(encoding="utf-8")
        count = len(text.splitlines())
        lines[here] += count
        if here in ENGINE and count > MAX_ENGINE_LINES:
            large.append(f"{relative} ({count})")
        for node in ast.walk(ast.parse(text)):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            imports[here].update(r for r in map(room, names) if r and r != here)
    return imports, lines, large


def floors(imports: dict[str, set[str]], rooms: list[str]) -> dict[str, int]:
    """Each room's floor; a cycle raises (a room reached again while it is being placed)."""
    placed: dict[str, int] = {}

    def place(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            raise SystemExit(f"import cycle: {' -> '.join((*path, name))}")
        if name not in placed:
            below = [place(other, (*path, name)) for other in imports.get(name, ())]
            placed[name] = 1 + max(below, default=0)
        return placed[name]

    for name in rooms:
        place(name, ())
    return placed


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(__file__).resolve().parents[1]
    imports, lines, large = survey(root)
    rooms = sorted(lines)
    floor = floors(imports, rooms)
    print(f"{len(rooms)} rooms, {max(floor.values())} floors, no import cycle")
    for name in sorted(rooms, key=lambda r: (floor[r], r)):
        below = ", ".join(sorted(imports.get(name, ()))) or "-"
        print(f"  floor {floor[name]}  {name:<42} {lines[name]:>6} lines  imports {below}")
    print(f"engine modules over {MAX_ENGINE_LINES} lines: {', '.join(large) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
