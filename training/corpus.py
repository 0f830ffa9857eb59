"""Realistic line texts, from pinned packages only: jieba's dictionary (Chinese words with
their frequencies), wordfreq (English and Chinese word frequencies), Faker (zh_CN, zh_TW,
en_US, en_GB names, addresses, companies, phones, dates), and templates for receipt,
invoice and web/ad lines. Never anything from the eval sets.

Each generator takes a `random.Random` and returns one line; `LineTexts` mixes them by
weight (training/line_texts.py), so a seed fixes the whole stream."""

from __future__ import annotations

import bisect
import os
import random
import string
from collections.abc import Callable
from functools import lru_cache

from .corpus_words import AD_WORDS, FIRM, PLACE, RECEIPT_FIELDS, STREET, SYMBOLS, UNITS, ZH_FIELDS, ZH_PUNCT

Generator = Callable[[random.Random], str]


@lru_cache(maxsize=1)
def _jieba_words() -> tuple[list[str], list[float]]:
    import jieba

    words, cumulative, total = [], [], 0.0
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as handle:
        for line in handle:
            word, freq, *_ = line.split()
            if not all("\u4e00" <= ch <= "\u9fff" for ch in word):
                continue
            # sqrt flattens Zipf: rarer words (and so rarer characters) get seen too
            total += float(freq) ** 0.5
            words.append(word)
            cumulative.append(total)
    return words, cumulative


@lru_cache(maxsize=1)
def _english_words() -> list[str]:
    from wordfreq import top_n_list

    return [w for w in top_n_list("en", 30000) if w.isascii() and w.isalpha()]


@lru_cache(maxsize=1)
def _chinese_wordfreq() -> list[str]:
    from wordfreq import top_n_list

    return [w for w in top_n_list("zh", 30000) if all("\u4e00" <= ch <= "\u9fff" for ch in w)]


@lru_cache(maxsize=8)
def _faker(locale: str):
    from faker import Faker

    return Faker(locale)


def _fake(rng: random.Random, locale: str):
    faker = _faker(locale)
    faker.seed_instance(rng.getrandbits(32))
    return faker


def _log_uniform_rank(rng: random.Random, size: int) -> int:
    """A rank drawn log-uniformly: as often from ranks 10-100 as from 1000-10000, so a
    line is not all "the of the" yet common words stay common."""
    return min(int(size ** rng.random()) - 1, size - 1)


def _zh_word(rng: random.Random) -> str:
    words, cumulative = _jieba_words()
    return words[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


def _amount(rng: random.Random) -> str:
    value = rng.choice([rng.uniform(0, 20), rng.uniform(0, 200), rng.uniform(0, 5000), rng.uniform(0, 200000)])
    text = f"{value:,.2f}" if rng.random() < 0.3 else f"{value:.2f}"
    return text


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(1995, 2030), rng.randint(1, 12), rng.randint(1, 28)
    hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    forms = [f"{d:02d}-{m:02d}-{y}", f"{d:02d}/{m:02d}/{y % 100:02d}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}",
             f"{y}年{m}月{d}日", f"{y}.{m:02d}.{d:02d}", f"{d:02d}-{m:02d}-{y % 100:02d} {hh:02d}:{mm:02d}",
             f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}", f"{hh:02d}:{mm:02d}:{ss:02d}",
             f"{d} {rng.choice(['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'])}"
             f" {y}"]
    return rng.choice(forms)


def _code(rng: random.Random) -> str:
    length = rng.randint(3, 14)
    pool = string.digits if rng.random() < 0.6 else string.ascii_uppercase + string.digits
    core = "".join(rng.choice(pool) for _ in range(length))
    if rng.random() < 0.4:
        cut = rng.randint(1, length - 1)
        core = core[:cut] + rng.choice("-/") + core[cut:]
    return core


# --- line generators ------------------------------------------------------------


def chinese_phrase(rng: random.Random) -> str:
    words = [_zh_word(rng) for _ in range(rng.randint(1, 7))]
    if rng.random() < 0.3:
        words.insert(rng.randint(0, len(words)), rng.choice(ZH_PUNCT))
    return "".join(words)


def chinese_sentence(rng: random.Random) -> str:
    pool = _chinese_wordfreq()
    parts = []
    for _ in range(rng.randint(2, 5)):
        parts.append("".join(pool[_log_uniform_rank(rng, len(pool))] for _ in range(rng.randint(1, 4))))
    return rng.choice(["，", "、", "；", "：", ""]).join(parts) + rng.choice(["", "", "。", "！", "？"])


