"""DynGAN's collapse detection and niches (Luo et al., TPAMI 2024; DESIGN 4.6).

Real samples the generators fail to produce are those the discriminator keeps
calling real with confidence. evogan tracks, for each sample of a fixed pool
of real data (``dyngan.pool``), an exponential moving average (``momentum``
0.8) of its niche's discriminator logit, updated every generation on the
whole partition; a sample is *collapsed* when its average exceeds
-log(delta) (delta = 0.1: D gives it more than 1/(1 + delta) = 91 %).

Every ``every`` generations, a niche whose collapsed fraction exceeds
``tau`` (0.05) gives its collapsed samples away: k-means on its
discriminator's penultimate features splits them into ``clusters``
partitions, and each becomes a new niche. A niche is evolvable on its own:
a sub-population (warm-started from a copy of the parent niche's, as
DynGAN's conditional generator shares its weights across conditions), a
discriminator (a copy of the parent's, fresh optimizer) and a strategy whose
real data are the niche's partition: a :class:`~evogan.core.deme.Deme`. The
experiment evolves every deme each generation; ``DynamicNiches.step`` runs
after them as the experiment's hook. Samples of the ensemble mix the niches in
proportion to their partition sizes. Partitions are logged every generation
(``niches``, ``partitions``, ``collapsed`` in the logbook) and plotted.
"""

from __future__ import annotations

import copy
import math

import torch

from ..adversaries import per_sample
from ..config import ConfigError
from ..core.deme import Deme, proportional_counts
from ..core.seeding import derive_seed, torch_generator

__all__ = ["CollapseDetector", "PartitionData", "DynamicNiches", "kmeans", "proportional_counts", "attach_niches"]


class CollapseDetector:
    """Per-sample EMA of D's logits over a pool of real samples; collapsed: EMA > -log(delta)."""

    def __init__(self, size: int, *, momentum: float = 0.8, delta: float = 0.1, device="cpu"):
        self.momentum, self.threshold = momentum, -math.log(delta)
        self.average = torch.zeros(size, device=device)
        self.seen = torch.zeros(size, dtype=torch.bool, device=device)

    def update(self, indices: torch.Tensor, logits: torch.Tensor) -> None:
        """Fold this round's logits in: a = momentum * a + (1 - momentum) * logit (the first one as it is)."""
        old = self.average[indices]
        blended = self.momentum * old + (1 - self.momentum) * logits
        self.average[indices] = torch.where(self.seen[indices], blended, logits)
        self.seen[indices] = True

    def collapsed(self, indices: torch.Tensor) -> torch.Tensor:
        """Mask over ``indices``: seen, with an average logit above -log(delta)."""
        return self.seen[indices] & (self.average[indices] > self.threshold)

    def forget(self, indices: torch.Tensor) -> None:
        """Samples that changed niche start a fresh average under their new discriminator."""
        self.seen[indices] = False


class PartitionData:
    """The real data of one niche: the pool samples at ``indices``, drawn with replacement."""

    def __init__(self, pool: torch.Tensor, indices: torch.Tensor, kind: str):
        self.pool, self.indices, self.kind = pool, indices, kind

    def __len__(self) -> int:
        return len(self.indices)

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        pick = torch.randint(len(self.indices), (n,), generator=generator, device=self.pool.device)
        return self.pool[self.indices[pick]]


def kmeans(points: torch.Tensor, k: int, generator: torch.Generator, iterations: int = 50) -> torch.Tensor:
    """Cluster labels (Lloyd's algorithm, k-means++ seeding from ``generator``); k is capped at the point count."""
    points = points.flatten(1).double()
    k = min(k, len(points))
    first = torch.randint(len(points), (1,), generator=generator, device=points.device)
    centres = points[first]
    for _ in range(1, k):  # k-means++: the next centre with probability proportional to squared distance
        weights = torch.cdist(points, centres).min(1).values.square()
        if float(weights.sum()) == 0:
            break
        pick = torch.multinomial(weights / weights.sum(), 1, generator=generator)
        centres = torch.cat([centres, points[pick]])
    labels = torch.cdist(points, centres).argmin(1)
    for _ in range(iterations):
        centres = torch.stack([points[labels == c].mean(0) if (labels == c).any() else centres[c] for c in range(len(centres))])
        new = torch.cdist(points, centres).argmin(1)
        if torch.equal(new, labels):
            break
        labels = new
    return labels


