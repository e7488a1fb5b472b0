"""How the suites' generated tests (hypothesis) run against a target."""

from __future__ import annotations

from hypothesis import Phase

# Shrinking finds the smallest failing request for the repro. The explain phase is left out:
# after the shrink it sends variations of the failing example again, only to annotate the
# report with which parts did not matter; against a real API each is a paid request of a
# second or more, and on the mock it was a third of a failing streaming run.
PHASES = (Phase.explicit, Phase.generate, Phase.shrink)

__all__ = ["PHASES"]
