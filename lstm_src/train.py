"""Train the course's LSTM on text from the command line: ``python -m lstm_src.train --help``.

A thin shell around :mod:`lstm_src.charmodel` (which does the work, numpy
only): it reads the options, draws a tqdm progress bar, prints samples and
the validation loss, and writes checkpoints. Needs tqdm (``pip install tqdm``,
or ``pip install -e .[train]``).
"""

import argparse
import math
import os
import sys
import time

import numpy as np

from . import charmodel
from .text import read_text, stdlib_corpus
from .timing import blas_threads

try:
    from tqdm import tqdm
except ImportError:  # pragma: no cover - depends on the environment
    tqdm = None

EXAMPLES = """\
examples:
  python -m lstm_src.train --steps 200
      train on the standard library's source for 200 steps; writes char_lstm.npz
  python -m lstm_src.train --resume --steps 1000
      continue that run for 1000 more steps, exactly as if it had never stopped
  python -m lstm_src.train --text my_notes.txt --hidden 256 --steps 5000 --checkpoint notes.npz
      train on your own UTF-8 text
  python -m lstm_src.train --sample-only --checkpoint notes.npz --sample 500 --temperature 0.7
      write 500 characters with a saved model

The corpus, --hidden, --seq-len, --batch, --lr, --clip, --seed and --model are
fixed when a run starts; with --resume they come from the checkpoint.
"""

# Options that define a run, with their defaults for a new one.
RUN_DEFAULTS = dict(
    hidden=128,
    seq_len=50,
    batch=32,
    lr=2e-3,
    clip=5.0,
    seed=0,
    model=charmodel.DEFAULT_MODEL,
)


def build_parser():
    """The argument parser of ``python -m lstm_src.train``."""
    p = _Parser(
        prog="python -m lstm_src.train",
        description="Train a character-level LSTM (the course's numpy model) with truncated "
        "back-propagation through time and Adam, on the Python standard library's "
        "own source or on any UTF-8 text; print samples; save and resume "
        "checkpoints.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d = RUN_DEFAULTS
    g = p.add_argument_group("the run (fixed when it starts)")
    g.add_argument(
        "--text",
        metavar="PATH",
        help="a UTF-8 text file to learn (default: the standard library's source, "
        "see lstm_src.text.STDLIB_MODULES)",
    )
    g.add_argument(
        "--hidden",
        type=int,
        metavar="N",
        help=f"hidden units n_a (default {d['hidden']})",
    )
    g.add_argument(
        "--seq-len",
        type=int,
        metavar="T",
        help=f"characters per window: truncated BPTT length (default {d['seq_len']})",
    )
    g.add_argument(
        "--batch",
        type=int,
        metavar="M",
        help=f"windows per step, m (default {d['batch']})",
    )
    g.add_argument(
        "--lr", type=float, help=f"Adam's learning rate (default {d['lr']})"
    )
    g.add_argument(
        "--clip",
        type=float,
        metavar="NORM",
        help=f"largest global gradient norm (default {d['clip']})",
    )
    g.add_argument(
        "--seed",
        type=int,
        help=f"random seed of the initial weights and of sampling (default {d['seed']})",
    )
    g.add_argument(
        "--model",
        choices=charmodel.MODELS,
        help=f"LSTM implementation, lstm_src.<model> (default {d['model']})",
    )
    g = p.add_argument_group("this session")
    g.add_argument(
        "--steps",
        type=int,
        default=200,
        metavar="N",
        help="training steps to take now (default 200; with --resume, more steps)",
    )
    g.add_argument(
        "--checkpoint",
        default="char_lstm.npz",
        metavar="PATH",
        help="checkpoint file to write (and to read with --resume / --sample-only; "
        "default char_lstm.npz)",
    )
    g.add_argument(
        "--resume",
        action="store_true",
        help="continue the run saved in --checkpoint",
    )
    g.add_argument(
        "--save-every",
        type=int,
        default=100,
        metavar="N",
        help="also write the checkpoint every N steps (default 100; 0: only at the end)",
    )
    g.add_argument(
        "--eval-every",
        type=int,
        default=100,
        metavar="N",
        help="estimate the validation loss every N steps (default 100; 0: never)",
    )
    g.add_argument(
        "--eval-windows",
        type=int,
        default=20,
        metavar="K",
        help="validation windows per estimate (default 20; the final one reads all)",
    )
    g.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="threads of the matrix library (default 1: the model's "
        "products are small, and a second thread made training 5 times "
        "slower on a busy machine)",
    )
    g = p.add_argument_group("samples")
    g.add_argument(
        "--sample",
        type=int,
        default=300,
        metavar="N",
        help="characters in each sample (default 300)",
    )
    g.add_argument(
        "--sample-every",
        type=int,
        default=0,
        metavar="N",
        help="print a sample every N steps (default 0: only at the end)",
    )
    g.add_argument(
        "--temperature",
        type=float,
        default=0.8,
        help="sampling temperature > 0: lower is safer, higher more varied "
        "(default 0.8)",
    )
    g.add_argument(
        "--prime",
        default="\n",
        help="text the samples start from (default a newline)",
    )
    g.add_argument(
        "--sample-only",
        action="store_true",
        help="load --checkpoint, print one sample and exit (no training)",
    )
    return p


