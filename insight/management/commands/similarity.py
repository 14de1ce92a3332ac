"""python manage.py similarity DD2424/1 [--json] [--threshold 0.5]: run a similarity check now and print the pairs."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assignments.models import Assignment
from coursesite.audit import audit_record
from insight import services
from insight.models import DEFAULT_THRESHOLD, SimilarityCheck, SimilarityPair


class Command(BaseCommand):
    help = "Compare every student's latest code of an assignment (handout as base code) and print the ranked pairs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("assignment", help="COURSE/NUMBER, e.g. DD2424/1")
        parser.add_argument("--json", action="store_true", help='print [{"a", "b", "similarity"}], highest first')
        parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="listed first from here on")

    def handle(self, *args: Any, **options: Any) -> None:
        code, _, number = options["assignment"].partition("/")
        assignment = (
            Assignment.objects.filter(course__code=code, number=int(number) if number.isdigit() else -1)
            .select_related("course")
            .first()
        )
        if assignment is None:
            raise CommandError(f"No assignment {options['assignment']!r}; write it as COURSE/NUMBER, e.g. DD2424/1.")
        if not 0 < options["threshold"] <= 1:
            raise CommandError("The threshold is a share between 0 and 1 (e.g. 0.5 for 50 %).")
        check = SimilarityCheck.objects.create(assignment=assignment, threshold=options["threshold"])
        audit_record(actor=None, action="similarity.request", course=assignment.course, target=check, command=True)
        ran = services.similarity_run(check_id=check.pk)
        if ran is None or ran.state != SimilarityCheck.State.FINISHED:
            raise CommandError(f"The check failed: {ran.error if ran else 'it was not run'}")
        check = ran
        pairs = SimilarityPair.objects.filter(check_run=check).select_related("a", "b").order_by("-similarity", "pk")
        rows: list[dict[str, Any]] = [
            {"a": p.a.label, "b": p.b.label, "similarity": round(p.similarity, 4)} for p in pairs
        ]
        if options["json"]:
            self.stdout.write(json.dumps(rows))
            return
        self.stdout.write(f"{len(rows)} pairs of {check.documents_count} documents (check {check.pk})")
        for row in rows:
            mark = "*" if row["similarity"] >= check.threshold else " "
            self.stdout.write(f"{mark} {row['similarity']:6.1%}  {row['a']}  {row['b']}")
