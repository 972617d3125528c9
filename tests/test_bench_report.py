"""bench/README.md and the README's headline come from the results files: the latest full run,
the partial runs measured after it, the figures as the bench rendered them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.report import HEADLINE, PRODUCTION, find_runs, headline, page, production, with_block

ROOT = Path(__file__).resolve().parents[1]


def report(stamp: str, ratio: float, passed: bool) -> dict:
    return {
        "machine": {"python": "3.11.7", "cpus": 2},
        "B3": {"median_ms": {"one season": 30.0, "three seasons": 30.0 * ratio}, "ratio": ratio},
        "total_s": 12.5,
        "targets": [
            {
                "target": "B3 three seasons / one season",
                "measured": f"{ratio:.2f}",
                "wanted": "<= 1.25",
                "passed": passed,
                "result": "PASS" if passed else "FAIL",
            }
        ],
        "measured_at": stamp,
    }


def write(folder: Path, name: str, content: dict) -> None:
    (folder / name).write_text(json.dumps(content))


def test_the_page_shows_the_full_run_and_only_the_partial_runs_after_it(tmp_path):
    write(tmp_path, "latest.json", report("2026-12-07T14:00:00+00:00", 1.04, True))
    write(tmp_path, "latest_B3.json", report("2026-12-07T13:00:00+00:00", 1.11, True))
    write(tmp_path, "latest_B3_B5.json", report("2026-12-07T15:00:00+00:00", 1.31, False))
    full, later = find_runs(tmp_path)
    text = page(full, later)
    assert "## Latest full run, 2026-12-07 14:00 UTC" in text
    assert "B3: see the later run below." in text  # measured again at 15:00
    assert "B3 single day, median: one season 30.0 ms, three seasons 39.3 ms" in text
    assert "## Later run of B3, B5, 2026-12-07 15:00 UTC" in text
    assert "1.31" in text and "1.11" not in text
    assert "0 of 0 targets pass" in text and "0 of 1 targets pass" in text


def test_a_report_without_its_date_takes_the_files(tmp_path):
    content = report("", 1.0, True)
    del content["measured_at"]
    write(tmp_path, "latest.json", content)
    os.utime(tmp_path / "latest.json", (1_796_000_000, 1_796_000_000))
    full, _ = find_runs(tmp_path)
    assert "## Latest full run, 2026-11-30 00:53 UTC" in page(full, [])


def test_the_headline_quotes_the_tally_and_every_failing_target(tmp_path):
    write(tmp_path, "latest.json", report("2026-12-07T14:00:00+00:00", 1.31, False))
    full, _ = find_runs(tmp_path)
    text = headline(full)
    assert "2026-12-07, 2 cores, Python 3.11.7: 0 of 1 targets pass" in text
    assert "- B3 three seasons / one season: 1.31 (wanted <= 1.25, FAIL)" in text


def test_a_block_replaces_only_the_text_between_its_markers():
    start, end = "<!-- bench-headline:start -->", "<!-- bench-headline:end -->"
    readme = f"top\n{start}\nold figures\n{end}\nbottom\n"
    assert with_block(readme, HEADLINE, "new") == f"top\n{start}\nnew\n{end}\nbottom\n"
    with pytest.raises(SystemExit, match="lacks the markers"):
        with_block("no markers here", HEADLINE, "new")


def b6_row(sim_s: float, updates: int, billed_gib: float, invalid: str | None = None) -> dict:
    return {
        "sim_s": sim_s,
        "target_updates": updates,
        "jobs": 1181,
        "bytes_billed": int(billed_gib * 1024**3),
        "machine": {"invalid": invalid},
    }


def test_the_production_table_comes_from_the_latest_b6_and_says_when_it_was_invalid(tmp_path):
    content = report("2026-12-07T14:00:00+00:00", 1.0, True)
    content["B6"] = {
        "variants": {
            "bulk": b6_row(38.6, 3, 1.0, invalid="cores 100% busy"),
            "x15 paced": b6_row(203.4, 586, 29.1),
        }
    }
    write(tmp_path, "latest_B6.json", content)
    write(tmp_path, "latest.json", report("2026-12-07T13:00:00+00:00", 1.0, True))
    full, later = find_runs(tmp_path)
    text = production([full, *later])
    assert "B6 of 2026-12-07" in text
    assert "| bulk (auto) | 0 min 39 s (INVALID: machine-bound) | 3 | 1,181 | 1.0 GiB |" in text
    assert "| per-day, 15 workers | 3 min 23 s | 586 | 1,181 | 29.1 GiB | $0.18 |" in text
    assert "30 workers" not in text
    assert production([full]) == "Not measured yet: run `make bench` (section B6)."


def test_the_readme_has_the_markers():
    readme = (ROOT / "README.md").read_text()
    for name in (HEADLINE, PRODUCTION):
        assert readme.index(f"<!-- bench-{name}:start -->") < readme.index(
            f"<!-- bench-{name}:end -->"
        )


def test_a_section_measured_again_later_replaces_the_full_runs(tmp_path):
    write(tmp_path, "latest.json", report("2026-12-07T13:00:00+00:00", 1.31, False))
    write(tmp_path, "latest_B3.json", report("2026-12-07T15:00:00+00:00", 1.04, True))
    full, later = find_runs(tmp_path)
    assert "B3" not in full.report and full.report["targets"] == []
    text = page(full, later)
    assert "B3: see the later run below." in text and "1.31" not in text
    top = headline(full, later)
    assert "B3 measured again on 2026-12-07: 1 of 1 targets pass" in top
    assert "FAIL" not in top


def test_a_partial_run_measured_again_drops_out(tmp_path):
    write(tmp_path, "latest.json", report("2026-12-07T12:00:00+00:00", 1.0, True))
    write(tmp_path, "latest_B3.json", report("2026-12-07T13:00:00+00:00", 1.31, False))
    write(tmp_path, "latest_B3_B5.json", report("2026-12-07T14:00:00+00:00", 1.04, True))
    full, later = find_runs(tmp_path)
    assert [run.path.name for run in later] == ["latest_B3_B5.json"]
    assert "every section measured again later" in headline(full, later)
