"""Where the project's shared real data lives (never copied into the repository)."""
import os

ENV_VAR = "FAIRMOT_SHARED_DATA"


def shared_data_dir():
    """``$FAIRMOT_SHARED_DATA`` if set, else ``<repo>/../shared/data`` (the repo holding this file)."""
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(repo, "..", "shared", "data")
