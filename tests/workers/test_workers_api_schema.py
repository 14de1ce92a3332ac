"""The autograder's API is in the OpenAPI schema, with its own uniquely named components."""

from drf_spectacular.generators import SchemaGenerator


def test_the_schema_lists_the_grading_suite_and_rerun_endpoints_with_their_serializers(db) -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    base = "/api/courses/{code}/workers"
    assert set(paths[f"{base}/submissions/{{submission_id}}/grading/"]) == {"get"}
    assert set(paths[f"{base}/assignments/{{number}}/suites/"]) == {"get", "post"}
    assert set(paths[f"{base}/assignments/{{number}}/suites/{{version}}/activate/"]) == {"post"}
    assert set(paths[f"{base}/assignments/{{number}}/rerun/"]) == {"get", "post"}
    components = schema["components"]["schemas"]
    for name in ("GradingJobOutput", "GradingTestOutput", "SubmissionGradingOutput", "SuiteOutput", "RerunOutput"):
        assert name in components, sorted(components)
    job = components["GradingJobOutput"]["properties"]
    assert {"state", "queue_position", "tests", "score", "secret_tests"} <= set(job)
