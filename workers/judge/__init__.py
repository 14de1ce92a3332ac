"""The autograder's judge: runs a suite's pytest tests against a sandboxed student module."""
