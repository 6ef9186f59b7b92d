"""MXFP4 and bf16 encoding in numpy (spec gpt-oss.md §3.2), shared by the exporter and the tests.

MXFP4: each row of an [out, in] matrix is split into groups of 32 consecutive inputs; a group is
one E8M0 scale byte s (multiplier 2^(s-127)) and 16 bytes of FP4 (E2M1) codes, element 2j in the
LOW nibble of byte j and element 2j+1 in the high nibble. Code = sign bit 3 | magnitude index
into [0, 0.5, 1, 1.5, 2, 3, 4, 6].

Quantisation rule (ours; the TS test tests/demo/mxfp4-export.test.ts ports it):
  - the group's scale exponent e is the smallest integer with max|w| <= 6 * 2^e (so the largest
    magnitude fits the FP4 range without clipping), clamped to [-126, 127]; an all-zero group
    gets e = 0;
  - each w / 2^e is rounded to the nearest FP4 magnitude, ties to the even code (like IEEE
    round-half-to-even on the 3-bit code); zero magnitudes are stored as +0 (code 0).
"""
from __future__ import annotations

import numpy as np

FP4_VALUES = np.array([0, .5, 1, 1.5, 2, 3, 4, 6, -0., -.5, -1, -1.5, -2, -3, -4, -6], dtype=np.float32)
FP4_MAGNITUDES = FP4_VALUES[:8].astype(np.float64)
# Midpoints between consecutive magnitudes: a value above MIDPOINTS[k] rounds to code k+1.
FP4_MIDPOINTS = (FP4_MAGNITUDES[1:] + FP4_MAGNITUDES[:-1]) / 2
FP4_MAX = 6.0
GROUP_SIZE = 32
GROUP_BYTES = GROUP_SIZE // 2
E8M0_BIAS = 127
MIN_SCALE_EXP = -126  # keeps 2^e a normal float32 (byte 1)
MAX_SCALE_EXP = 127   # byte 254; 255 is NaN in the OCP MX spec
SIGN_BIT = 8


def scale_exponents(amax: np.ndarray) -> np.ndarray:
    """Smallest integer e with amax <= 6 * 2^e (e = 0 where amax == 0), clamped; float64 array."""
    amax = np.asarray(amax, dtype=np.float64)
    with np.errstate(divide='ignore'):
        e = np.ceil(np.log2(np.where(amax > 0, amax, 1.0) / FP4_MAX))
    # log2 may be off by one ulp near powers of two: settle exactly (6 * 2^e is exact in float64).
    e = np.where(amax > FP4_MAX * np.exp2(e), e + 1, e)
    e = np.where(amax <= FP4_MAX * np.exp2(e - 1), e - 1, e)
    e = np.where(amax > 0, e, 0.0)
    return np.clip(e, MIN_SCALE_EXP, MAX_SCALE_EXP)


def fp4_codes(magnitude: np.ndarray) -> np.ndarray:
    """Nearest FP4 magnitude index (0..7) of non-negative values, ties to the even index."""
    code = np.searchsorted(FP4_MIDPOINTS, magnitude, side='left')  # on a tie: the lower index
    tie = np.zeros(magnitude.shape, dtype=bool)
    below_top = code < len(FP4_MIDPOINTS)
    tie[below_top] = magnitude[below_top] == FP4_MIDPOINTS[code[below_top]]
    code = np.where(tie & (code % 2 == 1), code + 1, code)
    return code.astype(np.uint8)


def quantize_mxfp4(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """w: float [..., rows, cols] (cols % 32 == 0) -> (blocks u8 [..., rows, cols/32, 16], scales u8 [..., rows, cols/32])."""
    w = np.asarray(w, dtype=np.float32)
    if w.shape[-1] % GROUP_SIZE != 0:
        raise ValueError(f'quantize_mxfp4: the last dim ({w.shape[-1]}) must be a multiple of {GROUP_SIZE}')
    groups = w.reshape(*w.shape[:-1], w.shape[-1] // GROUP_SIZE, GROUP_SIZE).astype(np.float64)
    e = scale_exponents(np.abs(groups).max(-1))
    scaled = groups / np.exp2(e)[..., None]
    code = fp4_codes(np.abs(scaled))
    negative = (scaled < 0) & (code > 0)
    nibbles = code | (negative.astype(np.uint8) * SIGN_BIT)
    blocks = (nibbles[..., 0::2] | (nibbles[..., 1::2] << 4)).astype(np.uint8)
    scales = (e + E8M0_BIAS).astype(np.uint8)
    return blocks, scales


def dequantize_mxfp4(blocks: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """(blocks [..., rows, G, 16], scales [..., rows, G]) -> float32 [..., rows, G*32]."""
    lo = FP4_VALUES[blocks & 15]
    hi = FP4_VALUES[blocks >> 4]
    values = np.stack([lo, hi], -1).reshape(*blocks.shape[:-1], GROUP_SIZE)
    values = values * np.exp2(scales.astype(np.float32) - E8M0_BIAS)[..., None]
    return values.reshape(*blocks.shape[:-2], -1).astype(np.float32)


def fake_quantize_mxfp4(w: np.ndarray) -> np.ndarray:
    """dequantize(quantize(w)): what the engine will compute with."""
    return dequantize_mxfp4(*quantize_mxfp4(w))


def f32_to_bf16_bits(x: np.ndarray) -> np.ndarray:
    """float32 -> bf16 bit patterns (uint16), round to nearest even; NaN -> canonical quiet NaN."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return np.where(np.isnan(x), np.uint16(0x7FC0), rounded).astype(np.uint16)


def bf16_bits_to_f32(bits: np.ndarray) -> np.ndarray:
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def round_to_bf16(x: np.ndarray) -> np.ndarray:
    return bf16_bits_to_f32(f32_to_bf16_bits(x))
