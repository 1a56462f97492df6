"""Command-line interface: ``outsidein COMMAND``. One module per command."""

from __future__ import annotations

import sys

# Command modules register themselves on `app` when imported.
from outsidein.cli import accounts as _accounts  # noqa: F401
from outsidein.cli import accounts_identity as _accounts_identity  # noqa: F401
from outsidein.cli import advocates as _advocates  # noqa: F401
from outsidein.cli import audit as _audit  # noqa: F401
from outsidein.cli import backup as _backup  # noqa: F401
from outsidein.cli import clv as _clv  # noqa: F401
from outsidein.cli import config as _config  # noqa: F401
from outsidein.cli import contacts as _contacts  # noqa: F401
from outsidein.cli import contacts_identity as _contacts_identity  # noqa: F401
from outsidein.cli import demo as _demo  # noqa: F401
from outsidein.cli import health as _health  # noqa: F401
from outsidein.cli import impact as _impact  # noqa: F401
from outsidein.cli import jobs as _jobs  # noqa: F401
from outsidein.cli import jobs_survey as _jobs_survey  # noqa: F401
from outsidein.cli import journey as _journey  # noqa: F401
from outsidein.cli import journey_state as _journey_state  # noqa: F401
from outsidein.cli import keys as _keys  # noqa: F401
from outsidein.cli import load as _load  # noqa: F401
from outsidein.cli import metrics as _metrics  # noqa: F401
from outsidein.cli import myday as _myday  # noqa: F401
from outsidein.cli import outbox as _outbox  # noqa: F401
from outsidein.cli import plans as _plans  # noqa: F401
from outsidein.cli import playbooks as _playbooks  # noqa: F401
from outsidein.cli import predict as _predict  # noqa: F401
from outsidein.cli import quality as _quality  # noqa: F401
from outsidein.cli import rejects as _rejects  # noqa: F401
from outsidein.cli import segments as _segments  # noqa: F401
from outsidein.cli import serve as _serve  # noqa: F401
from outsidein.cli import simulate as _simulate  # noqa: F401
from outsidein.cli import tasks as _tasks  # noqa: F401
from outsidein.cli import team as _team  # noqa: F401
from outsidein.cli import tiers as _tiers  # noqa: F401
from outsidein.cli import timeline as _timeline  # noqa: F401
from outsidein.cli import users as _users  # noqa: F401
from outsidein.cli.app import app, err_console
from outsidein.errors import OutsideInError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: run the app, turning OutsideInError into a clean message and exit code."""
    try:
        app()
    except OutsideInError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        sys.exit(exc.exit_code)
