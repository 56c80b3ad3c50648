"""The hostile-input corpus: small files and command lines that attack the CLI's contract.

Every file is small: liars and bombs *declare* huge sizes, they do not contain them. Each case
names the command line and the exit code the contract promises (README, "Exit codes and
guarantees"). ``python tests/hostile/corpus.py DIR`` writes the corpus into DIR and lists the cases
(to try them by hand); ``tests/hostile/test_corpus.py`` runs each one through ``python -m verifier``
in a subprocess under a 1 GiB address-space limit.
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

OK, FAIL, USAGE, INTERNAL, INTERRUPTED = 0, 1, 2, 3, 130


@dataclass(frozen=True)
class Case:
    """One hostile input: the arguments after ``verifier``, the promised exit code, words the one
    stderr line must contain, and optional environment tweaks."""

    name: str
    argv: tuple[str, ...]
    code: int
    words: tuple[str, ...] = ()
    needs_torch: bool = False
    needs_safetensors: bool = False
    no_torch: bool = False  # run with a `torch` that cannot be imported
    env: dict[str, str] = field(default_factory=dict)


def _npy_bytes(shape: tuple[int, ...], dtype: str = "<f4", data: bytes = b"", version: int = 1) -> bytes:
    header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {shape!r}, }}"
    header += " " * (63 - (len(header) + 10 + 1) % 64) + "\n"
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + data
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(header)) + header.encode("latin1") + data


def _good_array() -> np.ndarray:
    return np.random.default_rng(0).normal(0, 0.1, size=(64, 64)).astype(np.float32)


def write_files(root: Path) -> None:
    """Write every corpus file into ``root`` (a few hundred kB in all)."""
    root.mkdir(parents=True, exist_ok=True)
    good = _good_array()
    np.save(root / "good.npy", good)
    good_bytes = (root / "good.npy").read_bytes()

    # --- .npy
    (root / "empty.npy").write_bytes(b"")
    (root / "magic_only.npy").write_bytes(b"\x93NUMPY")
    (root / "truncated.npy").write_bytes(good_bytes[: len(good_bytes) // 3])
    (root / "liar.npy").write_bytes(_npy_bytes((100000, 100000), data=b"\0" * 64))  # declares 37 GiB
    (root / "liar_v2.npy").write_bytes(_npy_bytes((2**40,), "<f8", b"\0" * 64, version=2))
    (root / "negative_shape.npy").write_bytes(_npy_bytes((-5, 3), data=b"\0" * 64))
    (root / "bad_header.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': __imp}\n")
    (root / "object.npy").write_bytes(_npy_bytes((4,), "|O", b"\x80\x04N."))
    (root / "int.npy").write_bytes(_npy_bytes((4, 4), "<i4", b"\0" * 64))
    (root / "zero_size.npy").write_bytes(_npy_bytes((0, 5)))
    (root / "nan.npy").write_bytes(_npy_bytes((4, 4), "<f4", np.full(16, np.nan, np.float32).tobytes()))

    # --- .npz
    (root / "empty.npz").write_bytes(b"")
    (root / "not_zip.npz").write_bytes(b"PK\x03\x04" + b"garbage" * 20)
    with zipfile.ZipFile(root / "liar.npz", "w") as z:
        z.writestr("w.npy", _npy_bytes((100000, 100000), data=b"\0" * 64))
    with zipfile.ZipFile(root / "not_npy_member.npz", "w") as z:
        z.writestr("w.npy", b"hello world, not an array")
    with zipfile.ZipFile(root / "empty_zip.npz", "w"):
        pass
    buf = io.BytesIO()
    np.savez(buf, w=good, v=good)
    raw = buf.getvalue()
    (root / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    np.savez(root / "good.npz", w=good, v=good)
    # a zip bomb: 128 MiB of zeros deflated to ~130 kB; refused by --max-bytes before decompression
    with zipfile.ZipFile(root / "bomb.npz", "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("w.npy", "w") as f:
            f.write(_npy_bytes((32 * 2**20,)))
            block = b"\0" * 2**20
            for _ in range(128):
                f.write(block)

    # --- .safetensors
    (root / "empty.safetensors").write_bytes(b"")
    (root / "huge_header.safetensors").write_bytes(struct.pack("<Q", 10**15) + b"{}")
    header = b'{"w":{"dtype":"F32","shape":[100000,100000],"data_offsets":[0,40000000000]}}'
    (root / "liar.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 64)
    header = b'{"w":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}}'
    (root / "small.safetensors").write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 64)
    (root / "not_json.safetensors").write_bytes(struct.pack("<Q", 8) + b"\xff\xfe{{{{{{")

    # --- .pt (only zip containers and raw bytes here: torch is not needed to write them)
    (root / "empty.pt").write_bytes(b"")
    (root / "garbage.pt").write_bytes(b"\x80\x02garbage")
    (root / "pickle_bomb.pt").write_bytes(b"cos\nsystem\n(S'echo pwned'\ntR.")
    with zipfile.ZipFile(root / "compressed.pt", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", b"\0" * 2**20)

    # --- rules files
    (root / "not_utf8.toml").write_bytes(b'[rules]\n"w\xff\xfe" = "zeros"\n')
    (root / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    (root / "deep_tables.toml").write_text("x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n")
    (root / "nomatch.toml").write_text('[rules]\n"nothing.here*" = "zeros"\n')

    # --- user code
    (root / "user.py").write_text(
        "import os, sys, time\n"
        "import numpy as np\n"
        "print('user module prints at import')\n"
        "def exits(shape):\n    sys.exit(0)\n"
        "def exits_code(shape):\n    sys.exit(3)\n"
        "def interrupts(shape):\n    raise KeyboardInterrupt\n"
        "def hangs(shape):\n    time.sleep(600)\n"
        "def prints(shape, rng):\n    print('noise on stdout')\n    return rng.normal(0, 0.1, size=shape)\n"
        "def chdir(shape, rng):\n    os.chdir('/')\n    return rng.normal(0, 0.1, size=shape)\n"
        "def recurses(shape):\n    return recurses(shape)\n"
        "def returns_str(shape):\n    return 'weights'\n"
        "def returns_wrong_shape(shape):\n    return np.zeros(3)\n"
        "def returns_ints(shape):\n    return np.zeros(shape, dtype=np.int64)\n"
        "masked = np.ma.masked_array(np.zeros(100), mask=np.r_[np.zeros(50, bool), np.ones(50, bool)])\n"
        "reversed_w = np.random.default_rng(0).normal(0, 0.1, size=(64, 64))[::-1, ::-2]\n"
    )
    (root / "exits_on_import.py").write_text("import sys\nsys.exit(0)\nW = 1\n")
    (root / "raises_on_import.py").write_text("raise RuntimeError('broken module')\n")
    (root / "syntax_error.py").write_text("def f(:\n")
    (root / "torch_user.py").write_text(
        "import torch\n"
        "def forgets(tensor):\n    pass\n"
        "def returns_new(tensor):\n    g = torch.Generator().manual_seed(0)\n"
        "    return torch.randn(tensor.shape, generator=g, dtype=tensor.dtype) * 0.1\n"
        "def returns_array(tensor):\n    import numpy as np\n"
        "    return np.random.default_rng(0).normal(0, 0.1, size=tuple(tensor.shape)).astype('float32')\n"
        "def returns_meta(tensor):\n    return torch.empty(tensor.shape, device='meta')\n"
        "def returns_sparse(tensor):\n    return torch.randn(tensor.shape).to_sparse()\n"
        "def returns_nested(tensor):\n    return torch.nested.nested_tensor([torch.randn(3), torch.randn(4)])\n"
        "def garbage(tensor):  # every bit pattern a float64 can hold: NaN, inf, 1e300, denormals\n"
        "    g = torch.Generator().manual_seed(0)\n"
        "    bits = torch.randint(-2**63, 2**63 - 1, tuple(tensor.shape), dtype=torch.int64, generator=g)\n"
        "    return bits.view(torch.float64)\n"
        "net = torch.nn.Linear(8, 8)\n"
        "def factory_exits():\n    import sys\n    sys.exit(0)\n"
    )
    # a folder where a report file is expected, and a plain file where --out folder is expected
    (root / "out_is_file").write_text("not a folder\n")
    (root / "sub.npy").mkdir(exist_ok=True)


def _liar_literal(n: int) -> str:
    return "-" * n + "1"


def cases(root: Path) -> list[Case]:
    """The corpus: (file or argument, promised exit code). Paths are relative to ``root``."""
    spec = "normal(0, 0.1)"
    c: list[Case] = []

    def check(name: str, target: str, code: int, *words: str, expect: str = spec, extra: tuple[str, ...] = (),
              **kw: object) -> None:
        c.append(Case(name, ("check", target, "--expect", expect, *extra), code, words, **kw))  # type: ignore[arg-type]

    # files
    check("npy_good", "good.npy", OK)
    for f in ("empty.npy", "magic_only.npy", "bad_header.npy", "negative_shape.npy"):
        check(f, f, USAGE, "npy")
    check("npy_truncated", "truncated.npy", USAGE, "truncated")
    check("npy_liar", "liar.npy", USAGE, "37.3 GiB", "truncated")
    check("npy_liar_v2", "liar_v2.npy", USAGE, "truncated")
    check("npy_object", "object.npy", USAGE, "pickle")
    check("npy_int", "int.npy", USAGE, "int")
    check("npy_zero_size", "zero_size.npy", USAGE, "empty")
    check("npy_nan", "nan.npy", FAIL)
    check("npy_key", "good.npy:w", USAGE, "drop")
    check("npy_budget", "good.npy", USAGE, "--max-bytes", extra=("--max-bytes", "1KiB"))
    check("npz_empty", "empty.npz", USAGE, "zip")
    check("npz_not_zip", "not_zip.npz", USAGE, "zip")
    check("npz_liar", "liar.npz", USAGE, "37.3 GiB")
    check("npz_not_npy_member", "not_npy_member.npz", USAGE, "npy")
    check("npz_no_arrays", "empty_zip.npz", USAGE, "no arrays")
    check("npz_truncated", "truncated.npz:w", USAGE, "npz")
    check("npz_two_members_no_key", "good.npz", USAGE, "KEY")
    check("npz_missing_key", "good.npz:x", USAGE, "not found")
    check("npz_good", "good.npz:w", OK)
    check("npz_bomb_capped", "bomb.npz", USAGE, "128.0 MiB", "--max-bytes", extra=("--max-bytes", "64MiB"))
    check("npz_bomb_within_budget", "bomb.npz", FAIL)  # 128 MiB of zeros, under RLIMIT_AS: a verdict
    check("safetensors_empty", "empty.safetensors", USAGE, "safetensors", needs_safetensors=True)
    check("safetensors_huge_header", "huge_header.safetensors", USAGE, "header", needs_safetensors=True)
    check("safetensors_liar", "liar.safetensors", USAGE, "safetensors", needs_safetensors=True)
    check("safetensors_not_json", "not_json.safetensors", USAGE, "safetensors", needs_safetensors=True)
    check("safetensors_budget", "small.safetensors", USAGE, "--max-bytes", extra=("--max-bytes", "16"), needs_safetensors=True)
    check("pt_empty", "empty.pt", USAGE, "empty.pt", needs_torch=True)
    check("pt_garbage", "garbage.pt", USAGE, "garbage.pt", needs_torch=True)
    check("pt_pickle_bomb", "pickle_bomb.pt", USAGE, "pickle", needs_torch=True)
    check("pt_compressed", "compressed.pt", USAGE, "compressed", needs_torch=True)
    check("pt_without_torch", "garbage.pt", USAGE, "pip install torch", no_torch=True)
    check("missing_file", "nope.npy", USAGE, "not found")
    check("folder_as_file", "sub.npy", USAGE, "not found")
    # literals
    check("spec_deep_unary", "good.npy", USAGE, "nested", expect=f"normal(0, {_liar_literal(5000)})")
    check("spec_deep_unary_200", "good.npy", FAIL, expect=f"normal(0, {_liar_literal(200)})")  # = normal(0, 1)
    check("spec_400_digits", "good.npy", USAGE, "float", expect="normal(0, " + "1" * 400 + ")")
    check("spec_5000_digits", "good.npy", USAGE, "spec", expect="normal(0, " + "1" * 5000 + ")")
    check("spec_deep_parens", "good.npy", USAGE, "spec", expect="normal(0, " + "(" * 3000 + "1" + ")" * 3000 + ")")
    check("spec_control_chars", "good.npy", USAGE, "spec", expect="normal\u202e(0, 1)\x01")
    check("spec_huge_std", "good.npy", FAIL, expect="normal(0, 1e308)")
    check("spec_tiny_std", "good.npy", FAIL, expect="normal(0, 1e-300)")
    check("spec_inf", "good.npy", USAGE, "std", expect="normal(0, 1e999)")
    check("kwargs_deep", "torch.nn.init.normal_(std=" + _liar_literal(5000) + ")", USAGE, "nested",
          extra=("--shape", "8,8"), needs_torch=True)
    check("kwargs_400_digits", "torch.nn.init.normal_(std=sqrt(" + "9" * 400 + "))", USAGE, "too large",
          extra=("--shape", "8,8"), needs_torch=True)
    # shapes and budgets
    check("shape_40GB", "torch.nn.init.normal_", USAGE, "37.3 GiB", "--max-bytes", extra=("--shape", "100000,100000"))
    check("shape_draws_budget", "torch.nn.init.normal_", USAGE, "--max-bytes",
          extra=("--shape", "10000,10000", "--draws", "100"))
    check("shape_zero", "torch.nn.init.normal_", USAGE, "shape", extra=("--shape", "0,5"))
    check("shape_garbage", "torch.nn.init.normal_", USAGE, "shape", extra=("--shape", "1e9"))
    # user code
    check("user_exit_0", "user.py:exits", USAGE, "sys.exit(0)", extra=("--shape", "8,8"))
    check("user_exit_3", "user.py:exits_code", USAGE, "sys.exit(3)", extra=("--shape", "8,8"))
    check("user_exit_on_import", "exits_on_import.py:W", USAGE, "sys.exit", extra=("--shape", "8,8"))
    check("user_raises_on_import", "raises_on_import.py:W", USAGE, "broken module")
    check("user_syntax_error", "syntax_error.py:f", USAGE, "SyntaxError")
    check("user_ctrl_c", "user.py:interrupts", INTERRUPTED, "interrupted", extra=("--shape", "8,8"))
    check("user_hangs", "user.py:hangs", USAGE, "timed out", extra=("--shape", "8,8", "--timeout", "2"))
    check("user_recursion", "user.py:recurses", USAGE, "RecursionError", extra=("--shape", "8,8"))
    check("user_returns_str", "user.py:returns_str", USAGE, "str", extra=("--shape", "8,8"))
    check("user_returns_wrong_shape", "user.py:returns_wrong_shape", USAGE, "shape", extra=("--shape", "8,8"))
    check("user_returns_ints", "user.py:returns_ints", USAGE, "int", extra=("--shape", "8,8"))
    check("user_masked", "user.py:masked", USAGE, "masked")
    check("user_negative_strides", "user.py:reversed_w", OK)
    check("torch_forgets", "torch_user.py:forgets", USAGE, "neither filled", extra=("--shape", "8,8"),
          needs_torch=True)
    check("torch_returns_new", "torch_user.py:returns_new", OK, extra=("--shape", "64,64"), needs_torch=True)
    check("torch_returns_array", "torch_user.py:returns_array", OK, extra=("--shape", "64,64"), needs_torch=True)
    for kind in ("meta", "sparse", "nested"):
        check(f"torch_returns_{kind}", f"torch_user.py:returns_{kind}", USAGE, kind, extra=("--shape", "8,8"),
              needs_torch=True, env={"PYTHONWARNINGS": "ignore"})
    check("torch_garbage_float64", "torch_user.py:garbage", FAIL, extra=("--shape", "64,64", "--dtype", "float64"),
          needs_torch=True)
    c.append(Case("identify_garbage", ("identify", "torch_user.py:garbage", "--shape", "64,64", "--dtype", "float64"),
                  USAGE, ("out of any sensible range",), needs_torch=True))
    c.append(Case("identify_budget", ("identify", "torch.nn.init.normal_", "--shape", "100000,100000"), USAGE,
                  ("--max-bytes",)))
    # reports
    check("out_is_a_file", "good.npy", USAGE, "out_is_file", "not a folder", extra=("--out", "out_is_file"))
    check("out_dev_full", "good.npy", USAGE, "/dev/full", extra=("--out", "/dev/full"))
    # audit and the other commands
    c.append(Case("audit_not_utf8", ("audit", "torch_user.py:net", "--rules", "not_utf8.toml"), USAGE, ("UTF-8",),
                  needs_torch=True))
    c.append(Case("audit_deep_toml", ("audit", "torch_user.py:net", "--rules", "deep.toml"), USAGE, ("nested",),
                  needs_torch=True))
    c.append(Case("audit_deep_tables", ("audit", "torch_user.py:net", "--rules", "deep_tables.toml"), USAGE,
                  ("nested",), needs_torch=True))
    c.append(Case("audit_nothing_checked", ("audit", "torch_user.py:net", "--rules", "nomatch.toml",
                                            "--no-defaults"), USAGE, ("nothing was checked",), needs_torch=True))
    c.append(Case("audit_factory_exits", ("audit", "torch_user.py:factory_exits"), USAGE, ("sys.exit",),
                  needs_torch=True))
    c.append(Case("audit_missing_rules", ("audit", "torch_user.py:net", "--rules", "nope.toml"), USAGE,
                  ("not found",), needs_torch=True))
    c.append(Case("suite_without_torch", ("suite", "torch", "--no-reports"), USAGE, ("torch",), no_torch=True))
    c.append(Case("suite_unknown", ("suite", "../../etc/passwd"), USAGE, ("unknown suite",)))
    c.append(Case("usage_no_command", (), USAGE))
    c.append(Case("usage_bad_option", ("check", "good.npy", "--expect", spec, "--bogus"), USAGE, ("--bogus",)))
    c.append(Case("usage_bad_max_bytes", ("check", "good.npy", "--expect", spec, "--max-bytes", "lots"), USAGE,
                  ("size",)))
    c.append(Case("usage_bad_timeout", ("check", "good.npy", "--expect", spec, "--timeout", "-1"), USAGE,
                  ("timeout",)))
    return c


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python tests/hostile/corpus.py DIR", file=sys.stderr)
        return 2
    root = Path(argv[0])
    write_files(root)
    for case in cases(root):
        print(f"{case.code:>3}  verifier {' '.join(case.argv)[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
