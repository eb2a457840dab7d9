"""Code the demo model writes for the code interpreter when asked in plain words.

- "plot the sales by month", with a CSV file given to the code interpreter: code that reads
  the file and draws a chart of it (matplotlib; the sandbox turns the open figure into an
  image). Columns are picked where the code runs, since only there is the file: a numeric
  column whose header matches a word of the request ("sales"), against the column named after
  "by"/"per" ("month"), else the first numeric and the first text column.
- "what is 3x + 11 = 14": code that solves it with exact fractions (linear and quadratic
  equations in one letter); "calculate 17 * 23" prints the result.

The code is plain Python a person can read in the run step. Values from the message reach it
only as Python literals (repr) or as numbers and operators checked token by token, so a message
cannot write code of its own this way (a ```python block is the way to do that).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from engine.files import tooldefs

from .demo_words import MAX_TEXT, tokens

PLOT_WORDS = frozenset(
    """plot plots plotting plotted chart charts charting graph graphs graphing draw draws
    drawing histogram histograms diagram diagrams""".split()  # noqa: SIM905
)
_X_MARKERS = frozenset({"by", "per", "over", "against", "vs", "versus", "across"})
_NOT_COLUMNS = frozenset(
    """plot plots plotting chart charts graph graphs draw drawing diagram histogram visualize
    visualise visualization visualisation the a an of in for from to and with me please my
    our this that it can you could would file csv data show make give""".split()  # noqa: SIM905
)
_MATH_TOKEN = re.compile(r"\d+(?:\.\d+)?|[A-Za-z]+|\*\*|[-+*/^()=\u00d7\u00f7\u2212\u00b7]|\S")
_OPERATORS = {
    "+": "+",
    "-": "-",
    "\u2212": "-",
    "*": "*",
    "\u00d7": "*",
    "\u00b7": "*",
    "/": "/",
    "\u00f7": "/",
    "^": "**",
    "**": "**",
}
_MAX_POWER = 10
_MAX_MATH_TOKENS = 200
_ASK_ARITHMETIC = ("calculate", "compute", "evaluate", "what is", "what's", "how much is")


# -- which files -------------------------------------------------------------------------------


def code_files(tools: list[dict[str, Any]]) -> list[str]:
    """The files in the code interpreter's working folder, as its definition lists them."""
    for tool in tools:
        function = tool.get("function") or {}
        if function.get("name") != tooldefs.CODE_INTERPRETER:
            continue
        description = str(function.get("description") or "")
        start = description.find("it holds the user's files: ")
        if start < 0:
            return []
        start += len("it holds the user's files: ")
        end = description.find(". Files you write there", start)
        listed = description[start : end if end >= 0 else len(description)]
        return [name for name in listed.split(", ") if name and name != "…"]
    return []


def _csv_for(text: str, files: list[str]) -> str | None:
    tables = [name for name in files if name.lower().endswith((".csv", ".tsv"))]
    lowered = text.lower()
    named = [name for name in tables if name.lower() in lowered]
    stems = [name for name in tables if name.rsplit(".", 1)[0].lower() in lowered.split()]
    return (named or stems or tables or [None])[0]


def _plot_word(word: str) -> bool:
    return word in PLOT_WORDS or word.startswith("visuali")  # visualise, visualization…


def wants_plot(text: str) -> bool:
    return any(_plot_word(token.lower) for token in tokens(text))


# -- plots ---------------------------------------------------------------------------------------


