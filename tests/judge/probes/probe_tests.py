"""The probe suite's tests (instructor side): each calls one behaviour of probes/student.py."""

import numpy as np

from workers.judge.checks import numerical_gradient, pipelined, value_of

MARKER = "@MARKER@"
JUDGE_SOURCE = "@JUDGE_SOURCE@"


def test_value(student):
    assert student.value() == 42


def test_pipelined_calls_carry_their_arguments_as_sent(student):
    x = np.zeros(3)
    with pipelined():
        sent = []
        for i in range(200):
            x[0] = i  # changed after each call was sent: the call keeps what it was given
            sent.append(student.echo(x))
    assert [float(value_of(reply)[0]) for reply in sent] == list(range(200))


def test_pipelined_big_values_both_ways(student):
    # Far more than both pipes hold: the judge must read replies while it still sends.
    big = np.arange(400_000.0)
    with pipelined():
        replies = [student.echo(big + i) for i in range(30)]
    assert all(np.array_equal(value_of(reply), big + i) for i, reply in enumerate(replies))


def test_shared_arrays_are_private_copies(student):
    X = np.ones((500, 1000))  # 4 MB: crosses as a sealed memfd, and is sent again from the judge's cache
    assert student.scale_in_place(X, 2.0) == 2.0 * X.size
    assert student.scale_in_place(X, 3.0) == 3.0 * X.size  # the student's change reached neither the judge ...
    assert np.all(X == 1.0)
    X[0, 0] = 11.0  # ... nor the copy sent again after the judge changed its own
    assert student.scale_in_place(X, 1.0) == X.size + 10.0
    back = student.echo(X)
    assert np.array_equal(back, X) and back.flags.writeable
    # Sent again unchanged, and not written by the student: the same pages, mapped (and faulted in) once.
    assert student.address(X) == student.address(X)


def test_numerical_gradient_pipelined_or_not(student):
    w = np.array([[0.5, -1.0], [2.0, 0.25]])
    entries = [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert np.allclose(numerical_gradient(lambda: student.square_sum(w), w, entries), 2 * w.reshape(-1))
    # A cost that computes with the reply cannot be pipelined; it is called one call at a time.
    assert np.allclose(numerical_gradient(lambda: 3 * student.square_sum(w), w, entries), 6 * w.reshape(-1))
    assert np.array_equal(w, [[0.5, -1.0], [2.0, 0.25]])


def test_pipelined_exception(student):
    with pipelined():
        first, failing, last = student.value(), student.boom(), student.value()
    assert value_of(first) == 42 and value_of(last) == 42
    value_of(failing)


def test_pipelined_crash(student):
    with pipelined():
        first, _, after = student.value(), student.crash(), student.value()
    assert value_of(first) == 42
    value_of(after)


def test_endless_loop(student):
    student.loop()


def test_after_the_loop(student):
    assert student.value() == 42


def test_hidden_data_out_of_reach(student, hidden_data):
    assert (hidden_data / "answers.txt").is_file()
    assert student.read(str(hidden_data / "answers.txt")) == "unreadable"
    assert student.read("/data/../hidden_data/answers.txt") == "unreadable"


def test_judge_out_of_reach(student):
    assert student.read(JUDGE_SOURCE) == "unreadable"


def test_public_data_readable(student):
    assert student.read("/data/public.txt") == "public"


def test_object_array_return(student):
    student.object_array()


def test_huge_return(student):
    student.huge()


def test_pickle_on_channel(student):
    student.pickle_bomb(MARKER)


def test_garbage_on_channel(student):
    student.garbage()


def test_forged_reply(student):
    assert student.forge() == 42


def test_huge_frame_header(student):
    student.huge_header()


def test_lying_npy_header(student):
    student.lying_npy()


def test_shared_memory_unsealed(student):
    student.forged_shared("unsealed")


def test_shared_memory_short(student):
    student.forged_shared("short")


def test_shared_memory_missing(student):
    student.forged_shared("missing")


def test_exception(student):
    student.boom()


def test_crash(student):
    student.crash()


def test_memory_hog(student):
    student.hog()


def test_value_again(student):
    assert student.value() == 42
