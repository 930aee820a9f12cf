"""How the back office matches people's names and free text, on both databases.

- **Names** (`name_matches`): every word of the query must be found in the column, in any
  order and letter case: on PostgreSQL as the start of one of its words (full text, the
  `simple` configuration over the name with ё as е, GIN-indexed: `*_fts`, migration 0029), on
  SQLite as a part (LIKE, Cyrillic case folded through py_casefold). Each word is also tried
  - transliterated from Latin to Cyrillic (`to_cyrillic`, the table below): "Petrov" finds
    "Петров", "Kuznetsova" finds "Кузнецова";
  - without a Russian feminine or case ending ("Петрова" finds "Петров"; "Петров" finds
    "Петрова" as it starts it);
  - with "е" and "ё" as one letter ("Федоров" finds "Фёдоров");
  A name with a typo is found by `similar_name` (PostgreSQL: pg_trgm word similarity, the
  trigram index), which the header search asks when no contract's name matches ("Сергевич"
  finds "Сергеевич").
- **Free text** (`text_matches`, ticket subjects and messages): PostgreSQL full-text search with
  the `russian` configuration, which stems Cyrillic words with the Russian Snowball stemmer and
  Latin words with the English one ("роутера" finds "роутер", "modems" finds "modem"), answered
  by a GIN index on `to_tsvector('russian', column)`; SQLite: every word of the query without
  its Russian ending (`stem`) as a part of the text, in any letter case.
- **A SIM's numbers** (`sim_number_part`): a part of the number, ICCID or IMSI, answered on
  PostgreSQL by one trigram index over the three (`ix_sim_numbers_trgm`, migration 0037),
  the exact condition checked on the rows it finds; SQLite scans.

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

from sqlalchemy import (
    Select,
    String,
    and_,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import Boolean

from paysim_app.core.bulk import any_id
from paysim_app.core.listing import PART_INDEXES, casefold, escape_like
from paysim_app.core.lookups import looked_up, sharing

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


def has_latin(text: str) -> bool:
    """Latin letters in `text`: a name typed so is also looked for transliterated, a pattern
    PostgreSQL has no statistics for (it may then plan a scan of every name; see among)."""
    return re.search(r"[A-Za-z]", text) is not None


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
    return "%" + re.sub("[её]", "_", escape_like(part)) + "%"


def _letters(part: str) -> str:
    return re.sub(r"[\W_]", "", part)


def _prefix_term(part: str) -> str:
    """To_tsquery terms of one spelling: its runs of letters and digits (nothing of tsquery's
    syntax gets through; "связь-плюс" is "связь:* & плюс:*", as the parser splits the name),
    ё as е (the index folds it too), each a prefix."""
    parts = re.split(r"[\W_]+", part.replace("ё", "е"))
    return "(" + " & ".join(p + ":*" for p in parts if p) + ")"


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


class name_words(FunctionElement):  # noqa: N801 - a SQL construct's name
    """Arguments: the column, a to_tsquery text of word prefixes, the fallback. PostgreSQL:
    `to_tsvector('simple', translate(column, 'Ёё', 'Ее')) @@ to_tsquery('simple', q)`, the
    expression of the column's GIN index (`*_fts`, migration 0029): an exact index answer, no
    per-row recheck of a pattern; elsewhere the fallback (LIKE on word starts)."""

    type = Boolean()
    inherit_cache = True


@compiles(name_words)
def _name_words_default(element, compiler, **kw):
    return f"({compiler.process(list(element.clauses)[2], **kw)})"


@compiles(name_words, "postgresql")
def _name_words_pg(element, compiler, **kw):
    column, query, _fallback = list(element.clauses)
    simple = literal_column("'simple'::regconfig")
    folded = func.translate(column, literal_column("'Ёё'"), literal_column("'Ее'"))
    vector = func.to_tsvector(simple, folded)
    return compiler.process(
        vector.op("@@", is_comparison=True)(func.to_tsquery(simple, query)), **kw
    )


def _name_words_of(column: ColumnElement, per_word: list[list[str]]) -> ColumnElement:
    """name_words for these words' variants: every word, one of its variants."""
    query = " & ".join(
        "(" + " | ".join(dict.fromkeys(_prefix_term(v) for v in variants)) + ")"
        for variants in per_word
    )
    fallback = and_(
        *[
            or_(*[casefold(column).ilike(_pattern(v), escape="\\") for v in variants])
            for variants in per_word
        ]
    )
    return name_words(column, literal(query, String()), fallback)


def name_matches(column: ColumnElement, text: str) -> ColumnElement:
    """Every word of `text` in `column` (a person's or company's name), in any order and letter
    case, also transliterated, without its ending, е = ё: on PostgreSQL as the start of a word
    (full text, indexed), on SQLite as a part. No words: nothing."""
    found = [w for w in words(text) if len(_letters(w)) >= 2]
    per_word = [[v for v in name_variants(w) if len(_letters(v)) >= 2] for w in found]
    if not per_word or not all(per_word):
        return false()
    return _name_words_of(column, per_word)


