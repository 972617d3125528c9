"""The docs a new user pastes from: every shell block holds commands only, names no variable it
does not define, and calls scripts, modules, flags and make targets that exist (each command's
own parser reads its arguments, with --help so that nothing runs); every relative link lands."""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import shlex
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from backfill_jobs.analytics.player_game_summary import (
    player_game_summary_analytics_backfill as summary,
)
from backfill_jobs.precompute.player_shot_zone_analysis import (
    player_shot_zone_analysis_backfill as features,
)

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    {
        ROOT / "README.md",
        ROOT / "bench" / "README.template.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "backfill_jobs").rglob("README.md"),
    }
)
SCRIPTS: dict[str, Callable[[Sequence[str]], int]] = {
    ".venv/bin/pgs-backfill": summary.main,
    ".venv/bin/psza-backfill": features.main,
    summary.SPEC.script: summary.main,
    features.SPEC.script: features.main,
}
# Other tools' commands, shown for production; they need credentials or a terminal.
FOREIGN = {"gcloud", "bq", "gsutil", "tmux", "cp", "mkdir", "export", "rm"}
# Variables a block may use without defining them.
ENVIRONMENT = {"PWD"}
FENCE = re.compile(r"^```(\w*)\s*$")
ASSIGNMENT = re.compile(r"^(?:export\s+)?([A-Za-z_]\w*)=")
VARIABLE = re.compile(r"\$\{?([A-Za-z_]\w*)")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def blocks(page: Path) -> Iterator[tuple[str, int, list[str]]]:
    """Each fenced block of a page: its language, first line number and lines."""
    language, start, lines = None, 0, []
    for number, line in enumerate(page.read_text().splitlines(), 1):
        fence = FENCE.match(line.strip())
        if fence and language is None:
            language, start, lines = fence.group(1), number + 1, []
        elif line.strip() == "```" and language is not None:
            yield language, start, lines
            language = None
        elif language is not None:
            lines.append(line)


def commands(lines: list[str]) -> Iterator[str]:
    """A shell block's commands: comments dropped, continuations joined, heredoc bodies
    skipped (their command is kept)."""
    pending, heredoc = "", None
    for line in lines:
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        text = line.split(" #")[0].rstrip() if not line.lstrip().startswith("#") else ""
        if text.endswith("\\"):
            pending += text[:-1] + " "
            continue
        command = (pending + text).strip()
        pending = ""
        if command:
            marker = re.search(r"<<\s*'?(\w+)'?", command)
            if marker:
                heredoc = marker.group(1)
            yield command


def shell_blocks() -> list[tuple[str, list[str]]]:
    found = []
    for page in PAGES:
        for language, start, lines in blocks(page):
            if language in ("bash", "sh", "shell"):
                found.append((f"{page.relative_to(ROOT)}:{start}", lines))
    return found


SHELL_BLOCKS = shell_blocks()


def _help_of(main: Callable[[Sequence[str]], int], argv: Sequence[str]) -> tuple[int, str]:
    """``main(argv + --help)``: the exit status and everything printed. Values of the flags
    before --help are converted by the parser; nothing runs."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            status = main([*argv, "--help"])
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 1
    return status, out.getvalue()


def _module_main(name: str) -> Callable[[Sequence[str]], int]:
    module = importlib.import_module(name)
    if not hasattr(module, "main"):
        module = importlib.import_module(f"{name}.__main__")
    return module.main


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z][\w-]*):", makefile, flags=re.MULTILINE))


def check(command: str) -> None:
    words = shlex.split(command)
    while words and ASSIGNMENT.match(words[0]):
        words = words[1:]
    if words[:2] == ["tmux", "new-session"]:
        check(words[-1])  # the command the session runs
        return
    if not words or words[0] in FOREIGN:
        return
    program, argv = words[0], words[1:]
    if program == "make":
        targets = [word for word in argv if "=" not in word]
        assert set(targets) <= _make_targets(), f"unknown make target in {command!r}"
        return
    if program == ".venv/bin/python":
        if argv[:1] == ["-c"]:
            compile(argv[1], command, "exec")
            return
        if argv[:1] == ["-"]:
            return  # a heredoc, shown with its output
        if argv[:1] == ["-m"]:
            main, argv = _module_main(argv[1]), argv[2:]
        else:
            assert argv[0] in SCRIPTS, f"unknown script in {command!r}"
            main, argv = SCRIPTS[argv[0]], argv[1:]
    else:
        assert program in SCRIPTS, f"unknown program {program!r}: say .venv/bin/{program}?"
        main = SCRIPTS[program]
    status, text = _help_of(main, argv)
    assert status == 0, f"{command!r} is refused by its parser:\n{text}"
    for word in argv:
        flag = word.split("=")[0]
        if flag.startswith("--"):
            assert re.search(rf"{re.escape(flag)}\b", text), f"{flag} unknown to {command!r}"


@pytest.mark.parametrize(("where", "lines"), SHELL_BLOCKS, ids=[w for w, _ in SHELL_BLOCKS])
def test_a_shell_block_pastes_as_shown(where: str, lines: list[str]) -> None:
    assert not any(line.startswith("$ ") for line in lines), "prompts belong to no command"
    defined = set(ENVIRONMENT)
    for command in commands(lines):
        unquoted = re.sub(r"'[^']*'", "", command)
        assigned = ASSIGNMENT.match(command)
        if assigned:
            defined.add(assigned.group(1))
        undefined = set(VARIABLE.findall(unquoted)) - defined
        assert not undefined, f"{command!r} uses {sorted(undefined)}, not defined in its block"
        check(command)


def test_the_docs_hold_commands_to_check():
    assert len(SHELL_BLOCKS) > 20
    assert any("pgs-backfill status" in " ".join(lines) for _, lines in SHELL_BLOCKS)


def test_a_wrong_flag_fails_the_check():
    with pytest.raises(AssertionError, match="--worker"):
        check(".venv/bin/pgs-backfill --start-date 2022-01-10 --worker 3")
    with pytest.raises(AssertionError, match="refused"):
        check(".venv/bin/pgs-backfill --workers three")
    with pytest.raises(AssertionError, match="say .venv/bin/pgs-backfill"):
        check("pgs-backfill --start-date 2022-01-10")


def test_the_readme_fits_in_200_lines():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 200


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    headings = re.findall(r"^#+ (.+)$", page.read_text(), flags=re.MULTILINE)
    return {_anchor(heading) for heading in headings}


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_lands(page: Path) -> None:
    for target in LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        landing = (page.parent / path).resolve() if path else page
        assert landing.exists(), f"{target} in {page.name}: no such file"
        if anchor and landing.suffix == ".md":
            assert anchor in _anchors(landing), f"{target} in {page.name}: no such heading"
