"""Receipts printed by dot-matrix and worn thermal heads: every stroke is a row of round dots
on a grid, with gaps between them, and some dots missing. Many of the dev receipts are such
prints, and many of the student's errors there are on them ("LICENSEE" read "Licenee", "0.45"
read "0:45"). No such face is packaged; LineRenderer(dot_share=...) redraws part of its print
lines through a dot grid instead (`dot_matrix`)."""

from __future__ import annotations

import random

import cv2
import numpy as np


def dot_matrix(rng: random.Random, image: np.ndarray, background: tuple[int, ...], ink: tuple[int, ...],
               size: int) -> np.ndarray:
    """`image` (H x W x 3 uint8, `ink` drawn on `background`, the same channel order) with
    its ink redrawn as dots: a grid of pitch 6-10 % of the font size `size` (7-12 dots to
    a capital's height, as print heads have), a dot wherever ink lies within half a pitch of
    the grid point, each dot 0.9-1.4 pitches across, and up to 15 % of them lost."""
    pixels = image.astype(np.float32)
    ground, colour = np.array(background, np.float32), np.array(ink, np.float32)
    reach = max(1.0, float(np.abs(colour - ground).sum()))
    ink_mask = (np.abs(pixels - ground).sum(axis=-1) / reach > 0.5).astype(np.uint8)
    pitch = max(2, round(size * rng.uniform(0.06, 0.1)))
    # a thin stroke between two grid points still lights the nearer one
    near = cv2.dilate(ink_mask, np.ones((2 * (pitch // 2) + 1,) * 2, np.uint8))
    grid = np.zeros_like(ink_mask)
    dy, dx = rng.randrange(pitch), rng.randrange(pitch)
    grid[dy::pitch, dx::pitch] = near[dy::pitch, dx::pitch]
    lost = np.random.default_rng(rng.randrange(2**32)).random(grid.shape) < rng.uniform(0.0, 0.15)
    grid[lost] = 0
    diameter = max(2, round(pitch * rng.uniform(0.9, 1.4)))
    dots = cv2.dilate(grid, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (diameter, diameter))).astype(bool)
    out = np.empty_like(image)
    out[...] = np.array(background, np.uint8)
    out[dots] = np.array(ink, np.uint8)
    return out
