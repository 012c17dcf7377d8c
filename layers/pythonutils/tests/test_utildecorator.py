"""The decorator: one JSON log line per invocation, exceptions mapped to InvalidInput/InternalError."""

import io
import json
import types
import unittest

from pythonutils import InternalError, InvalidInput, lambda_handler

CONTEXT = types.SimpleNamespace(aws_request_id="8f5a1b2c-0000-4000-8000-000000000001")


def decorated(body, log):
    @lambda_handler(name="probe", log=log)
    def handler(event, context):
        """The probe's own docstring."""
        return body(event)

    return handler


class DecoratorTest(unittest.TestCase):
    def setUp(self):
        self.log = io.StringIO()

    def lines(self):
        return [json.loads(line) for line in self.log.getvalue().splitlines()]

    def test_success_returns_the_result_and_logs_one_line(self):
        handler = decorated(lambda event: {"echo": event}, self.log)
        self.assertEqual(handler({"a": 1}, CONTEXT), {"echo": {"a": 1}})
        (line,) = self.lines()
        self.assertEqual(
            {k: line[k] for k in ("level", "function", "requestId", "outcome")},
            {"level": "INFO", "function": "probe", "requestId": CONTEXT.aws_request_id, "outcome": "success"},
        )
        self.assertIsInstance(line["durationMs"], float)
        self.assertNotIn("errorType", line)

    def test_keeps_the_handlers_name_and_docstring(self):
        handler = decorated(lambda event: None, self.log)
        self.assertEqual(handler.__name__, "handler")
        self.assertEqual(handler.__doc__, "The probe's own docstring.")

    def test_invalid_input_passes_through_with_its_message(self):
        def body(event):
            raise InvalidInput("'name' must be a string")

        with self.assertRaises(InvalidInput) as raised:
            decorated(body, self.log)({}, CONTEXT)
        self.assertEqual(str(raised.exception), "'name' must be a string")
        (line,) = self.lines()
        self.assertEqual((line["level"], line["outcome"], line["errorType"]), ("ERROR", "error", "InvalidInput"))

    def test_value_type_and_key_errors_are_the_callers_mistake(self):
        for error, message in (
            (ValueError("bad number"), "bad number"),
            (TypeError("not a list"), "not a list"),
            (KeyError("name"), "missing field 'name'"),
        ):
            with self.subTest(error=type(error).__name__):

                def body(event, error=error):
                    raise error

                with self.assertRaises(InvalidInput) as raised:
                    decorated(body, self.log)({}, CONTEXT)
                self.assertEqual(str(raised.exception), message)
                self.assertIs(raised.exception.__cause__, error)

    def test_any_other_exception_is_an_internal_error(self):
        def body(event):
            raise RuntimeError("database is locked")

        with self.assertRaises(InternalError) as raised:
            decorated(body, self.log)({}, CONTEXT)
        self.assertEqual(str(raised.exception), "database is locked")
        self.assertEqual(self.lines()[0]["errorType"], "InternalError")

    def test_the_error_types_are_what_lambda_reports(self):
        # Lambda's Python runtime reports type(exception).__name__ as errorType.
        self.assertEqual((InvalidInput.__name__, InternalError.__name__), ("InvalidInput", "InternalError"))

    def test_without_a_context_the_request_id_is_a_dash(self):
        decorated(lambda event: 1, self.log)({}, None)
        self.assertEqual(self.lines()[0]["requestId"], "-")


if __name__ == "__main__":
    unittest.main()
