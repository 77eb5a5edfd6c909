"""PyTorch checkpoints as named float32 arrays, one tensor at a time.

Two readers behind one small interface (``names``, ``shape(name)``, ``array(name)``):

- ``.safetensors`` through the ``safetensors`` package's numpy API: no torch needed; the header gives
  every shape without reading data, and a tensor is read only when asked for (peak memory stays near
  one tensor, not the file).
- ``.pth`` / ``.pt`` / ``.bin`` through ``torch.load`` (``weights_only=True``: a checkpoint is data, not
  code; memory-mapped where the zip format allows). Nested state dicts are unwrapped (timm's
  ``load_state_dict`` list: ``state_dict``, ``model``, ...), and wrapper prefixes (``module.`` from DDP,
  ``_orig_mod.`` from ``torch.compile``) are stripped, as timm's ``clean_state_dict`` does.

Both are optional (extra ``cfggen[import]``, torch for pickled checkpoints); a missing one is a
one-line error with the install hint.
"""
from __future__ import annotations

import os
from typing import Callable

from cfggen.errors import InputError, UsageError

SAFETENSORS = (".safetensors",)
TORCH = (".pth", ".pt", ".bin", ".ckpt", ".tar")
# where trainers nest the weights, most specific first (timm _helpers.load_state_dict; lightning)
NESTED = ("state_dict", "model_state_dict", "model_state", "model", "state_dict_ema", "model_ema", "ema")
PREFIXES = ("module.", "_orig_mod.")
SKIPPED_SUFFIX = ".num_batches_tracked"   # BN training counter: no darknet counterpart, no effect


def clean(name: str) -> str:
    """Strip wrapper prefixes (any order, repeated: ``module._orig_mod.conv_stem.weight``)."""
    changed = True
    while changed:
        changed = False
        for p in PREFIXES:
            if name.startswith(p):
                name, changed = name[len(p):], True
    return name


class Checkpoint:
    """Named tensors of a checkpoint (cleaned names, file order); ``array`` reads one as float32."""

    def __init__(self, path: str, kind: str, shapes: dict[str, tuple[int, ...]],
                 fetch: Callable[[str], object], close: Callable[[], None] = lambda: None):
        self.path, self.kind = path, kind
        self._shapes, self._fetch, self._close = shapes, fetch, close

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._shapes)

    def __contains__(self, name: str) -> bool:
        return name in self._shapes

    def shape(self, name: str) -> tuple[int, ...] | None:
        return self._shapes.get(name)

    def array(self, name: str):
        """The tensor as a C-contiguous float32 numpy array (a view where no conversion is needed)."""
        import numpy as np

        data = np.asarray(self._fetch(name))
        if data.dtype != np.float32:
            data = data.astype(np.float32)
        return np.ascontiguousarray(data)

    def close(self) -> None:
        self._close()

    def __enter__(self) -> "Checkpoint":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_checkpoint(path: str) -> Checkpoint:
    """Open ``path`` by its extension (or, for an unknown one, by its first bytes)."""
    from cfggen.fileio import read_head
    head, _ = read_head(path, 16, "checkpoint")
    ext = os.path.splitext(path)[1].lower()
    if ext in SAFETENSORS or (ext not in TORCH and _looks_safetensors(head)):
        return _open_safetensors(path)
    if ext in TORCH or head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":
        return _open_torch(path)
    raise InputError(f"unknown checkpoint type {ext or '(no extension)'}: expected .safetensors, .pth, .pt "
                     "or .bin", path=path)


def _looks_safetensors(head: bytes) -> bool:
    return len(head) >= 9 and head[8:9] == b"{"


def _open_safetensors(path: str) -> Checkpoint:
    try:
        from safetensors import SafetensorError, safe_open
    except ImportError:
        raise UsageError("reading .safetensors needs the safetensors package",
                         hint="pip install 'cfggen[import]'") from None
    try:
        handle = safe_open(path, framework="numpy")
        raw = list(handle.keys())
        shapes: dict[str, tuple[int, ...]] = {}
        names: dict[str, str] = {}
        for key in raw:
            slot = handle.get_slice(key)
            dtype = slot.get_dtype()
            if dtype not in ("F32", "F16", "F64", "I64", "I32", "BOOL", "U8", "I8"):
                raise InputError(f"tensor {key}: dtype {dtype} cannot be read without torch (numpy has no "
                                 "bfloat16); save the checkpoint as float32", path=path)
            name = clean(key)
            shapes[name] = tuple(int(d) for d in slot.get_shape())
            names[name] = key
    except SafetensorError as exc:
        raise InputError(f"not a readable .safetensors file: {exc}", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    return Checkpoint(path, "safetensors", shapes, lambda n: handle.get_tensor(names[n]))


def _open_torch(path: str) -> Checkpoint:
    try:
        import torch
    except ImportError:
        raise UsageError("reading a .pth/.pt/.bin checkpoint needs torch (or convert it to .safetensors)",
                         hint="pip install 'cfggen[torch]'") from None
    import pickle

    def load(mmap: bool):
        return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)

    try:
        try:
            obj = load(mmap=True)
        except (RuntimeError, ValueError):       # legacy (non-zip) format cannot be memory-mapped
            obj = load(mmap=False)
    except pickle.UnpicklingError:
        raise InputError("holds pickled objects, not a plain state dict (torch's weights_only loader "
                         "refuses them); save model.state_dict() instead", path=path) from None
    except Exception as exc:  # noqa: BLE001 - torch raises anything from a foreign file (KeyError, ...)
        if os.path.getsize(path) == 0:
            raise InputError("not a PyTorch checkpoint: the file is empty (0 bytes)", path=path) from None
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"not a readable PyTorch checkpoint: {type(exc).__name__}: {first}"[:300],
                         path=path) from None
    state, where = _unwrap(obj)
    if state is None:
        raise InputError("holds no state dict of tensors (looked at the top level and under "
                         f"{', '.join(NESTED)})", path=path)
    shapes: dict[str, tuple[int, ...]] = {}
    tensors: dict[str, object] = {}
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            continue
        name = clean(str(key))
        shapes[name] = tuple(int(d) for d in value.shape)
        tensors[name] = value

    def fetch(name: str):
        t = tensors[name].detach()
        if t.dtype in (torch.bfloat16, torch.float16, torch.float64):
            t = t.float()
        return t.numpy()

    ckpt = Checkpoint(path, "torch" + (f" (under {where!r})" if where else ""), shapes, fetch)
    return ckpt


def _unwrap(obj, depth: int = 0):
    """The first mapping whose values are mostly tensors: the object itself or one nested under NESTED."""
    import torch

    if not isinstance(obj, dict):
        return None, ""
    values = list(obj.values())
    if values and sum(isinstance(v, torch.Tensor) for v in values) * 2 >= len(values):
        return obj, ""
    if depth < 2:
        for key in NESTED:
            if key in obj:
                state, where = _unwrap(obj[key], depth + 1)
                if state is not None:
                    return state, key + (f".{where}" if where else "")
    return None, ""
