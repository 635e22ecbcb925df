"""Kedro project settings for AFS.

Plugins (kedro-mlflow's hooks, kedro-viz) register themselves through their entry points;
set here: the configuration layout (``conf/base`` shipped, ``conf/local`` per user), the
project's MLflow store wherever Kedro starts, each MLflow run's name and reports, the run
guard (one run at a time per project; SIGTERM/SIGINT end the MLflow run as KILLED; a stage
run alone stops at once when an upstream stage has not run), one console line per node,
secrets redacted from every log record, the environment's commands on PATH, and the logging
of ``conf/logging.yml`` kept in force over what MLflow sets up for itself.
"""

import os
import sys
import warnings
from pathlib import Path

from kedro.config import OmegaConfigLoader
from kedro.framework.project import LOGGING

from afs.hooks import (MLFLOW_CONFIG_PATTERNS, MlflowRunRecord, ProgressHooks,
                       ProjectMlflowStore, RunGuardHooks, log_warnings)
from afs.secrets.log_redaction import install_log_redaction

HOOKS = (ProjectMlflowStore(), RunGuardHooks(), ProgressHooks(), MlflowRunRecord())

CONF_SOURCE = "conf"
CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # kedro-mlflow adds the same key when it starts; ProjectMlflowStore reads it before that
    "config_patterns": {"mlflow": MLFLOW_CONFIG_PATTERNS},
}

# Commands Kedro and its plugins start by name (`ipython` for `kedro ipython`, `mlflow` for
# `kedro mlflow ui`) come from this interpreter's environment, activated or not: as written
# in the README, `.venv/bin/kedro mlflow ui` must find this `mlflow`, not another or none.
_BIN = str(Path(sys.executable).parent)
_OTHERS = [part for part in os.environ.get("PATH", "").split(os.pathsep) if part not in ("", _BIN)]
os.environ["PATH"] = os.pathsep.join([_BIN, *_OTHERS])

# MLflow gives its loggers their own stderr handler when it is imported. Imported after this
# file, it is told not to; imported before (kedro-mlflow's CLI), conf/logging.yml is applied
# again so that its lines go to the log file like any library's.
os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
if "mlflow" in sys.modules:
    LOGGING.configure(LOGGING.data)
log_warnings()
install_log_redaction()  # no secret reaches the console or logs/afs.log (docs/safety.md)

# Kedro and kedro-mlflow still call OmegaConf's deprecated register_new_resolver(); the
# warning is theirs to fix and only buries a run's own log lines.
warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated",
                        category=UserWarning)
