"""kb deps --json validates against docs/schema/deps.schema.json, and the schema is strict."""

import copy
import json

import pytest
from conftest import EXAMPLES, SOURCE_ROOT

jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema is not installed")

SCHEMA = json.loads((SOURCE_ROOT / "docs" / "schema" / "deps.schema.json").read_text())


def validator():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    return jsonschema.Draft202012Validator(SCHEMA)


def assert_valid(document):
    errors = list(validator().iter_errors(document))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def cutlass_tree(root, version):
    major, minor, patch = version.split(".")
    inc = root / "include" / "cutlass"
    inc.mkdir(parents=True)
    (inc / "version.h").write_text(
        f"#define CUTLASS_MAJOR {major}\n#define CUTLASS_MINOR {minor}\n#define CUTLASS_PATCH {patch}\n")
    return root


def test_schema_is_draft_2020_12():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_missing_and_resolved(kb_cli, tmp_path):
    example = EXAMPLES / "cutlass-gemm"
    # Nothing in this run's private cache, nothing fetched: missing, with reasons.
    missing = json.loads(kb_cli("deps", "--json", example).stdout)
    assert_valid(missing)
    by_name = {d["name"]: d for d in missing["dependencies"]}
    assert by_name["torch"]["state"] == "framework"
    assert by_name["cutlass_3_8"]["state"] in ("missing", "resolved")
    # An explicit tree: resolved, with its content hash.
    tree = cutlass_tree(tmp_path / "cutlass", "3.8.0")
    resolved = json.loads(kb_cli("deps", "--json", example, "--dep", f"cutlass_3_8={tree}").stdout)
    assert_valid(resolved)
    dep = {d["name"]: d for d in resolved["dependencies"]}["cutlass_3_8"]
    assert dep["route"] == "option" and dep["include_dir"] == str(tree / "include")
    assert dep["content_hash"].startswith("sha256:")


def test_schema_rejects_drift(kb_cli, tmp_path):
    tree = cutlass_tree(tmp_path / "cutlass", "3.8.0")
    good = json.loads(kb_cli("deps", "--json", EXAMPLES / "cutlass-gemm", "--dep", f"cutlass_3_8={tree}").stdout)
    v = validator()
    assert v.is_valid(good)
    index = [d["name"] for d in good["dependencies"]].index("cutlass_3_8")
    for mutate in (
        lambda d: d["dependencies"][index].update(route="ftp"),
        lambda d: d["dependencies"][index].update(extra=1),
        lambda d: d["dependencies"][index].pop("uses"),
        lambda d: d["dependencies"][index].update(version="3.8"),
        lambda d: d["dependencies"][index].update(state="missing"),  # a missing one has no route
        lambda d: d["dependencies"][index].update(content_hash="md5:00"),
        lambda d: d.update(fetch="no"),
    ):
        bad = copy.deepcopy(good)
        mutate(bad)
        assert not v.is_valid(bad), mutate
