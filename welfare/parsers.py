"""The API's JSON parser (REST_FRAMEWORK DEFAULT_PARSER_CLASSES): DRF's, refusing bodies nested
deeper than API_JSON_MAX_DEPTH with a 400 before parsing them.

Python's json module recurses once per level: `[[[[…]]]]` 100,000 deep ends in RecursionError,
which DRF does not catch (a 500, even at the unauthenticated token endpoint). No request of this
API nests more than four levels, so anything past the limit (32 by default) is refused outright;
a RecursionError that still happens (a limit set too high) is refused the same way."""

from __future__ import annotations

import re
from itertools import accumulate

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

DEFAULT_MAX_DEPTH = 32

# A JSON string (escapes included): brackets inside strings do not nest anything.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_max_depth() -> int:
    return int(getattr(settings, "API_JSON_MAX_DEPTH", DEFAULT_MAX_DEPTH))


def json_depth(text: str) -> int:
    """How deeply `text` nests arrays and objects (`[]` is 1, `{"a": [1]}` is 2), counted without
    parsing it: strings removed, then a running sum over the brackets left (C loops only)."""
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def too_deep_error(limit: int) -> ParseError:
    return ParseError(_("The JSON body is nested too deeply (more than %(limit)s levels).") % {"limit": limit})


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser with a nesting limit checked before parsing."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})  # text codecs only (no bz2_codec bombs)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding) if isinstance(raw, bytes) else raw
        except UnicodeDecodeError:
            raise ParseError(_("The request body is not valid %(encoding)s text.") % {"encoding": encoding}) from None
        limit = json_max_depth()
        if json_depth(text) > limit:
            raise too_deep_error(limit)
        parse_constant = json.strict_constant if self.strict else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except RecursionError:
            raise too_deep_error(limit) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
