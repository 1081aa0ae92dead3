"""E-GAN's discriminator family (``adversary = "standard"``): D outputs a logit, D(x) = sigmoid(logit),
L_D = -E log D(x) - E log(1 - D(G(z)))."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from fitness.egan import quality

from ..config import ConfigError
from ..core.sampling import member_shares
from ..core.seeding import torch_generator
from .base import ADVERSARIES, Judge, gradient_norm, pack, per_sample

__all__ = ["StandardAdversary"]


@ADVERSARIES.register("standard")
class StandardAdversary:
    """E-GAN's discriminator: binary cross-entropy on a logit output."""

    output = "logit"  # what __call__ returns; losses declare what they consume (strategy checks the match)

    def __init__(self, discriminator: torch.nn.Module, config, device):
        self.config = config
        self.discriminator = discriminator.to(device)
        self.params = [p for p in self.discriminator.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(self.params, lr=config.lr_d, betas=(config.beta1, config.beta2))
        self.device = torch.device(device)
        self.pack = getattr(config, "pack", 1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """D's raw output (logits) on ``x``, one per pack of ``config.pack`` samples: what the generator losses consume."""
        return self.discriminator(pack(x, self.pack)).squeeze(-1)

    def sample_logits(self, x: torch.Tensor) -> torch.Tensor:
        """One logit per sample of ``x``: its pack's (see :func:`per_sample`); D's own logits when unpacked."""
        return per_sample(self, x, self.pack)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """D's penultimate activations, flattened, one row per pack: the input of its last layer with weights.

        Needs a ``torch.nn.Sequential`` discriminator (the built-in MLP and DCGAN are).
        """
        if not isinstance(self.discriminator, torch.nn.Sequential):
            raise ConfigError(
                f"entropy_space = 'features' needs a torch.nn.Sequential discriminator, got "
                f"{type(self.discriminator).__name__}; use entropy_space = 'samples'"
            )
        layers = list(self.discriminator)
        last = max(i for i, layer in enumerate(layers) if any(True for _ in layer.parameters()))
        x = pack(x, self.pack)  # one row per pack
        for layer in layers[:last]:
            x = layer(x)
        return x.flatten(1)

    def loss(self, real: torch.Tensor, fake: torch.Tensor, shares: list[int] | None = None) -> torch.Tensor:
        """L_D = -E log D(x) - E log(1 - D(G(z))).

        ``shares``: the sizes of the consecutive blocks of ``fake`` that each generator made (sample_population's).
        D then judges each block as a batch of its own and the fake term is the blocks' size-weighted mean: a D with
        batch statistics (the image networks' BatchNorm) normalises a generator's fakes as it does in that
        generator's own step, not by a batch that mixes the population (where it learns to reject whatever the
        mixture looks like, and every generator loses). For one block, or a D without batch statistics, it is the
        plain mean.
        """
        blocks = fake.split([k for k in shares if k]) if shares else (fake,)
        fake_term = sum(F.softplus(self(block)).mean() * (len(block) / len(fake)) for block in blocks)
        return F.softplus(-self(real)).mean() + fake_term

    def train(self, parents, *, make_fakes, sample_real, steps: int, batch_size: int, seed: int, generation: int) -> float:
        """n_D Adam steps on real data and on fakes drawn evenly from the parents. Returns the mean L_D."""
        rng = torch_generator(seed, generation, "discriminator", device=self.device)
        total = 0.0
        for _ in range(steps):
            real = sample_real(batch_size, rng)
            with torch.no_grad():
                fake = make_fakes(parents, batch_size, rng)
            loss = self.loss(real, fake, member_shares(len(fake), len(parents), self.pack))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += float(loss.detach())
        return total / steps

    def judge(self, *, sample_real, sample_latent, batch_size: int, seed: int, generation: int) -> Judge:
        """This generation's evaluation batch and the real term of grad_w L_D."""
        rng = torch_generator(seed, generation, "fitness", device=self.device)
        real = sample_real(batch_size, rng)
        z = sample_latent(batch_size, rng)
        real_grads = torch.autograd.grad(F.softplus(-self(real)).mean(), self.params)
        return Judge(z=z, real_grads=list(real_grads))

    def score(self, fake: torch.Tensor, judge: Judge) -> tuple[float, float]:
        """(F_q, ||grad_w L_D||) for one child's fakes."""
        d_fake = self(fake)
        fake_grads = torch.autograd.grad(F.softplus(d_fake).mean(), self.params)
        return quality(torch.sigmoid(d_fake.detach())), gradient_norm(judge.real_grads, fake_grads)

    def state_dict(self) -> dict:
        return {"discriminator": self.discriminator.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.discriminator.load_state_dict(state["discriminator"])
        self.optimizer.load_state_dict(state["optimizer"])

    def replica(self, device="cpu") -> "StandardAdversary":
        """A copy on ``device`` for a parallel worker: same weights, fresh optimizer (workers never train D)."""
        twin = copy.deepcopy(self.discriminator).to(device)
        return type(self)(twin, self.config, device)

    def shared_state(self) -> dict:
        """What a replica needs each generation to breed and score children: D's weights (views, no copy)."""
        return self.discriminator.state_dict()

    def load_shared_state(self, state: dict) -> None:
        self.discriminator.load_state_dict(state)

    def diagnostics(self) -> dict:
        """Family-specific scalars for the logbook (none for the standard family)."""
        return {}
