"""What the bounded sandbox costs per render: the pairwise rubric in judgebench's bounded sandbox
(judgebench/sandbox.py) vs Jinja2's plain SandboxedEnvironment, interleaved rounds, median ratio.

    .venv/bin/python benchmarks/render_bounds.py
"""

from __future__ import annotations

import statistics
import time

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from judgebench.rubrics import load_rubric, sample_variables

N, ROUNDS = 2000, 7


def main() -> None:
    rubric = load_rubric("pairwise")
    variables = sample_variables(rubric) | {"response_a": "word " * 300, "response_b": "text " * 300}
    plain = SandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False,
                                 keep_trailing_newline=True).from_string(rubric.source)
    assert plain.render(**variables) == rubric.render(**variables)

    def per_render(fn: object) -> float:
        start = time.perf_counter()
        for _ in range(N):
            fn()  # type: ignore[operator]
        return (time.perf_counter() - start) / N * 1e6

    plain_us, bounded_us = [], []
    for _ in range(ROUNDS):
        plain_us.append(per_render(lambda: plain.render(**variables)))
        bounded_us.append(per_render(lambda: rubric.render(**variables)))
    p, b = statistics.median(plain_us), statistics.median(bounded_us)
    print(f"plain sandbox {p:.1f} us/render, bounded {b:.1f} us/render: +{b - p:.1f} us, ratio {b / p:.2f}")


if __name__ == "__main__":
    main()
