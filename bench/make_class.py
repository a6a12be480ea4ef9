"""Generate a realistic class of N Assignment 4 submissions (seeded, so every run is the same).

The mix: correct ones in several styles (the shipped perfect example, the
reference solution, a loop-based rewrite), each misconception the contract
names (the shipped examples and small edits of a correct one), and a few broken
ones: a syntax error, an endless loop, a crash (os._exit), a missing module.

    python bench/make_class.py 1000 /tmp/class
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "submissions_example"
REFERENCE = ROOT / "rubrics" / "assignment4" / "reference"


def _edit(module: str, old: str, new: str):
    def apply(folder: Path) -> None:
        path = folder / f"{module}.py"
        text = path.read_text()
        if old not in text:
            raise SystemExit(f"make_class: {old!r} not in {path}")
        path.write_text(text.replace(old, new))
    return apply


def _reference(folder: Path) -> None:
    for module in ("problem1", "problem2", "problem3", "problem4"):
        shutil.copy(REFERENCE / f"{module}.py", folder)


# name -> (weight, base folder or None for the reference, edits)
KINDS = {
    "perfect": (30, "alice_perfect", []),
    "reference_style": (20, None, []),
    "loops": (10, None, [_edit("problem3", "return (np.asarray(z, dtype=np.float64) > 0)",
                               "return (np.asarray(z, dtype=np.float64) > 0.0)")]),
    "forgot_biases": (8, "bob_forgot_biases", []),
    "sigmoid": (8, "carol_sigmoid", []),
    "unstable_softmax": (8, "dave_unstable_softmax", []),
    "half_lambda": (5, None, [_edit("problem4", "(1 - lr * lam)", "(1 - lr * lam / 2)"),
                              _edit("problem4", '"w - eta*(dJ + lam*w)"',
                                    '"w*(1 - eta*lam/2) - eta*dJ"')]),
    "no_decay": (5, None, [_edit("problem4", '"w - eta*(dJ + lam*w)"', '"w - eta*dJ"')]),
    "regression": (3, None, [_edit("problem1", 'APPROACH = "B"', 'APPROACH = "A"')]),
    "syntax_error": (1, None, [_edit("problem2", "def forward(", "def forward(:")]),
    "endless_loop": (1, "erin_broken", []),
    "crash": (1, None, [_edit("problem3", '    """max(0, z)', '    import os; os._exit(3)\n'
                                                          '    """max(0, z)')]),
    "missing_module": (1, None, [lambda folder: (folder / "problem4.py").unlink()]),
}


def make_class(count: int, out: Path, seed: int = 4, without: tuple[str, ...] = ()
               ) -> dict[str, int]:
    rng = random.Random(seed)
    names, weights = zip(*((k, v[0]) for k, v in KINDS.items() if k not in without),
                         strict=True)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    made: dict[str, int] = {}
    for i in range(count):
        kind = rng.choices(names, weights)[0]
        _, base, edits = KINDS[kind]
        folder = out / f"s{i:04d}_{kind}"
        if base is None:
            folder.mkdir()
            _reference(folder)
        else:
            shutil.copytree(EXAMPLES / base, folder)
        for edit in edits:
            edit(folder)
        made[kind] = made.get(kind, 0) + 1
    return made


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--without", nargs="*", default=(), choices=sorted(KINDS),
                        help="kinds of submission to leave out")
    args = parser.parse_args()
    print(make_class(args.count, args.out, without=tuple(args.without)))
