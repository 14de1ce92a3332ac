"""The demo course's four assignments, with the dates of shared/COURSE.md."""

from coursesite.demo import DemoContext

from .models import Assignment

# (number, title, released days after lecture 1, deadline days after lecture 1, bonus maximum)
DEMO_ASSIGNMENTS = [
    (1, "One-layer softmax classifier, mini-batch gradient descent", 4, 24, 2),
    (2, "Two-layer network, cyclical learning rates, lambda search", 8, 31, 3),
    (3, "k-layer network with batch normalisation", 22, 43, 3),
    (4, "Vanilla RNN: character-level text synthesis with AdaGrad", 29, 53, 3),
]


def extend_demo(ctx: DemoContext) -> None:
    for number, title, released, deadline, bonus_max in DEMO_ASSIGNMENTS:
        Assignment.objects.update_or_create(
            course=ctx.course,
            number=number,
            defaults={
                "title": title,
                "released_at": ctx.at(released, 17),  # released after the lecture
                "deadline_at": ctx.end_of(deadline),
                "bonus_max": bonus_max,
            },
        )
