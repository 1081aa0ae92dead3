"""The Ray backend on a real local Ray (2 CPUs): same results as in process, faults, clear errors.

Every test has a timeout: a Ray actor that cannot be scheduled waits forever.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import torch

import operators
from evogan import Config, ConfigError, Experiment
from tests.conftest import stable_logbook

pytestmark = pytest.mark.timeout(240)


def ring_config(generations=4, mutations=("minimax", "heuristic", "least_squares"), **parallel) -> Config:
    return Config(
        generations=generations, mutations=list(mutations), population_size=2, batch_size=32, eval_batch_size=64,
        model={"hidden": 16, "g_layers": 2, "d_layers": 2}, log={"progress": False, "plots": False},
        parallel={"start_timeout": 150.0, **parallel},  # generous: workers start slowly on a loaded machine
    )


def evolve(config: Config, register=None):
    """Run ``config`` to the end; (stable logbook, metrics, population) and the closed experiment."""
    ex = Experiment(config)
    try:
        if register is not None:
            register(ex)
        ex.run()
        return stable_logbook(ex.logbook), ex.evaluate_metrics(500), ex.population, ex
    finally:
        ex.close()


def assert_same_population(a, b):
    assert [i.lineage for i in a] == [i.lineage for i in b]
    assert [i.fitness.values for i in a] == [i.fitness.values for i in b]
    for x, y in zip(a, b):
        assert x.keys() == y.keys() and all(torch.equal(x[k], y[k]) for k in x)
        assert x.adam["step"] == y.adam["step"]
        assert all(torch.equal(x.adam["exp_avg_sq"][k], y.adam["exp_avg_sq"][k]) for k in x.adam["exp_avg_sq"])


def test_self_adaptive_rates_on_ray_give_the_inprocess_run(ray_session):
    """Each child's own rate travels in its recipe: the workers train every child at it, bit for bit."""
    import dataclasses

    def config(**parallel):
        base = ring_config(generations=3, **parallel)
        return dataclasses.replace(base, genes=dataclasses.replace(base.genes, lr_sigma=0.5))

    expected, got = evolve(config()), evolve(config(backend="ray", workers=2))
    assert got[0] == expected[0] and got[1] == expected[1]
    assert_same_population(got[2], expected[2])
    assert len({ind.lineage["genes"]["lr_g"] for ind in got[2]}) == 2


def wait_for_free_cpus(ray, n=2, seconds=20.0) -> float:
    deadline = time.time() + seconds
    while time.time() < deadline:
        free = ray.available_resources().get("CPU", 0)
        if free >= n:
            return free
        time.sleep(0.2)
    return ray.available_resources().get("CPU", 0)


def test_ray_gives_the_inprocess_run_bit_for_bit_and_creates_workers_once(ray_session):
    expected = evolve(ring_config())
    pids = []

    def watch(ex):  # worker pids before the run and after every generation
        def after(gen, population, logbook):
            pids.append(tuple(ray_session.get([w.ready.remote() for w in ex.backend.workers])))
        original = ex.run
        ex.run = lambda: original(callback=after)

    got = evolve(ring_config(backend="ray", workers=2), register=watch)
    assert got[0] == expected[0]  # logbook rows and chapters (fitness, F_q, F_d), timings aside
    assert got[1] == expected[1]  # metrics
    assert_same_population(got[2], expected[2])
    assert len(pids) == 4 and len(set(pids)) == 1 and len(set(pids[0])) == 2  # two actors, the same all run
    assert got[3].backend.workers == []  # closed
    assert wait_for_free_cpus(ray_session) == 2  # the workers' CPUs are free again


def test_schedules_packing_and_pacgan_nets_give_the_inprocess_run_bit_for_bit_on_ray(ray_session):
    extra = dict(schedule={"g": "linear", "d": "cosine", "final": 0.1, "warmup": 1}, pack=2,
                 model={"hidden": 16, "g_layers": 2, "d_layers": 2, "g_norm": "batch", "d_activation": "maxout",
                        "maxout_pieces": 3})
    base = ring_config()
    expected = evolve(Config(**{**base.__dict__, **extra}))
    got = evolve(Config(**{**ring_config(backend="ray", workers=2).__dict__, **extra}))
    assert got[0] == expected[0] and got[1] == expected[1]
    assert_same_population(got[2], expected[2])


