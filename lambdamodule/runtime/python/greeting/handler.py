"""PythonGreetingFunction: a Flask app behind API Gateway (HTTP API, payload
format 2.0) that renders a greeting page with a Jinja2 template.

GET /greet/<name>?language=fr  ->  200, text/html: "Bonjour, <b>Ada</b>!"
An unknown language is a 400 JSON answer, an unknown path Flask's 404; an
event that is not an HTTP API request is a function error (InvalidInput).
"""

import base64

import flask
import jinja2
from werkzeug.test import EnvironBuilder, run_wsgi_app

from pythonutils import InvalidInput, lambda_handler

GREETINGS = {"de": "Hallo", "en": "Hello", "es": "Hola", "fr": "Bonjour", "it": "Ciao"}

# Autoescaped (the name comes from the URL): Jinja2 escapes it because the
# template's name ends in .html.
TEMPLATES = {
    "greeting.html": (
        "<!doctype html>\n"
        '<html lang="{{ language }}">\n'
        "<title>{{ greeting }}, {{ name }}!</title>\n"
        "<p>{{ greeting }}, <b>{{ name }}</b>!</p>\n"
        "</html>\n"
    )
}

app = flask.Flask(__name__)
app.jinja_loader = jinja2.DictLoader(TEMPLATES)


@app.get("/greet/<name>")
def greet(name):
    language = flask.request.args.get("language", "en")
    if language not in GREETINGS:
        return {"error": "unknown language '%s'" % language, "languages": sorted(GREETINGS)}, 400
    return flask.render_template("greeting.html", greeting=GREETINGS[language], name=name, language=language)


def wsgi_environ(event):
    """The WSGI environ of the HTTP request an API Gateway HTTP API event carries."""
    http = event.get("requestContext", {}).get("http") if isinstance(event, dict) else None
    if not isinstance(http, dict) or not isinstance(http.get("method"), str):
        raise InvalidInput(
            "event must be an API Gateway HTTP API request (payload format 2.0) with requestContext.http.method"
        )
    headers = dict(event.get("headers") or {})
    if event.get("cookies"):
        headers["cookie"] = "; ".join(event["cookies"])
    body = event.get("body") or ""
    data = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode("utf-8")
    builder = EnvironBuilder(
        path=event.get("rawPath") or http.get("path") or "/",
        method=http["method"],
        query_string=event.get("rawQueryString") or "",
        headers=headers,
        data=data,
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def to_response(status, headers, body):
    """The HTTP API's answer for a WSGI response: text stays text, anything else is base64."""
    answer = {"statusCode": int(status.split(" ", 1)[0]), "headers": {}, "cookies": []}
    for key, value in headers.items():
        if key.lower() == "set-cookie":
            answer["cookies"].append(value)
        else:
            answer["headers"][key.lower()] = value
    content_type = answer["headers"].get("content-type", "")
    if content_type.startswith("text/") or "json" in content_type:
        answer.update(body=body.decode("utf-8"), isBase64Encoded=False)
    else:
        answer.update(body=base64.b64encode(body).decode("ascii"), isBase64Encoded=True)
    if not answer["cookies"]:
        del answer["cookies"]
    return answer


@lambda_handler(name="greeting")
def handler(event, context):
    app_iter, status, headers = run_wsgi_app(app.wsgi_app, wsgi_environ(event), buffered=True)
    try:
        body = b"".join(app_iter)
    finally:
        if hasattr(app_iter, "close"):
            app_iter.close()
    return to_response(status, headers, body)
