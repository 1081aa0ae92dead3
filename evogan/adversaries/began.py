"""BEGAN discriminator families: BEGAN v3's VAE discriminator and the BEGAN-CS autoencoder baseline.

papers/began-v3-vae-discriminator.txt (eqs. 8-9, 20-21), DESIGN 4.5. D is an
autoencoder and scores a batch by its reconstruction error

    L(v) = mean |v - D(v)|^eta,   eta = 1 (L1) or 2 (L2).

- ``began_v3`` (VAE: encoder -> mean, log-variance -> z -> decoder):
  L_D = [(L(x) - k_t L(G(z_D))) + L_R] / 2 + alpha L_c, with
  L_R = KL(q(z|x) || N(0, I)) - k_t KL(q(z|G(z_D)) || N(0, I));
- ``began_cs`` (plain autoencoder): L_D = L(x) - k_t L(G(z_D)) + alpha L_c;
- L_c = ||z_D - Enc(G(z_D))||, the constraint loss (Enc's mean for the VAE);
- after every D step: k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1)
  and M_global = L(x) + |gamma L(x) - L(G(z))|, both in the logbook
  (``k_t``, ``m_global``; the paper reads a sudden drop of k_t as collapse).

The generator loss is L(G(z)) (the ``began`` mutation, ``operators.began_loss``, the only one these
families accept), the quality fitness is -L(G(z)) on the judge's batch, and
the diversity fitness is -log ||grad_w L_D|| as in E-GAN.

Choices where the paper is silent, all documented in the manual (docs/papers.md):
- the KL is averaged over latent dimensions (and over the batch), so that it
  is on the per-dimension scale of L(v), itself a mean over pixels;
- D's own training decodes a reparameterised sample z = mean + sigma * eps (a
  VAE); scoring generators (their loss, the fitness, and the k_t update's
  inputs are the training step's) decodes the posterior mean, so that a
  child's loss and fitness are deterministic;
- n_D steps per generation draw their fakes from all parents (as in E-GAN); the
  k_t update uses that step's batches, the one place the paper's separate z_G
  batch would enter.
"""

from __future__ import annotations

import copy

import torch

from fitness.egan import quality

from ..models.autoencoder import build_autoencoder
from ..core.seeding import torch_generator
from .base import ADVERSARIES, Judge, gradient_norm

__all__ = ["BoundaryEquilibriumAdversary", "BeganCSAdversary", "reconstruction_error", "kl_to_standard_normal"]


def reconstruction_error(v: torch.Tensor, reconstruction: torch.Tensor, eta: int) -> torch.Tensor:
    """Per-sample L(v) = mean over entries of |v - D(v)|^eta."""
    return (v - reconstruction).abs().pow(eta).flatten(1).mean(1)


