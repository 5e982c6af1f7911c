"""interrupt.run / request_stop with real asyncio: a stop cancels the run's task at its next await
(its cleanup runs) and the caller sees KeyboardInterrupt, as after Ctrl-C."""

from __future__ import annotations

import asyncio
import signal
import threading

import pytest

from judgebench import interrupt


def test_a_stop_cancels_the_run_runs_its_cleanup_and_raises_keyboard_interrupt() -> None:
    cleaned: list[str] = []

    async def main() -> str:
        try:
            asyncio.get_running_loop().call_later(0.01, lambda: cleaned.append(str(interrupt.request_stop())))
            await asyncio.sleep(30)
            return "finished"
        finally:
            cleaned.append("cleanup")

    with pytest.raises(KeyboardInterrupt):
        interrupt.run(main())
    assert cleaned == ["True", "cleanup"]


def test_a_stop_from_a_signal_handler_with_sigint_ignored() -> None:
    """The CI case: SIGINT ignored, SIGTERM's handler asks for the stop."""
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    previous_term = signal.signal(signal.SIGTERM, lambda *_: interrupt.request_stop())
    try:
        async def main() -> None:
            asyncio.get_running_loop().call_later(0.01, signal.raise_signal, signal.SIGTERM)
            await asyncio.sleep(30)

        with pytest.raises(KeyboardInterrupt):
            interrupt.run(main())
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)


def test_without_a_stop_the_result_comes_back_and_a_later_run_is_not_stopped() -> None:
    async def value() -> int:
        return 7

    async def stop_then_finish() -> None:
        interrupt.request_stop()

    with pytest.raises(KeyboardInterrupt):  # a stop that lands after the last await still counts
        interrupt.run(stop_then_finish())
    assert interrupt.run(value()) == 7


def test_no_run_means_no_stop_and_a_second_request_is_refused() -> None:
    assert interrupt.request_stop() is False
    answers: list[bool] = []

    async def main() -> None:
        answers.append(interrupt.request_stop())
        answers.append(interrupt.request_stop())
        await asyncio.sleep(30)

    with pytest.raises(KeyboardInterrupt):
        interrupt.run(main())
    assert answers == [True, False]


def test_a_run_off_the_main_thread_is_not_tracked() -> None:
    results: list[object] = []

    async def main() -> bool:
        return interrupt.request_stop()

    thread = threading.Thread(target=lambda: results.append(interrupt.run(main())))
    thread.start()
    thread.join()
    assert results == [False]
