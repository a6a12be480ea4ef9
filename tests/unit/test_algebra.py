"""Tests for grader.algebra: the algebra process and its grader-side client."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.algebra import AlgebraError, AlgebraService, AlgebraTimeout
from grader.formula import parse

SYMBOLS = {"w": [], "eta": ["lr", "η"], "lam": ["λ", "lmbda", "lambda"], "dJ": []}
TARGETS = {
    "expected": parse("w - eta*(dJ + lam*w)", SYMBOLS),
    "sign_error": parse("w*(1 + eta*lam) - eta*dJ", SYMBOLS),
    "no_decay": parse("w - eta*dJ", SYMBOLS),
}
PROJECT_ROOT = Path(__file__).resolve().parents[2]
GENEROUS = 120.0  # seconds: a loaded CI machine may take long to import sympy


@pytest.fixture(scope="module")
def service():
    with AlgebraService(timeout=GENEROUS) as algebra:
        yield algebra


def test_verdicts_name_the_matching_target(service):
    student = parse("(1-lr*λ)*w - lr*dJ", SYMBOLS)
    assert service.check(student, TARGETS) == {
        "expected": True,
        "sign_error": False,
        "no_decay": False,
    }
    student = parse("w - η*dJ", SYMBOLS)
    assert service.check(student, TARGETS) == {
        "expected": False,
        "sign_error": False,
        "no_decay": True,
    }


def test_identical_requests_are_answered_from_the_cache(service, monkeypatch):
    requests = []
    exchange = service._exchange

    def counting(student, targets):
        requests.append(student)
        return exchange(student, targets)

    monkeypatch.setattr(service, "_exchange", counting)
    student = parse("w*(1 - eta*lam) - eta*dJ", SYMBOLS)
    first = service.check(student, TARGETS)
    second = service.check(parse("w*(1-eta*lam)-eta*dJ", SYMBOLS), dict(reversed(TARGETS.items())))
    assert first == second == {"expected": True, "sign_error": False, "no_decay": False}
    assert len(requests) == 1
    service.check(student, {"expected": TARGETS["expected"]})
    assert len(requests) == 2


def test_cached_verdicts_cannot_be_corrupted_by_callers(service):
    student = parse("w - eta*dJ - eta*lam*w", SYMBOLS)
    service.check(student, TARGETS)["expected"] = False
    assert service.check(student, TARGETS)["expected"] is True


def test_a_timeout_kills_the_process_and_the_next_check_recovers():
    with AlgebraService(timeout=0.0001) as algebra:
        with pytest.raises(AlgebraTimeout, match="could not be checked within 0.0001 s"):
            algebra.check(parse("w", SYMBOLS), {"same": parse("w", SYMBOLS)})
        algebra.timeout = GENEROUS
        assert algebra.check(parse("w", SYMBOLS), {"same": parse("w", SYMBOLS)}) == {"same": True}


def test_a_closed_service_starts_again_on_demand():
    algebra = AlgebraService(timeout=GENEROUS)
    algebra.close()
    assert algebra.check(parse("w*1", SYMBOLS), {"same": parse("w", SYMBOLS)}) == {"same": True}
    algebra.close()


def test_a_process_that_dies_is_reported_not_waited_for(monkeypatch):
    monkeypatch.setattr(sys, "executable", shutil.which("false"))  # exits at once
    stopped = "the algebra process stopped unexpectedly"
    with AlgebraService(timeout=GENEROUS) as algebra, pytest.raises(AlgebraTimeout, match=stopped):
        algebra.check(parse("w", SYMBOLS), {"same": parse("w", SYMBOLS)})


def test_an_error_reply_raises_and_the_process_keeps_serving(service):
    with pytest.raises(AlgebraError, match="malformed node") as caught:
        service.check(["sym"], TARGETS)
    assert not isinstance(caught.value, AlgebraTimeout)
    student = parse("w - lr*(dJ + lmbda*w)", SYMBOLS)
    assert service.check(student, TARGETS)["expected"] is True


def test_the_process_rejects_malformed_requests_with_error_replies():
    good = {"id": 4, "student": ["sym", "w"], "targets": {"same": ["sym", "w"]}}
    requests = [
        json.dumps({"id": 1, "student": ["call", ["sym", "w"]], "targets": {}}),
        json.dumps({"id": 2, "student": ["sym", "w"], "targets": {"t": ["num", "1/0"]}}),
        json.dumps({"id": 3, "student": ["sym", "w"], "targets": [["sym", "w"]]}),
        "__import__('os')",
        json.dumps(good),
    ]
    result = subprocess.run(
        [sys.executable, "-m", "grader.algebra"],
        input="".join(line + "\n" for line in requests),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=GENEROUS,
    )
    assert result.returncode == 0  # it exits at the end of its input
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert [reply["id"] for reply in replies] == [1, 2, 3, None, 4]
    assert all("error" in reply and "verdicts" not in reply for reply in replies[:4])
    assert "malformed node" in replies[0]["error"]
    assert "malformed number" in replies[1]["error"]
    assert replies[4] == {"id": 4, "verdicts": {"same": True}}


def test_a_verdict_is_remembered_across_runs_so_regrading_needs_no_sympy():
    student = parse("w*(1 - eta*lam) - eta*dJ", SYMBOLS)
    targets = {"expected": parse("w - eta*(dJ + lam*w)", SYMBOLS)}
    with AlgebraService() as first:
        assert first.check(student, targets) == {"expected": True}
    second = AlgebraService()  # a new run: never started, yet it answers from the cache
    assert second.check(student, targets) == {"expected": True}
    assert second._process is None