def kl_to_standard_normal(mean: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(log_var)) || N(0, I)) per latent dimension, averaged over dimensions and batch."""
    return 0.5 * (mean.square() + log_var.exp() - 1.0 - log_var).mean()


@ADVERSARIES.register("began_v3")
class BoundaryEquilibriumAdversary:
    """BEGAN v3: a VAE discriminator with boundary-equilibrium control (k_t) and KL regularisation."""

    output = "reconstruction_error"
    variational = True

    @classmethod
    def build_network(cls, config, data) -> torch.nn.Module:
        return build_autoencoder(config, data, variational=cls.variational)

    def __init__(self, discriminator, config, device, *, k: float = 0.0):
        self.config = config
        self.discriminator = discriminator.to(device)
        self.device = torch.device(device)
        self.params = [p for p in self.discriminator.parameters() if p.requires_grad]
        self.optimizer = torch.optim.Adam(self.params, lr=config.lr_d, betas=(config.beta1, config.beta2))
        self.k = float(k)
        self.m_global = float("nan")

    # -- scoring -----------------------------------------------------------------------------
    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """Per-sample reconstruction errors L(x) (posterior mean decoded): what the ``began`` loss consumes."""
        return reconstruction_error(x, self.discriminator(x), self.config.began_eta)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The encoder's mean: D's code for ``x`` (the entropy modifier's ``features`` space)."""
        return self.discriminator.encode(x)[0].flatten(1)

    def _terms(self, v: torch.Tensor, rng: torch.Generator | None = None):
        """(mean L(v), mean KL or 0, encoder mean); a reparameterised decode when ``rng`` is given."""
        mean, log_var = self.discriminator.encode(v)
        z = mean
        if rng is not None and log_var is not None:
            z = mean + (0.5 * log_var).exp() * torch.randn(mean.shape, generator=rng, device=mean.device)
        error = reconstruction_error(v, self.discriminator.decode(z), self.config.began_eta).mean()
        kl = kl_to_standard_normal(mean, log_var) if log_var is not None else error.new_zeros(())
        return error, kl, mean

    def _combine(self, real_error, real_kl, fake_error, fake_kl, constraint):
        """L_D from its terms (v3: halved and KL-regularised; CS overrides)."""
        k = self.k
        return ((real_error - k * fake_error) + (real_kl - k * fake_kl)) / 2 + self.config.began_alpha * constraint

    def loss(self, real: torch.Tensor, fake: torch.Tensor, z: torch.Tensor, rng=None):
        """(L_D, L(x), L(G(z))) for a real batch and fakes G(z)."""
        real_error, real_kl, _ = self._terms(real, rng)
        fake_error, fake_kl, code = self._terms(fake, rng)
        constraint = (z - code).norm(dim=1).mean()
        return self._combine(real_error, real_kl, fake_error, fake_kl, constraint), real_error, fake_error

    def update_k(self, real_error: float, fake_error: float) -> None:
        """k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1); M_global of the same step."""
        c = self.config
        balance = c.began_gamma * real_error - fake_error
        self.k = min(1.0, max(0.0, self.k + c.began_lambda_k * balance))
        self.m_global = real_error + abs(balance)

    # -- training and evaluation --------------------------------------------------------------
    def train(self, parents, *, make_fakes, sample_real, steps: int, batch_size: int, seed: int, generation: int) -> float:
        """n_D Adam steps on L_D, each followed by the k_t update. Returns the mean L_D; M_global is the mean of the steps'."""
        rng = torch_generator(seed, generation, "discriminator", device=self.device)
        total, m_total = 0.0, 0.0
        for _ in range(steps):
            real = sample_real(batch_size, rng)
            with torch.no_grad():
                fake, z = make_fakes(parents, batch_size, rng, with_latents=True)
            loss, real_error, fake_error = self.loss(real, fake, z, rng)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.update_k(float(real_error.detach()), float(fake_error.detach()))
            total += float(loss.detach())
            m_total += self.m_global
        self.m_global = m_total / steps
        return total / steps

    def judge(self, *, sample_real, sample_latent, batch_size: int, seed: int, generation: int) -> Judge:
        """The evaluation batch and the gradient of L_D's real-data terms (the same for every child)."""
        rng = torch_generator(seed, generation, "fitness", device=self.device)
        real = sample_real(batch_size, rng)
        z = sample_latent(batch_size, rng)
        real_error, real_kl, _ = self._terms(real)
        real_part = self._combine(real_error, real_kl, 0.0, 0.0, 0.0)
        return Judge(z=z, real_grads=list(torch.autograd.grad(real_part, self.params)))

    def score(self, fake: torch.Tensor, judge: Judge) -> tuple[float, float]:
        """(-L(G(z)), ||grad_w L_D||) for one child's fakes of the judge's latents."""
        fake_error, fake_kl, code = self._terms(fake)
        constraint = (judge.z - code).norm(dim=1).mean()
        fake_part = self._combine(0.0, 0.0, fake_error, fake_kl, constraint)
        fake_grads = torch.autograd.grad(fake_part, self.params)
        return quality(-fake_error.detach()), gradient_norm(judge.real_grads, fake_grads)

    # -- state -----------------------------------------------------------------------------------
    def diagnostics(self) -> dict:
        return {"k_t": self.k, "m_global": self.m_global}

    def state_dict(self) -> dict:
        return {"discriminator": self.discriminator.state_dict(), "optimizer": self.optimizer.state_dict(),
                "k": self.k, "m_global": self.m_global}

    def load_state_dict(self, state: dict) -> None:
        self.discriminator.load_state_dict(state["discriminator"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.k, self.m_global = float(state["k"]), float(state["m_global"])

    def replica(self, device="cpu"):
        """A copy on ``device`` for a parallel worker: weights and k_t, no optimizer state."""
        return type(self)(copy.deepcopy(self.discriminator).to(device), self.config, device, k=self.k)

    def shared_state(self) -> dict:
        """What a replica needs to score children: D's weights and k_t (L_D's gradient depends on it)."""
        return {"weights": self.discriminator.state_dict(), "k": torch.tensor(self.k, dtype=torch.float64)}

    def load_shared_state(self, state: dict) -> None:
        self.discriminator.load_state_dict(state["weights"])
        self.k = float(state["k"])


@ADVERSARIES.register("began_cs")
class BeganCSAdversary(BoundaryEquilibriumAdversary):
    """BEGAN-CS, the paper's baseline: a plain autoencoder, L_D = L(x) - k_t L(G(z_D)) + alpha L_c, no KL."""

    variational = False

    def _combine(self, real_error, real_kl, fake_error, fake_kl, constraint):
        return real_error - self.k * fake_error + self.config.began_alpha * constraint