def test_a_mixture_without_evaluation_gives_the_inprocess_run_on_ray(ray_session):
    """fitness = "none": no judge travels (it is None), and the workers train what the driver would."""
    extra = dict(fitness="none", selection="lineage", pack=2)
    expected = evolve(Config(**{**ring_config(mutations=("heuristic",)).__dict__, **extra}))
    got = evolve(Config(**{**ring_config(mutations=("heuristic",), backend="ray", workers=2).__dict__, **extra}))
    assert got[1] == expected[1]
    assert_same_population(got[2], expected[2])


def test_image_individuals_with_batchnorm_travel_whole(ray_session):
    config = Config(
        dataset="mnist", generations=2, population_size=1, latent_dim=8, batch_size=16, eval_batch_size=16,
        model={"width": 8}, p_cross=0.0, log={"progress": False, "plots": False},
    )
    expected = evolve(config, register=lambda ex: setattr(ex, "evaluate_metrics", lambda n: {}))
    config.parallel.backend, config.parallel.start_timeout = "ray", 150.0
    got = evolve(config, register=lambda ex: setattr(ex, "evaluate_metrics", lambda n: {}))
    assert got[0] == expected[0]
    assert_same_population(got[2], expected[2])
    assert int(got[2][0]["2.num_batches_tracked"]) == 2  # BatchNorm statistics came back with the child


def slow_heuristic(driver_pid: int, started: Path):
    """The heuristic loss, slowed down in workers so that a kill lands mid-piece; unchanged in process."""
    def loss(d_out):
        if os.getpid() != driver_pid:
            started.touch()
            time.sleep(0.25)
        return operators.heuristic(d_out)
    return loss


def dying_heuristic(driver_pid: int, marker: Path):
    """The heuristic loss; the first worker to run it exits abruptly (a crash, not an exception)."""
    def loss(d_out):
        if os.getpid() != driver_pid and not marker.exists():
            marker.write_text(str(os.getpid()))
            os._exit(1)
        return operators.heuristic(d_out)
    return loss


def with_loss(loss):
    def register(ex):
        ex.toolbox.register("mutate_special", operators.mutate, loss=loss, **ex.mutation_args)
    return register


def test_a_worker_killed_mid_generation_is_replaced_and_the_run_is_unchanged(ray_session, tmp_path):
    started = tmp_path / "started"
    config = dict(generations=3, mutations=["minimax"])
    expected = evolve(ring_config(**config), register=with_loss(slow_heuristic(os.getpid(), started)))
    pids = {}

    def register(ex):
        with_loss(slow_heuristic(os.getpid(), started))(ex)
        run = ex.run

        def run_with_a_kill():
            run(1)  # the workers exist from the first generation on
            victim = ex.backend.workers[0]
            pids["before"] = ray_session.get(victim.ready.remote())
            started.unlink()

            def kill_when_busy():
                while not started.exists():
                    time.sleep(0.01)
                ray_session.kill(victim, no_restart=False)  # the actor may restart: Ray replaces its process

            killer = threading.Thread(target=kill_when_busy, daemon=True)
            killer.start()
            result = run()
            killer.join(timeout=5)
            pids["after"] = ray_session.get(victim.ready.remote())
            return result

        ex.run = run_with_a_kill

    got = evolve(ring_config(**config, backend="ray", workers=2), register=register)
    assert pids["before"] != pids["after"]  # the worker was killed and replaced by a new process
    assert got[0] == expected[0] and got[1] == expected[1]
    assert_same_population(got[2], expected[2])
    assert all(row["discarded"] == 0 and row["nevals"] == 4 for row in got[0][:-1])  # no child lost


def test_a_worker_process_that_crashes_is_restarted_and_its_piece_redone(ray_session, tmp_path):
    marker = tmp_path / "crashed"
    in_process = evolve(ring_config(generations=3), register=with_loss(dying_heuristic(os.getpid(), marker)))
    assert not marker.exists()
    got = evolve(ring_config(generations=3, backend="ray"), register=with_loss(dying_heuristic(os.getpid(), marker)))
    assert marker.exists()  # a worker did die
    assert got[0] == in_process[0] and got[1] == in_process[1]
    assert_same_population(got[2], in_process[2])


