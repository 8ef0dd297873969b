"""Bar charts laid out on the server, drawn by templates/includes/bar_chart.html as inline SVG.

Bars are sized in percent of the chart's width and text has a fixed size, so the same chart reads on a
360 px phone and on paper without a viewBox shrinking its text. Labels sit on their own lines above their
bars and wrap, so a long name never runs off the edge. Each chart has a title and a description with the
same numbers, and every page that shows one also shows a table.
"""

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

LINE_HEIGHT = 18  # one line of label text, in px
BAR_HEIGHT = 14
GAP = 10  # between a bar and the next label
HEADING_GAP = 6
WRAP_AT = 38  # columns per label line: a Chinese character takes two; fits 320 px at 13 px


@dataclass
class Segment:
    x: float  # percent of the chart's width
    width: float
    css: str


@dataclass
class Row:
    lines: list
    css: str = ""
    percent: float = 0
    heading: bool = False
    segments: list = field(default_factory=list)
    # Set by layout(): where the label lines and the bar start.
    text_y: int = 0
    bar_y: int = 0


@dataclass
class Chart:
    id: str
    title: str
    description: str
    rows: list
    height: int = 0


def wrap(text, width=WRAP_AT):
    """``text`` in lines of at most ``width`` columns, breaking at spaces where there are any."""
    lines, line, used = [], "", 0
    for word in _words(str(text)):
        size = columns(word)
        if line and used + size > width:
            lines.append(line.rstrip())
            line, used = "", 0
            word = word.lstrip()
            size = columns(word)
        line, used = line + word, used + size
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


# Never at the start of a line (Chinese line-breaking rules): closing brackets and punctuation.
NO_LINE_START = set("）)」』》〉】，。、；：！？…%")


def _words(text):
    """Latin words with their leading space, and every wide (CJK) character on its own: both may break,
    except before closing punctuation, which stays with what it closes."""
    tokens, word = [], ""
    for char in text:
        if columns(char) == 2 or char == " ":
            if word:
                tokens.append(word)
            word = char
            if columns(char) == 2:
                tokens.append(word)
                word = ""
        else:
            word += char
    if word:
        tokens.append(word)
    merged = []
    for token in tokens:
        if merged and token[0] in NO_LINE_START:
            merged[-1] += token
        else:
            merged.append(token)
    return merged


def columns(text):
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def fraction(value, largest):
    if not largest or value is None or value <= 0:
        return 0
    return min(Decimal(value) / Decimal(largest), 1)


def bar(label, value, largest, css="bar-main"):
    """A labelled bar ``value / largest`` of the chart's width."""
    return Row(lines=wrap(label), css=css, percent=round(float(fraction(value, largest)) * 100, 2))


def heading(text):
    return Row(lines=wrap(text), heading=True)


def split(label, parts):
    """One bar cut into parts: ``parts`` is a list of (count, css); zero counts take no room."""
    total = sum(count for count, _css in parts)
    segments, x = [], 0.0
    for count, css in parts:
        if count and total:
            width = round(count / total * 100, 2)
            segments.append(Segment(x=round(x, 2), width=width, css=css))
            x += width
    return Row(lines=wrap(label), segments=segments)


def layout(chart):
    """Places every row below the one before it and sets the chart's height."""
    y = 0
    for row in chart.rows:
        if row.heading and y:
            y += HEADING_GAP  # a heading starts a new group: set it apart from the bars above
        row.text_y = y + LINE_HEIGHT - 5  # the text's baseline
        y += LINE_HEIGHT * len(row.lines)
        if row.heading:
            y += HEADING_GAP
            continue
        row.bar_y = y
        y += BAR_HEIGHT + GAP
    chart.height = max(y, 1)
    return chart


def bar_chart(id, title, description, rows):
    return layout(Chart(id=id, title=title, description=description, rows=list(rows)))
