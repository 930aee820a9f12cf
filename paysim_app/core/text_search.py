"""How the back office matches people's names and free text, on both databases.

- **Names** (`name_matches`): every word of the query must occur in the column, in any letter
  case. Each word is also tried
  - transliterated from Latin to Cyrillic (`to_cyrillic`, the table below): "Petrov" finds
    "Петров", "Kuznetsova" finds "Кузнецова";
  - without a Russian feminine or case ending ("Петрова" finds "Петров"; "Петров" finds
    "Петрова" as a part anyway);
  - with "е" and "ё" as one letter ("Федоров" finds "Фёдоров");
  - with `fuzzy` (the Subscribers search), on PostgreSQL also by trigram word similarity
    (`column %> word`, pg_trgm's default 0.6), which forgives a letter missing or doubled
    ("Сергевич" finds "Сергеевич").
  All of it is `ILIKE '%part%'` / `%>` on the column, which the column's GIN trigram index
  answers on PostgreSQL; SQLite scans (it folds Cyrillic letter case through py_casefold).
- **Free text** (`text_matches`, ticket subjects and messages): PostgreSQL full-text search with
  the `russian` configuration, which stems Cyrillic words with the Russian Snowball stemmer and
  Latin words with the English one ("роутера" finds "роутер", "modems" finds "modem"), answered
  by a GIN index on `to_tsvector('russian', column)`; SQLite: every word of the query without
  its Russian ending (`stem`) as a part of the text, in any letter case.

Latin to Cyrillic (longest first; a letter not listed stays as it is):

| Latin | Cyrillic | Latin | Cyrillic | Latin | Cyrillic |
|---|---|---|---|---|---|
| shch, sch | щ | zh | ж | kh, h | х |
| ts, tz | ц | ch | ч | sh | ш |
| yu, iu | ю | ya, ia | я | yo, jo | ё |
| ye | е | iy, yi, yy | ий, ый, ый | x | кс |
| i after a vowel, not before one | й | | | | |
| a b v g d e | а б в г д е | z i j k l m | з и й к л м | n o p r s t | н о п р с т |
| u f c w q y | у ф к в к ы | ' | ь | | |
"""

from __future__ import annotations

import re

from sqlalchemy import String, and_, false, func, literal, literal_column, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Boolean

from paysim_app.core.listing import casefold, escape_like

MAX_WORDS = 4  # words of a query that are matched (the rest are ignored)
TS_CONFIG = "russian"  # PostgreSQL: Russian stemming for Cyrillic words, English for Latin

_LATIN = [
    ("shch", "щ"),
    ("sch", "щ"),
    ("zh", "ж"),
    ("kh", "х"),
    ("ts", "ц"),
    ("tz", "ц"),
    ("ch", "ч"),
    ("sh", "ш"),
    ("yu", "ю"),
    ("iu", "ю"),
    ("ya", "я"),
    ("ia", "я"),
    ("yo", "ё"),
    ("jo", "ё"),
    ("ye", "е"),
    ("iy", "ий"),
    ("yi", "ый"),
    ("yy", "ый"),
    ("x", "кс"),
    ("a", "а"),
    ("b", "б"),
    ("v", "в"),
    ("g", "г"),
    ("d", "д"),
    ("e", "е"),
    ("z", "з"),
    ("i", "и"),
    ("j", "й"),
    ("k", "к"),
    ("l", "л"),
    ("m", "м"),
    ("n", "н"),
    ("o", "о"),
    ("p", "п"),
    ("r", "р"),
    ("s", "с"),
    ("t", "т"),
    ("u", "у"),
    ("f", "ф"),
    ("h", "х"),
    ("c", "к"),
    ("w", "в"),
    ("q", "к"),
    ("y", "ы"),
    ("'", "ь"),
]
_LATIN_RE = re.compile("|".join(re.escape(k) for k, _ in _LATIN))
_LATIN_MAP = dict(_LATIN)
# endings dropped from a Russian word of 5+ letters: feminine surnames and names, a few cases
_ENDINGS = (
    "ами",
    "ях",
    "ах",
    "ой",
    "ая",
    "ую",
    "ою",
    "ей",
    "ым",
    "ом",
    "а",
    "я",
    "у",
    "ю",
    "е",
    "ы",
    "и",
)
_WORD = re.compile(r"[\w'-]+")


def to_cyrillic(word: str) -> str | None:
    """A Latin word spelled in Cyrillic ("Petrov" -> "петров"); None if it has no Latin."""
    low = word.casefold()
    if not re.search(r"[a-z]", low):
        return None
    spelled = _LATIN_RE.sub(lambda m: _LATIN_MAP[m.group(0)], low)
    # "i" after a vowel and before a consonant or the end is "й": Zaitsev, Sergei, Nikolai
    return re.sub(r"(?<=[аеёоуыэюя])и(?![аеёоуыэюя])", "й", spelled)


