"""Islands on Ray: actors give the in-process result bit for bit, a killed island is one line and the run's
checkpoint resumes it exactly, bad placement is one line before training, and a real two-node cluster."""

from __future__ import annotations

import copy

import pytest
import torch

from evogan import Config, ConfigError, Experiment
from evogan.errors import IslandLost
from evogan.io.checkpoint import experiment_state, restore_experiment

from ..populations.test_islands import SMALL

pytestmark = pytest.mark.timeout(600)
ISLANDS = {"count": 3, "migration_every": 2, "mixture": "evolved", "mixture_steps": 4, "discriminators": True}


def _config(generations: int = 6, **islands) -> Config:
    return Config(generations=generations, **SMALL, islands={**ISLANDS, **islands})


def _same_islands(a: Experiment, b: Experiment) -> None:
    assert [r["d_loss"] for r in a.logbook] == [r["d_loss"] for r in b.logbook]
    assert [r["mixture"] for r in a.logbook] == [r["mixture"] for r in b.logbook]
    for x, y in zip([d.state() for d in a.demes], [d.state() for d in b.demes]):
        assert [m["lineage"] for m in x["population"]] == [m["lineage"] for m in y["population"]]
        for m, n in zip(x["population"], y["population"]):
            assert all(torch.equal(m["weights"][k], n["weights"][k]) for k in m["weights"])
        assert all(torch.equal(x["adversary"]["discriminator"][k], y["adversary"]["discriminator"][k])
                   for k in x["adversary"]["discriminator"])


@pytest.mark.parametrize("policy", [{}, {"policy": "neighbourhood", "fitness_mode": "best"}])
def test_islands_on_ray_give_the_in_process_result(ray_session, policy):
    local = Experiment(_config(**policy))
    local.run()
    remote = Experiment(_config(backend="ray", **policy))
    try:
        assert [d.remote for d in remote.demes] == [False, True, True]
        remote.run()
        _same_islands(local, remote)
        assert local.evaluate_metrics() == remote.evaluate_metrics()
        assert local.sample(50, source="best").equal(remote.sample(50, source="best"))
    finally:
        remote.close()
        local.close()


def test_a_killed_island_actor_is_one_line_and_its_checkpoint_resumes_exactly(ray_session):
    import ray

    whole = Experiment(_config(generations=8))
    whole.run()
    remote = Experiment(_config(generations=8, backend="ray"))
    try:
        remote.run(4)
        saved = copy.deepcopy(experiment_state(remote))  # D trains in place: keep this generation's state
        ray.kill(remote.demes[2].actor)
        with pytest.raises(IslandLost, match="an island actor died.*--resume"):
            remote.run(5)
    finally:
        remote.close()
    again = Experiment(_config(generations=8, backend="ray"))
    try:
        restore_experiment(again, saved)
        again.run()
        _same_islands(whole, again)
    finally:
        again.close()
        whole.close()


def test_more_islands_than_the_cluster_holds_is_one_line_before_training(ray_session):
    with pytest.raises(ConfigError, match=r"islands.count: 4 island actors x 1 CPU = 4 CPUs, but the Ray cluster has 2"):
        Experiment(_config(count=5, backend="ray", migrants=0, cpus_per_island=1))
    with pytest.raises(ConfigError, match=r"islands.gpus_per_island: 2 island actors x 0.5 GPU = 1 GPUs, but the Ray "
                                          r"cluster has 0"):
        Experiment(_config(backend="ray", gpus_per_island=0.5))


TWO_NODES = r"""
import json, sys
import ray
from ray.cluster_utils import Cluster
from evogan import Config, Experiment

small = json.loads(sys.argv[1])
cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 80 * 2**20})
try:
    cluster.add_node(num_cpus=1, object_store_memory=80 * 2**20)
    cluster.wait_for_nodes()
    islands = {"count": 3, "migration_every": 2, "backend": "ray"}
    remote = Experiment(Config(generations=4, **small, islands=islands, parallel={"address": cluster.address}))
    try:
        nodes = sorted(ray.get([deme.actor.node.remote() for deme in remote.demes[1:]]))
        remote.run()
        result = {"nodes": nodes, "cluster_nodes": len(ray.nodes()), "d_loss": [r["d_loss"] for r in remote.logbook],
                  "metrics": remote.evaluate_metrics()}
    finally:
        remote.close()
finally:
    cluster.shutdown()
local = Experiment(Config(generations=4, **small, islands={**islands, "backend": "inprocess"}))
local.run()
result["same"] = result["d_loss"] == [r["d_loss"] for r in local.logbook] and result["metrics"] == local.evaluate_metrics()
print("RESULT " + json.dumps({k: v for k, v in result.items() if k != "metrics"}))
"""


def test_islands_across_a_real_two_node_cluster(tmp_path):
    """Two raylets on this machine (ray.cluster_utils.Cluster), one CPU each: one island actor lands on each node,
    and the result equals the in-process run; the cluster is torn down on every exit path."""
    import json
    import subprocess
    import sys

    script = tmp_path / "two_nodes.py"
    script.write_text(TWO_NODES)
    done = subprocess.run([sys.executable, str(script), json.dumps(SMALL)], capture_output=True, text=True, timeout=500)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    result = json.loads(lines[0][len("RESULT "):])
    assert result["cluster_nodes"] == 2 and len(set(result["nodes"])) == 2  # an island on each node
    assert result["same"]


