"""The configuration file: every run flag has a key; flag > environment > file > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from oaiconform.cli import run_parser
from oaiconform.config_file import find_config, load_config
from oaiconform.settings import SettingsError, build_settings


def _load(path: Path, table: str | None = None) -> dict[str, object]:
    return dict(load_config(path, table, run_parser()).values)


def test_every_run_flag_has_a_key(tmp_path: Path) -> None:
    flags = {
        flag[2:]
        for action in run_parser()._actions
        for flag in action.option_strings
        if flag.startswith("--") and flag not in ("--help", "--config", "--dry-run")
    }
    (tmp_path / "oaiconform.toml").write_text("\n".join(f'"{f}" = true' for f in sorted(flags)))
    with pytest.raises(SettingsError) as caught:  # every key known: only type errors remain
        _load(tmp_path / "oaiconform.toml")
    assert "unknown key" not in str(caught.value)


def test_values_take_the_flags_shapes_and_paths_read_from_the_files_folder(
    tmp_path: Path,
) -> None:
    (tmp_path / "ci").mkdir()
    path = tmp_path / "ci" / "oaiconform.toml"
    path.write_text(
        'target = "http://127.0.0.1:9/v1"\nreport-dir = "out"\nbaseline = "known.yaml"\n'
        'feature = ["chat.basic", "models.list"]\nmock-fault = "flat-errors"\n'
        "budget_requests = 40\ndeterministic = true\nno-pinning = false\n"
    )
    values = _load(path)
    assert values == {
        "target": "http://127.0.0.1:9/v1",
        "report_dir": str(tmp_path / "ci" / "out"),
        "baseline": str(tmp_path / "ci" / "known.yaml"),
        "features": ["chat.basic", "models.list"],
        "mock_faults": ["flat-errors"],
        "budget_requests": "40",
        "deterministic": True,
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('targte = "x"\nverdcit = "strict"', "unknown keys targte, verdcit"),
        ("deterministic = 1", "deterministic: expected true or false"),
        ("feature = [1]", "feature: expected a list of strings"),
        ("seed = [1]", "seed: expected a string or a number"),
        ("jobs = 'x'", "jobs: invalid literal"),
        ("target = ", "not valid TOML"),
    ],
)
def test_a_bad_file_is_one_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "oaiconform.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=expected):
        _load(path)


def test_the_file_is_found_beside_the_run_or_in_pyproject(tmp_path: Path) -> None:
    assert find_config(None, tmp_path) is None
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert find_config(None, tmp_path) is None  # a pyproject.toml without our table
    (tmp_path / "pyproject.toml").write_text('[tool.oaiconform]\nprofile = "chat"\n')
    found = find_config(None, tmp_path)
    assert found == (tmp_path / "pyproject.toml", "tool.oaiconform")
    assert _load(*found) == {"profile": "chat"}
    (tmp_path / "oaiconform.toml").write_text('profile = "full"\n')
    assert find_config(None, tmp_path) == (tmp_path / "oaiconform.toml", None)
    assert find_config(str(tmp_path / "other.toml"), tmp_path) == (tmp_path / "other.toml", None)


def test_flag_beats_environment_beats_file_beats_default(tmp_path: Path) -> None:
    path = tmp_path / "oaiconform.toml"
    path.write_text(
        'target = "http://127.0.0.1:3/v1"\nverdict = "strict"\nseed = 5\nprofile = "chat"\n'
        'spec = "file-spec.json"\n'
    )
    config = load_config(path, None, run_parser())
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:2/v1", "OAICONFORM_VERDICT": "compat"}
    settings = build_settings({"target": "http://127.0.0.1:1/v1"}, env, config)
    assert settings.target_url == "http://127.0.0.1:1/v1"  # flag
    assert settings.verdict == "compat"  # environment over file
    assert settings.seed == 5 and settings.profile == "chat"  # file over default
    assert settings.spec == str(tmp_path / "file-spec.json")
    assert settings.config_file == str(path.resolve())
    assert "seed" in settings.config_keys
    assert build_settings({}, env, config).target_url == "http://127.0.0.1:2/v1"  # env
    assert build_settings({}, {}, config).target_url == "http://127.0.0.1:3/v1"  # file
    assert build_settings({}, {"OAICONFORM_SPEC": "env.json"}, config).spec is None
    assert build_settings({"seed": "9"}, {}, config).seed == 9
    assert build_settings({}, {}).verdict == "compat"  # default
