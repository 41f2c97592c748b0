"""deertrack set-clock DEPLOYMENT OFFSET_SECONDS: correct a camera's clock."""

from __future__ import annotations

import argparse

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deertrack_core import db
from deertrack_core.auth import Actor
from deertrack_core.errors import NotFoundError
from deertrack_core.ingest import set_clock_offset
from deertrack_core.models import Deployment, Image

NAME = "set-clock"
HELP = (
    "Set a deployment's clock offset in seconds (true time = camera time + offset) and re-time "
    "all its photos; the change is recorded in the audit log. --list shows the deployments."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("deployment", nargs="?", help="deployment id, or STATION or STATION/CAMERA")
    parser.add_argument(
        "offset_seconds",
        nargs="?",
        type=float,
        help="seconds to add to the camera's time (negative when the camera ran fast)",
    )
    parser.add_argument("--list", action="store_true", help="list the deployments and exit")
    parser.add_argument("--url", help="database URL (default: DEERTRACK_DATABASE_URL)")
    parser.add_argument("--user", help="name for the audit log (default: DEERTRACK_USER or login)")


def _find(session: Session, ref: str) -> int:
    if ref.isdigit():
        return int(ref)
    station, _, camera = ref.partition("/")
    ids = session.scalars(
        select(Deployment.id).where(Deployment.station == station, Deployment.camera == camera)
    ).all()
    if len(ids) != 1:
        raise NotFoundError(
            f"There is no deployment {ref!r}.",
            "Run `deertrack set-clock --list` and give an id or STATION/CAMERA from it.",
        )
    return ids[0]


def _list(session: Session) -> None:
    rows = session.execute(
        select(
            Deployment.id,
            Deployment.station,
            Deployment.camera,
            Deployment.clock_offset_s,
            func.count(Image.id),
            func.min(Image.captured_at),
            func.max(Image.captured_at),
        )
        .outerjoin(Image, Image.deployment_id == Deployment.id)
        .group_by(Deployment.id)
        .order_by(Deployment.station, Deployment.camera)
    ).all()
    print(f"{'id':>5}  {'deployment':30} {'photos':>7} {'offset s':>9}  first .. last")
    for dep_id, station, camera, offset, n, first, last in rows:
        label = f"{station}/{camera}" if camera else station
        print(f"{dep_id:>5}  {label:30} {n:>7} {offset or 0:>9g}  {first or '-'} .. {last or '-'}")


def run(args: argparse.Namespace) -> int:
    db.require_schema(db.get_engine(args.url))
    if args.list:
        with db.session_scope(args.url) as session:
            _list(session)
        return 0
    if args.deployment is None or args.offset_seconds is None:
        print("give DEPLOYMENT and OFFSET_SECONDS (or --list)")
        return 2
    with db.session_scope(args.url) as session:
        dep_id = _find(session, args.deployment)
        n = set_clock_offset(
            session, dep_id, args.offset_seconds, actor=Actor.console(args.user or None)
        )
    print(f"deployment {dep_id}: clock offset {args.offset_seconds:g} s, {n} photos re-timed")
    return 0
