"""Lines in traditional characters, as signs, labels and shops in Taiwan and Hong Kong
write them: the corpora are simplified, and without this the renders drew almost no
traditional character (the dev web images' 臉, 護, 曬, 膚 were read as look-alikes)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _simplified_to_traditional():
    import opencc  # the train extra's: OpenCC's own phrase tables, in its wheel

    return opencc.OpenCC("s2t")


def to_traditional(text: str, charset: set[str]) -> str:
    """`text` in traditional characters (OpenCC's phrase-aware s2t), each character whose
    traditional form the recogniser's charset lacks left simplified, as mixed signs are."""
    converted = _simplified_to_traditional().convert(text)
    if len(converted) != len(text):
        return text
    return "".join(new if new in charset else old for old, new in zip(text, converted))
