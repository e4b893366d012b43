"""Text columns read from their bytes: the UTF-8 buffer and offsets of an Arrow string array, in NumPy.

The column checks use these for the common forms only, where a pass over the bytes decides faster
than a regular expression or a cast: an amount written plainly (``1234.56``, at most 13 whole digits
and 2 decimals), and text that is plainly not blank (its first character is printable ASCII). Each
function says which values it decided; the caller sends the others to its exact general path, so a
verdict never depends on which path took the value.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

I64 = np.int64
_ASCII_SPACE = np.array([c < 0x80 and chr(c).isspace() for c in range(256)])  # what str.strip removes in ASCII


def string_bytes(data: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The offsets (``len + 1``, from 0, int64) and the bytes of a string or large_string array; a null's
    bytes are whatever the array holds (callers mask nulls themselves)."""
    size = len(data)
    buffers = data.buffers()
    kind = np.int64 if pa.types.is_large_string(data.type) else np.int32
    if buffers[1] is None:
        return np.zeros(size + 1, dtype=I64), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(buffers[1], dtype=kind)[data.offset:data.offset + size + 1].astype(I64)
    base = offsets[0]
    offsets -= base
    end = int(offsets[-1]) if size else 0
    if buffers[2] is None or not end:
        return offsets, np.zeros(0, dtype=np.uint8)
    return offsets, np.frombuffer(buffers[2], dtype=np.uint8)[base:base + end]


_U = np.uint64
_BYTES = _U(0x0101010101010101)  # 1 in each byte of a word
_FIRST_5, _FIRST_6 = _U(2 ** 40 - 1), _U(2 ** 48 - 1)  # bytes of a word: its first five, six
_LAST_2, _BYTE_6 = _U(0xFFFF << 48), _U(0xFF << 48)
_INSIDE = np.array([0] + [(2 ** (8 * n) - 1) << (8 * (8 - n)) for n in range(1, 9)], dtype=_U)  # last n bytes


def _last_words(offsets: np.ndarray, text: np.ndarray, back: int) -> np.ndarray:
    """For each string the 8 bytes ending ``back`` bytes before its end, as a little-endian word (the string's
    later bytes in the word's higher bytes); bytes before the text's start read as 0, others before a short
    string's start are other strings' bytes (mask them by length)."""
    padded = np.zeros(len(text) + 16, dtype=np.uint8)
    padded[16:] = text
    words = np.ndarray((len(text) + 9,), dtype="<u8", buffer=padded, strides=(1,))  # every unaligned window
    found: np.ndarray = np.take(words, np.clip(offsets[1:], 0, len(text)) + (8 - back), mode="clip")
    return found.astype(_U, copy=False)


def _odd_bytes(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The bytes of each word that are no ASCII digit (0x80 on each), and the words' digit values (a byte
    ``0x30 + d`` becomes ``d``; others are garbage), without a carry between bytes."""
    values = words ^ (_BYTES * _U(0x30))
    return (((values & (_BYTES * _U(0x7F))) + _BYTES * _U(0x76)) | values) & (_BYTES * _U(0x80)), values


def _eight_digits(words: np.ndarray) -> np.ndarray:
    """The numbers written by 8 digit values (0–9), one per byte of a little-endian word, the first byte the
    most significant digit: pairs, then fours, then all eight, each step without a carry between lanes
    (``words`` is overwritten)."""
    for shift, mask in ((8, 0x00FF00FF00FF00FF), (16, 0x0000FFFF0000FFFF), (32, 0xFFFFFFFF)):
        low = words >> _U(shift)
        words *= _U(10 ** (shift // 8))
        words += low
        words &= _U(mask)
    return words.view(I64)


def plain_amounts(data: pa.Array, null: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which strings are plain amounts (``^[0-9]{1,13}(?:\\.[0-9]{1,2})?$``, ASCII digits) and their value
    in fen (exact int64, 0 elsewhere). Nulls are never plain.

    Each string's last 8 bytes are one word (the 8 before them another, for the longer ones); its bytes are
    classified, the point taken out and two zero digits put in for the missing decimals, and the digits
    added up eight at a time within the word."""
    offsets, text = string_bytes(data)
    length = np.diff(offsets)
    low = _last_words(offsets, text, 0)
    odd, values = _odd_bytes(low)
    inside = np.take(_INSIDE, np.minimum(length, 8))
    odd &= inside
    values &= inside & ~((odd >> _U(7)) * _U(0xFF))  # the point and what is not the string read as 0
    point = (low >> _U(40)) & _U(0xFFFF)  # the third and the second last byte
    two_decimals = (odd == _U(0x80) << _U(40)) & ((point & _U(0xFF)) == 0x2E)  # "…d.dd"
    one_decimal = (odd == _U(0x80) << _U(48)) & ((point >> _U(8)) == 0x2E)  # "…d.d"
    whole = length - 2 * one_decimal - 3 * two_decimals  # digits before the point
    plain = ((odd == 0) | one_decimal | two_decimals) & (whole >= 1) & (whole <= 13)
    if null.any():
        plain &= ~null
    cents = np.where(two_decimals, ((values & _FIRST_5) << _U(8)) | (values & _LAST_2),  # the point out
                     np.where(one_decimal, (values & _FIRST_6) | ((values >> _U(8)) & _BYTE_6),  # a 0 in
                              values >> _U(16)))  # two 0s in: the whole number's last digit in byte 5
    fen = _eight_digits(cents)
    long = np.flatnonzero(plain & ((length > 8) | (whole > 6)))
    if len(long):  # the same over two words: the 8 bytes before the last 8 too
        digits, low, high = _two_words(offsets, text, long, values[long], one_decimal[long], two_decimals[long])
        plain[long] = digits
        fen[long] = _eight_digits(low) + _eight_digits(high) * 10**8
    return plain, np.where(plain, fen, 0)


def _two_words(offsets: np.ndarray, text: np.ndarray, rows: np.ndarray, last: np.ndarray,
               one_decimal: np.ndarray, two_decimals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``plain_amounts``'s moves over the last two words of the strings ``rows`` (``last``: their last
    words' digit values): whether the bytes before the last 8 are digits, the last word, the word before."""
    odd, high = _odd_bytes(_last_words(offsets, text, 8)[rows])
    inside = np.take(_INSIDE, np.clip(np.diff(offsets)[rows] - 8, 0, 8))
    odd &= inside
    high &= inside
    low = np.where(two_decimals, ((last & _FIRST_5) << _U(8)) | (high >> _U(56)) | (last & _LAST_2),
                   np.where(one_decimal, (last & _FIRST_6) | ((last >> _U(8)) & _BYTE_6), last >> _U(16)))
    high = np.where(two_decimals, high << _U(8),
                    np.where(one_decimal, high, (high >> _U(16)) | (last << _U(48))))
    return odd == 0, low, high


def plainly_solid(data: pa.Array) -> np.ndarray:
    """Strings whose first byte is ASCII and not whitespace, so not blank by any reading; false elsewhere
    (empty, null or not, or a first character that is whitespace or beyond ASCII)."""
    offsets, text = string_bytes(data)
    start = offsets[:-1]
    solid = start < offsets[1:]
    if not len(text):
        return np.zeros(len(start), dtype=bool)
    first = text[np.minimum(start, len(text) - 1)]
    return np.asarray(solid & (first < 0x80) & ~_ASCII_SPACE[first], dtype=bool)


def empty(data: pa.Array) -> np.ndarray:
    """Strings of no bytes (a null too: callers mask nulls)."""
    offsets, _ = string_bytes(data)
    return np.asarray(offsets[1:] == offsets[:-1], dtype=bool)
