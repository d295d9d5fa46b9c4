"""Shared kernel: helpers every app may import; it imports no app of ours."""
