"""Offline validation of a Camtrap DP package against the official files in ../shared/standards.

* the descriptor against camtrap-dp-profile.json with jsonschema, its remote ``$ref``s served from
  local copies (the generic Data Package profile from frictionless, GeoJSON from frictionless'
  assets) — nothing is downloaded;
* the tables with frictionless against the official table schemas, embedded from the local files
  in place of their URLs (types, constraints, primary and foreign keys).
"""

from __future__ import annotations

import json
from pathlib import Path

STANDARDS = Path(__file__).resolve().parents[3] / "shared" / "standards" / "camtrap-dp"


def standards_dir() -> Path | None:
    return STANDARDS if (STANDARDS / "camtrap-dp-profile.json").is_file() else None


def profile_errors(descriptor: dict, standards: Path) -> list[str]:
    import frictionless
    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4, DRAFT7

    profile = json.loads((standards / "camtrap-dp-profile.json").read_text())
    assets = Path(frictionless.__file__).parent / "assets" / "profiles"
    registry = Registry().with_resources(
        [
            (
                "https://specs.frictionlessdata.io/schemas/data-package.json",
                Resource.from_contents(frictionless.Package.metadata_profile, DRAFT7),
            ),
            (
                "http://json.schemastore.org/geojson.json",
                Resource.from_contents(json.loads((assets / "geojson.json").read_text()), DRAFT7),
            ),
        ]
    )
    validator = jsonschema.Draft4Validator(profile, registry=registry)
    _ = DRAFT4
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(descriptor)
    ]


def table_errors(folder: Path, standards: Path) -> list[str]:
    import frictionless

    descriptor = json.loads((folder / "datapackage.json").read_text())
    for res in descriptor["resources"]:
        if isinstance(res.get("schema"), str) and res["name"] in (
            "deployments",
            "media",
            "observations",
        ):
            res["schema"] = json.loads((standards / f"{res['name']}-table-schema.json").read_text())
    descriptor.pop("profile", None)
    package = frictionless.Package(descriptor, basepath=str(folder))
    report = package.validate()
    return [f"{e.type}: {e.message}" for task in report.tasks for e in task.errors] + [
        f"{e.type}: {e.message}" for e in report.errors
    ]