class _Parser(argparse.ArgumentParser):
    """An argument parser whose every error is one line (and exit 2)."""

    def error(self, message):
        self.exit(
            2, f"{self.prog}: error: {message} (--help lists every option)\n"
        )


class _Refused(Exception):
    """A bad option or input, found before any work: one line, exit 2."""


def _check_options(args):
    """Everything about the options that can be checked before any work."""
    for name in ("hidden", "seq_len", "batch", "eval_windows", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise _Refused(
                f"--{name.replace('_', '-')} must be >= 1; got {value}"
            )
    for name in (
        "steps",
        "sample",
        "save_every",
        "eval_every",
        "sample_every",
        "seed",
    ):
        value = getattr(args, name)
        if value is not None and value < 0:
            raise _Refused(
                f"--{name.replace('_', '-')} must be >= 0; got {value}"
            )
    for name in ("lr", "clip", "temperature"):
        value = getattr(args, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise _Refused(
                f"--{name} must be a finite number > 0; got {value}"
            )
    if not args.prime:
        raise _Refused("--prime must hold at least one character")
    folder = os.path.dirname(os.path.abspath(args.checkpoint))
    if os.path.isdir(args.checkpoint):
        raise _Refused(
            f"--checkpoint must name a file; {args.checkpoint!r} "
            "is a directory"
        )
    if not os.path.isdir(folder):
        raise _Refused(
            f"--checkpoint {args.checkpoint!r}: its folder "
            f"{folder!r} does not exist"
        )
    if not (args.sample_only or os.access(folder, os.W_OK)):
        raise _Refused(
            f"--checkpoint {args.checkpoint!r}: cannot write in {folder!r}"
        )
    if tqdm is None and not args.sample_only:
        raise _Refused(
            "the progress bar needs tqdm: pip install tqdm "
            "(or pip install -e .[train])"
        )


def _stored_text(cfg, checkpoint):
    """The corpus a resumed run was trained on, found where it was stored."""
    name = cfg.get("text_name")
    if name is None:
        return stdlib_corpus()
    # Checkpoints store the absolute path; older ones the path as typed,
    # relative to the folder the run started in (or the checkpoint's).
    places = (
        [name]
        if os.path.isabs(name)
        else [
            name,
            os.path.join(os.path.dirname(os.path.abspath(checkpoint)), name),
        ]
    )
    for place in places:
        if os.path.isfile(place):
            return read_text(place)
    raise _Refused(
        f"{checkpoint} was trained on {name}, which is not there "
        "now; give the same text's new place with --text PATH"
    )


def _start(args):
    """A new run, or the one in the checkpoint with --resume; and its data."""
    given = {
        k: getattr(args, k)
        for k in RUN_DEFAULTS
        if getattr(args, k) is not None
    }
    if args.resume:
        run = charmodel.load_checkpoint(args.checkpoint)
        cfg = run["config"]
        clash = {k: v for k, v in given.items() if cfg[k] != v}
        if clash:
            was = ", ".join(f"--{k.replace('_', '-')} {cfg[k]}" for k in clash)
            raise _Refused(
                f"{args.checkpoint} was trained with {was}; drop "
                "these options to resume it, or start a new run "
                "with another --checkpoint"
            )
        if args.text is None:
            text = _stored_text(cfg, args.checkpoint)
        else:
            # Any path will do if the file is the same text (its SHA-256
            # must match: prepare_data checks).
            text = read_text(args.text)
            cfg["text_name"] = os.path.abspath(args.text)
        return run, charmodel.prepare_data(text, run)
    if args.text is None:
        text, name = stdlib_corpus(), None
    else:
        text, name = read_text(args.text), os.path.abspath(args.text)
    run = charmodel.new_run(text, **{**RUN_DEFAULTS, **given}, text_name=name)
    return run, charmodel.prepare_data(text, run)


def _print_sample(run, args, write=print):
    text = charmodel.sample(
        run, args.sample, args.temperature, prime=args.prime
    )
    write(
        f"--- sample at step {run['step']} (temperature "
        f"{args.temperature}) ---\n{args.prime}{text}\n---"
    )


def main(argv=None):
    """Parse ``argv`` and train (or sample); returns the process's exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _check_options(args)
        if args.sample_only:
            run = charmodel.load_checkpoint(args.checkpoint)
            charmodel.check_sampling(
                run["vocab"], args.sample, args.temperature, args.prime
            )
            run["rng"] = np.random.default_rng(
                args.seed if args.seed is not None else 0
            )
            _print_sample(run, args)
            return 0
        run, data = _start(args)
        if args.sample or args.sample_every:
            charmodel.check_sampling(
                run["vocab"], args.sample, args.temperature, args.prime
            )
    except (_Refused, OSError, ValueError) as exc:
        message = str(exc).replace("prime must", "--prime must")
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2
    try:
        with blas_threads(args.threads):
            return _train(run, data, args)
    except KeyboardInterrupt:
        print(
            f"\n{parser.prog}: interrupted at step {run['step']}; "
            f"{args.checkpoint} holds the last saved step",
            file=sys.stderr,
        )
        return 130


def _train(run, data, args):
    cfg = run["config"]
    chars = cfg["batch"] * cfg["seq_len"]
    n_train = data["train"][0].size
    print(
        f"corpus: {cfg['text_name'] or 'Python standard library source'}; vocabulary "
        f"{len(run['vocab'])} characters; {n_train:,} training characters in "
        f"{len(data['train'][0])} windows of {cfg['batch']} x {cfg['seq_len']}; "
        f"model lstm_src.{cfg['model']}, n_a = {cfg['hidden']}; starting at step {run['step']}"
    )
    start = time.perf_counter()
    bar = tqdm(
        total=args.steps, unit="step", dynamic_ncols=True, file=sys.stderr
    )

    def on_step(run, loss):
        bar.update(1)
        rate = bar.n * chars / max(time.perf_counter() - start, 1e-9)
        post = {"loss": f"{loss:.3f}", "chars/s": f"{rate:,.0f}"}
        if run["val_loss"]:
            post["val"] = f"{run['val_loss'][-1][1]:.3f}"
        bar.set_postfix(post)
        if args.sample_every and run["step"] % args.sample_every == 0:
            _print_sample(run, args, write=bar.write)
        if args.save_every and run["step"] % args.save_every == 0:
            charmodel.save_checkpoint(args.checkpoint, run)

    charmodel.train(
        run,
        data,
        args.steps,
        eval_every=args.eval_every,
        eval_windows=args.eval_windows,
        on_step=on_step,
    )
    bar.close()
    charmodel.save_checkpoint(args.checkpoint, run)
    elapsed = time.perf_counter() - start
    recent = run["train_loss"][-min(len(run["train_loss"]), 20) :]
    print(
        f"{args.steps} steps in {elapsed:.1f} s ({args.steps * chars / max(elapsed, 1e-9):,.0f} "
        f"characters/s); step {run['step']}; training loss per character (mean of the last "
        f"{len(recent)} steps) {np.mean(recent) if recent else float('nan'):.3f}"
    )
    if data["val"] is not None:
        val = charmodel.evaluate(run, data)
        print(
            f"validation loss per character {val:.3f} nats, perplexity "
            f"{charmodel.perplexity(val):.2f} (uniform guessing: {len(run['vocab'])})"
        )
    if args.sample:
        _print_sample(run, args)
    print(
        f"checkpoint: {args.checkpoint} (continue with --resume --checkpoint {args.checkpoint})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
