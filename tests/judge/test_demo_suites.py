"""The demo course's suites: each reference passes everything, each wrong solution fails exactly its tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.judge.conftest import grade_local, not_passed

# solution file -> the tests it must fail (every other test must pass)
EXPECTED = {
    "a1": {
        "reference": set(),
        "wrong_no_regularisation": {"test_gradients_with_regularisation"},
        "wrong_softmax_axis": {
            "test_evaluate_classifier",
            "test_compute_cost",
            "test_compute_accuracy",
            "test_gradients_without_regularisation",
            "test_gradients_with_regularisation",
            "test_minibatch_gd_benchmark",
        },
        "wrong_bias_summed": {"test_gradients_without_regularisation", "test_gradients_with_regularisation"},
        "wrong_unscaled_pixels": {"test_load_batch"},
        "wrong_accuracy_percent": {"test_compute_accuracy"},
    },
    "a2": {
        "reference": set(),
        "wrong_relu_backward": {"test_gradients_without_regularisation", "test_gradients_with_regularisation"},
        "wrong_cycle_length": {"test_cyclic_eta"},
        "wrong_regularise_first_layer_only": {"test_compute_cost"},
        "wrong_init_unit_variance": {"test_init_params"},
    },
    "a3": {
        "reference": set(),
        "wrong_batch_stats_at_test": {"test_evaluate_test_mode", "test_compute_cost"},
        "wrong_running_alpha_swapped": {"test_update_running"},
        "wrong_bn_backward_constant_stats": {"test_gradients", "test_minibatch_gd_benchmark"},
        "wrong_unbiased_variance": {"test_evaluate_train_mode", "test_compute_cost", "test_gradients"},
    },
    "a4": {
        "reference": set(),
        "wrong_no_clipping": {"test_gradient_clipping"},
        "wrong_adagrad_no_accumulation": {"test_adagrad_step", "test_train_benchmark"},
        "wrong_grad_W_current_state": {"test_gradients", "test_gradient_clipping"},
        "wrong_synthesize_no_feedback": {"test_synthesize"},
    },
}
CASES = [(suite, solution) for suite, solutions in EXPECTED.items() for solution in solutions]


def test_every_solution_on_disk_has_an_expectation(suites: Path) -> None:
    for suite, solutions in EXPECTED.items():
        on_disk = {path.stem for path in (suites / suite / "solutions").glob("*.py")}
        assert on_disk == set(solutions), suite
        assert sum(name.startswith("wrong_") for name in on_disk) >= 3, suite


@pytest.mark.parametrize(("suite", "solution"), CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_solution_fails_exactly_the_tests_meant_to_catch_it(suites: Path, suite: str, solution: str) -> None:
    figures = []
    result = grade_local(suites / suite, suites / suite / "solutions" / f"{solution}.py", on_result=figures.append)
    expected = EXPECTED[suite][solution]
    assert set(not_passed(result)) == expected, result
    assert set(not_passed(result).values()) <= {"failed"}
    assert result["outcome"] == ("failed" if expected else "passed")
    assert len(figures) == len(result["tests"]) >= 7  # every test reported as it finished
    if not expected:
        assert result["score"] == result["max_score"] > 0
        assert result["figures"] and all(Path(figure).is_file() for figure in result["figures"])
