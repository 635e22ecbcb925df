"""AFS settings: layers and their precedence, sources, type errors, unknown keys."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from afs.config import (
    AfsConfig, ConfigWarning, env_names, find_project_config, global_config_path, load_config,
)
from afs.errors import ConfigError


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def project(tmp_path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    return folder


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def global_file(home: Path, text: str) -> Path:
    return write(home / ".config" / "afs" / "config.toml", text)


def load(project: Path, home: Path, overrides=None, **env: str) -> AfsConfig:
    return load_config(project, overrides=overrides, env={"HOME": str(home), **env})


def test_defaults_match_the_spec_with_home_expanded(project, home):
    config = load(project, home)
    assert config.general.discovery_ignore == ["legacy", "archive", "archives"]
    assert config.general.plugin_dirs == [home / ".config/afs/plugins", home / ".afs/plugins"]
    assert config.general.enabled_plugins == [] and config.general.discovery_max_depth == 6
    assert (config.training.batch_size, config.training.learning_rate,
            config.training.epochs) == (32, 1e-5, 3)
    assert (config.orchestration.port, config.orchestration.workers) == (8000, 4)
    assert config.embeddings.provider == "none"
    assert config.embeddings.model == "nomic-embed-text"
    assert config.embeddings.cache_dir == home / ".cache/afs/embeddings"
    assert config.project.context_root == home / ".context"
    assert config.evaluation.sample_size == 100 and config.evaluation.models == []
    assert config.services.context_warm_interval == 3600
    assert set(config.sources.values()) == {"default"}


def test_each_layer_overrides_the_one_below_and_is_named_as_the_source(project, home):
    global_path = global_file(home, '[embeddings]\nprovider = "ollama"\nmodel = "g"\n'
                                    'cache_dir = "/g"\n[orchestration]\nport = 1\nworkers = 2\n')
    project_path = write(project / "afs.toml",
                         '[embeddings]\nprovider = "hf"\nmodel = "p"\n[orchestration]\nport = 3\n')
    config = load(project, home, {"embeddings.provider": "none", "orchestration.port": None},
                  AFS_EMBEDDINGS_PROVIDER="ollama", AFS_ORCHESTRATION_PORT="5")
    assert config.embeddings.provider == "none"  # flag over env
    assert config.sources["embeddings.provider"] == "flag"
    assert config.orchestration.port == 5  # env over project; a None flag is "not given"
    assert config.sources["orchestration.port"] == "env:AFS_ORCHESTRATION_PORT"
    assert config.embeddings.model == "p"  # project over global
    assert config.sources["embeddings.model"] == str(project_path)
    assert config.orchestration.workers == 2  # global over default
    assert config.embeddings.cache_dir == Path("/g")
    assert config.sources["orchestration.workers"] == str(global_path)
    assert config.sources["embeddings.ollama_url"] == "default"
    assert config.get("embeddings.provider") == "none"


def test_afs_config_path_moves_the_global_file(project, home, tmp_path):
    elsewhere = write(tmp_path / "custom.toml", "[orchestration]\nworkers = 9\n")
    global_file(home, "[orchestration]\nworkers = 1\n")
    config = load(project, home, AFS_CONFIG_PATH=str(elsewhere))
    assert config.orchestration.workers == 9
    assert config.sources["orchestration.workers"] == str(elsewhere)
    assert global_config_path({"HOME": str(home)}) == home / ".config/afs/config.toml"
    with pytest.raises(ConfigError, match="AFS_CONFIG_PATH=.*missing.toml: no such"):
        load(project, home, AFS_CONFIG_PATH=str(tmp_path / "missing.toml"))


def test_project_file_is_found_by_walking_up(project, home):
    path = write(project / "afs.toml", '[project]\nname = "oracle"\ncontext_root = "ctx"\n')
    deep = project / "src" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_project_config(deep) == path
    config = load(deep, home)
    assert config.project.name == "oracle"
    assert config.project.context_root == project / "ctx"  # relative to the file's folder


def test_both_training_spellings_set_one_setting(project, home):
    global_file(home, "[training]\ndefault_batch_size = 16\ndefault_epochs = 2\n")
    write(project / "afs.toml", "[training]\nbatch_size = 64\nlearning_rate = 5e-5\n")
    config = load(project, home)
    assert config.training.default_batch_size == config.training.batch_size == 64
    assert config.training.learning_rate == 5e-5 and config.training.epochs == 2
    assert load(project, home, AFS_TRAINING_BATCH_SIZE="8").training.batch_size == 8
    assert load(project, home, {"training.epochs": "7"}).training.default_epochs == 7
    assert env_names()["AFS_TRAINING_DEFAULT_EPOCHS"] == "training.default_epochs"


def test_environment_strings_are_parsed(project, home):
    config = load(project, home, AFS_CONTEXT_WARM_INTERVAL="0.5",
                  AFS_GENERAL_ENABLED_PLUGINS="one, two,", AFS_EVALUATION_TIMEOUT="12",
                  AFS_PROJECT_NAME="", AFS_DISCRIMINATOR_CACHE_DIR="~/d")
    assert config.services.context_warm_interval == 0.5
    assert config.sources["services.context_warm_interval"] == "env:AFS_CONTEXT_WARM_INTERVAL"
    assert config.general.enabled_plugins == ["one", "two"]
    assert config.evaluation.timeout == 12.0 and config.project.name is None
    assert config.discriminator.cache_dir == home / "d"


@pytest.mark.parametrize(("toml", "fragment"), [
    ('[embeddings]\nprovider = "x"\n',
     "key 'embeddings.provider': expected one of none, ollama, hf, got 'x'"),
    ('[orchestration]\nport = "8000"\n',
     "key 'orchestration.port': expected an integer, got '8000'"),
    ("[general]\nplugin_dirs = [1]\n", "key 'general.plugin_dirs': expected a list of paths"),
    ("[training]\nbatch_size = true\n", "key 'training.default_batch_size': expected an integer"),
])
def test_a_bad_value_names_file_key_and_expected_type(project, home, toml, fragment):
    path = write(project / "afs.toml", toml)
    with pytest.raises(ConfigError) as raised:
        load(project, home)
    assert str(raised.value).startswith(f"{path}: ")
    assert fragment in str(raised.value)


def test_bad_environment_and_flag_values_name_the_variable_and_key(project, home):
    with pytest.raises(ConfigError, match=r"^AFS_SERVICES_CONTEXT_WARM_INTERVAL \(key "
                                          r"'services.context_warm_interval'\): expected a number"):
        load(project, home, AFS_SERVICES_CONTEXT_WARM_INTERVAL="soon")
    with pytest.raises(ConfigError, match="flag for key 'orchestration.workers'"):
        load(project, home, {"orchestration.workers": "many"})
    with pytest.raises(ConfigError, match="unknown setting 'orchestration.nope'"):
        load(project, home, {"orchestration.nope": "1"})


def test_toml_syntax_error_names_the_line(project, home):
    path = write(project / "afs.toml", "[general]\n\n\nenabled_plugins = \n")
    global_file(home, "[general]\n")
    with pytest.raises(ConfigError, match=rf"^{path}:4: invalid TOML: .*line 4"):
        load(project, home)


def test_unknown_sections_and_keys_are_warned_about_not_fatal(project, home):
    path = write(project / "afs.toml", '[embeddings]\nprovider = "hf"\ncolour = 1\n'
                                       "[extras]\na = 1\ntop = 2\n")
    path.write_text("top = 2\n" + path.read_text())
    with pytest.warns(ConfigWarning) as caught:
        config = load(project, home)
    messages = [str(w.message) for w in caught]
    assert f"{path}: unknown key 'embeddings.colour' ignored" in messages
    assert f"{path}: unknown section 'extras' ignored" in messages
    assert f"{path}: unknown key 'top' ignored" in messages
    assert config.embeddings.provider == "hf"


def test_settings_and_to_dict_list_every_key_once(project, home):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config = load(project, home)
    keys = [key for key, _, _ in config.settings()]
    assert len(keys) == len(set(keys)) == len(config.sources)
    assert config.to_dict()["general"]["plugin_dirs"][0] == str(home / ".config/afs/plugins")
