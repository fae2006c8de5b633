"""Bring the database to the newest schema, then exit: the migration Job that runs before a
rollout (deploy/k8s), so new replicas start on a schema that is already there instead of one of
them migrating while the others wait on its lock.

    python -m core.storage.upgrade

It reads DATABASE_URL (or GPTPROTO_DATA_DIR for SQLite) from the environment or a `.env` file,
as the app does; replicas that start on an up-to-date database skip migrating altogether.
"""

from __future__ import annotations

import os
import sys

from sqlalchemy.exc import SQLAlchemyError

from core.settings import SettingsError, load_dotenv_file, resolve_settings
from core.storage.engine import current_revision, database_url, make_engine, migrate


def main() -> int:
    """Migrate; 0 once the database is at the newest revision, 1 with the reason otherwise."""
    try:
        settings = resolve_settings({}, os.environ, load_dotenv_file(".env"))
    except SettingsError as exc:
        sys.stderr.write(f"Not migrated: {exc}\n")
        return 1
    engine = make_engine(database_url(settings.data_dir, settings.database_url))
    where = engine.url.render_as_string(hide_password=True)
    try:
        before = current_revision(engine)
        migrate(engine)
        after = current_revision(engine)
    except SQLAlchemyError as exc:
        # The driver's own message (the first line), without SQLAlchemy's statement and links.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        sys.stderr.write(
            f"Not migrated: the database at {where} did not answer or refused ({reason}). "
            "Check DATABASE_URL and that the database accepts connections from here.\n"
        )
        return 1
    finally:
        engine.dispose()
    sys.stdout.write(f"{where}: schema at revision {after} (was {before or 'empty'})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
