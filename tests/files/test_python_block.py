from engine.files.tooldefs import PYTHON_BLOCK


def test_a_python_block_is_found_with_unix_line_breaks():
    assert PYTHON_BLOCK.search("Plot:\n```python\nprint(1)\n```").group(1) == "print(1)\n"


def test_a_python_block_is_found_with_the_crlf_line_breaks_browsers_send():
    match = PYTHON_BLOCK.search("Plot:\r\n```python\r\nprint(1)\r\n```")
    assert match is not None and match.group(1).strip() == "print(1)"


def test_a_block_in_another_language_is_not_run():
    assert PYTHON_BLOCK.search("```sh\nrm -rf /\n```") is None
