"""The JSON Schema shipped for editors matches the one the loader validates with."""

import json

from grader.rubric import schema
from tests.conftest import ROOT


def test_the_committed_schema_file_is_up_to_date():
    shipped = json.loads((ROOT / "docs" / "rubric.schema.json").read_text())
    assert shipped == schema(), (
        "docs/rubric.schema.json is stale: run 'grade rubric schema --out docs/rubric.schema.json'")