class DynamicNiches:
    """DynGAN over an experiment's demes (deme 0: the experiment's population, D and strategy, on the whole pool)."""

    def __init__(self, config, *, demes: list[Deme], make_toolbox):
        self.config, self.settings = config, config.dyngan
        self.demes = demes  # the experiment's list: a split appends to it
        self.make_toolbox = make_toolbox  # fn(adversary, data) -> toolbox
        pool = demes[0].data.pool
        self.detector = CollapseDetector(len(pool), momentum=self.settings.momentum, delta=self.settings.delta,
                                         device=pool.device)
        self.history: list[dict] = []  # per generation: sizes of the partitions
        self.splits: list[dict] = []  # every split: generation, parent niche, sizes of the new partitions

    @property
    def pool(self) -> torch.Tensor:
        return self.demes[0].data.pool

    def sizes(self) -> list[int]:
        return [len(n.data) for n in self.demes]

    def step(self, gen: int) -> dict:
        """After every niche's generation: refresh the detector, split every ``every``; the logbook's fields."""
        for niche in self.demes:
            self._observe(niche)
        if gen % self.settings.every == 0:
            self._split(gen)
        flagged = sum(int(self.detector.collapsed(n.data.indices).sum()) for n in self.demes)
        self.history.append({"generation": gen, "sizes": self.sizes()})
        return {"niches": len(self.demes), "partitions": " ".join(map(str, self.sizes())),
                "collapsed": flagged / len(self.pool)}

    @torch.no_grad()
    def _observe(self, niche: Deme, chunk: int = 4096) -> None:
        logits = torch.cat([niche.adversary.sample_logits(part) for part in self.pool[niche.data.indices].split(chunk)])
        self.detector.update(niche.data.indices, logits.float())

    @torch.no_grad()
    def _split(self, gen: int) -> None:
        for parent_index, niche in enumerate(list(self.demes)):
            indices = niche.data.indices
            mask = self.detector.collapsed(indices)
            count = int(mask.sum())
            if count <= self.settings.tau * len(indices) or count == len(indices):
                continue  # below tau, or nothing would stay behind
            room = self.settings.max_niches - len(self.demes)
            if room <= 0:
                return
            flagged = indices[mask]
            features = torch.cat([per_sample(niche.adversary.features, p, niche.adversary.pack) for p in self.pool[flagged].split(4096)])
            rng = torch_generator(self.config.seed, gen, "dyngan-kmeans", parent_index, device=features.device)
            labels = kmeans(features, min(self.settings.clusters, room), rng)
            niche.data.indices = indices[~mask]
            self.detector.forget(flagged)
            new_sizes = []
            for cluster in labels.unique():
                members = flagged[labels == cluster]
                self.demes.append(self._spawn(niche, members))
                new_sizes.append(len(members))
            self.splits.append({"generation": gen, "parent": parent_index, "sizes": new_sizes})

    def _spawn(self, parent: Deme, indices: torch.Tensor) -> Deme:
        adversary = parent.adversary.replica(parent.adversary.device)  # same weights, fresh optimizer
        data = PartitionData(self.pool, indices, parent.data.kind)
        population = copy.deepcopy(parent.population)
        for ind in population:
            ind.lineage = {**ind.lineage, "niche": len(self.demes)}
        return Deme(population, adversary, self.make_toolbox(adversary, data), data, make_fakes=parent.make_fakes)


def attach_niches(experiment) -> DynamicNiches | None:
    """With ``dyngan.enabled``: the experiment's deme 0 (before its toolbox is built) trains on DynGAN's pool of real
    samples, the collapse detection and splits run after every generation, and samples mix the niches by partition
    size. Returns the niches (None when DynGAN is off)."""
    config = experiment.config
    if not config.dyngan.enabled:
        return None
    if getattr(experiment.adversary, "output", "logit") != "logit":
        raise ConfigError(f"dyngan.enabled: DynGAN's detector reads D's logits; adversary {config.adversary!r} has "
                          "none (use standard)")
    if config.parallel.backend != "inprocess":
        raise ConfigError("dyngan.enabled: niches run in process for now; set parallel.backend = 'inprocess'")
    data, device = experiment.data, experiment.device
    if hasattr(data, "reference"):  # images: distinct real images
        pool = data.reference(config.dyngan.pool, seed=derive_seed(config.seed, "dyngan-pool"))
    else:
        pool = data.sample(config.dyngan.pool, torch_generator(config.seed, "dyngan-pool", device=device))
    experiment.demes[0].data = PartitionData(pool, torch.arange(len(pool), device=device), data.kind)
    niches = DynamicNiches(config, demes=experiment.demes, make_toolbox=experiment.make_toolbox)
    experiment.hooks.append(niches.step)
    experiment.mixture_weights = niches.sizes
    return niches
