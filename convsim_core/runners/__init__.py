from convsim_core.runners.base import Runner, RunnerAlreadyUsed, RunnerServices
from convsim_core.runners.full import FullSimulationRunner, ParticipantError
from convsim_core.runners.hybrid import HybridSimulationRunner, HybridTiming

__all__ = [
    "FullSimulationRunner",
    "HybridSimulationRunner",
    "HybridTiming",
    "ParticipantError",
    "Runner",
    "RunnerAlreadyUsed",
    "RunnerServices",
]
