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
real data are the niche's partition. Every niche runs the configured E-GAN
generation each generation. Samples of the ensemble mix the niches in
proportion to their partition sizes. Partitions are logged every generation
(``niches``, ``partitions``, ``collapsed`` in the logbook) and plotted.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field

import torch
from deap import tools

from .adversary import per_sample
from .algorithms import ea_gan
from .individual import same_individual
from .sampling import sample_population
from .seeding import torch_generator

__all__ = ["CollapseDetector", "PartitionData", "Niche", "DynamicNiches", "kmeans", "proportional_counts"]


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


def proportional_counts(n: int, sizes: list[int]) -> list[int]:
    """Split n in proportion to ``sizes`` (largest remainders; the counts sum to n)."""
    total = sum(sizes)
    exact = [n * s / total for s in sizes]
    counts = [int(math.floor(e)) for e in exact]
    for i in sorted(range(len(sizes)), key=lambda i: exact[i] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    return counts


@dataclass
class Niche:
    """A sub-population with its own discriminator and strategy, trained on one partition of the pool."""

    population: list
    adversary: object
    toolbox: object
    data: PartitionData
    logbook: tools.Logbook = field(default_factory=tools.Logbook)
    halloffame: tools.HallOfFame = field(default_factory=lambda: tools.HallOfFame(1, similar=same_individual))


class DynamicNiches:
    """DynGAN around an experiment's main niche (niche 0: the experiment's population, D and strategy)."""

    def __init__(self, config, *, main: Niche, make_toolbox, generator, sample_latent, stats, device):
        self.config, self.settings = config, config.dyngan
        self.niches = [main]
        self.make_toolbox = make_toolbox  # fn(adversary, data) -> toolbox
        self.generator, self.sample_latent, self.stats = generator, sample_latent, stats
        pool = main.data.pool
        self.detector = CollapseDetector(len(pool), momentum=self.settings.momentum, delta=self.settings.delta, device=device)
        self.history: list[dict] = []  # per generation: sizes of the partitions
        self.splits: list[dict] = []  # every split: generation, parent niche, sizes of the new partitions

    @property
    def pool(self) -> torch.Tensor:
        return self.niches[0].data.pool

    def sizes(self) -> list[int]:
        return [len(n.data) for n in self.niches]

    def step(self, gen: int) -> dict:
        """After niche 0's generation: evolve the other niches, refresh the detector, split every ``every``; logbook fields."""
        for niche in self.niches[1:]:
            ea_gan(niche.population, niche.toolbox, gen, start_gen=gen, stats=self.stats,
                   halloffame=niche.halloffame, logbook=niche.logbook)
        for niche in self.niches:
            self._observe(niche)
        if gen % self.settings.every == 0:
            self._split(gen)
        flagged = sum(int(self.detector.collapsed(n.data.indices).sum()) for n in self.niches)
        self.history.append({"generation": gen, "sizes": self.sizes()})
        return {"niches": len(self.niches), "partitions": " ".join(map(str, self.sizes())),
                "collapsed": flagged / len(self.pool)}

    @torch.no_grad()
    def _observe(self, niche: Niche, chunk: int = 4096) -> None:
        logits = torch.cat([niche.adversary.sample_logits(part) for part in self.pool[niche.data.indices].split(chunk)])
        self.detector.update(niche.data.indices, logits.float())

    @torch.no_grad()
    def _split(self, gen: int) -> None:
        for parent_index, niche in enumerate(list(self.niches)):
            indices = niche.data.indices
            mask = self.detector.collapsed(indices)
            count = int(mask.sum())
            if count <= self.settings.tau * len(indices) or count == len(indices):
                continue  # below tau, or nothing would stay behind
            room = self.settings.max_niches - len(self.niches)
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
                self.niches.append(self._spawn(niche, members))
                new_sizes.append(len(members))
            self.splits.append({"generation": gen, "parent": parent_index, "sizes": new_sizes})

    def _spawn(self, parent: Niche, indices: torch.Tensor) -> Niche:
        adversary = parent.adversary.replica(parent.adversary.device)  # same weights, fresh optimizer
        data = PartitionData(self.pool, indices, parent.data.kind)
        population = copy.deepcopy(parent.population)
        for ind in population:
            ind.lineage = {**ind.lineage, "niche": len(self.niches)}
        return Niche(population, adversary, self.make_toolbox(adversary, data), data)

    def sample(self, n: int, rng: torch.Generator, *, best: bool, running_stats: bool) -> torch.Tensor:
        """n samples of the ensemble: niche i gives a share proportional to its partition size."""
        out = []
        for niche, count in zip(self.niches, proportional_counts(n, self.sizes())):
            if count:
                members = niche.population[:1] if best else niche.population
                out.append(sample_population(members, count, rng, generator=self.generator,
                                             sample_latent=self.sample_latent, running_stats=running_stats))
        return torch.cat(out)