_PLOT = """import csv
import os

import matplotlib.pyplot as plt

# Drawn by the demo model (scripted): columns whose header matches these words are used, else
# the first numeric column against the first text column.
FILE = {file!r}
VALUE_WORDS = {values!r}
BY_WORDS = {by!r}


def number(cell):
    cell = cell.strip().replace(",", "").lstrip("$\u20ac\u00a3").rstrip("%")
    try:
        return float(cell)
    except ValueError:
        return None


def matches(header, words):
    parts = "".join(c.lower() if c.isalnum() else " " for c in header).split()
    for part in parts:
        for word in words:
            short = min(len(part), len(word))
            if part.rstrip("s") == word.rstrip("s") or (
                short >= 4 and (part.startswith(word) or word.startswith(part))
            ):
                return True
    return False


if not os.path.exists(FILE):
    FILE = sorted(name for name in os.listdir() if name.lower().endswith((".csv", ".tsv")))[0]
with open(FILE, newline="", encoding="utf-8-sig") as handle:
    sample = handle.read(65536)
    handle.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\\t|")
    except csv.Error:
        dialect = csv.excel
    rows = [row for row in csv.reader(handle, dialect) if any(cell.strip() for cell in row)]
header, rows = rows[0], rows[1:]
columns = [[row[i] if i < len(row) else "" for row in rows] for i in range(len(header))]
numeric = [
    i
    for i, cells in enumerate(columns)
    if any(c.strip() for c in cells) and all(number(c) is not None for c in cells if c.strip())
]
text = [i for i in range(len(header)) if i not in numeric]
words = VALUE_WORDS + BY_WORDS

x = next((i for i in range(len(header)) if BY_WORDS and matches(header[i], BY_WORDS)), None)
y = next((i for i in numeric if i != x and matches(header[i], VALUE_WORDS)), None)
if y is None:
    y = next((i for i in numeric if i != x), None)
if x is None:
    x = next((i for i in text if matches(header[i], words)), text[0] if text else None)

totals = {{}}
for position, row in enumerate(rows):
    label = columns[x][position].strip() if x is not None else str(position + 1)
    value = number(columns[y][position]) if y is not None else 1.0
    totals[label] = totals.get(label, 0.0) + (value or 0.0)
labels, values = list(totals), list(totals.values())
y_name = header[y] if y is not None else "count"
x_name = header[x] if x is not None else "row"

figure, axes = plt.subplots(figsize=(8, 4.5))
if len(labels) <= 30:
    axes.bar(labels, values)
    if len(labels) > 6:
        plt.setp(axes.get_xticklabels(), rotation=45, ha="right")
else:
    axes.plot(range(len(labels)), values)
    step = max(1, len(labels) // 10)
    axes.set_xticks(range(0, len(labels), step), labels[::step], rotation=45, ha="right")
axes.set_xlabel(x_name)
axes.set_ylabel(y_name)
axes.set_title(f"{{y_name}} by {{x_name}}")
figure.tight_layout()
print(f"Plotted {{y_name}} by {{x_name}} from {{FILE}}: {{len(labels)}} points.")
"""


def plot_code(file_name: str, text: str) -> str:
    """Code drawing `file_name` as `text` asks ("plot the sales by month")."""
    values: list[str] = []
    by: list[str] = []
    target = values
    for word in re.findall(r"[a-z0-9]+", text[:MAX_TEXT].lower())[:100]:
        if word in _X_MARKERS:
            target = by
        elif word not in _NOT_COLUMNS and not _plot_word(word) and len(word) <= 30:
            target.append(word)
    return _PLOT.format(file=file_name, values=values[:12], by=by[:12])


# -- equations -------------------------------------------------------------------------------


def _math_runs(text: str) -> list[list[str]]:
    """Runs of numbers, single letters, operators, brackets and "=" ("3 x + 11 = 14")."""
    runs: list[list[str]] = [[]]
    for match in _MATH_TOKEN.finditer(text[:MAX_TEXT]):
        piece = match.group()
        math = (
            piece[0].isdigit()
            or (piece.isalpha() and len(piece) == 1)
            or piece in _OPERATORS
            or piece in "()="
        )
        if math and len(runs[-1]) < _MAX_MATH_TOKENS:
            runs[-1].append(piece)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if run]


def _python(run: list[str]) -> tuple[str, str] | None:
    """(Python expression, its letter or "") for a run, numbers as exact fractions; None when
    it is not a well-formed expression in at most one letter. A power is a whole number up to
    _MAX_POWER and is not raised again (9^9^9 would keep the sandbox busy for nothing)."""
    letters = {t for t in run if t.isalpha()}
    if len(letters) > 1:
        return None
    out: list[str] = []
    depth = 0
    previous = ""  # "value" after a number, a letter or ")"; "operator"; "" at the start
    exponent = False  # the piece just written was a power
    for position, piece in enumerate(run):
        power = bool(out) and out[-1] == "**"
        if power and not (piece.isdigit() and int(piece) <= _MAX_POWER):
            return None
        if piece[0].isdigit() or piece.isalpha() or piece == "(":
            if previous == "value":
                out.append("*")  # 3x, 2(x + 1), (x + 1)(x - 1)
            if piece == "(":
                depth += 1
                out.append("(")
                previous = "operator"
                continue
            number = piece if power else f"Fraction({piece!r})"  # powers stay whole numbers
            out.append(piece if piece.isalpha() else number)
            previous, exponent = "value", power
        elif piece == ")":
            depth -= 1
            if depth < 0 or previous != "value":
                return None
            out.append(")")
            exponent = False
        elif piece in _OPERATORS:
            symbol = _OPERATORS[piece]
            unary = symbol == "-" and position + 1 < len(run)
            if (previous != "value" and not unary) or (symbol == "**" and exponent):
                return None
            out.append(symbol)
            previous = "operator"
        else:
            return None
    if depth != 0 or previous != "value":
        return None
    expression = " ".join(out).replace("( ", "(").replace(" )", ")")
    return expression, next(iter(letters), "")


def _trimmed(run: list[str]) -> list[str]:
    # "a 2x = 4", "I 3 + 4": a word of one letter before the sum is not part of it.
    while len(run) > 1 and run[0].isalpha() and (run[1][0].isdigit() or run[1].isalpha()):
        run = run[1:]
    return run


