import json


def test_validate_prints_file_line_col_code_message_and_exits_1(afs, tmp_path):
    (tmp_path / "bad.asm").write_text("org $008000\nMain:\n  LDA #$00\n  STA #$01\n")
    (tmp_path / "good.asm").write_text("Main:\n  JSL Elsewhere\n  RTL\n")
    result = afs("asm", "validate", "bad.asm", "good.asm")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "bad.asm:4:3: immediate_on_store STA has no immediate mode: a store writes to memory"]
    assert "2 files, 7 lines: 1 error in 1 file" in result.stderr


def test_valid_files_exit_0_and_warnings_on_request(afs, tmp_path):
    (tmp_path / "good.asm").write_text("Main:\n  JSL Elsewhere\n  RTL\n")
    assert afs("asm", "validate", "good.asm").returncode == 0
    shown = afs("asm", "validate", "--warnings", "good.asm")
    assert shown.returncode == 0
    assert shown.stdout.startswith("good.asm:2:3: warning unresolved label Elsewhere")


def test_json_output_is_one_object_per_file(afs, tmp_path):
    (tmp_path / "bad.asm").write_text("FOO $00\n")
    result = afs("asm", "validate", "--json", "bad.asm")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["file"] == "bad.asm" and report["valid"] is False
    assert report["errors"][0] == {"line": 1, "column": 1, "code": "unknown_mnemonic",
                                   "message": "unknown mnemonic FOO (not a 65816 instruction)",
                                   "file": "bad.asm"}


def test_missing_file_and_missing_asar_are_one_line_errors(afs, tmp_path):
    missing = afs("asm", "validate", "nope.asm")
    assert missing.returncode == 1 and missing.stderr.startswith("error: nope.asm")
    (tmp_path / "a.asm").write_text("NOP\n")
    no_asar = afs("asm", "validate", "--backend", "asar", "a.asm", PATH="/nonexistent",
                  AFS_ASAR="")
    assert no_asar.returncode == 1
    assert no_asar.stderr.startswith("error: asar was not found")


def test_validate_follows_incsrc_with_include_paths_and_names_the_file_of_each_issue(afs,
                                                                                     tmp_path):
    (tmp_path / "src" / "hooks").mkdir(parents=True)
    (tmp_path / "lib").mkdir()
    (tmp_path / "src" / "main.asm").write_text(
        "lorom\norg $008000\nMain:\nincsrc hooks/nmi.asm\nincsrc table.asm\nRTS\n")
    (tmp_path / "src" / "hooks" / "nmi.asm").write_text(".nmi\n  LDA #$00\n  STA #$01\n")
    (tmp_path / "lib" / "table.asm").write_text("Table:\n  dw Main_nmi\n")
    result = afs("asm", "validate", "-I", "lib", "src/main.asm")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "src/hooks/nmi.asm:3:3: immediate_on_store STA has no immediate mode: a store writes "
        "to memory"]
    assert "1 file, 11 lines: 1 error in 1 file" in result.stderr  # 6 + 3 + 2 lines read
    missing = afs("asm", "validate", "src/main.asm")  # table.asm is in lib only
    assert "src/main.asm:5:1: missing_file incsrc table.asm" in missing.stdout


def test_validate_json_names_the_file_of_each_issue_and_takes_defines(afs, tmp_path):
    (tmp_path / "main.asm").write_text(
        "org $008000\nif !_VER == 1\nNOP\nelse\nerror \"wrong version\"\nendif\nincsrc part.asm\n")
    (tmp_path / "part.asm").write_text("FOO\n")
    report = json.loads(afs("asm", "validate", "--json", "-D_VER=2", "main.asm").stdout)
    assert [(e["file"], e["line"], e["code"]) for e in report["errors"]] == [
        ("main.asm", 5, "error_command"), ("part.asm", 1, "unknown_mnemonic")]
    report = json.loads(afs("asm", "validate", "--json", "--define", "_VER=1",
                            "main.asm").stdout)
    assert [e["file"] for e in report["errors"]] == ["part.asm"]


def test_defines_with_the_asar_backend_are_refused_in_one_line(afs, tmp_path):
    (tmp_path / "a.asm").write_text("NOP\n")
    result = afs("asm", "validate", "--backend", "asar", "-DX=1", "a.asm")
    assert result.returncode == 2 and "--define is read by the built-in validator only" in \
        result.stderr
