"""Reading an interchange file as a stream: one record at a time, never the whole document in memory."""

import itertools
import json

import ijson

# Above this size a syntax error is reported by byte position only: finding its line and column means
# reading the file as a whole, which is fine for a hand-edited file but not for a 1 GB export.
LINE_COLUMN_LIMIT = 64 * 1024 * 1024


# Yielded as the index when a top-level array starts (so that an empty array is seen too).
ARRAY = -1


class NotAnObject(Exception):
    pass


def top_level(stream):
    """Yields (key, index, value) for each item of each top-level array (index 0, 1, …, after (key, ARRAY, None)
    as the array starts) and (key, None, value) for any other top-level value. Raises NotAnObject when the
    document is not a JSON object."""
    parser = ijson.parse(stream, use_float=False)
    try:
        _prefix, event, _value = next(parser)
    except StopIteration:
        return
    if event != "start_map":
        raise NotAnObject
    key = None
    for prefix, event, value in parser:
        if prefix == "" and event == "map_key":
            key = value
        elif prefix == "" and event == "end_map":
            return
        elif event == "start_array":
            yield key, ARRAY, None
            for index in itertools.count():
                _p, item_event, item_value = next(parser)
                if item_event == "end_array":
                    break
                yield key, index, built(parser, item_event, item_value)
        else:
            yield key, None, built(parser, event, value)


def built(parser, event, value):
    """The value that starts with (event, value), reading the rest of it from ``parser``."""
    if event not in ("start_map", "start_array"):
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _prefix, event, value in parser:
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                break
    return builder.value


def items(stream, key):
    """The items of the top-level array ``key``, parsed in C."""
    return ijson.items(stream, f"{key}.item", use_float=False)


def syntax_error_text(path, error):
    """“line 3, column 5: Expecting ',' delimiter” for a file small enough to read whole, else ijson's message."""
    if path.stat().st_size <= LINE_COLUMN_LIMIT:
        try:
            json.loads(path.read_bytes())
        except json.JSONDecodeError as decode_error:
            return f"line {decode_error.lineno}, column {decode_error.colno}: {decode_error.msg}"
        except UnicodeDecodeError:
            return "the file is not UTF-8 text"
    return f"not valid JSON: {error}"
