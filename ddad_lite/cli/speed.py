"""`bench` (throughput of the engine against the reference loop, or of DDAD with its FLOPs;
docs/speed.md) and `gpu-reproduce` (CIFAR-10's teacher and student on one GPU in ten minutes,
measured: `make gpu`).
"""

from __future__ import annotations

import json

from ..bench import compare, run_benchmark
from ..config.building import check_device
from ..config.overrides import parse_duration
from ..errors import UserError
from ..runs.gpu_reproduce import reproduce_on_gpu


def cmd_gpu_reproduce(args):
    overrides = {}
    for item in args.set or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f"--set takes name=value, not {item!r}; e.g. --set batch_size=128")
        overrides[name.strip()] = value.strip()
    record = reproduce_on_gpu(out=args.out, data=args.data, work=args.work,
                              dataset=args.dataset, method=args.method, profile=args.profile,
                              device=args.device, budget=parse_duration(args.budget),
                              bench_iters=args.bench_iters, overrides=overrides)
    print(json.dumps({"status": record["status"], **record.get("headline", {}),
                      "phases": record["phases"], "gpu_minutes": record["gpu_minutes"]}))


def cmd_bench(args):
    check_device(args.device)
    for name in ("batch_size", "iters"):
        if getattr(args, name) < 1:
            raise UserError(f"--{name.replace('_', '-')} must be >= 1, not "
                            f"{getattr(args, name)}")
    if args.warmup < 0:
        raise UserError(f"--warmup must be >= 0, not {args.warmup}")

    if args.compare:
        print(json.dumps(compare(setting=args.setting, batch_size=args.batch_size,
                                 iters=args.iters, warmup=args.warmup, device=args.device,
                                 amp=args.amp, channels_last=not args.no_channels_last,
                                 compile=args.compile)))
        return
    result = run_benchmark(setting=args.setting, batch_size=args.batch_size, iters=args.iters,
                           warmup=args.warmup, device=args.device, amp=args.amp,
                           reference=args.reference, channels_last=not args.no_channels_last,
                           compile=args.compile, flops=args.flops)
    print(json.dumps(result))


def add_commands(sub) -> None:
    """Register gpu-reproduce and bench on `sub`."""
    p = sub.add_parser("gpu-reproduce", help="CIFAR-10's teacher and DDAD student on one GPU "
                                             "in about ten minutes, measured (make gpu)")
    p.add_argument("--data", help="the dataset's archive or folder (e.g. cifar10-jpeg.zip); "
                                  "default: downloaded (once; a prepared copy in the work "
                                  "folder is reused)")
    p.add_argument("--out", required=True, help="the results folder (8 small files)")
    p.add_argument("--work", help="prepared data, teacher cache and the run's folder "
                                  "(default: OUT-work)")
    p.add_argument("--dataset", default="cifar10", help="default: cifar10")
    p.add_argument("--method", default="ddad", help="default: ddad")
    p.add_argument("--profile", default="gpu", help="default: gpu (CIFAR-10's ten minutes)")
    p.add_argument("--device", default="cuda", help="default: cuda")
    p.add_argument("--budget", default="9m",
                   help="wall time for all phases, e.g. 540s or 9m (default: 9m); the "
                        "distillation gets what the others leave")
    p.add_argument("--bench-iters", dest="bench_iters", type=int, default=5,
                   help="timed iterations of the bench (default: 5)")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="any setting of the run, as for distill (repeatable)")
    p.set_defaults(func=cmd_gpu_reproduce)

    p = sub.add_parser("bench", help="throughput: the engine vs the reference loop")
    p.add_argument("--setting", default="cifar10-r34-r18", help="benchmark setting")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=64)
    p.add_argument("--iters", type=int, default=5, help="timed iterations")
    p.add_argument("--warmup", type=int, default=1, help="untimed iterations first")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--amp", action="store_true", help="bfloat16 autocast")
    p.add_argument("--reference", action="store_true",
                   help="the straightforward fp32 loop of the original code")
    p.add_argument("--no-channels-last", dest="no_channels_last", action="store_true")
    p.add_argument("--compile", action="store_true", help="torch.compile the models")
    p.add_argument("--flops", action="store_true",
                   help="also count one iteration's FLOPs (per model) and the TFLOP/s achieved")
    p.add_argument("--compare", action="store_true",
                   help="time the reference loop and the engine in one process (interleaved) "
                        "and print both and the speedup")
    p.set_defaults(func=cmd_bench)
