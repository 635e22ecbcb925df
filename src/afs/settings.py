"""Kedro project settings for AFS.

Plugins (kedro-mlflow's hooks, kedro-viz) register themselves through their entry points;
only the configuration layout is set here: ``conf/base`` shipped, ``conf/local`` per user.
"""

from kedro.config import OmegaConfigLoader

CONF_SOURCE = "conf"
CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
