"""Plain words for the demo model: which of the assistant's functions a message asks for, and
the argument values it gives in passing ("What's the weather like in Oslo today?" calls
get_weather with {"city": "Oslo"}).

Scripted, not understood. Words are compared as the search index compares them
(engine.files.text.terms: lower case, accents folded, stop words dropped, a light stemmer), so
"weathers" finds get_weather and "ordered" finds order_status. A function is asked for when the
message holds a distinctive word of its name (split on _, - and capitals; "get", "fetch"… do not
count), or two words of its description and parameter names. Greetings and chat ("hello",
"thanks", "please") never count.

Values are read from the words around them: a capitalised place after "in", "at", "for"…; a
number next to the parameter's own word ("for 3 days"); a quoted string; an order id ("order
12345", "#A-991"); an e-mail address; an ISO date; an enum value said in the message. Each
candidate is kept only if the parameter's schema accepts it (schema_values.read_value, whose
patterns run on the bounded engine).

Bounded: only the first MAX_TEXT characters of a message are read, token by token (regular
expressions run on single tokens only), and at most MAX_FUNCTIONS functions and
MAX_PROPERTIES parameters of each are considered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.files.text import STOPWORDS, terms

from .schema_values import read_value, resolve

MAX_TEXT = 4000  # characters of a message read for plain words
MAX_FUNCTIONS = 128  # the API's limit on an assistant's tools
MAX_PROPERTIES = 64  # parameters of one function looked at
MAX_DESCRIPTION = 1000  # characters of a description read
MAX_QUOTED = 500  # characters of one quoted string
MAX_QUERY = 200  # characters of a query made from the message's words


def _terms_of(words: str) -> frozenset[str]:
    return frozenset(terms(words))


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Function-name words that say nothing about what the function is for.
GENERIC = _terms_of(
    "get set fetch retrieve retrieves lookup look find query check show list read load do run "
    "call handle process make api func function tool tools info data current by"
)
# Words of chat, greetings and descriptions' boilerplate: never a reason to call a function.
SMALL_TALK = _terms_of(
    "hello hi hey hiya howdy yo greetings morning afternoon evening good thanks thank thx "
    "ty cheers bye goodbye welcome ok okay yes yeah yep nope sure great nice cool fine well "
    "please pls lol"
)
FILLER = SMALL_TALK | _terms_of(
    "like want need tell know let help can may might must shall give much many thing things "
    "something anything everything someone anyone user users given specified return returns "
    "value values example option optional provide provided require required parameter string "
    "integer object array boolean field format default true false null use used using e.g "
    "etc also get"
)
# Name words that do something: a function doing one the message does not ask for loses to
# one that does not ("where is my order" asks for order_status, not cancel_order).
ACTIONS = _terms_of(
    "cancel delete remove send create update book pay refund buy purchase reset close "
    "submit post publish transfer charge revoke disable"
)
LOCATION = _terms_of(
    "city location place town country region destination origin address where state area "
    "village locality"
)
ID_WORDS = _terms_of(
    "id ids number num no code ref reference sku ticket order invoice booking reservation "
    "tracking confirmation case account shipment package parcel transaction payment"
)
QUERY_WORDS = _terms_of("query q search keyword keywords term terms topic question prompt")
TEXT_WORDS = _terms_of(
    "text message title subject body note comment content name description summary reason label"
)
_PREPOSITIONS = _set("in at near from to for around into via toward towards")
_CONNECTORS = _set("de da del do dos das di la le les los las upon am an sur van von of")
_NOT_PLACE = (
    STOPWORDS
    | _set(
        """i monday tuesday wednesday thursday friday saturday sunday january february march
        april may june july august september october november december today tomorrow tonight
        yesterday now morning afternoon evening night week weekend month year general total
        time advance case order stock"""
    )
    | _set("hello hi hey thanks thank please ok okay yes no")
)
_ID_KEYWORDS = _set(
    """order orders id no number ref reference ticket invoice booking reservation tracking
    confirmation case account sku shipment package parcel transaction payment"""
)
_EDGE = "\"'\u201c\u201d\u2018\u2019()[]{}<>.,;:!?*"
_CLAUSE_END = tuple(".,;:!?")
_CLOSERS = "\"'\u201d\u2019)]"  # after a word, before the punctuation that ends its clause
_NUMBER = re.compile(r"[-+]?\d{1,15}(?:\.\d{1,10})?")
_GROUPED = re.compile(r"\d{1,3}(?:,\d{3}){1,4}(?:\.\d{1,10})?")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_/-]{0,39}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_OPEN_QUOTES = {'"': '"', "\u201c": "\u201d", "'": "'", "\u2018": "\u2019"}


# -- the words of a message ------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    index: int
    raw: str  # as written, without the punctuation around it
    lower: str
    terms: tuple[str, ...]
    starts_sentence: bool
    ends_clause: bool
    plain: bool  # a word, not an identifier, a key=value pair, an address or an id


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    text = text[:MAX_TEXT]
    previous_end, sentence = 0, True
    for match in re.finditer(r"\S+", text):
        written = match.group()
        if "\n" in text[previous_end : match.start()]:
            sentence = True
        previous_end = match.end()
        raw = written.strip(_EDGE)
        for suffix in ("'s", "\u2019s"):
            if raw.endswith(suffix) and len(raw) > 2:
                raw = raw[: -len(suffix)]
        plain = bool(raw) and not any(mark in raw for mark in "_=@#/") and not raw[0].isdigit()
        found.append(
            Token(
                index=len(found),
                raw=raw,
                lower=raw.lower(),
                terms=tuple(t for t in terms(raw) if len(t) > 1) if plain else (),
                starts_sentence=sentence,
                ends_clause=written.rstrip(_CLOSERS).endswith(_CLAUSE_END),
                plain=plain,
            )
        )
        sentence = written.rstrip(_CLOSERS).endswith((".", "!", "?"))
    return found


def content_terms(text: str) -> list[str]:
    """The message's words that could ask for something, in order (no chat, no stop words)."""
    seen: dict[str, None] = {}
    for token in tokens(text):
        for term in token.terms:
            if term not in FILLER:
                seen.setdefault(term, None)
    return list(seen)


