"""The Python module kb: plain data out, KbError with locations for every failure."""

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import EXAMPLES, copy_kernel

RELU = EXAMPLES / "relu"

BROKEN = """\
[general]
name = "broken"
version = "one"
edition = 5
license = "Apache-2.0"
backends = ["cpu"]

[torch]
src = []

[kernel.k]
backend = "cpu"
depnds = []
src = []
"""


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_module_surface(kb_module):
    kb = kb_module
    assert isinstance(kb.__version__, str) and kb.__version__
    assert issubclass(kb.KbError, Exception)
    assert kb.KbError.__module__ == "kb"
    for name in ("parse_config", "check_config", "discover_toolchains", "matrix", "plan"):
        assert callable(getattr(kb, name)), name


def test_parse_config_of_a_directory(kb_module):
    config = kb_module.parse_config(RELU)  # a pathlib.Path works as well as a str
    assert config["name"] == "relu"
    assert config["edition"] == 5
    assert config["backends"] == ["cpu", "cuda", "rocm"]
    assert config["framework"] == "torch"
    assert config["hub"]["repo_id"] == "kb-examples/relu"
    assert [k["name"] for k in config["kernels"]] == ["relu", "relu_rocm", "relu_cpu"]
    rocm = config["kernels"][1]
    assert rocm["backend"] == "rocm" and rocm["rocm_archs"] == ["gfx90a", "gfx940"]
    assert rocm["line"] > 1
    assert config["kernels"][0]["cuda_capabilities"] is None  # not written: every capability
    assert config["torch"]["src"] == ["torch-ext/torch_binding.cpp", "torch-ext/torch_binding.h"]
    assert config["warnings"] == []
    json.dumps(config)  # plain data only


def test_parse_config_of_a_file_only_parses(kb_module, tmp_path):
    text = (RELU / "build.toml").read_text()
    toml = write(tmp_path / "elsewhere" / "relu.toml", text)  # its src files are not there
    assert kb_module.parse_config(str(toml))["name"] == "relu"
    with pytest.raises(kb_module.KbError) as info:
        kb_module.parse_config(toml.parent)
    assert "no build.toml" in info.value.message


def test_errors_carry_every_problem_with_its_location(kb_module, tmp_path):
    kb = kb_module
    toml = write(tmp_path / "build.toml", BROKEN)
    with pytest.raises(kb.KbError) as info:
        kb.parse_config(tmp_path)
    e = info.value
    assert len(e.errors) >= 3, e.errors  # wrong type, unknown key, missing key: all at once
    first = e.errors[0]
    assert set(first) == {"file", "line", "col", "message", "hint"}
    assert (e.file, e.line, e.col, e.message, e.hint) == (
        first["file"], first["line"], first["col"], first["message"], first["hint"])
    assert e.file == str(toml)
    by_line = {err["line"]: err for err in e.errors}
    assert "version" in by_line[3]["message"] and by_line[3]["col"] >= 1
    typo = by_line[13]
    assert "depnds" in typo["message"] and "did you mean 'depends'" in typo["hint"]
    assert f"{toml}:13:1:" in str(e)  # str() is what the CLI prints, every error
    assert str(e).count("error:") == len(e.errors)


def test_missing_source_files_are_errors_at_their_src_entry(kb_module, tmp_path):
    kernel = copy_kernel(RELU, tmp_path / "relu")
    (kernel / "relu_cpu" / "relu_cpu.cpp").unlink()
    with pytest.raises(kb_module.KbError) as info:
        kb_module.parse_config(kernel)
    assert "relu_cpu/relu_cpu.cpp" in info.value.message
    assert info.value.line and info.value.file.endswith("build.toml")


def test_check_config_reports_instead_of_raising(kb_module, tmp_path):
    ok = kb_module.check_config(RELU)
    assert ok["valid"] is True and ok["errors"] == []
    assert ok["kernels"] == [{"name": "relu", "backend": "cuda"}, {"name": "relu_rocm", "backend": "rocm"},
                             {"name": "relu_cpu", "backend": "cpu"}]
    write(tmp_path / "build.toml", BROKEN)
    bad = kb_module.check_config(tmp_path)
    assert bad["valid"] is False and bad["name"] is None
    assert bad["path"] == str(tmp_path / "build.toml")
    assert len(bad["errors"]) >= 3