def chinese_identity(rng: random.Random) -> str:
    fake = _fake(rng, rng.choice(["zh_CN", "zh_CN", "zh_CN", "zh_TW"]))
    options = [
        lambda: fake.name(), lambda: fake.address(), lambda: fake.company(),
        lambda: f"{rng.choice(['联系人', '姓名', '收货人', '经办人'])}：{fake.name()}",
        lambda: f"{rng.choice(['地址', '收货地址', '公司地址', '注册地址'])}：{fake.address()}",
        lambda: f"{rng.choice(['电话', '手机', 'TEL', '联系电话'])}：{fake.phone_number()}",
        lambda: f"{fake.company()}{rng.choice(['', '（盖章）', '财务专用章'])}",
        lambda: f"{fake.city()}{fake.street_name()}{rng.randint(1, 999)}号",
        lambda: fake.job(),
    ]
    return rng.choice(options)().replace("\n", " ")


def invoice_field(rng: random.Random) -> str:
    field = rng.choice(ZH_FIELDS)
    value = rng.choice([
        lambda: _amount(rng), lambda: f"¥{_amount(rng)}", lambda: f"￥{_amount(rng)}", lambda: _date(rng),
        lambda: _code(rng), lambda: chinese_phrase(rng), lambda: f"{rng.randint(1, 99)}%",
        lambda: _fake(rng, "zh_CN").company(),
        lambda: f"{rng.randint(1, 999)}{rng.choice(['件', '个', '箱', '千克', '台', '元', '张'])}",
    ])()
    return f"{field}{rng.choice(['：', ':', ': ', ' '])}{value}"


def web_ad(rng: random.Random) -> str:
    options = [
        lambda: f"{rng.choice(AD_WORDS)}{rng.choice(['', ' ', '！', '|'])}{chinese_phrase(rng)}",
        lambda: f"{rng.choice(['¥', '￥', '到手价', '券后', '仅需'])}{rng.randint(1, 9999)}"
                f"{rng.choice(['', '.00', '.9', '.99', '元'])}",
        lambda: f"{rng.choice(['满', '每满'])}{rng.choice([99, 199, 299, 300, 500])}"
                f"{rng.choice(['减', '元减'])}{rng.choice([10, 20, 30, 50, 100])}",
        lambda: f"{chinese_phrase(rng)}{rng.choice(['', ' '])}{rng.choice(string.ascii_uppercase)}"
                f"{rng.randint(1, 999)}",
        lambda: f"{rng.choice(['月销', '已售', '评价'])}{rng.randint(1, 99999)}{rng.choice(['+', '万+', '件', '条'])}",
        lambda: f"【{rng.choice(AD_WORDS)}】{chinese_phrase(rng)}",
        lambda: f"{rng.choice(['www.', 'http://', 'https://'])}{rng.choice(_english_words()[:3000])}"
                f"{rng.choice(['.com', '.cn', '.com.cn', '.net'])}",
        lambda: f"{rng.randint(1, 9)}.{rng.randint(0, 9)}{rng.choice(['折', '折起'])}",
        lambda: f"{chinese_phrase(rng)} "
                f"{' '.join(w.capitalize() for w in rng.sample(_english_words()[:5000], rng.randint(1, 3)))}",
    ]
    return rng.choice(options)()


