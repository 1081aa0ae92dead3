"""Framework overhead: evogan's E-GAN generation vs a minimal hand-written PyTorch loop doing the same tensor work.

The hand-written loop (``HandLoop`` below) is what one would write without a
framework for the ring with the mixture MLPs: individuals are lists of weight
tensors; the forward pass is a chain of ``F.linear``; Adam is written out. It
does what an evogan generation does:
- n_D = 2 discriminator Adam steps on real data and fakes from every parent;
- the real-data gradient of L_D, once;
- μ × 3 children (minimax, heuristic, least squares), each one Adam step from
  its parent (PyTorch's fused Adam kernel on copies, as evogan does; ``--hand-adam
  written``: Adam written out per tensor);
- F_q and F_d for each child on the shared evaluation batch;
- (μ, λ) truncation.

Both are advanced alternately, a block of generations at a time, in one
process. Prints the ratio of medians (target <= 1.10).

    python benchmarks/framework_overhead.py [--blocks 10] [--block 20] [--population 4] [--hidden 128]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F

from evogan import Config, Experiment
from evogan.data import DATASETS

LOSSES = {
    "minimax": lambda d: -F.softplus(d).mean(),
    "heuristic": lambda d: F.softplus(-d).mean(),
    "least_squares": lambda d: (torch.sigmoid(d) - 1).pow(2).mean(),
}


def mlp(x, weights, hidden_activation):
    """weights: [w0, b0, w1, b1, ...]; the activation between layers, none after the last."""
    layers = len(weights) // 2
    for i in range(layers):
        x = F.linear(x, weights[2 * i], weights[2 * i + 1])
        if i < layers - 1:
            x = hidden_activation(x)
    return x


def fused_adam(params, grads, m, v, step, lr, betas, eps=1e-8):
    """What evogan runs: PyTorch's fused Adam kernel on copies (the parent stays as it was)."""
    params, m, v = ([t.clone() for t in ts] for ts in (params, m, v))
    steps = [torch.full((), float(step))] * len(params)
    torch._fused_adam_(params, [g.contiguous() for g in grads], m, v, [], steps, lr=lr, beta1=betas[0],
                       beta2=betas[1], weight_decay=0.0, eps=eps, amsgrad=False, maximize=False)
    return params, m, v


def written_adam(params, grads, m, v, step, lr, betas, eps=1e-8):
    """Adam written out, one tensor at a time."""
    beta1, beta2 = betas
    c1, c2 = 1 - beta1**step, math.sqrt(1 - beta2**step)
    new_p, new_m, new_v = [], [], []
    for p, g, mi, vi in zip(params, grads, m, v):
        mi = torch.lerp(mi, g, 1 - beta1)
        vi = vi.mul(beta2).addcmul_(g, g, value=1 - beta2)
        new_p.append(p.addcdiv(mi, (vi.sqrt() / c2).add_(eps), value=-lr / c1))
        new_m.append(mi)
        new_v.append(vi)
    return new_p, new_m, new_v


class HandLoop:
    """E-GAN on the ring written directly in PyTorch, starting from an evogan experiment's initial state."""

    def __init__(self, ex: Experiment, adam=fused_adam):
        c = ex.config
        self.adam = adam
        self.c, self.data = c, DATASETS["ring"]()
        names = [n for n, _ in ex.generator.named_parameters()]
        self.population = [([ind[n] for n in names], [ind.adam["exp_avg"][n] for n in names],
                            [ind.adam["exp_avg_sq"][n] for n in names], 0) for ind in ex.population]
        self.d = [p.detach().clone().requires_grad_(True) for p in ex.adversary.discriminator.parameters()]
        self.d_opt = torch.optim.Adam(self.d, lr=c.lr_d, betas=(c.beta1, c.beta2))
        self.rng = torch.Generator().manual_seed(0)

    def G(self, weights, z):
        return mlp(z, weights, torch.relu)

    def D(self, x):
        return mlp(x, self.d, lambda h: F.leaky_relu(h, 0.2)).squeeze(-1)

    def generation(self):
        c, rng, mu = self.c, self.rng, len(self.population)
        for _ in range(c.d_steps):
            real = self.data.sample(c.batch_size, rng)
            with torch.no_grad():
                fake = torch.cat([self.G(ind[0], torch.randn(c.batch_size // mu, c.latent_dim, generator=rng))
                                  for ind in self.population])
            loss = F.softplus(-self.D(real)).mean() + F.softplus(self.D(fake)).mean()
            self.d_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.d_opt.step()
        real = self.data.sample(c.eval_batch_size, rng)
        z_eval = torch.randn(c.eval_batch_size, c.latent_dim, generator=rng)
        real_grads = torch.autograd.grad(F.softplus(-self.D(real)).mean(), self.d)
        children = []
        for weights, m, v, step in self.population:
            for loss_fn in LOSSES.values():
                leaves = [w.detach().requires_grad_(True) for w in weights]
                fake = self.G(leaves, torch.randn(c.batch_size, c.latent_dim, generator=rng))
                grads = torch.autograd.grad(loss_fn(self.D(fake)), leaves)
                with torch.no_grad():
                    child = self.adam(weights, grads, m, v, step + 1, c.lr_g, (c.beta1, c.beta2))
                with torch.no_grad():
                    fake = self.G(child[0], z_eval)
                d_fake = self.D(fake)
                fake_grads = torch.autograd.grad(F.softplus(d_fake).mean(), self.d)
                norm = float(sum(((r + f) ** 2).sum() for r, f in zip(real_grads, fake_grads)).sqrt())
                fitness = float(torch.sigmoid(d_fake.detach()).mean()) - c.gamma * math.log(norm)
                children.append((fitness, (*child, step + 1)))
        children.sort(key=lambda pair: pair[0], reverse=True)
        self.population = [ind for _, ind in children[:mu]]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=10)
    parser.add_argument("--block", type=int, default=20, help="generations per timed block")
    parser.add_argument("--population", type=int, default=4)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--hand-adam", choices=("fused", "written"), default="fused",
                        help="the hand loop's Adam: the fused kernel evogan uses (default) or written out per tensor")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = Config(population_size=args.population, p_cross=0.0, model={"hidden": args.hidden}, log={"progress": False})
    ex = Experiment(config)
    hand = HandLoop(ex, fused_adam if args.hand_adam == "fused" else written_adam)
    ex.run(args.block)  # warm-up blocks, not timed
    for _ in range(args.block):
        hand.generation()
    times = {"evogan": [], "hand": []}
    for _ in range(args.blocks):
        started = time.perf_counter()
        ex.run(ex.generation + args.block)
        times["evogan"].append((time.perf_counter() - started) / args.block)
        started = time.perf_counter()
        for _ in range(args.block):
            hand.generation()
        times["hand"].append((time.perf_counter() - started) / args.block)
    evo, hand_ms = statistics.median(times["evogan"]), statistics.median(times["hand"])
    print(f"mu = {args.population}, 3 mutations, MLP hidden {args.hidden}, {args.blocks} alternating blocks "
          f"of {args.block} generations, 1 torch thread, hand loop's Adam: {args.hand_adam}")
    print(f"hand-written loop: {1000 * hand_ms:.2f} ms / generation")
    print(f"evogan (inprocess): {1000 * evo:.2f} ms / generation")
    print(f"ratio (target <= 1.10): {evo / hand_ms:.3f}")
    ex.close()


if __name__ == "__main__":
    main()
