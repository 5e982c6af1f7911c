"""A Jinja2 sandbox with bounds: rubric templates are untrusted code.

Jinja2's ``ImmutableSandboxedEnvironment`` already refuses Python internals and mutation of
lists and dicts. What it does not bound is work: ``{{ 'x' * 10**10 }}``, ``2 ** 10**9``,
``'%999999999s' % x``, a string doubled forty times, nested loops of ``range(100000)``, a macro
that calls itself twice. Here every render has

* an output limit (``limit`` characters; the caller derives it from the inputs) checked on the
  output as it streams, and on every intermediate value an operator, call, filter or
  concatenation builds -- sizes are checked *before* the big ones are built (``*``, ``**``, ``%``
  widths, ``center``-like widths, ``replace``, ``join``);
* a call budget (macros and functions) and a total ``range`` budget;
* a wall-clock limit, enforced by a watchdog thread that raises :class:`RenderTimeout` inside the
  rendering thread (CPython's asynchronous exceptions; it lands between bytecodes, so a pure-Python
  loop of any shape is stopped).

Every problem raises :class:`RenderLimit`, a ``SecurityError``, so callers report it like any
other sandbox refusal.
"""

from __future__ import annotations

import contextvars
import ctypes
import functools
import heapq
import itertools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import jinja2
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Concat
from jinja2.runtime import Namespace
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

MIN_LIMIT = 1_000_000
"""Characters any render may produce, whatever its inputs (the rubric's own text and more)."""
CALL_BUDGET = 200_000
"""Function and macro calls per render (a self-calling macro explodes fast)."""
RANGE_BUDGET = 1_000_000
"""Numbers all ``range()`` calls of one render may produce together."""
TIME_LIMIT = 2.0
"""Seconds one render may take; the built-in rubrics take well under a millisecond."""
MAX_INT_BITS = 4096
"""Largest integer a template may compute (``2 ** 4096``); bigger ones only burn CPU."""


class RenderLimit(SecurityError):
    """A template exceeded one of the bounds above."""


class RenderTimeout(RenderLimit):
    """Raised asynchronously in the rendering thread when the time limit is reached."""


@dataclass
class _Budget:
    limit: int
    calls: int = 0
    ranged: int = 0


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("judgebench_render_budget", default=None)


def _current() -> _Budget:
    b = _budget.get()
    return b if b is not None else _Budget(MIN_LIMIT)


def _size(value: Any) -> int:
    if isinstance(value, str | bytes | list | tuple | dict | set | frozenset):
        return len(value)
    return 0


def _check_size(n: int, what: str) -> None:
    limit = _current().limit
    if n > limit:
        raise RenderLimit(f"{what} would be {n:,} long, over the render limit of {limit:,} characters")


def _check_int(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
        raise RenderLimit(f"{what} is a number with {value.bit_length():,} bits (limit {MAX_INT_BITS})")


_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_BRACE_SPEC = re.compile(r"\{[^{}]*:([^{}]*)\}|\{[^{}]*\{")


def _check_format_spec(fmt: str, what: str) -> None:
    """Refuse widths and precisions past the limit in ``%``- or ``{}``-style format strings
    (``'%999999999s' % x`` builds a gigabyte in C, before any size check could look at it)."""
    numbers: list[str] = []
    for m in _PERCENT_SPEC.finditer(fmt):
        numbers += [g for g in m.groups() if g]
    for m in _BRACE_SPEC.finditer(fmt):
        if m.group(1) is None:
            raise RenderLimit(f"{what}: nested {{}} fields are not allowed in templates")
        numbers += re.findall(r"\d+", m.group(1))
    for n in numbers:
        if n == "*":
            raise RenderLimit(f"{what}: '*' widths are not allowed in templates")
        if len(n) > 12 or int(n) > _current().limit:
            raise RenderLimit(f"{what}: width {n} is over the render limit")


def _binop(op: str, left: Any, right: Any) -> None:
    """Bound the size of ``left <op> right`` before Python builds it."""
    if op == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(n, int) and _size(seq):
                _check_size(_size(seq) * max(n, 0), "a repeated string or list")
        _check_int(left, "a factor")
        _check_int(right, "a factor")
        if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise RenderLimit(f"a product would have more than {MAX_INT_BITS} bits")
    elif op == "**":
        if (isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1
                and left.bit_length() * right > MAX_INT_BITS):
            raise RenderLimit(f"a power would have more than {MAX_INT_BITS} bits")
    elif op == "+":
        if _size(left) and _size(right):
            _check_size(_size(left) + _size(right), "a concatenation")
    elif op == "%" and isinstance(left, str):
        _check_format_spec(left, "a %-format")


def _bounded_join(parts: Iterable[Any]) -> str:
    items = [str(p) for p in parts]
    _check_size(sum(map(len, items)), "a concatenation")
    return "".join(items)


_WIDTH_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}


def _check_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    budget = _current()
    budget.calls += 1
    if budget.calls > CALL_BUDGET:
        raise RenderLimit(f"more than {CALL_BUDGET:,} calls in one render (a runaway macro or loop)")
    for a in itertools.chain(args, kwargs.values()):
        if isinstance(a, int) and not isinstance(a, bool) and abs(a) > budget.limit:
            raise RenderLimit(f"an argument of {a:,} is over the render limit")
    name = getattr(obj, "__name__", "")
    owner = getattr(obj, "__self__", None)
    if owner is None and name in ("format", "format_map"):  # the sandbox's wrapper of str.format
        owner = getattr(getattr(obj, "__wrapped__", None), "__self__", None)
        if isinstance(owner, str):
            _check_format_spec(owner, "a format string")
    if obj is range or name == "safe_range":
        n = len(range(*[a for a in args if isinstance(a, int)])) if args else 0
        budget.ranged += n
        if budget.ranged > RANGE_BUDGET:
            raise RenderLimit(f"range() produced more than {RANGE_BUDGET:,} numbers in one render")
    if isinstance(owner, str):
        if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
            hits = owner.count(args[0]) if args[0] else len(owner) + 1
            _check_size(len(owner) + hits * max(0, len(args[1]) - len(args[0])), "a replacement")
        elif name == "join" and args:
            seq = list(args[0]) if not isinstance(args[0], str) else args[0]
            _check_size(len(owner) * len(seq) + sum(len(str(s)) for s in seq), "a join")


