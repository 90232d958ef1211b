"""kb's JSON outputs, from the CLI and from the Python module, validate against docs/schema/."""

import copy
import json

import pytest
from conftest import EXAMPLES, SOURCE_ROOT, copy_kernel

jsonschema = pytest.importorskip("jsonschema", reason="python3-jsonschema is not installed")

SCHEMA_DIR = SOURCE_ROOT / "docs" / "schema"


def validator(name):
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def assert_valid(name, document):
    errors = sorted(validator(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def torch_args(torches):
    return [a for v in torches for a in ("--torch", v)]


@pytest.mark.parametrize("name", ["matrix", "toolchains", "check-config"])
def test_schemas_are_draft_2020_12(name):
    schema = json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("example", ["relu", "fused-ops"])
@pytest.mark.parametrize("all_", [False, True])
def test_cli_matrix_json(kb_cli, torches, example, all_):
    args = ["matrix", "--json", EXAMPLES / example, *torch_args(torches)] + (["--all"] if all_ else [])
    document = json.loads(kb_cli(*args).stdout)
    assert document["variants"], "a matrix with no variant validates trivially"
    assert_valid("matrix", document)


def test_cli_toolchains_json(kb_cli, torches):
    document = json.loads(kb_cli("toolchains", "--json", *torch_args(torches)).stdout)
    assert document["torch"]
    assert_valid("toolchains", document)


def test_cli_toolchains_json_with_rejections(kb_cli, tmp_path):
    # A directory that is not a venv: discovery rejects it with a reason.
    (tmp_path / "not-a-venv").mkdir()
    r = kb_cli("toolchains", "--json", "--no-cache", "--torch", tmp_path / "not-a-venv", check=False)
    if r.returncode != 0:
        pytest.skip(f"kb toolchains refused the path outright: {r.stderr.strip()}")
    document = json.loads(r.stdout)
    assert_valid("toolchains", document)


def cli_check_config(kb_cli, path):
    r = kb_cli("check-config", "--json", path, check=False)
    try:
        document = json.loads(r.stdout)
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict) or "errors" not in document:
        pytest.skip("kb check-config --json does not print check_config_to_json's report yet")
    return r.returncode, document


def test_cli_check_config_json_valid(kb_cli):
    rc, document = cli_check_config(kb_cli, EXAMPLES / "relu")
    assert rc == 0 and document["valid"] is True
    assert_valid("check-config", document)


def test_cli_check_config_json_invalid(kb_cli, tmp_path):
    kernel = copy_kernel(EXAMPLES / "relu", tmp_path / "relu")
    toml = kernel / "build.toml"
    toml.write_text(toml.read_text().replace("depends = []", "depnds = []", 1))
    rc, document = cli_check_config(kb_cli, kernel)
    assert rc == 1 and document["valid"] is False
    assert_valid("check-config", document)


def test_module_outputs(kb_module, torches, tmp_path):
    for example in ("relu", "fused-ops"):
        assert_valid("matrix", kb_module.matrix(EXAMPLES / example, torch=torches, all=True))
        assert_valid("check-config", kb_module.check_config(EXAMPLES / example))
    assert_valid("toolchains", kb_module.discover_toolchains(torch=torches))
    (tmp_path / "build.toml").write_text("[general]\nname = 'Bad Name'\n")
    report = kb_module.check_config(tmp_path)
    assert report["valid"] is False
    assert_valid("check-config", report)
    missing = kb_module.check_config(tmp_path / "nowhere")
    assert missing["errors"][0]["file"] is None  # no build.toml: not located in a file
    assert_valid("check-config", missing)


def test_schemas_reject_drift(kb_cli, torches):
    """The schemas are strict enough to notice a renamed key, a new key or a bad name."""
    good = json.loads(kb_cli("matrix", "--json", "--all", EXAMPLES / "relu", *torch_args(torches)).stdout)
    v = validator("matrix")
    assert v.is_valid(good)
    for mutate in (
        lambda d: d["variants"][0].update(name="torch211-cu130"),
        lambda d: d["variants"][0].update(extra=1),
        lambda d: d["variants"][0].pop("metadata_archs"),
        lambda d: d["variants"][0].update(backend="gpu"),
        lambda d: d["variants"][0]["toolchain"].update(python=3),
        lambda d: d["rejected"].append({"name": "x", "reason": ""}),
    ):
        bad = copy.deepcopy(good)
        mutate(bad)
        assert not v.is_valid(bad), mutate
    report = {"valid": True, "path": "b", "name": "x", "edition": 5, "backends": [], "kernels": [],
              "warnings": [], "notes": [], "errors": []}
    check = validator("check-config")
    assert check.is_valid(report)
    assert not check.is_valid({**report, "errors": [{"file": None, "line": None, "col": None,
                                                     "message": "m", "hint": None}]})
    assert not check.is_valid({**report, "valid": False})  # invalid needs errors, null name
