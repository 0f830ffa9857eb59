"""Hostile files of our own making and the answer each must get (corpus.py), built from the
blocks, PDFs and images beside it."""
