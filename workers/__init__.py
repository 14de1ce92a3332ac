"""The autograder: sandbox, judge, Celery tasks and the demo course's reference suites."""
