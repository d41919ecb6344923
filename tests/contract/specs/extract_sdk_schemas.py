"""Regenerate ``pingone-management-sdk-schemas-3.0.json`` from the Go SDK's OpenAPI 3.0 YAML.

The extract keeps ``openapi``, ``info`` and ``components.schemas`` of
``management/generate/pingone-management.yml`` (patrickcping/pingone-go-sdk-v2, release
v0.14.14) unchanged, as JSON, so the contract tests need no YAML parser. Needs PyYAML:

    python tests/contract/specs/extract_sdk_schemas.py path/to/pingone-management.yml
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # only to regenerate, not a test dependency


def main(source: str) -> None:
    # libyaml's loader: the pure-Python one rejects a tab the file has in one description.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = yaml.load(Path(source).read_text(encoding="utf-8"), Loader=loader)  # noqa: S506
    out = {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "components": {"schemas": spec["components"]["schemas"]},
    }
    target = Path(__file__).with_name("pingone-management-sdk-schemas-3.0.json")
    target.write_text(json.dumps(out, indent=1, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