def equation(text: str) -> tuple[str, str, str, str] | None:
    """(as written, left side, right side, letter) of the first equation in one letter. A bare
    "a = 1" (in a link, a setting) is one only when the message says "solve"."""
    solve = "solve" in text[:MAX_TEXT].lower()
    for run in map(_trimmed, _math_runs(text)):
        if run.count("=") != 1:
            continue
        split = run.index("=")
        left, right = _python(run[:split]), _python(run[split + 1 :])
        if not left or not right:
            continue
        letters = {left[1], right[1]} - {""}
        if len(letters) != 1 or not any(t[0].isdigit() for t in run):
            continue
        arithmetic = any(t in _OPERATORS for t in run) or any(
            a[0].isdigit() and (b.isalpha() or b == "(") for a, b in itertools.pairwise(run)
        )
        if not (arithmetic or solve):
            continue
        return _written(run), left[0], right[0], letters.pop()
    return None


def arithmetic(text: str) -> tuple[str, str] | None:
    """(as written, Python expression) of a sum to work out, when the message asks for one."""
    lowered = text.lower()
    if not any(ask in lowered for ask in _ASK_ARITHMETIC):
        return None
    for run in map(_trimmed, _math_runs(text)):
        if "=" in run or len(run) < 3 or not any(t in _OPERATORS for t in run):
            continue
        made = _python(run)
        if made and not made[1]:
            return _written(run), made[0]
    return None


_SOLVE = '''import math
from fractions import Fraction

# Written by the demo model (scripted) for: {written}


def difference({letter}):
    """Left side minus right side: zero where the equation holds."""
    return ({left}) - ({right})


try:
    # As a polynomial c + b*x + a*x**2, checked at two more points.
    c = difference(Fraction(0))
    b = (difference(Fraction(1)) - difference(Fraction(-1))) / 2
    a = (difference(Fraction(1)) + difference(Fraction(-1))) / 2 - c
    fits = all(difference(Fraction(t)) == c + b * t + a * t * t for t in (2, 3, -2))
except ZeroDivisionError:
    fits = False


def show(value):
    return str(value) if not isinstance(value, float) else f"{{value:.6g}}"


if not fits:
    print("This is not a linear or quadratic equation; I only solve those.")
elif a == 0 and b == 0:
    print("Every {letter} satisfies it." if c == 0 else "No {letter} satisfies it.")
elif a == 0:
    print(f"{letter} = {{show(-c / b)}}")
else:
    disc = b * b - 4 * a * c
    if disc < 0:
        print("No real {letter} satisfies it.")
    else:
        root = Fraction(math.isqrt(disc.numerator), math.isqrt(disc.denominator))
        if root * root != disc:
            root = math.sqrt(disc)
        found = sorted({{(-b - root) / (2 * a), (-b + root) / (2 * a)}})
        print(" or ".join(f"{letter} = {{show(v)}}" for v in found))
'''

_WORK_OUT = """from fractions import Fraction

# Written by the demo model (scripted) for: {written}
result = {expression}
close = f" \u2248 {{float(result):.6g}}" if result.denominator != 1 else ""
print(f"{written} = {{result}}{{close}}")
"""


def solve_code(text: str) -> str | None:
    found = equation(text)
    if found:
        written, left, right, letter = found
        return _SOLVE.format(written=written, left=left, right=right, letter=letter)
    sum_ = arithmetic(text)
    if sum_:
        written, expression = sum_
        return _WORK_OUT.format(written=written, expression=expression)
    return None


def _written(run: list[str]) -> str:
    """A run as a person writes it: "3x + 11 = 14", "x^2 - 2", "2(x + 1)", "-3 * -x"."""
    out = ""
    for position, piece in enumerate(run):
        before = run[position - 1] if position else ""
        sign = before == "-" and (position == 1 or run[position - 2] in (*_OPERATORS, "(", "="))
        if not out or sign or piece in (")", "^") or before in ("(", "^"):
            out += piece
        elif (piece.isalpha() or piece == "(") and (before[0].isdigit() or before == ")"):
            out += piece  # 3x, 2(x + 1)
        else:
            out += " " + piece
    return out


# -- what to run ---------------------------------------------------------------------------------


def code_for(text: str, tools: list[dict[str, Any]]) -> str | None:
    """The code to run for `text`, or None when it asks for neither a chart nor a sum."""
    if wants_plot(text):
        table = _csv_for(text, code_files(tools))
        return plot_code(table, text) if table else None
    return solve_code(text)


def no_table_reply(text: str, tools: list[dict[str, Any]]) -> str | None:
    """What the demo says when asked for a chart with no CSV file to draw it from."""
    if wants_plot(text) and _csv_for(text, code_files(tools)) is None:
        return (
            "I can plot a CSV file given to the code interpreter, but there is none yet: "
            "attach one to your message (or to the assistant) and ask again."
        )
    return None