class _name_part(FunctionElement):  # noqa: N801 - a SQL construct's name
    """Arguments: the column, a LIKE pattern (`_pattern`), a regular expression (`_regex`) of the
    same part. PostgreSQL: `column ~* regex`, е/ё as the class [её], which the column's trigram
    index answers: the LIKE pattern's `_` for е/ё split a transliterated word ("speedtest" ->
    "%сп__дт_ст%") into pieces shorter than a trigram, and the index could no longer be used
    (a scan of every contract: 100 ms at 100,000, 1 s at a million). Elsewhere the LIKE."""

    type = Boolean()
    inherit_cache = True


@compiles(_name_part)
def _name_part_default(element, compiler, **kw):
    column, like, _regex = list(element.clauses)
    return compiler.process(casefold(column).ilike(like, escape="\\"), **kw)


@compiles(_name_part, "postgresql")
def _name_part_pg(element, compiler, **kw):
    column, _like, regex = list(element.clauses)
    return compiler.process(column.op("~*", is_comparison=True)(regex), **kw)


def _regex(part: str) -> str:
    """`part` as a regular expression of PostgreSQL (every character but letters and digits
    escaped) with е and ё matching either."""
    escaped = re.sub(r"([^\w])", r"\\\1", part)
    return re.sub("[её]", "[её]", escaped)


def name_part(column: ColumnElement, part: str) -> ColumnElement:
    """`part` anywhere in `column`, in any letter case, е = ё (see `_name_part`)."""
    return _name_part(column, literal(_pattern(part), String()), literal(_regex(part), String()))


def name_parts(column: ColumnElement, text: str) -> ColumnElement:
    """Every word of `text` as a part of `column` in any letter case (also transliterated,
    without its ending, е = ё): `ILIKE '%part%'`, answered by the column's trigram index on
    PostgreSQL. For a name lookup the planner joins into a big list (the SIM list's "newest
    first" walk): its estimates of a trigram pattern are good, where a prefix query it has no
    statistics for can make it scan the people table computing each name's to_tsvector."""
    per_word = [[v for v in name_variants(w) if len(_letters(v)) >= 2] for w in words(text)]
    per_word = [variants for variants in per_word if variants]
    if not per_word:
        return false()
    return and_(*[or_(*[name_part(column, v) for v in variants]) for variants in per_word])


def similar_name(column: ColumnElement, text: str) -> ColumnElement:
    """PostgreSQL: every word of `text` (4+ letters; a Latin one also in Cyrillic) is like a
    word of `column` by pg_trgm's word similarity (`column %> word`, 0.6 by default: a letter
    missing, doubled or wrong in a long word), answered by the column's trigram index; false
    elsewhere. For names a search did not find (overview.search's "similar names")."""
    clauses = []
    for word in words(text):
        if len(_letters(word)) < 4:
            continue
        spellings = dict.fromkeys(x for x in (word.casefold(), to_cyrillic(word)) if x)
        clauses.append(or_(*[word_similar(column, literal(x, String())) for x in spellings]))
    return and_(*clauses) if clauses else false()


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


class in_ids(ColumnElement):  # noqa: N801 - a SQL construct's name
    """`column IN (ids)` for a SELECT of ids; on PostgreSQL `column = ANY(ARRAY(ids))`: the ids
    are looked up once, by the subquery's own best plan (the name's index), then the column's
    index is probed with them. Written as IN, PostgreSQL may turn a name lookup inside a
    LIMITed list into a scan of the whole people table hoping to meet a match early (for a
    name nobody has, every row's to_tsvector: most of a second on 100 000 contracts)."""

    type = Boolean()
    inherit_cache = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement, ids: Select) -> None:
        self.column, self.ids = column, ids


@compiles(in_ids)
def _in_ids_default(element, compiler, **kw):
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(in_ids, "postgresql")
def _in_ids_pg(element, compiler, **kw):
    column = compiler.process(element.column, **kw)
    return f"({column} = ANY(ARRAY({compiler.process(element.ids.scalar_subquery(), **kw)})))"


INDEXED_TAIL = 9  # digits of a typed part of a SIM's number looked up in the trigram index


def among(column: ColumnElement, ids: Select, key: tuple, *, share: bool = True) -> ColumnElement:
    """`column IN (ids)`; inside looked_up_once (and `share`) the ids are read once per `key`
    (what they depend on, e.g. ("names", text)) and, when few, carried as a list."""
    carried = _carried(column, ids, key) if share else None
    return column.in_(ids.scalar_subquery()) if carried is None else carried


def _carried(column: ColumnElement, ids: Select, key: tuple) -> ColumnElement | None:
    """`column = ANY(the ids)` when looked_up_once has read them (once per `key`) and they are
    few (core.lookups.LOOKUP_CAP); None outside it or past the cap."""
    found = looked_up(key, ids)
    return None if found is None else any_id(column, found)


