"""Where a CPU training step's time goes, and how close its convolutions run to the machine's peak.

    python tools/train_profile.py            # about a minute on 2 cores

One Noise2Noise step of the bundled base network (batch 8 of 128x128 crops, fp32, the loss and
optimiser of `mcdenoise train`) is profiled with torch.profiler. The script prints:
- the share of the step spent in convolutions (forward and backward) and in everything else, and so
  the most that any change outside the convolutions could speed the step up (Amdahl's law);
- the convolutions' arithmetic rate, from their multiply-adds counted on the network, against a
  large fp32 matrix multiply on the same threads, the best rate this CPU's BLAS reaches;
- the speed-up of a step whose convolutions ran at that rate and whose other work took no time at all.

It answers whether crops per second can still double on this CPU without changing the network's
arithmetic (a narrower network, or a lower precision that the CPU runs natively).
"""

import argparse
import json
import time

import torch
from torch.profiler import ProfilerActivity, profile

from mcdenoise.config import TrainConfig
from mcdenoise.io.bundled import BUNDLED_MODELS
from mcdenoise.io.checkpoint import load_checkpoint
from mcdenoise.learn.device import cpu_model
from mcdenoise.learn.model import build_model
from mcdenoise.learn.optim import training_step

BATCH, CROP, THREADS = 8, 128, 2
#: Profiler rows that are convolution work: the forward pass, and the backward pass (both gradients).
FORWARD_CONVOLUTION_OPS = ("aten::mkldnn_convolution", "aten::_slow_conv2d_forward")
BACKWARD_CONVOLUTION_OPS = ("aten::convolution_backward",)


def convolution_macs(model: torch.nn.Module, inputs: torch.Tensor) -> int:
    """Multiply-adds of every convolution in one forward pass of ``model`` on ``inputs``."""
    total = 0

    def count(module, _, output):
        nonlocal total
        kernel = module.weight.shape[1] * module.weight.shape[2] * module.weight.shape[3]
        total += output.numel() * kernel

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        model(inputs)
    for hook in hooks:
        hook.remove()
    return total


def matmul_gflops(side: int = 2048, repeats: int = 20) -> float:
    """fp32 GFLOP/s of a large square matrix multiply (the fastest of ``repeats``: a peak rate)."""
    a, b = torch.rand(side, side), torch.rand(side, side)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * side**3 / min(times) / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10, help="profiled steps, after 3 to warm up")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    checkpoint = load_checkpoint(BUNDLED_MODELS["base"])
    model = build_model(checkpoint).train()
    generator = torch.Generator().manual_seed(0)
    inputs = torch.rand((BATCH, checkpoint.model_config.in_channels, CROP, CROP), generator=generator)
    targets = torch.rand((BATCH, 3, CROP, CROP), generator=generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.99))
    scaler = torch.amp.GradScaler("cpu", enabled=False)  # fp32, as `mcdenoise train` runs on this CPU

    def step():
        training_step(model, optimizer, scaler, (inputs, targets), None, TrainConfig.clip_norm)

    for _ in range(3):
        step()
    start = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(args.steps):
            step()
    wall = time.perf_counter() - start
    rows = {row.key: row.self_cpu_time_total / 1e6 for row in profiler.key_averages()}
    total = sum(rows.values())
    forward = sum(rows.get(op, 0.0) for op in FORWARD_CONVOLUTION_OPS)
    convolution = forward + sum(rows.get(op, 0.0) for op in BACKWARD_CONVOLUTION_OPS)
    share = convolution / total
    # A training step's convolutions do three times the forward pass's multiply-adds:
    # the forward pass, the gradient of the input and the gradient of the weights.
    macs = convolution_macs(model, inputs)
    record = {
        "machine": cpu_model(),
        "torch": torch.__version__,
        "threads": THREADS,
        "crops_per_second": args.steps * BATCH / wall,
        "convolution_share": share,
        "speedup_bound_outside_convolutions": 1 / share,
        "backward_over_forward": (convolution - forward) / forward,
        "convolution_gflops": 3 * 2 * macs * args.steps / convolution / 1e9,
        "forward_convolution_gflops": 2 * macs * args.steps / forward / 1e9,
        "matmul_gflops": matmul_gflops(),
        "macs_per_pixel": macs / (BATCH * CROP * CROP),
    }
    # If every convolution ran at the matrix multiply's rate and nothing else took any time.
    record["speedup_bound_at_matmul_rate"] = total / (convolution * record["convolution_gflops"] / record["matmul_gflops"])
    print(json.dumps(record, indent=1))
    print(
        f"{record['machine']}: {record['crops_per_second']:.1f} crops/s (under the profiler); convolutions are "
        f"{100 * share:.0f} % of the step, so the rest can speed it up by {record['speedup_bound_outside_convolutions']:.2f}x at most; "
        f"they run at {record['convolution_gflops']:.0f} GFLOP/s against {record['matmul_gflops']:.0f} for a 2048² matrix multiply; "
        f"with convolutions at that rate and nothing else costing time, "
        f"the step would be {record['speedup_bound_at_matmul_rate']:.2f}x faster"
    )


if __name__ == "__main__":
    main()
