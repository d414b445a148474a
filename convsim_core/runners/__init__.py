from convsim_core.runners.base import Runner, RunnerAlreadyUsed, RunnerServices
from convsim_core.runners.full import FullSimulationRunner, ParticipantError

__all__ = [
    "FullSimulationRunner",
    "ParticipantError",
    "Runner",
    "RunnerAlreadyUsed",
    "RunnerServices",
]
