"""Config fuzzing: random TOML documents, keys and values give a Config or one clear ConfigError, never a traceback."""

from __future__ import annotations

import dataclasses

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evogan.config import Config, ConfigError, load_config

TOP_KEYS = [f.name for f in dataclasses.fields(Config)]
SECTION_KEYS = {f.name: [g.name for g in dataclasses.fields(getattr(Config(), f.name))]
                for f in dataclasses.fields(Config) if dataclasses.is_dataclass(getattr(Config(), f.name))}

scalars = st.one_of(
    st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=4),
)
values = st.recursive(scalars, lambda inner: st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
                      max_leaves=6)
keys = st.one_of(st.sampled_from(TOP_KEYS), st.text(min_size=1, max_size=10))
documents = st.dictionaries(keys, values, max_size=6)


def _section_document():
    section = st.sampled_from(sorted(SECTION_KEYS))
    return section.flatmap(lambda name: st.fixed_dictionaries(
        {name: st.dictionaries(st.one_of(st.sampled_from(SECTION_KEYS[name]), st.text(min_size=1, max_size=8)),
                               values, max_size=4)}))


def _load(tmp_path, text: str, overrides=()):
    path = tmp_path / "fuzz.toml"
    path.write_text(text)
    try:
        return load_config(path, list(overrides))
    except ConfigError as err:
        message = str(err)
        assert message and "\n" not in message  # one clear line
        return None


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(document=st.one_of(documents, _section_document()))
def test_random_documents_give_a_config_or_one_clear_error(tmp_path, document):
    try:
        text = tomli_w.dumps(document)
    except (TypeError, ValueError):  # not representable in TOML (e.g. NaN keys): nothing to test
        return
    config = _load(tmp_path, text)
    assert config is None or isinstance(config, Config)


@FUZZ
@given(text=st.text(max_size=80))
def test_random_text_gives_a_config_or_one_clear_error(tmp_path, text):
    config = _load(tmp_path, text)
    assert config is None or isinstance(config, Config)


@FUZZ
@given(overrides=st.lists(st.text(max_size=30), max_size=3))
def test_random_overrides_give_a_config_or_one_clear_error(tmp_path, overrides):
    config = _load(tmp_path, "", overrides)
    assert config is None or isinstance(config, Config)


@pytest.mark.parametrize(
    "text, words",
    [
        ("generations = ", "malformed TOML"),
        ("generatons = 3", "unknown config key 'generatons'"),
        ("generations = 'ten'", "generations: expected an integer"),
        ("[model]\nhidden = -1", "model.hidden: -1 is out of range"),
        ("model = 3", "model: expected a table"),
    ],
)
def test_known_bad_documents(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=words):
        load_config(path)
