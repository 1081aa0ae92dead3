"""Shared fixtures: tiny networks with hand-set weights, and small seeded configs."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from evogan import Config
from evogan.core.adam import adam_init
from evogan.core.individual import Individual

torch.set_num_threads(1)


class Affine1D(nn.Module):
    """G(z) = a * z + c on scalars (z of shape (n, 1))."""

    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(0.0))
        self.c = nn.Parameter(torch.tensor(0.0))

    def forward(self, z):
        return self.a * z + self.c


class LinearD(nn.Module):
    """D's logit l = w * x + b on scalars; returns shape (n, 1) like the real discriminators."""

    def __init__(self, w=1.5, b=-0.5):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(float(w)))
        self.b = nn.Parameter(torch.tensor(float(b)))

    def forward(self, x):
        return self.w * x + self.b


def affine_individual(a: float, c: float, ident: str = "g0.i0") -> Individual:
    weights = {"a": torch.tensor(float(a)), "c": torch.tensor(float(c))}
    return Individual(weights, adam=adam_init(weights), lineage={"id": ident, "operator": "init", "parents": []})


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.fixture
def small_config():
    """A ring run small enough for loop tests (a fraction of a second per generation)."""
    return Config(
        generations=6, population_size=2, batch_size=32, eval_batch_size=64,
        model={"hidden": 16, "g_layers": 2, "d_layers": 2}, log={"progress": False, "plots": False},
        metrics={"every": 3, "samples": 500},
    )


@pytest.fixture(scope="session")
def ray_session():
    """One real local Ray for the whole test session: 2 CPUs, no GPU, a small object store, no dashboard."""
    import ray

    ray.init(num_cpus=2, num_gpus=0, include_dashboard=False, object_store_memory=100 * 1024 * 1024,
             logging_level="ERROR")
    yield ray
    ray.shutdown()


def stable_logbook(logbook) -> list[dict]:
    """A logbook's rows and chapters without the timings, for comparing two runs."""
    rows = [{k: v for k, v in row.items() if k != "seconds"} for row in logbook]
    chapters = {name: [{k: v for k, v in row.items() if k != "seconds"} for row in book]
                for name, book in logbook.chapters.items()}
    return rows + [chapters]


#: what ``pytest -m "not slow"`` leaves out: Ray, subprocesses, multi-seed training runs (each several seconds)
SLOW_FILES = {"test_integration.py", "test_image_run.py", "test_ray_backend.py", "test_ray_cli.py", "test_allocator.py",
              "test_ray_islands.py",
              "test_inception.py"}
SLOW_TESTS = {"test_sigkill_at_random_moments_then_resume_gives_the_uninterrupted_run",
              "test_ctrl_c_finishes_the_generation_writes_a_checkpoint_and_resume_completes",
              "test_resume_errors_are_one_clear_line", "test_an_unwritable_output_directory_is_a_clear_error_before_training",
              "test_compare_on_ray_tasks", "test_ray_workers_score_with_the_current_k", "test_console_script",
              "test_a_diverged_discriminator_stops_the_run_with_one_line_and_a_checkpoint_from_before",
              "test_plugins_reach_ray_workers_and_give_the_in_process_result",
              "test_compare_imports_plugins_in_its_ray_tasks",
              "test_import_a_module_from_the_command_line_and_resume_imports_it_again",
              # subprocess runs of `evogan` (~8 s of start-up each): covered by the full suite
              "test_a_plugin_file_named_in_the_toml_is_relative_to_it_and_reaches_evogan_run",
              "test_a_missing_plugin_is_one_clear_line", "test_resume_with_more_generations_extends_a_finished_run_exactly",
              "test_an_impossible_size_is_one_line_with_the_estimate_and_what_the_machine_has",
              "test_the_estimate_is_within_1_5x_of_the_measured_peak",
              "test_resume_refuses_a_config_changed_in_keys_that_change_the_run",
              "test_a_file_size_limit_while_checkpointing_is_one_line_and_a_non_zero_exit",
              "test_the_api_reference_builds_without_warnings", "test_export_command_and_its_errors",
              "test_export_writes_a_file_that_samples_with_torch_alone", "test_sweep_errors_are_one_line_before_any_run",
              # multi-run tests of this stop's features: covered by the full suite
              "test_an_islands_run_resumes_to_the_uninterrupted_result",
              "test_sweep_runs_the_cartesian_product_and_reports_config_diffs_per_seed_values_and_mode_centres",
              "test_island_zero_of_isolated_islands_is_the_plain_run_and_the_other_islands_differ"}


def _uses_ray(item) -> bool:
    return "ray" in item.path.name or "ray" in item.originalname or "ray_session" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.name in SLOW_FILES or item.originalname in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
        if _uses_ray(item):  # under pytest-xdist (-n 2 --dist loadgroup) one worker runs every Ray test, one Ray at a time
            item.add_marker(pytest.mark.xdist_group("ray"))