def small_talk(text: str) -> str | None:
    """ "hello", "thanks" or "bye" when the message only greets, thanks or says goodbye (or
    asks nothing at all: "How are you?"); None when it says something to act on."""
    if not text.strip():
        return None
    words = [t for t in terms(text[:MAX_TEXT]) if len(t) > 1]
    if any(word not in SMALL_TALK for word in words):
        return None
    if any(word in _terms_of("thanks thank thx ty cheers") for word in words):
        return "thanks"
    if any(word in _terms_of("bye goodbye") for word in words):
        return "bye"
    return "hello"


def same(a: str, b: str) -> bool:
    """Two terms for one word: equal, or one a short extension of the other when both are
    long ("octopus"/"octopuse", "visualize"/"visualiz")."""
    if a == b:
        return True
    if min(len(a), len(b)) < 5 or abs(len(a) - len(b)) > 2:
        return False
    return a.startswith(b) or b.startswith(a)


class Words:
    """A set of terms that also finds a term's long look-alikes (see `same`) without comparing
    it with every member."""

    def __init__(self, members: set[str] | frozenset[str] | list[str]) -> None:
        self.members = frozenset(members)
        self.by_prefix: dict[str, list[str]] = {}
        for member in self.members:
            if len(member) >= 5:
                self.by_prefix.setdefault(member[:5], []).append(member)

    def __contains__(self, term: str) -> bool:
        return term in self.members or (
            len(term) >= 5 and any(same(term, m) for m in self.by_prefix.get(term[:5], ()))
        )

    def __bool__(self) -> bool:
        return bool(self.members)


# -- which function ----------------------------------------------------------------------------