def test_v4_file_is_a_note_not_a_warning(kb_module, tmp_path, torches):
    kernel = copy_kernel(RELU, tmp_path / "relu")
    toml = kernel / "build.toml"
    toml.write_text(toml.read_text().replace("edition = 5\n", ""))
    config = kb_module.parse_config(kernel)
    assert config["edition"] == 4
    assert config["warnings"] == []
    assert config["notes"] and "v4" in config["notes"][0]["message"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a v4 file is normal: matrix() warns about nothing
        kb_module.matrix(kernel, torch=torches)


def test_discover_toolchains(kb_module, torches):
    found = kb_module.discover_toolchains(torch=torches)
    assert {"cpu", "os", "torch", "cuda", "rocm", "cxx", "ninja", "rejected"} <= set(found)
    pythons = {t["python"] for t in found["torch"]}
    assert pythons == {str(Path(v) / "bin" / "python") for v in torches}
    again = kb_module.discover_toolchains(torch=torches, cache=True)
    assert again == found


def test_discover_fails_for_a_missing_explicit_path(kb_module, tmp_path):
    with pytest.raises(kb_module.KbError) as info:
        kb_module.discover_toolchains(torch=[tmp_path / "no-such-venv"], cache=False)
    assert "no-such-venv" in str(info.value)


@pytest.mark.parametrize("example", ["relu", "fused-ops"])
@pytest.mark.parametrize("all_", [False, True])
def test_matrix_equals_the_cli_json(kb_module, kb_cli, torches, example, all_):
    args = ["matrix", "--json", EXAMPLES / example] + [a for v in torches for a in ("--torch", v)]
    if all_:
        args.append("--all")
    cli = json.loads(kb_cli(*args).stdout)
    assert kb_module.matrix(EXAMPLES / example, torch=torches, all=all_) == cli
    assert ("rejected" in cli) == all_


def test_matrix_takes_torch_from_the_environment(kb_module, torches, monkeypatch):
    monkeypatch.setenv("KB_TORCH", ":".join(torches))
    assert kb_module.matrix(str(RELU)) == kb_module.matrix(RELU, torch=torches)
    names = [v["name"] for v in kb_module.matrix(RELU)["variants"]]
    assert names and all("cpu" in n or "cu" in n for n in names)


def test_matrix_of_an_invalid_kernel_raises(kb_module, tmp_path):
    write(tmp_path / "build.toml", BROKEN)
    with pytest.raises(kb_module.KbError):
        kb_module.matrix(tmp_path, torch=[])


def test_plan_builds_nothing_and_describes_every_step(kb_module, torches, tmp_path):
    out = tmp_path / "out"
    plan = kb_module.plan(RELU, torch=torches, out=out, unique_id="abc1234", jobs=3)
    names = [v["name"] for v in kb_module.matrix(RELU, torch=torches)["variants"]]
    assert [v["name"] for v in plan["variants"]] == names
    assert plan["unique_id"] == "abc1234" and plan["jobs"] == 3
    assert plan["build_dir"] == str(out) and plan["kernel_dir"] == str(RELU.resolve())
    assert not out.exists(), "planning must not write anything"
    for v in plan["variants"]:
        assert v["ops_name"].endswith("_abc1234")
        assert v["bundle_dir"] == str(out / v["name"])
        assert v["compiles"] and all(c["argv"] and c["source"] for c in v["compiles"])
        assert v["link"]["output"].endswith(".so")
        assert v["metadata"]["id"] == v["ops_name"]
        assert any(c["to"].endswith("__init__.py") for c in v["copies"])
        tools = {c["tool"] for c in v["compiles"]}
        assert tools <= {"cxx", "nvcc", "hip"}
        assert ("nvcc" in tools) == ("-cu" in v["name"])


def test_plan_selects_variants_and_suggests_names(kb_module, torches):
    names = [v["name"] for v in kb_module.matrix(RELU, torch=torches)["variants"]]
    one = kb_module.plan(RELU, variants=names[0], torch=torches, unique_id="x")
    assert [v["name"] for v in one["variants"]] == [names[0]]
    with pytest.raises(kb_module.KbError) as info:
        kb_module.plan(RELU, variants=[names[0] + "x"], torch=torches, unique_id="x")
    assert info.value.hint == f"did you mean '{names[0]}'?"


def test_no_output_on_stdout_or_stderr(kb_module, torches, tmp_path, capfd):
    write(tmp_path / "build.toml", BROKEN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kb_module.matrix(RELU, torch=torches)
        with pytest.raises(kb_module.KbError):
            kb_module.parse_config(tmp_path)
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_readme_one_liner(kb_module, torches, monkeypatch):
    """`python3 -c "import kb; print(kb.matrix('examples/relu'))"` from the repository root."""
    monkeypatch.chdir(EXAMPLES.parent)
    monkeypatch.setenv("KB_TORCH", ":".join(torches))
    assert kb_module.matrix("examples/relu")["variants"]


# One-character typos on which toml++ 3.3 asserted and aborted the interpreter (issue 15):
# each must raise kb.KbError at the offending character. Each runs in a child interpreter,
# so that an abort fails this test instead of ending the test run.
TOML_TYPOS = [
    ("[.general]\n", 1, 2),
    ('backends = ["cpu", }\n', 1, 20),
    ('c=["",}\n', 1, 7),
    ("n=1979-05-27 1\n", 1, 15),
    ("n=0990-05-27T:\n", 1, 14),
]

PARSE_IN_CHILD = """
import json, sys
import kb
try:
    kb.parse_config(sys.argv[1])
    print(json.dumps({"raised": False}))
except kb.KbError as e:
    print(json.dumps({"raised": True, "line": e.line, "col": e.col, "message": e.message}))
"""


def parse_in_child(kb_module, path, timeout=60):
    r = subprocess.run([sys.executable, "-c", PARSE_IN_CHILD, str(path)], capture_output=True,
                       text=True, timeout=timeout, env=os.environ.copy(), check=False)
    assert r.returncode == 0, f"the interpreter exited {r.returncode}:\n{r.stderr}"
    return json.loads(r.stdout)


@pytest.mark.parametrize("text,line,col", TOML_TYPOS)
def test_toml_typos_raise_kb_error_not_abort(kb_module, tmp_path, text, line, col):
    toml = write(tmp_path / "build.toml", text)
    got = parse_in_child(kb_module, toml)
    assert got["raised"], got
    assert (got["line"], got["col"]) == (line, col), got
    assert got["message"].startswith("invalid TOML: unexpected"), got


def test_parse_config_refuses_what_is_no_regular_file(kb_module, tmp_path):
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # reading it would wait for a writer for ever
    for path, kind in ((fifo, "a FIFO"), ("/dev/zero", "a character device")):
        got = parse_in_child(kb_module, path, timeout=60)
        assert got["raised"] and kind in got["message"], got