def stem(word: str) -> str:
    """A Cyrillic word of 5+ letters without its feminine or case ending ("петрова" ->
    "петров", "термоусадки" -> "термоусадк"), in lower case; at least 4 letters are kept."""
    low = word.casefold()
    if len(low) >= 5 and re.fullmatch(r"[а-яё-]+", low):
        for ending in _ENDINGS:
            if low.endswith(ending) and len(low) - len(ending) >= 4:
                return low[: -len(ending)]
    return low


def words(text: str) -> list[str]:
    return _WORD.findall((text or "").strip())[:MAX_WORDS]


def name_variants(word: str) -> list[str]:
    """The spellings one word of a name is looked for in (lower case, distinct; one that
    contains another is left out: its part already matches wherever it would)."""
    out: list[str] = []
    for spelling in (word.casefold(), to_cyrillic(word)):
        if spelling:
            for v in (spelling, stem(spelling)):
                if v not in out:
                    out.append(v)
    return [v for v in out if not any(o != v and o in v for o in out)]


def _pattern(part: str) -> str:
    """%part% with the user's % and _ literal and е/ё matching either."""
    escaped = escape_like(part)
    return "%" + re.sub("[её]", "_", escaped) + "%"


class word_similar(FunctionElement):  # noqa: N801 - a SQL construct's name
    """column %> word on PostgreSQL (pg_trgm word similarity, GIN-indexed); false elsewhere."""

    type = Boolean()
    inherit_cache = True


@compiles(word_similar)
def _word_similar_default(element, compiler, **kw):
    return compiler.process(false(), **kw)


@compiles(word_similar, "postgresql")
def _word_similar_pg(element, compiler, **kw):
    column, word = list(element.clauses)
    return compiler.process(column.op("%>", is_comparison=True)(word), **kw)


def name_matches(column: ColumnElement, text: str, *, fuzzy: bool = False) -> ColumnElement:
    """Every word of `text` in `column` (a person's or company's name): as a part, also
    transliterated, without its ending, е = ё. `fuzzy` adds PostgreSQL's trigram word
    similarity, for the search of the people's own table only: each candidate the index gives
    costs a similarity computation, too dear inside another list's subquery. No words: matches
    nothing."""
    found = words(text)
    if not found:
        return false()
    per_word = []
    for word in found:
        variants = name_variants(word)
        clauses = [
            casefold(column).ilike(_pattern(v), escape="\\") for v in variants if len(v) >= 2
        ]
        if fuzzy and len(word) >= 4:
            spellings = dict.fromkeys(w for w in (word.casefold(), to_cyrillic(word)) if w)
            clauses += [word_similar(column, literal(w, String())) for w in spellings]
        per_word.append(or_(*clauses) if clauses else false())
    return and_(*per_word)


class text_matches(FunctionElement):  # noqa: N801 - a SQL construct's name
    """Full text. Arguments: the column, the query, and the fallback (every word as a part, any
    letter case; built by `full_text`). PostgreSQL: `to_tsvector('russian', column) @@
    plainto_tsquery('russian', query)`, the expression its GIN index is built on; elsewhere the
    fallback."""

    type = Boolean()
    inherit_cache = True


@compiles(text_matches)
def _text_matches_default(element, compiler, **kw):
    return f"({compiler.process(list(element.clauses)[2], **kw)})"


@compiles(text_matches, "postgresql")
def _text_matches_pg(element, compiler, **kw):
    column, query, _fallback = list(element.clauses)
    config = literal_column(f"'{TS_CONFIG}'::regconfig")
    vector = func.to_tsvector(config, column)
    tsquery = func.plainto_tsquery(config, query)
    return compiler.process(vector.op("@@", is_comparison=True)(tsquery), **kw)


def full_text(column: ColumnElement, text: str) -> ColumnElement:
    """Every word of `text` (at most MAX_WORDS) in `column`: stemmed full text on PostgreSQL,
    parts in any letter case elsewhere."""
    found = words(text)
    if not found:
        return false()
    # SQLite: each word without its Russian ending, as a part ("термоусадка" finds
    # "термоусадки"), the nearest a LIKE comes to PostgreSQL's stemming
    fallback = and_(
        *[casefold(column).ilike(f"%{escape_like(stem(w))}%", escape="\\") for w in found]
    )
    return text_matches(column, literal(" ".join(found), String()), fallback)
