"""Full-text search over cases, in Chinese and in English, on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Neither engine segments Chinese, so both are given the same pre-tokenized text (``tokens``): Latin words
lowercased, and every run of Chinese characters as its overlapping bigrams (宜君县 → 宜君 君县), in order so
that their positions allow phrase queries, followed by the distinct single characters and then the distinct
trigrams of all runs (appended last, so the bigrams' positions stay as they were).

A query is tokenized the same way (``query_groups``); each group must match. A Chinese run of 1, 2 or 3
characters is one indexed token (宜, 宜君, 宜君县), answered by the index alone. A longer run is the phrase
of its bigrams (adjacency) plus each of its trigrams as a token of its own: the phrase has to be checked
against every candidate's stored tokens (on PostgreSQL, each candidate's tsvector), and the trigrams, rarer
than bigrams, let the index narrow the candidates first. A trigram also only exists within one run, so
合作 作社 (two runs whose bigrams sit side by side) is not 合作社.
"""

import re
import unicodedata

from django.db import models
from django.db.models import F, FloatField, Func
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import TRANSLATED_COLUMNS, SearchField, current_column

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
# A run of Chinese characters, or a word of letters and digits in any other script.
TOKEN = re.compile(rf"([{CJK}]+)|((?:(?![{CJK}])[^\W_])+)")
MAX_QUERY_WORDS = 32


def normalize(text):
    """Full-width letters and digits as ordinary ones (ＡＢＣ１ → abc1), lowercased."""
    return unicodedata.normalize("NFKC", text or "").lower()


def tokens(text):
    """The indexed form of ``text``: a list of tokens, ready to be joined with spaces."""
    words, characters, trigrams = [], {}, {}
    for chinese, word in TOKEN.findall(normalize(text)):
        if word:
            words.append(word)
        else:
            words.extend(ngrams(chinese, 2))
            characters.update(dict.fromkeys(chinese))
            trigrams.update(dict.fromkeys(ngrams(chinese, 3)))
    return words + list(characters) + list(trigrams)


def ngrams(run, n):
    return [run[i : i + n] for i in range(len(run) - n + 1)]


def query_words(text):
    """The query's distinct Chinese runs and words as TOKEN finds them, (run, "") or ("", word), in order, at
    most MAX_QUERY_WORDS of them."""
    return list(dict.fromkeys(TOKEN.findall(normalize(text))))[:MAX_QUERY_WORDS]


def query_groups(text):
    """The query as groups of tokens: each group must match, as a phrase (a Chinese run's bigrams in a row).
    A Chinese run of up to 3 characters is itself a token; a longer one is its bigrams' phrase and each of
    its trigrams."""
    groups = []
    for chinese, word in query_words(text):
        if word or len(chinese) <= 3:
            groups.append([word or chinese])
        else:
            groups.append(ngrams(chinese, 2))
            groups.extend([trigram] for trigram in ngrams(chinese, 3))
    return list({" ".join(group): group for group in groups}.values())


# Tokens hold only letters and digits, so quoting them needs no escaping.
def fts5_query(text):
    return " ".join('"' + " ".join(group) + '"' for group in query_groups(text))


def tsquery(text):
    return " & ".join("(" + " <-> ".join(f"'{token}'" for token in group) + ")" for group in query_groups(text))


def matches_sql(text, vendor, alias):
    """(SQL, params) of the condition that the search table, named ``alias``, matches ``text``."""
    if vendor == "postgresql":
        return f"{alias}.vector @@ to_tsquery('simple', %s)", [tsquery(text)]
    return f"{alias}.document MATCH %s", [fts5_query(text)]


def matching(text, vendor, alias):
    """(FROM item, condition, params): the search rows matching ``text`` as ``alias``, whose ``rowid`` is a
    case id, read through the full-text index (on PostgreSQL through cases_search_matches, migration 0010:
    its planner would read every stored tsvector for a word in half of all cases)."""
    if vendor == "postgresql":
        return f"cases_search_matches(to_tsquery('simple', %s)) AS {alias}", "TRUE", [tsquery(text)]
    return f"cases_search {alias}", f"{alias}.document MATCH %s", [fts5_query(text)]


def vector_column(document_column):
    """PostgreSQL keeps the tsvector in a generated column beside the text: "cases_search"."vector"."""
    return document_column.rsplit(".", 1)[0] + '."vector"'


@SearchField.register_lookup
class Matches(models.Lookup):
    """``document__matches="宜君 tea"``: the full-text match of search.py's tokens, on either engine."""

    lookup_name = "matches"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{vector_column(lhs)} @@ to_tsquery('simple', %s)", [*lhs_params, tsquery(self.rhs)]
        return f"{lhs} MATCH %s", [*lhs_params, fts5_query(self.rhs)]


class SearchRank(Func):
    """How well a case matches ``text``: higher is better on both engines."""

    output_field = FloatField()

    def __init__(self, text):
        super().__init__(F("search_document__document"))
        self.text = text

    def as_sql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        table = column.rsplit(".", 1)[0]
        if connection.vendor == "postgresql":
            return f"ts_rank({vector_column(column)}, to_tsquery('simple', %s))", [*params, tsquery(self.text)]
        # bm25() is better when lower; it reads the row the MATCH of the same query found.
        return f"-bm25({table})", params


def document(case, names=()):
    """The indexed text of a case: its own text in every language, then ``names`` (places, organizations…)."""
    fields = ["title", "summary", "background", "approach", "results", "lessons"]
    parts = [getattr(case, f"{field}_{column}") or "" for field in fields for column in TRANSLATED_COLUMNS]
    parts.extend(names)
    return " ".join(tokens(" ".join(parts)))


# Snippets: a passage of the case with the query's words marked


SNIPPET_FIELDS = ["summary", "background", "approach", "results", "lessons"]


def highlighter(text):
    """A regex that finds the query's words in original text, or None when the query has none."""
    terms = []
    for chinese, word in query_words(text):
        if word:
            terms.append(rf"(?<![^\W_]){re.escape(word)}(?![^\W_])")
        else:
            terms.append(re.escape(chinese))  # the whole run, not its trigrams (query_groups' extra groups)
    if not terms:
        return None
    return re.compile("|".join(sorted(terms, key=len, reverse=True)), re.IGNORECASE)


def snippet(case, pattern, width=160):
    """About ``width`` characters of the case around the first match, escaped, matches in <mark>; "" if none."""
    if pattern is None:
        return ""
    current = current_column()
    columns = [current] + [column for column in TRANSLATED_COLUMNS if column != current]
    for column in columns:
        for field in SNIPPET_FIELDS:
            text = getattr(case, f"{field}_{column}") or ""
            found = pattern.search(text)
            if found:
                return mark(passage(text, found.start(), width), pattern)
    return ""


def passage(text, position, width):
    start = max(0, position - width // 3)
    end = min(len(text), start + width)
    excerpt = " ".join(text[start:end].split())
    return ("…" if start else "") + excerpt + ("…" if end < len(text) else "")


def mark(text, pattern):
    """Escape everything, mark the matches: no text from a case ever reaches the page as HTML."""
    pieces, last = [], 0
    for found in pattern.finditer(text):
        pieces.append(escape(text[last : found.start()]))
        pieces.append(f"<mark>{escape(found.group())}</mark>")
        last = found.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308 (every piece escaped just above)
