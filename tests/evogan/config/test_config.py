"""Strict config: defaults, TOML files, --set overrides, clear errors that name the key."""

import pytest

from evogan.config import Config, ConfigError, config_reference, config_to_toml, load_config, parse_override


def test_defaults_have_the_documented_names():
    c = Config()
    assert (c.seed, c.generations, c.population_size) == (0, 1500, 4)
    assert c.mutations == ["minimax", "heuristic", "least_squares"] and c.p_cross == 0.5
    assert c.parallel.backend == "inprocess"


def test_set_reads_toml_values_and_falls_back_to_strings():
    assert parse_override("generations=12") == (["generations"], 12)
    assert parse_override("gamma=1e-3") == (["gamma"], 0.001)
    assert parse_override("mutations=['heuristic']") == (["mutations"], ["heuristic"])
    assert parse_override("parallel.backend=ray") == (["parallel", "backend"], "ray")
    assert parse_override("name=a=b") == (["name"], "a=b")


def test_toml_file_and_overrides(tmp_path):
    path = tmp_path / "exp.toml"
    path.write_text('seed = 3\npopulation_size = 2\n[model]\nhidden = 32\n')
    c = load_config(path, ["model.hidden=8", "p_cross=1"])
    assert (c.seed, c.population_size, c.model.hidden, c.p_cross, c.name) == (3, 2, 8, 1.0, "exp")
    again = tmp_path / "again.toml"
    again.write_text(config_to_toml(c))
    assert load_config(again) == c


@pytest.mark.parametrize(
    "override, words",
    [
        (["p_cross=1.5"], ["p_cross", "[0.0, 1.0]"]),
        (["p_cross=-0.1"], ["p_cross", "[0.0, 1.0]"]),
        (["population_size=0"], ["population_size", "[1, 100000]"]),
        (["gamma=-1"], ["gamma", ">= 0"]),
        (["batch_size=0"], ["batch_size", "[1, 1048576]"]),
        (["lr_g=0"], ["lr_g", "> 0"]),
        (["beta2=1"], ["beta2", "[0.0, 1.0)"]),
        (["generations=many"], ["generations", "integer"]),
        (["generations=2.5"], ["generations", "integer"]),
        (["seed=true"], ["seed", "integer"]),
        (["mutations=[]"], ["mutations", "at least one"]),
        (["mutations=heuristic"], ["mutations", "list"]),
        (["latent_distribution=cauchy"], ["latent_distribution"]),
        (["colour=red"], ["unknown config key 'colour'", "population_size"]),
        (["model.depth=3"], ["unknown config key 'model.depth'", "hidden"]),
        (["model=3"], ["model", "table"]),
        (["metrics.sample_from=worst"], ["metrics.sample_from", "population", "best"]),
    ],
)
def test_bad_values_name_the_key_and_the_allowed_range(override, words):
    with pytest.raises(ConfigError) as err:
        load_config(None, override)
    for word in words:
        assert word in str(err.value)


def test_malformed_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("seed = = 3\n")
    with pytest.raises(ConfigError, match="malformed TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_python_construction_is_validated_too():
    assert Config(model={"hidden": 16}).model.hidden == 16
    with pytest.raises(ConfigError, match="population_size"):
        Config(population_size=0)
    with pytest.raises(ConfigError, match="model.hidden"):
        Config(model={"hidden": 0})


def test_reference_lists_every_key():
    ref = config_reference()
    for key in ("`seed`", "`population_size`", "`p_cross`", "`parallel.backend`", "`metrics.every`"):
        assert key in ref


def test_the_built_in_default_experiment_is_the_packaged_grid_strategy():
    """Two PacGAN2 generators against one packed D at the grid's equal-compute budget (equal_compute.py's
    pacgan2_mu2@compute, key for key)."""
    from evogan.config import DEFAULT_EXPERIMENT

    config = load_config()
    assert DEFAULT_EXPERIMENT.is_file() and config.name == "default" and config.dataset == "grid"
    assert config.mutations == ["heuristic"] and config.population_size == 2 and config.selection == "lineage"
    assert (config.pack, config.batch_size, config.eval_batch_size, config.p_cross) == (2, 256, 128, 0.0)
    assert (config.schedule.g, config.schedule.d, config.schedule.final) == ("cosine", "cosine", 0.01)
    assert config.lr_g == config.lr_d == 1e-3 and config.generations == 29000
    assert Config().schedule.g == "constant" and Config().lr_g == 2e-4  # the dataclass defaults stay the engine's
