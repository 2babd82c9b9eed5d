"""Idiomatic mode (placeholder)."""


def idiomatic(program):
    return program, [], []
