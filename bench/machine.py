"""Whether the machine, not the system under test, bound a measurement (STYLE 18).

A section runs inside ``Watch``: it notes the load average before and after, and the CPU time
the rest of the machine used meanwhile (every busy tick of ``/proc/stat``, less this process's
and its waited-for children's own CPU time). A section whose measurement started on a machine
already loaded past its cores, or that shared the cores with other work for a good part of the
time, is INVALID: its ratios say more about the neighbours than about the backfill.

Example: 2 cores, 40 s of section wall time, 60 CPU-seconds busy on the machine, of which the
bench and its commands used 44: others used 16 s, 0.4 of a core on average: valid (limit 0.5).
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field
from types import TracebackType

# Others may use this much of one core on average before the section is INVALID (cron, a
# shell, the kernel's own threads stay far below it; a test suite running alongside does not).
FOREIGN_CORES_LIMIT = 0.5


def _busy_seconds() -> float | None:
    """CPU seconds the whole machine spent busy since boot (None where /proc is missing)."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal [guest guest_nice: inside user already]
    ticks = [int(value) for value in fields[:8]]
    busy = sum(ticks) - ticks[3] - ticks[4]
    return busy / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    """CPU seconds of this process and every child it (or they) waited for."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


@dataclass
class Watch:
    """``with Watch() as watch: ...``; then ``watch.summary()`` and ``watch.invalid``."""

    cores: int = field(default_factory=lambda: os.cpu_count() or 1)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    wall_s: float = 0.0
    foreign_cores: float | None = None
    _started: float = 0.0
    _busy: float | None = None
    _own: float = 0.0

    def __enter__(self) -> Watch:
        self.load_before = os.getloadavg()
        self._started = time.perf_counter()
        self._busy = _busy_seconds()
        self._own = _own_seconds()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.wall_s = time.perf_counter() - self._started
        busy = _busy_seconds()
        if busy is not None and self._busy is not None and self.wall_s > 0:
            foreign = (busy - self._busy) - (_own_seconds() - self._own)
            self.foreign_cores = max(0.0, foreign / self.wall_s)
        self.load_after = os.getloadavg()

    @property
    def invalid(self) -> str | None:
        """Why the measurement cannot be judged, or None."""
        if self.load_before[0] > self.cores:
            return f"load average {self.load_before[0]:.2f} > {self.cores} cores at the start"
        if self.foreign_cores is not None and self.foreign_cores > FOREIGN_CORES_LIMIT:
            return (
                f"other processes used {self.foreign_cores:.2f} cores on average "
                f"(limit {FOREIGN_CORES_LIMIT})"
            )
        return None

    def summary(self) -> dict:
        return {
            "cores": self.cores,
            "load_before": [round(value, 2) for value in self.load_before],
            "load_after": [round(value, 2) for value in self.load_after],
            "foreign_cores": None if self.foreign_cores is None else round(self.foreign_cores, 2),
            "wall_s": round(self.wall_s, 1),
            "invalid": self.invalid,
        }


def load_line(machine: dict, *, judged: bool = True) -> str:
    """One line: load averages (1, 5, 15 min) before and after, others' CPU, the verdict
    (none unless ``judged``: a campaign run under load on purpose only shows it)."""
    before = "/".join(f"{v:.2f}" for v in machine["load_before"])
    after = "/".join(f"{v:.2f}" for v in machine["load_after"])
    foreign = machine["foreign_cores"]
    others = "unknown" if foreign is None else f"{foreign:.2f} cores"
    verdict = f"INVALID: {machine['invalid']}" if machine["invalid"] else "valid"
    line = (
        f"  machine: {machine['cores']} cores; load average (1/5/15 min) {before} before, "
        f"{after} after; other processes {others} on average over {machine['wall_s']:.0f} s"
    )
    return f"{line}; {verdict}" if judged else line