def test_a_worker_that_keeps_dying_fails_the_run_with_a_clear_error(ray_session, tmp_path):
    def always_dies(d_out):
        os._exit(1)

    with pytest.raises(RuntimeError, match="max_restarts"):
        evolve(ring_config(generations=2, backend="ray", max_restarts=1), register=with_loss(always_dies))
    assert wait_for_free_cpus(ray_session) == 2


def test_an_exception_in_a_worker_is_raised_as_itself(ray_session):
    def broken(d_out):
        raise ValueError("this loss is broken")

    with pytest.raises(ValueError, match="this loss is broken"):
        evolve(ring_config(generations=2, backend="ray"), register=with_loss(broken))
    assert wait_for_free_cpus(ray_session) == 2


def test_map_runs_any_function_on_the_workers_in_order(ray_session):
    ex = Experiment(ring_config(backend="ray", workers=2))
    try:
        ex.run(1)
        items = [torch.full((2,), float(i)) for i in range(5)]
        out = ex.toolbox.map(lambda t: (t * 10, os.getpid()), items)
        assert [float(t[0]) for t, _ in out] == [0.0, 10.0, 20.0, 30.0, 40.0]
        assert len({pid for _, pid in out}) == 2 and os.getpid() not in {pid for _, pid in out}
    finally:
        ex.close()


@pytest.mark.parametrize(
    "parallel, words",
    [
        ({"gpus_per_worker": 0.25}, ["parallel.gpus_per_worker", "no GPU"]),
        ({"workers": 3}, ["parallel.workers", "3 CPUs", "has 2"]),
        ({"workers": 1, "cpus_per_worker": 4.0}, ["parallel.workers", "4 CPUs"]),
        ({"address": "127.0.0.1:1"}, ["parallel.address", "cannot reach", "ray start --head"]),
        ({"address": "no-port-here"}, ["parallel.address", "host:port"]),
    ],
)
def test_bad_parallel_config_is_a_clear_error_before_training(ray_session, parallel, words):
    started = time.time()
    with pytest.raises(ConfigError) as err:
        Experiment(ring_config(backend="ray", **parallel))
    for word in words:
        assert word in str(err.value)
    assert time.time() - started < 15  # an unreachable address fails fast, it does not hang
    assert wait_for_free_cpus(ray_session) == 2


def test_zero_workers_is_rejected_by_the_config():
    with pytest.raises(ConfigError, match=r"parallel.workers: 0 is out of range; allowed: >= 1"):
        ring_config(backend="ray", workers=0)


def test_workers_that_cannot_start_time_out_with_the_free_resources(ray_session):
    @ray_session.remote(num_cpus=1)
    class Squatter:
        def ping(self):
            return 1

    squatter = Squatter.remote()
    ray_session.get(squatter.ping.remote())  # holds one of the two CPUs
    try:
        ex = Experiment(ring_config(backend="ray", workers=2, start_timeout=3.0))
        with pytest.raises(ConfigError, match=r"parallel.start_timeout: only [01] of the 2 Ray workers.*has 2 CPU"):
            ex.run(1)
        ex.close()
    finally:
        ray_session.kill(squatter)
    assert wait_for_free_cpus(ray_session) == 2  # the pending workers were removed too


def test_discriminator_weights_go_to_the_object_store_once_per_generation(ray_session, monkeypatch):
    ex = Experiment(ring_config(backend="ray", workers=2))
    try:
        ex.run(1)
        puts = []
        real_put = ray_session.put

        def counting_put(value, **kwargs):
            puts.append(value)
            return real_put(value, **kwargs)

        monkeypatch.setattr(ray_session, "put", counting_put)
        ex.run(3)
        assert len(puts) == 2  # one per generation, for 12 children on 2 workers
        state, judge = puts[-1]
        assert set(state) == set(ex.adversary.discriminator.state_dict())  # D's weights, as numpy buffers
        assert judge.z.shape == (ex.config.eval_batch_size, ex.config.latent_dim)
    finally:
        ex.close()