def name_terms(identifier: str) -> list[str]:
    """The words of a name: get_current_weather, getCurrentWeather, get-current-weather."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", identifier[:200])
    return [t for t in terms(spaced.replace("_", " ").replace("-", " ")) if len(t) > 1]


@dataclass(frozen=True)
class Vocabulary:
    name: Words  # distinctive words of the function's name
    other: Words  # words of its description and its parameters' names


def _properties(parameters: Any) -> dict[str, Any]:
    if not isinstance(parameters, dict):
        return {}
    properties = resolve(parameters, parameters).get("properties")
    if not isinstance(properties, dict):
        return {}
    return dict(list(properties.items())[:MAX_PROPERTIES])


def vocabulary(name: str, spec: dict[str, Any]) -> Vocabulary:
    words = name_terms(name)
    distinctive = [w for w in words if w not in GENERIC and w not in FILLER] or [
        w for w in words if w not in FILLER
    ]
    description = spec.get("description")
    other = set(terms(description[:MAX_DESCRIPTION])) if isinstance(description, str) else set()
    for parameter in _properties(spec.get("parameters")):
        other.update(name_terms(str(parameter)))
    other = {w for w in other if len(w) > 1 and w not in GENERIC and w not in FILLER}
    return Vocabulary(Words(distinctive), Words(other))


@dataclass
class Match:
    name: str
    score: int
    order: int
    name_hits: frozenset[str] = field(default_factory=frozenset)


def choose(text: str, functions: dict[str, dict[str, Any]], parallel: bool) -> list[str]:
    """The functions a message asks for in plain words, best first: a word of a function's
    name, or two words of its description and parameters. With parallel calls, another
    function joins only for a word of its name no chosen function has ("the weather and the
    time"), so "cancel" is not called for "where is my order" next to order_status."""
    words = content_terms(text)
    if not words:
        return []
    matches = []
    for order, (name, spec) in enumerate(list(functions.items())[:MAX_FUNCTIONS]):
        known = vocabulary(name, spec)
        name_hits = frozenset(w for w in words if w in known.name)
        other_hits = {w for w in words if w not in name_hits and w in known.other}
        if name_hits or len(other_hits) >= 2:
            unasked = [w for w in known.name.members if w in ACTIONS and w not in name_hits]
            score = 3 * len(name_hits) + len(other_hits) - len(unasked)
            matches.append(Match(name, score, order, name_hits))
    matches.sort(key=lambda m: (-m.score, m.order))
    chosen: list[str] = []
    covered: set[str] = set()
    for match in matches:
        if not chosen or (parallel and match.name_hits and not match.name_hits <= covered):
            chosen.append(match.name)
            covered |= match.name_hits
        if not parallel:
            break
    return chosen


# -- values said in passing ------------------------------------------------------------------


@dataclass
class Facts:
    """What a message says that could be an argument, each in order of appearance."""

    tokens: list[Token]
    quoted: list[tuple[int, str]] = field(default_factory=list)  # (character position, text)
    places: list[tuple[int, str]] = field(default_factory=list)  # (token index, place)
    guessed_places: list[tuple[int, str]] = field(default_factory=list)  # lower case, weaker
    numbers: list[tuple[int, str]] = field(default_factory=list)
    ids: list[tuple[int, str]] = field(default_factory=list)
    emails: list[tuple[int, str]] = field(default_factory=list)
    dates: list[tuple[int, str]] = field(default_factory=list)


def _quoted(text: str) -> list[tuple[int, str]]:
    found = []
    position, end = 0, len(text)
    while position < end:
        opening = text[position]
        closing = _OPEN_QUOTES.get(opening)
        before = text[:position].rstrip()[-1:]
        if (
            closing is None
            or before in ("=", ":")
            or (opening == "'" and position > 0 and not text[position - 1].isspace())
        ):
            position += 1
            continue
        stop = text.find(closing, position + 1, position + MAX_QUOTED + 2)
        if stop > position + 1:
            found.append((position, text[position + 1 : stop].strip()))
            position = stop + 1
        else:
            position += 1
    return [(p, q) for p, q in found if q]


def _capitalised(token: Token) -> bool:
    return (
        token.plain
        and token.raw[:1].isupper()
        and token.raw.replace("-", "").replace(".", "").isalpha()
        and token.lower not in _NOT_PLACE
    )


def _place_from(found: list[Token], start: int) -> tuple[int, str]:
    """The capitalised words starting at `start` ("New York", "Rio de Janeiro")."""
    words, position = [found[start].raw], start
    while not found[position].ends_clause and position + 1 < len(found):
        following = found[position + 1]
        if _capitalised(following):
            words.append(following.raw)
            position += 1
        elif (
            following.lower in _CONNECTORS
            and position + 2 < len(found)
            and not following.ends_clause
            and _capitalised(found[position + 2])
        ):
            words += [following.raw, found[position + 2].raw]
            position += 2
        else:
            break
    return position, " ".join(words)


def _places(found: list[Token]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    places, guessed = [], []
    index = 0
    while index < len(found):
        token = found[index]
        after_preposition = (
            index > 0
            and found[index - 1].lower in _PREPOSITIONS
            and not found[index - 1].ends_clause
        )
        if _capitalised(token) and (after_preposition or not token.starts_sentence):
            last, place = _place_from(found, index)
            places.append((index, place))
            index = last + 1
            continue
        if after_preposition and token.plain and token.raw.isalpha() and token.raw.islower():
            words = []
            for following in found[index : index + 3]:
                if not following.raw.isalpha() or following.lower in _NOT_PLACE:
                    break
                if following.lower in FILLER or set(following.terms) & FILLER:
                    break
                words.append(following.raw)
                if following.ends_clause:
                    break
            if words and len(words[0]) >= 3:
                guessed.append((index, " ".join(w.capitalize() for w in words)))
        index += 1
    return places, guessed


def facts(text: str) -> Facts:
    text = text[:MAX_TEXT]
    found = tokens(text)
    result = Facts(tokens=found, quoted=_quoted(text))
    result.places, result.guessed_places = _places(found)
    for token in found:
        raw = token.raw
        previous = found[token.index - 1].lower if token.index else ""
        if len(raw) > 254:
            continue
        if _EMAIL.fullmatch(raw):
            result.emails.append((token.index, raw))
        elif _DATE.fullmatch(raw):
            result.dates.append((token.index, raw))
        elif raw.startswith("#") and _ID.fullmatch(raw[1:]) and any(c.isdigit() for c in raw):
            result.ids.append((token.index, raw[1:]))
        elif previous in _ID_KEYWORDS and _ID.fullmatch(raw) and any(c.isdigit() for c in raw):
            result.ids.append((token.index, raw))
        elif (number := raw.lstrip("$€£").rstrip("%")) and (
            _NUMBER.fullmatch(number) or _GROUPED.fullmatch(number)
        ):
            result.numbers.append((token.index, number.replace(",", "")))
        elif (
            _ID.fullmatch(raw)
            and any(c.isalpha() for c in raw)
            and ("-" in raw or sum(c.isdigit() for c in raw) >= 3)
            and any(c.isdigit() for c in raw)
        ):
            result.ids.append((token.index, raw))
    return result


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return {declared}
    if isinstance(declared, list):
        return {t for t in declared if isinstance(t, str)}
    return set()


@dataclass
class _Filler:
    """Hands each fact to at most one parameter."""

    facts: Facts
    root: dict[str, Any]
    used: set[tuple[str, int]] = field(default_factory=set)

    def first(self, kind: str, found: list[tuple[int, str]], schema: Any) -> tuple[bool, Any]:
        for key, raw in found:
            if (kind, key) in self.used:
                continue
            ok, value = read_value(raw, schema, self.root)
            if ok:
                self.used.add((kind, key))
                return True, value
        return False, None


def _id_like(words: set[str], types: set[str]) -> bool:
    """order_id, ticket, invoice_number (but not number_of_guests, an integer: a count)."""
    return bool(words & ID_WORDS) and (not types & {"integer", "number"} or "id" in words)


def _next_to(found: Facts, index: int, words: Words) -> bool:
    """Whether the token before or after `index` is one of `words` ("3 days", "days 3")."""
    for neighbour in (index - 1, index + 1):
        if 0 <= neighbour < len(found.tokens) and any(
            t in words for t in found.tokens[neighbour].terms
        ):
            return True
    return False


def _enum_said(found: Facts, enum: list[Any]) -> list[tuple[int, str]]:
    said = []
    for value in enum[:100]:
        if not isinstance(value, str) or not value or len(value) > 60:
            continue
        wanted = value.lower()
        value_terms = [t for t in terms(value) if len(t) > 1]
        for token in found.tokens:
            if token.lower == wanted or (
                len(value_terms) == 1 and value_terms == list(token.terms)
            ):
                said.append((token.index, value))
                break
    return sorted(said)


def _query(found: Facts, ignore: Words, used: set[tuple[str, int]]) -> str:
    taken = {index for kind, index in used if kind in ("place", "enum")}
    words = [
        token.raw
        for token in found.tokens
        if token.terms
        and token.index not in taken
        and not any(t in FILLER or t in ignore for t in token.terms)
    ]
    return " ".join(words)[:MAX_QUERY].strip()


def guesses(parameters: Any, text: str, function_words: Words | None = None) -> dict[str, Any]:
    """Argument values `text` gives in passing, by parameter name; each valid for its schema.
    Optional parameters get one only on a clear sign (their own word next to a number, an
    enum value said, an address…); required ones also take the first place, number or quoted
    string left."""
    root = parameters if isinstance(parameters, dict) else {}
    properties = _properties(root)
    if not properties:
        return {}
    schema = resolve(root, root)
    required = {r for r in schema.get("required") or [] if isinstance(r, str)}
    found = facts(text)
    filler = _Filler(found, root)
    result: dict[str, Any] = {}
    kinds: dict[str, tuple[dict[str, Any], set[str], set[str]]] = {}
    for name, prop in properties.items():
        prop = resolve(prop, root)
        words = set(name_terms(str(name)))
        described = prop.get("description")
        hints = words | (set(terms(described[:300])) if isinstance(described, str) else set())
        kinds[name] = (prop, words, hints)

    def put(name: str, ok_value: tuple[bool, Any]) -> bool:
        if ok_value[0]:
            result[name] = ok_value[1]
        return ok_value[0]

    for name, (prop, words, hints) in kinds.items():
        types = _types(prop)
        fmt = str(prop.get("format", ""))
        if isinstance(prop.get("enum"), list):
            put(name, filler.first("enum", _enum_said(found, prop["enum"]), prop))
        elif fmt == "email" or words & {"email", "mail"}:
            put(name, filler.first("email", found.emails, prop))
        elif fmt in ("date", "date-time") or "date" in words:
            put(name, filler.first("date", found.dates, prop))
        elif _id_like(words, types) and not hints & LOCATION:
            put(name, filler.first("id", found.ids, prop))
        elif types & {"integer", "number"}:
            near = [(i, n) for i, n in found.numbers if _next_to(found, i, Words(words))]
            put(name, filler.first("number", near, prop))
        elif hints & LOCATION:
            put(name, filler.first("place", found.places, prop))
        elif words & QUERY_WORDS:
            if not put(name, filler.first("quoted", found.quoted, prop)):
                query = _query(found, function_words or Words(()), filler.used)
                if query:
                    put(name, read_value(query, prop, root))
        elif words & TEXT_WORDS and name not in required:
            put(name, filler.first("quoted", found.quoted, prop))
    for name, (prop, words, hints) in kinds.items():
        if name in result or name not in required:
            continue
        types = _types(prop)
        if _id_like(words, types) and put(name, filler.first("id", found.ids, prop)):
            continue
        if hints & LOCATION and put(name, filler.first("guess", found.guessed_places, prop)):
            continue
        if types & {"integer", "number"}:
            put(name, filler.first("number", found.numbers, prop))
        elif "string" in types and "enum" not in prop and "format" not in prop:
            put(name, filler.first("quoted", found.quoted, prop))
    return result


# -- the passage that answers ------------------------------------------------------------------

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def best_passage(question: str, results: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """(marker, file name, quote) of the search result that answers `question`: the one
    holding most of its words, and at least half of them, quoted by its sentence that holds
    most. None when no result holds enough of the question to be its answer (a passage that
    merely shares "today" with "What's the weather in Oslo today?" is not)."""
    wanted = content_terms(question)
    best: tuple[int, int] | None = None
    for position, (_, _, text) in enumerate(results[:20]):
        held = Words(terms(text[:20_000]))
        covered = sum(1 for word in wanted if word in held)
        if best is None or covered > best[0]:
            best = (covered, position)
    if best is None or (wanted and best[0] * 2 < len(wanted)):
        return None
    marker, file_name, text = results[best[1]]
    sentences = [s.strip() for s in _SENTENCE_END.split(text[:20_000]) if s.strip()]
    if wanted and sentences:
        held_by = [Words(terms(sentence)) for sentence in sentences]
        scores = [sum(1 for word in wanted if word in held) for held in held_by]
        text = sentences[scores.index(max(scores))]
    return marker, file_name, text