def among_or_itself(
    column: ColumnElement, ids: Select, key: tuple, condition: ColumnElement
) -> ColumnElement:
    """`column IN (ids)` where `ids` selects the keys of `column`'s own table that meet
    `condition` (a text in Latin letters over a contract's name, number, e-mail, document).
    Outside looked_up_once the ids are looked up on their own (in_ids: a word nobody has,
    estimated at 0.5 % of the rows, was read as a scan of every contract under a list's LIMIT).
    Inside it they are read once per `key` and carried when at most LOOKUP_CAP; past that the
    word is common (a Latin "Petrova" is also every Петровна and Петрович: 154 000 of a million
    contracts, 130 ms as ids) and the condition itself is the cheaper plan: the list's LIMIT
    meets its matches early, and the planner's estimate for a word that common is sound."""
    if not sharing():
        return in_ids(column, ids)
    carried = _carried(column, ids, key)
    return condition if carried is None else carried


def among_holders(column: ColumnElement, ids: Select, key: tuple) -> ColumnElement:
    """`column IN (ids)` for the ids of people found by a name (a contract's holder), where
    `column` is a reference to them that only some people have (a ticket's subscriber).
    Inside looked_up_once (PostgreSQL) the ids are read once per `key` and carried when at most
    LOOKUP_CAP; past it (a common surname: ~34 000 of a million contracts, each a heap read,
    90-110 ms) only the people that `column` refers to are looked up, and the planner reads the
    smaller side, the name's index or those people by their key (without merge joins: see
    core.listing.planned). Outside it, the ids are looked up on their own (in_ids)."""
    if not sharing():
        return in_ids(column, ids)
    carried = _carried(column, ids, key)
    if carried is not None:
        return carried
    referred = column.table.alias("referred")
    return in_ids(column, ids.where(ids.selected_columns[0].in_(select(referred.c[column.key]))))


class _numbers_part(FunctionElement):  # noqa: N801 - a SQL construct's name
    """Arguments: a SIM's msisdn, iccid and imsi, a LIKE pattern, the exact match. PostgreSQL:
    `(msisdn || ' ' || iccid || ' ' || imsi) LIKE pattern AND (match)`, the first term the
    expression of the SIM's trigram index (written out here, never a bound parameter, so the
    planner recognises it); elsewhere the match alone."""

    type = Boolean()
    inherit_cache = True


@compiles(_numbers_part)
def _numbers_part_default(element, compiler, **kw):
    return f"({compiler.process(list(element.clauses)[4], **kw)})"


@compiles(_numbers_part, "postgresql")
def _numbers_part_pg(element, compiler, **kw):
    msisdn, iccid, imsi, pattern, match = (compiler.process(c, **kw) for c in element.clauses)
    numbers = f"{msisdn} || ' ' || {iccid} || ' ' || {imsi}"
    return f"(({numbers}) LIKE {pattern} AND ({match}))"


def sim_number_part(sim, part: str, match: ColumnElement) -> ColumnElement:
    """`match`, a condition on the numbers of `sim` (the Sim model or an alias of it) that only
    rows holding the digits `part` in their number, ICCID or IMSI meet, found on PostgreSQL
    through the one trigram index over the three (`ix_sim_numbers_trgm`): its candidates are
    the rows whose numbers hold `part`, and `match` is checked on each of them.

    Why one index: three trigram indexes (one per number) were most of what a new SIM cost to
    write (bench/README.md, "One index for a SIM's numbers"), and a typed part of a number is
    looked for in all three anyway."""
    # the index is asked for the part's tail only: every row holding the part holds its tail,
    # and a number's last digits are its rarest (an ICCID or IMSI starts with the operator's
    # codes, in every SIM): a whole IMSI's 13 trigrams read posting lists of every row, 60-100
    # ms on a million SIMs, its last 9 digits 10 ms
    tail = part[-INDEXED_TAIL:]
    pattern = literal(f"%{escape_like(tail)}%", String())
    # inside looked_up_once: the SIMs holding the tail, looked up once; a shorter part is in
    # too many SIMs to carry (at 10M, five digits are in ~4 000)
    if sharing() and len(tail) >= 6:
        candidates = select(sim.id).where(
            _numbers_part(sim.msisdn, sim.iccid, sim.imsi, pattern, true())
        )
        carried = _carried(sim.id, candidates, ("sim numbers", tail))
        if carried is not None:
            return and_(carried, match)
    return _numbers_part(sim.msisdn, sim.iccid, sim.imsi, pattern, match)


def _sim_column_part(column, part: str, clause: ColumnElement) -> ColumnElement:
    """An advanced search's "contains" / "starts with" on one of the SIM's numbers (core.listing
    PART_INDEXES): the candidates from the numbers' index, the condition checked on them."""
    return sim_number_part(column.table.c, part, clause)


for _number in ("msisdn", "iccid", "imsi"):
    PART_INDEXES[("sim", _number)] = _sim_column_part
