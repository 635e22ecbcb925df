"""Kedro project settings for AFS.

Plugins (kedro-mlflow's hooks, kedro-viz) register themselves through their entry points;
set here: the configuration layout (``conf/base`` shipped, ``conf/local`` per user) and the
run guard (one run at a time per project; SIGTERM/SIGINT end the MLflow run as KILLED).
"""

import warnings

from kedro.config import OmegaConfigLoader

from afs.hooks import RunGuardHooks

HOOKS = (RunGuardHooks(),)

CONF_SOURCE = "conf"
CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}

# Kedro and kedro-mlflow still call OmegaConf's deprecated register_new_resolver(); the
# warning is theirs to fix and only buries a run's own log lines.
warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated",
                        category=UserWarning)