class _BoundedNamespace(Namespace):
    """``namespace()`` whose attributes cannot grow past the limit (``{% set ns.s = ns.s ~ ns.s %}``)."""

    def __setitem__(self, name: str, value: Any) -> None:
        _check_size(_size(value), "a namespace value")
        super().__setitem__(name, value)


class _CodeGenerator(CodeGenerator):
    """Compile ``~`` concatenation through the bounded join (it is not an intercepted operator)."""

    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _bounded_filter(f: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for a in itertools.chain(args, kwargs.values()):
            if isinstance(a, int) and not isinstance(a, bool) and abs(a) > _current().limit:
                raise RenderLimit(f"filter {f.__name__}: an argument of {a:,} is over the render limit")
        if f.__name__ in ("do_format",) and args and isinstance(args[0], str):
            _check_format_spec(args[0], "a format filter")
        if f.__name__ in ("do_replace",) and len(args) >= 4:
            s, old, new = (str(x) for x in args[1:4])
            hits = s.count(old) if old else len(s) + 1
            _check_size(len(s) + hits * max(0, len(new) - len(old)), "a replacement")
        if f.__name__ == "do_join" and len(args) >= 2:
            seq = list(args[1]) if not isinstance(args[1], str) else args[1]
            sep = args[2] if len(args) >= 3 else kwargs.get("d", "")
            _check_size(len(str(sep)) * len(seq) + sum(len(str(x)) for x in seq), "a join")
        if f.__name__ == "do_indent" and len(args) >= 2:
            s, width = args[0], args[1]
            if isinstance(s, str):
                w = width if isinstance(width, int) else len(str(width))
                _check_size(len(s) + (s.count("\n") + 1) * max(w, 0), "an indented text")
        result = f(*args, **kwargs)
        _check_size(_size(result), f"the result of filter {f.__name__}")
        return result

    return wrapper


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The environment rubrics render in (see the module docstring for the bounds)."""

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%", "//"})
    concat = staticmethod(_bounded_join)  # block-set bodies
    bounded_concat = staticmethod(_bounded_join)

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _bounded_filter(f) for name, f in self.filters.items()}
        self.globals["namespace"] = _BoundedNamespace
        self.globals.pop("lipsum", None)  # lipsum(n) writes n paragraphs; no rubric needs it

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        _check_int(result, "a result")
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_call(__obj, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        _check_size(_size(result), "a call's result")
        return result


# -- the time limit ------------------------------------------------------------------------------

def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    """Raise ``exc`` in thread ``thread_id`` at its next bytecode; None clears a pending one."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               ctypes.py_object(exc) if exc is not None else None)



class _Watchdog:
    """One daemon thread that interrupts renders past their deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._active: dict[int, int] = {}  # token -> thread id
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float) -> int:
        with self._cond:
            token = next(self._tokens)
            self._active[token] = threading.get_ident()
            deadline = time.monotonic() + seconds
            wake = not self._heap or deadline < self._heap[0][0]  # else it already wakes up sooner
            heapq.heappush(self._heap, (deadline, token))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="judgebench-render-watchdog", daemon=True)
                self._thread.start()
            if wake:
                self._cond.notify()
            return token

    def disarm(self, token: int) -> None:
        """Called by the rendering thread; after it returns no exception can still be delivered."""
        with self._cond:
            if self._active.pop(token, None) is None:  # it fired: clear a pending exception, if any
                _set_async_exc(threading.get_ident(), None)

    def _loop(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._active:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token = self._heap[0]
                now = time.monotonic()
                if now < deadline:
                    self._cond.wait(deadline - now)
                    continue
                heapq.heappop(self._heap)
                thread_id = self._active.pop(token)
                _set_async_exc(thread_id, RenderTimeout)


_watchdog = _Watchdog()


def render(template: jinja2.Template, variables: dict[str, Any], limit: int,
           time_limit: float = TIME_LIMIT) -> str:
    """Render with every bound on; raises RenderLimit (or the template's own error)."""
    token = _budget.set(_Budget(max(limit, MIN_LIMIT)))
    armed = _watchdog.arm(time_limit)
    try:
        try:
            out: list[str] = []
            total = 0
            cap = max(limit, MIN_LIMIT)
            chunks: Iterator[str] = template.root_render_func(template.new_context(dict(variables)))
            for chunk in chunks:
                total += len(chunk)
                if total > cap:
                    raise RenderLimit(f"the output passed the render limit of {cap:,} characters")
                out.append(chunk)
            return "".join(out)
        finally:
            _watchdog.disarm(armed)
    except RenderTimeout:
        raise RenderTimeout(f"rendering took longer than {time_limit:g} s (a runaway loop?)") from None
    finally:
        _budget.reset(token)


def limit_for(variables: dict[str, Any]) -> int:
    """Output allowed for these inputs: the fixed minimum plus four times the text they carry."""
    total = 0
    stack: list[Any] = list(variables.values())
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            total += len(v)
        elif isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list | tuple):
            stack.extend(v)
    return MIN_LIMIT + 4 * total
