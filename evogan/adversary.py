"""Discriminator families.

A family owns the discriminator and its optimizer and defines: its training
step, its raw output on samples (what generator losses consume), the quality
score of a batch of fakes, and the gradient norm of its loss behind the
diversity fitness. For parallel workers it also provides ``replica()`` (a
copy that can score but not train) and ``shared_state()`` /
``load_shared_state()`` (what a replica needs each generation). The standard family is E-GAN's: D outputs a logit,
D(x) = sigmoid(logit), L_D = -E log D(x) - E log(1 - D(G(z))).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from fitness.egan import quality

from .config import ConfigError
from .registry import Registry
from .seeding import torch_generator

__all__ = ["ADVERSARIES", "StandardAdversary", "Judge", "gradient_norm", "pack", "per_sample"]

#: discriminator families: name → class(discriminator, config, device)
ADVERSARIES = Registry("discriminator family")


def pack(x: torch.Tensor, m: int) -> torch.Tensor:
    """PacGAN's packing: groups of ``m`` consecutive samples concatenated along the first feature axis.

    (B, C, ...) -> (B / m, m * C, ...): 2-D points become 2m-vectors, images m*C-channel images. m = 1 returns
    ``x`` itself. B must be a multiple of m (the config checks the batch sizes).
    """
    if m == 1:
        return x
    return x.reshape(x.shape[0] // m, m * x.shape[1], *x.shape[2:])


def per_sample(fn, x: torch.Tensor, m: int) -> torch.Tensor:
    """``fn`` of packed ``x`` with each pack's row repeated for every sample in it (n rows for n samples).

    For what reads D sample by sample (DynGAN's detector): a sample's value is that of the pack it lies in;
    samples are packed with their neighbours in ``x``, wrapping around to fill the last pack.
    """
    if m == 1:
        return fn(x)
    n = x.shape[0]
    wrapped = x[torch.arange(n + (-n % m), device=x.device) % n]  # the last pack filled from the start
    return fn(wrapped).repeat_interleave(m, dim=0)[:n]


def gradient_norm(real_grads, fake_grads) -> float:
    """||grad_w L_D|| from the gradients of L_D's real and fake terms (one foreach call for all tensors)."""
    norms = torch._foreach_norm(torch._foreach_add(list(real_grads), list(fake_grads)))
    return float(torch.linalg.vector_norm(torch.stack(norms)))


@dataclass
class Judge:
    """One generation's evaluation batch, shared by all its children.

    ``real_grads`` is the gradient of L_D's real-data term; it is the same for
    every child, so it is computed once per generation and only the fake term
    is differentiated per child (exactly the gradient of the full L_D).
    """

    z: torch.Tensor
    real_grads: list


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

    def loss(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """L_D = -E log D(x) - E log(1 - D(G(z)))."""
        return F.softplus(-self(real)).mean() + F.softplus(self(fake)).mean()

    def train(self, parents, *, make_fakes, sample_real, steps: int, batch_size: int, seed: int, generation: int) -> float:
        """n_D Adam steps on real data and on fakes drawn evenly from the parents. Returns the mean L_D."""
        rng = torch_generator(seed, generation, "discriminator", device=self.device)
        total = 0.0
        for _ in range(steps):
            real = sample_real(batch_size, rng)
            with torch.no_grad():
                fake = make_fakes(parents, batch_size, rng)
            loss = self.loss(real, fake)
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


from . import began  # noqa: E402,F401  -- registers the BEGAN families (began_v3, began_cs)