def test_the_runner_restarts_a_dead_island_from_its_checkpoint_and_ends_with_the_same_result(ray_session, tmp_path,
                                                                                             monkeypatch, capsys):
    import json

    import ray

    from evogan.parallel.ray_islands import RemoteDeme
    from evogan.runner import run

    submit, killed = RemoteDeme.submit, []

    def kill_once_at_generation_5(self, generation):  # a real actor death, timed by the test
        if generation == 5 and not killed:
            killed.append(generation)
            ray.kill(self.actor)
        return submit(self, generation)

    monkeypatch.setattr(RemoteDeme, "submit", kill_once_at_generation_5)
    settings = dict(log={**SMALL["log"], "checkpoint_every": 2})
    remote = run(Config(generations=8, **{**SMALL, **settings}, islands={**ISLANDS, "backend": "ray"}),
                 tmp_path / "ray")
    assert killed == [5] and "restarting the islands from the last checkpoint (1 of" in capsys.readouterr().err
    local = run(Config(generations=8, **{**SMALL, **settings}, islands=ISLANDS), tmp_path / "local")
    rows = [[{k: v for k, v in json.loads(line).items() if k not in ("seconds", "wall_time")}
             for line in open(d / "logbook.jsonl")] for d in (remote, local)]
    assert len(rows[0]) == 8 and rows[0] == rows[1]
    finals = [json.loads((d / "metrics.json").read_text()) for d in (remote, local)]
    assert {k: v for k, v in finals[0].items() if "wall" not in k} == {k: v for k, v in finals[1].items() if "wall" not in k}


ASYNC = dict(backend="ray", asynchronous=True, discriminators=False, cpus_per_island=0.5)


def _generations(deme) -> list[int]:
    return [row["gen"] for row in deme.state()["logbook"]["rows"]]


def test_asynchronous_islands_evolve_on_their_own_and_exchange_migrants(ray_session):
    ex = Experiment(_config(generations=8, **ASYNC))
    try:
        assert [d.autonomous for d in ex.demes] == [False, True, True]
        ex.run()
        assert [r["gen"] for r in ex.logbook] == list(range(1, 9))
        assert all(_generations(deme) == list(range(1, 9)) for deme in ex.demes[1:])  # each ran every generation
        # island 1 hears from island 0, which posts at 2, 4, 6, 8; island 1 starts 4 epochs, at least 3 after island
        # 0's first post, so migrants arrived whatever the timing
        assert sum(r["migrated"] for r in ex.logbook) >= 1
        assert ex.evaluate_metrics()["n_samples"] == SMALL["metrics"]["samples"]
    finally:
        ex.close()


def test_asynchronous_islands_resume_where_each_island_stands_and_a_dead_one_is_one_line(ray_session):
    import ray

    ex = Experiment(_config(generations=8, **ASYNC))
    try:
        ex.run(4)
        saved = copy.deepcopy(experiment_state(ex))  # each island at the end of its epoch in flight
        ray.kill(ex.demes[1].actor)
        with pytest.raises(IslandLost, match="an island actor died"):
            ex.run()
    finally:
        ex.close()
    reached = [rows["logbook"]["rows"][-1]["gen"] for rows in saved["islands"]["demes"]]
    assert all(2 <= r <= 8 for r in reached) and saved["generation"] == 4  # behind or ahead of island 0
    again = Experiment(_config(generations=8, **ASYNC))
    try:
        restore_experiment(again, saved)
        again.run()
        assert all(_generations(deme) == list(range(1, 9)) for deme in again.demes[1:])
    finally:
        again.close()


def test_a_run_started_in_process_continues_on_ray_with_the_same_result(ray_session, tmp_path):
    import json

    from evogan.runner import resume, run

    whole = run(_config(generations=8), tmp_path / "whole")
    part = run(_config(generations=4), tmp_path / "part")  # checkpoint at 4, in this process
    resumed = resume(part, ["generations=8", "islands.backend='ray'", "islands.cpus_per_island=0.5"], progress=False)
    rows = [[{k: v for k, v in json.loads(line).items() if k not in ("seconds", "wall_time")}
             for line in open(d / "logbook.jsonl")] for d in (whole, resumed)]
    assert len(rows[0]) == 8 and rows[0] == rows[1]


def test_island_actors_fit_the_cluster_by_default():
    """cpus_per_island = 0 (the default): a 2-core laptop shares its CPUs among the 3 island actors of ring_islands;
    a cluster gives each one CPU; an explicit share is kept, and a cluster too small for it is one line."""
    from evogan.config import IslandsConfig, load_config
    from evogan.parallel.ray_islands import check_island_resources, cpus_per_island

    laptop, cluster = {"CPU": 2.0}, {"CPU": 64.0}
    islands = load_config("ring_islands", ["islands.backend='ray'"]).islands
    assert islands.cpus_per_island == 0 and islands.count == 4
    assert cpus_per_island(islands, laptop) == pytest.approx(2 / 3) and cpus_per_island(islands, cluster) == 1.0
    check_island_resources(islands, laptop)  # the README's command fits as written
    asked = IslandsConfig(count=4, cpus_per_island=1.0)
    assert cpus_per_island(asked, cluster) == 1.0
    with pytest.raises(ConfigError, match="3 island actors x 1 CPU = 3 CPUs, but the Ray cluster has 2"):
        check_island_resources(asked, laptop)
