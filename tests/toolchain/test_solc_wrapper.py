"""The solcjs-based `solc` wrapper (tools/solc/solc) speaks the native command line that
py-solc-x, Brownie and crytic-compile/slither use (Foundation issue, deliverable 2)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import solcx

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / "tools" / "solc" / "solc"
OZ = ROOT / "node_modules" / "@openzeppelin"
NPM_SOLC_VERSION = json.loads((ROOT / "package.json").read_text())["devDependencies"]["solc"]

TOKEN = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
contract Token is ERC20 { constructor() ERC20("T", "T") { _mint(msg.sender, 1); } }
"""
BROKEN = """// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
contract Broken { uint256 a }
"""


def run(
    args: list[str], stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(WRAPPER), *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "Token.sol").write_text(TOKEN)
    (tmp_path / "contracts" / "Broken.sol").write_text(BROKEN)
    return tmp_path


def standard_input(source: str, remap: bool = True, selection: list[str] | None = None) -> dict:
    return {
        "language": "Solidity",
        "sources": {source: {"urls": [source]}},
        "settings": {
            "remappings": [f"@openzeppelin={OZ}"] if remap else [],
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {"*": {"*": selection or ["abi", "evm.bytecode.object"]}},
        },
    }


def test_version__native_banner_matching_npm_solc() -> None:
    out = run(["--version"])
    assert out.returncode == 0
    lines = out.stdout.splitlines()
    assert lines[0] == "solc, the solidity compiler commandline interface"
    match = re.fullmatch(
        r"Version: (\d+\.\d+\.\d+)\+commit\.[0-9a-f]{8}\.Emscripten\.clang", lines[1]
    )
    assert match, lines
    assert match.group(1) == NPM_SOLC_VERSION


def test_version__cached_after_first_call() -> None:
    run(["--version"])
    cache = list(
        (ROOT / "node_modules" / ".cache" / "gridbalance-solc").glob(
            f"version-{NPM_SOLC_VERSION}-*.txt"
        )
    )
    assert len(cache) == 1
    assert cache[0].read_text().startswith(NPM_SOLC_VERSION + "+commit.")


def test_registered_for_py_solc_x__version_and_brownie_pin() -> None:
    # py-solc-x finds the wrapper through the symlink `make setup` creates in its folder
    binary = solcx.install.get_executable(NPM_SOLC_VERSION)
    assert Path(binary).resolve() == WRAPPER.resolve()
    assert str(solcx.wrapper.get_solc_version(binary)) == NPM_SOLC_VERSION
    config = (ROOT / "brownie-config.yaml").read_text()
    assert re.search(rf"^\s+version: {re.escape(NPM_SOLC_VERSION)}\s*$", config, re.M)


def test_standard_json__openzeppelin_import_via_remapping(project: Path) -> None:
    inp = standard_input("contracts/Token.sol")
    out = run(["--standard-json", "--allow-paths", str(OZ)], stdin=json.dumps(inp), cwd=project)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert [e for e in result.get("errors", []) if e["severity"] == "error"] == []
    # the remapping target is absolute, so imported source unit names are absolute paths under it
    assert f"{OZ}/contracts/token/ERC20/ERC20.sol" in result["sources"]
    bytecode = result["contracts"]["contracts/Token.sol"]["Token"]["evm"]["bytecode"]["object"]
    assert len(bytecode) > 1_000


def test_standard_json__through_py_solc_x(project: Path) -> None:
    inp = standard_input("contracts/Token.sol")
    result = solcx.compile_standard(
        inp, allow_paths=[str(OZ)], base_path=str(project), solc_binary=WRAPPER
    )
    abi = result["contracts"]["contracts/Token.sol"]["Token"]["abi"]
    assert {item.get("name") for item in abi} >= {"transfer", "balanceOf", "totalSupply"}


def test_standard_json__import_outside_allowed_paths__reported(project: Path) -> None:
    inp = standard_input("contracts/Token.sol")
    out = run(["--standard-json"], stdin=json.dumps(inp), cwd=project)
    assert out.returncode == 0  # as native solc: errors travel inside the JSON
    errors = json.loads(out.stdout)["errors"]
    assert errors[0]["type"] == "ParserError"
    assert "File outside of allowed directories" in errors[0]["message"]


