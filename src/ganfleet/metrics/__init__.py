"""Evaluation metrics as pure functions of samples.

    toy.py   modes covered, high-quality share, KDE log-likelihood (2-D mixtures)
"""
