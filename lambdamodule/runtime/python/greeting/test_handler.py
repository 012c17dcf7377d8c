"""PythonGreetingFunction's handler, with the layers on sys.path as Lambda puts them."""

import base64
import contextlib
import copy
import io
import json
import os
import pathlib
import types
import unittest

import flask
import jinja2

import handler
from pythonutils import InvalidInput

CONTEXT = types.SimpleNamespace(aws_request_id="feed0000-0000-4000-8000-000000000003")
EVENTS = pathlib.Path(__file__).resolve().parents[3] / "events"
SAMPLE = json.loads((EVENTS / "PythonGreetingFunction.json").read_text(encoding="utf-8"))


def request(path, query="", method="GET", **extra):
    event = copy.deepcopy(SAMPLE)
    event.update(rawPath=path, rawQueryString=query, **extra)
    event["requestContext"]["http"].update(method=method, path=path)
    with contextlib.redirect_stdout(io.StringIO()):
        return handler.handler(event, CONTEXT)


class GreetingTest(unittest.TestCase):
    def test_flask_and_jinja2_come_from_the_external_layer(self):
        layer = os.environ["PYTHON_EXTERNAL_LAYER"]
        for module in (flask, jinja2):
            self.assertTrue(module.__file__.startswith(layer + os.sep), module.__file__)

    def test_the_sample_event(self):
        with contextlib.redirect_stdout(io.StringIO()):
            answer = handler.handler(SAMPLE, CONTEXT)
        self.assertEqual(answer["statusCode"], 200)
        self.assertEqual(answer["headers"]["content-type"], "text/html; charset=utf-8")
        self.assertFalse(answer["isBase64Encoded"])
        self.assertIn("<p>Bonjour, <b>Ada</b>!</p>", answer["body"])
        self.assertIn('<html lang="fr">', answer["body"])

    def test_english_by_default(self):
        self.assertIn("<p>Hello, <b>Grace</b>!</p>", request("/greet/Grace")["body"])

    def test_the_name_is_escaped(self):
        body = request("/greet/%3Cscript%3E")["body"]
        self.assertIn("<b>&lt;script&gt;</b>", body)
        self.assertNotIn("<script>", body)

    def test_unknown_language_is_a_400_with_the_known_ones(self):
        answer = request("/greet/Ada", "language=tlh")
        self.assertEqual(answer["statusCode"], 400)
        self.assertEqual(
            json.loads(answer["body"]),
            {"error": "unknown language 'tlh'", "languages": ["de", "en", "es", "fr", "it"]},
        )

    def test_unknown_path_and_method_are_flasks_404_and_405(self):
        self.assertEqual(request("/nowhere")["statusCode"], 404)
        self.assertEqual(request("/greet/Ada", method="POST", body="x")["statusCode"], 405)

    def test_a_base64_body_is_decoded(self):
        environ = handler.wsgi_environ(
            dict(SAMPLE, body=base64.b64encode(b"\x00\x01").decode(), isBase64Encoded=True)
        )
        self.assertEqual(environ["wsgi.input"].read(), b"\x00\x01")

    def test_an_event_that_is_not_an_http_request_is_invalid_input(self):
        for event in ({"name": "Ada", "language": "fr"}, [], {"requestContext": {"http": {}}}):
            with self.subTest(event=event), self.assertRaises(InvalidInput) as raised:
                with contextlib.redirect_stdout(io.StringIO()):
                    handler.handler(event, CONTEXT)
            self.assertEqual(
                str(raised.exception),
                "event must be an API Gateway HTTP API request (payload format 2.0) with requestContext.http.method",
            )

    def test_binary_answers_are_base64(self):
        answer = handler.to_response("200 OK", {"Content-Type": "image/png", "Set-Cookie": "a=1"}, b"\x89PNG")
        self.assertEqual(answer["body"], base64.b64encode(b"\x89PNG").decode())
        self.assertTrue(answer["isBase64Encoded"])
        self.assertEqual(answer["cookies"], ["a=1"])


if __name__ == "__main__":
    unittest.main()
