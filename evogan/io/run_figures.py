"""What a run draws: metric samples (2-D) or sample grids (images) at every evaluation, TensorBoard, and the
figures written at the end (samples, modes, metrics, fitness and schedule, operators, islands, BEGAN's and DynGAN's
diagnostics, survivors' grids and interpolations). The runner calls it; a new output file goes here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torchvision.utils import save_image

from . import figures, plots
from ..config import Config, config_to_dict, flat_config
from ..experiment import Experiment
from ..core.sampling import generate
from ..core.schedule import schedule_for
from ..core.seeding import torch_generator
from .tensorboard import TensorBoardLog

__all__ = ["RunFigures", "learning_rates"]


def learning_rates(config: Config, rows: list[dict]) -> dict | None:
    """G's and D's scheduled learning rate at every logged generation (None when both are constant)."""
    schedules = {"G (lr_g)": (schedule_for(config, "g"), config.lr_g), "D (lr_d)": (schedule_for(config, "d"), config.lr_d)}
    if all(fn is None for fn, _ in schedules.values()):
        return None
    return {label: [fn(r["gen"]) if fn else base for r in rows] for label, (fn, base) in schedules.items()}



class RunFigures:
    """What a run draws while it runs: metric samples (2-D) or sample grids (images), and TensorBoard."""

    def __init__(self, run_dir: Path, experiment: Experiment):
        self.run_dir, self.experiment = run_dir, experiment
        self.images = experiment.data.kind == "image"
        self.snapshots: dict[int, np.ndarray] = {}
        config = experiment.config
        self.tensorboard = TensorBoardLog(run_dir / "tensorboard") if config.log.tensorboard else None

    def grid(self) -> torch.Tensor:
        """The population's samples on fixed latents, as a grid image."""
        n = self.experiment.config.log.grid_size
        return figures.image_grid(self.experiment.sample(n, seed_tag="grid", generation=0))

    def evaluated(self, samples: torch.Tensor, metrics: dict) -> None:
        gen = self.experiment.generation
        if self.images:
            grid = self.grid()
            path = self.run_dir / "grids" / f"gen{gen:06d}.png"
            path.parent.mkdir(exist_ok=True)
            save_image(grid, path)
            if self.tensorboard:
                self.tensorboard.image("samples", grid, gen)
        else:
            self.snapshots[gen] = samples.cpu().numpy()
            if self.tensorboard and self.snapshots[gen].shape[1] == 2:
                centres = getattr(self.experiment.data, "centres", None)
                self.tensorboard.figure("samples", plots.sample_figure(
                    self.snapshots[gen], None if centres is None else centres.cpu().numpy(), f"generation {gen}"), gen)
        if self.tensorboard:
            self.tensorboard.scalars("metrics", metrics, gen)

    def generation(self, row: dict) -> None:
        if self.tensorboard:
            self.tensorboard.scalars("logbook", row, row["gen"])

    def finish(self, history, rows, mutations, plots_enabled: bool) -> None:
        if self.snapshots:
            np.savez_compressed(self.run_dir / "samples.npz", **{f"gen{g}": s for g, s in self.snapshots.items()})
        if self.images:
            self._final_images()
        if plots_enabled:
            centres = getattr(self.experiment.data, "centres", None)
            if centres is not None:
                plots.plot_samples(self.snapshots, centres.cpu().numpy(), self.run_dir / "samples.png",
                                   self.experiment.config.log.snapshots)
            config = self.experiment.config
            plots.plot_fitness(rows, self.run_dir / "fitness.png", config.fitness, learning_rates(config, rows))
            crossover = config.p_cross > 0 and config.population_size > 1
            if len(mutations) > 1 or crossover:  # else no operator was ever chosen: nothing to draw
                plots.plot_operators(rows, mutations, self.run_dir / "operators.png", crossover=crossover)
            plots.plot_metrics(history, self.run_dir / "metrics.png")
            if self.experiment.islands is not None and rows and "mixture" in rows[-1]:
                plots.plot_islands(rows, self.run_dir / "islands.png", self._island_samples(),
                                   None if centres is None else centres.cpu().numpy())
            if history and history[-1].get("mode_counts"):
                weights = getattr(self.experiment.data, "weights", None)
                plots.plot_mode_counts(history[-1]["mode_counts"], self.run_dir / "modes.png",
                                       None if weights is None else weights.cpu().numpy(),
                                       f"generation {history[-1].get('generation', '')}: ")
            plots.plot_diagnostics(rows, list(self.experiment.toolbox.diagnostics()), self.run_dir / "discriminator.png")
        niches = self.experiment.niches
        if niches is not None and niches.history:
            (self.run_dir / "partitions.json").write_text(json.dumps({"history": niches.history, "splits": niches.splits}))
            if plots_enabled:
                plots.plot_partitions(niches.history, niches.pool.cpu().numpy(),
                                      [n.data.indices.cpu().numpy() for n in niches.demes], self.run_dir / "partitions.png")
        if self.tensorboard:
            if history:
                self.tensorboard.hparams(flat_config(config_to_dict(self.experiment.config)), history[-1])
            self.tensorboard.close()

    def _island_samples(self) -> list | None:
        """Each island's final samples (2-D data), drawn on the figures' own stream; None for other data."""
        ex, config = self.experiment, self.experiment.config
        if getattr(ex.data, "kind", None) != "points" or getattr(ex.data, "dim", 2) != 2:
            return None
        rng = torch_generator(config.seed, "island-figure", device=ex.device)
        running = config.model.sample_norm == "running"
        with torch.no_grad():
            return [deme.sample(config.metrics.samples // len(ex.demes), rng, best=False, generator=ex.generator,
                                sample_latent=ex.sample_latent, running_stats=running).cpu().numpy()
                    for deme in ex.demes]

    def _final_images(self) -> None:
        """One grid per surviving generator, and the best survivor's latent interpolations."""
        ex, config = self.experiment, self.experiment.config
        running = config.model.sample_norm == "running"
        rng = torch_generator(config.seed, "final-figures", device=ex.device)
        z = ex.sample_latent(config.log.grid_size, rng)
        with torch.no_grad():
            for rank, member in enumerate(ex.population):
                images = generate(ex.generator, member, z, running_stats=running)
                figures.save_images(images, self.run_dir / "survivors" / f"{rank}-{member.lineage['id']}.png")
        pairs, steps = 8, 10
        z1, z2 = ex.sample_latent(pairs, rng), ex.sample_latent(pairs, rng)
        images = figures.interpolate(ex.generator, ex.best(), z1, z2, steps, running_stats=running)
        figures.save_images(images, self.run_dir / "interpolation.png", nrow=steps)
