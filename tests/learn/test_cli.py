"""deertrack train --from-folder, evaluate --model latest, models list/show."""

from __future__ import annotations

from deertrack_cli.main import main


def test_train_from_folder_then_evaluate_the_version(engine, models_dir, identity_folder, capsys):
    args = ["train", "--from-folder", str(identity_folder), "--epochs", "1", "--blocks", "1",
            "--views", "1", "--holdout", "0.4"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out.strip().splitlines()
    name = out[-1]
    assert name.startswith("mnv2-") and (models_dir / f"{name}.pt").is_file()
    assert any("held-out individuals" in line for line in out)
    assert any(line.strip().startswith("rank-1") and "->" in line for line in out)
    assert main(["evaluate", str(identity_folder), "--crop", "full", "--model", "latest"]) == 0
    out = capsys.readouterr().out
    assert f"embedder: version:{name}" in out and "rank-1:" in out
    assert main(["models", "list"]) == 0
    assert name in capsys.readouterr().out


def test_train_with_too_few_crops_explains_what_to_do(engine, models_dir, capsys):
    assert main(["train", "--epochs", "1"]) == 2
    assert "Review page" in capsys.readouterr().err


def test_train_refuses_bad_settings_by_name(engine, models_dir, capsys):
    assert main(["train", "--blocks", "9"]) == 2
    assert "trainable_blocks" in capsys.readouterr().err
