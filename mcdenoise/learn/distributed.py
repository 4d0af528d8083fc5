"""Training on several processes at once: ``torchrun --nproc-per-node=N -m mcdenoise train ...``.

torchrun starts N copies of the command with ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` in
their environment. :func:`torchrun_ranks` reads them, :meth:`Ranks.joined` forms the process
group (gloo on CPUs, nccl on CUDA, each process on GPU ``LOCAL_RANK``) and tears it down, and
:meth:`Ranks.wrap` makes the network a ``DistributedDataParallel`` one, whose gradients are
averaged over the processes. Each process draws ``batch / N`` crops a step from its own seed
(:func:`crop_seed`), so a step of N processes is a step of one process with the whole batch.

The processes stay in lock-step with one small collective a step, :meth:`Ranks.agree`: rank 0's
budget progress (by steps or by its clock) and its decisions to save and to score, which the
others follow. Without torchrun (or with one process) there is no process group, and every
method here does what one process would.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as dist

from mcdenoise.errors import ConfigError


def crop_seed(seed: int, rank: int, step: int | None = None) -> int:
    """The seed of process ``rank``'s crop generator: ``seed`` itself for rank 0 at the start (so a
    run of one process draws the crops it always drew), else the first 64-bit word of numpy's
    ``SeedSequence([seed mod 2**64, rank])``, or of ``SeedSequence([seed mod 2**64, rank, step])``
    when a run resumed on another number of processes reseeds every rank at ``step``."""
    if rank == 0 and step is None:
        return seed
    entropy = [seed % 2**64, rank] + ([step] if step is not None else [])
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0])


@dataclass(frozen=True)
class Ranks:
    """This process's place among the processes that train together: rank 0 of 1 without torchrun.

    ``device`` is where this process trains (under torchrun with CUDA, GPU ``LOCAL_RANK``).
    """

    rank: int = 0
    world: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def lead(self) -> bool:
        """Whether this is rank 0, which alone logs, scores validation views and writes files."""
        return self.rank == 0

    @property
    def backend(self) -> str:
        """The process group's backend: nccl between GPUs, gloo between CPUs."""
        return "nccl" if self.device.type == "cuda" else "gloo"

    def crops_per_rank(self, batch: int) -> int:
        """Each process's share of the ``batch`` crops of a step; raises :class:`ConfigError` when
        the processes cannot share it evenly."""
        if batch % self.world:
            raise ConfigError(
                f"{{batch}} {batch} cannot be shared evenly by {self.world} processes; give a multiple of {self.world}", "batch"
            )
        return batch // self.world

    @contextmanager
    def joined(self) -> Iterator["Ranks"]:
        """Form the process group for the block (nothing with one process) and always destroy it after."""
        if self.world == 1:
            yield self
            return
        # DistributedDataParallel imports this module, whose functions take the default group as a
        # default argument: imported after the group is formed, they would keep it alive past
        # destroy_process_group, and gloo's threads could then free a collective's tensors while
        # the interpreter shuts down (an abort at exit, 1 run in 10 on a busy 2-core machine).
        import torch.distributed.nn.functional  # noqa: F401

        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        dist.init_process_group(self.backend, rank=self.rank, world_size=self.world)
        try:
            yield self
        finally:
            dist.destroy_process_group()

    def wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """``model`` as it trains here: itself with one process, else ``DistributedDataParallel``
        around it (which shares ``model``'s parameters, so ``model.state_dict()`` has no ``module.``
        prefixes)."""
        if self.world == 1:
            return model
        return torch.nn.parallel.DistributedDataParallel(model, device_ids=[self.device] if self.device.type == "cuda" else None)

    def agree(self, progress: float, save: bool, score: bool) -> tuple[float, bool, bool]:
        """Rank 0's ``progress`` through the budget and its decisions to ``save`` and to ``score``, on
        every process; what the other ranks pass is ignored. One all-reduce of three numbers."""
        if self.world == 1:
            return progress, save, score
        values = [progress, float(save), float(score)] if self.lead else [0.0, 0.0, 0.0]
        agreed = torch.tensor(values, dtype=torch.float64, device=self._collective_device)
        dist.all_reduce(agreed, op=dist.ReduceOp.MAX)
        progress, save, score = agreed.tolist()
        return progress, save > 0, score > 0

    def gather(self, state: torch.Tensor) -> list[torch.Tensor]:
        """Every process's ``state`` (a CPU tensor of one shape on all ranks), in rank order, on the
        CPU; every process must call it at the same step."""
        if self.world == 1:
            return [state]
        local = state.to(self._collective_device)
        states = [torch.empty_like(local) for _ in range(self.world)]
        dist.all_gather(states, local)
        return [s.cpu() for s in states]

    @property
    def _collective_device(self) -> torch.device:
        return self.device if self.backend == "nccl" else torch.device("cpu")


def launched_processes() -> int:
    """How many processes torchrun started to train together (its ``WORLD_SIZE``; 1 without torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def torchrun_ranks(device: torch.device) -> Ranks:
    """This process's :class:`Ranks`, read from torchrun's ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE``
    (rank 0 of 1 when they are absent); on CUDA each process trains on GPU ``LOCAL_RANK``."""
    world = launched_processes()
    if world <= 1:
        return Ranks(device=device)
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return Ranks(int(os.environ["RANK"]), world, device)