def test_standard_json__include_path_resolves_imports(project: Path, tmp_path: Path) -> None:
    lib = tmp_path / "libroot" / "mylib"
    lib.mkdir(parents=True)
    (lib / "Lib.sol").write_text(
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\nlibrary Lib { function one() internal pure returns (uint256) { return 1; } }\n"
    )
    (project / "contracts" / "UsesLib.sol").write_text(
        '// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\nimport "mylib/Lib.sol";\n'
        "contract UsesLib { function f() external pure returns (uint256) { return Lib.one(); } }\n"
    )
    inp = standard_input("contracts/UsesLib.sol", remap=False)
    args = [
        "--standard-json",
        "--base-path",
        str(project),
        "--include-path",
        str(tmp_path / "libroot"),
    ]
    out = run(args, stdin=json.dumps(inp), cwd=tmp_path)
    result = json.loads(out.stdout)
    assert result.get("errors", []) == []
    assert "mylib/Lib.sol" in result["sources"]


def test_standard_json__output_larger_than_64kib_arrives_whole(project: Path) -> None:
    selection = [
        "abi",
        "evm.bytecode",
        "evm.deployedBytecode",
        "evm.methodIdentifiers",
        "metadata",
        "storageLayout",
    ]
    inp = standard_input("contracts/Token.sol", selection=selection)
    inp["settings"]["outputSelection"]["*"][""] = ["ast"]
    out = run(["--standard-json", "--allow-paths", str(OZ)], stdin=json.dumps(inp), cwd=project)
    assert len(out.stdout.encode()) > 4 * 65_536
    result = json.loads(out.stdout)  # parses: nothing was cut off
    assert result["sources"]["contracts/Token.sol"]["ast"]["nodeType"] == "SourceUnit"


def test_standard_json__syntax_error_reported_as_solc_does(project: Path) -> None:
    inp = standard_input("contracts/Broken.sol", remap=False)
    out = run(["--standard-json"], stdin=json.dumps(inp), cwd=project)
    assert out.returncode == 0
    (error,) = json.loads(out.stdout)["errors"]
    assert error["type"] == "ParserError"
    assert error["severity"] == "error"
    assert error["message"] == "Expected ';' but got '}'"
    assert error["formattedMessage"].startswith(
        "ParserError: Expected ';' but got '}'\n --> contracts/Broken.sol:3:29:"
    )


def test_standard_json__invalid_json__json_error(project: Path) -> None:
    out = run(["--standard-json"], stdin="{not json", cwd=project)
    assert out.returncode == 0
    (error,) = json.loads(out.stdout)["errors"]
    assert error["type"] == "JSONError"


def test_combined_json__openzeppelin_import(project: Path) -> None:
    fields = "abi,ast,bin,bin-runtime,srcmap,srcmap-runtime,userdoc,devdoc,hashes"
    out = run(
        [
            "--combined-json",
            fields,
            "--allow-paths",
            ".",
            f"@openzeppelin={OZ}",
            "contracts/Token.sol",
        ],
        cwd=project,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    token = result["contracts"]["contracts/Token.sol:Token"]
    assert set(token) == {
        "abi",
        "bin",
        "bin-runtime",
        "srcmap",
        "srcmap-runtime",
        "userdoc",
        "devdoc",
        "hashes",
    }
    assert token["hashes"]["transfer(address,uint256)"] == "a9059cbb"
    for i, name in enumerate(result["sourceList"]):
        assert result["sources"][name]["id"] == i
    assert "contracts/Token.sol" in result["sourceList"]
    assert result["sources"]["contracts/Token.sol"]["AST"]["nodeType"] == "SourceUnit"
    assert result["version"].startswith(NPM_SOLC_VERSION + "+commit.")


def test_combined_json__through_py_solc_x(project: Path) -> None:
    result = solcx.compile_files(
        [project / "contracts" / "Token.sol"],
        output_values=["abi", "bin"],
        import_remappings={"@openzeppelin": str(OZ)},
        solc_binary=WRAPPER,
    )
    key = next(k for k in result if k.endswith("Token.sol:Token"))
    assert result[key]["bin"]


def test_combined_json__syntax_error__stderr_and_exit_1(project: Path) -> None:
    out = run(["--combined-json", "abi", "contracts/Broken.sol"], cwd=project)
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.startswith(
        "ParserError: Expected ';' but got '}'\n --> contracts/Broken.sol:3:29:"
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["--bogus"], "Error: unrecognised option '--bogus' (see --help)"),
        (
            ["--combined-json", "abi,nope", "x.sol"],
            "Error: invalid option to --combined-json: nope",
        ),
        (["--combined-json", "abi", "missing.sol"], 'Error: "missing.sol" is not found.'),
        (["--combined-json", "abi"], "Error: no input files given (see --help)"),
        (
            ["--optimize-runs", "many", "--standard-json"],
            'Error: --optimize-runs expects a non-negative integer, got "many"',
        ),
    ],
)
def test_bad_invocation__one_line_error(project: Path, args: list[str], message: str) -> None:
    out = run(args, stdin="", cwd=project)
    assert out.returncode == 1
    assert out.stderr == message + "\n"
