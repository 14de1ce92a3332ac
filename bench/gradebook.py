"""Benchmark: final grades of 1,000 students computed and rendered; prints the SQL query count and the time.

    .venv/bin/python bench/gradebook.py [--students 1000]

Runs on a throwaway test database: the PostgreSQL server of DATABASE_URL when it is set (a test_<name> database
is created and dropped), otherwise an in-memory SQLite database. The target: a query count that does not grow
with the number of students, and under 1 s to compute and render the staff gradebook.
"""

import argparse
import datetime as dt
import time

import benchdb  # bench/ is the script's folder, first on sys.path

benchdb.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from coursesite.models import Course, Membership, Role, User  # noqa: E402
from grading.selectors import gradebook  # noqa: E402
from tests.grading.grading_results import ResultsBuilder, make_students  # noqa: E402


def build(count: int) -> tuple[Course, User]:
    """A course with `count` students: most pass the assignments; a third take the exam, the rest the project."""
    course = Course.objects.create(code="BENCH1", name="Gradebook benchmark", term="VT")
    examiner = User.objects.create(username="examiner", full_name="Ada Examiner", password="!")
    Membership.objects.create(user=examiner, course=course, role=Role.INSTRUCTOR)
    students = make_students(course, count)
    results = ResultsBuilder(course, examiner)
    day = dt.date(2026, 6, 1)
    grades = "ABCDEEFx"
    for i, student in enumerate(students):
        if i % 10 != 9:  # one in ten has not finished the assignments
            results.all_passed(student, bonus=i % 11, last_on=day - dt.timedelta(days=20))
        else:
            results.review(student, 1, on=day - dt.timedelta(days=40))
    for i in range(0, count - count % 3, 3):
        trio = students[i : i + 3]
        if i % 9 == 0:
            for j, student in enumerate(trio):
                results.exam_grade(student, grades[(i + j) % 7] if grades[(i + j) % 7] != "x" else "Fx", on=day)
        else:
            results.project_grade(trio, "ABCDE"[i % 5], on=day, unconfirmed=trio[2:] if i % 7 == 0 else ())
    results.save()
    return course, examiner


def measure(course: Course, examiner: User) -> dict[str, float]:
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as computed:
        book = gradebook(course=course)
    compute_s = time.perf_counter() - started
    client = Client()
    client.force_login(examiner)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as rendered:
        response = client.get(f"/c/{course.code}/grades/")
    page_s = time.perf_counter() - started
    assert response.status_code == 200, response.status_code
    return {
        "students": len(book.rows),
        "graded": sum(1 for row in book.rows if row.final_grade),
        "compute_queries": len(computed),
        "compute_s": compute_s,
        "page_queries": len(rendered),
        "page_s": page_s,
        "page_kb": len(response.content) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with benchdb.throwaway_database():
        started = time.perf_counter()
        course, examiner = build(args.students)
        print(f"built {args.students} students with results in {time.perf_counter() - started:.1f} s")
        for run in range(1, args.runs + 1):
            m = measure(course, examiner)
            print(
                f"run {run}: {m['students']} students ({m['graded']} with a final grade): "
                f"gradebook computed with {m['compute_queries']} SQL queries in {m['compute_s'] * 1000:.0f} ms; "
                f"staff page ({m['page_kb']:.0f} KiB) rendered with {m['page_queries']} SQL queries "
                f"in {m['page_s'] * 1000:.0f} ms"
            )


if __name__ == "__main__":
    main()
