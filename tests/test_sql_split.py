"""The SQL script splitter: `;` outside quotes and comments, and DELIMITER lines for compound bodies."""

from __future__ import annotations

from resources.sql import split_statements


def test_splits_on_semicolons_outside_quotes_and_comments() -> None:
    text = "SELECT 'a;b';\n-- a comment; with a semicolon\nSELECT `x;y` FROM t /* c; */;\nSELECT 3"
    assert split_statements(text) == ["SELECT 'a;b'", "SELECT `x;y` FROM t", "SELECT 3"]


def test_delimiter_lines_keep_a_trigger_body_whole() -> None:
    text = (
        "CREATE TABLE t (x INT);\n"
        "DELIMITER //\n"
        "CREATE TRIGGER t_no_update BEFORE UPDATE ON t FOR EACH ROW\n"
        "BEGIN\n  IF @allow IS NULL THEN\n    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no; never';\n"
        "  END IF;\nEND//\n"
        "DELIMITER ;\n"
        "DROP TABLE t;\n"
    )
    statements = split_statements(text)
    assert len(statements) == 3
    assert statements[0] == "CREATE TABLE t (x INT)"
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END")
    assert "END IF;" in statements[1]
    assert statements[2] == "DROP TABLE t"


def test_delimiter_word_inside_a_statement_is_not_a_directive() -> None:
    assert split_statements("SELECT 'DELIMITER //' AS d;\nSELECT 2;") == ["SELECT 'DELIMITER //' AS d", "SELECT 2"]
