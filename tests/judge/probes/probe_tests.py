"""The probe suite's tests (instructor side): each calls one behaviour of probes/student.py."""

MARKER = "@MARKER@"
JUDGE_SOURCE = "@JUDGE_SOURCE@"


def test_value(student):
    assert student.value() == 42


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


def test_exception(student):
    student.boom()


def test_crash(student):
    student.crash()


def test_memory_hog(student):
    student.hog()


def test_value_again(student):
    assert student.value() == 42