def receipt_line(rng: random.Random) -> str:
    words = _english_words()
    fake = _fake(rng, rng.choice(["en_US", "en_GB"]))
    upper = [w.upper() for w in rng.sample(words[:8000], 4)]
    options = [
        lambda: f"NO.{rng.randint(1, 200)}"
                f"{rng.choice(['', '&' + str(rng.randint(1, 200)), '-' + str(rng.randint(1, 9))])}, "
                f"{rng.choice(STREET)} {upper[0]}{rng.choice([',', ''])}",
        lambda: f"{rng.choice(STREET)} {upper[0]} {rng.randint(1, 30)}{rng.choice(['/', '', ','])}"
                f"{rng.choice(['', str(rng.randint(1, 9))])}{rng.choice([',', ''])}",
        lambda: f"{rng.randint(10000, 99999)} {rng.choice(PLACE)}{rng.choice([', ', ','])}{rng.choice(PLACE)}"
                f"{rng.choice(['.', '', ','])}",
        lambda: f"{upper[0]} {upper[1]} {rng.choice(FIRM)}",
        lambda: f"({rng.randint(100000, 1299999)}-{rng.choice(string.ascii_uppercase)})",
        lambda: f"{rng.choice(RECEIPT_FIELDS)}{rng.choice([' : ', ': ', ':', ' ', ' # ', '#:', ' :'])}"
                f"{rng.choice([_amount(rng), _code(rng), _date(rng), 'RM ' + _amount(rng), str(rng.randint(1, 99))])}",
        lambda: f"{upper[0]} {upper[1]}{rng.choice(['', ' ' + upper[2]])} {rng.randint(1, 99)}{rng.choice(UNITS)}",
        lambda: f"{rng.randint(1, 20)} {rng.choice(['X', 'x', '@'])} {_amount(rng)}",
        lambda: f"{_amount(rng)}{rng.choice([' SR', ' ZR', ' A', ' S', ' Z', ''])}",
        lambda: f"RM{rng.choice(['', ' '])}{_amount(rng)}",
        lambda: f"{rng.choice(RECEIPT_FIELDS)} {rng.choice(['(RM)', '(@6%)', '@6%', '(EXCL GST)', 'INCL.GST'])}",
        lambda: f"{upper[0]}{rng.choice(['&', ' & ', '/', '-', ' - '])}{upper[1]} {_code(rng)}",
        lambda: f"{rng.choice(['TEL', 'FAX', 'H/P', 'TEL NO'])}{rng.choice([':', ' : ', ': '])}"
                f"{rng.choice(['03-', '012-', '016-', '(03) '])}{rng.randint(1000000, 99999999)}",
        lambda: f"{rng.choice(['*', '**', '***', '****', '=', '-'])} "
                f"{rng.choice(['THANK YOU', 'PLEASE COME AGAIN', 'GOODS SOLD ARE NOT RETURNABLE', 'TAX INVOICE'])} "
                f"{rng.choice(['*', '**', '***', '****', '=', '-'])}",
        lambda: f"{_date(rng)} {_date(rng) if rng.random() < 0.3 else ''}{_code(rng)}".strip(),
        lambda: fake.address().replace("\n", ", ").upper(),
        lambda: fake.company().upper(),
        lambda: f"{fake.name().upper()}{rng.choice(['', ' (' + _code(rng) + ')'])}",
        lambda: f"{upper[0]} {upper[1]} {rng.randint(1, 999)}{rng.choice(['G', 'ML', 'KG', 'S', 'PCS', ''])}"
                f"{rng.choice(['*', ''])}",
    ]
    return rng.choice(options)()


def english_text(rng: random.Random) -> str:
    words = _english_words()
    picked = [words[_log_uniform_rank(rng, len(words))] for _ in range(rng.randint(1, 8))]
    text = " ".join(picked)
    style = rng.random()
    if style < 0.35:
        text = text.upper()
    elif style < 0.6:
        text = text.capitalize()
    elif style < 0.75:
        text = text.title()
    if rng.random() < 0.3:
        text += rng.choice(".,:;!?")
    if rng.random() < 0.15:
        text = f"{text} {rng.randint(1, 2024)}"
    return text


def mixed_line(rng: random.Random) -> str:
    pieces = [rng.choice([chinese_phrase, english_text, lambda r: _code(r), lambda r: _amount(r)])(rng)
              for _ in range(rng.randint(2, 3))]
    return rng.choice(["", " ", "：", "，", "/"]).join(pieces)


def symbols_and_numbers(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 5)):
        parts.append(rng.choice([_code(rng), _amount(rng), _date(rng), rng.choice(SYMBOLS) * rng.randint(1, 2)]))
    return rng.choice([" ", "", ", ", " / "]).join(parts)


GENERATORS = {
    "receipt": (receipt_line, 0.30),
    "chinese_phrase": (chinese_phrase, 0.14),
    "chinese_sentence": (chinese_sentence, 0.08),
    "chinese_identity": (chinese_identity, 0.08),
    "invoice_field": (invoice_field, 0.08),
    "web_ad": (web_ad, 0.12),
    "english": (english_text, 0.10),
    "mixed": (mixed_line, 0.05),
    "symbols": (symbols_and_numbers, 0.05),
}
